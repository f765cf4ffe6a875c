/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * events.bpf.h - drop events: one struct naclemu_event (include/naclemu.h)
 * per dropped packet into a BPF ring buffer, under a per-CPU token bucket.
 *
 * Included by naclemu.bpf.c after its counter map: the events code counts
 * what it could not deliver in the same per-CPU counters as the verdicts.
 *
 * Why this shape:
 * - The budget is checked before the ring is touched, so a drop beyond the
 *   budget costs a coarse clock read, a per-CPU map lookup and a counter
 *   (about 6 ns over a drop with events off, BPF_PROG_TEST_RUN on x86),
 *   never a reserve (which takes the ring's spinlock, shared by all CPUs)
 *   nor the precise clock (about 20 ns), read only for an event delivered.
 * - The bucket is per CPU, like the counters: no atomics and no cache line
 *   bouncing in the packet path.  TC programs do not nest on a CPU (ingress
 *   runs in softirq, egress with bottom halves off), so its plain
 *   read-modify-write is not raced.
 * - The record is written in place (reserve/submit): no copy through the
 *   stack, no payload, 64 bytes (+ 8 of ring header) per event.
 * - drop_event() is a real BPF-to-BPF call (__noinline): each program has
 *   several drop sites and the event code should not be inlined at each.
 */
#ifndef NACLEMU_EVENTS_BPF_H
#define NACLEMU_EVENTS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "naclemu.h"
#include "parse.bpf.h"

#define NSEC_PER_SEC 1000000000ULL

/*
 * Drop events per second and CPU, 0 = off.  Set by the tool
 * (--events-rate, at most NACLEMU_EVENTS_RATE_MAX) before load; with 0
 * the verifier removes the events code as dead.
 */
const volatile __u32 events_rate = 1000;

/*
 * The bucket's clock: bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE,
 * kernel 5.11), a few ns where the boot-time clock costs about 20; its
 * tick (1 to 10 ms) is fine grain enough for a budget per second.  The
 * tool clears this on a kernel without the helper: the verifier then drops
 * the call as dead code and the boot-time clock serves.
 */
const volatile __u8 events_coarse_clock = 1;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NACLEMU_EVENTS_RING);
} naclemu_events SEC(".maps");

/*
 * The token bucket of one CPU.  @tokens are in billionths of an event, so
 * that a refill is elapsed nanoseconds * events_rate with no division;
 * full = events_rate events (one second's worth: the burst).  @stamp is
 * the bucket's clock at the last refill; 0 (never used) means full.
 */
struct naclemu_ev_bucket {
	__u64 tokens;
	__u64 stamp;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct naclemu_ev_bucket);
} naclemu_ev_budget SEC(".maps");

/* Count one undelivered event (not gso_segs: an event is per skb). */
static __always_inline void count_event(struct __sk_buff *skb, __u32 slot)
{
	struct naclemu_counter *c;

	c = bpf_map_lookup_elem(&naclemu_counters, &slot);
	if (!c)
		return;
	c->packets++;
	c->bytes += skb->len;
}

/* Take one event from this CPU's bucket, refilled up to @now. */
static __always_inline bool event_budget(__u64 now)
{
	struct naclemu_ev_bucket *b;
	__u64 full = (__u64)events_rate * NSEC_PER_SEC, elapsed;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&naclemu_ev_budget, &zero);
	if (!b)
		return false;
	elapsed = now - b->stamp;
	/* elapsed * rate < 1e9 * 1e6: no overflow below one second. */
	if (elapsed >= NSEC_PER_SEC || !b->stamp)
		b->tokens = full;
	else if (b->tokens + elapsed * events_rate > full)
		b->tokens = full;
	else
		b->tokens += elapsed * events_rate;
	b->stamp = now;
	if (b->tokens < NSEC_PER_SEC)
		return false;
	b->tokens -= NSEC_PER_SEC;
	return true;
}

/*
 * drop_event() - report the drop of @skb in direction @dir: @p as far as
 * it was parsed, @rule the deciding rule (NACLEMU_RULE_MALFORMED when the
 * parser gave up).  Fields of a malformed packet are filled as far as the
 * parser got: the family and addresses once the IP header was read, the
 * protocol once known (IPv4: with the family; IPv6: at the end of the
 * extension chain, when parse_l4() set l4_known).
 */
static __noinline void drop_event(struct __sk_buff *skb, __u32 dir,
				  const struct pkt *p, __u32 rule)
{
	struct naclemu_event *e;
	__u64 now;
	__u8 flags = 0;

	now = events_coarse_clock ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_boot_ns();
	if (!event_budget(now)) {
		count_event(skb, NACLEMU_SLOT_EVENTS_SUPPRESSED);
		return;
	}
	e = bpf_ringbuf_reserve(&naclemu_events, sizeof(*e), 0);
	if (!e) {
		count_event(skb, NACLEMU_SLOT_EVENTS_LOST);
		return;
	}
	if (rule != NACLEMU_RULE_MALFORMED || p->family == 4 || p->l4_known)
		flags |= NACLEMU_EVF_PROTO;
	if (rule != NACLEMU_RULE_MALFORMED && p->has_key) {
		if (p->protocol == IPPROTO_TCP || p->protocol == IPPROTO_UDP)
			flags |= NACLEMU_EVF_PORTS;
		if (p->protocol == IPPROTO_TCP)
			flags |= NACLEMU_EVF_TCP;
		if (p->protocol == IPPROTO_ICMP || p->protocol == IPPROTO_ICMPV6)
			flags |= NACLEMU_EVF_ICMP;
	}
	e->time_ns = bpf_ktime_get_boot_ns();
	e->src = p->src;
	e->dst = p->dst;
	e->ifindex = skb->ifindex;
	e->len = skb->len;
	e->rule = (__u16)rule;
	e->sport = flags & NACLEMU_EVF_PORTS ? p->sport : 0;
	e->dport = flags & NACLEMU_EVF_PORTS ? p->key : 0;
	e->dir = (__u8)dir;
	e->family = p->family;
	e->protocol = flags & NACLEMU_EVF_PROTO ? p->protocol : 0;
	e->flags = flags;
	e->tcp_flags = flags & NACLEMU_EVF_TCP ? p->tcp_flags : 0;
	e->icmp_type = flags & NACLEMU_EVF_ICMP ? p->key >> 8 : 0;
	e->icmp_code = flags & NACLEMU_EVF_ICMP ? p->key & 0xff : 0;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_ringbuf_submit(e, 0);
}

#endif /* NACLEMU_EVENTS_BPF_H */
