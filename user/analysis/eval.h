/* SPDX-License-Identifier: MIT */
/*
 * eval.h - the offline evaluator: judges one packet by a rule set exactly
 * as the BPF datapath does (first match wins, docs/semantics.md section
 * 1).  The datapath is tested against it packet for packet, and check,
 * explain, flow and the analyses are built on it.
 *
 * Sources: AWS VPC User Guide "Control subnet traffic with network ACLs",
 * the EC2 API reference for CreateNetworkAclEntry / NetworkAclEntry.
 */
#ifndef NACLEMU_ANALYSIS_EVAL_H
#define NACLEMU_ANALYSIS_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/model.h"

/*
 * struct nacl_packet - what the NACL sees of one packet.
 * @dir: NACLEMU_INGRESS (TC ingress) or NACLEMU_EGRESS (TC egress).
 * @family: 4 or 6.
 * @protocol: the upper-layer protocol (IPv6: after the extension headers).
 * @src, @dst: addresses, network byte order (IPv4 in the first 4 bytes).
 * @l4_known: false for a non-first fragment whose first fragment was not
 *            seen: ports and ICMP type/code are unknown, and rules that need
 *            them cannot match.
 * @src_port, @dst_port: host byte order, TCP and UDP only.
 * @icmp_type, @icmp_code: ICMP (1) and ICMPv6 (58) only.
 */
struct nacl_packet {
	enum naclemu_dir dir;
	uint8_t family;
	uint8_t protocol;
	uint8_t src[16];
	uint8_t dst[16];
	bool l4_known;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t icmp_type;
	uint8_t icmp_code;
};

/*
 * struct nacl_verdict - the result of judging one packet.
 * @allow: the deciding rule allows it.
 * @rule_number: the deciding rule's number, or 32767 (IPv4) / 32768 (IPv6)
 *               for the default deny.
 * @index: index of the deciding rule in rs->rules[dir], -1 for the default.
 */
struct nacl_verdict {
	bool allow;
	uint32_t rule_number;
	int index;
};

/*
 * nacl_rule_key_range() - a rule's match on the packet's "L4 key".
 *
 * The L4 key of a packet is its destination port for TCP/UDP and
 * (type << 8 | code) for ICMP/ICMPv6.  A rule matches a packet's key when it
 * lies in [*lo, *hi].  Returns false when the rule does not look at the key
 * at all (protocol -1 or any protocol other than 6, 17, 1, 58, an IPv4 rule
 * with protocol 58): such a rule also matches packets whose key is unknown.
 * A rule whose range is the whole 0..65535 also returns false.
 */
bool nacl_rule_key_range(const struct nacl_rule *r, uint16_t *lo,
			 uint16_t *hi);

/* Whether @addr (network byte order, family @c->family) lies in @c. */
bool nacl_cidr_contains(const struct naclemu_cidr *c, const uint8_t *addr);

/* Whether rule @r matches packet @p (family, protocol, key, address). */
bool nacl_rule_matches(const struct nacl_rule *r, const struct nacl_packet *p);

/*
 * nacl_evaluate() - judge @p by @rs, first match wins (docs/semantics.md section 1).
 * Pure: no I/O, no allocation.  Exempt traffic is not considered here; see
 * nacl_exempt().
 */
struct nacl_verdict nacl_evaluate(const struct nacl_ruleset *rs,
				  const struct nacl_packet *p);

/* Why a packet bypasses the NACL (docs/semantics.md section 1, "Not filtered"). */
enum nacl_exempt_reason {
	NACL_NOT_EXEMPT = 0,
	NACL_EXEMPT_ND,        /* ICMPv6 133-137 */
	NACL_EXEMPT_DHCP,      /* UDP 67/68, DHCPv6 UDP 546/547 */
	NACL_EXEMPT_LINKLOCAL, /* 169.254.169.{254,123,253}, fd00:ec2::{254,123,253} */
	NACL_EXEMPT_CIDR,      /* --exempt CIDR */
	NACL_EXEMPT_SUBNET,    /* --subnet CIDR: intra-subnet, bypasses the NACL */
	NACL_EXEMPT_RESOLVER,  /* DNS to or from a --vpc CIDR's base + 2 */
	NACL_EXEMPT_LINKSCOPE, /* ff02::/16, fe80::/10 to fe80::/10, 224.0.0.0/24 */
};

/*
 * struct nacl_extra - what, besides the rules, decides whether a packet is
 * judged at all: the CIDRs of --exempt (never filtered), --subnet (the
 * interface's own subnet: traffic inside it bypasses the NACL, as in AWS)
 * and --vpc (DNS to and from each one's base + 2, the Route 53 Resolver,
 * is never filtered).  Each list may be NULL with a count of 0, at most
 * NACLEMU_MAX_CIDRS long.  The datapath compiles the same (datapath/compile.h).
 */
struct nacl_extra {
	const struct naclemu_cidr *exempt;
	size_t nexempt;
	const struct naclemu_cidr *subnet;
	size_t nsubnet;
	const struct naclemu_cidr *vpc;
	size_t nvpc;
};

/*
 * nacl_resolver() - the Route 53 Resolver of the IPv4 VPC CIDR @vpc: its
 * base address + 2, as a /32 in @out.  Returns false for an IPv6 CIDR (the
 * Resolver's IPv6 address, fd00:ec2::253, is one of nacl_linklocal).
 */
bool nacl_resolver(const struct naclemu_cidr *vpc, struct naclemu_cidr *out);

/*
 * The AWS link-local services the NACL does not filter: instance metadata
 * (169.254.169.254, fd00:ec2::254), Amazon Time Sync (.123, ::123) and the
 * Route 53 Resolver (.253, ::253).  Source: VPC User Guide, network ACLs.
 */
#define NACL_NLINKLOCAL 6
extern const struct naclemu_cidr nacl_linklocal[NACL_NLINKLOCAL];

/*
 * nacl_exempt() - whether @p is passed without judging, and why
 * (docs/semantics.md section 1, "Not filtered"): neighbour discovery,
 * DHCP, link-scope traffic (by its addresses, whatever the direction),
 * then by the peer address (source on ingress, destination on egress): the
 * AWS link-local services, DNS with a --vpc's Resolver, @x's --exempt and
 * --subnet CIDRs.  @x may be NULL (none).
 */
enum nacl_exempt_reason nacl_exempt(const struct nacl_packet *p, const struct nacl_extra *x);

/* Why, for people: "IPv6 neighbour discovery", "DHCP", ... */
const char *nacl_exempt_name(enum nacl_exempt_reason r);

#endif /* NACLEMU_ANALYSIS_EVAL_H */
