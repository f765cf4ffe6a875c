// SPDX-License-Identifier: MIT
/*
 * test_bpf_datapath.c - the BPF datapath under BPF_PROG_TEST_RUN, table
 * driven: a rule set, a frame, the direction; out come the verdict and the
 * one counter slot that moved (a rule number, '*', exempt, subnet or
 * malformed).  One case per semantic rule of docs/semantics.md section 1, plus VLAN
 * tags, IPv4 options, IPv6 extension chains, fragments, GSO and truncation
 * at every layer.  Needs root; skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bpf_harness.h"

/* What a case expects to be counted, besides a rule number. */
#define X_EXEMPT 100000u
#define X_SUBNET 100001u
#define X_MALFORMED 100002u

enum { IN = NACLEMU_INGRESS, OUT = NACLEMU_EGRESS };

struct dcase {
	const char *name;
	const char *rules;
	const char *extra; /* NULL, or "exempt CIDR" / "subnet CIDR" lines */
	int dir;
	struct frame_spec f;
	bool allow;
	unsigned int counted; /* rule number, or X_* */
	__u32 gso_segs;       /* 0: not GSO; else packets expected */
	bool keep_frags;      /* do not reset the fragment memory first */
};

static const char BASIC[] =
	"inbound\n"
	" 100 allow tcp 80 192.0.2.0/24\n"
	" 110 deny tcp 1000-2000 0.0.0.0/0\n"
	" 120 allow tcp all 198.51.100.0/24\n"
	" 130 allow udp 53 0.0.0.0/0\n"
	" 140 allow icmp 8 0.0.0.0/0\n"
	" 150 allow icmp 3/4 0.0.0.0/0\n"
	" 160 allow icmpv6 all 0.0.0.0/0\n"
	" 170 allow 50 - 203.0.113.0/24\n"
	" 180 deny all - 203.0.113.0/24\n"
	" 190 allow all - 203.0.113.128/25\n"
	" 200 allow tcp 443 2001:db8::/32\n"
	" 210 allow icmpv6 128 2001:db8:1::/48\n"
	" 220 allow icmpv6 1/3 ::/0\n"
	" 230 allow udp 1024-65535 ::/0\n"
	" 240 allow all - 2001:db8:ffff::/48\n"
	"outbound\n"
	" 100 allow tcp 1024-65535 192.0.2.0/24\n"
	" 110 allow all - 2001:db8::/32\n"
	" 120 deny udp all 198.51.100.0/24\n";

/* First match wins even when the file lists a later number first. */
static const char ORDER[] =
	"inbound\n"
	" 300 allow all - 0.0.0.0/0\n"
	" 200 deny tcp 22 198.51.100.0/24\n"
	" 100 allow tcp 22 198.51.100.7/32\n"
	"outbound\n"
	" 100 allow all - 0.0.0.0/0\n";

/* Fragments: a port rule, a full-range rule, an all rule. */
static const char FRAG[] =
	"inbound\n"
	" 100 allow tcp 80 192.0.2.0/24\n"
	" 110 deny udp 0-65535 192.0.2.0/24\n"
	" 120 allow tcp 0-65535 198.51.100.0/24\n"
	" 130 allow tcp 443 2001:db8::/32\n"
	" 140 allow all - 2001:db8:1::/48\n"
	"outbound\n";

static const char ALLOW_ALL[] =
	"inbound\n"
	" 100 allow all - 0.0.0.0/0\n"
	" 101 allow all - ::/0\n"
	"outbound\n"
	" 100 allow all - 0.0.0.0/0\n"
	" 101 allow all - ::/0\n";

static const char DENY_ALL[] = "inbound\noutbound\n";

#define AD(s, d) .src = s, .dst = d
#define TCP(sp, dp) .proto = IPPROTO_TCP, .sport = sp, .dport = dp
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = sp, .dport = dp
#define ICMP(t, c) .proto = IPPROTO_ICMP, .type = t, .code = c
#define ICMP6(t, c) .proto = IPPROTO_ICMPV6, .type = t, .code = c

static const struct dcase cases[] = {
	/* -- direction: inbound = source, outbound = destination -- */
	{ "in_src_matches", BASIC, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(40000, 80) }, true, 100 },
	{ "in_dst_ignored", BASIC, NULL, IN, { AD("198.51.100.1", "192.0.2.9"), TCP(40000, 80) }, true, 120 },
	{ "out_dst_matches", BASIC, NULL, OUT, { AD("198.51.100.1", "192.0.2.9"), TCP(80, 40000) }, true, 100 },
	{ "out_src_ignored", BASIC, NULL, OUT, { AD("192.0.2.9", "203.0.113.1"), TCP(80, 40000) }, false, 32767 },
	/* -- ports: destination port, both ends of a range -- */
	{ "port_below_range", BASIC, NULL, IN, { AD("203.0.113.9", "192.0.2.1"), TCP(1500, 999) }, false, 180 },
	{ "port_range_lo", BASIC, NULL, IN, { AD("203.0.113.9", "192.0.2.1"), TCP(1, 1000) }, false, 110 },
	{ "port_range_hi", BASIC, NULL, IN, { AD("203.0.113.9", "192.0.2.1"), TCP(1, 2000) }, false, 110 },
	{ "port_above_range", BASIC, NULL, IN, { AD("198.51.100.3", "192.0.2.1"), TCP(1500, 2001) }, true, 120 },
	{ "src_port_ignored", BASIC, NULL, IN, { AD("198.51.100.3", "192.0.2.1"), TCP(1500, 80) }, true, 120 },
	{ "out_port_lo_edge", BASIC, NULL, OUT, { AD("192.0.2.1", "192.0.2.200"), TCP(80, 1024) }, true, 100 },
	{ "out_port_below", BASIC, NULL, OUT, { AD("192.0.2.1", "192.0.2.200"), TCP(80, 1023) }, false, 32767 },
	{ "udp_port", BASIC, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), UDP(5353, 53) }, true, 130 },
	{ "udp_not_tcp_rule", BASIC, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), UDP(5353, 80) }, false, 32767 },
	/* -- first match by number, not by file order -- */
	{ "order_lowest_wins", ORDER, NULL, IN, { AD("198.51.100.7", "192.0.2.1"), TCP(5, 22) }, true, 100 },
	{ "order_second", ORDER, NULL, IN, { AD("198.51.100.8", "192.0.2.1"), TCP(5, 22) }, false, 200 },
	{ "order_third", ORDER, NULL, IN, { AD("198.51.100.8", "192.0.2.1"), TCP(5, 23) }, true, 300 },
	/* -- CIDR edges -- */
	{ "cidr_first_addr", BASIC, NULL, IN, { AD("203.0.113.0", "192.0.2.1"), .proto = 47 }, false, 180 },
	{ "cidr_last_addr", BASIC, NULL, IN, { AD("203.0.113.255", "192.0.2.1"), .proto = 47 }, false, 180 },
	{ "cidr_past_last", BASIC, NULL, IN, { AD("203.0.114.0", "192.0.2.1"), .proto = 47 }, false, 32767 },
	/* -- ICMP type/code -- */
	{ "icmp_type_any_code", BASIC, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), ICMP(8, 7) }, true, 140 },
	{ "icmp_type_code", BASIC, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), ICMP(3, 4) }, true, 150 },
	{ "icmp_other_code", BASIC, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), ICMP(3, 3) }, false, 32767 },
	{ "icmp_other_type", BASIC, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), ICMP(0, 0) }, false, 32767 },
	{ "v4_rule_proto58_all", BASIC, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), ICMP6(200, 9) }, true, 160 },
	{ "icmpv6_type_any", BASIC, NULL, IN, { AD("2001:db8:1::5", "2001:db8::1"), ICMP6(128, 0) }, true, 210 },
	{ "icmpv6_type_code", BASIC, NULL, IN, { AD("2001:db9::5", "2001:db8::1"), ICMP6(1, 3) }, true, 220 },
	{ "icmpv6_wrong_code", BASIC, NULL, IN, { AD("2001:db9::5", "2001:db8::1"), ICMP6(1, 4) }, false, 32768 },
	/* -- protocol -1 and other protocols ignore ports -- */
	{ "proto_by_number", BASIC, NULL, IN, { AD("203.0.113.9", "192.0.2.1"), .proto = 50 }, true, 170 },
	{ "proto_all_tcp", BASIC, NULL, IN, { AD("203.0.113.9", "192.0.2.1"), TCP(1, 80) }, false, 180 },
	{ "proto_all_shadows", BASIC, NULL, IN, { AD("203.0.113.200", "192.0.2.1"), UDP(1, 9) }, false, 180 },
	/* -- families -- */
	{ "v6_tcp_rule", BASIC, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), TCP(5, 443) }, true, 200 },
	{ "v6_default_32768", BASIC, NULL, IN, { AD("2001:db9::9", "2001:db8::1"), TCP(5, 80) }, false, 32768 },
	{ "v4_rule_not_v6", ALLOW_ALL, NULL, IN, { AD("2001:db9::9", "2001:db8::1"), TCP(5, 80) }, true, 101 },
	{ "v6_rule_not_v4", ALLOW_ALL, NULL, OUT, { AD("192.0.2.1", "192.0.2.2"), UDP(5, 80) }, true, 100 },
	{ "v6_out_dst", BASIC, NULL, OUT, { AD("2001:db9::9", "2001:db8::1"), UDP(5, 80) }, true, 110 },
	{ "empty_dir_v4", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "192.0.2.2"), UDP(5, 80) }, false, 32767 },
	{ "empty_dir_v6", DENY_ALL, NULL, IN, { AD("2001:db8::1", "2001:db8::2"), UDP(5, 80) }, false, 32768 },
	/* -- exempt (docs/semantics.md section 1, "Not filtered") -- */
	{ "arp_exempt", DENY_ALL, NULL, IN, { .ethertype = ETH_P_ARP }, true, X_EXEMPT },
	{ "lldp_exempt", DENY_ALL, NULL, OUT, { .ethertype = 0x88cc }, true, X_EXEMPT },
	{ "nd_133", DENY_ALL, NULL, OUT, { AD("fe80::1", "ff02::2"), ICMP6(133, 0) }, true, X_EXEMPT },
	{ "nd_137", DENY_ALL, NULL, IN, { AD("fe80::1", "fe80::2"), ICMP6(137, 0) }, true, X_EXEMPT },
	{ "nd_132_filtered", DENY_ALL, NULL, IN, { AD("2001:db8::1", "2001:db8::2"), ICMP6(132, 0) }, false, 32768 },
	{ "nd_138_filtered", DENY_ALL, NULL, IN, { AD("2001:db8::1", "2001:db8::2"), ICMP6(138, 0) }, false, 32768 },
	{ "icmp4_type_135_filtered", DENY_ALL, NULL, IN, { AD("192.0.2.1", "192.0.2.2"), ICMP(135, 0) }, false, 32767 },
	{ "dhcp_67", DENY_ALL, NULL, OUT, { AD("0.0.0.0", "255.255.255.255"), UDP(68, 67) }, true, X_EXEMPT },
	{ "dhcp_68", DENY_ALL, NULL, IN, { AD("192.0.2.1", "192.0.2.9"), UDP(67, 68) }, true, X_EXEMPT },
	{ "dhcp_tcp_67_filtered", DENY_ALL, NULL, IN, { AD("192.0.2.1", "192.0.2.9"), TCP(67, 67) }, false, 32767 },
	{ "dhcp_src_port_filtered", DENY_ALL, NULL, IN, { AD("192.0.2.1", "192.0.2.9"), UDP(67, 999) }, false, 32767 },
	{ "dhcpv6_547", DENY_ALL, NULL, OUT, { AD("fe80::1", "ff02::1:2"), UDP(546, 547) }, true, X_EXEMPT },
	{ "dhcpv6_546", DENY_ALL, NULL, IN, { AD("fe80::2", "fe80::1"), UDP(547, 546) }, true, X_EXEMPT },
	{ "dhcp_v4_port_on_v6", DENY_ALL, NULL, IN, { AD("2001:db8::2", "2001:db8::1"), UDP(1, 67) }, false, 32768 },
	/* -- link scope (naclemu's choice) and the VPC's Resolver -- */
	{ "mld_report", DENY_ALL, NULL, OUT, { AD("fe80::1", "ff02::16"), ICMP6(143, 0) }, true, X_EXEMPT },
	{ "link_mcast_global_src", DENY_ALL, NULL, OUT, { AD("2001:db8::1", "ff02::1"), UDP(5, 9) }, true, X_EXEMPT },
	{ "link_local_pair", DENY_ALL, NULL, IN, { AD("fe80::1", "fe80::2"), TCP(5, 22) }, true, X_EXEMPT },
	{ "link_local_to_global", DENY_ALL, NULL, IN, { AD("fe80::1", "2001:db8::2"), TCP(5, 22) }, false, 32768 },
	{ "site_mcast_filtered", DENY_ALL, NULL, OUT, { AD("2001:db8::1", "ff05::2"), UDP(5, 9) }, false, 32768 },
	{ "igmp_224_0_0_22", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "224.0.0.22"), .proto = 2 }, true, X_EXEMPT },
	{ "mdns_224_0_0_251", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "224.0.0.251"), UDP(5353, 5353) }, true, X_EXEMPT },
	{ "mcast_224_0_1_filtered", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "224.0.1.1"), UDP(5, 9) }, false, 32767 },
	{ "resolver_udp_out", DENY_ALL, "vpc 203.0.113.0/24", OUT, { AD("192.0.2.1", "203.0.113.2"), UDP(40000, 53) }, true, X_EXEMPT },
	{ "resolver_udp_answer", DENY_ALL, "vpc 203.0.113.0/24", IN, { AD("203.0.113.2", "192.0.2.1"), UDP(53, 40000) }, true, X_EXEMPT },
	{ "resolver_tcp", DENY_ALL, "vpc 203.0.113.0/24", OUT, { AD("192.0.2.1", "203.0.113.2"), TCP(40000, 53) }, true, X_EXEMPT },
	{ "resolver_not_dns", DENY_ALL, "vpc 203.0.113.0/24", OUT, { AD("192.0.2.1", "203.0.113.2"), UDP(40000, 123) }, false, 32767 },
	{ "resolver_base_3", DENY_ALL, "vpc 203.0.113.0/24", OUT, { AD("192.0.2.1", "203.0.113.3"), UDP(40000, 53) }, false, 32767 },
	{ "resolver_src_is_peer_in", DENY_ALL, "vpc 203.0.113.0/24", IN, { AD("192.0.2.1", "203.0.113.2"), UDP(40000, 53) }, false, 32767 },
	{ "resolver_icmp", DENY_ALL, "vpc 203.0.113.0/24", OUT, { AD("192.0.2.1", "203.0.113.2"), ICMP(8, 0) }, false, 32767 },
	{ "metadata_in", DENY_ALL, NULL, IN, { AD("169.254.169.254", "192.0.2.1"), TCP(80, 40000) }, true, X_EXEMPT },
	{ "metadata_out", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "169.254.169.254"), TCP(40000, 80) }, true, X_EXEMPT },
	{ "timesync", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "169.254.169.123"), UDP(1, 123) }, true, X_EXEMPT },
	{ "dns_253", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "169.254.169.253"), UDP(1, 53) }, true, X_EXEMPT },
	{ "linklocal_252_filtered", DENY_ALL, NULL, OUT, { AD("192.0.2.1", "169.254.169.252"), UDP(1, 53) }, false, 32767 },
	{ "metadata_as_src_out", DENY_ALL, NULL, OUT, { AD("169.254.169.254", "192.0.2.1"), UDP(1, 53) }, false, 32767 },
	{ "metadata_v6", DENY_ALL, NULL, OUT, { AD("2001:db8::1", "fd00:ec2::254"), TCP(1, 80) }, true, X_EXEMPT },
	{ "dns_v6", DENY_ALL, NULL, IN, { AD("fd00:ec2::253", "2001:db8::1"), UDP(53, 3333) }, true, X_EXEMPT },
	{ "ec2_255_v6_filtered", DENY_ALL, NULL, IN, { AD("fd00:ec2::255", "2001:db8::1"), UDP(53, 3333) }, false, 32768 },
	{ "exempt_cidr_in", DENY_ALL, "exempt 203.0.113.0/28", IN, { AD("203.0.113.15", "192.0.2.1"), TCP(1, 2) }, true, X_EXEMPT },
	{ "exempt_cidr_edge", DENY_ALL, "exempt 203.0.113.0/28", IN, { AD("203.0.113.16", "192.0.2.1"), TCP(1, 2) }, false, 32767 },
	{ "exempt_cidr_out", DENY_ALL, "exempt 2001:db8:e::/48", OUT, { AD("2001:db8::1", "2001:db8:e::1"), TCP(1, 2) }, true, X_EXEMPT },
	{ "subnet_in_src", DENY_ALL, "subnet 192.0.2.0/24", IN, { AD("192.0.2.77", "198.51.100.1"), TCP(1, 2) }, true, X_SUBNET },
	{ "subnet_in_dst_no", DENY_ALL, "subnet 192.0.2.0/24", IN, { AD("198.51.100.1", "192.0.2.77"), TCP(1, 2) }, false, 32767 },
	{ "subnet_out_dst", DENY_ALL, "subnet 192.0.2.0/24", OUT, { AD("198.51.100.1", "192.0.2.77"), TCP(1, 2) }, true, X_SUBNET },
	{ "subnet_v6", DENY_ALL, "subnet 2001:db8:5::/64", IN, { AD("2001:db8:5::9", "2001:db8::1"), UDP(1, 2) }, true, X_SUBNET },
	/* -- VLAN tags -- */
	{ "vlan_one", BASIC, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .vlans = 1 }, true, 100 },
	{ "vlan_two", BASIC, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 81), .vlans = 2 }, false, 32767 },
	{ "vlan_two_v6", BASIC, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), TCP(5, 443), .vlans = 2 }, true, 200 },
	{ "vlan_arp", DENY_ALL, NULL, IN, { .ethertype = ETH_P_ARP, .vlans = 2 }, true, X_EXEMPT },
	{ "vlan_three_malformed", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .vlans = 3 }, false, X_MALFORMED },
	{ "vlan_cut_malformed", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .vlans = 1, .cut = 16 }, false, X_MALFORMED },
	/* -- IPv4 options -- */
	{ "ipv4_opt_4", BASIC, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .ipopt = 4 }, true, 100 },
	{ "ipv4_opt_40", BASIC, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 81), .ipopt = 40 }, false, 32767 },
	{ "ipv4_opt_udp", BASIC, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), UDP(1, 53), .ipopt = 12 }, true, 130 },
	/* -- IPv6 extension headers: the upper layer after the chain -- */
	{ "v6_hbh", BASIC, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), TCP(5, 443), .ext = "H" }, true, 200 },
	{ "v6_chain_all_kinds", BASIC, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), TCP(5, 443), .ext = "H D R F D A" }, true, 200 },
	{ "v6_chain_port_miss", BASIC, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), TCP(5, 444), .ext = "H D R A" }, false, 32768 },
	{ "v6_chain_8_ok", BASIC, NULL, IN, { AD("2001:db9::9", "2001:db8::1"), UDP(5, 4444), .ext = "HDDDDDDD" }, true, 230 },
	{ "v6_chain_9_malformed", ALLOW_ALL, NULL, IN, { AD("2001:db9::9", "2001:db8::1"), UDP(5, 4444), .ext = "HDDDDDDDD" }, false, X_MALFORMED },
	{ "v6_ext_past_end", ALLOW_ALL, NULL, IN, { AD("2001:db9::9", "2001:db8::1"), UDP(1, 2), .ext = "H L" }, false, X_MALFORMED },
	{ "v6_no_next_header", BASIC, NULL, IN, { AD("2001:db8:ffff::1", "2001:db8::1"), .proto = 59, .ext = "D" }, true, 240 },
	{ "v6_icmp_after_ext", BASIC, NULL, IN, { AD("2001:db8:1::5", "2001:db8::1"), ICMP6(128, 0), .ext = "H" }, true, 210 },
	{ "v6_nd_after_hbh", DENY_ALL, NULL, IN, { AD("fe80::1", "ff02::1"), ICMP6(135, 0), .ext = "H" }, true, X_EXEMPT },
	/* -- GSO: one skb, gso_segs packets -- */
	{ "gso_counts_segs", BASIC, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .payload = 1000 }, true, 100, 5 },
	{ "gso_v6_denied", BASIC, NULL, IN, { AD("2001:db9::9", "2001:db8::1"), TCP(5, 80), .payload = 1000 }, false, 32768, 3 },
	/* -- truncated or malformed at every layer: dropped -- */
	/*
	 * BPF_PROG_TEST_RUN refuses an untagged IP frame shorter than its IP
	 * header (EINVAL), so these two go behind a VLAN tag, which it does
	 * not look into; the parser takes the same path either way.
	 */
	{ "ipv4_cut_header", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .vlans = 1, .cut = 18 + 19 }, false, X_MALFORMED },
	{ "ipv4_ihl_4", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .ihl = 4 }, false, X_MALFORMED },
	{ "ipv4_ihl_past_len", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), .proto = 47, .ihl = 15 }, false, X_MALFORMED },
	{ "ipv4_options_cut", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .ipopt = 40, .cut = 14 + 40 }, false, X_MALFORMED },
	{ "ipv4_tot_len_past_frame", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), UDP(1, 80), .cut = 14 + 20 + 6 }, false, X_MALFORMED },
	{ "tcp_cut", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .l4len = 19 }, false, X_MALFORMED },
	{ "tcp_doff_4", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .doff = 4 }, false, X_MALFORMED },
	{ "tcp_doff_past_end", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), TCP(1, 80), .doff = 15 }, false, X_MALFORMED },
	{ "udp_cut", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), UDP(1, 80), .l4len = 7 }, false, X_MALFORMED },
	{ "icmp_cut", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), ICMP(8, 0), .l4len = 7 }, false, X_MALFORMED },
	{ "icmpv6_cut", ALLOW_ALL, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), ICMP6(128, 0), .l4len = 3 }, false, X_MALFORMED },
	{ "ipv6_cut_header", ALLOW_ALL, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), UDP(1, 80), .vlans = 1, .cut = 18 + 39 }, false, X_MALFORMED },
	{ "ipv6_plen_past_frame", ALLOW_ALL, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), UDP(1, 80), .cut = 14 + 40 + 7 }, false, X_MALFORMED },
	{ "ipv6_tcp_cut", ALLOW_ALL, NULL, OUT, { AD("2001:db8::9", "2001:db8::1"), TCP(1, 80), .l4len = 12 }, false, X_MALFORMED },
	{ "ipv6_frag_hdr_cut", ALLOW_ALL, NULL, IN, { AD("2001:db8::9", "2001:db8::1"), .proto = 59, .ext = "f" }, false, X_MALFORMED },
	{ "ipv4_short_other_proto_ok", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), .proto = 47 }, true, 100 },
	{ "ipv4_proto58_no_header_ok", ALLOW_ALL, NULL, IN, { AD("192.0.2.9", "198.51.100.1"), .proto = 58, .l4len = -1 }, true, 100 },
	{ "arp_short_exempt", DENY_ALL, NULL, IN, { .ethertype = ETH_P_ARP, .cut = 14 }, true, X_EXEMPT },
};

/* Fragment sequences: run in order, the memory kept between steps. */
static const struct dcase frag_cases[] = {
	/* Later fragment, first unseen: ports unknown. */
	{ "frag_later_unseen_port_rule", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 80), .frag = 2, .id = 7 }, false, 32767 },
	{ "frag_later_unseen_full_range", FRAG, NULL, IN, { AD("198.51.100.5", "192.0.2.1"), TCP(1, 80), .frag = 2, .id = 7 }, true, 120 },
	{ "frag_later_unseen_udp_full", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), UDP(1, 80), .frag = 2, .id = 7 }, false, 110 },
	{ "frag_later_unseen_v6_all", FRAG, NULL, IN, { AD("2001:db8:1::5", "2001:db8::1"), TCP(1, 443), .frag = 2, .ext = "F", .id = 9 }, true, 140 },
	{ "frag_later_unseen_v6_port", FRAG, NULL, IN, { AD("2001:db8:2::5", "2001:db8::1"), TCP(1, 443), .frag = 2, .ext = "F", .id = 9 }, false, 32768 },
	{ "frag_later_unseen_dhcp", DENY_ALL, NULL, IN, { AD("192.0.2.1", "192.0.2.9"), UDP(67, 68), .frag = 2, .id = 3 }, false, 32767 },
	/* First fragment judged with ports; later ones follow it. */
	{ "frag_first_allowed", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 80), .frag = 1, .id = 42 }, true, 100 },
	{ "frag_later_follows_allow", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 80), .frag = 2, .id = 42 }, true, 100, 0, true },
	{ "frag_later_other_id", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 80), .frag = 2, .id = 43 }, false, 32767, 0, true },
	{ "frag_later_other_dir", FRAG, NULL, OUT, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 80), .frag = 2, .id = 42 }, false, 32767, 0, true },
	{ "frag_first_denied", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 81), .frag = 1, .id = 44 }, false, 32767 },
	{ "frag_later_follows_deny", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 81), .frag = 2, .id = 44 }, false, 32767, 0, true },
	{ "frag_v6_first", FRAG, NULL, IN, { AD("2001:db8:2::5", "2001:db8::1"), TCP(1, 443), .frag = 1, .ext = "H F", .id = 0x10203 }, true, 130 },
	{ "frag_v6_later_follows", FRAG, NULL, IN, { AD("2001:db8:2::5", "2001:db8::1"), TCP(1, 443), .frag = 2, .ext = "F", .id = 0x10203 }, true, 130, 0, true },
	{ "frag_first_exempt", DENY_ALL, NULL, IN, { AD("192.0.2.1", "192.0.2.9"), UDP(67, 68), .frag = 1, .id = 5 }, true, X_EXEMPT },
	{ "frag_later_follows_exempt", DENY_ALL, NULL, IN, { AD("192.0.2.1", "192.0.2.9"), UDP(67, 68), .frag = 2, .id = 5 }, true, X_EXEMPT, 0, true },
	{ "frag_first_cut_malformed", FRAG, NULL, IN, { AD("192.0.2.5", "198.51.100.1"), TCP(1, 80), .frag = 1, .id = 45, .l4len = 8 }, false, X_MALFORMED },
	{ "frag_v6_atomic_is_whole", FRAG, NULL, IN, { AD("2001:db8:2::5", "2001:db8::1"), TCP(1, 443), .ext = "F", .id = 1 }, true, 130 },
};

static struct harness *H;
static char why[256];

static int group_setup(void **state)
{
	(void)state;
	H = harness_open(why, sizeof(why));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	harness_close(H);
	return 0;
}

static void load_rules(const struct dcase *c)
{
	static struct nacl_ruleset rs;
	struct naclemu_cidr ex[4], sub[4], vpc[4];
	struct nacl_extra x = { ex, 0, sub, 0, vpc, 0 };
	char err[NACL_MSG_LEN] = "";

	if (nacl_parse_text("case.nacl", c->rules, strlen(c->rules), &rs, err))
		fail_msg("%s: rules do not parse: %s", c->name, err);
	if (c->extra) {
		char kind[16], cidr[64];
		bool hb;

		assert_int_equal(sscanf(c->extra, "%15s %63s", kind, cidr), 2);
		if (!strcmp(kind, "exempt"))
			assert_int_equal(nacl_parse_cidr(cidr, &ex[x.nexempt++], &hb), 0);
		else if (!strcmp(kind, "vpc"))
			assert_int_equal(nacl_parse_cidr(cidr, &vpc[x.nvpc++], &hb), 0);
		else
			assert_int_equal(nacl_parse_cidr(cidr, &sub[x.nsubnet++], &hb), 0);
	}
	if (harness_set_rules(H, &rs, &x, err))
		fail_msg("%s: cannot install rules: %s", c->name, err);
}

static __u32 expected_slot(const struct dcase *c)
{
	int family = c->f.src && strchr(c->f.src, ':') ? 6 : 4;

	switch (c->counted) {
	case X_EXEMPT: return NACLEMU_SLOT_EXEMPT + (__u32)c->dir;
	case X_SUBNET: return NACLEMU_SLOT_SUBNET + (__u32)c->dir;
	case X_MALFORMED: return NACLEMU_SLOT_MALFORMED + (__u32)c->dir;
	default: return harness_rule_slot(H, c->dir, family, c->counted);
	}
}

static void run_case(void **state)
{
	const struct dcase *c = *state;
	static __u64 before[NACLEMU_NSLOTS];
	uint8_t frame[2048];
	size_t len;
	int retval;
	__u32 want_slot, moved = 0;

	if (!H)
		skip();
	if (!c->keep_frags)
		load_rules(c);
	want_slot = expected_slot(c);
	assert_int_not_equal(want_slot, UINT32_MAX);

	for (__u32 s = 0; s < NACLEMU_NSLOTS; s++)
		before[s] = harness_packets(H, s);
	len = frame_build(&c->f, frame);
	assert_int_equal(harness_run(H, c->dir, frame, len, c->gso_segs, &retval), 0);

	for (__u32 s = 0; s < NACLEMU_NSLOTS; s++) {
		__u64 d = harness_packets(H, s) - before[s];

		if (!d)
			continue;
		moved++;
		if (s != want_slot)
			fail_msg("%s: counted in slot %u, want %u (rule %u)", c->name,
				 s, want_slot, c->counted);
		assert_int_equal(d, c->gso_segs ? c->gso_segs : 1);
	}
	assert_int_equal(moved, 1);
	if (retval != (c->allow ? TC_ACT_UNSPEC : TC_ACT_SHOT))
		fail_msg("%s: program returned %d, want %s", c->name, retval,
			 c->allow ? "TC_ACT_UNSPEC (pass)" : "TC_ACT_SHOT (drop)");
}

/* Bytes are counted from the MAC header, for the whole (GSO) skb. */
static void bytes_counted(void **state)
{
	const struct dcase *c = &cases[0];
	struct naclemu_counter a, b;
	uint8_t frame[2048];
	size_t len;
	int retval;

	(void)state;
	if (!H)
		skip();
	load_rules(c);
	len = frame_build(&c->f, frame);
	assert_int_equal(dp_counter_read(H->counters_fd, expected_slot(c), &a), 0);
	assert_int_equal(harness_run(H, c->dir, frame, len, 0, &retval), 0);
	assert_int_equal(dp_counter_read(H->counters_fd, expected_slot(c), &b), 0);
	assert_int_equal(b.bytes - a.bytes, len);
}

/*
 * Every untagged, uncut IP case once more behind a VLAN tag, with the same
 * expected verdict and counter: untagged frames take the parser's fast path
 * (parse_fast() in bpf/parse.bpf.h), tagged ones the general path, so this
 * checks that both give the same answer on every case above.
 */
static size_t vlan_twins(struct dcase *out, char names[][64])
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase *c = &cases[i];

		if (c->f.vlans || c->f.cut || c->f.ethertype)
			continue;
		out[n] = *c;
		out[n].f.vlans = 1;
		snprintf(names[n], 64, "%s_general_path", c->name);
		out[n].name = names[n];
		n++;
	}
	return n;
}

int main(void)
{
	static struct dcase twins[sizeof(cases) / sizeof(cases[0])];
	static char twin_names[sizeof(cases) / sizeof(cases[0])][64];
	size_t n1 = sizeof(cases) / sizeof(cases[0]);
	size_t n2 = sizeof(frag_cases) / sizeof(frag_cases[0]);
	size_t n3 = vlan_twins(twins, twin_names);
	struct CMUnitTest *tests = calloc(n1 + n2 + n3 + 1, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	for (size_t i = 0; i < n1 + n2 + n3; i++) {
		const struct dcase *c = i < n1 ? &cases[i] :
					i < n1 + n2 ? &frag_cases[i - n1] : &twins[i - n1 - n2];

		tests[i] = (struct CMUnitTest){ .name = c->name, .test_func = run_case,
						.initial_state = (void *)c };
	}
	tests[n1 + n2 + n3] = (struct CMUnitTest){ .name = "bytes_counted",
						   .test_func = bytes_counted };
	ret = _cmocka_run_group_tests("bpf_datapath", tests, n1 + n2 + n3 + 1, group_setup,
				      group_teardown);
	if (!H)
		fprintf(stderr, "skip: %s\n", why);
	free(tests);
	return ret;
}
