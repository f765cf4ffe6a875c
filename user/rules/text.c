// SPDX-License-Identifier: MIT
/*
 * text.c - the `*.nacl` text format (docs/semantics.md section 2, docs/formats.md).
 * The checks every reader shares are in validate.c.
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

#include "rules/model.h"
#include "rules/read.h"
#include "rules/validate.h"

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
	nacl_fmt_errv(t->err, t->name, l->no, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "inbound", "ingress:", ...: the direction, or -1. */
static int section_dir(const char *s)
{
	static const struct {
		const char *name;
		enum naclemu_dir dir;
	} names[] = {
		{ "inbound", NACLEMU_INGRESS },
		{ "ingress", NACLEMU_INGRESS },
		{ "outbound", NACLEMU_EGRESS },
		{ "egress", NACLEMU_EGRESS },
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
	r0 = nacl_parse_num(s, ps->min, ps->max, &v[0]);
	if (sep)
		r1 = nacl_parse_num(sep + 1, ps->min, ps->max, &v[1]);
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
	case NACLEMU_PROTO_TCP:
	case NACLEMU_PROTO_UDP:
		return parse_port_range(t, l, r);
	case NACLEMU_PROTO_ICMP:
	case NACLEMU_PROTO_ICMPV6:
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
	ret = star ? 0 : nacl_parse_num(l->tok[0], NACLEMU_RULE_MIN, NACLEMU_RULE_MAX,
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
	if (star && proto != NACLEMU_PROTO_ALL)
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
	if (r.protocol == NACLEMU_PROTO_ICMPV6 && r.cidr.family == 4 &&
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
	return nacl_add_rule(t->rs, (enum naclemu_dir)t->dir, &r, "", t->err);
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
	if (!copy)
		return nacl_oom(name, err);
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
	if (!rs->has_dir[NACLEMU_INGRESS] && !rs->has_dir[NACLEMU_EGRESS])
		return nacl_fmt_err(err, name, 0, 0,
				    "no inbound or outbound section: expected a NACL rule file");
	nacl_parse_done(rs, "section");
	return 0;
}
