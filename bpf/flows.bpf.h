/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * flows.bpf.h - the flow log's accounting (attach --flow-log): packets,
 * IP bytes, TCP flags and first/last packet time per direction, 5-tuple
 * and action, in the flow table (include/naclemu.h, docs/flowlog.md).
 *
 * Included by naclemu.bpf.c after its counter map: a packet whose flow
 * cannot be kept counts in NACLEMU_SLOT_FLOWS_LOST of the same counters.
 *
 * Why this shape:
 * - Off by default, and then free: flow_log is a load-time constant, so
 *   with 0 the verifier removes every call as dead code, as it does for
 *   drop events (events_rate).
 * - A per-CPU hash: a flow already in the table is one lookup and plain
 *   adds to this CPU's copy, no atomic and no shared cache line (TC
 *   programs do not nest on a CPU).  Only a new flow takes the hash
 *   bucket's lock, to insert.
 * - Not an LRU: an LRU would evict a flow silently.  A full table refuses
 *   the insert and the packet is counted as lost, so that the reader can
 *   say SKIPDATA.
 * - The table sits behind a one-slot array-of-maps.  The reader swaps an
 *   empty table in at each window's end; the kernel waits for programs
 *   that still hold the old one (the map-in-map update waits an RCU grace
 *   period), so the old table is read whole and exact, and per-window
 *   first-packet time and TCP flags come for free.
 * - The clock is the coarse one where the kernel has it (a few ns where the
 *   precise one costs about 20): flow logs speak whole seconds.
 */
#ifndef NACLEMU_FLOWS_BPF_H
#define NACLEMU_FLOWS_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "naclemu.h"
#include "parse.bpf.h"

/* 1: account flows (attach --flow-log).  Set by the tool before load. */
const volatile __u8 flow_log = 0;

/* Sizes, not BTF types: see naclemu_rules_inner. */
struct naclemu_flows_inner {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, NACLEMU_FLOW_ENTRIES);
	__uint(key_size, sizeof(struct naclemu_flow_key));
	__uint(value_size, sizeof(struct naclemu_flow_val));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct naclemu_flows_inner);
} naclemu_flows SEC(".maps");

/* Offset of the IP header: after the Ethernet header and up to two VLAN tags. */
static __always_inline __u32 flow_l3_off(struct __sk_buff *skb)
{
	__u8 buf[2];
	const __u8 *t;
	__u32 off = 12; /* the ethertype */

#pragma unroll
	for (int n = 0; n < 2; n++) {
		t = hdr(skb, off, 2, buf);
		if (!t || ((t[0] != 0x81 || t[1] != 0x00) && (t[0] != 0x88 || t[1] != 0xa8)))
			break; /* not 802.1Q, not 802.1ad */
		off += 4;
	}
	return off + 2;
}

/*
 * The IP packet's length: IPv4's total length, IPv6's payload length + 40
 * (what the parser checked against the frame), not the frame's length
 * after the IP header, which may hold the padding of a short Ethernet
 * frame.  A GSO packet's header may say 0 (BIG TCP): then the frame's.
 */
static __always_inline __u64 flow_ip_len(struct __sk_buff *skb, const struct pkt *p, __u32 l3)
{
	__u8 buf[2];
	const __u8 *b = hdr(skb, (l3 + (p->family == 4 ? 2 : 4)) & 0xffff, 2, buf);
	__u64 len = b ? ((__u64)b[0] << 8 | b[1]) + (p->family == 4 ? 0 : 40) : 0;

	if (len > (p->family == 4 ? 0 : 40))
		return len;
	return skb->len > l3 ? skb->len - l3 : 0;
}

/*
 * The IP and L4 header bytes each segment of a GSO packet repeats: the IP
 * header (IPv4: its IHL; IPv6: the fixed 40 bytes) and the TCP header
 * (its data offset) or UDP's 8 bytes.  0 when they cannot be read.
 */
static __always_inline __u32 flow_seg_headers(struct __sk_buff *skb, const struct pkt *p,
					      __u32 l3)
{
	__u8 buf[1];
	const __u8 *b;
	__u32 ip = 40, l4 = 0;

	if (p->family == 4) {
		b = hdr(skb, l3, 1, buf);
		if (!b)
			return 0;
		ip = (b[0] & 0xf) * 4;
	}
	if (p->protocol == IPPROTO_UDP) {
		l4 = 8;
	} else if (p->protocol == IPPROTO_TCP) {
		b = hdr(skb, (l3 + ip + 12) & 0xffff, 1, buf);
		if (b)
			l4 = (b[0] >> 4) * 4;
	}
	return ip + l4;
}

/* Count an unaccounted packet (the table was full). */
static __always_inline void flow_lost(__u64 segs, __u64 bytes)
{
	struct naclemu_counter *c;
	__u32 slot = NACLEMU_SLOT_FLOWS_LOST;

	c = bpf_map_lookup_elem(&naclemu_counters, &slot);
	if (!c)
		return;
	c->packets += segs;
	c->bytes += bytes;
}

static __always_inline void flow_add(struct naclemu_flow_val *v, __u64 segs, __u64 bytes,
				     __u64 now, __u8 flags)
{
	if (!v->packets)
		v->first_ns = now; /* another CPU created the entry */
	v->packets += segs;
	v->bytes += bytes;
	v->last_ns = now;
	v->tcp_flags |= flags;
}

/*
 * flow_count() - account @skb, judged in direction @dir with verdict
 * @allow, to its flow.  @p: the parsed packet (addresses, protocol; ports
 * for TCP and UDP, 0 for every other protocol and for a later fragment,
 * whose ports are unknown).
 */
static __always_inline void flow_count(struct __sk_buff *skb, __u32 dir, const struct pkt *p,
				  bool allow)
{
	struct naclemu_flow_key k = {};
	struct naclemu_flow_val *v, nv = {};
	__u64 segs, bytes, now;
	__u32 zero = 0, l3;
	__u8 flags = 0;
	void *table;
	long ret;

	l3 = flow_l3_off(skb);
	segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	bytes = flow_ip_len(skb, p, l3);
	if (segs > 1)
		bytes += (segs - 1) * flow_seg_headers(skb, p, l3);
	table = bpf_map_lookup_elem(&naclemu_flows, &zero);
	if (!table) {
		flow_lost(segs, bytes);
		return;
	}
	k.src = p->src;
	k.dst = p->dst;
	if (p->has_key && (p->protocol == IPPROTO_TCP || p->protocol == IPPROTO_UDP)) {
		k.sport = p->sport;
		k.dport = p->key;
	}
	if (p->has_key && p->protocol == IPPROTO_TCP)
		flags = NACLEMU_FLOW_TCP_FLAGS(p->tcp_flags);
	k.protocol = p->protocol;
	k.family = p->family;
	k.dir = (__u8)dir;
	k.action = allow ? NACLEMU_FLOW_ACCEPT : NACLEMU_FLOW_REJECT;
	now = events_coarse_clock ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_ns();

	v = bpf_map_lookup_elem(table, &k);
	if (v) {
		flow_add(v, segs, bytes, now, flags);
		return;
	}
	nv.packets = segs;
	nv.bytes = bytes;
	nv.first_ns = nv.last_ns = now;
	nv.tcp_flags = flags;
	/* This CPU's copy gets @nv, the others zeros. */
	ret = bpf_map_update_elem(table, &k, &nv, BPF_NOEXIST);
	if (!ret)
		return;
	/* Another CPU inserted it meanwhile: add to this CPU's copy. */
	v = ret == -17 /* EEXIST */ ? bpf_map_lookup_elem(table, &k) : NULL;
	if (v)
		flow_add(v, segs, bytes, now, flags);
	else
		flow_lost(segs, bytes);
}

#endif /* NACLEMU_FLOWS_BPF_H */
