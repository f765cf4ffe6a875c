/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * events.bpf.h - drop events: one struct naclemu_event (include/naclemu.h)
 * per dropped packet into a BPF ring buffer, under a per-CPU token bucket.
 *
 * Included by naclemu.bpf.c after its counter map: the events code counts
 * what it could not deliver in the same per-CPU counters as the verdicts.
 *
 * Why this shape:
 * - A drop whose event is suppressed should cost what an allowed packet
 *   costs (docs/benchmarks.md, "What a drop costs").  Once the bucket is
 *   found empty, it keeps the jiffy it was found empty in (@dry); until
 *   jiffies moves, the coarse clock has not moved either (the tick advances
 *   jiffies, then the coarse clock), so the bucket cannot have refilled.
 *   A suppressed event is then, inlined at the drop site: one per-CPU map
 *   lookup, one load of jiffies (the verifier inlines bpf_jiffies64() under
 *   the JIT), a compare and the suppressed counter.  Measured, the
 *   BPF-to-BPF call, the coarse clock (a helper call), the bucket's refill
 *   and the counter's lookup each cost 1 to 1.5 ns: it took all of them
 *   but the counter off the common path to bring a drop to 1.0-1.05
 *   times an allowed packet.
 * - Everything else, at most once per jiffy and CPU when events are
 *   suppressed, is the __noinline drop_event_slow(): the clock, the refill,
 *   the reserve.  The budget is checked before the ring is touched: a
 *   reserve takes the ring's spinlock, shared by all CPUs, and the precise
 *   clock (about 20 ns) is read only for an event delivered.
 * - The bucket is per CPU, like the counters: no atomics and no cache line
 *   bouncing in the packet path.  TC programs do not nest on a CPU (ingress
 *   runs in softirq, egress with bottom halves off), so its plain
 *   read-modify-write is not raced.
 * - The record is written in place (reserve/submit): no copy through the
 *   stack, no payload, 64 bytes (+ 8 of ring header) per event.
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
 * @dry: dry_mark() of the jiffy in which the refill left less than one
 * event, 0 if none (dry_mark() is never 0).  Only on the coarse clock:
 * the boot-time clock refills between ticks.
 */
struct naclemu_ev_bucket {
	__u64 tokens;
	__u64 stamp;
	__u64 dry;
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

/* Jiffies as @dry keeps them: never 0, so a zeroed bucket is not dry. */
static __always_inline __u64 dry_mark(__u64 jiffies)
{
	return jiffies << 1 | 1;
}

/* Take one event from this CPU's bucket @b, refilled up to @now. */
static __always_inline bool event_budget(struct naclemu_ev_bucket *b, __u64 now)
{
	__u64 full = (__u64)events_rate * NSEC_PER_SEC, elapsed;

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
 * drop_event_slow() - drop_event() past the quick check: refill the bucket,
 * then deliver the event, or count it suppressed or lost.
 */
static __noinline void drop_event_slow(struct __sk_buff *skb, __u32 dir,
				       const struct pkt *p, __u32 rule)
{
	struct naclemu_ev_bucket *b;
	struct naclemu_event *e;
	__u64 now, jiffies = 0;
	__u32 zero = 0;
	__u8 flags = 0;

	/* Jiffies first: the clock read after them is at least as recent. */
	if (events_coarse_clock)
		jiffies = bpf_jiffies64();
	now = events_coarse_clock ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_boot_ns();
	b = bpf_map_lookup_elem(&naclemu_ev_budget, &zero);
	if (!b || !event_budget(b, now)) {
		if (b && events_coarse_clock)
			b->dry = dry_mark(jiffies);
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

/*
 * drop_event() - report the drop of @skb in direction @dir: @p as far as
 * it was parsed, @rule the deciding rule (NACLEMU_RULE_MALFORMED when the
 * parser gave up).  Fields of a malformed packet are filled as far as the
 * parser got: the family and addresses once the IP header was read, the
 * protocol once known (IPv4: with the family; IPv6: at the end of the
 * extension chain, when parse_l4() set l4_known).  Inlined: a bucket found
 * dry in this jiffy suppresses the event here, without a call.
 */
static __always_inline void drop_event(struct __sk_buff *skb, __u32 dir,
				       const struct pkt *p, __u32 rule)
{
	struct naclemu_ev_bucket *b;
	__u32 zero = 0;

	if (events_coarse_clock) {
		b = bpf_map_lookup_elem(&naclemu_ev_budget, &zero);
		if (b && b->dry == dry_mark(bpf_jiffies64())) {
			count_event(skb, NACLEMU_SLOT_EVENTS_SUPPRESSED);
			return;
		}
	}
	drop_event_slow(skb, dir, p, rule);
}

#endif /* NACLEMU_EVENTS_BPF_H */
