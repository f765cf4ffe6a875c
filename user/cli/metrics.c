// SPDX-License-Identifier: MIT
/*
 * metrics.c - `naclemu metrics`: the counters of every attached interface
 * in the Prometheus text format, on stdout or, with --textfile DIR, as
 * DIR/naclemu.prom for node_exporter's textfile collector.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "datapath/datapath.h"
#include "output/prometheus.h"

static const char metrics_usage[] =
	"Usage: naclemu metrics [--textfile DIR]\n"
	"\n"
	"The counters of every attached interface in the Prometheus text format\n"
	"(version 0.0.4): packets and bytes per rule, exempt, subnet and\n"
	"malformed packets, drop events not delivered, the rules' generation.\n"
	"Interfaces whose state cannot be read are left out, with a warning.\n"
	"\n"
	"Options:\n"
	"      --textfile DIR  write DIR/naclemu.prom atomically (a temporary\n"
	"                      file, then rename) for node_exporter's textfile\n"
	"                      collector, instead of stdout\n"
	"\n"
	"Example:\n"
	"  naclemu metrics --textfile /var/lib/prometheus/node-exporter\n";

/* struct metrics_req - what `metrics` asks for: @textfile NULL for stdout. */
struct metrics_req {
	const char *textfile;
};

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "textfile", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct metrics_req req = {};
	struct prom_snapshot s;
	const char *what;
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int c, err, exit;

	optind = 1;
	while ((c = cli_getopt("metrics", argc, argv, "vh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 't': req.textfile = optarg; break;
		case 'v': nacl_verbose = 1; break;
		case 'h': fputs(metrics_usage, stdout); return NACL_EXIT_OK;
		default: return NACL_EXIT_INVALID;
		}
	}
	if (optind != argc)
		return nacl_usage_error("metrics", "unexpected argument '%s'", argv[optind]);
	if (req.textfile && !*req.textfile)
		return nacl_usage_error("metrics", "--textfile wants a folder");
	exit = cli_need_root("metrics");
	if (exit)
		return exit;
	if (req.textfile && (stat(req.textfile, &sb) || !S_ISDIR(sb.st_mode))) {
		pr_err("--textfile: %s is not a folder: create it first", req.textfile);
		return NACL_EXIT_SYSTEM;
	}

	err = prom_collect(&s);
	if (err) {
		prom_snapshot_free(&s);
		pr_err("cannot read the attached interfaces in %s: %s", DP_PIN_ROOT, strerror(-err));
		return NACL_EXIT_SYSTEM;
	}
	if (s.nskipped)
		pr_warn("%zu interface%s left out: %s", s.nskipped, s.nskipped > 1 ? "s" : "",
			s.skipped);
	mem = open_memstream(&buf, &len);
	err = mem ? prom_render(&s, mem) : -ENOMEM;
	if (mem && fclose(mem))
		err = -ENOMEM;
	prom_snapshot_free(&s);
	if (err) {
		free(buf);
		pr_err("cannot render the metrics: %s", strerror(-err));
		return NACL_EXIT_SYSTEM;
	}
	if (!req.textfile) {
		exit = fwrite(buf, 1, len, stdout) == len ? NACL_EXIT_OK : NACL_EXIT_SYSTEM;
		free(buf);
		return exit;
	}
	err = prom_textfile_write(req.textfile, buf, len, &what);
	free(buf);
	if (err) {
		pr_err("--textfile: cannot %s %s/naclemu.prom: %s", what, req.textfile,
		       strerror(-err));
		return NACL_EXIT_SYSTEM;
	}
	return NACL_EXIT_OK;
}
