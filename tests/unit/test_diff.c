// SPDX-License-Identifier: MIT
/*
 * test_diff.c - `naclemu diff`'s library (analysis/diff.h): hand-written
 * cases with their exact regions (a rule added, removed, renumbered, a
 * CIDR widened, a port range split, IPv6, allow turned deny, the web
 * server's missing ephemeral rule), the ephemeral table and shadowed
 * rules; then a property test against the offline evaluator on random
 * pairs of NACLs: a packet's verdict differs exactly when it lies in a
 * reported region (docs/semantics.md sections 1 and 3).
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
#include <time.h>
#include <cmocka.h>

#include "analysis/diff.h"
#include "analysis/eval.h"
#include "rules/model.h"
#include "rules/read.h"

static void parse_into(const char *text, struct nacl_ruleset *rs)
{
	char err[NACL_MSG_LEN] = "";

	if (nacl_parse_text("t.nacl", text, strlen(text), rs, err))
		fail_msg("rules do not parse: %s\n%s", err, text);
}

/* One region as one line: "in 4 tcp 80 0.0.0.0/0 deny 32767 -> allow 100". */
static const char *region_line(const struct nacl_diff *d, const struct nacl_diff_region *r,
			       char *buf, size_t len)
{
	char pbuf[8], kbuf[32], cbuf[64];
	size_t off;

	off = (size_t)snprintf(buf, len, "%s %u %s %s ", r->dir == NACLEMU_INGRESS ? "in" : "out",
			       r->family, nacl_diff_proto_str(d, r, pbuf), nacl_diff_keys_str(r, kbuf));
	for (size_t k = 0; k < r->ncidr && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? "," : "",
					nacl_cidr_str(&d->cidrs[r->cidr + k], cbuf));
	if (off < len)
		snprintf(buf + off, len - off, " %s %u -> %s %u", r->old.allow ? "allow" : "deny",
			 r->old.rule_number, r->new.allow ? "allow" : "deny", r->new.rule_number);
	return buf;
}

/* ---- hand-written cases ------------------------------------------------------ */

#define MAX_WANT 8

struct dcase {
	const char *name;
	const char *old, *new;
	const char *want[MAX_WANT]; /* the regions, in order; NULL-terminated */
};

static const struct dcase dcases[] = {
	{ "rule added",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n 110 allow tcp 443 0.0.0.0/0\n",
	  { "in 4 tcp 443 0.0.0.0/0 deny 32767 -> allow 110" } },
	{ "rule removed",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n 110 allow tcp 443 0.0.0.0/0\n",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n",
	  { "in 4 tcp 443 0.0.0.0/0 allow 110 -> deny 32767" } },
	{ "renumbered: no difference",
	  "inbound\n 100 deny tcp 22 192.0.2.0/24\n 110 allow tcp 0-1023 0.0.0.0/0\n"
	  "outbound\n 100 allow all - 0.0.0.0/0\n",
	  "inbound\n 10 deny tcp 22 192.0.2.0/24\n 20 allow tcp 0-1023 0.0.0.0/0\n"
	  "outbound\n 5000 allow all - 0.0.0.0/0\n",
	  { NULL } },
	{ "disjoint rules reordered: no difference",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n 110 deny udp 53 198.51.100.0/24\n",
	  "inbound\n 100 deny udp 53 198.51.100.0/24\n 110 allow tcp 80 0.0.0.0/0\n",
	  { NULL } },
	{ "CIDR widened",
	  "inbound\n 100 allow tcp 22 192.0.2.0/25\n",
	  "inbound\n 100 allow tcp 22 192.0.2.0/24\n",
	  { "in 4 tcp 22 192.0.2.128/25 deny 32767 -> allow 100" } },
	{ "CIDR widened: the fewest CIDRs of the difference",
	  "outbound\n 100 allow all - 10.0.0.0/16\n",
	  "outbound\n 100 allow all - 10.0.0.0/8\n",
	  { "out 4 all all 10.1.0.0/16,10.2.0.0/15,10.4.0.0/14,10.8.0.0/13,10.16.0.0/12,"
	    "10.32.0.0/11,10.64.0.0/10,10.128.0.0/9 deny 32767 -> allow 100" } },
	{ "port range split into two rules: no difference",
	  "outbound\n 100 allow tcp 1024-65535 0.0.0.0/0\n",
	  "outbound\n 100 allow tcp 1024-32767 0.0.0.0/0\n 101 allow tcp 32768-65535 0.0.0.0/0\n",
	  { NULL } },
	{ "all ports split: later fragments lose their rule",
	  "inbound\n 100 allow tcp all 0.0.0.0/0\n",
	  "inbound\n 100 allow tcp 0-1023 0.0.0.0/0\n 110 allow tcp 1024-65535 0.0.0.0/0\n",
	  { "in 4 tcp fragments 0.0.0.0/0 allow 100 -> deny 32767" } },
	{ "IPv6 rule added",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n 120 allow tcp 80 ::/0\n",
	  { "in 6 tcp 80 ::/0 deny 32768 -> allow 120" } },
	{ "allow turned deny",
	  "inbound\n 100 allow udp 53 198.51.100.0/24\n 200 allow all - 0.0.0.0/0\n",
	  "inbound\n 100 deny udp 53 198.51.100.0/24\n 200 allow all - 0.0.0.0/0\n",
	  { "in 4 udp 53 198.51.100.0/24 allow 100 -> deny 100" } },
	{ "deny inserted before an allow: split by peer",
	  "inbound\n 200 allow tcp 22 0.0.0.0/0\n",
	  "inbound\n 100 deny tcp all 192.0.2.0/24\n 200 allow tcp 22 0.0.0.0/0\n",
	  { "in 4 tcp 22 192.0.2.0/24 allow 200 -> deny 100" } },
	{ "the same rules at two places: one region, two CIDRs",
	  "inbound\n 100 allow tcp 443 192.0.2.0/24\n",
	  "inbound\n 90 allow tcp 443 192.0.2.64/26\n 100 deny tcp 443 192.0.2.0/24\n",
	  { "in 4 tcp 443 192.0.2.0/26,192.0.2.128/25 allow 100 -> deny 100" } },
	{ "two holes in the whole space: the fewest CIDRs around them",
	  "inbound\n 100 deny all - 192.0.2.0/24\n 110 deny all - 203.0.113.0/24\n"
	  " 200 allow tcp 443 0.0.0.0/0\n",
	  "inbound\n 100 deny all - 192.0.2.0/24\n 110 deny all - 203.0.113.0/24\n",
	  { "in 4 tcp 443 0.0.0.0/1,128.0.0.0/2,192.0.0.0/23,192.0.3.0/24,192.0.4.0/22,"
	    "192.0.8.0/21,192.0.16.0/20,192.0.32.0/19,192.0.64.0/18,192.0.128.0/17,"
	    "192.1.0.0/16,192.2.0.0/15,192.4.0.0/14,192.8.0.0/13,192.16.0.0/12,"
	    "192.32.0.0/11,192.64.0.0/10,192.128.0.0/9,193.0.0.0/8,194.0.0.0/7,"
	    "196.0.0.0/6,200.0.0.0/7,202.0.0.0/8,203.0.0.0/18,203.0.64.0/19,"
	    "203.0.96.0/20,203.0.112.0/24,203.0.114.0/23,203.0.116.0/22,"
	    "203.0.120.0/21,203.0.128.0/17,203.1.0.0/16,203.2.0.0/15,203.4.0.0/14,"
	    "203.8.0.0/13,203.16.0.0/12,203.32.0.0/11,203.64.0.0/10,203.128.0.0/9,"
	    "204.0.0.0/6,208.0.0.0/4,224.0.0.0/3 allow 200 -> deny 32767" } },
	{ "all turned tcp: every other protocol",
	  "inbound\n 100 allow all - 0.0.0.0/0\n",
	  "inbound\n 100 allow tcp all 0.0.0.0/0\n",
	  { "in 4 other all 0.0.0.0/0 allow 100 -> deny 32767" } },
	{ "ICMP narrowed to one type: below, above, later fragments",
	  "inbound\n 100 allow icmp all 0.0.0.0/0\n",
	  "inbound\n 100 allow icmp 8 0.0.0.0/0\n",
	  { "in 4 icmp 0-7 0.0.0.0/0 allow 100 -> deny 32767",
	    "in 4 icmp 9-255 0.0.0.0/0 allow 100 -> deny 32767",
	    "in 4 icmp fragments 0.0.0.0/0 allow 100 -> deny 32767" } },
	{ "ICMP code ranges",
	  "outbound\n 100 allow icmp 3/4 192.0.2.0/24\n",
	  "outbound\n 100 allow icmp 3 192.0.2.0/24\n",
	  { "out 4 icmp 3/0-3/3 192.0.2.0/24 deny 32767 -> allow 100",
	    "out 4 icmp 3/5-3/255 192.0.2.0/24 deny 32767 -> allow 100" } },
	{ "protocol 58 in an IPv4 rule has no type",
	  "inbound\n 100 allow icmpv6 all 0.0.0.0/0\n",
	  "inbound\n 100 allow 47 - 0.0.0.0/0\n",
	  { "in 4 47 all 0.0.0.0/0 deny 32767 -> allow 100",
	    "in 4 icmpv6 all 0.0.0.0/0 allow 100 -> deny 32767" } },
	{ "a whole protocol: every port and later fragments",
	  "outbound\n 100 allow udp all 0.0.0.0/0\n",
	  "outbound\n 100 deny udp all 0.0.0.0/0\n",
	  { "out 4 udp all 0.0.0.0/0 allow 100 -> deny 100" } },
	{ "DHCP is exempt: no difference",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n",
	  "inbound\n 100 allow tcp 80 0.0.0.0/0\n 110 allow udp 67-68 0.0.0.0/0\n"
	  " 120 allow udp 546-547 ::/0\n 130 allow icmpv6 133 ::/0\n 140 allow icmpv6 137 ::/0\n",
	  { NULL } },
	{ "the link-local services are exempt: no difference",
	  "outbound\n 100 allow tcp 80 0.0.0.0/0\n",
	  "outbound\n 100 allow all - 169.254.169.254/32\n 110 allow all - 169.254.169.253/32\n"
	  " 120 allow all - fd00:ec2::123/128\n 200 allow tcp 80 0.0.0.0/0\n",
	  { NULL } },
	{ "neighbour discovery between the changes: one region",
	  "inbound\n 100 allow icmpv6 135 ::/0\n 110 allow icmpv6 136 ::/0\n 200 allow icmpv6 all ::/0\n",
	  "inbound\n 100 allow icmpv6 135 ::/0\n 110 allow icmpv6 136 ::/0\n",
	  { "in 6 icmpv6 all ::/0 allow 200 -> deny 32768" } },
	{ "DHCP between the changes: one region",
	  "outbound\n 100 deny udp 67-68 0.0.0.0/0\n 200 allow udp all 0.0.0.0/0\n",
	  "outbound\n 100 deny udp 67-68 0.0.0.0/0\n",
	  { "out 4 udp all 0.0.0.0/0 allow 200 -> deny 32767" } },
	{ "a link-local service between the changes: one CIDR",
	  "inbound\n 100 deny all - 169.254.169.254/32\n 200 allow all - 0.0.0.0/0\n",
	  "inbound\n 100 deny all - 169.254.169.254/32\n",
	  { "in 4 all all 0.0.0.0/0 allow 200 -> deny 32767" } },
	{ "a range that spans DHCP stays whole",
	  "inbound\n 100 allow udp 60-70 0.0.0.0/0\n",
	  "inbound\n",
	  { "in 4 udp 60-70 0.0.0.0/0 allow 100 -> deny 32767" } },
};

static void check_case(const struct dcase *c)
{
	static struct nacl_ruleset old, new;
	struct nacl_diff d;
	char line[2048];
	size_t nwant = 0;

	parse_into(c->old, &old);
	parse_into(c->new, &new);
	assert_int_equal(nacl_diff(&old, &new, &d), 0);
	while (nwant < MAX_WANT && c->want[nwant])
		nwant++;
	for (size_t i = 0; i < d.nregions || i < nwant; i++) {
		const char *got = i < d.nregions ? region_line(&d, &d.regions[i], line, sizeof(line)) :
						   "(none)";

		if (i >= nwant || strcmp(got, c->want[i]))
			fail_msg("case '%s': region %zu is\n  %s\nwant\n  %s", c->name, i, got,
				 i < nwant ? c->want[i] : "(none)");
	}
	nacl_diff_free(&d);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++)
		check_case(&dcases[i]);
}

/* The eph entry of @d for @dir, @family, @client (the first peer). */
static const struct nacl_diff_eph *eph_find(const struct nacl_diff *d, enum naclemu_dir dir,
					    uint8_t family, const char *client)
{
	for (size_t i = 0; i < d->neph; i++)
		if (d->eph[i].dir == dir && d->eph[i].family == family &&
		    !strcmp(d->eph[i].os->name, client))
			return &d->eph[i];
	fail_msg("no ephemeral entry %d %u %s", dir, family, client);
	return NULL;
}

/* examples/web-server-no-ephemeral.nacl -> examples/web-server.nacl. */
static void test_web_server(void **state)
{
	static struct nacl_ruleset old, new;
	static const char *want[] = {
		"in 4 tcp 443 0.0.0.0/0 deny 32767 -> allow 110",
		"in 6 tcp 443 ::/0 deny 32768 -> allow 130",
		"out 4 tcp 80 0.0.0.0/0 allow 100 -> deny 32767",
		"out 4 tcp 1024-65535 0.0.0.0/0 deny 32767 -> allow 100",
		"out 6 tcp 80 ::/0 allow 120 -> deny 32768",
		"out 6 tcp 1024-65535 ::/0 deny 32768 -> allow 110",
	};
	const struct nacl_diff_eph *e;
	char err[NACL_MSG_LEN], line[512];
	struct nacl_diff d;

	(void)state;
	if (nacl_parse_file("examples/web-server-no-ephemeral.nacl", NULL, &old, err) ||
	    nacl_parse_file("examples/web-server.nacl", NULL, &new, err))
		fail_msg("examples do not parse (run from the repository): %s", err);
	assert_int_equal(nacl_diff(&old, &new, &d), 0);
	assert_int_equal(d.nregions, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < d.nregions; i++)
		assert_string_equal(region_line(&d, &d.regions[i], line, sizeof(line)), want[i]);

	/* Responses to clients that connect in: closed before, open after. */
	for (uint8_t f = 4; f <= 6; f += 2) {
		e = eph_find(&d, NACLEMU_EGRESS, f, "linux");
		assert_true(e->changed);
		assert_int_equal(e->old.closed_ports, 60999 - 32768 + 1);
		assert_int_equal(e->new.nclosed, 0);
		e = eph_find(&d, NACLEMU_EGRESS, f, "elb");
		assert_true(e->changed);
		assert_int_equal(e->old.closed_ports, 65535 - 1024 + 1);
		/* This subnet's own clients: closed before and after. */
		e = eph_find(&d, NACLEMU_INGRESS, f, "windows");
		assert_false(e->changed);
		assert_int_equal(e->old.closed_ports, 65535 - 49152 + 1);
		assert_int_equal(e->new.closed_ports, 65535 - 49152 + 1);
	}
	assert_int_equal(d.nshadowed, 0);
	assert_int_equal(d.nunshadowed, 0);
	nacl_diff_free(&d);
}

/* Shadowed and unshadowed rules, paired by content. */
static void test_shadowed(void **state)
{
	static struct nacl_ruleset a, b;
	struct nacl_diff d;

	(void)state;
	/* Renumbered so that "allow all" comes first: no verdict changes, 80 is shadowed. */
	parse_into("inbound\n 100 allow tcp 80 0.0.0.0/0\n 200 allow all - 0.0.0.0/0\n", &a);
	parse_into("inbound\n 100 allow all - 0.0.0.0/0\n 200 allow tcp 80 0.0.0.0/0\n", &b);
	assert_int_equal(nacl_diff(&a, &b, &d), 0);
	assert_int_equal(d.nregions, 0);
	assert_int_equal(d.nshadowed, 1);
	assert_int_equal(d.nunshadowed, 0);
	assert_int_equal(d.shadowed[0].dir, NACLEMU_INGRESS);
	assert_int_equal(d.shadowed[0].family, 4);
	assert_int_equal(b.rules[0][d.shadowed[0].index].number, 200);
	assert_int_equal(d.shadowed[0].old_index, 0);
	assert_int_equal(d.shadowed[0].nby, 1);
	assert_int_equal(b.rules[0][d.shadowed[0].by[0]].number, 100);
	nacl_diff_free(&d);

	/* The other way round: reached again, covered in OLD by OLD's rule 100. */
	assert_int_equal(nacl_diff(&b, &a, &d), 0);
	assert_int_equal(d.nshadowed, 0);
	assert_int_equal(d.nunshadowed, 1);
	assert_int_equal(a.rules[0][d.unshadowed[0].index].number, 100);
	assert_int_equal(b.rules[0][d.unshadowed[0].old_index].number, 200);
	assert_int_equal(b.rules[0][d.unshadowed[0].by[0]].number, 100);
	nacl_diff_free(&d);

	/* Shadowed on both sides: nothing to report. */
	parse_into("outbound\n 10 deny all - 0.0.0.0/0\n 20 allow udp 53 192.0.2.0/24\n", &a);
	parse_into("outbound\n 1 deny all - 0.0.0.0/0\n 2 allow udp 53 192.0.2.0/24\n", &b);
	assert_int_equal(nacl_diff(&a, &b, &d), 0);
	assert_int_equal(d.nregions + d.nshadowed + d.nunshadowed, 0);
	nacl_diff_free(&d);

	/* A new rule that is never reached. */
	parse_into("outbound\n 10 deny all - 0.0.0.0/0\n", &a);
	parse_into("outbound\n 10 deny all - 0.0.0.0/0\n 20 allow udp 53 192.0.2.0/24\n", &b);
	assert_int_equal(nacl_diff(&a, &b, &d), 0);
	assert_int_equal(d.nregions, 0);
	assert_int_equal(d.nshadowed, 1);
	assert_int_equal(d.shadowed[0].old_index, -1);
	nacl_diff_free(&d);
}

/* Identical files: nothing at all, and the ephemeral table unchanged. */
static void test_identical(void **state)
{
	static struct nacl_ruleset a;
	char err[NACL_MSG_LEN];
	struct nacl_diff d;

	(void)state;
	if (nacl_parse_file("examples/docker-ephemeral.nacl", NULL, &a, err))
		fail_msg("%s", err);
	assert_int_equal(nacl_diff(&a, &a, &d), 0);
	assert_int_equal(d.nregions, 0);
	assert_int_equal(d.nshadowed + d.nunshadowed, 0);
	assert_true(d.neph > 0);
	for (size_t i = 0; i < d.neph; i++)
		assert_false(d.eph[i].changed);
	nacl_diff_free(&d);
}

/* ---- property test --------------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)((rng_state >> 11) % n);
}

/* Overlapping blocks, so that rules interact; link-local services among them. */
static const char *const v4_blocks[] = {
	"0.0.0.0/0",       "192.0.0.0/8",        "192.0.2.0/24",        "192.0.2.0/25",
	"192.0.2.128/26",  "192.0.2.7/32",       "198.51.100.0/24",     "203.0.113.0/24",
	"128.0.0.0/1",     "169.254.169.252/30", "169.254.169.254/32",  "169.254.169.123/32",
};
static const char *const v6_blocks[] = {
	"::/0",           "2001:db8::/32",       "2001:db8::/48",   "2001:db8:0:1::/64",
	"8000::/1",       "fd00:ec2::252/126",   "fd00:ec2::254/128", "2001:db8::7/128",
};
#define NV4 (sizeof(v4_blocks) / sizeof(v4_blocks[0]))
#define NV6 (sizeof(v6_blocks) / sizeof(v6_blocks[0]))

static const uint16_t port_marks[] = { 0,   1,    22,   53,    67,    68,   80,
				       443, 546,  547,  1023,  1024,  32767, 32768,
				       49152, 60999, 65534, 65535 };
#define NPORTS (sizeof(port_marks) / sizeof(port_marks[0]))
static const int icmp_types[] = { -1, 0, 3, 8, 128, 133, 135, 137, 255 };
static const int icmp_codes[] = { -1, -1, 0, 4, 255 };
static const char *const protos[] = { "tcp", "udp", "icmp", "icmpv6", "all", "47" };

/* A random rule line of direction-unique number @num. */
static int random_rule(char *buf, size_t len, unsigned int num)
{
	bool v6 = rnd(3) == 0;
	const char *cidr = v6 ? v6_blocks[rnd(NV6)] : v4_blocks[rnd(NV4)];
	const char *proto = protos[rnd(6)];
	char ports[32];

	if (!strcmp(proto, "tcp") || !strcmp(proto, "udp")) {
		uint16_t a = port_marks[rnd(NPORTS)], b = port_marks[rnd(NPORTS)];

		if (rnd(6) == 0)
			snprintf(ports, sizeof(ports), "all");
		else
			snprintf(ports, sizeof(ports), "%u-%u", a < b ? a : b, a < b ? b : a);
	} else if (!strcmp(proto, "icmp") || (!strcmp(proto, "icmpv6") && v6)) {
		int t = icmp_types[rnd(sizeof(icmp_types) / sizeof(icmp_types[0]))];
		int c = icmp_codes[rnd(sizeof(icmp_codes) / sizeof(icmp_codes[0]))];

		if (t < 0)
			snprintf(ports, sizeof(ports), "all");
		else if (c < 0)
			snprintf(ports, sizeof(ports), "%d", t);
		else
			snprintf(ports, sizeof(ports), "%d/%d", t, c);
	} else {
		snprintf(ports, sizeof(ports), !strcmp(proto, "icmpv6") ? "all" : "-");
	}
	return snprintf(buf, len, " %u %s %s %s %s\n", num, rnd(2) ? "allow" : "deny", proto, ports,
			cidr);
}

/* A random NACL of up to @max rules a direction, numbers from a small set. */
static void random_nacl(struct nacl_ruleset *rs, size_t max)
{
	char text[8192];
	size_t off = 0;

	for (int dir = 0; dir < 2; dir++) {
		bool used[100] = { false };
		size_t n = rnd((uint32_t)max + 1);

		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\n",
					dir ? "outbound" : "inbound");
		for (size_t i = 0; i < n; i++) {
			unsigned int num = rnd(99) + 1;

			if (used[num])
				continue;
			used[num] = true;
			off += (size_t)random_rule(text + off, sizeof(text) - off, num * 10);
		}
	}
	parse_into(text, rs);
}

typedef unsigned __int128 u128;

static u128 to_num(const uint8_t *a, uint8_t family)
{
	u128 v = 0;

	for (unsigned int i = 0; i < (family == 6 ? 16u : 4u); i++)
		v = v << 8 | a[i];
	return v;
}

static void to_addr(u128 v, uint8_t family, uint8_t *out)
{
	memset(out, 0, 16);
	for (int i = (family == 6 ? 16 : 4) - 1; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static u128 cidr_last(const struct naclemu_cidr *c)
{
	unsigned int bits = c->family == 6 ? 128 : 32, host = bits - c->prefix_len;
	u128 mask = host >= 128 ? ~(u128)0 : ((u128)1 << host) - 1;

	return to_num(c->addr, c->family) | mask;
}

static bool region_holds(const struct nacl_diff *d, const struct nacl_diff_region *r,
			 const struct nacl_packet *p)
{
	const uint8_t *peer = p->dir == NACLEMU_INGRESS ? p->src : p->dst;
	uint16_t key;

	if (r->dir != p->dir || r->family != p->family)
		return false;
	if (r->protocol == NACL_DIFF_OTHER ?
		    d->named[r->dir][NACLEMU_FAM_IDX(r->family)][p->protocol] :
		    r->protocol != p->protocol)
		return false;
	if (r->kind != NACL_DIFF_KEY_NONE) {
		if (!p->l4_known) {
			if (!r->fragments)
				return false;
		} else {
			key = r->kind == NACL_DIFF_KEY_ICMP ? (uint16_t)(p->icmp_type << 8 | p->icmp_code) :
							      p->dst_port;
			if (!r->keys || key < r->key_lo || key > r->key_hi)
				return false;
		}
	}
	for (size_t k = 0; k < r->ncidr; k++)
		if (nacl_cidr_contains(&d->cidrs[r->cidr + k], peer))
			return true;
	return false;
}

static void set_key(struct nacl_packet *p, uint16_t key)
{
	p->dst_port = key;
	p->src_port = 40000;
	p->icmp_type = (uint8_t)(key >> 8);
	p->icmp_code = (uint8_t)key;
}

/* A peer address near a boundary of the rules' blocks, or anywhere. */
static void random_peer(uint8_t family, uint8_t *addr)
{
	struct naclemu_cidr c;
	bool host;
	u128 v;

	if (rnd(10) == 0) {
		for (int i = 0; i < 16; i++)
			addr[i] = (uint8_t)rnd(256);
		if (family == 4)
			memset(addr + 4, 0, 12);
		return;
	}
	assert_int_equal(nacl_parse_cidr(family == 6 ? v6_blocks[rnd(NV6)] : v4_blocks[rnd(NV4)],
					 &c, &host), 0);
	switch (rnd(5)) {
	case 0: v = to_num(c.addr, family); break;
	case 1: v = to_num(c.addr, family) - 1; break;
	case 2: v = cidr_last(&c); break;
	case 3: v = cidr_last(&c) + 1; break;
	default: v = to_num(c.addr, family) + rnd(1000); break;
	}
	if (family == 4)
		v &= 0xffffffffu;
	to_addr(v, family, addr);
}

static const uint8_t packet_protos[] = { 6, 17, 1, 58, 47, 0, 50, 132 };

static void random_packet(struct nacl_packet *p)
{
	uint8_t other[16];

	memset(p, 0, sizeof(*p));
	p->dir = rnd(2) ? NACLEMU_EGRESS : NACLEMU_INGRESS;
	p->family = rnd(3) == 0 ? 6 : 4;
	p->protocol = packet_protos[rnd(sizeof(packet_protos))];
	random_peer(p->family, p->dir == NACLEMU_INGRESS ? p->src : p->dst);
	random_peer(p->family, other);
	memcpy(p->dir == NACLEMU_INGRESS ? p->dst : p->src, other, 16);
	p->l4_known = rnd(8) != 0;
	if (p->protocol == 1 || p->protocol == 58) {
		int t = icmp_types[rnd(sizeof(icmp_types) / sizeof(icmp_types[0]))];
		uint16_t key = (uint16_t)((t < 0 ? rnd(256) : (uint32_t)t) << 8 | rnd(3) * 2);

		set_key(p, rnd(4) ? key : (uint16_t)(key + 0xfd));
	} else {
		uint16_t port = port_marks[rnd(NPORTS)];

		set_key(p, (uint16_t)(port + rnd(3) - 1));
	}
}

/* Judge @p on both sides; check it against the regions.  Returns whether it differs. */
static bool check_packet(const struct nacl_ruleset *a, const struct nacl_ruleset *b,
			 const struct nacl_diff *d, const struct nacl_packet *p)
{
	struct nacl_verdict va = nacl_evaluate(a, p), vb = nacl_evaluate(b, p);
	const struct nacl_diff_region *in = NULL;
	size_t n = 0;
	char line[2048];

	for (size_t i = 0; i < d->nregions; i++) {
		if (region_holds(d, &d->regions[i], p)) {
			in = &d->regions[i];
			n++;
		}
	}
	if (va.allow == vb.allow) {
		if (n)
			fail_msg("packet of same verdict (proto %u key %u known %d) in region %s",
				 p->protocol, p->dst_port, p->l4_known,
				 region_line(d, in, line, sizeof(line)));
		return false;
	}
	if (n != 1)
		fail_msg("packet of differing verdict (dir %d fam %u proto %u port %u icmp %u/%u "
			 "known %d, %u -> %u) in %zu regions", p->dir, p->family, p->protocol,
			 p->dst_port, p->icmp_type, p->icmp_code, p->l4_known, va.rule_number,
			 vb.rule_number, n);
	if (in->old.allow != va.allow || in->old.rule_number != va.rule_number ||
	    in->new.allow != vb.allow || in->new.rule_number != vb.rule_number)
		fail_msg("region %s: packet judged %u -> %u", region_line(d, in, line, sizeof(line)),
			 va.rule_number, vb.rule_number);
	return true;
}

/*
 * Every region: packets at its corners (first and last key, first and
 * last address of each CIDR and their neighbours inside) that are not
 * exempt are judged as it says, and there is at least one.
 */
static void check_corners(const struct nacl_ruleset *a, const struct nacl_ruleset *b,
			  const struct nacl_diff *d, const struct nacl_diff_region *r)
{
	uint16_t keys[4];
	size_t nkeys = 0, judged = 0;
	int proto = r->protocol;
	char line[2048];

	if (proto == NACL_DIFF_OTHER)
		for (proto = 0; d->named[r->dir][NACLEMU_FAM_IDX(r->family)][proto]; proto++)
			;
	if (r->keys) {
		keys[nkeys++] = r->key_lo;
		keys[nkeys++] = r->key_hi;
		keys[nkeys++] = r->key_lo < r->key_hi ? (uint16_t)(r->key_lo + 1) : r->key_lo;
		keys[nkeys++] = r->key_lo < r->key_hi ? (uint16_t)(r->key_hi - 1) : r->key_hi;
	}
	for (size_t k = 0; k < r->ncidr; k++) {
		const struct naclemu_cidr *c = &d->cidrs[r->cidr + k];
		u128 lo = to_num(c->addr, c->family), hi = cidr_last(c);
		u128 addrs[4] = { lo, hi, lo < hi ? lo + 1 : lo, lo < hi ? hi - 1 : hi };

		for (size_t x = 0; x < 4; x++) {
			for (size_t y = 0; y <= nkeys; y++) {
				struct nacl_packet p = {
					.dir = r->dir,
					.family = r->family,
					.protocol = (uint8_t)proto,
					.l4_known = y < nkeys,
				};

				if (y == nkeys && r->keys && !r->fragments)
					continue;
				if (y < nkeys)
					set_key(&p, keys[y]);
				to_addr(addrs[x], r->family, r->dir == NACLEMU_INGRESS ? p.src : p.dst);
				if (nacl_exempt(&p, NULL) != NACL_NOT_EXEMPT)
					continue;
				if (!check_packet(a, b, d, &p))
					fail_msg("region %s: a corner packet is not a difference",
						 region_line(d, r, line, sizeof(line)));
				judged++;
			}
		}
	}
	if (!judged)
		fail_msg("region %s: no corner packet is judged",
			 region_line(d, r, line, sizeof(line)));
}

/* Every ephemeral entry: sampled ports judged as its closed runs say. */
static void check_eph(const struct nacl_ruleset *a, const struct nacl_ruleset *b,
		      const struct nacl_diff *d)
{
	for (size_t i = 0; i < d->neph; i++) {
		const struct nacl_diff_eph *e = &d->eph[i];

		for (int t = 0; t < 8; t++) {
			uint16_t port = (uint16_t)(e->os->lo + rnd((uint32_t)(e->os->hi - e->os->lo) + 1));
			struct nacl_packet p = {
				.dir = e->dir,
				.family = e->family,
				.protocol = NACLEMU_PROTO_TCP,
				.l4_known = true,
				.dst_port = port,
			};

			memcpy(e->dir == NACLEMU_INGRESS ? p.src : p.dst, e->addr, 16);
			for (int s = 0; s < 2; s++) {
				const struct nacl_diff_eph_side *side = s ? &e->new : &e->old;
				bool closed = false;

				for (size_t k = 0; k < side->nclosed; k++)
					closed |= d->segs[side->closed + k].from <= port &&
						  port <= d->segs[side->closed + k].to;
				if (closed == nacl_evaluate(s ? b : a, &p).allow)
					fail_msg("ephemeral %s port %u: closed %d", e->os->name, port,
						 closed);
			}
		}
	}
}

#define PAIRS 300
#define PACKETS 3000

static void test_property(void **state)
{
	static struct nacl_ruleset a, b;
	size_t differing = 0, regions = 0;
	struct nacl_diff d;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int pair = 0; pair < PAIRS; pair++) {
		/* Mostly small NACLs, whose regions are few and checked closely; some larger. */
		size_t max = pair % 5 == 0 ? 16 : 6;
		bool renumbered = false;

		random_nacl(&a, max);
		if (rnd(4) == 0) {
			/* A small edit of the same NACL: renumbered, maybe one action flipped. */
			b = a;
			for (int dir = 0; dir < 2; dir++)
				for (size_t i = 0; i < b.count[dir]; i++)
					b.rules[dir][i].number = (uint16_t)(b.rules[dir][i].number + 1);
			renumbered = true;
			if (b.count[0] && rnd(2)) {
				b.rules[0][rnd((uint32_t)b.count[0])].allow ^= 1;
				renumbered = false;
			}
		} else {
			random_nacl(&b, max);
		}
		assert_int_equal(nacl_diff(&a, &b, &d), 0);
		if (renumbered)
			assert_int_equal(d.nregions, 0);
		regions += d.nregions;
		for (int k = 0; k < PACKETS; k++) {
			struct nacl_packet p;

			random_packet(&p);
			if (nacl_exempt(&p, NULL) != NACL_NOT_EXEMPT)
				continue;
			differing += check_packet(&a, &b, &d, &p);
		}
		for (size_t i = 0; i < d.nregions; i++)
			check_corners(&a, &b, &d, &d.regions[i]);
		check_eph(&a, &b, &d);
		nacl_diff_free(&d);
	}
	/* The test means something only if differences were found. */
	assert_true(differing > PAIRS);
	assert_true(regions > PAIRS);
	print_message("%d pairs, %zu regions, %zu differing packets of %d\n", PAIRS, regions,
		      differing, PAIRS * PACKETS);
}

/* AWS's largest NACL (39 rules per direction and family) on both sides, timed. */
static void test_largest(void **state)
{
	static struct nacl_ruleset a, b;
	char text[32768];
	struct nacl_diff d;
	struct timespec t0, t1;
	double ms;

	(void)state;
	rng_state = 12345;
	for (int side = 0; side < 2; side++) {
		size_t off = 0;

		for (int dir = 0; dir < 2; dir++) {
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\n",
						dir ? "outbound" : "inbound");
			for (unsigned int i = 0; i < 2 * NACL_QUOTA_MAX; i++) {
				bool v6 = i >= NACL_QUOTA_MAX;
				char cidr[64];

				/* Distinct CIDRs, nested and apart, so every boundary counts. */
				if (v6)
					snprintf(cidr, sizeof(cidr), "2001:db8:%x:%x::/%u", rnd(64), rnd(4096),
						 32 + rnd(33));
				else
					snprintf(cidr, sizeof(cidr), "10.%u.%u.0/%u", rnd(256), rnd(256),
						 8 + rnd(17));
				off += (size_t)snprintf(text + off, sizeof(text) - off,
							" %u %s %s %u-%u %s\n", 10 + i * 3 + (unsigned)side,
							rnd(2) ? "allow" : "deny", rnd(2) ? "tcp" : "udp",
							rnd(30000), 30000 + rnd(35000), cidr);
			}
		}
		parse_into(text, side ? &b : &a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(nacl_diff(&a, &b, &d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("largest: %zu + %zu rules a side, %llu cells, %zu regions, %zu CIDRs, "
		      "%zu ephemeral rows: %.1f ms\n",
		      a.count[0] + a.count[1], b.count[0] + b.count[1],
		      (unsigned long long)d.cells, d.nregions, d.ncidrs, d.neph, ms);
	assert_true(d.nregions > 0);
	/* Well under a second, even with the sanitizers. */
	assert_true(ms < 1000);
	nacl_diff_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_web_server),
		cmocka_unit_test(test_shadowed),
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_largest),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
