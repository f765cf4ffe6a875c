// SPDX-License-Identifier: MIT
/*
 * test_bpf_bench.c - per-packet cost of the datapath, by BPF_PROG_TEST_RUN
 * with a large repeat count (the kernel reports the mean ns per run): an
 * empty TC program (the floor: test-run overhead), then naclemu with 1 rule
 * and with the AWS maximum of 40 entries per direction and family (39
 * numbered rules + '*'), for IPv4 and IPv6, on the worst path (the last
 * rule matches, or none and '*' denies).
 *
 * It prints one table (the OVERHEAD numbers of the docs) and checks the
 * claim the design rests on: the cost does not grow with the rule count
 * (40 entries within 1.5x + 15 ns of 1 rule, generous for a busy machine).
 * NACLEMU_BENCH_REPEAT sets the repeat count (default 1,000,000).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf_harness.h"

#define ROUNDS 5 /* best of: the least disturbed round */

static int empty_prog(void)
{
	/* r0 = TC_ACT_UNSPEC; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = TC_ACT_UNSPEC },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "empty", "GPL", insns, 2, NULL);
}

static double ns_per_packet(int prog, const struct frame_spec *f, int repeat)
{
	uint8_t frame[2048];
	size_t len = frame_build(f, frame);
	__u32 best = UINT32_MAX;

	for (int r = 0; r < ROUNDS; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (__u32)len,
			    .repeat = repeat);

		assert_int_equal(bpf_prog_test_run_opts(prog, &o), 0);
		if (o.duration < best)
			best = o.duration;
	}
	return best;
}

/* 39 IPv4 and 39 IPv6 inbound rules none of which matches 198.51.100.x /
 * 2001:db8:ffff::, but the last, and only for port 443. */
static void rules_text(char *buf, size_t len, int n, bool last_matches)
{
	size_t o = (size_t)snprintf(buf, len, "inbound\n");

	for (int i = 1; i <= n; i++) {
		bool last = i == n && last_matches;

		o += (size_t)snprintf(buf + o, len - o,
				      " %d allow tcp %d-%d %s\n %d allow tcp %d-%d %s\n",
				      2 * i, last ? 443 : 1000 + i, last ? 443 : 1000 + 2 * i,
				      last ? "198.51.100.0/24" : "192.0.2.0/24", 2 * i + 1,
				      last ? 443 : 1000 + i, last ? 443 : 1000 + 2 * i,
				      last ? "2001:db8:ffff::/48" : "2001:db8:1::/48");
	}
	snprintf(buf + o, len - o, "outbound\n");
}

static void bench(void **state)
{
	static const struct frame_spec v4 = { .src = "198.51.100.7", .dst = "192.0.2.1",
					      .proto = IPPROTO_TCP, .sport = 40000, .dport = 443 };
	static const struct frame_spec v6 = { .src = "2001:db8:ffff::7", .dst = "2001:db8::1",
					      .proto = IPPROTO_TCP, .sport = 40000, .dport = 443 };
	static struct nacl_ruleset rs;
	static char text[8192];
	const struct { const char *name; int n; bool match; } sets[] = {
		{ "1 rule, matched", 1, true },
		{ "40 entries, rule 39 matched", NACL_QUOTA_MAX, true },
		{ "40 entries, '*' denies", NACL_QUOTA_MAX, false },
	};
	const char *env = getenv("NACLEMU_BENCH_REPEAT");
	__u32 rep = 1000000;
	int repeat;
	double empty4, empty6, cost[3][2];
	char why[256], err[NACL_MSG_LEN];
	struct harness *h;
	int fd;

	(void)state;
	if (env && nacl_parse_u32(env, 100000000, &rep))
		fail_msg("NACLEMU_BENCH_REPEAT wants 1..100000000, not '%s'", env);
	repeat = rep ? (int)rep : 1;
	h = harness_open(why, sizeof(why));
	if (!h) {
		fprintf(stderr, "skip: %s\n", why);
		skip();
	}
	fd = empty_prog();
	assert_true(fd >= 0);
	empty4 = ns_per_packet(fd, &v4, repeat);
	empty6 = ns_per_packet(fd, &v6, repeat);
	close(fd);

	for (int s = 0; s < 3; s++) {
		rules_text(text, sizeof(text), sets[s].n, sets[s].match);
		if (nacl_parse_text("bench.nacl", text, strlen(text), &rs, err))
			fail_msg("bench rules do not parse: %s", err);
		assert_int_equal(harness_set_rules(h, &rs, NULL, err), 0);
		cost[s][0] = ns_per_packet(h->prog[NACLEMU_INGRESS], &v4, repeat);
		cost[s][1] = ns_per_packet(h->prog[NACLEMU_INGRESS], &v6, repeat);
	}

	printf("BPF_PROG_TEST_RUN, repeat %d, best of %d, ns per packet (TCP SYN)\n",
	       repeat, ROUNDS);
	printf("  %-32s %6s %6s\n", "program", "IPv4", "IPv6");
	printf("  %-32s %6.0f %6.0f\n", "empty TC program", empty4, empty6);
	for (int s = 0; s < 3; s++)
		printf("  %-32s %6.0f %6.0f\n", sets[s].name, cost[s][0], cost[s][1]);
	for (int s = 1; s < 3; s++)
		for (int f = 0; f < 2; f++)
			if (cost[s][f] > 1.5 * cost[0][f] + 15)
				fail_msg("%s, IPv%d: %.0f ns against %.0f ns with 1 rule: not flat",
					 sets[s].name, f ? 6 : 4, cost[s][f], cost[0][f]);
	harness_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
