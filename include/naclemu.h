/* SPDX-License-Identifier: MIT */
/*
 * naclemu.h - what the BPF datapath (bpf/naclemu.bpf.c) and the tool share:
 * the compiled rule set, the counter slots, the fragment memory and the
 * pinned attach state.  Both sides compile this file, so it uses only
 * fixed-width kernel types, explicit padding and _Static_assert on sizes.
 *
 * The compiled form (one struct naclemu_table per direction and address
 * family) is a Linear Bit Vector Search, as in bpf-iptables: rule i of the
 * table (rules sorted by ascending number) is bit i of a 64-bit word.  Each
 * packet field maps to the word of the rules that field matches; the AND of
 * the words holds the rules matching the whole packet and its lowest set bit
 * is the first match.  Every lookup is a direct index or a binary search of
 * fixed depth, so a packet costs the same with 1 rule or 39.
 */
#ifndef NACLEMU_SHARED_H
#define NACLEMU_SHARED_H

#include <linux/types.h>

/* Rules one table can hold: one bit each in a __u64 (AWS allows 39). */
#define NACLEMU_MAX_RULES 64

/*
 * Sorted boundary arrays are searched with NACLEMU_SEARCH_DEPTH halving
 * steps, always all of them, over NACLEMU_SEARCH_SIZE entries.  With 64
 * rules (2 boundaries each), 3 link-local services and NACLEMU_MAX_CIDRS
 * --exempt, --subnet and --vpc resolver addresses each, at most
 * 1 + 2 * (64 + 3 + 48) = 231 boundaries exist, which fits.
 */
#define NACLEMU_SEARCH_DEPTH 8
#define NACLEMU_SEARCH_SIZE (1 << NACLEMU_SEARCH_DEPTH)
#define NACLEMU_MAX_CIDRS 16

/* L4 keys: 16 bits (a port, or ICMP type << 8 | code). */
#define NACLEMU_NKEYS 65536

/* IPv6 extension headers walked before the packet is malformed. */
#define NACLEMU_MAX_EXT_HDRS 8

/* Entries of the fragment memory (LRU): datagrams in flight at once. */
#define NACLEMU_FRAG_ENTRIES 4096

/*
 * Directions.  AWS's inbound rules judge a packet at TC ingress, its
 * outbound rules at TC egress: one direction, two names.
 */
enum naclemu_dir {
	NACLEMU_INGRESS = 0, /* inbound rules */
	NACLEMU_EGRESS = 1,  /* outbound rules */
	NACLEMU_NDIRS = 2,
};

/*
 * Address families.  A family is always written 4 or 6 (in CIDRs, packets,
 * events, the fragment memory); tables are indexed by NACLEMU_FAM_IDX().
 */
enum naclemu_fam {
	NACLEMU_V4 = 0, /* table index of family 4 */
	NACLEMU_V6 = 1, /* table index of family 6 */
	NACLEMU_NFAMS = 2,
};
#define NACLEMU_FAM_IDX(family) ((family) == 6 ? NACLEMU_V6 : NACLEMU_V4)
#define NACLEMU_FAMILY(idx) ((idx) == NACLEMU_V6 ? 6 : 4)

/*
 * Rule numbers.  AWS RuleNumber is 1..32766; describe-network-acls shows
 * the implicit '*' deny as 32767 (IPv4) and 32768 (IPv6), and naclemu
 * reports it so.  0 stands for "no rule" (a malformed packet's event).
 */
#define NACLEMU_RULE_MIN 1
#define NACLEMU_RULE_MAX 32766
#define NACLEMU_RULE_MALFORMED 0
#define NACLEMU_RULE_DEFAULT_V4 32767
#define NACLEMU_RULE_DEFAULT_V6 32768
#define NACLEMU_RULE_DEFAULT(family) \
	((family) == 6 ? NACLEMU_RULE_DEFAULT_V6 : NACLEMU_RULE_DEFAULT_V4)

/* IANA protocol numbers the rules give meaning to; -1 is AWS's "all". */
#define NACLEMU_PROTO_ALL (-1)
#define NACLEMU_PROTO_ICMP 1
#define NACLEMU_PROTO_TCP 6
#define NACLEMU_PROTO_UDP 17
#define NACLEMU_PROTO_ICMPV6 58

/*
 * Traffic AWS does not filter (docs/semantics.md section 1, "Not
 * filtered"): IPv6 neighbour discovery (ICMPv6 types 133 router
 * solicitation .. 137 redirect), DHCP (UDP 67 server, 68 client) and DHCPv6
 * (UDP 546 client, 547 server), by destination port.
 */
#define NACLEMU_ND_TYPE_FIRST 133
#define NACLEMU_ND_TYPE_LAST 137
#define NACLEMU_DHCP_SERVER_PORT 67
#define NACLEMU_DHCP_CLIENT_PORT 68
#define NACLEMU_DHCPV6_CLIENT_PORT 546
#define NACLEMU_DHCPV6_SERVER_PORT 547

/*
 * DNS (UDP and TCP port 53) to and from the Route 53 Resolver at a VPC's
 * base address + 2 cannot be blocked by a NACL (VPC User Guide, network
 * ACLs); --vpc gives the VPC CIDRs.
 */
#define NACLEMU_DNS_PORT 53
#define NACLEMU_RESOLVER_OFFSET 2

/*
 * Link-scope traffic never leaves the subnet's link and is not filtered
 * (naclemu's choice, docs/semantics.md section 1): IPv6 to ff02::/16 (MLD,
 * router solicitations), IPv6 between two fe80::/10 addresses, IPv4 to
 * the local network control block 224.0.0.0/24 (IGMP, mDNS).  As host
 * byte order prefixes of struct naclemu_addr.
 */
#define NACLEMU_V6_LINK_MCAST 0xff02u  /* hi >> 48 */
#define NACLEMU_V6_LINK_LOCAL 0x3fau   /* hi >> 54: fe80::/10 */
#define NACLEMU_V4_LOCAL_MCAST 0xe00000u /* address >> 8: 224.0.0.0/24 */

/*
 * Counter slots: index into the per-CPU array naclemu_counters.  The fixed
 * slots come first; rules get slots from NACLEMU_SLOT_FIRST_RULE on, chosen
 * by the tool so that a rule that keeps its number and content keeps its
 * slot (and so its counts) across `update`.
 */
enum naclemu_slot {
	NACLEMU_SLOT_DEFAULT = 0,    /* NACLEMU_SLOT_DEFAULT_OF(): the implicit '*' deny */
	NACLEMU_SLOT_EXEMPT = 4,     /* + dir: not filtered */
	NACLEMU_SLOT_SUBNET = 6,     /* + dir: peer inside --subnet */
	NACLEMU_SLOT_MALFORMED = 8,  /* + dir: truncated or malformed, dropped */
	NACLEMU_SLOT_EVENTS_LOST = 10,       /* drop events: ring buffer full */
	NACLEMU_SLOT_EVENTS_SUPPRESSED = 11, /* drop events: over --events-rate */
	NACLEMU_SLOT_FLOWS_LOST = 12,        /* flow log: packets whose flow the full table could not take */
	NACLEMU_SLOT_FIRST_RULE = 16,
	NACLEMU_NSLOTS = 1024,
};

/* The default deny's slot of direction @dir, table index @fam. */
#define NACLEMU_SLOT_DEFAULT_OF(dir, fam) (NACLEMU_SLOT_DEFAULT + 2 * (dir) + (fam))

/* One counter slot of one CPU.  @bytes counts skb->len (from the MAC header). */
struct naclemu_counter {
	__u64 packets;
	__u64 bytes;
};

/* Bits of naclemu_table.addr_flags: why a peer address is not filtered. */
#define NACLEMU_AF_LINKLOCAL 0x1 /* 169.254.169.{254,123,253}, fd00:ec2::{254,123,253} */
#define NACLEMU_AF_EXEMPT 0x2    /* --exempt */
#define NACLEMU_AF_SUBNET 0x4    /* --subnet */
#define NACLEMU_AF_RESOLVER 0x8  /* a --vpc's base + 2: DNS to and from it */

/*
 * An address as a 128-bit number in host byte order, so that it compares
 * with two integer comparisons.  IPv4 is hi = 0, lo = the address.
 */
struct naclemu_addr {
	__u64 hi;
	__u64 lo;
};

/*
 * struct naclemu_cidr - one IPv4 or IPv6 CIDR block, as the rule model, the
 * command line and the pinned state all keep it.
 * @family: 4 or 6.
 * @prefix_len: 0..32 (IPv4) or 0..128 (IPv6).
 * @addr: network byte order; IPv4 uses addr[0..3], the rest is zero.  Host
 *        bits are always clear (the readers canonicalise, as AWS does).
 */
struct naclemu_cidr {
	__u8 family;
	__u8 prefix_len;
	__u8 addr[16];
};
_Static_assert(sizeof(struct naclemu_cidr) == 18, "cidr layout");

/*
 * struct naclemu_rule_info - one rule as the tool compiled it: the user
 * side's struct nacl_rule (rules/model.h) without its position in the
 * file.  The program reads only @number (for drop events); `status`,
 * `stats` and `update` read the rest (update keeps the counter slot of a
 * rule whose info is unchanged).
 * @number: 1..32766.  @allow: 1 allow, 0 deny.
 * @protocol: -1 (all) or 0..255.
 * @port_from, @port_to: host byte order, TCP and UDP rules only.
 * @icmp_type, @icmp_code: -1 (any) or 0..255, ICMP rules only.
 */
struct naclemu_rule_info {
	__u16 number;
	__u8 allow;
	__u8 pad;
	__s16 protocol;
	__u16 port_from;
	__u16 port_to;
	__s16 icmp_type;
	__s16 icmp_code;
	struct naclemu_cidr cidr;
};
_Static_assert(sizeof(struct naclemu_rule_info) == 32, "rule info layout");

/*
 * The direct indexes below (the L4 key's, the IPv4 address's) are tries of
 * 256-entry blocks, one level per byte of the value.  An entry below
 * NACLEMU_IDX_BLOCK is an interval index, the answer for every value under
 * it (a uniform block is never stored); an entry b >= NACLEMU_IDX_BLOCK
 * sends the lookup to block b - NACLEMU_IDX_BLOCK of the next level.  A block
 * exists only where an interval starts inside its range, so real rule sets
 * need a few.  (No two blocks are ever equal, since interval indexes grow
 * with the value: sharing equal blocks would save nothing.)  The pools are
 * bounded (the inner map's value has one fixed size): a rule set that needs
 * more blocks than a pool holds sets a NACLEMU_SEARCH_* bit of its table,
 * and the program takes the fixed-depth binary search instead, as IPv6 peers
 * always do.  Either way a lookup is a bounded number of loads whatever the
 * number of rules.
 */
#define NACLEMU_IDX_BLOCK 0x100
#define NACLEMU_KEY_BLOCKS 16 /* 4 KiB a table */
#define NACLEMU_V4_L16_BLOCKS 16 /* 8 KiB a direction */
#define NACLEMU_V4_L24_BLOCKS 32 /* 16 KiB a direction */
#define NACLEMU_V4_L32_BLOCKS 32 /* 8 KiB a direction */

/* Bits of naclemu_table.search: which pool overflowed. */
#define NACLEMU_SEARCH_KEY 0x1  /* key_bound, not key_hi/key_lo */
#define NACLEMU_SEARCH_ADDR 0x2 /* IPv4 table: addr_bound, not the v4 index */

/*
 * struct naclemu_table - the rules of one direction and family, compiled.
 * A bit i stands for the table's rule i (rules in ascending number).
 *
 * @proto_bits: by IP protocol number: rules whose protocol matches it.
 * @keyless: rules that ignore the L4 key (protocol -1 or one without ports
 *           or types, IPv4 rule with protocol 58, full range 0-65535): the
 *           only ones a non-first fragment with unknown ports can match.
 * @allow: rules whose action is allow.
 * @search: NACLEMU_SEARCH_* bits: the lookups that take the binary search.
 * @key_bits: per elementary interval j of the L4 key (destination port, or
 *            type << 8 | code for ICMP), the rules matching every key in it
 *            (keyless ones included).
 * @addr_bound: sorted starts of the elementary intervals of the rule CIDRs,
 *              the exempt and subnet CIDRs; addr_bound[0] = 0; unused entries
 *              are all-ones and repeat the last interval's bits and flags.
 * @addr_bits, @addr_flags: per interval, the rules whose CIDR holds it and
 *              NACLEMU_AF_* bits.
 * @slot: counter slot of each rule.
 * @default_slot: counter slot of the default deny.
 * @nrules: rules used; @info: what they are.
 * @key_hi, @key_lo: the interval j of each L4 key, a two-level trie (see
 *           above) by key >> 8 and key & 0xff: one or two loads, where a
 *           binary search took eight steps and their branches (mispredicted
 *           on most steps when packets vary).  A block of key_lo is needed
 *           only where a range starts or ends inside 256 keys: port 80 or
 *           443 does, 1024-65535 or an ICMP type with any code does not.
 *           Intervals number at most 1 + 2 * NACLEMU_MAX_RULES, so a byte
 *           holds one.
 * @key_bound: sorted interval starts of the L4 key, key_bound[0] = 0,
 *           unused entries 0x10000 (above every key): the search used with
 *           NACLEMU_SEARCH_KEY.
 */
struct naclemu_table {
	__u64 proto_bits[256];
	__u64 keyless;
	__u64 allow;
	__u32 search;
	__u32 default_slot;
	__u32 nrules;
	__u32 pad;
	__u64 key_bits[NACLEMU_SEARCH_SIZE];
	struct naclemu_addr addr_bound[NACLEMU_SEARCH_SIZE];
	__u64 addr_bits[NACLEMU_SEARCH_SIZE];
	__u8 addr_flags[NACLEMU_SEARCH_SIZE];
	__u32 slot[NACLEMU_MAX_RULES];
	struct naclemu_rule_info info[NACLEMU_MAX_RULES];
	__u16 key_hi[256];
	__u8 key_lo[NACLEMU_KEY_BLOCKS][256];
	__u32 key_bound[NACLEMU_SEARCH_SIZE];
};
_Static_assert(sizeof(struct naclemu_table) % 8 == 0, "table padding");
_Static_assert(1 + 2 * NACLEMU_MAX_RULES < NACLEMU_IDX_BLOCK, "key intervals fit key_lo's byte");

/*
 * struct naclemu_v4_index - the elementary interval of every IPv4 address
 * (the index j into addr_bits/addr_flags of the IPv4 table of one
 * direction), as a four-level trie of blocks (see above) by the address's
 * bytes: at most four dependent loads and three predictable branches, where
 * a binary search over addr_bound took eight steps whose branches a varied
 * traffic mispredicts.  A /8 CIDR needs no block, a /16 one in l16, a /24
 * one in l16 and one in l24, a /32 one at each level (CIDRs in one /8,
 * /16 or /24 share them).  Host byte order addresses.  Fewer than
 * NACLEMU_SEARCH_SIZE intervals, so l32's byte holds one.
 */
struct naclemu_v4_index {
	__u16 l8[256];                             /* by address >> 24 */
	__u16 l16[NACLEMU_V4_L16_BLOCKS][256];     /* by (address >> 16) & 0xff */
	__u16 l24[NACLEMU_V4_L24_BLOCKS][256];     /* by (address >> 8) & 0xff */
	__u8 l32[NACLEMU_V4_L32_BLOCKS][256];      /* by address & 0xff: the interval */
};
_Static_assert(sizeof(struct naclemu_v4_index) % 8 == 0, "v4 index padding");
_Static_assert(NACLEMU_SEARCH_SIZE <= NACLEMU_IDX_BLOCK, "intervals fit l32's byte");

/*
 * struct naclemu_rules - a whole compiled rule set: the one value of the
 * inner map that the outer map naclemu_rules points to.  @v4: the IPv4
 * address index of each direction (of t[dir][NACLEMU_V4]).  @generation
 * counts updates (1 after attach).
 */
struct naclemu_rules {
	struct naclemu_table t[2][2]; /* [enum naclemu_dir][enum naclemu_fam] */
	struct naclemu_v4_index v4[2]; /* [enum naclemu_dir] */
	__u64 generation;
};

/* Key of the fragment memory: one datagram seen in one direction. */
struct naclemu_frag_key {
	__u8 dir;
	__u8 family; /* 4 or 6 */
	__u8 protocol;
	__u8 pad;
	__u32 id; /* IPv4: the 16-bit id; IPv6: the fragment header's id */
	struct naclemu_addr src;
	struct naclemu_addr dst;
};
_Static_assert(sizeof(struct naclemu_frag_key) == 40, "frag key layout");

/*
 * What the first fragment got; later fragments get the same.  @rule is the
 * deciding rule's number (32767/32768 for '*'), for their drop events.
 */
struct naclemu_frag_val {
	__u32 slot;
	__u16 allow;
	__u16 rule;
};
_Static_assert(sizeof(struct naclemu_frag_val) == 8, "frag value layout");


/*
 * The pinned state's layout: which maps are pinned and what their values
 * look like (this header's structs).  A naclemu build reads and updates only
 * state of its own layout, and detaches state of any layout.  Raise
 * NACLEMU_STATE_LAYOUT whenever a pinned map's value changes.
 *
 * Layout 3 added the tcx links (pinned as link_ingress, link_egress) and
 * NACLEMU_META_HOOK_TCX.  Layout 4 made the compiled rule set compact (the
 * block tries of struct naclemu_table and struct naclemu_v4_index).
 * Layout 5 added the flow log: naclemu_meta.flow_entries, the pinned map
 * "flows" and the counter slot NACLEMU_SLOT_FLOWS_LOST.  The
 * tool also refuses to read a rule set whose map has another value size
 * than this build's struct naclemu_rules (dp_rules_check()), whatever the
 * record says.
 *
 * Layout 1 (naclemu 0.1.0) had no version: its meta began with the magic
 * NACLEMU_META_MAGIC_V1, then ifindex at byte 4 and created_qdisc at byte
 * 16.  From layout 2 on, meta begins with struct naclemu_meta_head, which
 * every later layout keeps as it is, so that any build can detach.
 */
#define NACLEMU_STATE_LAYOUT 5
#define NACLEMU_META_MAGIC 0x4e414d45u    /* "NAME": naclemu meta, layout >= 2 */
#define NACLEMU_META_MAGIC_V1 0x4e41434cu /* "NACL": layout 1 */
#define NACLEMU_META_V1_IFINDEX_OFF 4
#define NACLEMU_META_V1_QDISC_OFF 16

/* Bits of naclemu_meta_head.flags. */
#define NACLEMU_META_CREATED_QDISC 0x1 /* attach created the clsact qdisc */
#define NACLEMU_META_QDISC_INTENT 0x2  /* attach found none and may create it */
#define NACLEMU_META_HOOK_TCX 0x4      /* tcx links, not TC filters (layout 3) */
/*
 * `naclemu apply` manages it (docs/config.md): a later apply may update or
 * detach it; attach by hand leaves it clear, and apply leaves such an
 * interface alone unless its configuration names it.  A flag of the head,
 * which every layout has: older builds ignore it, the layout is unchanged.
 */
#define NACLEMU_META_MANAGED 0x8

/*
 * naclemu_meta.state: where an operation on the interface is.  A record
 * that is not NACLEMU_META_READY while no naclemu command holds the
 * interface's lock belongs to a command that died: the next command that
 * changes the interface finishes or undoes it (docs/design.md, "Crashes").
 */
#define NACLEMU_META_ATTACHING 1 /* attach pinned the state; filters may be half there */
#define NACLEMU_META_READY 2     /* attached, nothing in progress */
#define NACLEMU_META_UPDATING 3  /* update may have swapped in the pending rules */
#define NACLEMU_META_DETACHING 4 /* detach may have removed filters or pins */

/*
 * struct naclemu_meta_head - the start of the attach record, the same in
 * every layout from 2 on.
 * @magic: NACLEMU_META_MAGIC.  @layout: NACLEMU_STATE_LAYOUT of the build
 * that attached.  @size: sizeof(struct naclemu_meta) of that build.
 * @ifindex: the interface, in its own namespace.  @flags: NACLEMU_META_*.
 */
struct naclemu_meta_head {
	__u32 magic;
	__u16 layout;
	__u16 size;
	__u32 ifindex;
	__u32 flags;
};
_Static_assert(sizeof(struct naclemu_meta_head) == 16, "meta head layout");

/*
 * struct naclemu_meta - the attach record, the one value of the pinned map
 * naclemu_meta.  Only the tool reads it (bpffs holds no plain files).
 * @state: NACLEMU_META_ATTACHING, _READY, _UPDATING or _DETACHING.
 * @handle, @priority: our two TC filters (one on ingress, one on egress).
 * @next_slot: where the round-robin search for a fresh counter slot resumes,
 *             so a retired slot is not handed out again at once.
 * @generation: the generation of the rule set this record describes.
 * @pending_path, @pending_acl, @pending_next_slot: what @path, @acl_id and
 *             @next_slot become once an update's swap is done (UPDATING).
 * @attach_time, @update_time: CLOCK_REALTIME, seconds.
 * @ifname, @netns: where it was attached; @acl_id, @path: the rules' source.
 * @subnet, @exempt, @vpc: the --subnet, --exempt and --vpc CIDRs, @nsubnet,
 *             @nexempt, @nvpc of them.
 * @events_rate: --events-rate: events per second and CPU, 0 = off.
 * @flow_entries: --flow-log-entries, the flow table's size, with
 *             --flow-log; 0 = flow log off (no "flows" pin).
 */
struct naclemu_meta {
	struct naclemu_meta_head head;
	__u32 state;
	__u32 handle;
	__u32 priority;
	__u32 next_slot;
	__u32 pending_next_slot;
	__u8 nsubnet;
	__u8 nexempt;
	__u8 pad[2];
	__u64 generation;
	__u64 attach_time;
	__u64 update_time;
	char ifname[16];
	char netns[64];
	char acl_id[64];
	char path[256];
	char pending_acl[64];
	char pending_path[256];
	struct naclemu_cidr subnet[NACLEMU_MAX_CIDRS];
	struct naclemu_cidr exempt[NACLEMU_MAX_CIDRS];
	struct naclemu_cidr vpc[NACLEMU_MAX_CIDRS];
	__u32 events_rate;
	__u8 nvpc;
	__u8 pad2[3];
	__u32 flow_entries;
	__u32 pad3;
};
_Static_assert(sizeof(struct naclemu_meta) % 8 == 0, "meta padding");
_Static_assert(sizeof(struct naclemu_meta) < 65536, "meta size fits head.size");

/*
 * Drop events.  Every dropped packet (denied by a numbered rule, by the
 * default deny, or malformed) may produce one struct naclemu_event in the
 * ring buffer naclemu_events, written in place with reserve/submit.  A
 * per-CPU token bucket of --events-rate events per second (burst: one
 * second's worth) is checked before the ring is touched; events over it are
 * counted in NACLEMU_SLOT_EVENTS_SUPPRESSED, events that found the ring full
 * in NACLEMU_SLOT_EVENTS_LOST, one per event (a GSO packet is one event and
 * gso_segs drops).  So, with events on (rate > 0), per CPU and since
 * attach: events delivered + suppressed + lost = dropped skbs.
 */
#define NACLEMU_EVENTS_RING (256 * 1024) /* bytes: 3640 events of 64 + 8 */
#define NACLEMU_EVENTS_RATE_MAX 1000000

/* Bits of naclemu_event.flags: which fields hold something. */
#define NACLEMU_EVF_PROTO 0x1 /* @protocol is known */
#define NACLEMU_EVF_PORTS 0x2 /* @sport, @dport (TCP, UDP) */
#define NACLEMU_EVF_TCP 0x4   /* @tcp_flags */
#define NACLEMU_EVF_ICMP 0x8  /* @icmp_type, @icmp_code (ICMP; ICMPv6 in IPv6) */

/*
 * struct naclemu_event - one drop, as the BPF program saw it.
 * @time_ns: bpf_ktime_get_boot_ns() (CLOCK_BOOTTIME); the tool adds the
 *           CLOCK_REALTIME - CLOCK_BOOTTIME offset it reads when printing.
 * @src, @dst: host byte order, as struct naclemu_addr (IPv4 in @lo); zero
 *             when @family is 0.
 * @ifindex: skb->ifindex, in the interface's own namespace.
 * @len: skb->len, bytes from the MAC header (as the byte counters).
 * @rule: deciding rule number 1..32766, NACLEMU_RULE_DEFAULT_V4/V6, or
 *        NACLEMU_RULE_MALFORMED.
 * @dir: enum naclemu_dir.  @family: 4, 6, or 0 when a malformed packet's
 *       IP header could not be read.
 * @protocol: IP protocol (IPv6: after the extension headers).
 * @sport, @dport: host byte order.  @tcp_flags: byte 13 of the TCP header.
 */
struct naclemu_event {
	__u64 time_ns;
	struct naclemu_addr src;
	struct naclemu_addr dst;
	__u32 ifindex;
	__u32 len;
	__u16 rule;
	__u16 sport;
	__u16 dport;
	__u8 dir;
	__u8 family;
	__u8 protocol;
	__u8 flags; /* NACLEMU_EVF_* */
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 pad[3];
};
_Static_assert(sizeof(struct naclemu_event) == 64, "event layout");

/*
 * Per-flow accounting (attach --flow-log, read by `naclemu flowlog`,
 * docs/flowlog.md): one entry per direction, 5-tuple and action of the
 * interface, in a per-CPU hash (the flow table) that the tool sums over
 * CPUs.  The table is the one inner map of the outer array-of-maps
 * naclemu_flows; the reader swaps an empty table in at each window's end
 * and reads the old one once no program can write it any more, so every
 * window's counts are exact and idle flows leave with their window.  A
 * packet whose new flow finds the table full is counted in
 * NACLEMU_SLOT_FLOWS_LOST (packets and IP bytes), never dropped silently.
 *
 * Entries: NACLEMU_FLOW_ENTRIES (default of --flow-log-entries),
 * NACLEMU_FLOW_ENTRIES_MIN..NACLEMU_FLOW_ENTRIES_MAX (a table costs
 * entries * (40 + 40 * CPUs + overhead) bytes of kernel memory,
 * preallocated).
 *
 * TCP flags are kept as VPC Flow Logs report them (the "tcp-flags" field):
 * FIN 1, SYN 2, RST 4, and SYN-ACK 18 for a packet with both SYN and ACK;
 * other flags (ACK alone, PSH, URG) are not reported.  A flow's value is
 * the OR over its packets of NACLEMU_FLOW_TCP_FLAGS(byte 13 of the TCP
 * header).
 */
#define NACLEMU_FLOW_ENTRIES 16384
#define NACLEMU_FLOW_ENTRIES_MIN 16
#define NACLEMU_FLOW_ENTRIES_MAX 1048576

#define NACLEMU_TCP_FIN 0x01
#define NACLEMU_TCP_SYN 0x02
#define NACLEMU_TCP_RST 0x04
#define NACLEMU_TCP_ACK 0x10
#define NACLEMU_FLOW_SYN_ACK 18
#define NACLEMU_FLOW_TCP_FLAGS(f)                                              \
	(((f) & NACLEMU_TCP_FIN) | ((f) & NACLEMU_TCP_RST) |                     \
	 (((f) & NACLEMU_TCP_SYN) ?                                               \
		  (((f) & NACLEMU_TCP_ACK) ? NACLEMU_FLOW_SYN_ACK : NACLEMU_TCP_SYN) : \
		  0))

/* Bits of naclemu_flow_key.action. */
#define NACLEMU_FLOW_REJECT 0
#define NACLEMU_FLOW_ACCEPT 1

/*
 * struct naclemu_flow_key - one flow as AWS aggregates them.
 * @src, @dst: host byte order, as struct naclemu_event (IPv4 in @lo).
 * @sport, @dport: host byte order; 0 for protocols without ports (ICMP
 *                 records have ports 0, as in AWS).
 * @protocol: IANA number.  @family: 4 or 6.  @dir: enum naclemu_dir.
 * @action: NACLEMU_FLOW_ACCEPT or NACLEMU_FLOW_REJECT.
 */
struct naclemu_flow_key {
	struct naclemu_addr src;
	struct naclemu_addr dst;
	__u16 sport;
	__u16 dport;
	__u8 protocol;
	__u8 family;
	__u8 dir;
	__u8 action;
};
_Static_assert(sizeof(struct naclemu_flow_key) == 40, "flow key layout");

/*
 * struct naclemu_flow_val - what one CPU counted of a flow in the table's
 * window: @packets (a GSO packet counts gso_segs), @bytes (IP bytes, as
 * AWS counts them: the IP header's length, Ethernet padding left out; a GSO
 * packet adds its segments' own IP and L4 headers), @first_ns and @last_ns (CLOCK_MONOTONIC:
 * bpf_ktime_get_coarse_ns() where the kernel has it, else
 * bpf_ktime_get_ns()), @tcp_flags (the OR of NACLEMU_FLOW_TCP_FLAGS()).
 * A CPU that saw none of the flow's packets holds zeros.
 */
struct naclemu_flow_val {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns;
	__u64 last_ns;
	__u8 tcp_flags;
	__u8 pad[7];
};
_Static_assert(sizeof(struct naclemu_flow_val) == 40, "flow value layout");

#endif /* NACLEMU_SHARED_H */
