// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * bench_empty.bpf.c - the floor of `naclemu bench` and `make bench`: a TC
 * program that does nothing.  Its BPF_PROG_TEST_RUN time is what running
 * any TC program costs (the test-run loop, the JIT'd call); naclemu's cost
 * is reported against it.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int bench_empty(struct __sk_buff *skb)
{
	(void)skb;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
