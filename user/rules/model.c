// SPDX-License-Identifier: MIT
/*
 * model.c - the normalised NACL model: CIDRs, numbers, warnings, sorting
 * and rendering.  Reading files is read.c; the readers are text.c and
 * aws_json.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/model.h"

int nacl_parse_cidr(const char *s, struct naclemu_cidr *c, bool *host_bits)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;
	int max, i;

	memset(c, 0, sizeof(*c));
	*host_bits = false;
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		uint32_t n;

		if (nacl_parse_u32(slash + 1, (uint32_t)max, &n))
			return -EINVAL;
		plen = n;
	} else {
		plen = (unsigned long)max;
	}
	c->prefix_len = (uint8_t)plen;
	for (i = 0; i < max / 8; i++) {
		int keep = (int)plen - i * 8;
		uint8_t mask = keep >= 8 ? 0xff :
			       keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));

		if (c->addr[i] & ~mask)
			*host_bits = true;
		c->addr[i] &= mask;
	}
	return 0;
}

int nacl_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

void nacl_warn(struct nacl_ruleset *rs, uint32_t line, uint32_t col,
	       const char *fmt, ...)
{
	char msg[NACL_MSG_LEN];
	va_list ap;

	if (rs->nwarnings >= NACL_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(rs->warnings[rs->nwarnings], NACL_MSG_LEN,
			 "%s:%u:%u: %s", rs->path ? rs->path : "-", line, col,
			 msg);
	else
		snprintf(rs->warnings[rs->nwarnings], NACL_MSG_LEN, "%s: %s",
			 rs->path ? rs->path : "-", msg);
	rs->nwarnings++;
}

void nacl_sort(struct nacl_ruleset *rs)
{
	for (int d = 0; d < NACLEMU_NDIRS; d++) {
		struct nacl_rule *r = rs->rules[d];

		/* Insertion sort: stable, and at most 78 rules. */
		for (size_t i = 1; i < rs->count[d]; i++) {
			struct nacl_rule tmp = r[i];
			size_t j = i;

			while (j > 0 && r[j - 1].number > tmp.number) {
				r[j] = r[j - 1];
				j--;
			}
			r[j] = tmp;
		}
	}
}

const char *nacl_dir_name(enum naclemu_dir dir)
{
	return dir == NACLEMU_INGRESS ? "inbound" : "outbound";
}

const char *nacl_proto_name(int protocol, char buf[8])
{
	switch (protocol) {
	case NACLEMU_PROTO_ALL:
		return "all";
	case NACLEMU_PROTO_TCP:
		return "tcp";
	case NACLEMU_PROTO_UDP:
		return "udp";
	case NACLEMU_PROTO_ICMP:
		return "icmp";
	case NACLEMU_PROTO_ICMPV6:
		return "icmpv6";
	}
	snprintf(buf, 8, "%d", protocol & 0xff);
	return buf;
}

/* ICMP type/code matters for protocol 1, and for 58 in an IPv6 rule only. */
static bool rule_has_icmp(const struct nacl_rule *r)
{
	return r->protocol == NACLEMU_PROTO_ICMP ||
	       (r->protocol == NACLEMU_PROTO_ICMPV6 && r->cidr.family == 6);
}

const char *nacl_rule_ports(const struct nacl_rule *r, char buf[24])
{
	if (r->protocol == NACLEMU_PROTO_TCP || r->protocol == NACLEMU_PROTO_UDP) {
		if (r->port_from == 0 && r->port_to == 65535)
			return "all";
		if (r->port_from == r->port_to)
			snprintf(buf, 24, "%u", r->port_from);
		else
			snprintf(buf, 24, "%u-%u", r->port_from, r->port_to);
		return buf;
	}
	if (rule_has_icmp(r)) {
		if (r->icmp_type < 0)
			return "all";
		if (r->icmp_code < 0)
			snprintf(buf, 24, "%d", r->icmp_type);
		else
			snprintf(buf, 24, "%d/%d", r->icmp_type, r->icmp_code);
		return buf;
	}
	if (r->protocol == NACLEMU_PROTO_ICMPV6)
		return "all";
	return "-";
}

const char *nacl_cidr_str(const struct naclemu_cidr *c, char buf[64])
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, addr,
		  sizeof(addr));
	snprintf(buf, 64, "%s/%u", addr, c->prefix_len);
	return buf;
}

const char *nacl_rule_str(const struct nacl_rule *r, char buf[NACL_TEXT_LEN])
{
	char pbuf[8], portbuf[24], cbuf[64];

	snprintf(buf, NACL_TEXT_LEN, "%u %s %s %s %s", r->number,
		 r->allow ? "allow" : "deny", nacl_proto_name(r->protocol, pbuf),
		 nacl_rule_ports(r, portbuf), nacl_cidr_str(&r->cidr, cbuf));
	return buf;
}
