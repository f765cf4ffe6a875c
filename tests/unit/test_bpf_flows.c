// SPDX-License-Identifier: MIT
/*
 * test_bpf_flows.c - the flow log's accounting under BPF_PROG_TEST_RUN, on
 * the real object (bpf/flows.bpf.h, datapath/flows.c): for each kind of
 * packet (TCP, UDP, ICMP, IPv4 with options, VLAN tags, IPv6, GSO,
 * ACCEPT and REJECT, ingress and egress) the one flow taken from the table
 * is checked against the frame sent: key, packets, IP bytes, TCP flags,
 * times; exempt, non-IP and malformed packets make none.  Then: windows
 * (each take hands over exactly what came since the previous one), a full
 * table (the rest counted as flows lost, never kept), and the flow log off
 * (nothing counted anywhere).  Needs root; skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "bpf_harness.h"
#include "output/flowlog.h"

enum { IN = NACLEMU_INGRESS, OUT = NACLEMU_EGRESS };

#define ENTRIES 16

static const char RULES[] = "inbound\n"
			    " 100 allow tcp 80 192.0.2.0/24\n"
			    " 110 allow udp 53 0.0.0.0/0\n"
			    " 120 allow icmp 8 0.0.0.0/0\n"
			    " 130 allow tcp 80 2001:db8::/32\n"
			    "outbound\n"
			    " 100 allow tcp 49152-65535 0.0.0.0/0\n";

/*
 * struct fcase - one packet and the flow it must make.  @flows 0: none.
 * @bytes: IP bytes, worked out by hand from the frame.
 */
struct fcase {
	const char *name;
	int dir;
	struct frame_spec f;
	__u32 gso_segs;
	int flows;
	int action;
	__u64 packets, bytes;
	__u8 tcp_flags;
	__u16 sport, dport; /* as the key holds them */
	int pad; /* zero bytes after the IP packet, as a short Ethernet frame has */
};

#define AD(s, d) .src = s, .dst = d
#define TCP(sp, dp) .proto = IPPROTO_TCP, .sport = sp, .dport = dp
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = sp, .dport = dp
#define ICMP(t, c) .proto = IPPROTO_ICMP, .type = t, .code = c
#define A NACLEMU_FLOW_ACCEPT
#define R NACLEMU_FLOW_REJECT

static const struct fcase cases[] = {
	/* IP 20 + TCP 20, SYN. */
	{ "tcp_accept", IN, { AD("192.0.2.9", "198.51.100.1"), TCP(40000, 80) }, 0, 1, A, 1, 40, 2, 40000, 80 },
	{ "tcp_reject_default", IN, { AD("203.0.113.9", "198.51.100.1"), TCP(40000, 80) }, 0, 1, R, 1, 40, 2, 40000, 80 },
	{ "tcp_reject_egress", OUT, { AD("198.51.100.1", "192.0.2.9"), TCP(10001, 40000) }, 0, 1, R, 1, 40, 2, 10001, 40000 },
	{ "tcp_accept_egress", OUT, { AD("198.51.100.1", "192.0.2.9"), TCP(10001, 50000) }, 0, 1, A, 1, 40, 2, 10001, 50000 },
	/* IP 20 + UDP 8 + 10. */
	{ "udp_accept", IN, { AD("203.0.113.9", "198.51.100.1"), UDP(5353, 53), .payload = 10 }, 0, 1, A, 1, 38, 0, 5353, 53 },
	/* ICMP: ports 0, IP 20 + 8 + 56. */
	{ "icmp_ports_zero", IN, { AD("203.0.113.9", "198.51.100.1"), ICMP(8, 0), .payload = 56 }, 0, 1, A, 1, 84, 0, 0, 0 },
	{ "other_protocol", IN, { AD("203.0.113.9", "198.51.100.1"), .proto = 47, .payload = 24 }, 0, 1, R, 1, 44, 0, 0, 0 },
	/* The IP header's options count, the VLAN tags do not. */
	{ "ipv4_options", IN, { AD("192.0.2.9", "198.51.100.1"), TCP(40001, 80), .ipopt = 8 }, 0, 1, A, 1, 48, 2, 40001, 80 },
	/* A 54-byte frame padded to 60: the padding is no IP byte. */
	{ "ethernet_padding", IN, { AD("192.0.2.9", "198.51.100.1"), TCP(40005, 80) }, 0, 1, A, 1, 40, 2, 40005, 80, 6 },
	{ "vlan_tags", IN, { AD("192.0.2.9", "198.51.100.1"), TCP(40002, 80), .vlans = 2 }, 0, 1, A, 1, 40, 2, 40002, 80 },
	/* IPv6 40 + TCP 20. */
	{ "ipv6_tcp", IN, { AD("2001:db8:9::5", "2001:db8::1"), TCP(40003, 80) }, 0, 1, A, 1, 60, 2, 40003, 80 },
	{ "ipv6_reject", IN, { AD("2001:db8:9::5", "2001:db8::1"), TCP(40003, 22) }, 0, 1, R, 1, 60, 2, 40003, 22 },
	/* GSO, 4 segments: 20 + 20 + 1400, and 3 more IP + TCP headers. */
	{ "gso_segments", IN, { AD("192.0.2.9", "198.51.100.1"), TCP(40004, 80), .payload = 1400 }, 4, 1, A, 4, 1440 + 3 * 40, 2, 40004, 80 },
	/* GSO UDP, 3 segments: 20 + 8 + 900, and 2 more IP + UDP headers. */
	{ "gso_udp", IN, { AD("203.0.113.9", "198.51.100.1"), UDP(5353, 53), .payload = 900 }, 3, 1, A, 3, 928 + 2 * 28, 0, 5353, 53 },
	/* Not logged: exempt (link-local service, DHCP), not IP, malformed. */
	{ "exempt_linklocal", IN, { AD("169.254.169.254", "198.51.100.1"), TCP(80, 40000) }, 0, 0 },
	{ "exempt_dhcp", IN, { AD("203.0.113.9", "198.51.100.1"), UDP(68, 67) }, 0, 0 },
	{ "non_ip", IN, { .ethertype = ETH_P_ARP }, 0, 0 },
	{ "malformed", IN, { AD("192.0.2.9", "198.51.100.1"), TCP(40000, 80), .cut = 40 }, 0, 0 },
};

static struct harness *H;
static char why[256];

static int group_setup(void **state)
{
	struct dp_load_opts o = { .events_rate = 0, .coarse_clock = -1, .flow_entries = ENTRIES };

	(void)state;
	H = harness_open_with(&o, why, sizeof(why));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	harness_close(H);
	return 0;
}

static void set_rules(struct harness *h, const char *text)
{
	static struct nacl_ruleset rs;
	char err[NACL_MSG_LEN] = "";

	if (nacl_parse_text("case.nacl", text, strlen(text), &rs, err))
		fail_msg("rules do not parse: %s", err);
	if (harness_set_rules(h, &rs, NULL, err))
		fail_msg("cannot install rules: %s", err);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* The table's flows since the last take (a new window starts). */
static size_t take(struct harness *h, struct flowlog_flow **flows)
{
	size_t n = 0;

	assert_int_equal(dp_flows_take(h->flows_fd, ENTRIES, flows, &n), 0);
	return n;
}

/* The rules installed and a new window begun: the table is empty. */
static void fresh(struct harness *h)
{
	struct flowlog_flow *flows = NULL;

	set_rules(h, RULES);
	take(h, &flows);
	free(flows);
}

static __u64 lost(struct harness *h)
{
	return harness_packets(h, NACLEMU_SLOT_FLOWS_LOST);
}

static void send_frame(struct harness *h, int dir, const struct frame_spec *f, __u32 gso_segs,
		       int pad)
{
	uint8_t frame[2048];
	size_t len = frame_build(f, frame) + (size_t)pad; /* frame_build() zeroes the rest */
	int retval;

	assert_int_equal(harness_run(h, dir, frame, len, gso_segs, &retval), 0);
}

static void run_case(void **state)
{
	const struct fcase *c = *state;
	struct flowlog_flow *flows = NULL;
	const struct naclemu_flow_key *k;
	__u64 before, after, lost0;
	uint8_t a[16] = {};
	size_t n;
	int fam = strchr(c->f.src ? c->f.src : "", ':') ? 6 : 4;

	if (!H)
		skip();
	fresh(H);
	lost0 = lost(H);
	before = mono_ns();
	send_frame(H, c->dir, &c->f, c->gso_segs, c->pad);
	after = mono_ns();
	n = take(H, &flows);
	assert_int_equal(lost(H), lost0);
	assert_int_equal(n, (size_t)c->flows);
	if (!n) {
		free(flows);
		return;
	}
	k = &flows[0].key;
	assert_int_equal(k->dir, c->dir);
	assert_int_equal(k->family, fam);
	assert_int_equal(k->protocol, c->f.proto);
	assert_int_equal(k->action, c->action);
	assert_int_equal(k->sport, c->sport);
	assert_int_equal(k->dport, c->dport);
	if (fam == 4) {
		inet_pton(AF_INET, c->f.src, a);
		assert_int_equal(k->src.lo, (__u64)ntohl(*(__u32 *)a));
		assert_int_equal(k->src.hi, 0);
		inet_pton(AF_INET, c->f.dst, a);
		assert_int_equal(k->dst.lo, (__u64)ntohl(*(__u32 *)a));
	} else {
		inet_pton(AF_INET6, c->f.src, a);
		assert_int_equal(k->src.hi >> 32, ntohl(*(__u32 *)a));
		assert_int_equal(k->src.lo & 0xffffffff, ntohl(*(__u32 *)(a + 12)));
	}
	assert_int_equal(flows[0].val.packets, c->packets);
	assert_int_equal(flows[0].val.bytes, c->bytes);
	assert_int_equal(flows[0].val.tcp_flags, c->tcp_flags);
	/* The coarse clock lags by at most a tick (10 ms at HZ=100). */
	assert_true(flows[0].val.first_ns <= flows[0].val.last_ns);
	assert_true(flows[0].val.first_ns + 10000000 >= before);
	assert_true(flows[0].val.last_ns <= after);
	free(flows);
}

/* Each take hands over exactly the packets since the previous one. */
static void windows(void **state)
{
	struct frame_spec syn = { AD("192.0.2.9", "198.51.100.1"), TCP(40100, 80) };
	struct frame_spec rej = { AD("203.0.113.9", "198.51.100.1"), TCP(40100, 80) };
	struct flowlog_flow *flows = NULL;
	size_t n;

	(void)state;
	if (!H)
		skip();
	fresh(H);
	for (int i = 0; i < 3; i++)
		send_frame(H, IN, &syn, 0, 0);
	send_frame(H, IN, &rej, 0, 0);
	n = take(H, &flows);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(flows[i].val.packets,
				 flows[i].key.action == NACLEMU_FLOW_ACCEPT ? 3 : 1);
	free(flows);
	send_frame(H, IN, &syn, 0, 0);
	send_frame(H, IN, &syn, 0, 0);
	n = take(H, &flows);
	assert_int_equal(n, 1);
	assert_int_equal(flows[0].val.packets, 2);
	assert_int_equal(flows[0].val.bytes, 80);
	free(flows);
	n = take(H, &flows);
	assert_int_equal(n, 0);
	free(flows);
}

/* A full table keeps ENTRIES flows and counts the rest's packets as lost. */
static void table_full(void **state)
{
	struct frame_spec f = { AD("192.0.2.9", "198.51.100.1"), TCP(0, 80) };
	struct flowlog_flow *flows = NULL;
	__u64 lost0;
	size_t n;

	(void)state;
	if (!H)
		skip();
	fresh(H);
	lost0 = lost(H);
	for (int i = 0; i < ENTRIES + 5; i++) {
		f.sport = 41000 + i;
		send_frame(H, IN, &f, 0, 0);
	}
	/* A flow already in the table is still counted. */
	f.sport = 41000;
	send_frame(H, IN, &f, 0, 0);
	assert_int_equal(lost(H) - lost0, 5);
	n = take(H, &flows);
	assert_int_equal(n, ENTRIES);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(flows[i].val.packets, flows[i].key.sport == 41000 ? 2 : 1);
	free(flows);
	/* The next window has room again. */
	send_frame(H, IN, &f, 0, 0);
	assert_int_equal(lost(H) - lost0, 5);
	n = take(H, &flows);
	assert_int_equal(n, 1);
	free(flows);
}

/* Off: no table, and nothing counted, not even as lost. */
static void flow_log_off(void **state)
{
	struct dp_load_opts o = { .events_rate = 0, .coarse_clock = -1 };
	struct frame_spec f = { AD("192.0.2.9", "198.51.100.1"), TCP(40200, 80) };
	struct harness *h;
	__u32 zero = 0, id;

	(void)state;
	if (!H)
		skip();
	h = harness_open_with(&o, why, sizeof(why));
	assert_non_null(h);
	set_rules(h, RULES);
	for (int i = 0; i < 10; i++)
		send_frame(h, IN, &f, 0, 0);
	assert_int_equal(harness_packets(h, NACLEMU_SLOT_FLOWS_LOST), 0);
	assert_int_equal(harness_packets(h, harness_rule_slot(h, IN, 4, 100)), 10);
	assert_int_not_equal(bpf_map_lookup_elem(h->flows_fd, &zero, &id), 0);
	harness_close(h);
}

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);
	struct CMUnitTest *tests = calloc(n + 3, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_case,
						.initial_state = (void *)&cases[i] };
	tests[n] = (struct CMUnitTest){ .name = "windows", .test_func = windows };
	tests[n + 1] = (struct CMUnitTest){ .name = "table_full", .test_func = table_full };
	tests[n + 2] = (struct CMUnitTest){ .name = "flow_log_off", .test_func = flow_log_off };
	ret = _cmocka_run_group_tests("bpf_flows", tests, n + 3, group_setup, group_teardown);
	if (!H)
		fprintf(stderr, "skip: %s\n", why);
	free(tests);
	return ret;
}
