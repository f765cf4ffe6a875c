// SPDX-License-Identifier: MIT
/*
 * cmd_offline.c - the commands that need no kernel: check, explain, flow.
 * All three read a rule file with nacl_parse_file() and answer with the
 * offline evaluator (eval.c) and its analyses (analyze.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "cli/cli.h"
#include "rules/model.h"
#include "rules/read.h"
#include "analysis/eval.h"
#include "rules/validate.h"

/* Parse the rule file or print its one-line error; NULL on failure. */
static struct nacl_ruleset *load_rules(const char *path,
				       const struct nacl_select *sel, int *exit)
{
	struct nacl_ruleset *rs = calloc(1, sizeof(*rs));
	char err[NACL_MSG_LEN];
	int ret;

	if (!rs) {
		pr_err("out of memory");
		*exit = NACL_EXIT_SYSTEM;
		return NULL;
	}
	ret = nacl_parse_file(path, sel, rs, err);
	if (ret) {
		pr_err("%s", err);
		free(rs);
		/* An unreadable file is the user's argument, not the system. */
		*exit = NACL_EXIT_INVALID;
		return NULL;
	}
	return rs;
}

static void print_warnings(const struct nacl_ruleset *rs)
{
	for (size_t i = 0; i < rs->nwarnings; i++)
		fprintf(stderr, "naclemu: warning: %s\n", rs->warnings[i]);
}

/* "rule 120" or "rule * (default)" for a verdict. */
static const char *verdict_rule(const struct nacl_verdict *v, char buf[32])
{
	if (v->index < 0)
		snprintf(buf, 32, "rule * (default, %u)", v->rule_number);
	else
		snprintf(buf, 32, "rule %u", v->rule_number);
	return buf;
}

/*
 * parse_endpoint() - "ADDR", "ADDR:PORT" (IPv4) or "[ADDR]:PORT" / "ADDR"
 * (IPv6).  Returns 0 with *family, addr (network order), *port (host order)
 * and *has_port set, or -EINVAL.
 */
static int parse_endpoint(const char *s, uint8_t *family, uint8_t addr[16],
			  uint16_t *port, bool *has_port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon = NULL, *end;
	uint32_t n;
	size_t len;

	memset(addr, 0, 16);
	*has_port = false;
	*port = 0;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end)
			return -EINVAL;
		len = (size_t)(end - s - 1);
		if (len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, len);
		host[len] = '\0';
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1])
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		/* Two colons or more: a bare IPv6 address, no port. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		len = colon ? (size_t)(colon - s) : strlen(s);
		if (len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, len);
		host[len] = '\0';
	}
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = 6;
	else
		return -EINVAL;
	if (s[0] == '[' && *family != 6)
		return -EINVAL;
	if (colon) {
		if (nacl_parse_u32(colon + 1, 65535, &n))
			return -EINVAL;
		*port = (uint16_t)n;
		*has_port = true;
	}
	return 0;
}

/* A packet's protocol: a name or number as in rule files, but not "all". */
static int parse_protocol(const char *s, int *proto)
{
	char msg[NACL_MSG_LEN];

	if (nacl_check_proto(s, proto, msg) || *proto == NACLEMU_PROTO_ALL)
		return -EINVAL;
	return 0;
}

/* ---- check ------------------------------------------------------------- */

static const char check_usage[] =
	"Usage: naclemu check RULES [--acl ID | --subnet-id ID] [--json]\n"
	"\n"
	"Validate a rule file (text format or AWS describe-network-acls JSON),\n"
	"print the normalised rules of each direction, then warnings: rules\n"
	"that are never reached, quotas, and which clients' ephemeral ports the\n"
	"rules leave closed to TCP responses.\n"
	"\n"
	"Options:\n"
	"  --acl ID        the NetworkAclId to read from a multi-ACL JSON file\n"
	"  --subnet-id ID  the ACL associated with this subnet\n"
	"  --json          one JSON document on stdout\n"
	"\n"
	"Exit status: 0 valid, 1 invalid (the error names FILE:LINE:COL).\n"
	"\n"
	"Example:\n"
	"  naclemu check examples/web-server.nacl\n"
	"  aws ec2 describe-network-acls > acls.json && naclemu check acls.json --acl acl-0abc\n";

/* One client OS's range judged for one peer: the closed runs of ports. */
struct eph_result {
	const struct nacl_client_os *os;
	size_t nclosed;
	struct nacl_port_seg closed[NACL_MAX_SEGS];
	uint64_t closed_ports;
};

static void ephemeral_judge(const struct nacl_ruleset *rs, enum naclemu_dir dir,
			    uint8_t family, const uint8_t *peer,
			    struct eph_result *res)
{
	static struct nacl_port_seg segs[NACL_MAX_SEGS];
	struct nacl_packet p = {
		.dir = dir,
		.family = family,
		.protocol = NACLEMU_PROTO_TCP,
		.l4_known = true,
	};
	size_t n;

	memcpy(dir == NACLEMU_INGRESS ? p.src : p.dst, peer, 16);
	n = nacl_port_segments(rs, &p, res->os->lo, res->os->hi, segs);
	res->nclosed = 0;
	res->closed_ports = 0;
	for (size_t i = 0; i < n; i++) {
		if (segs[i].verdict.allow)
			continue;
		res->closed[res->nclosed++] = segs[i];
		res->closed_ports += (uint64_t)segs[i].to - segs[i].from + 1;
	}
}

/*
 * The peers worth asking about in one direction and family: each distinct
 * CIDR of a TCP or all-protocol rule, represented by an address of it that
 * no more specific CIDR of the list holds.  With no such rule, the whole
 * address space.
 */
static size_t ephemeral_peers(const struct nacl_ruleset *rs, enum naclemu_dir dir,
			      uint8_t family, struct naclemu_cidr *peers,
			      uint8_t (*addrs)[16])
{
	const struct naclemu_cidr *list[NACL_MAX_RULES];
	size_t n = 0, np = 0;

	for (size_t i = 0; i < rs->count[dir]; i++) {
		const struct nacl_rule *r = &rs->rules[dir][i];

		if (r->cidr.family == family &&
		    (r->protocol == NACLEMU_PROTO_TCP ||
		     r->protocol == NACLEMU_PROTO_ALL))
			list[n++] = &r->cidr;
	}
	for (size_t i = 0; i < n; i++) {
		const struct naclemu_cidr *sub[NACL_MAX_RULES];
		size_t nsub = 0;
		bool dup = false;

		for (size_t k = 0; k < np && !dup; k++)
			dup = !memcmp(&peers[k], list[i], sizeof(*list[i]));
		if (dup)
			continue;
		for (size_t k = 0; k < n; k++)
			if (list[k]->prefix_len > list[i]->prefix_len)
				sub[nsub++] = list[k];
		if (!nacl_cidr_uncovered(list[i], sub, nsub, addrs[np]))
			continue;
		peers[np++] = *list[i];
	}
	if (np == 0) {
		memset(&peers[0], 0, sizeof(peers[0]));
		peers[0].family = family;
		memset(addrs[0], 0, 16);
		np = 1;
	}
	return np;
}

static bool family_used(const struct nacl_ruleset *rs, uint8_t family)
{
	for (int d = 0; d < NACLEMU_NDIRS; d++)
		for (size_t i = 0; i < rs->count[d]; i++)
			if (rs->rules[d][i].cidr.family == family)
				return true;
	return false;
}

/*
 * The table of client OSes against (direction, peer): "open", "closed" or
 * "58% closed".  Clients with the same range (elb, nat) share a column.
 */
static json_t *check_ephemeral(const struct nacl_ruleset *rs, bool text)
{
	static struct eph_result res;
	json_t *arr = json_array();

	if (text) {
		printf("\nephemeral ports: TCP responses to a client's ephemeral port\n");
		printf("  %-9s %-20s", "DIRECTION", "PEER");
		for (size_t o = 0; o < nacl_nclient_oses; o++) {
			const struct nacl_client_os *os = &nacl_client_oses[o];

			if (o && os->lo == os[-1].lo && os->hi == os[-1].hi)
				continue;
			char head[32];

			if (o + 1 < nacl_nclient_oses && os[1].lo == os->lo &&
			    os[1].hi == os->hi)
				snprintf(head, sizeof(head), "%s/%s", os->name, os[1].name);
			else
				snprintf(head, sizeof(head), "%s", os->name);
			printf(" %-13s", head);
		}
		printf("\n");
	}
	for (uint8_t family = 4; family <= 6; family += 2) {
		if (!family_used(rs, family))
			continue;
		for (int d = 0; d < NACLEMU_NDIRS; d++) {
			struct naclemu_cidr peers[NACL_MAX_RULES];
			uint8_t addrs[NACL_MAX_RULES][16];
			size_t np = ephemeral_peers(rs, d, family, peers, addrs);

			for (size_t k = 0; k < np; k++) {
				char cbuf[64];

				nacl_cidr_str(&peers[k], cbuf);
				if (text)
					printf("  %-9s %-20s", nacl_dir_name(d), cbuf);
				for (size_t o = 0; o < nacl_nclient_oses; o++) {
					const struct nacl_client_os *os = &nacl_client_oses[o];
					uint64_t size = (uint64_t)os->hi - os->lo + 1;
					json_t *closed = json_array();
					char range[16], pct[8], cell[16];

					res.os = os;
					ephemeral_judge(rs, d, family, addrs[k], &res);
					snprintf(range, sizeof(range), "%u-%u", os->lo, os->hi);
					if (!res.nclosed)
						snprintf(cell, sizeof(cell), "open");
					else if (res.closed_ports == size)
						snprintf(cell, sizeof(cell), "closed");
					else
						snprintf(cell, sizeof(cell), "%s%% closed",
							 nacl_percent(res.closed_ports, size, pct));
					if (text && !(o && os->lo == os[-1].lo && os->hi == os[-1].hi))
						printf(" %-13s", cell);
					for (size_t c = 0; c < res.nclosed; c++) {
						const struct nacl_port_seg *s = &res.closed[c];

						json_array_append_new(closed,
							json_pack("{s:i,s:i,s:i}",
								  "from", s->from, "to", s->to,
								  "rule", (int)s->verdict.rule_number));
					}
					json_array_append_new(arr, json_pack(
						"{s:s,s:i,s:s,s:s,s:s,s:b,s:o}",
						"direction", nacl_dir_name(d),
						"family", family, "peer", cbuf,
						"client", os->name, "range", range,
						"open", res.nclosed == 0, "closed", closed));
				}
				if (text)
					printf("\n");
			}
		}
	}
	if (text)
		printf("  (inbound: this subnet's clients get responses; outbound: clients\n"
		       "   that connect in get them.  'naclemu flow' names the rules.)\n");
	return arr;
}

static json_t *check_table(const struct nacl_ruleset *rs, enum naclemu_dir dir,
			   bool text)
{
	json_t *arr = json_array();
	char pbuf[8], portbuf[24], cbuf[64];

	if (text) {
		printf("%s%s\n", nacl_dir_name(dir),
		       rs->has_dir[dir] ? "" : " (no section: all denied)");
		printf("  %-6s %-6s %-8s %-12s %s\n", "RULE", "ACTION",
		       "PROTOCOL", "PORTS", "CIDR");
	}
	for (size_t i = 0; i < rs->count[dir]; i++) {
		const struct nacl_rule *r = &rs->rules[dir][i];

		if (text)
			printf("  %-6u %-6s %-8s %-12s %s\n", r->number,
			       r->allow ? "allow" : "deny",
			       nacl_proto_name(r->protocol, pbuf),
			       nacl_rule_ports(r, portbuf),
			       nacl_cidr_str(&r->cidr, cbuf));
		json_array_append_new(arr, json_pack(
			"{s:i,s:s,s:i,s:s,s:s,s:s,s:i,s:i}",
			"rule", r->number, "action", r->allow ? "allow" : "deny",
			"protocol", r->protocol, "protocol_name",
			nacl_proto_name(r->protocol, pbuf), "ports",
			nacl_rule_ports(r, portbuf), "cidr",
			nacl_cidr_str(&r->cidr, cbuf), "family", r->cidr.family,
			"line", r->line));
	}
	if (text) {
		printf("  %-6s %-6s %-8s %-12s %s\n", "*", "deny", "all", "all",
		       "0.0.0.0/0");
		printf("  %-6s %-6s %-8s %-12s %s\n", "*", "deny", "all", "all",
		       "::/0");
	}
	return arr;
}

/* Add the shadowed-rule warnings to the rule set's own. */
static json_t *check_shadowed(struct nacl_ruleset *rs)
{
	json_t *arr = json_array();

	for (int d = 0; d < NACLEMU_NDIRS; d++) {
		for (size_t i = 0; i < rs->count[d]; i++) {
			const struct nacl_rule *r = &rs->rules[d][i];
			size_t by[NACL_MAX_RULES], nby;
			char list[256] = "";
			size_t off = 0;
			json_t *jby;

			if (!nacl_shadowed(rs, d, i, by, NACL_MAX_RULES, &nby))
				continue;
			jby = json_array();
			for (size_t k = 0; k < nby && off < sizeof(list); k++) {
				off += (size_t)snprintf(list + off, sizeof(list) - off,
						"%s%u", k ? ", " : "",
						rs->rules[d][by[k]].number);
				json_array_append_new(jby,
					json_integer(rs->rules[d][by[k]].number));
			}
			nacl_warn(rs, r->line, r->col,
				  "%s rule %u is never reached: rule%s %s before it match%s all it matches",
				  nacl_dir_name(d), r->number, nby > 1 ? "s" : "",
				  list, nby > 1 ? "" : "es");
			json_array_append_new(arr, json_pack("{s:s,s:i,s:o}",
				"direction", nacl_dir_name(d), "rule", r->number,
				"by", jby));
		}
	}
	return arr;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "acl", required_argument, NULL, 'a' },
		{ "subnet-id", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct nacl_select sel = {};
	struct nacl_ruleset *rs;
	bool json = false;
	json_t *doc, *shadowed, *eph;
	int c, exit = NACL_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			sel.acl_id = optarg;
			break;
		case 's':
			sel.subnet_id = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(check_usage, stdout);
			return NACL_EXIT_OK;
		default:
			return nacl_usage_error("check", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("check", "expected one RULES file");
	rs = load_rules(argv[optind], &sel, &exit);
	if (!rs) {
		if (json)
			printf("{\"file\": \"%s\", \"valid\": false}\n", argv[optind]);
		return exit;
	}
	if (!json)
		printf("%s: valid%s%s%s\n\n", rs->path, rs->acl_id[0] ? " (" : "",
		       rs->acl_id, rs->acl_id[0] ? ")" : "");
	doc = json_pack("{s:s,s:s,s:b}", "file", rs->path, "acl_id", rs->acl_id,
			"valid", 1);
	json_object_set_new(doc, "inbound", check_table(rs, NACLEMU_INGRESS, !json));
	json_object_set_new(doc, "outbound", check_table(rs, NACLEMU_EGRESS, !json));
	shadowed = check_shadowed(rs);
	eph = check_ephemeral(rs, !json);
	json_object_set_new(doc, "shadowed", shadowed);
	json_object_set_new(doc, "ephemeral", eph);
	if (json) {
		json_t *w = json_array();

		for (size_t i = 0; i < rs->nwarnings; i++)
			json_array_append_new(w, json_string(rs->warnings[i]));
		json_object_set_new(doc, "warnings", w);
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
	} else if (rs->nwarnings) {
		printf("\nwarnings:\n");
		for (size_t i = 0; i < rs->nwarnings; i++)
			printf("  %s\n", rs->warnings[i]);
	}
	json_decref(doc);
	free(rs);
	return NACL_EXIT_OK;
}

/* ---- explain ----------------------------------------------------------- */

static const char explain_usage[] =
	"Usage: naclemu explain RULES --direction ingress|egress --protocol P\n"
	"                       --src ADDR[:PORT] --dst ADDR[:PORT]\n"
	"                       [--icmp TYPE/CODE] [--later-fragment] [--acl ID]\n"
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
	"  --icmp TYPE/CODE  for icmp and icmpv6\n"
	"  --later-fragment  a non-first fragment whose first was not seen\n"
	"  --acl ID          the NetworkAclId in a multi-ACL JSON file\n"
	"\n"
	"Exit status: 0 allowed, 3 denied, 1 invalid rules or arguments.\n"
	"\n"
	"Example (the response of an HTTPS server to a Linux client):\n"
	"  naclemu explain examples/quiz.nacl --direction egress --protocol tcp \\\n"
	"      --src 192.0.2.10:443 --dst 198.51.100.148:40312\n";

static const char *exempt_why(enum nacl_exempt_reason r)
{
	switch (r) {
	case NACL_EXEMPT_ND:
		return "IPv6 neighbour discovery";
	case NACL_EXEMPT_DHCP:
		return "DHCP";
	case NACL_EXEMPT_LINKLOCAL:
		return "an AWS link-local service (metadata, time or DNS)";
	default:
		return "exempt";
	}
}

/*
 * For a default deny, the rules that match the packet in all but its port
 * or ICMP type: the usual mistake (a response goes to the client's
 * ephemeral port, not to the server's).
 */
static void explain_near_misses(const struct nacl_ruleset *rs,
				const struct nacl_packet *p)
{
	const uint8_t *peer = p->dir == NACLEMU_INGRESS ? p->src : p->dst;

	for (size_t i = 0; i < rs->count[p->dir]; i++) {
		const struct nacl_rule *r = &rs->rules[p->dir][i];
		char text[NACL_TEXT_LEN];
		uint16_t lo, hi;

		if (r->cidr.family != p->family || r->protocol != p->protocol ||
		    !nacl_cidr_contains(&r->cidr, peer) ||
		    !nacl_rule_key_range(r, &lo, &hi))
			continue;
		nacl_rule_str(r, text);
		if (!p->l4_known)
			printf("note:    rule %u (%s) needs the port or ICMP type, "
			       "unknown in a later fragment\n", r->number, text);
		else if (r->protocol == NACLEMU_PROTO_TCP || r->protocol == NACLEMU_PROTO_UDP)
			printf("note:    rule %u (%s) matches all but the destination port "
			       "%u\n", r->number, text, p->dst_port);
		else
			printf("note:    rule %u (%s) matches all but the ICMP type/code %u/%u\n",
			       r->number, text, p->icmp_type, p->icmp_code);
	}
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "direction", required_argument, NULL, 'd' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 't' },
		{ "icmp", required_argument, NULL, 'i' },
		{ "later-fragment", no_argument, NULL, 'f' },
		{ "acl", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *src = NULL, *dst = NULL, *icmp = NULL, *dir = NULL;
	struct nacl_packet p = { .l4_known = true };
	struct nacl_select sel = {};
	bool has_sport, has_dport, later = false, ported, icmped;
	int c, proto = -2, exit = NACL_EXIT_OK;
	uint8_t sfam = 0, dfam = 0;
	struct nacl_ruleset *rs;
	struct nacl_verdict v;
	enum nacl_exempt_reason why;
	char pbuf[8], rbuf[32], saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'p':
			if (parse_protocol(optarg, &proto))
				return nacl_usage_error("explain",
					"--protocol '%s': expected tcp, udp, icmp, icmpv6 or 0..255",
					optarg);
			break;
		case 's':
			src = optarg;
			break;
		case 't':
			dst = optarg;
			break;
		case 'i':
			icmp = optarg;
			break;
		case 'f':
			later = true;
			break;
		case 'a':
			sel.acl_id = optarg;
			break;
		case 'h':
			fputs(explain_usage, stdout);
			return NACL_EXIT_OK;
		default:
			return nacl_usage_error("explain", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("explain", "expected one RULES file");
	if (!dir)
		return nacl_usage_error("explain", "--direction is required");
	if (!strcmp(dir, "ingress") || !strcmp(dir, "inbound"))
		p.dir = NACLEMU_INGRESS;
	else if (!strcmp(dir, "egress") || !strcmp(dir, "outbound"))
		p.dir = NACLEMU_EGRESS;
	else
		return nacl_usage_error("explain",
			"--direction '%s': expected ingress or egress", dir);
	if (proto == -2)
		return nacl_usage_error("explain", "--protocol is required");
	if (!src || !dst)
		return nacl_usage_error("explain", "--src and --dst are required");
	if (parse_endpoint(src, &sfam, p.src, &p.src_port, &has_sport))
		return nacl_usage_error("explain",
			"--src '%s': expected ADDR, ADDR:PORT or [IPV6]:PORT", src);
	if (parse_endpoint(dst, &dfam, p.dst, &p.dst_port, &has_dport))
		return nacl_usage_error("explain",
			"--dst '%s': expected ADDR, ADDR:PORT or [IPV6]:PORT", dst);
	if (sfam != dfam)
		return nacl_usage_error("explain",
			"--src and --dst must both be IPv4 or both IPv6");
	p.family = sfam;
	p.protocol = (uint8_t)proto;
	ported = proto == NACLEMU_PROTO_TCP || proto == NACLEMU_PROTO_UDP;
	icmped = proto == NACLEMU_PROTO_ICMP || proto == NACLEMU_PROTO_ICMPV6;
	if (later) {
		p.l4_known = false;
	} else if (ported && (!has_sport || !has_dport)) {
		return nacl_usage_error("explain",
			"%s needs ports: --src ADDR:PORT --dst ADDR:PORT",
			nacl_proto_name(proto, pbuf));
	} else if (icmped) {
		uint32_t t, cd;
		char *slash;

		if (!icmp)
			return nacl_usage_error("explain",
				"%s needs --icmp TYPE/CODE", nacl_proto_name(proto, pbuf));
		slash = strchr(icmp, '/');
		if (!slash)
			return nacl_usage_error("explain",
				"--icmp '%s': expected TYPE/CODE, each 0..255", icmp);
		*slash = '\0';
		if (nacl_parse_u32(icmp, 255, &t) || nacl_parse_u32(slash + 1, 255, &cd)) {
			*slash = '/';
			return nacl_usage_error("explain",
				"--icmp '%s': expected TYPE/CODE, each 0..255", icmp);
		}
		p.icmp_type = (uint8_t)t;
		p.icmp_code = (uint8_t)cd;
	}
	if ((has_sport || has_dport) && !ported)
		return nacl_usage_error("explain", "%s has no ports",
					nacl_proto_name(proto, pbuf));
	if (icmp && !icmped)
		return nacl_usage_error("explain", "--icmp applies to icmp and icmpv6 only");

	rs = load_rules(argv[optind], &sel, &exit);
	if (!rs)
		return exit;
	print_warnings(rs);

	inet_ntop(p.family == 4 ? AF_INET : AF_INET6, p.src, saddr, sizeof(saddr));
	inet_ntop(p.family == 4 ? AF_INET : AF_INET6, p.dst, daddr, sizeof(daddr));
	printf("packet:  %s %s %s%s%s%s%.0u -> %s%s%s%s%.0u",
	       p.dir == NACLEMU_INGRESS ? "ingress" : "egress",
	       nacl_proto_name(proto, pbuf), p.family == 6 && has_sport ? "[" : "",
	       saddr, p.family == 6 && has_sport ? "]" : "",
	       has_sport ? ":" : "", has_sport ? p.src_port : 0u,
	       p.family == 6 && has_dport ? "[" : "", daddr,
	       p.family == 6 && has_dport ? "]" : "", has_dport ? ":" : "",
	       has_dport ? p.dst_port : 0u);
	if (icmped && !later)
		printf(" type %u code %u", p.icmp_type, p.icmp_code);
	if (later)
		printf(" (later fragment, ports unknown)");
	printf("\n");

	why = nacl_exempt(&p, NULL, 0, NULL, 0);
	if (why != NACL_NOT_EXEMPT) {
		printf("verdict: allowed: not filtered (%s), as in AWS\n",
		       exempt_why(why));
		free(rs);
		return NACL_EXIT_OK;
	}
	v = nacl_evaluate(rs, &p);
	printf("verdict: %s by %s of the %s rules\n",
	       v.allow ? "allowed" : "denied", verdict_rule(&v, rbuf),
	       nacl_dir_name(p.dir));
	if (v.index >= 0) {
		const struct nacl_rule *r = &rs->rules[p.dir][v.index];

		printf("rule:    %s", r->text);
		if (r->line)
			printf("    (%s:%u)", rs->path, r->line);
		printf("\n");
	} else {
		printf("rule:    * deny all (no %s %s rule matches this packet)\n",
		       nacl_dir_name(p.dir), p.family == 4 ? "IPv4" : "IPv6");
		explain_near_misses(rs, &p);
	}
	free(rs);
	return v.allow ? NACL_EXIT_OK : NACL_EXIT_DENIED;
}

/* ---- flow -------------------------------------------------------------- */

static const char flow_usage[] =
	"Usage: naclemu flow RULES --client ADDR --server ADDR:PORT\n"
	"                    [--protocol tcp|udp] [--nacl-on server|client]\n"
	"                    [--client-os linux|windows|macos|elb|nat | --ephemeral LO-HI]\n"
	"                    [--acl ID]\n"
	"\n"
	"Judge a whole connection: the request to the server's port, and the\n"
	"response to every port of the client's ephemeral range, with the NACL\n"
	"on the server's subnet (default) or the client's.  Reports, per leg,\n"
	"the deciding rules and the share of connections that fail.\n"
	"\n"
	"Ephemeral ranges: linux 32768-60999 (default), windows and macos\n"
	"49152-65535, elb and nat 1024-65535.\n"
	"\n"
	"Exit status: 0 when every connection gets through both legs, 3 when\n"
	"some fail, 1 invalid rules or arguments.\n"
	"\n"
	"Example:\n"
	"  naclemu flow examples/docker-ephemeral.nacl \\\n"
	"      --client 192.0.2.10 --server 198.51.100.20:10001\n";

static void print_segments(const struct nacl_port_seg *segs, size_t n)
{
	char rbuf[32];

	for (size_t i = 0; i < n; i++) {
		const struct nacl_port_seg *s = &segs[i];

		if (s->from == s->to)
			printf("%sport %u", i ? ", " : "", s->from);
		else
			printf("%sports %u-%u", i ? ", " : "", s->from, s->to);
		printf(" %s by %s", s->verdict.allow ? "allowed" : "denied",
		       verdict_rule(&s->verdict, rbuf));
	}
}

int cmd_flow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "client", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 's' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "nacl-on", required_argument, NULL, 'n' },
		{ "client-os", required_argument, NULL, 'o' },
		{ "ephemeral", required_argument, NULL, 'e' },
		{ "acl", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct nacl_port_seg segs[NACL_MAX_SEGS];
	const struct nacl_client_os *os = nacl_client_os_find("linux");
	const char *client = NULL, *server = NULL, *eph = NULL, *osname = NULL;
	struct nacl_packet req = { .l4_known = true }, resp;
	struct nacl_select sel = {};
	bool on_server = true, has_port;
	int c, proto = NACLEMU_PROTO_TCP, exit = NACL_EXIT_OK;
	uint16_t lo, hi, cport;
	uint64_t total, failed = 0;
	uint8_t cfam = 0, sfam = 0;
	struct nacl_ruleset *rs;
	struct nacl_verdict rv;
	size_t nsegs;
	char pbuf[8], rbuf[32], pct[8], who[64];
	char caddr[INET6_ADDRSTRLEN], saddr[INET6_ADDRSTRLEN];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			client = optarg;
			break;
		case 's':
			server = optarg;
			break;
		case 'p':
			if (!strcmp(optarg, "tcp"))
				proto = NACLEMU_PROTO_TCP;
			else if (!strcmp(optarg, "udp"))
				proto = NACLEMU_PROTO_UDP;
			else
				return nacl_usage_error("flow",
					"--protocol '%s': expected tcp or udp", optarg);
			break;
		case 'n':
			if (!strcmp(optarg, "server"))
				on_server = true;
			else if (!strcmp(optarg, "client"))
				on_server = false;
			else
				return nacl_usage_error("flow",
					"--nacl-on '%s': expected server or client", optarg);
			break;
		case 'o':
			osname = optarg;
			os = nacl_client_os_find(optarg);
			if (!os)
				return nacl_usage_error("flow",
					"--client-os '%s': expected linux, windows, macos, elb or nat",
					optarg);
			break;
		case 'e':
			eph = optarg;
			break;
		case 'a':
			sel.acl_id = optarg;
			break;
		case 'h':
			fputs(flow_usage, stdout);
			return NACL_EXIT_OK;
		default:
			return nacl_usage_error("flow", "invalid option");
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("flow", "expected one RULES file");
	if (!client || !server)
		return nacl_usage_error("flow", "--client and --server are required");
	if (eph && osname)
		return nacl_usage_error("flow", "--client-os and --ephemeral exclude each other");
	lo = os->lo;
	hi = os->hi;
	if (eph) {
		char buf[16], *dash;
		uint32_t a, b;

		snprintf(buf, sizeof(buf), "%s", eph);
		dash = strchr(buf, '-');
		if (!dash || strlen(eph) >= sizeof(buf))
			return nacl_usage_error("flow",
				"--ephemeral '%s': expected LO-HI, 1..65535", eph);
		*dash = '\0';
		if (nacl_parse_u32(buf, 65535, &a) || nacl_parse_u32(dash + 1, 65535, &b) ||
		    a == 0 || a > b)
			return nacl_usage_error("flow",
				"--ephemeral '%s': expected LO-HI, 1..65535, LO <= HI", eph);
		lo = (uint16_t)a;
		hi = (uint16_t)b;
	}
	if (parse_endpoint(client, &cfam, req.src, &cport, &has_port) || has_port)
		return nacl_usage_error("flow", "--client '%s': expected an address", client);
	if (parse_endpoint(server, &sfam, req.dst, &req.dst_port, &has_port) || !has_port)
		return nacl_usage_error("flow",
			"--server '%s': expected ADDR:PORT or [IPV6]:PORT", server);
	if (cfam != sfam)
		return nacl_usage_error("flow",
			"--client and --server must both be IPv4 or both IPv6");

	rs = load_rules(argv[optind], &sel, &exit);
	if (!rs)
		return exit;
	print_warnings(rs);

	req.family = cfam;
	req.protocol = (uint8_t)proto;
	req.src_port = lo;
	req.dir = on_server ? NACLEMU_INGRESS : NACLEMU_EGRESS;
	resp = req;
	memcpy(resp.src, req.dst, 16);
	memcpy(resp.dst, req.src, 16);
	resp.src_port = req.dst_port;
	resp.dir = on_server ? NACLEMU_EGRESS : NACLEMU_INGRESS;

	inet_ntop(cfam == 4 ? AF_INET : AF_INET6, req.src, caddr, sizeof(caddr));
	inet_ntop(cfam == 4 ? AF_INET : AF_INET6, req.dst, saddr, sizeof(saddr));
	printf("flow:     %s %s -> %s%s%s:%u, NACL on the %s's subnet, %s client (ephemeral %u-%u)\n",
	       nacl_proto_name(proto, pbuf), caddr, cfam == 6 ? "[" : "", saddr,
	       cfam == 6 ? "]" : "", req.dst_port,
	       on_server ? "server" : "client", eph ? "a" : os->name, lo, hi);

	total = (uint64_t)hi - lo + 1;
	rv = nacl_evaluate(rs, &req);
	printf("request:  %s, to port %u: %s by %s\n", nacl_dir_name(req.dir),
	       req.dst_port, rv.allow ? "allowed" : "denied",
	       verdict_rule(&rv, rbuf));

	nsegs = nacl_port_segments(rs, &resp, lo, hi, segs);
	printf("response: %s, to ports %u-%u: ", nacl_dir_name(resp.dir), lo, hi);
	print_segments(segs, nsegs);
	printf("\n");
	for (size_t i = 0; i < nsegs; i++)
		if (!segs[i].verdict.allow)
			failed += (uint64_t)segs[i].to - segs[i].from + 1;
	if (!rv.allow)
		failed = total;

	if (eph)
		snprintf(who, sizeof(who), "a client with ephemeral ports %u-%u", lo, hi);
	else
		snprintf(who, sizeof(who), "%s %s client",
			 strchr("aeiou", os->name[0]) ? "an" : "a", os->name);
	if (failed == 0) {
		printf("verdict:  every connection from %s gets through\n", who);
	} else if (!rv.allow) {
		printf("verdict:  the request is denied: %s fails 100%% of connections\n", who);
	} else if (failed == total) {
		printf("verdict:  the response is denied on every ephemeral port: "
		       "%s fails 100%% of connections\n", who);
	} else {
		printf("verdict:  response allowed for ");
		for (size_t i = 0, k = 0; i < nsegs; i++) {
			if (!segs[i].verdict.allow)
				continue;
			printf("%s%u-%u", k++ ? ", " : "ports ", segs[i].from, segs[i].to);
		}
		printf(" only: %s fails %s%% of connections\n", who,
		       nacl_percent(failed, total, pct));
	}
	free(rs);
	return failed ? NACL_EXIT_DENIED : NACL_EXIT_OK;
}
