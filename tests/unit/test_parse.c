// SPDX-License-Identifier: MIT
/*
 * test_parse.c - the rule-file parsers (user/rules/text.c, aws_json.c):
 * every error with its exact message and position, every warning, the
 * normalisations, and the JSON selection and locator.  Table-driven: a case
 * is an input and the expected error, warnings or rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/model.h"
#include "rules/read.h"
#include "analysis/eval.h"
#include "table.h"

static struct nacl_ruleset rs;
static char err[NACL_MSG_LEN];

static int text(const char *in, size_t len)
{
	memset(err, 0, sizeof(err));
	return nacl_parse_text("web.nacl", in, len ? len : strlen(in), &rs, err);
}

/*
 * JSON in the tables is written with ' for " to stay readable; no case
 * needs a real '.
 */
static int json_sel(const char *in, const char *acl, const char *subnet)
{
	struct nacl_select sel = { .acl_id = acl, .subnet_id = subnet };
	static char buf[16384];
	size_t n = strlen(in);

	assert_true(n < sizeof(buf));
	for (size_t i = 0; i < n; i++)
		buf[i] = in[i] == '\'' ? '"' : in[i];
	memset(err, 0, sizeof(err));
	/* No NUL after the text: the parser must not need one. */
	return nacl_parse_json("web.json", buf, n, &sel, &rs, err);
}


static void expect_err(const char *name, int ret, const char *want)
{
	if (ret != -EINVAL) {
		print_error("%s: returned %d, expected -EINVAL\n", name, ret);
		failures++;
	} else if (strcmp(err, want)) {
		print_error("%s:\n   got: %s\nwanted: %s\n", name, err, want);
		failures++;
	}
}

static void expect_ok(const char *name, int ret, const char *const *warn)
{
	size_t n = 0;

	if (ret) {
		print_error("%s: returned %d: %s\n", name, ret, err);
		failures++;
		return;
	}
	for (; warn && warn[n]; n++) {
		if (n >= rs.nwarnings) {
			print_error("%s: missing warning: %s\n", name, warn[n]);
			failures++;
			return;
		}
		if (strcmp(rs.warnings[n], warn[n])) {
			print_error("%s: warning %zu:\n   got: %s\nwanted: %s\n",
				    name, n, rs.warnings[n], warn[n]);
			failures++;
		}
	}
	if (rs.nwarnings != n) {
		print_error("%s: %zu warnings, expected %zu; first extra: %s\n",
			    name, rs.nwarnings, n, rs.warnings[n]);
		failures++;
	}
}

/* ---- text format: errors -------------------------------------------------- */

struct err_case {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *err;
};

#define IN "inbound\n"

static const struct err_case text_errors[] = {
	{ "empty file", "", 0,
	  "web.nacl: no inbound or outbound section: expected a NACL rule file" },
	{ "comments only", "# nothing\n\n   # here\n", 0,
	  "web.nacl: no inbound or outbound section: expected a NACL rule file" },
	{ "garbage line", IN "foo bar\n", 0,
	  "web.nacl:2:1: unexpected 'foo': expected inbound, outbound or a rule (RULE ACTION PROTOCOL PORTS CIDR)" },
	{ "unknown section", "  inbond:\n", 0,
	  "web.nacl:1:3: unexpected 'inbond:': expected inbound, outbound or a rule (RULE ACTION PROTOCOL PORTS CIDR)" },
	{ "section with more", "inbound rules\n", 0,
	  "web.nacl:1:9: unexpected 'rules' after the section name: expected end of line" },
	{ "rule before section", "# web\n100 allow tcp 80 0.0.0.0/0\ninbound\n", 0,
	  "web.nacl:2:1: rule before any section: expected an inbound or outbound line first" },
	{ "NUL byte", IN "100 allow\0 tcp", 18,
	  "web.nacl:2:10: NUL byte: expected a text file" },
	/* missing columns: the column just after the last token */
	{ "missing action", IN "100\n", 0,
	  "web.nacl:2:4: expected allow or deny after the rule number" },
	{ "missing protocol", IN "100 allow # c\n", 0,
	  "web.nacl:2:10: expected a protocol after the action (tcp, udp, icmp, icmpv6, all or 0..255)" },
	{ "missing ports", IN "100 allow tcp\n", 0,
	  "web.nacl:2:14: expected ports after the protocol (- or all when it has none)" },
	{ "missing CIDR", IN "  100 allow tcp 80    # web\n", 0,
	  "web.nacl:2:19: expected a CIDR after the ports" },
	{ "too many columns", IN "100 allow tcp 80 0.0.0.0/0 extra more\n", 0,
	  "web.nacl:2:28: unexpected 'extra' after the CIDR: expected end of line or a # comment" },
	/* rule numbers */
	{ "rule 0", IN "0 allow tcp 80 0.0.0.0/0\n", 0,
	  "web.nacl:2:1: rule number 0 is out of range: expected 1..32766 or *" },
	{ "rule 32767", IN "32767 deny all - 0.0.0.0/0\n", 0,
	  "web.nacl:2:1: rule number 32767 is out of range: expected 1..32766 or *" },
	{ "rule huge", IN "99999999999999999999999 deny all - 0.0.0.0/0\n", 0,
	  "web.nacl:2:1: rule number 99999999999999999999999 is out of range: expected 1..32766 or *" },
	{ "rule not a number", IN "10a allow tcp 80 0.0.0.0/0\n", 0,
	  "web.nacl:2:1: invalid rule number '10a': expected 1..32766 or *" },
	{ "rule negative", IN "-5 allow tcp 80 0.0.0.0/0\n", 0,
	  "web.nacl:2:1: invalid rule number '-5': expected 1..32766 or *" },
	{ "rule plus", IN "+5 allow tcp 80 0.0.0.0/0\n", 0,
	  "web.nacl:2:1: invalid rule number '+5': expected 1..32766 or *" },
	{ "duplicate rule", IN "100 allow tcp 80 0.0.0.0/0\n\t100 deny udp 53 0.0.0.0/0\n", 0,
	  "web.nacl:3:2: rule 100 is already defined at line 2" },
	{ "duplicate across families", IN "100 allow tcp 80 0.0.0.0/0\noutbound\n100 allow tcp 80 ::/0\ninbound\n100 allow tcp 80 ::/0\n", 0,
	  "web.nacl:6:1: rule 100 is already defined at line 2" },
	/* action, protocol */
	{ "unknown action", IN "100 permit tcp 80 0.0.0.0/0\n", 0,
	  "web.nacl:2:5: unknown action 'permit': expected allow or deny" },
	{ "unknown protocol", IN "100 allow tpc 80 0.0.0.0/0\n", 0,
	  "web.nacl:2:11: unknown protocol 'tpc': expected tcp, udp, icmp, icmpv6, all, -1 or a number 0..255" },
	{ "protocol 256", IN "100 allow 256 - 0.0.0.0/0\n", 0,
	  "web.nacl:2:11: protocol number 256 is out of range: expected 0..255 or -1 (all)" },
	{ "protocol -2", IN "100 allow -2 - 0.0.0.0/0\n", 0,
	  "web.nacl:2:11: protocol number -2 is out of range: expected 0..255 or -1 (all)" },
	/* ports */
	{ "reversed range", IN "\n\n\n\n  150  allow  tcp   443-80 0.0.0.0/0\n", 0,
	  "web.nacl:6:21: port range 443-80 is reversed" },
	{ "port too big", IN "100 allow udp 70000 0.0.0.0/0\n", 0,
	  "web.nacl:2:15: port 70000 is out of range: expected 0..65535" },
	{ "range end too big", IN "100 allow tcp 1024-65536 0.0.0.0/0\n", 0,
	  "web.nacl:2:20: port 65536 is out of range: expected 0..65535" },
	{ "malformed port", IN "100 allow tcp 8o 0.0.0.0/0\n", 0,
	  "web.nacl:2:15: invalid port '8o': expected N, N-M or all" },
	{ "open range", IN "100 allow tcp 1024- 0.0.0.0/0\n", 0,
	  "web.nacl:2:15: invalid port '1024-': expected N, N-M or all" },
	{ "dash for tcp", IN "100 allow tcp - 0.0.0.0/0\n", 0,
	  "web.nacl:2:15: invalid port '-': expected N, N-M or all" },
	{ "any for tcp", IN "100 allow 6 -1 0.0.0.0/0\n", 0,
	  "web.nacl:2:13: invalid port '-1': expected N, N-M or all" },
	{ "no ports for 50", IN "100 allow 50 80 198.51.100.0/24\n", 0,
	  "web.nacl:2:14: protocol 50 has no ports: expected - or all" },
	{ "no ports for all", IN "100 allow all 0-65535 0.0.0.0/0\n", 0,
	  "web.nacl:2:15: protocol all has no ports: expected - or all" },
	/* ICMP */
	{ "icmp type 256", IN "100 allow icmp 256/0 0.0.0.0/0\n", 0,
	  "web.nacl:2:16: ICMP type 256 is out of range: expected -1..255" },
	{ "icmp code 300", IN "100 allow icmp 3/300 0.0.0.0/0\n", 0,
	  "web.nacl:2:18: ICMP code 300 is out of range: expected -1..255" },
	{ "icmp type -2", IN "100 allow icmpv6 -2 ::/0\n", 0,
	  "web.nacl:2:18: ICMP type -2 is out of range: expected -1..255" },
	{ "icmp malformed", IN "100 allow icmp 3/x 0.0.0.0/0\n", 0,
	  "web.nacl:2:16: invalid ICMP type/code '3/x': expected TYPE/CODE, TYPE or all" },
	{ "icmp dash", IN "100 allow icmp - 0.0.0.0/0\n", 0,
	  "web.nacl:2:16: invalid ICMP type/code '-': expected TYPE/CODE, TYPE or all" },
	{ "icmp code without type", IN "100 allow icmp -1/4 0.0.0.0/0\n", 0,
	  "web.nacl:2:16: ICMP code 4 without a type: expected TYPE/4, or -1/-1 for all" },
	/* CIDR */
	{ "bad address", IN "100 allow tcp 80 10.0.0.300/8\n", 0,
	  "web.nacl:2:18: invalid CIDR '10.0.0.300/8': expected A.B.C.D/N or X:X::X/N" },
	{ "IPv4 prefix too long", IN "100 allow tcp 80 10.0.0.0/33\n", 0,
	  "web.nacl:2:18: prefix length /33 is too long for IPv4: expected /0 to /32" },
	{ "IPv6 prefix too long", IN "100 allow tcp 80 2001:db8::/129\n", 0,
	  "web.nacl:2:18: prefix length /129 is too long for IPv6: expected /0 to /128" },
	{ "bad prefix", IN "100 allow tcp 80 10.0.0.0/+8\n", 0,
	  "web.nacl:2:18: invalid CIDR '10.0.0.0/+8': expected A.B.C.D/N or X:X::X/N" },
	{ "no prefix", IN "100 allow tcp 80 192.0.2.1\n", 0,
	  "web.nacl:2:18: CIDR '192.0.2.1' has no prefix length: expected 192.0.2.1/32" },
	/* the default rule * */
	{ "* allow", IN "* allow all - 0.0.0.0/0\n", 0,
	  "web.nacl:2:3: the default rule * always denies: expected deny" },
	{ "* tcp", IN "* deny tcp all 0.0.0.0/0\n", 0,
	  "web.nacl:2:8: the default rule * matches every protocol: expected all" },
	{ "* ports", IN "* deny all 80 0.0.0.0/0\n", 0,
	  "web.nacl:2:12: protocol all has no ports: expected - or all" },
	{ "* CIDR", IN "* deny all - 10.0.0.0/8\n", 0,
	  "web.nacl:2:14: the default rule * covers every address: expected 0.0.0.0/0 or ::/0" },
	{ "* missing CIDR", IN "* deny all -\n", 0,
	  "web.nacl:2:13: expected a CIDR after the ports" },
	/* non-printable bytes are not echoed */
	{ "control bytes", IN "100 \x01\xff allow\n", 0,
	  "web.nacl:2:5: unknown action '?" "?': expected allow or deny" },
};

static void test_text_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(text_errors) / sizeof(text_errors[0]); i++) {
		const struct err_case *c = &text_errors[i];

		expect_err(c->name, text(c->in, c->len), c->err);
	}
	done();
}

#define QUOTA_WARN(fam) \
	"has 20 IPv" #fam " rules: above the AWS default quota of 20 rules (19 numbered + default): request a quota increase"
#define QUOTA_ERR "AWS allows at most 39 numbered rules per direction and family (quota 40 including the default)"

static const struct {
	const char *name;
	const char *section;
	int n4, n6; /* rules of each family: 1..n4, then 1001..1000+n6 */
	const char *err;
	const char *warn[4];
} text_quota[] = {
	{ "19 IPv4: no warning", "inbound", 19, 0, NULL,
	  { "web.nacl: no outbound section: all outbound traffic is denied (only the default rule *)" } },
	{ "20 IPv4: a warning", "outbound", 20, 0, NULL,
	  { "web.nacl:21:1: outbound " QUOTA_WARN(4),
	    "web.nacl: no inbound section: all inbound traffic is denied (only the default rule *)" } },
	{ "40 IPv4", "egress", 40, 0,
	  "web.nacl:41:1: outbound has 40 IPv4 rules: " QUOTA_ERR, { NULL } },
	{ "40 IPv6", "inbound", 19, 40,
	  "web.nacl:60:1: inbound has 40 IPv6 rules: " QUOTA_ERR, { NULL } },
	{ "39 of each: the most", "inbound", 39, 39, NULL,
	  { "web.nacl:21:1: inbound " QUOTA_WARN(4),
	    "web.nacl:60:1: inbound " QUOTA_WARN(6),
	    "web.nacl: no outbound section: all outbound traffic is denied (only the default rule *)" } },
};

static void test_text_quota(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(text_quota) / sizeof(text_quota[0]); i++) {
		char *f = malloc(4096), *p = f;

		assert_non_null(f);
		p += sprintf(p, "%s\n", text_quota[i].section);
		for (int k = 1; k <= text_quota[i].n4; k++)
			p += sprintf(p, "%d allow tcp %d 0.0.0.0/0\n", k, k);
		for (int k = 1; k <= text_quota[i].n6; k++)
			p += sprintf(p, "%d deny udp %d ::/0\n", 1000 + k, k);
		if (text_quota[i].err)
			expect_err(text_quota[i].name, text(f, 0), text_quota[i].err);
		else
			expect_ok(text_quota[i].name, text(f, 0), text_quota[i].warn);
		free(f);
	}
	/* the full 39 + 39 are all kept */
	assert_int_equal(rs.count[NACLEMU_INGRESS], NACL_MAX_RULES);
	done();
}

/* ---- text format: warnings ------------------------------------------------ */

struct warn_case {
	const char *name;
	const char *in;
	const char *warn[4];
};

static const struct warn_case text_warnings[] = {
	{ "none", IN "outbound\n", { NULL } },
	{ "host bits", IN "100 allow tcp 80 192.0.2.1/24\noutbound\n",
	  { "web.nacl:2:18: host bits set in 192.0.2.1/24: using 192.0.2.0/24" } },
	{ "IPv6 host bits", "outbound\n1 deny all - 2001:db8::1/32\ninbound\n",
	  { "web.nacl:2:14: host bits set in 2001:db8::1/32: using 2001:db8::/32" } },
	{ "no outbound", IN "100 allow tcp 80 0.0.0.0/0\n",
	  { "web.nacl: no outbound section: all outbound traffic is denied (only the default rule *)" } },
	{ "no inbound", "outbound\n",
	  { "web.nacl: no inbound section: all inbound traffic is denied (only the default rule *)" } },
	{ "icmpv6 type in IPv4 rule", IN "100 allow icmpv6 128/0 0.0.0.0/0\noutbound\n",
	  { "web.nacl:2:18: icmpv6 with an IPv4 CIDR matches every type: AWS ignores type/code 128/0" } },
	{ "in file order", IN "1 allow all - 10.0.0.1/8\n2 allow 58 1 0.0.0.0/0\n",
	  { "web.nacl:2:15: host bits set in 10.0.0.1/8: using 10.0.0.0/8",
	    "web.nacl:3:12: icmpv6 with an IPv4 CIDR matches every type: AWS ignores type/code 1",
	    "web.nacl: no outbound section: all outbound traffic is denied (only the default rule *)" } },
};

static void test_text_warnings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(text_warnings) / sizeof(text_warnings[0]); i++) {
		const struct warn_case *c = &text_warnings[i];

		expect_ok(c->name, text(c->in, 0), c->warn);
	}
	done();
}

/* ---- text format: normalisation ------------------------------------------- */

struct rule_case {
	const char *name;
	const char *line; /* one rule of the inbound section */
	bool allow;
	int protocol;
	uint16_t port_from, port_to;
	int icmp_type, icmp_code;
	const char *cidr;
};

static const struct rule_case text_rules[] = {
	{ "tcp port", "100 allow tcp 80 0.0.0.0/0", true, 6, 80, 80, -1, -1, "0.0.0.0/0" },
	{ "tcp range", "100 allow TCP 1024-65535 0.0.0.0/0", true, 6, 1024, 65535, -1, -1, "0.0.0.0/0" },
	{ "tcp all", "100 deny 6 all 10.0.0.0/8", false, 6, 0, 65535, -1, -1, "10.0.0.0/8" },
	{ "udp by number", "100 DENY 17 53 ::/0", false, 17, 53, 53, -1, -1, "::/0" },
	{ "udp port 0", "100 allow udp 0-0 ::/0", true, 17, 0, 0, -1, -1, "::/0" },
	{ "leading zeros", "0100 allow tcp 080 0.0.0.0/0", true, 6, 80, 80, -1, -1, "0.0.0.0/0" },
	{ "icmp type/code", "100 allow icmp 3/4 0.0.0.0/0", true, 1, 0, 65535, 3, 4, "0.0.0.0/0" },
	{ "icmp type", "100 allow 1 8 0.0.0.0/0", true, 1, 0, 65535, 8, -1, "0.0.0.0/0" },
	{ "icmp all", "100 allow icmp all 0.0.0.0/0", true, 1, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "icmp -1", "100 allow icmp -1 0.0.0.0/0", true, 1, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "icmp -1/-1", "100 allow icmp -1/-1 0.0.0.0/0", true, 1, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "icmp type/-1", "100 allow icmp 3/-1 0.0.0.0/0", true, 1, 0, 65535, 3, -1, "0.0.0.0/0" },
	{ "icmpv6", "100 allow icmpv6 128/0 2001:db8::/32", true, 58, 0, 65535, 128, 0, "2001:db8::/32" },
	{ "58 is icmpv6", "100 allow 58 135 ::/0", true, 58, 0, 65535, 135, -1, "::/0" },
	{ "icmpv6 IPv4 all", "100 allow icmpv6 all 0.0.0.0/0", true, 58, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "all", "100 allow all - 0.0.0.0/0", true, -1, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "-1 all", "100 allow -1 all ::/0", true, -1, 0, 65535, -1, -1, "::/0" },
	{ "ESP", "150 allow 50 - 198.51.100.0/24", true, 50, 0, 65535, -1, -1, "198.51.100.0/24" },
	{ "protocol 0", "150 allow 0 all 198.51.100.0/24", true, 0, 0, 65535, -1, -1, "198.51.100.0/24" },
	{ "protocol 255", "150 allow 255 - 198.51.100.7/32", true, 255, 0, 65535, -1, -1, "198.51.100.7/32" },
	{ "rule 32766", "32766 allow all - 0.0.0.0/0", true, -1, 0, 65535, -1, -1, "0.0.0.0/0" },
	{ "host bits cleared", "1 allow all - 203.0.113.77/24", true, -1, 0, 65535, -1, -1, "203.0.113.0/24" },
};

static void test_text_rules(void **state)
{
	char in[256], cbuf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(text_rules) / sizeof(text_rules[0]); i++) {
		const struct rule_case *c = &text_rules[i];
		const struct nacl_rule *r = &rs.rules[NACLEMU_INGRESS][0];
		int ret;

		snprintf(in, sizeof(in), "inbound\n%s\noutbound\n", c->line);
		ret = text(in, 0);
		if (ret)
			fail_msg("%s: %s", c->name, err);
		if (rs.count[NACLEMU_INGRESS] != 1 || rs.count[NACLEMU_EGRESS] != 0)
			fail_msg("%s: counts %zu, %zu", c->name,
				 rs.count[NACLEMU_INGRESS], rs.count[NACLEMU_EGRESS]);
		if (r->allow != c->allow || r->protocol != c->protocol ||
		    r->port_from != c->port_from || r->port_to != c->port_to ||
		    r->icmp_type != c->icmp_type || r->icmp_code != c->icmp_code ||
		    strcmp(nacl_cidr_str(&r->cidr, cbuf), c->cidr))
			fail_msg("%s: got allow %d proto %d ports %u-%u icmp %d/%d %s",
				 c->name, r->allow, r->protocol, r->port_from,
				 r->port_to, r->icmp_type, r->icmp_code,
				 nacl_cidr_str(&r->cidr, cbuf));
		if (strcmp(r->text, c->line) || r->line != 2 || r->col != 1)
			fail_msg("%s: text '%s' at %u:%u", c->name, r->text,
				 r->line, r->col);
	}
}

/* The documented example, and what the file as a whole becomes. */
static void test_text_file(void **state)
{
	static const char web[] =
		"# web tier: comments start with '#', blank lines are ignored\n"
		"Ingress:\r\n"
		"  150  allow  50      -            198.51.100.0/24  # ESP by number\n"
		"  100  allow  tcp     80           0.0.0.0/0\n"
		"\t110\tallow\ttcp\t443\t::/0\t\n"
		"  120  allow  tcp     1024-65535   0.0.0.0/0\n"
		"  130  allow  icmp    3/4          0.0.0.0/0      # type 3, code 4\n"
		"  140  deny   udp     all          203.0.113.0/24\n"
		"EGRESS\n"
		"  100  allow  tcp     32768-65535  0.0.0.0/0\n"
		"  *    deny   all     -            0.0.0.0/0      # optional: always implied\n"
		"  *    deny   -1      all          ::/0";
	static const unsigned int order[] = { 100, 110, 120, 130, 140, 150 };
	const struct nacl_rule *in = rs.rules[NACLEMU_INGRESS];

	(void)state;
	expect_ok("web", text(web, 0), NULL);
	assert_string_equal(rs.path, "web.nacl");
	assert_string_equal(rs.acl_id, "");
	assert_true(rs.has_dir[NACLEMU_INGRESS] && rs.has_dir[NACLEMU_EGRESS]);
	assert_int_equal(rs.count[NACLEMU_INGRESS], 6);
	assert_int_equal(rs.count[NACLEMU_EGRESS], 1);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(in[i].number, order[i]);
	/* sorted, but each keeps its line and its own words */
	assert_int_equal(in[5].line, 3);
	assert_int_equal(in[5].col, 3);
	assert_string_equal(in[5].text,
			    "150  allow  50      -            198.51.100.0/24");
	assert_string_equal(in[1].text, "110\tallow\ttcp\t443\t::/0");
	assert_int_equal(in[1].col, 2);
	assert_int_equal(rs.rules[NACLEMU_EGRESS][0].line, 10);

	/* an empty section still counts as present */
	expect_ok("empty sections", text("inbound:\noutbound:\n", 0), NULL);
	assert_true(rs.has_dir[NACLEMU_INGRESS] && rs.has_dir[NACLEMU_EGRESS]);
	assert_int_equal(rs.count[NACLEMU_INGRESS] + rs.count[NACLEMU_EGRESS], 0);

	/* the same number in both directions is fine */
	expect_ok("same number both ways",
		  text("outbound\n100 allow all - 0.0.0.0/0\n"
		       "inbound\n100 allow all - 0.0.0.0/0\n", 0), NULL);

	/* a section may come back; its rules join the first ones */
	expect_ok("section twice",
		  text("inbound\n2 deny all - ::/0\noutbound\ninbound\n1 deny all - ::/0\n", 0),
		  NULL);
	assert_int_equal(rs.count[NACLEMU_INGRESS], 2);
	assert_int_equal(rs.rules[NACLEMU_INGRESS][0].number, 1);
	done();
}

/* The rule's text is cut, not overflowed. */
static void test_text_long_line(void **state)
{
	char in[1024], *p = in;

	(void)state;
	p += sprintf(p, "inbound\n1");
	memset(p, ' ', 300);
	p += 300;
	sprintf(p, "allow all - 0.0.0.0/0\noutbound\n");
	expect_ok("long line", text(in, 0), NULL);
	assert_int_equal(strlen(rs.rules[0][0].text), NACL_TEXT_LEN - 1);
	assert_int_equal(strncmp(rs.rules[0][0].text, "1   ", 4), 0);

	/* a very long token is quoted short */
	p = in + sprintf(in, "inbound\n1 ");
	memset(p, 'x', 500);
	p[500] = '\0';
	expect_err("long token", text(in, 0),
		   "web.nacl:2:3: unknown action 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...': expected allow or deny");
	done();
}

/* ---- JSON ------------------------------------------------------------------- */

#define DEFAULTS(egress)                                                                               \
	"    {'RuleNumber': 32767, 'Protocol': '-1', 'RuleAction': 'deny', 'Egress': " egress ", 'CidrBlock': '0.0.0.0/0'},\n" \
	"    {'RuleNumber': 32768, 'Protocol': '-1', 'RuleAction': 'deny', 'Egress': " egress ", 'Ipv6CidrBlock': '::/0'}"

/* aws ec2 describe-network-acls, two ACLs (abridged: no Tags, OwnerId). */
static const char two_acls[] =
	"{\n"
	"  'NetworkAcls': [\n"
	"   {'NetworkAclId': 'acl-1', 'VpcId': 'vpc-1', 'IsDefault': false,\n"
	"    'Associations': [{'NetworkAclAssociationId': 'aclassoc-1', 'NetworkAclId': 'acl-1', 'SubnetId': 'subnet-1'},\n"
	"                     {'NetworkAclAssociationId': 'aclassoc-2', 'NetworkAclId': 'acl-1', 'SubnetId': 'subnet-2'}],\n"
	"    'Entries': [\n"
	"    {'RuleNumber': 100, 'Protocol': '6', 'RuleAction': 'allow', 'Egress': false, 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': 443, 'To': 443}},\n"
	"    {'RuleNumber': 90, 'Protocol': '1', 'RuleAction': 'allow', 'Egress': false, 'CidrBlock': '192.0.2.0/24', 'IcmpTypeCode': {'Type': 3, 'Code': 4}},\n"
	"    {'RuleNumber': 110, 'Protocol': '58', 'RuleAction': 'allow', 'Egress': false, 'Ipv6CidrBlock': '2001:db8::/32', 'IcmpTypeCode': {'Type': 128, 'Code': -1}},\n"
	"    {'RuleNumber': 100, 'Protocol': '17', 'RuleAction': 'deny', 'Egress': true, 'Ipv6CidrBlock': '2001:db8::/32', 'PortRange': {'From': 1024, 'To': 65535}},\n"
	"    {'RuleNumber': 200, 'Protocol': '-1', 'RuleAction': 'allow', 'Egress': true, 'CidrBlock': '0.0.0.0/0'},\n"
	DEFAULTS("false") ",\n"
	DEFAULTS("true") "\n"
	"    ]},\n"
	"   {'NetworkAclId': 'acl-2', 'VpcId': 'vpc-1', 'IsDefault': true,\n"
	"    'Associations': [{'NetworkAclAssociationId': 'aclassoc-3', 'NetworkAclId': 'acl-2', 'SubnetId': 'subnet-3'}],\n"
	"    'Entries': [\n"
	"    {'RuleNumber': 100, 'Protocol': '-1', 'RuleAction': 'allow', 'Egress': false, 'CidrBlock': '0.0.0.0/0'},\n"
	"    {'RuleNumber': 100, 'Protocol': -1, 'RuleAction': 'allow', 'Egress': true, 'CidrBlock': '0.0.0.0/0'},\n"
	DEFAULTS("false") ",\n"
	DEFAULTS("true") "\n"
	"    ]}\n"
	"  ]\n"
	"}\n";

static void expect_rules(const char *name, enum naclemu_dir dir,
			 const char *const *want)
{
	size_t n = 0;

	for (; want[n]; n++) {
		if (n >= rs.count[dir])
			fail_msg("%s: %s: missing rule %s", name,
				 nacl_dir_name(dir), want[n]);
		if (strcmp(rs.rules[dir][n].text, want[n]))
			fail_msg("%s: %s rule %zu:\n   got: %s\nwanted: %s", name,
				 nacl_dir_name(dir), n, rs.rules[dir][n].text,
				 want[n]);
	}
	if (rs.count[dir] != n)
		fail_msg("%s: %s: %zu rules, expected %zu", name,
			 nacl_dir_name(dir), rs.count[dir], n);
}

static void test_json_select(void **state)
{
	static const char *const acl1_in[] = {
		"90 allow icmp 3/4 192.0.2.0/24",
		"100 allow tcp 443 0.0.0.0/0",
		"110 allow icmpv6 128 2001:db8::/32",
		NULL,
	};
	static const char *const acl1_out[] = {
		"100 deny udp 1024-65535 2001:db8::/32",
		"200 allow all - 0.0.0.0/0",
		NULL,
	};
	static const char *const acl2[] = { "100 allow all - 0.0.0.0/0", NULL };
	const struct nacl_rule *r;

	(void)state;
	expect_ok("--acl acl-1", json_sel(two_acls, "acl-1", NULL), NULL);
	assert_string_equal(rs.acl_id, "acl-1");
	assert_string_equal(rs.path, "web.json");
	expect_rules("--acl acl-1", NACLEMU_INGRESS, acl1_in);
	expect_rules("--acl acl-1", NACLEMU_EGRESS, acl1_out);
	assert_true(rs.has_dir[NACLEMU_INGRESS] && rs.has_dir[NACLEMU_EGRESS]);
	r = &rs.rules[NACLEMU_INGRESS][1];
	assert_int_equal(r->protocol, 6);
	assert_int_equal(r->port_from, 443);
	assert_int_equal(r->port_to, 443);
	assert_int_equal(r->icmp_type, -1);
	assert_int_equal(r->line, 7);
	assert_int_equal(r->col, 5);
	r = &rs.rules[NACLEMU_INGRESS][0];
	assert_int_equal(r->icmp_type, 3);
	assert_int_equal(r->icmp_code, 4);
	assert_int_equal(r->port_from, 0);
	assert_int_equal(r->port_to, 65535);

	expect_ok("--subnet-id subnet-2", json_sel(two_acls, NULL, "subnet-2"), NULL);
	assert_string_equal(rs.acl_id, "acl-1");
	expect_ok("--subnet-id subnet-3", json_sel(two_acls, NULL, "subnet-3"), NULL);
	assert_string_equal(rs.acl_id, "acl-2");
	expect_rules("subnet-3", NACLEMU_INGRESS, acl2);
	expect_rules("subnet-3", NACLEMU_EGRESS, acl2);
	expect_ok("both", json_sel(two_acls, "acl-2", "subnet-3"), NULL);
	assert_string_equal(rs.acl_id, "acl-2");
	done();
}

static const struct {
	const char *name;
	const char *in;
	const char *acl, *subnet;
	const char *err;
} json_errors[] = {
	/* selection */
	{ "two ACLs, no selection", two_acls, NULL, NULL,
	  "web.json: 2 network ACLs in this file (acl-1, acl-2): choose one with --acl ID or --subnet-id ID" },
	{ "unknown --acl", two_acls, "acl-xyz", NULL,
	  "web.json: no network ACL acl-xyz in this file (it has acl-1, acl-2)" },
	{ "unknown --subnet-id", two_acls, NULL, "subnet-9",
	  "web.json: no network ACL associated with subnet-9 in this file (it has acl-1, acl-2)" },
	{ "--acl and other subnet", two_acls, "acl-1", "subnet-3",
	  "web.json: no network ACL acl-1 associated with subnet-3 in this file (it has acl-1, acl-2)" },
	{ "single ACL, other --acl",
	  "{'NetworkAclId': 'acl-1', 'Entries': [" DEFAULTS("true") "]}", "acl-2", NULL,
	  "web.json: no network ACL acl-2 in this file (it has acl-1)" },
	{ "Entries only, --acl", "{'Entries': []}", "acl-2", NULL,
	  "web.json: no network ACL acl-2 in this file (it has (no NetworkAclId))" },
	{ "single ACL, other subnet",
	  "{'NetworkAclId': 'acl-1', 'Associations': [], 'Entries': []}", NULL, "subnet-1",
	  "web.json: no network ACL associated with subnet-1 in this file (it has acl-1)" },
	{ "empty NetworkAcls", "{'NetworkAcls': []}", NULL, NULL,
	  "web.json: no network ACL in this file" },
	/* syntax */
	{ "invalid JSON", "{\n  'Entries': [\n    {'RuleNumber': 1,}\n  ]\n}", NULL, NULL,
	  "web.json:3:22: invalid JSON: string or '}' expected near '}'" },
	{ "duplicate key", "{'Entries': [], 'Entries': []}", NULL, NULL,
	  "web.json:1:25: invalid JSON: duplicate object key near '\"Entries\"'" },
	{ "not JSON", "inbound\n", NULL, NULL,
	  "web.json:1:7: invalid JSON: '[' or '{' expected near 'inbound'" },
	{ "empty", "", NULL, NULL,
	  "web.json:1:1: invalid JSON: '[' or '{' expected near end of file" },
	/* shape */
	{ "array", " [1]", NULL, NULL,
	  "web.json:1:2: expected an object: describe-network-acls output, a NetworkAcl or {\"Entries\": [...]}, got an array" },
	{ "no NetworkAcls or Entries", "{'Acls': []}", NULL, NULL,
	  "web.json:1:1: expected NetworkAcls or Entries: describe-network-acls output, a NetworkAcl or {\"Entries\": [...]}" },
	{ "NetworkAcls not an array", "{'NetworkAcls': {}}", NULL, NULL,
	  "web.json:1:17: NetworkAcls: expected an array of network ACLs, got an object" },
	{ "ACL not an object", "{'NetworkAcls': [{'Entries': []}, 7]}", NULL, NULL,
	  "web.json:1:35: NetworkAcls[1]: expected an object (a network ACL), got 7" },
	{ "Entries missing", "{'NetworkAcls': [{'NetworkAclId': 'acl-1'}]}", NULL, NULL,
	  "web.json:1:18: NetworkAcls[0].Entries: missing: expected an array of entries" },
	{ "Entries not an array", "{'Entries': 'none'}", NULL, NULL,
	  "web.json:1:13: Entries: expected an array of entries, got a string" },
	{ "Entries empty", "{'Entries': []}", NULL, NULL,
	  "web.json:1:13: Entries: no entries: expected the network ACL's rules" },
	{ "NetworkAclId not a string", "{'NetworkAclId': 5, 'Entries': []}", NULL, NULL,
	  "web.json:1:18: NetworkAclId: expected a string such as \"acl-0123456789abcdef0\", got 5" },
	{ "entry not an object", "{'Entries': [null]}", NULL, NULL,
	  "web.json:1:14: Entries[0]: expected an object (a network ACL entry), got null" },
	{ "RuleNumber missing",
	  "{'NetworkAcls': [{'Entries': [\n {'Protocol': '-1'}]}]}", NULL, NULL,
	  "web.json:2:2: NetworkAcls[0].Entries[0].RuleNumber: missing: expected an integer 1..32766" },
	{ "RuleNumber a string", "{'Entries': [{'RuleNumber': '100'}]}", NULL, NULL,
	  "web.json:1:29: Entries[0].RuleNumber: expected an integer 1..32766, got a string" },
	{ "RuleNumber 0", "{'Entries': [{'RuleNumber': 0}]}", NULL, NULL,
	  "web.json:1:29: Entries[0].RuleNumber: expected an integer 1..32766, got 0" },
	{ "RuleNumber 32769", "{'Entries': [{'RuleNumber': 32769}]}", NULL, NULL,
	  "web.json:1:29: Entries[0].RuleNumber: expected an integer 1..32766, got 32769" },
	{ "RuleNumber fraction", "{'Entries': [{'RuleNumber': 1.5}]}", NULL, NULL,
	  "web.json:1:29: Entries[0].RuleNumber: expected an integer 1..32766, got a fraction" },
	{ "Egress missing", "{'Entries': [{'RuleNumber': 1}]}", NULL, NULL,
	  "web.json:1:14: Entries[0].Egress: missing: expected true (outbound) or false (inbound)" },
	{ "Egress a string", "{'Entries': [{'RuleNumber': 1, 'Egress': 'true'}]}", NULL, NULL,
	  "web.json:1:42: Entries[0].Egress: expected true (outbound) or false (inbound), got a string" },
	{ "RuleAction missing", "{'Entries': [{'RuleNumber': 1, 'Egress': true}]}", NULL, NULL,
	  "web.json:1:14: Entries[0].RuleAction: missing: expected \"allow\" or \"deny\"" },
	{ "RuleAction unknown",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'permit'}]}", NULL, NULL,
	  "web.json:1:62: Entries[0].RuleAction: unknown action 'permit': expected allow or deny" },
	{ "Protocol missing",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny'}]}", NULL, NULL,
	  "web.json:1:14: Entries[0].Protocol: missing: expected a protocol number as a string, such as \"6\" or \"-1\"" },
	{ "Protocol unknown",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': 'ip'}]}", NULL, NULL,
	  "web.json:1:82: Entries[0].Protocol: unknown protocol 'ip': expected tcp, udp, icmp, icmpv6, all, -1 or a number 0..255" },
	{ "Protocol 256",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '256'}]}", NULL, NULL,
	  "web.json:1:82: Entries[0].Protocol: protocol number 256 is out of range: expected 0..255 or -1 (all)" },
	{ "Protocol integer 300",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': 300}]}", NULL, NULL,
	  "web.json:1:82: Entries[0].Protocol: protocol number 300 is out of range: expected 0..255 or -1 (all)" },
	{ "Protocol true",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': true}]}", NULL, NULL,
	  "web.json:1:82: Entries[0].Protocol: expected a protocol number as a string, such as \"6\" or \"-1\", got true" },
	{ "no CIDR",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1'}]}", NULL, NULL,
	  "web.json:1:14: Entries[0]: missing CidrBlock or Ipv6CidrBlock: expected exactly one" },
	{ "two CIDRs",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0', 'Ipv6CidrBlock': '::/0'}]}", NULL, NULL,
	  "web.json:1:14: Entries[0]: has both CidrBlock and Ipv6CidrBlock: expected exactly one" },
	{ "IPv6 in CidrBlock",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '::/0'}]}", NULL, NULL,
	  "web.json:1:101: Entries[0].CidrBlock: expected an IPv4 CIDR, got '::/0'" },
	{ "CidrBlock not a string",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': 10}]}", NULL, NULL,
	  "web.json:1:101: Entries[0].CidrBlock: expected an IPv4 CIDR string, got 10" },
	{ "IPv6 prefix too long",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1', 'Ipv6CidrBlock': '::/200'}]}", NULL, NULL,
	  "web.json:1:105: Entries[0].Ipv6CidrBlock: prefix length /200 is too long for IPv6: expected /0 to /128" },
	{ "PortRange missing",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '6', 'CidrBlock': '0.0.0.0/0'}]}", NULL, NULL,
	  "web.json:1:14: Entries[0].PortRange: missing: protocol tcp needs a port range {\"From\": N, \"To\": M}" },
	{ "PortRange not an object",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '17', 'CidrBlock': '0.0.0.0/0', 'PortRange': [53]}]}", NULL, NULL,
	  "web.json:1:127: Entries[0].PortRange: expected an object {\"From\": N, \"To\": M}, got an array" },
	{ "PortRange reversed",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '6', 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': 443, 'To': 80}}]}", NULL, NULL,
	  "web.json:1:126: Entries[0].PortRange: port range 443-80 is reversed" },
	{ "PortRange To missing",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '6', 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': 443}}]}", NULL, NULL,
	  "web.json:1:126: Entries[0].PortRange.To: missing: expected an integer 0..65535" },
	{ "PortRange From too big",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '6', 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': 65536, 'To': 80}}]}", NULL, NULL,
	  "web.json:1:135: Entries[0].PortRange.From: expected an integer 0..65535, got 65536" },
	{ "ICMP type 300",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '1', 'CidrBlock': '0.0.0.0/0', 'IcmpTypeCode': {'Type': 300}}]}", NULL, NULL,
	  "web.json:1:138: Entries[0].IcmpTypeCode.Type: expected an integer -1..255, got 300" },
	{ "ICMP code without type",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '1', 'CidrBlock': '0.0.0.0/0', 'IcmpTypeCode': {'Code': 3}}]}", NULL, NULL,
	  "web.json:1:129: Entries[0].IcmpTypeCode: ICMP code 3 without a type: expected a Type, or -1/-1 for all" },
	/* EC2 answers MissingParameter: IcmpTypeCode is required for 1, and 58 in IPv6 */
	{ "IcmpTypeCode missing, protocol 1",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '1', 'CidrBlock': '0.0.0.0/0'}]}", NULL, NULL,
	  "web.json:1:14: Entries[0]: missing IcmpTypeCode {\"Type\": T, \"Code\": C}: EC2 requires it for protocol 1 and for 58 with an IPv6 CIDR (use -1 for any type or code)" },
	{ "IcmpTypeCode missing, protocol 58 with an IPv6 CIDR",
	  "{'NetworkAcls': [{'Entries': [" DEFAULTS("true") ",\n"
	  "  {'RuleNumber': 1, 'Egress': false, 'RuleAction': 'allow', 'Protocol': '58', 'Ipv6CidrBlock': '2001:db8::/32'}]}]}", NULL, NULL,
	  "web.json:3:3: NetworkAcls[0].Entries[2]: missing IcmpTypeCode {\"Type\": T, \"Code\": C}: EC2 requires it for protocol 1 and for 58 with an IPv6 CIDR (use -1 for any type or code)" },
	{ "default entry allows",
	  "{'Entries': [{'RuleNumber': 32767, 'Egress': true, 'RuleAction': 'allow', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0'}]}", NULL, NULL,
	  "web.json:1:14: Entries[0]: entry 32767 is the default rule *: expected deny, protocol -1 and CidrBlock 0.0.0.0/0" },
	{ "default entry family",
	  "{'Entries': [{'RuleNumber': 32768, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0'}]}", NULL, NULL,
	  "web.json:1:14: Entries[0]: entry 32768 is the default rule *: expected deny, protocol -1 and Ipv6CidrBlock ::/0" },
	{ "duplicate rule",
	  "{'Entries': [\n"
	  "  {'RuleNumber': 5, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0'},\n"
	  "  {'RuleNumber': 5, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0'},\n"
	  "  {'RuleNumber': 5, 'Egress': true, 'RuleAction': 'deny', 'Protocol': '-1', 'Ipv6CidrBlock': '::/0'}]}", NULL, NULL,
	  "web.json:4:3: Entries[2]: rule 5 is already defined at line 2" },
	/* the locator: strings with brackets and escapes, nesting, UTF-8 */
	{ "locator",
	  "{'x\\'}': ['[{', {'a': [[], {}]}], 'NetworkAcls': [{'Entries': [], 'NetworkAclId': 'acl-\\u00e9'},\n"
	  "\t{'Tags': [{'Key': 'n\\u00e9', 'Value': '\xc3\xa9\xc3\xa9,]}'}],\r\n"
	  "  'NetworkAclId': 'acl-2', 'Entries' :\t[ {'RuleNumber': 1, 'Egress' : false, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '10.0.0.0/8'},\n"
	  "   {'RuleNumber':\n\n        -3}]}]}", "acl-2", NULL,
	  "web.json:6:9: NetworkAcls[1].Entries[1].RuleNumber: expected an integer 1..32766, got -3" },
	{ "locator column counts characters",
	  "{'NetworkAclId': '\xc3\xa9\xc3\xa9', 'Entries': [7]}", NULL, NULL,
	  "web.json:1:36: Entries[0]: expected an object (a network ACL entry), got 7" },
	{ "escaped key: the enclosing value",
	  "{'NetworkAcls': [{'Entr\\u0069es': [{'RuleNumber': 0}]}]}", NULL, NULL,
	  "web.json:1:18: NetworkAcls[0].Entries[0].RuleNumber: expected an integer 1..32766, got 0" },
};

static void test_json_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(json_errors) / sizeof(json_errors[0]); i++)
		expect_err(json_errors[i].name,
			   json_sel(json_errors[i].in, json_errors[i].acl,
				    json_errors[i].subnet),
			   json_errors[i].err);
	done();
}

static const struct {
	const char *name;
	const char *in;
	const char *warn[3];
} json_warnings[] = {
	{ "no outbound entries",
	  "{'Entries': [{'RuleNumber': 1, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0'}]}",
	  { "web.json: no outbound entries: all outbound traffic is denied (only the default rule *)" } },
	{ "only defaults: both present",
	  "{'Entries': [" DEFAULTS("true") ", " DEFAULTS("false") "]}", { NULL } },
	{ "host bits",
	  "{'Entries': [" DEFAULTS("true") ",\n"
	  "  {'RuleNumber': 1, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '-1', 'Ipv6CidrBlock': '2001:db8::1/32'}]}",
	  { "web.json:3:95: Entries[2].Ipv6CidrBlock: host bits set in 2001:db8::1/32: using 2001:db8::/32" } },
	{ "ignored PortRange and IcmpTypeCode",
	  "{'Entries': [" DEFAULTS("true") ",\n"
	  "  {'RuleNumber': 1, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': 1, 'To': 2}},\n"
	  "  {'RuleNumber': 2, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '6', 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': 1, 'To': 2}, 'IcmpTypeCode': {}}]}",
	  { "web.json:3:117: Entries[2].PortRange: ignored: protocol all has no ports",
	    "web.json:4:154: Entries[3].IcmpTypeCode: ignored: protocol tcp has no ICMP type" } },
	{ "icmpv6 without IcmpTypeCode in IPv4 entry: every type",
	  "{'Entries': [" DEFAULTS("true") ",\n"
	  "  {'RuleNumber': 1, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '58', 'CidrBlock': '0.0.0.0/0'}]}",
	  { NULL } },
	{ "icmpv6 type in IPv4 entry",
	  "{'Entries': [" DEFAULTS("true") ",\n"
	  "  {'RuleNumber': 1, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '58', 'CidrBlock': '0.0.0.0/0', 'IcmpTypeCode': {'Type': 128, 'Code': 0}}]}",
	  { "web.json:3:120: Entries[2].IcmpTypeCode: icmpv6 with an IPv4 CIDR matches every type: AWS ignores type/code 128/0" } },
};

static void test_json_warnings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(json_warnings) / sizeof(json_warnings[0]); i++)
		expect_ok(json_warnings[i].name,
			  json_sel(json_warnings[i].in, NULL, NULL),
			  json_warnings[i].warn);
	/* the ICMPv6 type of an IPv4 entry is dropped, as AWS does */
	assert_int_equal(rs.rules[NACLEMU_INGRESS][0].icmp_type, -1);
	assert_int_equal(rs.rules[NACLEMU_INGRESS][0].icmp_code, -1);
	assert_string_equal(rs.rules[NACLEMU_INGRESS][0].text,
			    "1 deny icmpv6 all 0.0.0.0/0");
	done();
}

/* {"Entries": [...]} and a single NetworkAcl; quotas as in the text format. */
static void test_json_forms(void **state)
{
	static const char *const one[] = { "7 allow udp 53 198.51.100.0/24", NULL };
	char *doc, *p;

	(void)state;
	expect_ok("Entries only",
		  json_sel("{'Entries': [{'RuleNumber': 7, 'Egress': true, 'RuleAction': 'Allow', 'Protocol': 'udp', 'CidrBlock': '198.51.100.0/24', 'PortRange': {'From': 53, 'To': 53}}]}",
			   NULL, NULL),
		  (const char *const[]){
			  "web.json: no inbound entries: all inbound traffic is denied (only the default rule *)",
			  NULL });
	expect_rules("Entries only", NACLEMU_EGRESS, one);
	assert_string_equal(rs.acl_id, "");
	assert_int_equal(rs.rules[NACLEMU_EGRESS][0].line, 1);
	assert_int_equal(rs.rules[NACLEMU_EGRESS][0].col, 14);

	expect_ok("NetworkAcl",
		  json_sel("{'NetworkAclId': 'acl-0123456789abcdef0', 'Associations': [{'SubnetId': 'subnet-1'}], 'Entries': [" DEFAULTS("true") ", " DEFAULTS("false") "]}",
			   "acl-0123456789abcdef0", "subnet-1"),
		  NULL);
	assert_string_equal(rs.acl_id, "acl-0123456789abcdef0");
	assert_int_equal(rs.count[NACLEMU_INGRESS] + rs.count[NACLEMU_EGRESS], 0);

	/* 40 IPv4 entries in one direction */
	doc = malloc(40 * 128 + 64);
	assert_non_null(doc);
	p = doc + sprintf(doc, "{'Entries': [");
	for (int i = 1; i <= 40; i++)
		p += sprintf(p, "%s\n{'RuleNumber': %d, 'Egress': false, 'RuleAction': 'deny', 'Protocol': '-1', 'CidrBlock': '0.0.0.0/0'}",
			     i > 1 ? "," : "", i);
	strcpy(p, "]}");
	expect_err("40 IPv4 entries", json_sel(doc, NULL, NULL),
		   "web.json:41:1: Entries[39]: inbound has 40 IPv4 rules: AWS allows at most 39 numbered rules per direction and family (quota 40 including the default)");
	/* cut to 20: a warning only */
	strcpy(strstr(doc, ",\n{'RuleNumber': 21,"), "]}");
	expect_ok("20 IPv4 entries", json_sel(doc, NULL, NULL),
		  (const char *const[]){
			  "web.json:21:1: Entries[19]: inbound has 20 IPv4 rules: above the AWS default quota of 20 rules (19 numbered + default): request a quota increase",
			  "web.json: no outbound entries: all outbound traffic is denied (only the default rule *)",
			  NULL });
	free(doc);
	done();
}

/* nacl_parse_json must not read past len: the buffer ends mid-document. */
static void test_json_bounds(void **state)
{
	static const char doc[] = "{'Entries': [{'RuleNumber': 1}]}";
	int ret;

	(void)state;
	for (size_t n = 0; n < sizeof(doc) - 1; n++) {
		/* exactly n bytes, so that ASan sees a read past the end */
		char *buf = malloc(n ? n : 1);

		assert_non_null(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = doc[i] == '\'' ? '"' : doc[i];
		ret = nacl_parse_json("web.json", buf, n, NULL, &rs, err);
		free(buf);
		assert_int_equal(ret, -EINVAL);
		assert_non_null(strstr(err, "invalid JSON"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_text_quota),
		cmocka_unit_test(test_text_warnings),
		cmocka_unit_test(test_text_rules),
		cmocka_unit_test(test_text_file),
		cmocka_unit_test(test_text_long_line),
		cmocka_unit_test(test_json_select),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_json_warnings),
		cmocka_unit_test(test_json_forms),
		cmocka_unit_test(test_json_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
