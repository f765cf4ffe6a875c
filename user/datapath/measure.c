// SPDX-License-Identifier: MIT
/*
 * measure.c - frames, timed test runs and statistics for `naclemu bench` and
 * the micro benchmark (see measure.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>

#include "datapath/compile.h"
#include "datapath/datapath.h"
#include "datapath/internal.h"
#include "datapath/measure.h"
#include "output/log.h"

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The L4 header of @p at @l4; its length. */
static size_t frame_l4(const struct nacl_packet *p, uint8_t *l4)
{
	switch (p->protocol) {
	case NACLEMU_PROTO_TCP:
		put16(l4, p->src_port);
		put16(l4 + 2, p->dst_port);
		l4[12] = 5 << 4; /* data offset: 20 bytes */
		l4[13] = 0x02;   /* SYN */
		return 20;
	case NACLEMU_PROTO_UDP:
		put16(l4, p->src_port);
		put16(l4 + 2, p->dst_port);
		put16(l4 + 4, 8);
		return 8;
	case NACLEMU_PROTO_ICMP:
	case NACLEMU_PROTO_ICMPV6:
		l4[0] = p->icmp_type;
		l4[1] = p->icmp_code;
		return 8;
	default:
		return 8; /* opaque payload */
	}
}

size_t bench_frame(const struct nacl_packet *p, uint8_t buf[BENCH_FRAME_MAX])
{
	uint8_t *ip = buf + ETH_HLEN;
	size_t l4;

	memset(buf, 0, BENCH_FRAME_MAX);
	/* Locally administered MACs. */
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (p->family == 4) {
		put16(buf + 12, ETH_P_IP);
		l4 = frame_l4(p, ip + 20);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned int)(20 + l4));
		ip[8] = 64;
		ip[9] = p->protocol;
		memcpy(ip + 12, p->src, 4);
		memcpy(ip + 16, p->dst, 4);
		return ETH_HLEN + 20 + l4;
	}
	put16(buf + 12, ETH_P_IPV6);
	l4 = frame_l4(p, ip + 40);
	ip[0] = 0x60;
	put16(ip + 4, (unsigned int)l4);
	ip[6] = p->protocol;
	ip[7] = 64;
	memcpy(ip + 8, p->src, 16);
	memcpy(ip + 24, p->dst, 16);
	return ETH_HLEN + 40 + l4;
}

int bench_run(int prog_fd, const void *frame, size_t len, uint32_t repeat,
	      double *ns, int *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (__u32)len, .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	/* The kernel's duration is its total time divided by @repeat. */
	*ns = o.duration;
	*retval = (int)o.retval;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @q quantile of sorted @v, interpolated between neighbours. */
static double quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

struct bench_stat bench_stat(double *v, size_t n)
{
	struct bench_stat s = {};

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.median = quantile(v, n, 0.5);
	s.q1 = quantile(v, n, 0.25);
	s.q3 = quantile(v, n, 0.75);
	return s;
}

const char *bench_jit_state(void)
{
	FILE *f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	switch (v) {
	case 0: return "off";
	case 1: return "on";
	case 2: return "on (debug)";
	default: return "unknown";
	}
}

int measure_empty_prog(void)
{
	/* r0 = TC_ACT_UNSPEC (-1); exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "naclemu_empty", "Dual MIT/GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	return fd < 0 ? -errno : fd;
}

/* The rounds of measure_rules(): @ns[k][r] is program k's time in round r. */
static int measure_rounds(int empty_fd, const int prog[NACLEMU_NDIRS],
			  struct measure_result *res, uint8_t frames[][BENCH_FRAME_MAX],
			  const size_t *len, uint32_t repeat, uint32_t rounds, double **ns,
			  struct dp_error *e)
{
	const size_t ntab = NACLEMU_NDIRS * NACLEMU_NFAMS;
	char b[128];
	int ret, retval = 0;

	/* Round r runs the five programs in turn, starting at a different one. */
	for (uint32_t r = 0; r < rounds; r++) {
		for (size_t k = 0; k <= ntab; k++) {
			int i = (int)((r + k) % (ntab + 1)) - 1;
			const struct measure_table *t = i < 0 ? NULL : &res->t[i];

			ret = bench_run(t ? prog[t->dir] : empty_fd, frames[i < 0 ? 0 : i],
					len[i < 0 ? 0 : i], repeat, &ns[i + 1][r], &retval);
			if (ret)
				return dp_fail(e, NACL_EXIT_SYSTEM, ret, "BPF_PROG_TEST_RUN failed: %s",
					       strerror(-ret));
			if (t && retval != (t->worst.v.allow ? TC_ACT_UNSPEC : TC_ACT_SHOT))
				return dp_fail(e, NACL_EXIT_SYSTEM, -EPROTO,
					       "the datapath and the offline evaluator disagree on %s "
					       "(please report it)",
					       nacl_packet_str(&t->worst.p, b));
		}
	}
	return 0;
}

int measure_rules(const struct nacl_ruleset *rs, uint32_t repeat, uint32_t rounds,
		  struct measure_result *res, struct dp_error *e)
{
	const size_t ntab = NACLEMU_NDIRS * NACLEMU_NFAMS;
	struct naclemu_rules *rules = calloc(1, sizeof(*rules));
	uint8_t frames[NACLEMU_NDIRS * NACLEMU_NFAMS][BENCH_FRAME_MAX];
	size_t len[NACLEMU_NDIRS * NACLEMU_NFAMS], nfresh;
	double *ns[NACLEMU_NDIRS * NACLEMU_NFAMS + 1] = {}, *v = calloc(rounds, sizeof(double));
	struct naclemu *skel = NULL;
	__u32 fresh[COMPILE_MAX_FRESH], cursor = 0;
	int ret, empty_fd = -1, prog[NACLEMU_NDIRS];

	memset(res, 0, sizeof(*res));
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i <= ntab; i++)
		ns[i] = calloc(rounds, sizeof(double));
	ret = -ENOMEM;
	if (!rules || !v || !ns[0] || !ns[1] || !ns[2] || !ns[3] || !ns[4]) {
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "out of memory");
		goto out;
	}
	if (compile_rules(rs, NULL, rules, e->msg)) {
		e->exit = NACL_EXIT_INVALID;
		goto out;
	}
	ret = dp_load(NULL, &skel);
	empty_fd = ret ? -1 : measure_empty_prog();
	if (!ret && empty_fd < 0)
		ret = empty_fd;
	if (ret) {
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "the kernel refused the BPF programs: %s%s",
			strerror(-ret),
			nacl_verbose ? "" : " (run 'naclemu -v bench ...' for the verifier log)");
		goto out;
	}
	ret = compile_assign_slots(rules, NULL, &cursor, fresh, &nfresh);
	if (!ret)
		ret = dp_rules_install(dp_rules_fd(skel), rules);
	if (ret) {
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot install the rules: %s", strerror(-ret));
		goto out;
	}
	prog[NACLEMU_INGRESS] = dp_prog_fd(skel, NACLEMU_INGRESS);
	prog[NACLEMU_EGRESS] = dp_prog_fd(skel, NACLEMU_EGRESS);
	for (size_t i = 0; i < ntab; i++) {
		struct measure_table *t = &res->t[i];

		t->dir = (enum naclemu_dir)(i / NACLEMU_NFAMS);
		t->family = NACLEMU_FAMILY(i % NACLEMU_NFAMS);
		nacl_worst_packet(rs, t->dir, t->family, &t->worst);
		len[i] = bench_frame(&t->worst.p, frames[i]);
	}
	if (measure_rounds(empty_fd, prog, res, frames, len, repeat, rounds, ns, e))
		goto out;

	memcpy(v, ns[0], rounds * sizeof(double));
	res->empty_ns = bench_stat(v, rounds);
	for (size_t i = 0; i < ntab; i++) {
		memcpy(v, ns[i + 1], rounds * sizeof(double));
		res->t[i].ns = bench_stat(v, rounds);
		for (uint32_t r = 0; r < rounds; r++)
			v[r] = ns[i + 1][r] / ns[0][r];
		res->t[i].x_empty = bench_stat(v, rounds);
	}
	e->exit = NACL_EXIT_OK;
out:
	if (empty_fd >= 0)
		close(empty_fd);
	dp_unload(skel);
	for (size_t i = 0; i <= ntab; i++)
		free(ns[i]);
	free(v);
	free(rules);
	return e->exit;
}
