// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * naclemu.bpf.c - the NACL datapath: one program at TC ingress (inbound
 * rules), one at TC egress (outbound rules), classic clsact in direct-action
 * mode.  Every packet is parsed, checked against the exemptions of
 * docs/semantics.md section 1
 * and judged by the compiled rule set (include/naclemu.h), first match wins.
 *
 * Verdicts: a denied or malformed packet is TC_ACT_SHOT; everything else is
 * TC_ACT_UNSPEC, which lets the next filter on the hook (someone else's)
 * run and passes the packet when there is none.  TC_ACT_OK would end the
 * chain and silently disable a foreign filter behind ours.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "naclemu.h"
#include "parse.bpf.h"

/*
 * The rule set lives in an inner array map with one element, reached through
 * an outer array-of-maps with one slot.  A packet looks the inner map up
 * once and reads its whole table through that pointer.  `update` builds a
 * new inner map and swaps it into the outer slot with one
 * bpf_map_update_elem: the swap is atomic, and RCU keeps the old inner map
 * alive until every program that holds it has returned, so each packet is
 * judged entirely by the old or entirely by the new rules.  Rewriting one
 * array element in place instead would let a packet read half old, half new
 * table (array updates are plain copies); flipping an index between two
 * tables has the same race as soon as the idle table is rewritten.
 */
/*
 * Sizes, not BTF types: clang 14 emits a type reached only through the
 * outer map's pointer chain as a forward declaration, which libbpf cannot
 * size.
 */
struct naclemu_rules_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct naclemu_rules));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct naclemu_rules_inner);
} naclemu_rules SEC(".maps");

/* Per-CPU counters, indexed by enum naclemu_slot and the tables' slots. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NACLEMU_NSLOTS);
	__type(key, __u32);
	__type(value, struct naclemu_counter);
} naclemu_counters SEC(".maps");

/* Verdicts of first fragments, for the later fragments of their datagram. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NACLEMU_FRAG_ENTRIES);
	__type(key, struct naclemu_frag_key);
	__type(value, struct naclemu_frag_val);
} naclemu_frags SEC(".maps");

/* The attach state; only the tool reads and writes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct naclemu_meta);
} naclemu_meta SEC(".maps");

static __always_inline void count(struct __sk_buff *skb, __u32 slot)
{
	struct naclemu_counter *c;

	c = bpf_map_lookup_elem(&naclemu_counters, &slot);
	if (!c)
		return;
	/* A GSO packet stands for gso_segs packets on the wire. */
	c->packets += skb->gso_segs > 1 ? skb->gso_segs : 1;
	c->bytes += skb->len;
}

/* Drop events (events_rate, the ring buffer): they count into naclemu_counters. */
#include "events.bpf.h"
/* The flow log (flow_log, the flow table): after events.bpf.h, whose clock it reads. */
#include "flows.bpf.h"

/*
 * Index of the lowest set bit of a non-zero word (lowest bit = lowest rule
 * number).  BPF has no count-trailing-zeros instruction, so: isolate the
 * bit (x & -x), multiply by a de Bruijn sequence, whose top six bits are
 * then distinct for each of the 64 bits, and look those up.  Five
 * instructions and a load, no branch: a binary split took six branches.
 */
static const __u8 debruijn_bit[64] = {
	0, 1, 2, 53, 3, 7, 54, 27, 4, 38, 41, 8, 34, 55, 48, 28,
	62, 5, 39, 46, 44, 42, 22, 9, 24, 35, 59, 56, 49, 18, 29, 11,
	63, 52, 6, 26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
	51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
};

static __always_inline __u32 first_bit(__u64 x)
{
	return debruijn_bit[((x & -x) * 0x022fdd63cc95386dULL) >> 58];
}

/*
 * Index of the interval holding @a: the last i with addr_bound[i] <= a.
 * Always NACLEMU_SEARCH_DEPTH steps, whatever the number of rules.
 */
static __always_inline __u32 addr_search(const struct naclemu_table *t,
					 const struct naclemu_addr *a)
{
	__u32 i = 0;

#pragma unroll
	for (__u32 step = NACLEMU_SEARCH_SIZE / 2; step; step >>= 1) {
		const struct naclemu_addr *b = &t->addr_bound[i + step];

		if (b->hi < a->hi || (b->hi == a->hi && b->lo <= a->lo))
			i += step;
	}
	return i & (NACLEMU_SEARCH_SIZE - 1);
}

/* The same for IPv4, by the four-level trie (struct naclemu_v4_index). */
static __always_inline __u32 addr_index_v4(const struct naclemu_v4_index *x, __u32 a)
{
	__u32 e = x->l8[a >> 24];

	if (e >= NACLEMU_IDX_BLOCK) {
		e = x->l16[(e - NACLEMU_IDX_BLOCK) & (NACLEMU_V4_L16_BLOCKS - 1)][(a >> 16) & 0xff];
		if (e >= NACLEMU_IDX_BLOCK) {
			e = x->l24[(e - NACLEMU_IDX_BLOCK) & (NACLEMU_V4_L24_BLOCKS - 1)]
				  [(a >> 8) & 0xff];
			if (e >= NACLEMU_IDX_BLOCK)
				e = x->l32[(e - NACLEMU_IDX_BLOCK) & (NACLEMU_V4_L32_BLOCKS - 1)]
					  [a & 0xff];
		}
	}
	return e & (NACLEMU_SEARCH_SIZE - 1);
}

/* The interval of the L4 key @key, by the two-level trie key_hi, key_lo. */
static __always_inline __u32 key_index(const struct naclemu_table *t, __u32 key)
{
	__u32 e = t->key_hi[(key >> 8) & 0xff];

	if (e >= NACLEMU_IDX_BLOCK)
		e = t->key_lo[(e - NACLEMU_IDX_BLOCK) & (NACLEMU_KEY_BLOCKS - 1)][key & 0xff];
	return e & (NACLEMU_SEARCH_SIZE - 1);
}

/* The same by binary search (NACLEMU_SEARCH_KEY): the last i with key_bound[i] <= key. */
static __always_inline __u32 key_search(const struct naclemu_table *t, __u32 key)
{
	__u32 i = 0;

#pragma unroll
	for (__u32 step = NACLEMU_SEARCH_SIZE / 2; step; step >>= 1)
		if (t->key_bound[i + step] <= key)
			i += step;
	return i & (NACLEMU_SEARCH_SIZE - 1);
}

/* Not filtered (docs/semantics.md section 1), the parts that need the L4 header. */
static __always_inline bool exempt_l4(const struct pkt *p)
{
	if (!p->l4_known)
		return false;
	/* IPv6 neighbour discovery. */
	if (p->family == 6 && p->protocol == IPPROTO_ICMPV6 &&
	    (p->key >> 8) >= NACLEMU_ND_TYPE_FIRST && (p->key >> 8) <= NACLEMU_ND_TYPE_LAST)
		return true;
	/* DHCP / DHCPv6, by destination port: to the server or the client. */
	if (p->protocol == IPPROTO_UDP) {
		if (p->family == 4)
			return p->key == NACLEMU_DHCP_SERVER_PORT || p->key == NACLEMU_DHCP_CLIENT_PORT;
		return p->key == NACLEMU_DHCPV6_CLIENT_PORT || p->key == NACLEMU_DHCPV6_SERVER_PORT;
	}
	return false;
}

/*
 * Link-scope traffic (naclemu's choice, docs/semantics.md section 1): it
 * never leaves the subnet's link, whatever the direction.
 */
static __always_inline bool link_scope(const struct pkt *p)
{
	if (p->family == 4)
		return ((__u32)p->dst.lo >> 8) == NACLEMU_V4_LOCAL_MCAST;
	return (p->dst.hi >> 48) == NACLEMU_V6_LINK_MCAST ||
	       ((p->src.hi >> 54) == NACLEMU_V6_LINK_LOCAL &&
		(p->dst.hi >> 54) == NACLEMU_V6_LINK_LOCAL);
}

/* DNS to or from a --vpc's Resolver (@flags: the peer's address flags). */
static __always_inline bool resolver_dns(const struct pkt *p, __u8 flags)
{
	return (flags & NACLEMU_AF_RESOLVER) && p->has_key &&
	       (p->protocol == IPPROTO_TCP || p->protocol == IPPROTO_UDP) &&
	       (p->key == NACLEMU_DNS_PORT || p->sport == NACLEMU_DNS_PORT);
}

static __always_inline int finish(struct __sk_buff *skb, __u32 slot, bool allow)
{
	count(skb, slot);
	return allow ? TC_ACT_UNSPEC : TC_ACT_SHOT;
}

/*
 * finish(), a drop event when @allow is false (@rule: see drop_event()),
 * and the packet's flow with the flow log on.  Traffic AWS does not filter
 * (exempt) is not in AWS's flow logs either, nor is a malformed packet a
 * flow.
 */
static __always_inline int verdict(struct __sk_buff *skb, __u32 dir, const struct pkt *p,
				   __u32 slot, bool allow, __u32 rule)
{
	if (!allow && events_rate)
		drop_event(skb, dir, p, rule);
	if (flow_log && slot != NACLEMU_SLOT_EXEMPT + dir && slot != NACLEMU_SLOT_MALFORMED + dir)
		flow_count(skb, dir, p, allow);
	return finish(skb, slot, allow);
}

static __always_inline int judge(struct __sk_buff *skb, __u32 dir)
{
	struct naclemu_frag_key fk = {};
	struct naclemu_frag_val fv, *seen;
	const struct naclemu_table *t;
	const struct naclemu_rules *rs;
	const struct naclemu_addr *peer;
	struct pkt p = {};
	__u32 zero = 0, i, slot, rule = 0;
	__u64 match;
	bool allow;
	void *inner;
	int ret;

	ret = parse_packet(skb, &p);
	if (ret == PARSE_NOT_IP)
		return finish(skb, NACLEMU_SLOT_EXEMPT + dir, true);
	if (ret != PARSE_OK)
		return verdict(skb, dir, &p, NACLEMU_SLOT_MALFORMED + dir, false,
			       NACLEMU_RULE_MALFORMED);

	if (p.frag != FRAG_NONE) {
		fk.dir = dir;
		fk.family = p.family;
		fk.protocol = p.protocol;
		fk.id = p.frag_id;
		fk.src = p.src;
		fk.dst = p.dst;
	}
	if (p.frag == FRAG_LATER) {
		seen = bpf_map_lookup_elem(&naclemu_frags, &fk);
		if (seen)
			return verdict(skb, dir, &p, seen->slot, seen->allow, seen->rule);
	}

	inner = bpf_map_lookup_elem(&naclemu_rules, &zero);
	rs = inner ? bpf_map_lookup_elem(inner, &zero) : NULL;
	if (!rs) {
		/* No rule set (never the case once attached): only '*' deny. */
		slot = NACLEMU_SLOT_DEFAULT_OF(dir, NACLEMU_FAM_IDX(p.family));
		return verdict(skb, dir, &p, slot, false, NACLEMU_RULE_DEFAULT(p.family));
	}
	t = &rs->t[dir & 1][NACLEMU_FAM_IDX(p.family)];

	/* Inbound rules look at the source, outbound at the destination. */
	peer = dir == NACLEMU_INGRESS ? &p.src : &p.dst;
	if (p.family == 4 && !(t->search & NACLEMU_SEARCH_ADDR))
		i = addr_index_v4(&rs->v4[dir & 1], (__u32)peer->lo);
	else
		i = addr_search(t, peer);

	if (exempt_l4(&p) || link_scope(&p) || resolver_dns(&p, t->addr_flags[i]) ||
	    (t->addr_flags[i] & (NACLEMU_AF_LINKLOCAL | NACLEMU_AF_EXEMPT))) {
		slot = NACLEMU_SLOT_EXEMPT + dir;
		allow = true;
	} else if (t->addr_flags[i] & NACLEMU_AF_SUBNET) {
		slot = NACLEMU_SLOT_SUBNET + dir;
		allow = true;
	} else {
		match = t->addr_bits[i] & t->proto_bits[p.protocol];
		if (p.l4_known && p.has_key)
			match &= t->key_bits[t->search & NACLEMU_SEARCH_KEY ?
					     key_search(t, p.key) : key_index(t, p.key)];
		else
			match &= t->keyless;
		if (match) {
			i = first_bit(match) & (NACLEMU_MAX_RULES - 1);
			slot = t->slot[i];
			allow = (t->allow >> i) & 1;
			rule = t->info[i].number;
		} else {
			slot = t->default_slot;
			allow = false;
			rule = NACLEMU_RULE_DEFAULT(p.family);
		}
	}

	if (p.frag == FRAG_FIRST) {
		fv.slot = slot;
		fv.allow = allow;
		fv.rule = (__u16)rule;
		bpf_map_update_elem(&naclemu_frags, &fk, &fv, BPF_ANY);
	}
	return verdict(skb, dir, &p, slot, allow, rule);
}

SEC("tc")
int naclemu_ingress(struct __sk_buff *skb)
{
	return judge(skb, NACLEMU_INGRESS);
}

SEC("tc")
int naclemu_egress(struct __sk_buff *skb)
{
	return judge(skb, NACLEMU_EGRESS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
