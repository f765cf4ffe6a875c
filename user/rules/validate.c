// SPDX-License-Identifier: MIT
/*
 * validate.c - the checks every rule-file reader shares (validate.h):
 * numbers, protocols, CIDRs, duplicate rule numbers, quotas and missing
 * directions, with their messages.  The readers of JSON and YAML documents
 * build on jdoc.c (paths, positions, typed members), entry.c (one network
 * ACL entry with AWS's semantics) and select.c (the messages of ACL
 * selection).  The readers depend on these files, never on each other.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rules/model.h"
#include "rules/validate.h"

/*
 * @s as a number in [@min, @max], where @min may be -1: AWS writes "-1" for
 * any ICMP type or code and for all protocols.  The digits are checked by
 * nacl_parse_u32.  Return: 0, -EINVAL (not a number) or -ERANGE.
 */
int nacl_parse_num(const char *s, long min, uint32_t max, long *out)
{
	uint32_t n;
	int ret;

	if (s[0] == '-' && min < 0) {
		ret = nacl_parse_u32(s + 1, UINT32_MAX, &n);
		if (!ret && n != 1)
			ret = -ERANGE;
		*out = -1;
		return ret;
	}
	ret = nacl_parse_u32(s, max, &n);
	if (!ret && (long)n < min)
		ret = -ERANGE;
	*out = (long)n;
	return ret;
}

const char *nacl_quote_n(const char *s, char *buf, size_t size)
{
	size_t i, max = size > 4 ? size - 4 : 0;

	for (i = 0; s[i] && i < max; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i] && size >= 4)
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

const char *nacl_quote(const char *s, char buf[NACL_QUOTE_LEN])
{
	return nacl_quote_n(s, buf, 44);
}

int nacl_fmt_errv(char err[NACL_MSG_LEN], const char *name, uint32_t line,
		    uint32_t col, const char *fmt, va_list ap)
{
	int n;

	/* Position first, then the message in what is left: never overflows. */
	if (line)
		n = snprintf(err, NACL_MSG_LEN, "%s:%u:%u: ", name, line, col);
	else
		n = snprintf(err, NACL_MSG_LEN, "%s: ", name);
	if (n >= 0 && n < NACL_MSG_LEN)
		vsnprintf(err + n, NACL_MSG_LEN - (size_t)n, fmt, ap);
	return -EINVAL;
}

int nacl_fmt_err(char err[NACL_MSG_LEN], const char *name, uint32_t line,
		 uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nacl_fmt_errv(err, name, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int nacl_oom(const char *name, char err[NACL_MSG_LEN])
{
	snprintf(err, NACL_MSG_LEN, "%s: out of memory", name);
	return -ENOMEM;
}

int nacl_check_proto(const char *s, int *proto, char msg[NACL_MSG_LEN])
{
	static const struct {
		const char *name;
		int proto;
	} names[] = {
		{ "tcp", NACLEMU_PROTO_TCP },	 { "udp", NACLEMU_PROTO_UDP },
		{ "icmp", NACLEMU_PROTO_ICMP },	 { "icmpv6", NACLEMU_PROTO_ICMPV6 },
		{ "all", NACLEMU_PROTO_ALL },
		/* IANA's keyword, which the Terraform AWS provider takes */
		{ "ipv6-icmp", NACLEMU_PROTO_ICMPV6 },
	};
	char q[NACL_QUOTE_LEN];
	long v;
	int ret;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*proto = names[i].proto;
			return 0;
		}
	}
	ret = nacl_parse_num(s, -1, 255, &v);
	if (ret == -ERANGE) {
		snprintf(msg, NACL_MSG_LEN,
			 "protocol number %s is out of range: expected 0..255 or -1 (all)",
			 nacl_quote(s, q));
		return -EINVAL;
	}
	if (ret) {
		snprintf(msg, NACL_MSG_LEN,
			 "unknown protocol '%s': expected tcp, udp, icmp, icmpv6, all, -1 or a number 0..255",
			 nacl_quote(s, q));
		return -EINVAL;
	}
	*proto = (int)v;
	return 0;
}

int nacl_check_cidr(const char *s, int family, struct naclemu_cidr *c,
		    bool *host_bits, char msg[NACL_MSG_LEN])
{
	const char *slash = strchr(s, '/');
	char q[NACL_QUOTE_LEN];

	if (!slash) {
		/* nacl_parse_cidr takes a bare host; AWS wants a prefix. */
		if (nacl_parse_cidr(s, c, host_bits) == 0)
			snprintf(msg, NACL_MSG_LEN,
				 "CIDR '%s' has no prefix length: expected %s/%d",
				 nacl_quote(s, q), s,
				 c->family == 4 ? 32 : 128);
		else
			snprintf(msg, NACL_MSG_LEN,
				 "invalid CIDR '%s': expected A.B.C.D/N or X:X::X/N",
				 nacl_quote(s, q));
		return -EINVAL;
	}
	if (nacl_parse_cidr(s, c, host_bits)) {
		char addr[64];
		size_t alen = (size_t)(slash - s);
		struct naclemu_cidr host;
		uint32_t plen;
		bool hb;

		/* Say "too long" when only the prefix length is wrong. */
		if (alen < sizeof(addr)) {
			memcpy(addr, s, alen);
			addr[alen] = '\0';
			if (nacl_parse_cidr(addr, &host, &hb) == 0 &&
			    nacl_parse_u32(slash + 1, host.prefix_len,
					   &plen) == -ERANGE) {
				snprintf(msg, NACL_MSG_LEN,
					 "prefix length /%s is too long for IPv%u: expected /0 to /%u",
					 nacl_quote(slash + 1, q), host.family,
					 host.prefix_len);
				return -EINVAL;
			}
		}
		snprintf(msg, NACL_MSG_LEN,
			 "invalid CIDR '%s': expected A.B.C.D/N or X:X::X/N",
			 nacl_quote(s, q));
		return -EINVAL;
	}
	if (family && c->family != family) {
		snprintf(msg, NACL_MSG_LEN, "expected an IPv%d CIDR, got '%s'",
			 family, nacl_quote(s, q));
		return -EINVAL;
	}
	return 0;
}

int nacl_add_rule(struct nacl_ruleset *rs, enum naclemu_dir dir,
		  const struct nacl_rule *r, const char *where,
		  char err[NACL_MSG_LEN])
{
	const char *dname = nacl_dir_name(dir);
	size_t n = 1;

	for (size_t i = 0; i < rs->count[dir]; i++) {
		const struct nacl_rule *o = &rs->rules[dir][i];

		if (o->number == r->number)
			return nacl_fmt_err(err, rs->path, r->line, r->col,
					    "%srule %u is already defined at line %u",
					    where, r->number, o->line);
		if (o->cidr.family == r->cidr.family)
			n++;
	}
	if (n > NACL_QUOTA_MAX)
		return nacl_fmt_err(err, rs->path, r->line, r->col,
				    "%s%s has %zu IPv%u rules: AWS allows at most %d numbered rules per direction and family (quota %d including the default)",
				    where, dname, n, r->cidr.family,
				    NACL_QUOTA_MAX, NACL_QUOTA_MAX + 1);
	if (n == NACL_QUOTA_DEFAULT + 1)
		nacl_warn(rs, r->line, r->col,
			  "%s%s has %zu IPv%u rules: above the AWS default quota of %d rules (%d numbered + default): request a quota increase",
			  where, dname, n, r->cidr.family,
			  NACL_QUOTA_DEFAULT + 1, NACL_QUOTA_DEFAULT);
	rs->rules[dir][rs->count[dir]++] = *r;
	return 0;
}

void nacl_parse_done(struct nacl_ruleset *rs, const char *what)
{
	for (int d = 0; d < NACLEMU_NDIRS; d++) {
		const char *dname = nacl_dir_name((enum naclemu_dir)d);

		if (!rs->has_dir[d])
			nacl_warn(rs, 0, 0,
				  "no %s %s: all %s traffic is denied (only the default rule *)",
				  dname, what, dname);
	}
	nacl_sort(rs);
}

bool nacl_rule_same(const struct nacl_rule *a, const struct nacl_rule *b)
{
	return a->number == b->number && a->allow == b->allow &&
	       a->protocol == b->protocol && a->port_from == b->port_from &&
	       a->port_to == b->port_to && a->icmp_type == b->icmp_type &&
	       a->icmp_code == b->icmp_code &&
	       a->cidr.family == b->cidr.family &&
	       a->cidr.prefix_len == b->cidr.prefix_len &&
	       !memcmp(a->cidr.addr, b->cidr.addr, sizeof(a->cidr.addr));
}
