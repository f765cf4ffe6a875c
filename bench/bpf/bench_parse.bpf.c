// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * bench_parse.bpf.c - parse-only TC program for `make bench`: the
 * datapath's own parser (parse.bpf.h: Ethernet, VLAN, IPv4/IPv6 and the
 * extension chain, the L4 key) and nothing else.  naclemu minus this is
 * what the rule lookup, the exemptions and the counters cost.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "parse.bpf.h"

/*
 * Everything the datapath reads of the packet is folded into this word, so
 * clang cannot drop any of the parse as unused.
 */
__u64 bench_sink;

SEC("tc")
int bench_parse(struct __sk_buff *skb)
{
	struct pkt p = {};
	int ret;

	ret = parse_packet(skb, &p);
	if (ret == PARSE_MALFORMED)
		return TC_ACT_SHOT;
	bench_sink = p.src.hi ^ p.src.lo ^ p.dst.hi ^ p.dst.lo ^ p.key ^
		     p.protocol ^ p.has_key ^ p.frag;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
