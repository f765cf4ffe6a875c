// SPDX-License-Identifier: MIT
/*
 * eval.c - the offline evaluator: docs/semantics.md section 1 as a pure function.
 *
 * This is the reference the BPF datapath is tested against (the
 * differential test), and what `explain`, `flow` and `check` are built on.
 * It is written for clarity, not speed: a linear first-match walk.
 */
#include <string.h>

#include "rules/model.h"
#include "analysis/eval.h"

/*
 * ICMP type/code is looked at for protocol 1 in any rule, and for 58 in an
 * IPv6 rule.  AWS CreateNetworkAclEntry: "If you specify protocol 58
 * (ICMPv6) and specify an IPv4 CIDR block, traffic for all ICMP types and
 * on all codes is allowed, regardless of any that you specify."
 */
static bool rule_uses_icmp(const struct nacl_rule *r)
{
	return r->protocol == NACLEMU_PROTO_ICMP ||
	       (r->protocol == NACLEMU_PROTO_ICMPV6 && r->cidr.family == 6);
}

bool nacl_rule_key_range(const struct nacl_rule *r, uint16_t *lo,
			 uint16_t *hi)
{
	if (r->protocol == NACLEMU_PROTO_TCP || r->protocol == NACLEMU_PROTO_UDP) {
		if (r->port_from == 0 && r->port_to == 65535)
			return false;
		*lo = r->port_from;
		*hi = r->port_to;
		return true;
	}
	if (rule_uses_icmp(r) && r->icmp_type >= 0) {
		uint16_t base = (uint16_t)(r->icmp_type << 8);

		if (r->icmp_code < 0) {
			*lo = base;
			*hi = base | 0xff;
		} else {
			*lo = *hi = base | (uint16_t)r->icmp_code;
		}
		return true;
	}
	/* -1 and every other protocol: AWS ignores ports and ICMP fields. */
	return false;
}

bool nacl_cidr_contains(const struct naclemu_cidr *c, const uint8_t *addr)
{
	unsigned int full = c->prefix_len / 8, rest = c->prefix_len % 8;

	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (addr[full] & mask) == c->addr[full];
	}
	return true;
}

/* The packet's L4 key (see nacl_rule_key_range); valid when l4_known. */
static uint16_t packet_key(const struct nacl_packet *p)
{
	if (p->protocol == NACLEMU_PROTO_ICMP || p->protocol == NACLEMU_PROTO_ICMPV6)
		return (uint16_t)(p->icmp_type << 8 | p->icmp_code);
	return p->dst_port;
}

bool nacl_rule_matches(const struct nacl_rule *r, const struct nacl_packet *p)
{
	const uint8_t *peer = p->dir == NACLEMU_INGRESS ? p->src : p->dst;
	uint16_t lo, hi, key;

	if (r->cidr.family != p->family)
		return false;
	if (r->protocol != NACLEMU_PROTO_ALL && r->protocol != p->protocol)
		return false;
	if (!nacl_cidr_contains(&r->cidr, peer))
		return false;
	if (!nacl_rule_key_range(r, &lo, &hi))
		return true;
	/* A rule that needs a port or ICMP type cannot match an unknown one. */
	if (!p->l4_known)
		return false;
	key = packet_key(p);
	return key >= lo && key <= hi;
}

struct nacl_verdict nacl_evaluate(const struct nacl_ruleset *rs,
				  const struct nacl_packet *p)
{
	const struct nacl_rule *rules = rs->rules[p->dir];
	struct nacl_verdict v = {
		.allow = false,
		.rule_number = p->family == 6 ? NACLEMU_RULE_DEFAULT_V6 :
						NACLEMU_RULE_DEFAULT_V4,
		.index = -1,
	};

	for (size_t i = 0; i < rs->count[p->dir]; i++) {
		if (nacl_rule_matches(&rules[i], p)) {
			v.allow = rules[i].allow;
			v.rule_number = rules[i].number;
			v.index = (int)i;
			break;
		}
	}
	return v;
}

static bool in_any(const struct naclemu_cidr *list, size_t n, uint8_t family,
		   const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].family == family &&
		    nacl_cidr_contains(&list[i], addr))
			return true;
	return false;
}

/*
 * The link-local services AWS answers without the NACL: instance metadata,
 * Amazon Time Sync and the Route 53 Resolver ("Amazon DNS server").
 */
const struct naclemu_cidr nacl_linklocal[NACL_NLINKLOCAL] = {
	{ 4, 32, { 169, 254, 169, 254 } },
	{ 4, 32, { 169, 254, 169, 123 } },
	{ 4, 32, { 169, 254, 169, 253 } },
	{ 6, 128, { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 } },
	{ 6, 128, { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x01, [15] = 0x23 } },
	{ 6, 128, { 0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x53 } },
};

bool nacl_resolver(const struct naclemu_cidr *vpc, struct naclemu_cidr *out)
{
	uint32_t a;

	if (vpc->family != 4)
		return false;
	memset(out, 0, sizeof(*out));
	a = (uint32_t)vpc->addr[0] << 24 | (uint32_t)vpc->addr[1] << 16 |
	    (uint32_t)vpc->addr[2] << 8 | vpc->addr[3];
	a += NACLEMU_RESOLVER_OFFSET;
	out->family = 4;
	out->prefix_len = 32;
	out->addr[0] = (uint8_t)(a >> 24);
	out->addr[1] = (uint8_t)(a >> 16);
	out->addr[2] = (uint8_t)(a >> 8);
	out->addr[3] = (uint8_t)a;
	return true;
}

/* Link-scope traffic: see NACLEMU_V6_LINK_MCAST in include/naclemu.h. */
static bool link_scope(const struct nacl_packet *p)
{
	if (p->family == 4)
		return p->dst[0] == 224 && p->dst[1] == 0 && p->dst[2] == 0;
	if (p->dst[0] == 0xff && p->dst[1] == 0x02)
		return true;
	return p->src[0] == 0xfe && (p->src[1] & 0xc0) == 0x80 && p->dst[0] == 0xfe &&
	       (p->dst[1] & 0xc0) == 0x80;
}

/* DNS with the Resolver of one of @x's VPCs, the peer being the Resolver. */
static bool resolver_dns(const struct nacl_packet *p, const struct nacl_extra *x,
			 const uint8_t *peer)
{
	struct naclemu_cidr r;

	if (!p->l4_known || (p->protocol != NACLEMU_PROTO_TCP && p->protocol != NACLEMU_PROTO_UDP) ||
	    (p->dst_port != NACLEMU_DNS_PORT && p->src_port != NACLEMU_DNS_PORT))
		return false;
	for (size_t i = 0; i < x->nvpc; i++)
		if (nacl_resolver(&x->vpc[i], &r) && in_any(&r, 1, p->family, peer))
			return true;
	return false;
}

const char *nacl_exempt_name(enum nacl_exempt_reason r)
{
	switch (r) {
	case NACL_EXEMPT_ND:
		return "IPv6 neighbour discovery";
	case NACL_EXEMPT_DHCP:
		return "DHCP";
	case NACL_EXEMPT_LINKLOCAL:
		return "an AWS link-local service (metadata, time or DNS)";
	case NACL_EXEMPT_CIDR:
		return "a peer given with --exempt";
	case NACL_EXEMPT_SUBNET:
		return "a peer inside --subnet: intra-subnet traffic";
	case NACL_EXEMPT_RESOLVER:
		return "DNS with the VPC's Route 53 Resolver, base + 2 of --vpc";
	case NACL_EXEMPT_LINKSCOPE:
		return "link-scope traffic, which never leaves the link";
	default:
		return "judged";
	}
}

enum nacl_exempt_reason nacl_exempt(const struct nacl_packet *p, const struct nacl_extra *x)
{
	static const struct nacl_extra none;
	const uint8_t *peer = p->dir == NACLEMU_INGRESS ? p->src : p->dst;

	if (!x)
		x = &none;

	if (p->l4_known && p->family == 6 &&
	    p->protocol == NACLEMU_PROTO_ICMPV6 && p->icmp_type >= NACLEMU_ND_TYPE_FIRST &&
	    p->icmp_type <= NACLEMU_ND_TYPE_LAST)
		return NACL_EXEMPT_ND;
	if (p->l4_known && p->protocol == NACLEMU_PROTO_UDP &&
	    ((p->family == 4 && (p->dst_port == NACLEMU_DHCP_SERVER_PORT ||
				 p->dst_port == NACLEMU_DHCP_CLIENT_PORT)) ||
	     (p->family == 6 && (p->dst_port == NACLEMU_DHCPV6_CLIENT_PORT ||
				 p->dst_port == NACLEMU_DHCPV6_SERVER_PORT))))
		return NACL_EXEMPT_DHCP;
	if (link_scope(p))
		return NACL_EXEMPT_LINKSCOPE;
	if (in_any(nacl_linklocal, NACL_NLINKLOCAL, p->family, peer))
		return NACL_EXEMPT_LINKLOCAL;
	if (resolver_dns(p, x, peer))
		return NACL_EXEMPT_RESOLVER;
	if (in_any(x->exempt, x->nexempt, p->family, peer))
		return NACL_EXEMPT_CIDR;
	if (in_any(x->subnet, x->nsubnet, p->family, peer))
		return NACL_EXEMPT_SUBNET;
	return NACL_NOT_EXEMPT;
}
