// SPDX-License-Identifier: MIT
/*
 * cmd_bench.c - `naclemu bench`: what a user's own NACL costs per packet on
 * their own kernel.  The rules are compiled and installed exactly as
 * `attach` does, but into a private copy of the datapath that is attached
 * nowhere; its programs run under BPF_PROG_TEST_RUN on the worst-case
 * packet of each direction and family, alternating with an empty TC
 * program (the floor: what running any TC program costs).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/utsname.h>
#include <linux/pkt_cls.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "bench.h"
#include "bench_empty.skel.h"
#include "commands.h"
#include "compile.h"
#include "naclemu.skel.h"
#include "tc.h"

static const char bench_usage[] =
	"Usage: naclemu bench RULES [--acl ID] [--repeat N] [--rounds N] [--json]\n"
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
	"  --acl ID      the NetworkAclId to read from a multi-ACL JSON file\n"
	"  --repeat N    runs per measurement, 1000..100000000 (default 1000000)\n"
	"  --rounds N    rounds, 1..1000 (default 7)\n"
	"  --json        one JSON document on stdout\n"
	"\n"
	"Needs root (CAP_BPF).  Exit status: 0 measured, 1 invalid rules or\n"
	"arguments, 2 not root or the kernel refused the program.\n"
	"\n"
	"Example:\n"
	"  sudo naclemu bench examples/web-server.nacl\n";

/* One direction and family: its worst-case packet and its timings. */
struct table_bench {
	int dir, family;
	size_t nrules;
	struct nacl_packet p;
	struct nacl_verdict v;
	uint8_t frame[BENCH_FRAME_MAX];
	size_t len;
	double *ns; /* per round */
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!nacl_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* @a + @n (big-endian, @len bytes), wrapping. */
static void addr_add(uint8_t *a, size_t len, int n)
{
	int carry = n;

	for (size_t i = len; i-- > 0 && carry;) {
		int v = a[i] + carry;

		a[i] = (uint8_t)v;
		carry = v >> 8; /* arithmetic: -1 borrows */
	}
}

/* The first address past @c's block. */
static void cidr_next(const struct nacl_cidr *c, uint8_t *out)
{
	size_t len = c->family == 4 ? 4 : 16;
	unsigned int host = (unsigned int)len * 8 - c->prefix_len;

	memcpy(out, c->addr, 16);
	if (host == len * 8)
		return; /* /0: wraps to itself */
	/* Add 1 << host: byte len-1-host/8, bit host%8. */
	{
		size_t byte = len - 1 - host / 8;
		int v = out[byte] + (1 << (host % 8)), carry = v >> 8;

		out[byte] = (uint8_t)v;
		if (carry)
			addr_add(out, byte, 1);
	}
}

/* Keys worth trying for @proto: common ports and every rule range's ends. */
static size_t candidate_keys(const struct nacl_ruleset *rs, int dir, int proto,
			     uint16_t *keys, size_t max)
{
	static const uint16_t common[] = { 1, 80, 443, 1024, 32768, 65535 };
	size_t n = 0;

	if (proto == NACL_PROTO_ICMP || proto == NACL_PROTO_ICMPV6) {
		keys[n++] = 8 << 8;
		keys[n++] = 3 << 8 | 4;
	} else {
		for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
			keys[n++] = common[i];
	}
	for (size_t i = 0; i < rs->count[dir] && n + 4 <= max; i++) {
		const struct nacl_rule *r = &rs->rules[dir][i];
		uint16_t lo, hi;

		if (r->protocol != proto || !nacl_rule_key_range(r, &lo, &hi))
			continue;
		keys[n++] = lo;
		keys[n++] = hi;
		keys[n++] = (uint16_t)(lo - 1);
		keys[n++] = (uint16_t)(hi + 1);
	}
	return n;
}

/*
 * The packet of @tb->dir and @tb->family decided by the highest rule number
 * (the default deny beats every rule), among packets to and from every
 * rule's block, its neighbours and documentation addresses, with every
 * rule's port or type range ends.  Exempt packets are not candidates: they
 * skip the rules.  At equal rank the first candidate stays, and TCP comes
 * first: its header is the longest to parse.
 */
static void worst_packet(const struct nacl_ruleset *rs, struct table_bench *tb)
{
	static const char *const doc4[] = { "203.0.113.1", "198.51.100.1", "192.0.2.1" };
	static const char *const doc6[] = { "2001:db8:ffff::1", "2001:db8::1" };
	static uint8_t peers[4 * NACL_MAX_RULES + 4][16];
	static uint16_t keys[4 * NACL_MAX_RULES + 8];
	const int protos[] = { NACL_PROTO_TCP, NACL_PROTO_UDP,
			       tb->family == 4 ? NACL_PROTO_ICMP : NACL_PROTO_ICMPV6, 47 };
	size_t npeers = 0, alen = tb->family == 4 ? 4 : 16;
	uint8_t local[16] = {};
	bool found = false;

	inet_pton(tb->family == 4 ? AF_INET : AF_INET6,
		  tb->family == 4 ? "192.0.2.10" : "2001:db8::10", local);
	tb->nrules = 0;
	for (size_t i = 0; tb->family == 4 && i < 3; i++)
		inet_pton(AF_INET, doc4[i], peers[npeers++]);
	for (size_t i = 0; tb->family == 6 && i < 2; i++)
		inet_pton(AF_INET6, doc6[i], peers[npeers++]);
	for (size_t i = 0; i < rs->count[tb->dir]; i++) {
		const struct nacl_cidr *c = &rs->rules[tb->dir][i].cidr;

		if (c->family != tb->family)
			continue;
		tb->nrules++;
		memcpy(peers[npeers], c->addr, 16); /* first */
		memcpy(peers[npeers + 1], c->addr, 16);
		addr_add(peers[npeers + 1], alen, -1); /* just below */
		cidr_next(c, peers[npeers + 2]);      /* just above */
		memcpy(peers[npeers + 3], peers[npeers + 2], 16);
		addr_add(peers[npeers + 3], alen, -1); /* last */
		npeers += 4;
	}

	for (size_t pi = 0; pi < sizeof(protos) / sizeof(protos[0]); pi++) {
		size_t nkeys = protos[pi] == 47 ? 1 :
			       candidate_keys(rs, tb->dir, protos[pi], keys,
					      sizeof(keys) / sizeof(keys[0]));

		for (size_t a = 0; a < npeers; a++) {
			for (size_t k = 0; k < nkeys; k++) {
				struct nacl_packet p = {
					.dir = (enum nacl_dir)tb->dir,
					.family = (uint8_t)tb->family,
					.protocol = (uint8_t)protos[pi],
					.l4_known = true,
					.src_port = 40000,
					.dst_port = keys[k],
					.icmp_type = (uint8_t)(keys[k] >> 8),
					.icmp_code = (uint8_t)keys[k],
				};
				struct nacl_verdict v;

				memcpy(tb->dir == NACL_INBOUND ? p.src : p.dst, peers[a], 16);
				memcpy(tb->dir == NACL_INBOUND ? p.dst : p.src, local, 16);
				if (nacl_exempt(&p, NULL, 0, NULL, 0))
					continue;
				v = nacl_evaluate(rs, &p);
				if (found && v.rule_number <= tb->v.rule_number)
					continue;
				tb->p = p;
				tb->v = v;
				found = true;
			}
		}
	}
	tb->len = bench_frame(&tb->p, tb->frame);
}

/* "tcp 203.0.113.1 -> 192.0.2.10:1", "icmp 192.0.2.1 -> 192.0.2.10 8/0" */
static const char *packet_str(const struct nacl_packet *p, char buf[128])
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], pbuf[8];
	const char *proto = nacl_proto_name(p->protocol, pbuf);
	int af = p->family == 4 ? AF_INET : AF_INET6;
	bool ports = p->protocol == NACL_PROTO_TCP || p->protocol == NACL_PROTO_UDP;
	bool icmp = p->protocol == NACL_PROTO_ICMP || p->protocol == NACL_PROTO_ICMPV6;

	inet_ntop(af, p->src, s, sizeof(s));
	inet_ntop(af, p->dst, d, sizeof(d));
	if (ports)
		snprintf(buf, 128, "%s %s -> %s%s%s:%u", proto, s, af == AF_INET6 ? "[" : "",
			 d, af == AF_INET6 ? "]" : "", p->dst_port);
	else if (icmp)
		snprintf(buf, 128, "%s %s -> %s type %u code %u", proto, s, d, p->icmp_type,
			 p->icmp_code);
	else
		snprintf(buf, 128, "%s %s -> %s", proto, s, d);
	return buf;
}

static json_t *stat_json(struct bench_stat s)
{
	return json_pack("{s:f,s:f,s:f}", "median", s.median, "min", s.min, "max", s.max);
}

static int parse_opts(int argc, char **argv, const char **path, struct nacl_select *sel,
		      uint32_t *repeat, uint32_t *rounds, bool *json)
{
	static const struct option opts[] = {
		{ "acl", required_argument, NULL, 'a' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			sel->acl_id = optarg;
			break;
		case 'n':
			if (nacl_parse_u32(optarg, 100000000, repeat) || *repeat < 1000)
				return nacl_usage_error("bench", "--repeat wants 1000..100000000, not '%s'",
							optarg);
			break;
		case 'r':
			if (nacl_parse_u32(optarg, 1000, rounds) || *rounds < 1)
				return nacl_usage_error("bench", "--rounds wants 1..1000, not '%s'",
							optarg);
			break;
		case 'j':
			*json = true;
			break;
		case 'h':
			fputs(bench_usage, stdout);
			return -1;
		default:
			return nacl_usage_error("bench", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("bench", "expected one RULES file");
	*path = argv[optind];
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct table_bench tb[4] = {};
	struct nacl_select sel = {};
	struct nacl_ruleset *rs = NULL;
	struct naclemu_rules *rules = NULL;
	struct naclemu *skel = NULL;
	struct bench_empty *empty = NULL;
	double *empty_ns = NULL, *v = NULL;
	uint32_t repeat = 1000000, rounds = 7, cursor = 0;
	__u32 fresh[COMPILE_MAX_FRESH];
	size_t nfresh;
	const char *path = NULL;
	char err[NACL_MSG_LEN], b1[128], b2[32];
	struct utsname u;
	bool json = false;
	int exit, ret, prog[2], empty_fd, retval;

	exit = parse_opts(argc, argv, &path, &sel, &repeat, &rounds, &json);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	libbpf_set_print(libbpf_log);

	exit = NACL_EXIT_SYSTEM;
	rs = calloc(1, sizeof(*rs));
	rules = calloc(1, sizeof(*rules));
	empty_ns = calloc(rounds, sizeof(double));
	v = calloc(rounds, sizeof(double));
	for (int i = 0; i < 4; i++)
		tb[i].ns = calloc(rounds, sizeof(double));
	if (!rs || !rules || !empty_ns || !v || !tb[0].ns || !tb[1].ns || !tb[2].ns || !tb[3].ns) {
		pr_err("out of memory");
		goto out;
	}
	exit = NACL_EXIT_INVALID;
	if (nacl_parse_file(path, &sel, rs, err) || compile_rules(rs, NULL, rules, err)) {
		pr_err("%s", err);
		goto out;
	}
	exit = NACL_EXIT_SYSTEM;
	if (geteuid() != 0) {
		pr_err("bench needs root (CAP_BPF, for BPF_PROG_TEST_RUN): run it as root");
		goto out;
	}

	skel = naclemu__open_and_load();
	empty = bench_empty__open_and_load();
	if (!skel || !empty) {
		pr_err("the kernel refused the BPF programs: %s%s", strerror(errno),
		       nacl_verbose ? "" : " (run 'naclemu -v bench ...' for the verifier log)");
		goto out;
	}
	ret = compile_assign_slots(rules, NULL, &cursor, fresh, &nfresh);
	if (!ret)
		ret = tc_rules_install(bpf_map__fd(skel->maps.naclemu_rules), rules);
	if (ret) {
		pr_err("cannot install the rules: %s", strerror(-ret));
		goto out;
	}
	prog[NACLEMU_INGRESS] = bpf_program__fd(skel->progs.naclemu_ingress);
	prog[NACLEMU_EGRESS] = bpf_program__fd(skel->progs.naclemu_egress);
	empty_fd = bpf_program__fd(empty->progs.bench_empty);

	for (int i = 0; i < 4; i++) {
		tb[i].dir = i / 2;
		tb[i].family = i % 2 ? 6 : 4;
		worst_packet(rs, &tb[i]);
	}

	/* Round r runs the five programs in turn, starting at a different one. */
	for (uint32_t r = 0; r < rounds; r++) {
		for (int k = 0; k < 5; k++) {
			int i = (int)((r + (uint32_t)k) % 5) - 1;
			double *ns = i < 0 ? &empty_ns[r] : &tb[i].ns[r];

			ret = i < 0 ? bench_run(empty_fd, tb[0].frame, tb[0].len, repeat, ns, &retval) :
				      bench_run(prog[tb[i].dir], tb[i].frame, tb[i].len, repeat, ns,
						&retval);
			if (ret) {
				pr_err("BPF_PROG_TEST_RUN failed: %s", strerror(-ret));
				goto out;
			}
			if (i >= 0 && retval != (tb[i].v.allow ? TC_ACT_UNSPEC : TC_ACT_SHOT)) {
				pr_err("the datapath and the offline evaluator disagree on %s "
				       "(please report it)", packet_str(&tb[i].p, b1));
				goto out;
			}
		}
	}

	uname(&u);
	{
		struct bench_stat e;
		json_t *doc = NULL, *arr = NULL;

		memcpy(v, empty_ns, rounds * sizeof(double));
		e = bench_stat(v, rounds);
		if (json) {
			doc = json_pack("{s:s,s:s,s:s,s:i,s:i}", "file", path, "kernel", u.release,
					"jit", bench_jit_state(), "repeat", (json_int_t)repeat,
					"rounds", (json_int_t)rounds);
			json_object_set_new(doc, "empty_ns", stat_json(e));
			arr = json_array();
		} else {
			printf("naclemu bench %s: kernel %s, JIT %s,\n"
			       "%u rounds of %u runs a packet, median (min-max)\n\n"
			       "empty TC program: %.1f ns/packet (%.0f-%.0f)\n\n",
			       path, u.release, bench_jit_state(), rounds, repeat, e.median,
			       e.min, e.max);
			printf("%-10s %-6s %5s  %-7s %-18s %s\n", "direction", "family", "rules",
			       "rule", "ns/packet", "x empty");
		}
		for (int i = 0; i < 4; i++) {
			struct bench_stat ns, x;
			char rule[8], nsbuf[32];

			memcpy(v, tb[i].ns, rounds * sizeof(double));
			ns = bench_stat(v, rounds);
			for (uint32_t r = 0; r < rounds; r++)
				v[r] = tb[i].ns[r] / empty_ns[r];
			x = bench_stat(v, rounds);
			if (json) {
				json_t *o = json_pack("{s:s,s:i,s:i,s:s,s:i,s:s}", "direction",
						      nacl_dir_name((enum nacl_dir)tb[i].dir),
						      "family", tb[i].family, "rules",
						      (json_int_t)tb[i].nrules, "packet",
						      packet_str(&tb[i].p, b1), "rule",
						      (json_int_t)tb[i].v.rule_number, "action",
						      tb[i].v.allow ? "allow" : "deny");

				json_object_set_new(o, "ns", stat_json(ns));
				json_object_set_new(o, "x_empty", stat_json(x));
				json_array_append_new(arr, o);
				continue;
			}
			if (tb[i].v.index < 0)
				snprintf(rule, sizeof(rule), "*");
			else
				snprintf(rule, sizeof(rule), "%u", tb[i].v.rule_number);
			snprintf(nsbuf, sizeof(nsbuf), "%.1f (%.0f-%.0f)", ns.median, ns.min, ns.max);
			snprintf(b2, sizeof(b2), "%.2f (%.2f-%.2f)", x.median, x.min, x.max);
			printf("%-10s %-6s %5zu  %-7s %-18s %s\n",
			       nacl_dir_name((enum nacl_dir)tb[i].dir), tb[i].family == 4 ? "IPv4" : "IPv6",
			       tb[i].nrules, rule, nsbuf, b2);
		}
		if (json) {
			json_object_set_new(doc, "tables", arr);
			json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			printf("\n");
			json_decref(doc);
		} else {
			printf("\nworst-case packets (decided by the rule above):\n");
			for (int i = 0; i < 4; i++)
				printf("  %-9s %s  %s\n", nacl_dir_name((enum nacl_dir)tb[i].dir),
				       tb[i].family == 4 ? "IPv4" : "IPv6", packet_str(&tb[i].p, b1));
		}
	}
	exit = NACL_EXIT_OK;
out:
	bench_empty__destroy(empty);
	naclemu__destroy(skel);
	for (int i = 0; i < 4; i++)
		free(tb[i].ns);
	free(v);
	free(empty_ns);
	free(rules);
	free(rs);
	return exit;
}
