// SPDX-License-Identifier: MIT
/*
 * worst.c - the packet a rule set makes the datapath work hardest for
 * (analysis/worst.h), for `naclemu bench` and `make bench`.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "analysis/worst.h"

/* @a + @n (big-endian, @len bytes), wrapping. */
static void addr_add(uint8_t *a, size_t len, int n)
{
	int carry = n;

	for (size_t i = len; i-- > 0 && carry;) {
		int v = a[i] + carry;

		a[i] = (uint8_t)v;
		carry = v >> 8; /* arithmetic: -1 borrows */
	}
}

/* The first address past @c's block. */
static void cidr_next(const struct naclemu_cidr *c, uint8_t *out)
{
	size_t len = c->family == 4 ? 4 : 16;
	unsigned int host = (unsigned int)len * 8 - c->prefix_len;

	memcpy(out, c->addr, 16);
	if (host == len * 8)
		return; /* /0: wraps to itself */
	/* Add 1 << host: byte len-1-host/8, bit host%8. */
	{
		size_t byte = len - 1 - host / 8;
		int v = out[byte] + (1 << (host % 8)), carry = v >> 8;

		out[byte] = (uint8_t)v;
		if (carry)
			addr_add(out, byte, 1);
	}
}

/* Keys worth trying for @proto: common ports and every rule range's ends. */
static size_t candidate_keys(const struct nacl_ruleset *rs, int dir, int proto,
			     uint16_t *keys, size_t max)
{
	static const uint16_t common[] = { 1, 80, 443, 1024, 32768, 65535 };
	size_t n = 0;

	if (proto == NACLEMU_PROTO_ICMP || proto == NACLEMU_PROTO_ICMPV6) {
		keys[n++] = 8 << 8;
		keys[n++] = 3 << 8 | 4;
	} else {
		for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
			keys[n++] = common[i];
	}
	for (size_t i = 0; i < rs->count[dir] && n + 4 <= max; i++) {
		const struct nacl_rule *r = &rs->rules[dir][i];
		uint16_t lo, hi;

		if (r->protocol != proto || !nacl_rule_key_range(r, &lo, &hi))
			continue;
		keys[n++] = lo;
		keys[n++] = hi;
		keys[n++] = (uint16_t)(lo - 1);
		keys[n++] = (uint16_t)(hi + 1);
	}
	return n;
}

/* See worst.h. */
void nacl_worst_packet(const struct nacl_ruleset *rs, enum naclemu_dir dir, uint8_t family,
		       struct nacl_worst *w)
{
	static const char *const doc4[] = { "203.0.113.1", "198.51.100.1", "192.0.2.1" };
	static const char *const doc6[] = { "2001:db8:ffff::1", "2001:db8::1" };
	static uint8_t peers[4 * NACL_MAX_RULES + 4][16];
	static uint16_t keys[4 * NACL_MAX_RULES + 8];
	const int protos[] = { NACLEMU_PROTO_TCP, NACLEMU_PROTO_UDP,
			       family == 4 ? NACLEMU_PROTO_ICMP : NACLEMU_PROTO_ICMPV6, 47 };
	size_t npeers = 0, alen = family == 4 ? 4 : 16;
	uint8_t local[16] = {};
	bool found = false;

	inet_pton(family == 4 ? AF_INET : AF_INET6,
		  family == 4 ? "192.0.2.10" : "2001:db8::10", local);
	w->nrules = 0;
	for (size_t i = 0; family == 4 && i < 3; i++)
		inet_pton(AF_INET, doc4[i], peers[npeers++]);
	for (size_t i = 0; family == 6 && i < 2; i++)
		inet_pton(AF_INET6, doc6[i], peers[npeers++]);
	for (size_t i = 0; i < rs->count[dir]; i++) {
		const struct naclemu_cidr *c = &rs->rules[dir][i].cidr;

		if (c->family != family)
			continue;
		w->nrules++;
		memcpy(peers[npeers], c->addr, 16); /* first */
		memcpy(peers[npeers + 1], c->addr, 16);
		addr_add(peers[npeers + 1], alen, -1); /* just below */
		cidr_next(c, peers[npeers + 2]);      /* just above */
		memcpy(peers[npeers + 3], peers[npeers + 2], 16);
		addr_add(peers[npeers + 3], alen, -1); /* last */
		npeers += 4;
	}

	for (size_t pi = 0; pi < sizeof(protos) / sizeof(protos[0]); pi++) {
		size_t nkeys = protos[pi] == 47 ? 1 :
			       candidate_keys(rs, dir, protos[pi], keys,
					      sizeof(keys) / sizeof(keys[0]));

		for (size_t a = 0; a < npeers; a++) {
			for (size_t k = 0; k < nkeys; k++) {
				struct nacl_packet p = {
					.dir = dir,
					.family = (uint8_t)family,
					.protocol = (uint8_t)protos[pi],
					.l4_known = true,
					.src_port = 40000,
					.dst_port = keys[k],
					.icmp_type = (uint8_t)(keys[k] >> 8),
					.icmp_code = (uint8_t)keys[k],
				};
				struct nacl_verdict v;

				memcpy(dir == NACLEMU_INGRESS ? p.src : p.dst, peers[a], 16);
				memcpy(dir == NACLEMU_INGRESS ? p.dst : p.src, local, 16);
				if (nacl_exempt(&p, NULL))
					continue;
				v = nacl_evaluate(rs, &p);
				if (found && v.rule_number <= w->v.rule_number)
					continue;
				w->p = p;
				w->v = v;
				found = true;
			}
		}
	}
}


/* "tcp 203.0.113.1 -> 192.0.2.10:1", "icmp 192.0.2.1 -> 192.0.2.10 8/0" */
const char *nacl_packet_str(const struct nacl_packet *p, char buf[128])
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], pbuf[8];
	const char *proto = nacl_proto_name(p->protocol, pbuf);
	int af = p->family == 4 ? AF_INET : AF_INET6;
	bool ports = p->protocol == NACLEMU_PROTO_TCP || p->protocol == NACLEMU_PROTO_UDP;
	bool icmp = p->protocol == NACLEMU_PROTO_ICMP || p->protocol == NACLEMU_PROTO_ICMPV6;

	inet_ntop(af, p->src, s, sizeof(s));
	inet_ntop(af, p->dst, d, sizeof(d));
	if (ports)
		snprintf(buf, 128, "%s %s -> %s%s%s:%u", proto, s, af == AF_INET6 ? "[" : "",
			 d, af == AF_INET6 ? "]" : "", p->dst_port);
	else if (icmp)
		snprintf(buf, 128, "%s %s -> %s type %u code %u", proto, s, d, p->icmp_type,
			 p->icmp_code);
	else
		snprintf(buf, 128, "%s %s -> %s", proto, s, d);
	return buf;
}

