// SPDX-License-Identifier: MIT
/*
 * explain.c - `naclemu explain`: one packet, from the command line, judged
 * offline (analysis/explain.h) and the deciding rule named
 * (docs/semantics.md sections 1 and 3).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/explain.h"
#include "cli/cli.h"
#include "rules/model.h"
#include "rules/read.h"

static const char explain_usage[] =
	"Usage: naclemu explain RULES --direction ingress|egress --protocol P\n"
	"                       --src ADDR[:PORT] --dst ADDR[:PORT]\n"
	"                       [--icmp TYPE/CODE] [--later-fragment]\n"
	"                       [--exempt CIDR]... [--subnet CIDR]... [--vpc CIDR]...\n"
	"                       [SELECT]\n"
	"\n"
	"Judge one packet offline, with exactly the datapath's semantics, and\n"
	"name the rule that decides it.  Inbound rules judge ingress packets by\n"
	"their source address, outbound rules egress packets by their\n"
	"destination; both look at the destination port.\n"
	"\n"
	"Options:\n"
	"  --direction D     ingress (inbound rules) or egress (outbound rules)\n"
	"  --protocol P      tcp, udp, icmp, icmpv6 or a number 0..255\n"
	"  --src, --dst      ADDR, ADDR:PORT or [IPV6]:PORT (ports for tcp/udp)\n"
	"  --icmp TYPE/CODE  for icmp and icmpv6; without it, the verdict for every\n"
	"                    type and code, when it is the same\n"
	"  --later-fragment  a non-first fragment whose first was not seen\n"
	CLI_EXTRA_HELP
	CLI_RULES_HELP
	"\n"
	"Exit status: 0 allowed, 3 denied, 1 invalid rules or arguments.\n"
	"\n"
	"Example (the response of an HTTPS server to a Linux client):\n"
	"  naclemu explain examples/quiz.nacl --direction egress --protocol tcp \\\n"
	"      --src 192.0.2.10:443 --dst 198.51.100.148:40312\n";

/*
 * struct explain_req - what `naclemu explain` asks for.
 * @p: the packet (l4_known false for --later-fragment).
 * @has_sport, @has_dport: whether --src / --dst gave a port (shown).
 */
struct explain_req {
	const char *path;
	struct nacl_select select;
	struct nacl_packet p;
	bool has_sport, has_dport;
	bool any_icmp; /* ICMP without --icmp: judged for every type and code */
	struct cli_extra extra;
};

/* The options as given, before they are checked together. */
struct explain_args {
	const char *dir, *src, *dst, *icmp;
	int proto; /* -2: not given */
	bool later;
};

/* The getopt loop: @a and the rule selection.  Exit status or -1. */
static int explain_opts(int argc, char **argv, struct explain_args *a, struct explain_req *req)
{
	static const struct option opts[] = {
		{ "direction", required_argument, NULL, 'd' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 't' },
		{ "icmp", required_argument, NULL, 'i' },
		{ "later-fragment", no_argument, NULL, 'f' },
		CLI_RULES_OPTIONS,
		CLI_EXTRA_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, ret;

	optind = 1;
	while ((c = cli_getopt("explain", argc, argv, "vh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 's': a->src = optarg; break;
		case 't': a->dst = optarg; break;
		case 'i': a->icmp = optarg; break;
		case 'f': a->later = true; break;
		case 'a':
		case 'S':
		case 'F':
		case 'P':
			if ((ret = cli_rules_opt("explain", c, optarg, &req->select)))
				return ret;
			break;
		case CLI_OPT_EXEMPT:
		case CLI_OPT_SUBNET:
		case CLI_OPT_VPC:
			if ((ret = cli_extra_opt("explain", c, optarg, &req->extra)))
				return ret;
			break;
		case 'v': nacl_verbose = 1; break;
		case 'p':
			if (cli_parse_protocol(optarg, &a->proto))
				return nacl_usage_error("explain",
					"--protocol '%s': expected tcp, udp, icmp, icmpv6 or 0..255",
					optarg);
			break;
		case 'h':
			fputs(explain_usage, stdout);
			return -1;
		default:
			return NACL_EXIT_INVALID;
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("explain", "expected one RULES file");
	req->path = argv[optind];
	return NACL_EXIT_OK;
}

/* --direction, --protocol, --src and --dst into req->p.  Exit status. */
static int explain_addrs(const struct explain_args *a, struct explain_req *req)
{
	struct cli_endpoint src, dst;

	if (!a->dir)
		return nacl_usage_error("explain", "--direction is required");
	if (cli_parse_direction(a->dir, &req->p.dir))
		return nacl_usage_error("explain", "--direction '%s': expected ingress or egress",
					a->dir);
	if (a->proto == -2)
		return nacl_usage_error("explain", "--protocol is required");
	if (!a->src || !a->dst)
		return nacl_usage_error("explain", "--src and --dst are required");
	if (cli_parse_endpoint(a->src, &src))
		return nacl_usage_error("explain",
			"--src '%s': expected ADDR, ADDR:PORT or [IPV6]:PORT", a->src);
	if (cli_parse_endpoint(a->dst, &dst))
		return nacl_usage_error("explain",
			"--dst '%s': expected ADDR, ADDR:PORT or [IPV6]:PORT", a->dst);
	if (src.family != dst.family)
		return nacl_usage_error("explain", "--src and --dst must both be IPv4 or both IPv6");
	req->p.family = src.family;
	req->p.protocol = (uint8_t)a->proto;
	memcpy(req->p.src, src.addr, 16);
	memcpy(req->p.dst, dst.addr, 16);
	req->p.src_port = src.port;
	req->p.dst_port = dst.port;
	req->has_sport = src.has_port;
	req->has_dport = dst.has_port;
	return NACL_EXIT_OK;
}

/* Ports and ICMP type/code: what the protocol needs, and only that. */
static int explain_l4(const struct explain_args *a, struct explain_req *req)
{
	struct nacl_packet *p = &req->p;
	bool ported = p->protocol == NACLEMU_PROTO_TCP || p->protocol == NACLEMU_PROTO_UDP;
	bool icmped = p->protocol == NACLEMU_PROTO_ICMP || p->protocol == NACLEMU_PROTO_ICMPV6;
	char pbuf[8];

	p->l4_known = !a->later;
	if (a->later) {
		/* Ports and type unknown: nothing to check. */
	} else if (ported && (!req->has_sport || !req->has_dport)) {
		return nacl_usage_error("explain", "%s needs ports: --src ADDR:PORT --dst ADDR:PORT",
					nacl_proto_name(p->protocol, pbuf));
	} else if (icmped) {
		req->any_icmp = !a->icmp;
		if (a->icmp && cli_parse_icmp(a->icmp, &p->icmp_type, &p->icmp_code))
			return nacl_usage_error("explain",
				"--icmp '%s': expected TYPE/CODE, each 0..255", a->icmp);
	}
	if ((req->has_sport || req->has_dport) && !ported)
		return nacl_usage_error("explain", "%s has no ports",
					nacl_proto_name(p->protocol, pbuf));
	if (a->icmp && !icmped)
		return nacl_usage_error("explain", "--icmp applies to icmp and icmpv6 only");
	return NACL_EXIT_OK;
}

/* Options into @req; an exit status, or -1 after --help. */
static int explain_parse(int argc, char **argv, struct explain_req *req)
{
	struct explain_args a = { .proto = -2 };
	int exit = explain_opts(argc, argv, &a, req);

	if (!exit)
		exit = explain_addrs(&a, req);
	if (!exit)
		exit = explain_l4(&a, req);
	return exit;
}


/* "ADDR", "ADDR:PORT" or "[ADDR]:PORT" into @buf. */
static const char *endpoint_str(uint8_t family, const uint8_t *addr, bool has_port,
				uint16_t port, char buf[INET6_ADDRSTRLEN + 8])
{
	char a[INET6_ADDRSTRLEN];
	bool br = family == 6 && has_port;

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	snprintf(buf, INET6_ADDRSTRLEN + 8, "%s%s%s%s%.0u", br ? "[" : "", a, br ? "]" : "",
		 has_port ? ":" : "", has_port ? port : 0u);
	return buf;
}

static void text_packet(const struct explain_req *req)
{
	const struct nacl_packet *p = &req->p;
	char pbuf[8], s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];

	printf("packet:  %s %s %s -> %s", p->dir == NACLEMU_INGRESS ? "ingress" : "egress",
	       nacl_proto_name(p->protocol, pbuf),
	       endpoint_str(p->family, p->src, req->has_sport, p->src_port, s),
	       endpoint_str(p->family, p->dst, req->has_dport, p->dst_port, d));
	if (req->any_icmp)
		printf(" (any type and code)");
	else if ((p->protocol == NACLEMU_PROTO_ICMP || p->protocol == NACLEMU_PROTO_ICMPV6) &&
		 p->l4_known)
		printf(" type %u code %u", p->icmp_type, p->icmp_code);
	if (!p->l4_known)
		printf(" (later fragment, ports unknown)");
	printf("\n");
}

static void text_near_miss(const struct nacl_packet *p, const struct nacl_rule *r,
			   enum nacl_near_why why)
{
	char text[NACL_TEXT_LEN];

	nacl_rule_str(r, text);
	if (why == NACL_NEAR_L4_UNKNOWN)
		printf("note:    rule %u (%s) needs the port or ICMP type, "
		       "unknown in a later fragment\n", r->number, text);
	else if (why == NACL_NEAR_PORT)
		printf("note:    rule %u (%s) matches all but the destination port %u\n",
		       r->number, text, p->dst_port);
	else
		printf("note:    rule %u (%s) matches all but the ICMP type/code %u/%u\n",
		       r->number, text, p->icmp_type, p->icmp_code);
}

static void render_text(const struct explain_req *req, const struct nacl_ruleset *rs,
			const struct nacl_explanation *ex)
{
	const struct nacl_packet *p = &req->p;
	const struct nacl_verdict *v = &ex->verdict;
	char rbuf[32];

	text_packet(req);
	if (ex->exempt != NACL_NOT_EXEMPT) {
		printf("verdict: allowed: not filtered (%s), as in AWS\n", nacl_exempt_name(ex->exempt));
		return;
	}
	printf("verdict: %s by %s of the %s rules\n", v->allow ? "allowed" : "denied",
	       cli_verdict_rule(v, rbuf), nacl_dir_name(p->dir));
	if (v->index >= 0) {
		const struct nacl_rule *r = &rs->rules[p->dir][v->index];

		printf("rule:    %s", r->text);
		if (r->line)
			printf("    (%s:%u)", rs->path, r->line);
		printf("\n");
		return;
	}
	printf("rule:    * deny all (no %s %s rule matches this packet)\n", nacl_dir_name(p->dir),
	       p->family == 4 ? "IPv4" : "IPv6");
	for (size_t i = 0; i < ex->nnear; i++)
		text_near_miss(p, &rs->rules[p->dir][ex->near[i].index], ex->near[i].why);
}

/* "8/0", "3/0-3/15", "0/0-255/255" for a run of ICMP keys. */
static const char *icmp_keys(const struct nacl_icmp_run *r, char buf[24])
{
	if (r->from == r->to)
		snprintf(buf, 24, "%u/%u", r->from >> 8, r->from & 0xff);
	else
		snprintf(buf, 24, "%u/%u-%u/%u", r->from >> 8, r->from & 0xff, r->to >> 8,
			 r->to & 0xff);
	return buf;
}

/*
 * Without --icmp: one judgement for every type and code is the answer;
 * otherwise the types that decide differently, and --icmp is needed.
 * Returns an exit status, or -1 to go on with the one judgement.
 */
static int explain_any_icmp(struct explain_req *req, const struct nacl_ruleset *rs,
			    const struct nacl_extra *x)
{
	static struct nacl_icmp_run runs[NACL_MAX_ICMP_RUNS];
	size_t n = nacl_explain_icmp(rs, &req->p, x, runs);
	char keys[24], rbuf[32];

	if (n == 1)
		return -1;
	text_packet(req);
	for (size_t i = 0; i < n; i++) {
		if (runs[i].exempt != NACL_NOT_EXEMPT)
			printf("  %-13s allowed: not filtered (%s)\n", icmp_keys(&runs[i], keys),
			       nacl_exempt_name(runs[i].exempt));
		else
			printf("  %-13s %s by %s\n", icmp_keys(&runs[i], keys),
			       runs[i].verdict.allow ? "allowed" : "denied",
			       cli_verdict_rule(&runs[i].verdict, rbuf));
	}
	if (!n)
		printf("  (more than %d ranges of types and codes)\n", NACL_MAX_ICMP_RUNS);
	return nacl_usage_error("explain", "the verdict depends on the ICMP type and code (above): "
				"give --icmp TYPE/CODE");
}

int cmd_explain(int argc, char **argv)
{
	struct explain_req req = {};
	struct nacl_ruleset *rs = NULL;
	struct nacl_explanation ex;
	struct nacl_extra x;
	int exit;

	exit = explain_parse(argc, argv, &req);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = cli_read_rules(req.path, &req.select, &rs);
	if (exit)
		return exit;
	cli_extra_view(&req.extra, &x);
	if (req.any_icmp && (exit = explain_any_icmp(&req, rs, &x)) >= 0) {
		free(rs);
		return exit;
	}
	nacl_explain(rs, &req.p, &x, &ex);
	render_text(&req, rs, &ex);
	free(rs);
	if (ex.exempt != NACL_NOT_EXEMPT || ex.verdict.allow)
		return NACL_EXIT_OK;
	return NACL_EXIT_DENIED;
}
