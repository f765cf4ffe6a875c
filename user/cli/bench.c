// SPDX-License-Identifier: MIT
/*
 * bench.c - `naclemu bench`: what a user's own NACL costs per packet on
 * their own kernel (datapath/measure.h does the measuring), as text or
 * JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <jansson.h>

#include "cli/cli.h"
#include "datapath/datapath.h"
#include "datapath/measure.h"

static const char bench_usage[] =
	"Usage: naclemu bench RULES [SELECT] [--repeat N] [--rounds N] [--json]\n"
	"\n"
	"Measure what RULES cost per packet on this kernel, without touching any\n"
	"interface.  naclemu's BPF program, with RULES installed, runs under\n"
	"BPF_PROG_TEST_RUN on the worst-case packet of each direction and family:\n"
	"the one decided furthest down the rules (by the default deny when a\n"
	"packet can reach it).  An empty TC program runs in the same rounds, in\n"
	"turn with them.  Figures are the kernel's time per run, median (min-max)\n"
	"over the rounds; 'x empty' is the median (min-max) of the per-round\n"
	"ratios to the empty program.\n"
	"\n"
	"Options:\n"
	CLI_RULES_HELP
	"  --repeat N    runs per measurement, 1000..100000000 (default 1000000)\n"
	"  --rounds N    rounds, 1..1000 (default 7)\n"
	"  --json        one JSON document on stdout\n"
	"\n"
	"Needs root (CAP_BPF).  Exit status: 0 measured, 1 invalid rules or\n"
	"arguments, 2 not root or the kernel refused the program.\n"
	"\n"
	"Example:\n"
	"  sudo naclemu bench examples/web-server.nacl\n";

/* struct bench_req - what `naclemu bench` asks for. */
struct bench_req {
	const char *path;
	struct nacl_select select;
	uint32_t repeat, rounds;
	bool json;
};

/* Options into @req; an exit status, or -1 after --help. */
static int bench_parse(int argc, char **argv, struct bench_req *req)
{
	static const struct option opts[] = {
		CLI_RULES_OPTIONS,
		{ "repeat", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, ret;

	req->repeat = 1000000;
	req->rounds = 7;
	optind = 1;
	while ((c = cli_getopt("bench", argc, argv, "jvh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'a':
		case 'S':
		case 'F':
		case 'P':
			if ((ret = cli_rules_opt("bench", c, optarg, &req->select)))
				return ret;
			break;
		case 'j': req->json = true; break;
		case 'v': nacl_verbose = 1; break;
		case 'n':
			if (nacl_parse_u32(optarg, 100000000, &req->repeat) || req->repeat < 1000)
				return nacl_usage_error("bench", "--repeat wants 1000..100000000, not '%s'",
							optarg);
			break;
		case 'r':
			if (nacl_parse_u32(optarg, 1000, &req->rounds) || req->rounds < 1)
				return nacl_usage_error("bench", "--rounds wants 1..1000, not '%s'",
							optarg);
			break;
		case 'h':
			fputs(bench_usage, stdout);
			return -1;
		default:
			return NACL_EXIT_INVALID;
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("bench", "expected one RULES file");
	req->path = argv[optind];
	return NACL_EXIT_OK;
}

static json_t *stat_json(struct bench_stat s)
{
	return json_pack("{s:f,s:f,s:f}", "median", s.median, "min", s.min, "max", s.max);
}

static void render_json(const struct bench_req *req, const struct measure_result *res,
			const char *kernel)
{
	json_t *doc, *arr = json_array();
	char b[128];

	doc = json_pack("{s:s,s:s,s:s,s:i,s:i}", "file", req->path, "kernel", kernel, "jit",
			bench_jit_state(), "repeat", (json_int_t)req->repeat, "rounds",
			(json_int_t)req->rounds);
	json_object_set_new(doc, "empty_ns", stat_json(res->empty_ns));
	for (size_t i = 0; i < NACLEMU_NDIRS * NACLEMU_NFAMS; i++) {
		const struct measure_table *t = &res->t[i];
		json_t *o = json_pack("{s:s,s:i,s:i,s:s,s:i,s:s}", "direction",
				      nacl_dir_name(t->dir), "family", t->family, "rules",
				      (json_int_t)t->worst.nrules, "packet",
				      nacl_packet_str(&t->worst.p, b), "rule",
				      (json_int_t)t->worst.v.rule_number, "action",
				      t->worst.v.allow ? "allow" : "deny");

		json_object_set_new(o, "ns", stat_json(t->ns));
		json_object_set_new(o, "x_empty", stat_json(t->x_empty));
		json_array_append_new(arr, o);
	}
	json_object_set_new(doc, "tables", arr);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(doc);
}

static void render_text(const struct bench_req *req, const struct measure_result *res,
			const char *kernel)
{
	const struct bench_stat *e = &res->empty_ns;
	char rule[8], nsbuf[32], xbuf[32], b[128];

	printf("naclemu bench %s: kernel %s, JIT %s,\n"
	       "%u rounds of %u runs a packet, median (min-max)\n\n"
	       "empty TC program: %.1f ns/packet (%.0f-%.0f)\n\n",
	       req->path, kernel, bench_jit_state(), req->rounds, req->repeat, e->median, e->min,
	       e->max);
	printf("%-10s %-6s %5s  %-7s %-18s %s\n", "direction", "family", "rules", "rule",
	       "ns/packet", "x empty");
	for (size_t i = 0; i < NACLEMU_NDIRS * NACLEMU_NFAMS; i++) {
		const struct measure_table *t = &res->t[i];

		if (t->worst.v.index < 0)
			snprintf(rule, sizeof(rule), "*");
		else
			snprintf(rule, sizeof(rule), "%u", t->worst.v.rule_number);
		snprintf(nsbuf, sizeof(nsbuf), "%.1f (%.0f-%.0f)", t->ns.median, t->ns.min, t->ns.max);
		snprintf(xbuf, sizeof(xbuf), "%.2f (%.2f-%.2f)", t->x_empty.median, t->x_empty.min,
			 t->x_empty.max);
		printf("%-10s %-6s %5zu  %-7s %-18s %s\n", nacl_dir_name(t->dir),
		       t->family == 4 ? "IPv4" : "IPv6", t->worst.nrules, rule, nsbuf, xbuf);
	}
	printf("\nworst-case packets (decided by the rule above):\n");
	for (size_t i = 0; i < NACLEMU_NDIRS * NACLEMU_NFAMS; i++)
		printf("  %-9s %s  %s\n", nacl_dir_name(res->t[i].dir),
		       res->t[i].family == 4 ? "IPv4" : "IPv6", nacl_packet_str(&res->t[i].worst.p, b));
}

int cmd_bench(int argc, char **argv)
{
	struct bench_req req = {};
	struct nacl_ruleset *rs = NULL;
	struct measure_result *res = NULL;
	struct dp_error e;
	struct utsname u;
	int exit;

	exit = bench_parse(argc, argv, &req);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = cli_read_rules(req.path, &req.select, &rs);
	if (!exit)
		exit = cli_need_root("bench");
	if (!exit && !(res = calloc(1, sizeof(*res)))) {
		pr_err("out of memory");
		exit = NACL_EXIT_SYSTEM;
	}
	if (!exit && (exit = measure_rules(rs, req.repeat, req.rounds, res, &e)))
		pr_err("%s", e.msg);
	if (!exit) {
		uname(&u);
		if (req.json)
			render_json(&req, res, u.release);
		else
			render_text(&req, res, u.release);
	}
	free(res);
	free(rs);
	return exit;
}
