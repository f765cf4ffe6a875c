/* SPDX-License-Identifier: MIT */
/*
 * bench.h - what `naclemu bench` and `make bench` share: frames built from
 * the model's packets, one timed BPF_PROG_TEST_RUN, and the statistics of
 * interleaved rounds.  No program loading here: the callers own their
 * skeletons.
 */
#ifndef NACLEMU_BENCH_H
#define NACLEMU_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "nacl.h"

/* Longest frame bench_frame() builds (Ethernet + IPv6 + TCP). */
#define BENCH_FRAME_MAX 128

/*
 * bench_frame() - an Ethernet frame carrying @p: IPv4 or IPv6 (per
 * @p->family), then a TCP (20 bytes, SYN), UDP (8) or ICMP/ICMPv6 (8) header
 * for those protocols and no payload; other protocols get 8 bytes of
 * payload.  Lengths and versions are consistent, so the datapath parses it.
 * Return: the frame's length in bytes.
 */
size_t bench_frame(const struct nacl_packet *p, uint8_t buf[BENCH_FRAME_MAX]);

/*
 * bench_run() - run @prog_fd (a TC program) on @frame @repeat times in one
 * BPF_PROG_TEST_RUN.  *@ns is the kernel's own time per run in nanoseconds
 * (it times the run loop only, not the syscall or the skb setup); *@retval
 * the program's return.  Return: 0 or -errno.
 */
int bench_run(int prog_fd, const void *frame, size_t len, uint32_t repeat,
	      double *ns, int *retval);

/* Median, quartiles (interpolated), minimum and maximum of a sample. */
struct bench_stat {
	double median;
	double q1, q3;
	double min;
	double max;
};

/* Of @v[0..n-1] (@v is sorted in place); all zero when @n is 0. */
struct bench_stat bench_stat(double *v, size_t n);

/* /proc/sys/net/core/bpf_jit_enable: "on", "off", "on (debug)" or "unknown". */
const char *bench_jit_state(void);

#endif /* NACLEMU_BENCH_H */
