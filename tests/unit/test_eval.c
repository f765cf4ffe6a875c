// SPDX-License-Identifier: MIT
/*
 * test_eval.c - the offline evaluator and its analyses, table-driven: one
 * case per semantic rule of docs/semantics.md section 1 (a rule set, a packet, the
 * expected verdict and deciding rule), then shadowing and port ranges.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/analysis.h"
#include "rules/model.h"
#include "rules/read.h"
#include "analysis/eval.h"

static struct nacl_ruleset *parse(const char *text)
{
	static struct nacl_ruleset rs;
	char err[NACL_MSG_LEN] = "";
	int ret = nacl_parse_text("t.nacl", text, strlen(text), &rs, err);

	if (ret)
		fail_msg("rules do not parse: %s", err);
	return &rs;
}

/* "in tcp 192.0.2.1:1234 198.51.100.1:80": dir proto src[:port] dst[:port] */
struct evcase {
	const char *name;
	const char *rules;
	const char *dir;   /* "in" or "out" */
	int proto;
	const char *src, *dst;
	int sport, dport;  /* -1: unknown (later fragment) */
	int icmp_type, icmp_code;
	bool allow;
	unsigned int rule;
};

static void make_packet(const struct evcase *c, struct nacl_packet *p)
{
	memset(p, 0, sizeof(*p));
	p->dir = !strcmp(c->dir, "in") ? NACLEMU_INGRESS : NACLEMU_EGRESS;
	p->family = strchr(c->src, ':') ? 6 : 4;
	p->protocol = (uint8_t)c->proto;
	assert_int_equal(inet_pton(p->family == 4 ? AF_INET : AF_INET6, c->src, p->src), 1);
	assert_int_equal(inet_pton(p->family == 4 ? AF_INET : AF_INET6, c->dst, p->dst), 1);
	p->l4_known = c->dport >= 0;
	p->src_port = (uint16_t)(c->sport < 0 ? 0 : c->sport);
	p->dst_port = (uint16_t)(c->dport < 0 ? 0 : c->dport);
	p->icmp_type = (uint8_t)c->icmp_type;
	p->icmp_code = (uint8_t)c->icmp_code;
}

#define WEB "inbound\n 100 allow tcp 80 0.0.0.0/0\n 200 allow tcp 1024-65535 198.51.100.0/24\n" \
	    "outbound\n 100 allow tcp 1024-65535 0.0.0.0/0\n"

static const struct evcase cases[] = {
	/* First match wins, lowest number first whatever the file order. */
	{ "first match: deny before allow", "inbound\n 100 deny tcp 80 192.0.2.0/24\n 200 allow tcp 80 0.0.0.0/0\n",
	  "in", 6, "192.0.2.9", "198.51.100.1", 4000, 80, 0, 0, false, 100 },
	{ "first match: allow when deny misses", "inbound\n 100 deny tcp 80 192.0.2.0/24\n 200 allow tcp 80 0.0.0.0/0\n",
	  "in", 6, "203.0.113.9", "198.51.100.1", 4000, 80, 0, 0, true, 200 },
	{ "lowest number first, whatever the order", "inbound\n 200 allow all - 0.0.0.0/0\n 100 deny all - 0.0.0.0/0\n",
	  "in", 6, "203.0.113.9", "198.51.100.1", 4000, 80, 0, 0, false, 100 },
	/* The implicit default deny. */
	{ "default deny IPv4 is 32767", WEB, "in", 6, "203.0.113.9", "198.51.100.1", 4000, 22, 0, 0, false, 32767 },
	{ "default deny IPv6 is 32768", WEB, "in", 6, "2001:db8::9", "2001:db8:1::1", 4000, 80, 0, 0, false, 32768 },
	{ "missing direction denies all", "inbound\n 100 allow all - 0.0.0.0/0\n",
	  "out", 17, "198.51.100.1", "203.0.113.9", 53, 53, 0, 0, false, 32767 },
	/* One family per rule. */
	{ "IPv4 rule never matches IPv6", "inbound\n 100 allow all - 0.0.0.0/0\n",
	  "in", 6, "2001:db8::1", "2001:db8::2", 1, 80, 0, 0, false, 32768 },
	{ "IPv6 rule never matches IPv4", "inbound\n 100 allow all - ::/0\n",
	  "in", 6, "192.0.2.1", "198.51.100.1", 1, 80, 0, 0, false, 32767 },
	{ "IPv6 rule matches IPv6", "inbound\n 100 allow tcp 443 2001:db8::/32\n",
	  "in", 6, "2001:db8:ffff::1", "2001:db8::2", 50000, 443, 0, 0, true, 100 },
	/* Inbound: source address; outbound: destination address. */
	{ "inbound matches the source", "inbound\n 100 allow all - 192.0.2.0/24\n",
	  "in", 6, "192.0.2.5", "203.0.113.1", 1, 80, 0, 0, true, 100 },
	{ "inbound ignores the destination", "inbound\n 100 allow all - 192.0.2.0/24\n",
	  "in", 6, "203.0.113.1", "192.0.2.5", 1, 80, 0, 0, false, 32767 },
	{ "outbound matches the destination", "outbound\n 100 allow all - 192.0.2.0/24\n",
	  "out", 6, "203.0.113.1", "192.0.2.5", 1, 80, 0, 0, true, 100 },
	{ "outbound ignores the source", "outbound\n 100 allow all - 192.0.2.0/24\n",
	  "out", 6, "192.0.2.5", "203.0.113.1", 1, 80, 0, 0, false, 32767 },
	/* Ports: the destination port, in both directions. */
	{ "inbound port is the destination port", "inbound\n 100 allow tcp 80 0.0.0.0/0\n",
	  "in", 6, "192.0.2.1", "198.51.100.1", 80, 40000, 0, 0, false, 32767 },
	{ "outbound port is the destination port", "outbound\n 100 allow tcp 443 0.0.0.0/0\n",
	  "out", 6, "198.51.100.1", "192.0.2.1", 443, 40312, 0, 0, false, 32767 },
	{ "port range low end", WEB, "out", 6, "198.51.100.1", "192.0.2.1", 80, 1024, 0, 0, true, 100 },
	{ "port range below", WEB, "out", 6, "198.51.100.1", "192.0.2.1", 80, 1023, 0, 0, false, 32767 },
	{ "port range high end", WEB, "out", 6, "198.51.100.1", "192.0.2.1", 80, 65535, 0, 0, true, 100 },
	{ "udp is not tcp", WEB, "out", 17, "198.51.100.1", "192.0.2.1", 80, 5000, 0, 0, false, 32767 },
	{ "udp rule matches udp", "outbound\n 100 allow udp 53 0.0.0.0/0\n",
	  "out", 17, "198.51.100.1", "192.0.2.1", 5000, 53, 0, 0, true, 100 },
	/* CIDR edges. */
	{ "CIDR first address", WEB, "in", 6, "198.51.100.0", "192.0.2.1", 80, 2000, 0, 0, true, 200 },
	{ "CIDR last address", WEB, "in", 6, "198.51.100.255", "192.0.2.1", 80, 2000, 0, 0, true, 200 },
	{ "CIDR just above", WEB, "in", 6, "198.51.101.0", "192.0.2.1", 80, 2000, 0, 0, false, 32767 },
	{ "CIDR just below", WEB, "in", 6, "198.51.99.255", "192.0.2.1", 80, 2000, 0, 0, false, 32767 },
	{ "/32 host", "inbound\n 100 allow all - 192.0.2.7/32\n", "in", 1, "192.0.2.7", "198.51.100.1", 0, 0, 8, 0, true, 100 },
	{ "/32 neighbour", "inbound\n 100 allow all - 192.0.2.7/32\n", "in", 1, "192.0.2.6", "198.51.100.1", 0, 0, 8, 0, false, 32767 },
	{ "IPv6 /64 edge", "inbound\n 100 allow all - 2001:db8:0:1::/64\n",
	  "in", 17, "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8::1", 1, 1, 0, 0, true, 100 },
	{ "IPv6 /64 next", "inbound\n 100 allow all - 2001:db8:0:1::/64\n",
	  "in", 17, "2001:db8:0:2::", "2001:db8::1", 1, 1, 0, 0, false, 32768 },
	/* ICMP type/code. */
	{ "icmp type/code exact", "inbound\n 100 allow icmp 3/4 0.0.0.0/0\n", "in", 1, "192.0.2.1", "198.51.100.1", 0, 0, 3, 4, true, 100 },
	{ "icmp other code", "inbound\n 100 allow icmp 3/4 0.0.0.0/0\n", "in", 1, "192.0.2.1", "198.51.100.1", 0, 0, 3, 3, false, 32767 },
	{ "icmp type, any code", "inbound\n 100 allow icmp 3 0.0.0.0/0\n", "in", 1, "192.0.2.1", "198.51.100.1", 0, 0, 3, 13, true, 100 },
	{ "icmp type, other type", "inbound\n 100 allow icmp 3 0.0.0.0/0\n", "in", 1, "192.0.2.1", "198.51.100.1", 0, 0, 8, 0, false, 32767 },
	{ "icmp all", "inbound\n 100 allow icmp all 0.0.0.0/0\n", "in", 1, "192.0.2.1", "198.51.100.1", 0, 0, 255, 255, true, 100 },
	{ "icmp rule is not tcp", "inbound\n 100 allow icmp all 0.0.0.0/0\n", "in", 6, "192.0.2.1", "198.51.100.1", 1, 80, 0, 0, false, 32767 },
	{ "icmpv6 echo request by type", "inbound\n 100 allow icmpv6 128 ::/0\n", "in", 58, "2001:db8::1", "2001:db8::2", 0, 0, 128, 0, true, 100 },
	{ "icmpv6 echo reply not allowed", "inbound\n 100 allow icmpv6 128 ::/0\n", "in", 58, "2001:db8::1", "2001:db8::2", 0, 0, 129, 0, false, 32768 },
	{ "protocol 58 in an IPv4 rule: all types", "inbound\n 100 allow icmpv6 all 0.0.0.0/0\n",
	  "in", 58, "192.0.2.1", "198.51.100.1", 0, 0, 77, 1, true, 100 },
	/* Protocol -1 and other protocols. */
	{ "all matches ESP", "inbound\n 100 allow all - 0.0.0.0/0\n", "in", 50, "192.0.2.1", "198.51.100.1", 0, 0, 0, 0, true, 100 },
	{ "protocol by number", "inbound\n 100 allow 50 - 0.0.0.0/0\n", "in", 50, "192.0.2.1", "198.51.100.1", 0, 0, 0, 0, true, 100 },
	{ "protocol by number, other protocol", "inbound\n 100 allow 50 - 0.0.0.0/0\n", "in", 51, "192.0.2.1", "198.51.100.1", 0, 0, 0, 0, false, 32767 },
	{ "protocol 6 by number is tcp", "inbound\n 100 allow 6 80 0.0.0.0/0\n", "in", 6, "192.0.2.1", "198.51.100.1", 1, 80, 0, 0, true, 100 },
	/* Non-first fragments: ports unknown. */
	{ "fragment: port rule cannot match", "inbound\n 100 allow tcp 80 0.0.0.0/0\n",
	  "in", 6, "192.0.2.1", "198.51.100.1", -1, -1, 0, 0, false, 32767 },
	{ "fragment: deny with ports cannot match either", "inbound\n 100 deny tcp 80 0.0.0.0/0\n 200 allow all - 0.0.0.0/0\n",
	  "in", 6, "192.0.2.1", "198.51.100.1", -1, -1, 0, 0, true, 200 },
	{ "fragment: tcp all ports matches", "inbound\n 100 allow tcp all 0.0.0.0/0\n",
	  "in", 6, "192.0.2.1", "198.51.100.1", -1, -1, 0, 0, true, 100 },
	{ "fragment: icmp type cannot match", "inbound\n 100 allow icmp 8 0.0.0.0/0\n",
	  "in", 1, "192.0.2.1", "198.51.100.1", -1, -1, 0, 0, false, 32767 },
	{ "fragment: icmp all matches", "inbound\n 100 allow icmp all 0.0.0.0/0\n",
	  "in", 1, "192.0.2.1", "198.51.100.1", -1, -1, 0, 0, true, 100 },
};

static void test_evaluate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct evcase *c = &cases[i];
		struct nacl_ruleset *rs = parse(c->rules);
		struct nacl_packet p;
		struct nacl_verdict v;

		make_packet(c, &p);
		v = nacl_evaluate(rs, &p);
		if (v.allow != c->allow || v.rule_number != c->rule)
			fail_msg("case '%s': got %s by %u, want %s by %u", c->name,
				 v.allow ? "allow" : "deny", v.rule_number,
				 c->allow ? "allow" : "deny", c->rule);
	}
}

struct excase {
	const char *name;
	const char *dir;
	int proto;
	const char *src, *dst;
	int dport, icmp_type;
	enum nacl_exempt_reason want;
};

static const struct excase excases[] = {
	{ "neighbour solicitation", "in", 58, "fe80::1", "ff02::1:ff00:1", 0, 135, NACL_EXEMPT_ND },
	{ "router solicitation 133", "out", 58, "fe80::1", "ff02::2", 0, 133, NACL_EXEMPT_ND },
	{ "redirect 137", "in", 58, "fe80::1", "fe80::2", 0, 137, NACL_EXEMPT_ND },
	{ "132 is not ND", "in", 58, "2001:db8::1", "2001:db8::2", 0, 132, NACL_NOT_EXEMPT },
	{ "138 is not ND", "in", 58, "2001:db8::1", "2001:db8::2", 0, 138, NACL_NOT_EXEMPT },
	{ "echo request is not ND", "in", 58, "2001:db8::1", "2001:db8::2", 0, 128, NACL_NOT_EXEMPT },
	{ "DHCP to server", "out", 17, "0.0.0.0", "255.255.255.255", 67, 0, NACL_EXEMPT_DHCP },
	{ "DHCP to client", "in", 17, "192.0.2.1", "192.0.2.50", 68, 0, NACL_EXEMPT_DHCP },
	{ "tcp 67 is not DHCP", "in", 6, "192.0.2.1", "192.0.2.50", 67, 0, NACL_NOT_EXEMPT },
	{ "DHCPv6 547", "out", 17, "fe80::1", "ff02::1:2", 547, 0, NACL_EXEMPT_DHCP },
	{ "DHCPv6 546", "in", 17, "fe80::2", "fe80::1", 546, 0, NACL_EXEMPT_DHCP },
	{ "MLD report", "out", 58, "fe80::1", "ff02::16", 0, 143, NACL_EXEMPT_LINKSCOPE },
	{ "to ff02::1 from a global address", "out", 17, "2001:db8::1", "ff02::1", 9, 0, NACL_EXEMPT_LINKSCOPE },
	{ "fe80:: to fe80::", "in", 6, "fe80::1", "fe80::2", 22, 0, NACL_EXEMPT_LINKSCOPE },
	{ "fe80:: to a global address", "in", 6, "fe80::1", "2001:db8::2", 22, 0, NACL_NOT_EXEMPT },
	{ "ff05:: is not link scope", "out", 17, "2001:db8::1", "ff05::2", 9, 0, NACL_NOT_EXEMPT },
	{ "IGMP to 224.0.0.22", "out", 2, "192.0.2.50", "224.0.0.22", 0, 0, NACL_EXEMPT_LINKSCOPE },
	{ "224.0.1.1 is not link scope", "out", 17, "192.0.2.50", "224.0.1.1", 9, 0, NACL_NOT_EXEMPT },
	{ "DNS to the Resolver", "out", 17, "192.0.2.50", "203.0.113.2", 53, 0, NACL_EXEMPT_RESOLVER },
	{ "TCP DNS to the Resolver", "out", 6, "192.0.2.50", "203.0.113.2", 53, 0, NACL_EXEMPT_RESOLVER },
	{ "not DNS to the Resolver", "out", 17, "192.0.2.50", "203.0.113.2", 123, 0, NACL_NOT_EXEMPT },
	{ "DNS to base + 3", "out", 17, "192.0.2.50", "203.0.113.3", 53, 0, NACL_NOT_EXEMPT },
	{ "IPv6 DNS to the Resolver's bytes", "out", 17, "2001:db8::5", "cb00:7102::", 53, 0, NACL_NOT_EXEMPT },
	{ "DHCPv6 ports are not IPv4 DHCP", "in", 17, "192.0.2.1", "192.0.2.2", 547, 0, NACL_NOT_EXEMPT },
	{ "metadata egress", "out", 6, "192.0.2.50", "169.254.169.254", 80, 0, NACL_EXEMPT_LINKLOCAL },
	{ "metadata ingress", "in", 6, "169.254.169.254", "192.0.2.50", 40000, 0, NACL_EXEMPT_LINKLOCAL },
	{ "time sync", "out", 17, "192.0.2.50", "169.254.169.123", 123, 0, NACL_EXEMPT_LINKLOCAL },
	{ "DNS", "out", 17, "192.0.2.50", "169.254.169.253", 53, 0, NACL_EXEMPT_LINKLOCAL },
	{ "169.254.169.252 is filtered", "out", 17, "192.0.2.50", "169.254.169.252", 53, 0, NACL_NOT_EXEMPT },
	{ "IPv6 metadata", "out", 6, "2001:db8::5", "fd00:ec2::254", 80, 0, NACL_EXEMPT_LINKLOCAL },
	{ "IPv6 time", "out", 17, "2001:db8::5", "fd00:ec2::123", 123, 0, NACL_EXEMPT_LINKLOCAL },
	{ "IPv6 DNS", "in", 17, "fd00:ec2::253", "2001:db8::5", 40000, 0, NACL_EXEMPT_LINKLOCAL },
	{ "metadata as source on egress is filtered", "out", 6, "169.254.169.254", "192.0.2.50", 80, 0, NACL_NOT_EXEMPT },
	{ "--exempt peer", "in", 6, "203.0.113.77", "192.0.2.50", 22, 0, NACL_EXEMPT_CIDR },
	{ "--exempt by the peer only", "out", 6, "203.0.113.77", "192.0.2.50", 22, 0, NACL_NOT_EXEMPT },
	{ "--subnet peer", "out", 6, "198.51.100.7", "198.51.100.9", 22, 0, NACL_EXEMPT_SUBNET },
	{ "--subnet IPv6 peer", "in", 6, "2001:db8:5::1", "2001:db8::9", 22, 0, NACL_EXEMPT_SUBNET },
	{ "outside --subnet", "in", 6, "198.51.101.7", "198.51.100.9", 22, 0, NACL_NOT_EXEMPT },
};

static void test_exempt(void **state)
{
	struct naclemu_cidr exempt[1], subnet[2], vpc[1];
	struct nacl_extra x = { exempt, 1, subnet, 2, vpc, 1 };
	bool hb;

	(void)state;
	assert_int_equal(nacl_parse_cidr("203.0.113.64/26", &exempt[0], &hb), 0);
	assert_int_equal(nacl_parse_cidr("203.0.113.0/24", &vpc[0], &hb), 0);
	assert_int_equal(nacl_parse_cidr("198.51.100.0/24", &subnet[0], &hb), 0);
	assert_int_equal(nacl_parse_cidr("2001:db8:5::/48", &subnet[1], &hb), 0);
	for (size_t i = 0; i < sizeof(excases) / sizeof(excases[0]); i++) {
		const struct excase *c = &excases[i];
		struct evcase e = { c->name, "", c->dir, c->proto, c->src, c->dst,
				    1, c->dport, c->icmp_type, 0, false, 0 };
		struct nacl_packet p;
		enum nacl_exempt_reason got;

		make_packet(&e, &p);
		got = nacl_exempt(&p, &x);
		if (got != c->want)
			fail_msg("case '%s': got reason %d, want %d", c->name, got, c->want);
	}
}

static void test_cidr(void **state)
{
	struct naclemu_cidr c;
	char buf[64];
	bool hb;

	(void)state;
	assert_int_equal(nacl_parse_cidr("192.0.2.77/24", &c, &hb), 0);
	assert_true(hb);
	assert_string_equal(nacl_cidr_str(&c, buf), "192.0.2.0/24");
	assert_int_equal(nacl_parse_cidr("2001:db8::1/32", &c, &hb), 0);
	assert_true(hb);
	assert_string_equal(nacl_cidr_str(&c, buf), "2001:db8::/32");
	assert_int_equal(nacl_parse_cidr("0.0.0.0/0", &c, &hb), 0);
	assert_false(hb);
	assert_int_equal(nacl_parse_cidr("192.0.2.1", &c, &hb), 0);
	assert_int_equal(c.prefix_len, 32);
	assert_int_equal(nacl_parse_cidr("192.0.2.0/33", &c, &hb), -EINVAL);
	assert_int_equal(nacl_parse_cidr("192.0.2.0/+8", &c, &hb), -EINVAL);
	assert_int_equal(nacl_parse_cidr("192.0.2.0/", &c, &hb), -EINVAL);
	assert_int_equal(nacl_parse_cidr("2001:db8::/129", &c, &hb), -EINVAL);
	assert_int_equal(nacl_parse_cidr("/8", &c, &hb), -EINVAL);
	assert_int_equal(nacl_parse_cidr("192.0.2/24", &c, &hb), -EINVAL);
}

struct shcase {
	const char *name;
	const char *rules;
	unsigned int rule; /* inbound rule number asked about */
	bool shadowed;
	const char *by;    /* rule numbers, comma-separated */
};

static const struct shcase shcases[] = {
	{ "covered by one wider rule", "inbound\n 100 deny all - 0.0.0.0/0\n 200 allow tcp 80 192.0.2.0/24\n", 200, true, "100" },
	{ "covered by two CIDR halves", "inbound\n 100 allow tcp 80 192.0.2.0/25\n 110 deny tcp 80 192.0.2.128/25\n 120 allow tcp 80 192.0.2.0/24\n",
	  120, true, "100,110" },
	{ "one half missing", "inbound\n 100 allow tcp 80 192.0.2.0/25\n 120 allow tcp 80 192.0.2.0/24\n", 120, false, "" },
	{ "covered by two port ranges", "inbound\n 100 allow tcp 1-1000 0.0.0.0/0\n 110 allow tcp 1001-2000 0.0.0.0/0\n 120 deny tcp 500-1500 0.0.0.0/0\n",
	  120, true, "100,110" },
	{ "port gap", "inbound\n 100 allow tcp 1-1000 0.0.0.0/0\n 110 allow tcp 1002-2000 0.0.0.0/0\n 120 deny tcp 500-1500 0.0.0.0/0\n",
	  120, false, "" },
	{ "other family never shadows", "inbound\n 100 deny all - ::/0\n 200 allow all - 0.0.0.0/0\n", 200, false, "" },
	{ "all after tcp is not shadowed", "inbound\n 100 allow tcp all 0.0.0.0/0\n 200 deny all - 0.0.0.0/0\n", 200, false, "" },
	{ "all after tcp+udp+icmp+all-others", "inbound\n 100 allow tcp all 0.0.0.0/0\n 200 deny all - 0.0.0.0/0\n 300 allow all - 0.0.0.0/0\n", 300, true, "100,200" },
	{ "tcp ports all vs split ranges: fragments still reach it",
	  "inbound\n 100 allow tcp 0-1000 0.0.0.0/0\n 110 allow tcp 1001-65535 0.0.0.0/0\n 120 deny tcp all 0.0.0.0/0\n", 120, false, "" },
	{ "icmp code covered by type", "inbound\n 100 allow icmp 3 0.0.0.0/0\n 110 deny icmp 3/4 0.0.0.0/0\n", 110, true, "100" },
	{ "icmp type not covered", "inbound\n 100 allow icmp 3/4 0.0.0.0/0\n 110 deny icmp 3 0.0.0.0/0\n", 110, false, "" },
	{ "first rule never shadowed", "inbound\n 100 allow all - 0.0.0.0/0\n", 100, false, "" },
};

static void test_shadowed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shcases) / sizeof(shcases[0]); i++) {
		const struct shcase *c = &shcases[i];
		struct nacl_ruleset *rs = parse(c->rules);
		size_t by[NACL_MAX_RULES], nby = 0, idx = SIZE_MAX;
		char list[128] = "";
		bool got;

		for (size_t k = 0; k < rs->count[NACLEMU_INGRESS]; k++)
			if (rs->rules[NACLEMU_INGRESS][k].number == c->rule)
				idx = k;
		assert_true(idx != SIZE_MAX);
		got = nacl_shadowed(rs, NACLEMU_INGRESS, idx, by, NACL_MAX_RULES, &nby);
		for (size_t k = 0; got && k < nby; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%u",
				 k ? "," : "", rs->rules[NACLEMU_INGRESS][by[k]].number);
		if (got != c->shadowed || strcmp(list, c->by))
			fail_msg("case '%s': got %s by '%s', want %s by '%s'", c->name,
				 got ? "shadowed" : "reached", list,
				 c->shadowed ? "shadowed" : "reached", c->by);
	}
}

/* The docker case: responses allowed to 49152-65535 only. */
static void test_port_segments(void **state)
{
	struct nacl_ruleset *rs = parse(
		"inbound\n 100 allow tcp 10001 192.0.2.0/24\n"
		"outbound\n 100 allow tcp 49152-65535 192.0.2.0/24\n");
	struct nacl_port_seg segs[NACL_MAX_SEGS];
	struct nacl_packet p = { .dir = NACLEMU_EGRESS, .family = 4, .protocol = 6 };
	size_t n;

	(void)state;
	inet_pton(AF_INET, "192.0.2.10", p.dst);
	n = nacl_port_segments(rs, &p, 32768, 60999, segs);
	assert_int_equal(n, 2);
	assert_int_equal(segs[0].from, 32768);
	assert_int_equal(segs[0].to, 49151);
	assert_false(segs[0].verdict.allow);
	assert_int_equal(segs[0].verdict.rule_number, 32767);
	assert_int_equal(segs[1].from, 49152);
	assert_int_equal(segs[1].to, 60999);
	assert_true(segs[1].verdict.allow);
	assert_int_equal(segs[1].verdict.rule_number, 100);
	/* Whole range, one rule at each end. */
	n = nacl_port_segments(rs, &p, 0, 65535, segs);
	assert_int_equal(n, 2);
	assert_int_equal(segs[1].to, 65535);
}

static void test_percent(void **state)
{
	char buf[8];

	(void)state;
	assert_string_equal(nacl_percent(16384, 28232, buf), "58");
	assert_string_equal(nacl_percent(0, 28232, buf), "0");
	assert_string_equal(nacl_percent(28232, 28232, buf), "100");
	assert_string_equal(nacl_percent(1, 28232, buf), "<1");
	assert_string_equal(nacl_percent(28231, 28232, buf), ">99");
}

static void test_uncovered(void **state)
{
	struct naclemu_cidr t, a, b;
	const struct naclemu_cidr *list[2] = { &a, &b };
	uint8_t addr[16];
	char s[64];
	bool hb;

	(void)state;
	nacl_parse_cidr("192.0.2.0/24", &t, &hb);
	nacl_parse_cidr("192.0.2.0/25", &a, &hb);
	nacl_parse_cidr("192.0.2.128/26", &b, &hb);
	assert_true(nacl_cidr_uncovered(&t, list, 2, addr));
	inet_ntop(AF_INET, addr, s, sizeof(s));
	assert_string_equal(s, "192.0.2.192");
	nacl_parse_cidr("192.0.2.192/26", &b, &hb);
	assert_true(nacl_cidr_uncovered(&t, list, 2, addr));
	inet_ntop(AF_INET, addr, s, sizeof(s));
	assert_string_equal(s, "192.0.2.128");
	nacl_parse_cidr("192.0.2.128/25", &b, &hb);
	assert_false(nacl_cidr_uncovered(&t, list, 2, addr));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evaluate),
		cmocka_unit_test(test_exempt),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_shadowed),
		cmocka_unit_test(test_port_segments),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_uncovered),
	};

	return cmocka_run_group_tests_name("eval", tests, NULL, NULL);
}
