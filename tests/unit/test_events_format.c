// SPDX-License-Identifier: MIT
/*
 * test_events_format.c - drop events as `naclemu events` prints them
 * (user/events.c), table-driven: an event in, the exact JSON line and text
 * line out.  docs/semantics.md section 4: JSON fields in order, nulls where a field
 * does not apply, RFC 3339 UTC time with microseconds; text columns as in
 * the documented example.  No BPF, no root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "output/events.h"

/* 2026-11-21T10:32:49Z, with the event at boot time 5 s + 696954123 ns. */
#define BOOT_NS (5000000000ULL + 696954123ULL)
#define OFFSET_NS ((__s64)1795257169 * 1000000000 - 5000000000LL)

#define V4(a, b, c, d) { 0, (__u64)(a) << 24 | (b) << 16 | (c) << 8 | (d) }

struct fcase {
	const char *name;
	struct naclemu_event e;
	const char *iface;
	const char *json;
	const char *text;
};

static const struct fcase cases[] = {
	{ "spec_example",
	  { BOOT_NS, V4(172, 34, 59, 184), V4(172, 34, 1, 252), 7, 60, 32767, 51990, 10001,
	    NACLEMU_EGRESS, 4, 6, NACLEMU_EVF_PROTO | NACLEMU_EVF_PORTS | NACLEMU_EVF_TCP, 0x12 },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"egress\","
	  "\"rule\":32767,\"action\":\"deny\",\"family\":4,\"protocol\":6,\"src\":\"172.34.59.184\","
	  "\"dst\":\"172.34.1.252\",\"src_port\":51990,\"dst_port\":10001,\"icmp_type\":null,"
	  "\"icmp_code\":null,\"length\":60,\"tcp_flags\":\"SA\"}",
	  "10:32:49.696954 eth0   egress  *     tcp   172.34.59.184:51990 172.34.1.252:10001   60\n" },
	{ "udp_rule_ingress",
	  { BOOT_NS, V4(198, 51, 100, 7), V4(192, 0, 2, 1), 3, 52, 120, 5353, 53,
	    NACLEMU_INGRESS, 4, 17, NACLEMU_EVF_PROTO | NACLEMU_EVF_PORTS },
	  "v-server",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"v-server\",\"direction\":\"ingress\","
	  "\"rule\":120,\"action\":\"deny\",\"family\":4,\"protocol\":17,\"src\":\"198.51.100.7\","
	  "\"dst\":\"192.0.2.1\",\"src_port\":5353,\"dst_port\":53,\"icmp_type\":null,"
	  "\"icmp_code\":null,\"length\":52,\"tcp_flags\":null}",
	  "10:32:49.696954 v-server ingress 120   udp   198.51.100.7:5353   192.0.2.1:53         52\n" },
	{ "icmp",
	  { BOOT_NS, V4(198, 51, 100, 7), V4(192, 0, 2, 1), 3, 98, 32767, 0, 0,
	    NACLEMU_INGRESS, 4, 1, NACLEMU_EVF_PROTO | NACLEMU_EVF_ICMP, 0, 8, 0 },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"ingress\","
	  "\"rule\":32767,\"action\":\"deny\",\"family\":4,\"protocol\":1,\"src\":\"198.51.100.7\","
	  "\"dst\":\"192.0.2.1\",\"src_port\":null,\"dst_port\":null,\"icmp_type\":8,"
	  "\"icmp_code\":0,\"length\":98,\"tcp_flags\":null}",
	  "10:32:49.696954 eth0   ingress *     icmp  198.51.100.7        192.0.2.1            98\n" },
	{ "v6_tcp_brackets",
	  { BOOT_NS, { 0x20010db800010000ULL, 0x10 }, { 0x20010db800020000ULL, 0x20 }, 3, 94, 32768,
	    40000, 443, NACLEMU_INGRESS, 6, 6,
	    NACLEMU_EVF_PROTO | NACLEMU_EVF_PORTS | NACLEMU_EVF_TCP, 0x02 },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"ingress\","
	  "\"rule\":32768,\"action\":\"deny\",\"family\":6,\"protocol\":6,\"src\":\"2001:db8:1::10\","
	  "\"dst\":\"2001:db8:2::20\",\"src_port\":40000,\"dst_port\":443,\"icmp_type\":null,"
	  "\"icmp_code\":null,\"length\":94,\"tcp_flags\":\"S\"}",
	  "10:32:49.696954 eth0   ingress *     tcp   [2001:db8:1::10]:40000 [2001:db8:2::20]:443  94\n" },
	{ "icmpv6_short_name",
	  { BOOT_NS, { 0x20010db800010000ULL, 0x10 }, { 0x20010db800020000ULL, 0x20 }, 3, 118, 150,
	    0, 0, NACLEMU_EGRESS, 6, 58, NACLEMU_EVF_PROTO | NACLEMU_EVF_ICMP, 0, 128, 0 },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"egress\","
	  "\"rule\":150,\"action\":\"deny\",\"family\":6,\"protocol\":58,\"src\":\"2001:db8:1::10\","
	  "\"dst\":\"2001:db8:2::20\",\"src_port\":null,\"dst_port\":null,\"icmp_type\":128,"
	  "\"icmp_code\":0,\"length\":118,\"tcp_flags\":null}",
	  "10:32:49.696954 eth0   egress  150   icmp6 2001:db8:1::10      2001:db8:2::20      118\n" },
	{ "later_fragment_no_ports",
	  { BOOT_NS, V4(198, 51, 100, 7), V4(192, 0, 2, 1), 3, 1514, 32767, 0, 0,
	    NACLEMU_INGRESS, 4, 17, NACLEMU_EVF_PROTO },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"ingress\","
	  "\"rule\":32767,\"action\":\"deny\",\"family\":4,\"protocol\":17,\"src\":\"198.51.100.7\","
	  "\"dst\":\"192.0.2.1\",\"src_port\":null,\"dst_port\":null,\"icmp_type\":null,"
	  "\"icmp_code\":null,\"length\":1514,\"tcp_flags\":null}",
	  "10:32:49.696954 eth0   ingress *     udp   198.51.100.7        192.0.2.1           1514\n" },
	{ "other_protocol",
	  { BOOT_NS, V4(203, 0, 113, 9), V4(192, 0, 2, 1), 3, 80, 140, 0, 0,
	    NACLEMU_INGRESS, 4, 47, NACLEMU_EVF_PROTO },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"ingress\","
	  "\"rule\":140,\"action\":\"deny\",\"family\":4,\"protocol\":47,\"src\":\"203.0.113.9\","
	  "\"dst\":\"192.0.2.1\",\"src_port\":null,\"dst_port\":null,\"icmp_type\":null,"
	  "\"icmp_code\":null,\"length\":80,\"tcp_flags\":null}",
	  "10:32:49.696954 eth0   ingress 140   47    203.0.113.9         192.0.2.1            80\n" },
	{ "malformed_with_addresses",
	  { BOOT_NS, V4(192, 0, 2, 9), V4(198, 51, 100, 1), 3, 53, NACLEMU_RULE_MALFORMED, 0, 0,
	    NACLEMU_INGRESS, 4, 6, NACLEMU_EVF_PROTO },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"ingress\","
	  "\"rule\":0,\"action\":\"malformed\",\"family\":4,\"protocol\":6,\"src\":\"192.0.2.9\","
	  "\"dst\":\"198.51.100.1\",\"src_port\":null,\"dst_port\":null,\"icmp_type\":null,"
	  "\"icmp_code\":null,\"length\":53,\"tcp_flags\":null}",
	  "10:32:49.696954 eth0   ingress -     tcp   192.0.2.9           198.51.100.1         53\n" },
	{ "malformed_unknown_ip",
	  { BOOT_NS, {0, 0}, {0, 0}, 3, 37, NACLEMU_RULE_MALFORMED, 0, 0, NACLEMU_INGRESS, 0, 0, 0 },
	  "eth0",
	  "{\"time\":\"2026-11-21T10:32:49.696954Z\",\"interface\":\"eth0\",\"direction\":\"ingress\","
	  "\"rule\":0,\"action\":\"malformed\",\"family\":null,\"protocol\":null,\"src\":null,"
	  "\"dst\":null,\"src_port\":null,\"dst_port\":null,\"icmp_type\":null,"
	  "\"icmp_code\":null,\"length\":37,\"tcp_flags\":null}",
	  "10:32:49.696954 eth0   ingress -     -     -                   -                    37\n" },
};

static void run_case(void **state)
{
	const struct fcase *c = *state;
	char line[EV_LINE_LEN];
	json_t *o = ev_json(&c->e, c->iface, OFFSET_NS);
	char *s;

	assert_non_null(o);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(s);
	assert_string_equal(s, c->json);
	free(s);
	json_decref(o);
	assert_string_equal(ev_text(&c->e, c->iface, 6, OFFSET_NS, line), c->text);
}

static void header(void **state)
{
	char line[EV_LINE_LEN];

	(void)state;
	/* docs/semantics.md section 4\'s header, to the character. */
	assert_string_equal(ev_text_header(6, line),
			    "TIME            IFACE  DIR     RULE  PROTO SRC                 DST                 LEN\n");
	assert_string_equal(ev_text_header(8, line),
			    "TIME            IFACE    DIR     RULE  PROTO SRC                 DST                 LEN\n");
}

static void tcp_flags(void **state)
{
	static const struct { __u8 bits; const char *s; } t[] = {
		{ 0x02, "S" }, { 0x12, "SA" }, { 0x11, "FA" }, { 0x18, "PA" }, { 0x04, "R" },
		{ 0x14, "RA" }, { 0x00, "" }, { 0xff, "FSRPAUEC" }, { 0xc2, "SEC" },
	};
	char buf[9];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(ev_tcp_flags(t[i].bits, buf), t[i].s);
}

/* Microseconds are truncated, never rounded up into the next second. */
static void time_truncated(void **state)
{
	struct naclemu_event e = cases[0].e;
	char line[EV_LINE_LEN];
	json_t *o;

	(void)state;
	e.time_ns = 5000000000ULL + 999999999ULL;
	o = ev_json(&e, "eth0", OFFSET_NS);
	assert_string_equal(json_string_value(json_object_get(o, "time")),
			    "2026-11-21T10:32:49.999999Z");
	json_decref(o);
	assert_memory_equal(ev_text(&e, "eth0", 6, OFFSET_NS, line), "10:32:49.999999 ", 16);
}

/* The clock offset turns boot time into the wall clock. */
static void clock_offset(void **state)
{
	struct timespec b, r;
	__s64 off = ev_clock_offset(), diff;

	(void)state;
	clock_gettime(CLOCK_BOOTTIME, &b);
	clock_gettime(CLOCK_REALTIME, &r);
	diff = ((__s64)b.tv_sec * 1000000000 + b.tv_nsec + off) -
	       ((__s64)r.tv_sec * 1000000000 + r.tv_nsec);
	assert_true(diff > -10000000 && diff < 10000000); /* within 10 ms */
}

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct CMUnitTest *tests = calloc(n + 4, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	/* Text lines are in local time: make it UTC for the expectations. */
	setenv("TZ", "UTC", 1);
	tzset();
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_case,
						.initial_state = (void *)&cases[i] };
	tests[n] = (struct CMUnitTest){ .name = "header", .test_func = header };
	tests[n + 1] = (struct CMUnitTest){ .name = "tcp_flags", .test_func = tcp_flags };
	tests[n + 2] = (struct CMUnitTest){ .name = "time_truncated", .test_func = time_truncated };
	tests[n + 3] = (struct CMUnitTest){ .name = "clock_offset", .test_func = clock_offset };
	ret = _cmocka_run_group_tests("events_format", tests, n + 4, NULL, NULL);
	free(tests);
	return ret;
}
