// SPDX-License-Identifier: MIT
/*
 * test_guard.c - the lock-out guard's offline half (analysis/guard.h):
 * SSH_CONNECTION read, and a session judged by both of its legs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/guard.h"
#include "rules/read.h"

static struct nacl_ruleset *parse(const char *text)
{
	static struct nacl_ruleset rs;
	char err[NACL_MSG_LEN] = "";

	if (nacl_parse_text("t.nacl", text, strlen(text), &rs, err))
		fail_msg("rules do not parse: %s", err);
	return &rs;
}

static struct nacl_session session(const char *s)
{
	struct nacl_session out;
	char err[160] = "";

	if (nacl_session_parse(s, &out, err, sizeof(err)))
		fail_msg("'%s' does not parse: %s", s, err);
	return out;
}

static void test_parse(void **state)
{
	struct nacl_session s;
	uint8_t a[16] = {};
	char buf[128];

	(void)state;
	s = session("192.0.2.10 50000 198.51.100.20 22");
	assert_int_equal(s.family, 4);
	assert_int_equal(s.client_port, 50000);
	assert_int_equal(s.server_port, 22);
	inet_pton(AF_INET, "192.0.2.10", a);
	assert_memory_equal(s.client, a, 16);
	nacl_session_str(&s, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.10:50000 -> 198.51.100.20:22");

	s = session("2001:db8::10 40000 2001:db8::1 2222");
	assert_int_equal(s.family, 6);
	assert_int_equal(s.server_port, 2222);
	nacl_session_str(&s, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::10]:40000 -> [2001:db8::1]:2222");

	/* sshd on a dual-stack socket: IPv4-mapped, which is IPv4 on the wire. */
	s = session("::ffff:192.0.2.10 50000 ::ffff:198.51.100.20 22");
	assert_int_equal(s.family, 4);
	assert_memory_equal(s.client, a, 16);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "", "is not \"CLIENT_ADDR" },
		{ "192.0.2.10 50000 198.51.100.20", "is not \"CLIENT_ADDR" },
		{ "192.0.2.10 50000 198.51.100.20 22 x", "is not \"CLIENT_ADDR" },
		{ "192.0.2.300 50000 198.51.100.20 22", "'192.0.2.300' is not an IPv4 or IPv6" },
		{ "192.0.2.10 50000 host 22", "'host' is not an IPv4 or IPv6" },
		{ "192.0.2.10 50000 2001:db8::1 22", "different address families" },
		{ "192.0.2.10 0 198.51.100.20 22", "'0' is not a port" },
		{ "192.0.2.10 50000 198.51.100.20 65536", "'65536' is not a port" },
		{ "192.0.2.10 5x 198.51.100.20 22", "'5x' is not a port" },
	};
	struct nacl_session s;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(nacl_session_parse(bad[i].in, &s, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].in, err, bad[i].msg);
	}
}

static const char narrow[] = "inbound\n"
			     "50 deny tcp 22 192.0.2.99/32\n"
			     "100 allow tcp 22 192.0.2.0/24\n"
			     "outbound\n"
			     "100 allow tcp 1024-49151 0.0.0.0/0\n";

static void test_judge(void **state)
{
	struct nacl_ruleset *rs = parse(narrow);
	struct nacl_session s;
	struct nacl_session_verdict v;

	(void)state;
	/* Both legs allowed. */
	s = session("192.0.2.10 40000 198.51.100.20 22");
	assert_false(nacl_session_judge(rs, NULL, &s, &v));
	assert_false(v.denied);

	/* The reply to port 50000: the outbound default deny. */
	s = session("192.0.2.10 50000 198.51.100.20 22");
	assert_true(nacl_session_judge(rs, NULL, &s, &v));
	assert_int_equal(v.packet.dir, NACLEMU_EGRESS);
	assert_int_equal(v.packet.src_port, 22);
	assert_int_equal(v.packet.dst_port, 50000);
	assert_int_equal(v.verdict.rule_number, 32767);
	assert_int_equal(v.verdict.index, -1);

	/* The inbound leg is judged first: rule 50 names the client. */
	s = session("192.0.2.99 50000 198.51.100.20 22");
	assert_true(nacl_session_judge(rs, NULL, &s, &v));
	assert_int_equal(v.packet.dir, NACLEMU_INGRESS);
	assert_int_equal(v.verdict.rule_number, 50);

	/* Another port than 22 on the server. */
	s = session("192.0.2.10 40000 198.51.100.20 2222");
	assert_true(nacl_session_judge(rs, NULL, &s, &v));
	assert_int_equal(v.verdict.rule_number, 32767);

	/* IPv6: no IPv6 rule, the IPv6 default deny. */
	s = session("2001:db8::10 40000 2001:db8::1 22");
	assert_true(nacl_session_judge(rs, NULL, &s, &v));
	assert_int_equal(v.verdict.rule_number, 32768);
}

static void test_judge_exempt(void **state)
{
	struct nacl_ruleset *rs = parse(narrow);
	struct naclemu_cidr c;
	struct nacl_extra x = { .exempt = &c, .nexempt = 1 };
	struct nacl_session s = session("192.0.2.99 50000 198.51.100.20 22");
	struct nacl_session_verdict v;
	bool host_bits;

	(void)state;
	assert_int_equal(nacl_parse_cidr("192.0.2.99/32", &c, &host_bits), 0);
	assert_false(nacl_session_judge(rs, &x, &s, &v));
	/* The subnet of the host itself: intra-subnet traffic bypasses the NACL. */
	assert_int_equal(nacl_parse_cidr("192.0.2.0/24", &c, &host_bits), 0);
	x = (struct nacl_extra){ .subnet = &c, .nsubnet = 1 };
	assert_false(nacl_session_judge(rs, &x, &s, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_judge_exempt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
