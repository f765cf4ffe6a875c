/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * parse.bpf.h - what the NACL needs of a packet, bounds-checked at every
 * step.  Offsets are from the MAC header (where TC starts, skb->data).
 *
 * How headers are read (hdr()): by direct packet access when they lie in the
 * skb's linear part, the usual case (and always so under
 * BPF_PROG_TEST_RUN), because a bpf_skb_load_bytes() call per header was
 * most of the parse's cost.  Only a header that is not (wholly) in the
 * linear part - GRO packets, headers past a short linear area, offsets too
 * large for the verifier's packet range - is copied with
 * bpf_skb_load_bytes(), which works on any skb and fails cleanly past the
 * packet's end.  The linear part is a prefix of the packet, so both ways see
 * the same bytes and fail on the same packets: the truncation tests do not
 * depend on the way taken.
 *
 * Choices (AWS leaves them open; docs/semantics.md section 1):
 * - Ethernet only, with at most two VLAN tags (802.1Q or 802.1ad) in the
 *   frame; a third tag, or a frame cut inside its L2 headers, is malformed.
 * - IPv4: version 4, IHL >= 5, options skipped, total length within the
 *   frame (0 is accepted only for a GSO packet, as BIG TCP writes it).
 * - IPv6: at most NACLEMU_MAX_EXT_HDRS extension headers (hop-by-hop,
 *   routing, fragment, destination options, AH); a longer chain is
 *   malformed and dropped, never passed unexamined.
 * - L4 headers need their full fixed part: TCP 20 bytes (and a data offset
 *   within the packet), UDP 8, ICMP and ICMPv6 8.  Only the protocols whose
 *   rules have ports or types (TCP, UDP, ICMP, and ICMPv6 in IPv6) are read.
 * - A later fragment (offset > 0) has no L4 header: its ports are unknown.
 */
#ifndef NACLEMU_PARSE_BPF_H
#define NACLEMU_PARSE_BPF_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "naclemu.h"

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP,    /* ARP, LLDP, ...: passed, counted exempt */
	PARSE_MALFORMED, /* dropped, counted malformed */
	PARSE_SLOW,      /* parse_fast() only: take the general path */
};

enum frag_kind {
	FRAG_NONE = 0,
	FRAG_FIRST, /* offset 0, more fragments follow */
	FRAG_LATER, /* offset > 0 */
};

/* What the NACL sees of a packet (the BPF twin of struct nacl_packet). */
struct pkt {
	struct naclemu_addr src;
	struct naclemu_addr dst;
	__u32 frag_id;
	__u16 key; /* TCP/UDP dst port, or ICMP type << 8 | code */
	__u8 family; /* 4 or 6 */
	__u8 protocol;
	__u8 l4_known; /* false for a later fragment */
	__u8 has_key;  /* protocol with ports or types, and l4_known */
	__u8 frag;     /* enum frag_kind */
	__u8 tcp_flags; /* TCP, has_key: byte 13 of the header (drop events) */
	__u16 sport;    /* TCP/UDP source port, has_key (drop events) */
};

/*
 * Largest offset direct access is used for: the verifier only range-checks
 * a packet pointer whose variable offset stays within MAX_PACKET_OFF
 * (0xffff).  A header further in (BIG TCP) is copied instead.
 */
#define PARSE_DIRECT_MAX_OFF 0xffff

/*
 * @len bytes of the packet at @off: a pointer into the linear part when they
 * all lie there (no helper call, no copy), else into @buf, filled by
 * bpf_skb_load_bytes().  NULL when the packet ends before @off + @len.
 * The direct way is taken only when the bytes are in the linear part, a
 * prefix of the packet, so the result is the same as the copy's would be.
 * @len is a constant at every call (inlined), @buf at least @len bytes.
 */
static __always_inline const void *hdr(struct __sk_buff *skb, __u32 off,
				       __u32 len, void *buf)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (off <= PARSE_DIRECT_MAX_OFF && data + off + len <= data_end)
		return data + off;
	if (bpf_skb_load_bytes(skb, off, buf, len))
		return NULL;
	return buf;
}

/* The same, and all @len bytes before @end (the IP packet's end). */
static __always_inline const void *hdr_in(struct __sk_buff *skb, __u32 off,
					  __u32 end, __u32 len, void *buf)
{
	if (off + len > end)
		return NULL;
	return hdr(skb, off, len, buf);
}

/* Ethernet and VLAN tags: the ethertype of the L3 header and its offset. */
static __always_inline int parse_l2(struct __sk_buff *skb, __u32 *off,
				    __be16 *proto)
{
	struct vlan_tag {
		__be16 tci;
		__be16 proto;
	} vlan_buf;
	const struct vlan_tag *vlan;
	const struct ethhdr *eth;
	struct ethhdr eth_buf;
	__u32 o = ETH_HLEN;
	__be16 p;

	eth = hdr(skb, 0, sizeof(*eth), &eth_buf);
	if (!eth)
		return PARSE_MALFORMED;
	p = eth->h_proto;
#pragma unroll
	for (int n = 0; n < 3; n++) {
		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		if (n == 2)
			return PARSE_MALFORMED;
		vlan = hdr(skb, o, sizeof(*vlan), &vlan_buf);
		if (!vlan)
			return PARSE_MALFORMED;
		p = vlan->proto;
		o += sizeof(*vlan);
	}
	*off = o;
	*proto = p;
	return PARSE_OK;
}

/* The L4 key at @off (not for a later fragment). */
static __always_inline int parse_l4(struct __sk_buff *skb, __u32 off, __u32 end,
				    struct pkt *p)
{
	const __u8 *l4;
	__u8 buf[20];

	p->l4_known = 1;
	switch (p->protocol) {
	case IPPROTO_TCP:
		l4 = hdr_in(skb, off, end, 20, buf);
		if (!l4)
			return PARSE_MALFORMED;
		/* Data offset (words) in the high nibble of byte 12. */
		if ((l4[12] >> 4) < 5 || off + (l4[12] >> 4) * 4 > end)
			return PARSE_MALFORMED;
		p->tcp_flags = l4[13];
		break;
	case IPPROTO_UDP:
		l4 = hdr_in(skb, off, end, 8, buf);
		if (!l4)
			return PARSE_MALFORMED;
		break;
	case IPPROTO_ICMPV6:
		/* An IPv4 rule with protocol 58 ignores type and code (AWS). */
		if (p->family == 4)
			return PARSE_OK;
		/* fallthrough */
	case IPPROTO_ICMP:
		l4 = hdr_in(skb, off, end, 8, buf);
		if (!l4)
			return PARSE_MALFORMED;
		p->key = (__u16)l4[0] << 8 | l4[1];
		p->has_key = 1;
		return PARSE_OK;
	default:
		return PARSE_OK;
	}
	/* TCP and UDP: destination port, bytes 2-3 (source: 0-1, for events). */
	p->key = (__u16)l4[2] << 8 | l4[3];
	p->sport = (__u16)l4[0] << 8 | l4[1];
	p->has_key = 1;
	return PARSE_OK;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off,
				      struct pkt *p)
{
	const struct iphdr *ip;
	struct iphdr ip_buf;
	__u32 hl, end, frag;

	ip = hdr(skb, off, sizeof(*ip), &ip_buf);
	if (!ip)
		return PARSE_MALFORMED;
	hl = ip->ihl * 4;
	if (ip->version != 4 || hl < sizeof(*ip))
		return PARSE_MALFORMED;
	end = off + bpf_ntohs(ip->tot_len);
	if (ip->tot_len == 0 && skb->gso_segs > 1)
		end = skb->len;
	if (end < off + hl || end > skb->len)
		return PARSE_MALFORMED;

	p->family = 4;
	p->protocol = ip->protocol;
	p->src.lo = bpf_ntohl(ip->saddr);
	p->dst.lo = bpf_ntohl(ip->daddr);
	p->frag_id = bpf_ntohs(ip->id);
	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff) {
		p->frag = FRAG_LATER;
		return PARSE_OK;
	}
	if (frag & 0x2000)
		p->frag = FRAG_FIRST;
	return parse_l4(skb, off + hl, end, p);
}

static __always_inline void addr6(struct naclemu_addr *a, const __be32 *w)
{
	a->hi = (__u64)bpf_ntohl(w[0]) << 32 | bpf_ntohl(w[1]);
	a->lo = (__u64)bpf_ntohl(w[2]) << 32 | bpf_ntohl(w[3]);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off,
				      struct pkt *p)
{
	const struct ipv6hdr *ip6;
	struct ipv6hdr ip6_buf;
	const __u8 *ext;
	__u8 ext_buf[8];
	__u32 end, o;
	__u16 fo;
	__u8 nh;

	ip6 = hdr(skb, off, sizeof(*ip6), &ip6_buf);
	if (!ip6)
		return PARSE_MALFORMED;
	if (ip6->version != 6)
		return PARSE_MALFORMED;
	end = off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (ip6->payload_len == 0 && skb->gso_segs > 1)
		end = skb->len;
	if (end > skb->len)
		return PARSE_MALFORMED;

	p->family = 6;
	addr6(&p->src, ip6->saddr.in6_u.u6_addr32);
	addr6(&p->dst, ip6->daddr.in6_u.u6_addr32);
	nh = ip6->nexthdr;
	o = off + sizeof(*ip6);

	/* One more round than headers allowed: the last may only end the chain. */
	for (int n = 0; n <= NACLEMU_MAX_EXT_HDRS; n++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			ext = hdr_in(skb, o, end, 2, ext_buf);
			if (!ext)
				return PARSE_MALFORMED;
			nh = ext[0];
			o += (ext[1] + 1) * 8;
			continue;
		case IPPROTO_AH:
			ext = hdr_in(skb, o, end, 2, ext_buf);
			if (!ext)
				return PARSE_MALFORMED;
			nh = ext[0];
			o += (ext[1] + 2) * 4;
			continue;
		case IPPROTO_FRAGMENT:
			ext = hdr_in(skb, o, end, 8, ext_buf);
			if (!ext)
				return PARSE_MALFORMED;
			nh = ext[0];
			o += 8;
			fo = (__u16)ext[2] << 8 | ext[3];
			p->frag_id = (__u32)ext[4] << 24 | (__u32)ext[5] << 16 |
				     (__u32)ext[6] << 8 | ext[7];
			if (fo & 0xfff8) {
				p->frag = FRAG_LATER;
				p->protocol = nh;
				return PARSE_OK;
			}
			/* Offset 0 without M is an atomic fragment: whole. */
			if (fo & 1)
				p->frag = FRAG_FIRST;
			continue;
		default:
			p->protocol = nh;
			if (o > end)
				return PARSE_MALFORMED;
			return parse_l4(skb, o, end, p);
		}
	}
	/* Chain longer than the walk allows. */
	return PARSE_MALFORMED;
}

/*
 * The L4 part of parse_fast(): the same fields and checks as parse_l4() for
 * the L4 header at offset @o (a constant at each call), the IP packet ending
 * at @end.  PARSE_SLOW for whatever parse_l4() would call malformed, and
 * for a header past the linear part.
 */
static __always_inline int fast_l4(struct pkt *p, const __u8 *data,
				   const __u8 *data_end, __u32 o, __u32 end,
				   __u8 family, __u8 protocol)
{
	const __u8 *l4 = data + o;
	__u32 doff;

	switch (protocol) {
	case IPPROTO_TCP:
		if (o + 20 > end || l4 + 20 > data_end)
			return PARSE_SLOW;
		doff = l4[12] >> 4;
		if (doff < 5 || o + doff * 4 > end)
			return PARSE_SLOW;
		p->tcp_flags = l4[13];
		break;
	case IPPROTO_UDP:
		if (o + 8 > end || l4 + 8 > data_end)
			return PARSE_SLOW;
		break;
	case IPPROTO_ICMPV6:
		if (family == 4)
			goto done;
		/* fallthrough */
	case IPPROTO_ICMP:
		if (o + 8 > end || l4 + 8 > data_end)
			return PARSE_SLOW;
		p->key = (__u16)l4[0] << 8 | l4[1];
		p->has_key = 1;
		goto done;
	default:
		goto done; /* no ports or types */
	}
	p->key = (__u16)l4[2] << 8 | l4[3];
	p->sport = (__u16)l4[0] << 8 | l4[1];
	p->has_key = 1;
done:
	p->l4_known = 1;
	p->family = family;
	p->protocol = protocol;
	return PARSE_OK;
}

/*
 * The common case, with one bounds check per header size and no helper
 * call: an untagged Ethernet frame with IPv4 without options or IPv6
 * without extension headers, not a fragment, its IP and L4 fixed headers in
 * the linear part.  It gives what the general path would give for such a
 * packet, and PARSE_SLOW (with @p's addresses possibly written, which the
 * general path overwrites) for every other packet, including all those the
 * general path calls malformed: the general path then decides.
 */
static __always_inline int parse_fast(struct __sk_buff *skb, struct pkt *p)
{
	const __u8 *data = (const __u8 *)(long)skb->data;
	const __u8 *data_end = (const __u8 *)(long)skb->data_end;
	__be16 eth_proto;
	__u32 end;

	/* Ethernet, IPv4 and 8 bytes of L4: the shortest frame handled. */
	if (data + ETH_HLEN + sizeof(struct iphdr) + 8 > data_end)
		return PARSE_SLOW;
	eth_proto = *(const __be16 *)(data + 12);
	if (eth_proto == bpf_htons(ETH_P_IP)) {
		const struct iphdr *ip = (const void *)(data + ETH_HLEN);

		/* Version 4, IHL 5; no MF flag, offset 0. */
		if (data[ETH_HLEN] != 0x45 || (ip->frag_off & bpf_htons(0x3fff)))
			return PARSE_SLOW;
		end = ETH_HLEN + bpf_ntohs(ip->tot_len);
		if (end < ETH_HLEN + sizeof(*ip) || end > skb->len)
			return PARSE_SLOW;
		p->src.lo = bpf_ntohl(ip->saddr);
		p->dst.lo = bpf_ntohl(ip->daddr);
		return fast_l4(p, data, data_end, ETH_HLEN + sizeof(*ip), end, 4,
			       ip->protocol);
	}
	if (eth_proto == bpf_htons(ETH_P_IPV6)) {
		const struct ipv6hdr *ip6 = (const void *)(data + ETH_HLEN);
		__u8 nh;

		if (data + ETH_HLEN + sizeof(*ip6) > data_end ||
		    (data[ETH_HLEN] >> 4) != 6 || ip6->payload_len == 0)
			return PARSE_SLOW;
		end = ETH_HLEN + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		if (end > skb->len)
			return PARSE_SLOW;
		nh = ip6->nexthdr;
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		    nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS ||
		    nh == IPPROTO_AH)
			return PARSE_SLOW;
		addr6(&p->src, ip6->saddr.in6_u.u6_addr32);
		addr6(&p->dst, ip6->daddr.in6_u.u6_addr32);
		return fast_l4(p, data, data_end, ETH_HLEN + sizeof(*ip6), end, 6, nh);
	}
	return PARSE_SLOW;
}

/*
 * parse_slow() and parse_packet() are global BPF functions (not static):
 * the verifier checks a global function once, on its own, with its
 * arguments unknown, instead of once per path of each caller.  The parser
 * has many paths (VLAN tags, IPv4 options, eight IPv6 extension headers,
 * fragments), and inlined into the judge it made the verifier walk up to
 * 836,000 instructions per program, close to its limit of 1,000,000, and
 * take 0.5 s per program at attach on a 2-vCPU virtual machine; as global
 * functions, 250,000 and about 0.1 s (`bpftool -d prog loadall` prints
 * the count).  The price is a real call, about 1 ns per packet
 * (docs/benchmarks.md).  Both check their pointers, as the verifier asks
 * of a global function's arguments.  A pointer to a struct as a global
 * function's argument needs Linux 5.12: naclemu's minimum (README).
 */
__noinline int parse_slow(struct __sk_buff *skb, struct pkt *p)
{
	__be16 proto;
	__u32 off;
	int ret;

	if (!skb || !p)
		return PARSE_MALFORMED;
	ret = parse_l2(skb, &off, &proto);
	if (ret != PARSE_OK)
		return ret;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(skb, off, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(skb, off, p);
	return PARSE_NOT_IP;
}

/* parse_packet() - @skb into @p; enum parse_result. */
__noinline int parse_packet(struct __sk_buff *skb, struct pkt *p)
{
	int ret;

	if (!skb || !p)
		return PARSE_MALFORMED;
	ret = parse_fast(skb, p);
	return ret != PARSE_SLOW ? ret : parse_slow(skb, p);
}

#endif /* NACLEMU_PARSE_BPF_H */
