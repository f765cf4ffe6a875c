// SPDX-License-Identifier: MIT
/*
 * parse_text.c - the `*.nacl` text format (SPEC section 2), and the checks
 * both rule parsers share (parse.h).
 *
 *   inbound
 *     100  allow  tcp   1024-65535  0.0.0.0/0   # comment
 *
 * One bad line rejects the whole file, with "FILE:LINE:COL: message" where
 * COL is the 1-based byte column of the offending token (or of the end of
 * the line when a column is missing).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nacl.h"
#include "parse.h"

/* ---- shared with parse_json.c (parse.h) ---------------------------------- */

/*
 * @s as a number in [@min, @max], where @min may be -1: AWS writes "-1" for
 * any ICMP type or code and for all protocols.  The digits are checked by
 * nacl_parse_u32.  Return: 0, -EINVAL (not a number) or -ERANGE.
 */
static int parse_num(const char *s, long min, uint32_t max, long *out)
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

const char *nacl_quote(const char *s, char buf[NACL_QUOTE_LEN])
{
	size_t i;

	for (i = 0; s[i] && i < 40; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i])
		memcpy(buf + i, "...", 4);
	else
		buf[i] = '\0';
	return buf;
}

static int fmt_errv(char err[NACL_MSG_LEN], const char *name, uint32_t line,
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
	fmt_errv(err, name, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int nacl_check_proto(const char *s, int *proto, char msg[NACL_MSG_LEN])
{
	static const struct {
		const char *name;
		int proto;
	} names[] = {
		{ "tcp", NACL_PROTO_TCP },	 { "udp", NACL_PROTO_UDP },
		{ "icmp", NACL_PROTO_ICMP },	 { "icmpv6", NACL_PROTO_ICMPV6 },
		{ "all", NACL_PROTO_ALL },
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
	ret = parse_num(s, -1, 255, &v);
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

int nacl_check_cidr(const char *s, int family, struct nacl_cidr *c,
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
		struct nacl_cidr host;
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

int nacl_add_rule(struct nacl_ruleset *rs, enum nacl_dir dir,
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
	for (int d = 0; d < NACL_NDIRS; d++) {
		const char *dname = nacl_dir_name((enum nacl_dir)d);

		if (!rs->has_dir[d])
			nacl_warn(rs, 0, 0,
				  "no %s %s: all %s traffic is denied (only the default rule *)",
				  dname, what, dname);
	}
	nacl_sort(rs);
}

/* ---- the text format ----------------------------------------------------- */

/* The five columns, and one more to report it as one too many. */
#define NTOK 6

/* One line, split into NUL-terminated tokens in place. */
struct line {
	char *tok[NTOK];
	uint32_t col[NTOK];
	int ntok;
	uint32_t eol; /* just after the last token: where a missing one goes */
	uint32_t no;
};

struct text_ctx {
	const char *name;
	struct nacl_ruleset *rs;
	char *err;
	int dir; /* the current section, -1 before the first */
};

/* Error at token @i of @l, or at the end of the line if there is none. */
static int lfail(const struct text_ctx *t, const struct line *l, int i,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int lfail(const struct text_ctx *t, const struct line *l, int i,
		 const char *fmt, ...)
{
	uint32_t col = i < l->ntok ? l->col[i] : l->eol;
	va_list ap;

	va_start(ap, fmt);
	fmt_errv(t->err, t->name, l->no, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "inbound", "ingress:", ...: the direction, or -1. */
static int section_dir(const char *s)
{
	static const struct {
		const char *name;
		enum nacl_dir dir;
	} names[] = {
		{ "inbound", NACL_INBOUND },
		{ "ingress", NACL_INBOUND },
		{ "outbound", NACL_OUTBOUND },
		{ "egress", NACL_OUTBOUND },
	};
	size_t n = strlen(s);

	if (n && s[n - 1] == ':')
		n--;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == n &&
		    !strncasecmp(s, names[i].name, n))
			return names[i].dir;
	}
	return -1;
}

/* The PORTS column as one number or two joined by @sep. */
struct pair_syntax {
	char sep;
	long min;
	uint32_t max;
	const char *name[2]; /* each number, for "... is out of range" */
	const char *what;    /* the column, for "invalid WHAT: expected ..." */
	const char *expect;
};

static const struct pair_syntax port_syntax = {
	'-', 0, 65535, { "port", "port" }, "port", "N, N-M or all",
};
static const struct pair_syntax icmp_syntax = {
	'/', -1, 255, { "ICMP type", "ICMP code" }, "ICMP type/code",
	"TYPE/CODE, TYPE or all",
};

/* Return: how many numbers (1 or 2) went to @v, or -EINVAL. */
static int parse_pair(const struct text_ctx *t, const struct line *l,
		      const struct pair_syntax *ps, long v[2])
{
	char *s = l->tok[3], *sep, q[NACL_QUOTE_LEN];
	int r0, r1 = 0;

	nacl_quote(s, q);
	sep = strchr(s, ps->sep);
	if (sep)
		*sep = '\0';
	r0 = parse_num(s, ps->min, ps->max, &v[0]);
	if (sep)
		r1 = parse_num(sep + 1, ps->min, ps->max, &v[1]);
	if (r0 == -EINVAL || r1 == -EINVAL)
		return lfail(t, l, 3, "invalid %s '%s': expected %s", ps->what,
			     q, ps->expect);
	if (r0)
		return lfail(t, l, 3, "%s %s is out of range: expected %ld..%u",
			     ps->name[0], nacl_quote(s, q), ps->min, ps->max);
	if (r1)
		return nacl_fmt_err(t->err, t->name, l->no,
				    l->col[3] + (uint32_t)(sep + 1 - s),
				    "%s %s is out of range: expected %ld..%u",
				    ps->name[1], nacl_quote(sep + 1, q),
				    ps->min, ps->max);
	return sep ? 2 : 1;
}

/* PORTS of tcp/udp: N, N-M or all (AWS PortRange From/To, 0..65535). */
static int parse_port_range(const struct text_ctx *t, const struct line *l,
			    struct nacl_rule *r)
{
	long v[2];
	int n;

	if (!strcasecmp(l->tok[3], "all"))
		return 0;
	n = parse_pair(t, l, &port_syntax, v);
	if (n < 0)
		return n;
	if (n == 1)
		v[1] = v[0];
	if (v[0] > v[1])
		return lfail(t, l, 3, "port range %ld-%ld is reversed", v[0],
			     v[1]);
	r->port_from = (uint16_t)v[0];
	r->port_to = (uint16_t)v[1];
	return 0;
}

/*
 * PORTS of icmp/icmpv6: TYPE/CODE, TYPE (any code), all or -1 (AWS
 * IcmpTypeCode, each -1 for any or 0..255).
 */
static int parse_icmp(const struct text_ctx *t, const struct line *l,
		      struct nacl_rule *r)
{
	long v[2];
	int n;

	if (!strcasecmp(l->tok[3], "all"))
		return 0;
	n = parse_pair(t, l, &icmp_syntax, v);
	if (n < 0)
		return n;
	if (n == 1)
		v[1] = NACL_ICMP_ANY;
	/* As with AWS security groups: all types means all codes. */
	if (v[0] < 0 && v[1] >= 0)
		return lfail(t, l, 3,
			     "ICMP code %ld without a type: expected TYPE/%ld, or -1/-1 for all",
			     v[1], v[1]);
	r->icmp_type = (int16_t)v[0];
	r->icmp_code = (int16_t)v[1];
	return 0;
}

static int parse_ports(const struct text_ctx *t, const struct line *l,
		       struct nacl_rule *r)
{
	char pbuf[8];

	r->port_from = 0;
	r->port_to = 65535;
	r->icmp_type = r->icmp_code = NACL_ICMP_ANY;
	switch (r->protocol) {
	case NACL_PROTO_TCP:
	case NACL_PROTO_UDP:
		return parse_port_range(t, l, r);
	case NACL_PROTO_ICMP:
	case NACL_PROTO_ICMPV6:
		return parse_icmp(t, l, r);
	}
	if (strcmp(l->tok[3], "-") && strcasecmp(l->tok[3], "all"))
		return lfail(t, l, 3,
			     "protocol %s has no ports: expected - or all",
			     nacl_proto_name(r->protocol, pbuf));
	return 0;
}

/* RULE ACTION PROTOCOL PORTS CIDR; RULE "*" is the implied default deny. */
static int parse_rule(struct text_ctx *t, struct line *l,
		      const char text[NACL_TEXT_LEN])
{
	char q[NACL_QUOTE_LEN], ports[NACL_QUOTE_LEN], msg[NACL_MSG_LEN];
	bool star = !strcmp(l->tok[0], "*"), host_bits;
	struct nacl_rule r;
	char cbuf[64];
	long num = 0;
	int ret, proto;

	memset(&r, 0, sizeof(r));
	if (t->dir < 0)
		return lfail(t, l, 0,
			     "rule before any section: expected an inbound or outbound line first");
	ret = star ? 0 : parse_num(l->tok[0], NACL_RULE_MIN, NACL_RULE_MAX,
				   &num);
	if (ret == -ERANGE)
		return lfail(t, l, 0,
			     "rule number %s is out of range: expected 1..32766 or *",
			     nacl_quote(l->tok[0], q));
	if (ret)
		return lfail(t, l, 0,
			     "invalid rule number '%s': expected 1..32766 or *",
			     nacl_quote(l->tok[0], q));

	if (l->ntok < 2)
		return lfail(t, l, 1, "expected allow or deny after the rule number");
	if (!strcasecmp(l->tok[1], "allow"))
		r.allow = true;
	else if (strcasecmp(l->tok[1], "deny"))
		return lfail(t, l, 1,
			     "unknown action '%s': expected allow or deny",
			     nacl_quote(l->tok[1], q));
	if (star && r.allow)
		return lfail(t, l, 1,
			     "the default rule * always denies: expected deny");

	if (l->ntok < 3)
		return lfail(t, l, 2,
			     "expected a protocol after the action (tcp, udp, icmp, icmpv6, all or 0..255)");
	if (nacl_check_proto(l->tok[2], &proto, msg))
		return lfail(t, l, 2, "%s", msg);
	r.protocol = (int16_t)proto;
	if (star && proto != NACL_PROTO_ALL)
		return lfail(t, l, 2,
			     "the default rule * matches every protocol: expected all");

	if (l->ntok < 4)
		return lfail(t, l, 3,
			     "expected ports after the protocol (- or all when it has none)");
	nacl_quote(l->tok[3], ports); /* parse_ports cuts the token */
	ret = parse_ports(t, l, &r);
	if (ret)
		return ret;

	if (l->ntok < 5)
		return lfail(t, l, 4, "expected a CIDR after the ports");
	if (nacl_check_cidr(l->tok[4], 0, &r.cidr, &host_bits, msg))
		return lfail(t, l, 4, "%s", msg);
	if (l->ntok > 5)
		return lfail(t, l, 5,
			     "unexpected '%s' after the CIDR: expected end of line or a # comment",
			     nacl_quote(l->tok[5], q));
	if (star && r.cidr.prefix_len)
		return lfail(t, l, 4,
			     "the default rule * covers every address: expected 0.0.0.0/0 or ::/0");
	if (host_bits)
		nacl_warn(t->rs, l->no, l->col[4],
			  "host bits set in %s: using %s", l->tok[4],
			  nacl_cidr_str(&r.cidr, cbuf));
	if (r.protocol == NACL_PROTO_ICMPV6 && r.cidr.family == 4 &&
	    r.icmp_type != NACL_ICMP_ANY) {
		/* AWS CreateNetworkAclEntry: all ICMP types and codes then. */
		nacl_warn(t->rs, l->no, l->col[3],
			  "icmpv6 with an IPv4 CIDR matches every type: AWS ignores type/code %s",
			  ports);
		r.icmp_type = r.icmp_code = NACL_ICMP_ANY;
	}
	if (star)
		return 0; /* always implied: nothing to store */

	r.number = (uint16_t)num;
	r.line = l->no;
	r.col = l->col[0];
	memcpy(r.text, text, sizeof(r.text));
	return nacl_add_rule(t->rs, (enum nacl_dir)t->dir, &r, "", t->err);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* @s: one line, NUL-terminated, without its '\n'. */
static int parse_line(struct text_ctx *t, char *s, uint32_t no)
{
	char *hash = strchr(s, '#'), *text = NULL, q[NACL_QUOTE_LEN];
	char tbuf[NACL_TEXT_LEN];
	struct line l = { .no = no };
	size_t i = 0, tend = 0, tlen;
	int dir;

	if (hash)
		*hash = '\0';
	/* Find the tokens first: the rule's text spans all of them. */
	for (;;) {
		while (is_blank(s[i]))
			i++;
		if (!s[i])
			break;
		if (!text)
			text = s + i;
		if (l.ntok < NTOK) {
			l.tok[l.ntok] = s + i;
			l.col[l.ntok] = (uint32_t)i + 1;
			l.ntok++;
		}
		while (s[i] && !is_blank(s[i]))
			i++;
		tend = i;
	}
	if (!l.ntok)
		return 0;
	l.eol = (uint32_t)tend + 1;
	/* The rule's own words, before the tokens are cut apart. */
	tlen = (size_t)(s + tend - text);
	if (tlen >= sizeof(tbuf))
		tlen = sizeof(tbuf) - 1;
	memcpy(tbuf, text, tlen);
	tbuf[tlen] = '\0';
	for (int k = 0; k < l.ntok; k++) {
		char *e = l.tok[k];

		while (*e && !is_blank(*e))
			e++;
		if (*e && e < s + tend)
			*e = '\0';
	}
	s[tend] = '\0';

	dir = section_dir(l.tok[0]);
	if (dir >= 0) {
		if (l.ntok > 1)
			return lfail(t, &l, 1,
				     "unexpected '%s' after the section name: expected end of line",
				     nacl_quote(l.tok[1], q));
		t->dir = dir;
		t->rs->has_dir[dir] = true;
		return 0;
	}
	if (l.tok[0][0] == '*' || isdigit((unsigned char)l.tok[0][0]) ||
	    l.tok[0][0] == '-' || l.tok[0][0] == '+')
		return parse_rule(t, &l, tbuf);
	return lfail(t, &l, 0,
		     "unexpected '%s': expected inbound, outbound or a rule (RULE ACTION PROTOCOL PORTS CIDR)",
		     nacl_quote(l.tok[0], q));
}

int nacl_parse_text(const char *name, const char *buf, size_t len,
		    struct nacl_ruleset *rs, char err[NACL_MSG_LEN])
{
	struct text_ctx t = { .name = name, .rs = rs, .err = err, .dir = -1 };
	const char *nul;
	char *copy, *p, *end;
	uint32_t no = 1;
	int ret = 0;

	memset(rs, 0, sizeof(*rs));
	rs->path = name;
	nul = memchr(buf, '\0', len);
	if (nul) {
		const char *bol = buf;

		for (const char *c = buf; c < nul; c++) {
			if (*c == '\n') {
				no++;
				bol = c + 1;
			}
		}
		return nacl_fmt_err(err, name, no, (uint32_t)(nul - bol) + 1,
				    "NUL byte: expected a text file");
	}
	/* Our own NUL-terminated copy: @buf need not be, and lines are cut. */
	copy = malloc(len + 1);
	if (!copy) {
		snprintf(err, NACL_MSG_LEN, "%s: out of memory", name);
		return -ENOMEM;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	end = copy + len;
	for (p = copy; p < end && !ret; no++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl)
			*nl = '\0';
		ret = parse_line(&t, p, no);
		p = nl ? nl + 1 : end;
	}
	free(copy);
	if (ret)
		return ret;
	if (!rs->has_dir[NACL_INBOUND] && !rs->has_dir[NACL_OUTBOUND])
		return nacl_fmt_err(err, name, 0, 0,
				    "no inbound or outbound section: expected a NACL rule file");
	nacl_parse_done(rs, "section");
	return 0;
}
