// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * bench_parse_direct.bpf.c - for `make bench` only: the same fields as
 * parse.bpf.h (addresses, protocol, destination port or ICMP type/code)
 * read by direct packet access (skb->data .. skb->data_end) instead of
 * bpf_skb_load_bytes().  No VLAN tags, no IPv6 extension headers: it only
 * has to show what the common case would cost, to compare with
 * bench_parse.bpf.c.  A real datapath would take this path when the headers
 * are in the linear part and fall back to bpf_skb_load_bytes() otherwise.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

__u64 bench_sink;

SEC("tc")
int bench_parse_direct(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u64 src_hi = 0, src_lo, dst_hi = 0, dst_lo;
	__u8 proto, *l4;
	__u16 key = 0;

	if ((void *)(eth + 1) > end)
		return TC_ACT_SHOT;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
			return TC_ACT_SHOT;
		proto = ip->protocol;
		src_lo = bpf_ntohl(ip->saddr);
		dst_lo = bpf_ntohl(ip->daddr);
		l4 = (__u8 *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		const __be32 *s, *d;

		if ((void *)(ip6 + 1) > end)
			return TC_ACT_SHOT;
		s = ip6->saddr.in6_u.u6_addr32;
		d = ip6->daddr.in6_u.u6_addr32;
		src_hi = (__u64)bpf_ntohl(s[0]) << 32 | bpf_ntohl(s[1]);
		src_lo = (__u64)bpf_ntohl(s[2]) << 32 | bpf_ntohl(s[3]);
		dst_hi = (__u64)bpf_ntohl(d[0]) << 32 | bpf_ntohl(d[1]);
		dst_lo = (__u64)bpf_ntohl(d[2]) << 32 | bpf_ntohl(d[3]);
		proto = ip6->nexthdr;
		l4 = (__u8 *)(ip6 + 1);
	} else {
		return TC_ACT_OK;
	}
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (l4 + (proto == IPPROTO_TCP ? 20 : 8) > (__u8 *)end)
			return TC_ACT_SHOT;
		key = (__u16)l4[2] << 8 | l4[3];
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (l4 + 8 > (__u8 *)end)
			return TC_ACT_SHOT;
		key = (__u16)l4[0] << 8 | l4[1];
	}
	bench_sink = src_hi ^ src_lo ^ dst_hi ^ dst_lo ^ key ^ proto;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
