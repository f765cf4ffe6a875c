// SPDX-License-Identifier: MIT
/*
 * bench.c - frames, timed test runs and statistics for `naclemu bench` and
 * the micro benchmark (see bench.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>

#include "bench.h"

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The L4 header of @p at @l4; its length. */
static size_t frame_l4(const struct nacl_packet *p, uint8_t *l4)
{
	switch (p->protocol) {
	case NACL_PROTO_TCP:
		put16(l4, p->src_port);
		put16(l4 + 2, p->dst_port);
		l4[12] = 5 << 4; /* data offset: 20 bytes */
		l4[13] = 0x02;   /* SYN */
		return 20;
	case NACL_PROTO_UDP:
		put16(l4, p->src_port);
		put16(l4 + 2, p->dst_port);
		put16(l4 + 4, 8);
		return 8;
	case NACL_PROTO_ICMP:
	case NACL_PROTO_ICMPV6:
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
