/* SPDX-License-Identifier: MIT */
/*
 * measure.h - per-packet cost under BPF_PROG_TEST_RUN, for `naclemu bench`
 * and `make bench`: frames built from the model's packets, one timed run,
 * the statistics of interleaved rounds, an empty TC program as the floor,
 * and measure_rules(): a user's NACL against that floor.
 */
#ifndef NACLEMU_DATAPATH_MEASURE_H
#define NACLEMU_DATAPATH_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/eval.h"
#include "analysis/worst.h"
#include "rules/model.h"

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

/*
 * measure_empty_prog() - load the empty TC program (returns TC_ACT_UNSPEC
 * and nothing else): what running any TC program costs.  Returns its fd
 * or -errno.
 */
int measure_empty_prog(void);

/*
 * struct measure_table - one direction and family of a measured rule set:
 * its worst-case packet (analysis/worst.h), the time per packet in
 * nanoseconds and the per-round ratio to the empty program.
 */
struct measure_table {
	enum naclemu_dir dir;
	uint8_t family;
	struct nacl_worst worst;
	struct bench_stat ns, x_empty;
};

/* struct measure_result - the floor, and each direction and family. */
struct measure_result {
	struct bench_stat empty_ns;
	struct measure_table t[NACLEMU_NDIRS * NACLEMU_NFAMS];
};

struct dp_error;

/*
 * measure_rules() - install @rs in a private copy of the datapath (loaded
 * as attach loads it, attached nowhere) and time its programs on each
 * table's worst-case packet, @rounds rounds of @repeat runs, the empty
 * program in turn with them.  Returns an exit status with @e set on
 * failure (also when the datapath and the evaluator disagree).
 */
int measure_rules(const struct nacl_ruleset *rs, uint32_t repeat, uint32_t rounds,
		  struct measure_result *res, struct dp_error *e);

#endif /* NACLEMU_DATAPATH_MEASURE_H */
