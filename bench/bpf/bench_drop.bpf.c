// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * bench_drop.bpf.c - for `make bench` only: what a suppressed drop event
 * costs, part by part.  The real datapath (bpf/naclemu.bpf.c, included
 * whole) with its drop event replaced by the one below, a copy of the
 * events code as it was before the drop path was made cheap (events.bpf.h
 * of commit f14609e): a __noinline call that reads the coarse clock, looks
 * up and refills the per-CPU token bucket, and counts a suppressed event
 * in a second per-CPU map lookup.
 *
 * bench_ablate, set through the skeleton's rodata before each load, takes
 * parts away (or, BENCH_QUICK, puts the quick check of the events code of
 * now in front); the verifier removes what a load does not use, so each
 * load is a program without that part, with no knob left to test at run
 * time.
 * bench_micro.c loads one copy per variant and runs the default deny of
 * the 39-rule set through each, with the bucket empty.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "naclemu.h"
#include "parse.bpf.h"

#define BENCH_NO_CLOCK 0x1   /* a constant for the clock: the bucket never refills */
#define BENCH_NO_BUDGET 0x2  /* no bucket: every event suppressed */
#define BENCH_NO_COUNTER 0x4 /* a suppressed event is not counted */
#define BENCH_INLINE 0x8     /* the events code inlined, not a BPF-to-BPF call */
#define BENCH_QUICK 0x10     /* events.bpf.h's inlined check of a bucket dry in this jiffy */

const volatile __u32 bench_ablate;

/* What bpf/events.bpf.h gives the datapath; the datapath's own follows. */
#define NACLEMU_EVENTS_BPF_H
const volatile __u32 events_rate = 1000;
const volatile __u8 events_coarse_clock = 1; /* read by flows.bpf.h (flow log off here) */
static __always_inline void drop_event(struct __sk_buff *skb, __u32 dir,
				       const struct pkt *p, __u32 rule);
#include "naclemu.bpf.c"

#define NSEC_PER_SEC 1000000000ULL

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NACLEMU_EVENTS_RING);
} naclemu_events SEC(".maps");

struct bench_bucket {
	__u64 tokens;
	__u64 stamp;
	__u64 dry; /* BENCH_QUICK: as in events.bpf.h (which reads jiffies first) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bench_bucket);
} naclemu_ev_budget SEC(".maps");

static __always_inline void count_event(struct __sk_buff *skb, __u32 slot)
{
	struct naclemu_counter *c;

	c = bpf_map_lookup_elem(&naclemu_counters, &slot);
	if (!c)
		return;
	c->packets++;
	c->bytes += skb->len;
}

static __always_inline bool event_budget(__u64 now)
{
	struct bench_bucket *b;
	__u64 full = (__u64)events_rate * NSEC_PER_SEC, elapsed;
	__u32 zero = 0;

	if (bench_ablate & BENCH_NO_BUDGET)
		return false;
	b = bpf_map_lookup_elem(&naclemu_ev_budget, &zero);
	if (!b)
		return false;
	elapsed = now - b->stamp;
	if (elapsed >= NSEC_PER_SEC || !b->stamp)
		b->tokens = full;
	else if (b->tokens + elapsed * events_rate > full)
		b->tokens = full;
	else
		b->tokens += elapsed * events_rate;
	b->stamp = now;
	if (b->tokens < NSEC_PER_SEC) {
		if (bench_ablate & BENCH_QUICK)
			b->dry = bpf_jiffies64() << 1 | 1;
		return false;
	}
	b->tokens -= NSEC_PER_SEC;
	return true;
}

static __always_inline void drop_body(struct __sk_buff *skb, __u32 dir,
				      const struct pkt *p, __u32 rule)
{
	struct naclemu_event *e;
	__u64 now;

	now = bench_ablate & BENCH_NO_CLOCK ? 1 : bpf_ktime_get_coarse_ns();
	if (!event_budget(now)) {
		if (!(bench_ablate & BENCH_NO_COUNTER))
			count_event(skb, NACLEMU_SLOT_EVENTS_SUPPRESSED);
		return;
	}
	e = bpf_ringbuf_reserve(&naclemu_events, sizeof(*e), 0);
	if (!e) {
		count_event(skb, NACLEMU_SLOT_EVENTS_LOST);
		return;
	}
	/* The fields as drop_event() fills them (the flags aside: not timed). */
	__builtin_memset(e, 0, sizeof(*e));
	e->time_ns = bpf_ktime_get_boot_ns();
	e->src = p->src;
	e->dst = p->dst;
	e->ifindex = skb->ifindex;
	e->len = skb->len;
	e->rule = (__u16)rule;
	e->dir = (__u8)dir;
	e->family = p->family;
	bpf_ringbuf_submit(e, 0);
}

static __noinline void drop_call(struct __sk_buff *skb, __u32 dir, const struct pkt *p,
				 __u32 rule)
{
	drop_body(skb, dir, p, rule);
}

static __always_inline void drop_event(struct __sk_buff *skb, __u32 dir,
				       const struct pkt *p, __u32 rule)
{
	struct bench_bucket *b;
	__u32 zero = 0;

	if (bench_ablate & BENCH_QUICK) {
		b = bpf_map_lookup_elem(&naclemu_ev_budget, &zero);
		if (b && b->dry == (bpf_jiffies64() << 1 | 1)) {
			if (!(bench_ablate & BENCH_NO_COUNTER))
				count_event(skb, NACLEMU_SLOT_EVENTS_SUPPRESSED);
			return;
		}
	}
	if (bench_ablate & BENCH_INLINE)
		drop_body(skb, dir, p, rule);
	else
		drop_call(skb, dir, p, rule);
}
