// SPDX-License-Identifier: MIT
/*
 * main.c - naclemu's entry point: global options and the command table.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "check", cmd_check, "validate rules, show them normalised, warn" },
	{ "explain", cmd_explain, "judge one packet offline, name the rule" },
	{ "flow", cmd_flow, "judge a connection both ways over the ephemeral range" },
	{ "diff", cmd_diff, "compare two NACLs: the traffic whose verdict changes" },
	{ "attach", cmd_attach, "load the NACL and attach it to an interface" },
	{ "update", cmd_update, "replace an attached interface's rules atomically" },
	{ "detach", cmd_detach, "remove what attach created, and nothing else" },
	{ "status", cmd_status, "list attached interfaces and their totals" },
	{ "stats", cmd_stats, "packets and bytes per rule of an attached interface" },
	{ "events", cmd_events, "stream the drops of attached interfaces as they happen" },
	{ "run", cmd_run, "attach, stream the drops, detach on exit" },
	{ "flowlog", cmd_flowlog, "write AWS VPC Flow Log records of the traffic" },
	{ "metrics", cmd_metrics, "the counters of attached interfaces for Prometheus" },
	{ "exporter", cmd_exporter, "serve those counters over HTTP at /metrics" },
	{ "apply", cmd_apply, "make the host match a configuration file" },
	{ "confirm", cmd_confirm, "keep what the last apply --confirm changed" },
	{ "daemon", cmd_daemon, "keep the host matching it as interfaces come and go" },
	{ "bench", cmd_bench, "per-packet cost of a rule file on this kernel" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: naclemu [-v] COMMAND [ARGS]...\n"
		"       naclemu COMMAND --help\n"
		"       naclemu --version\n"
		"\n"
		"Enforce AWS VPC network ACL rules on a Linux host's traffic\n"
		"(BPF at TC ingress and egress), and explain them offline.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -v, --verbose  show libbpf and verifier messages\n"
		"  -h, --help     show this help\n"
		"  -V, --version  show the version\n"
		"\n"
		"Exit status: 0 success (explain/flow: allowed; diff: no change),\n"
		"1 invalid rules or arguments, 2 system failure, 3 explain/flow:\n"
		"denied, diff: verdicts change.\n"
		"\n"
		"Example:\n"
		"  naclemu check examples/docker-ephemeral.nacl\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	nacl_log_libbpf();
	/* Global options come before the command, as with `ip` and `tc`. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			nacl_verbose = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return NACL_EXIT_OK;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("naclemu %s\n", NACLEMU_VERSION);
			return NACL_EXIT_OK;
		} else {
			pr_err("unknown option '%s' (see 'naclemu --help')", a);
			return NACL_EXIT_INVALID;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return NACL_EXIT_INVALID;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (!strcmp(argv[i], commands[c].name)) {
			fflush(stdout);
			return commands[c].run(argc - i, argv + i);
		}
	}
	pr_err("unknown command '%s' (see 'naclemu --help')", argv[i]);
	return NACL_EXIT_INVALID;
}
