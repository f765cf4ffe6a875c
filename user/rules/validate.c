// SPDX-License-Identifier: MIT
/*
 * validate.c - the checks every rule-file reader shares (validate.h):
 * numbers, protocols, CIDRs, duplicate rule numbers, quotas and missing
 * directions, with their messages; and for the readers of JSON and YAML
 * documents (aws_json.c, terraform.c, cloudformation.c) paths and their
 * positions, typed members, one network ACL entry with AWS's semantics, and
 * the messages of ACL selection.  The readers depend on this file, never on
 * each other.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- paths ------------------------------------------------------------------ */

#define NPOS ((size_t)-1)

struct nacl_jpath nacl_jp_key(const struct nacl_jpath *p, const char *key)
{
	struct nacl_jpath q = *p;

	if (q.n < NACL_JPATH_MAX) {
		q.seg[q.n].key = key;
		q.seg[q.n].idx = 0;
		q.n++;
	}
	return q;
}

struct nacl_jpath nacl_jp_idx(const struct nacl_jpath *p, size_t idx)
{
	struct nacl_jpath q = *p;

	if (q.n < NACL_JPATH_MAX) {
		q.seg[q.n].key = NULL;
		q.seg[q.n].idx = idx;
		q.n++;
	}
	return q;
}

void nacl_jp_str(const struct nacl_jpath *p, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < p->n && off < size; k++) {
		int n;

		if (p->seg[k].key)
			n = snprintf(buf + off, size - off, "%s%s",
				     k ? "." : "", p->seg[k].key);
		else
			n = snprintf(buf + off, size - off, "[%zu]",
				     p->seg[k].idx);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	/* Keys come from the document: keep the message on one line. */
	for (char *c = buf; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	}
}

/* ---- the JSON text locator ----------------------------------------------------
 * jansson keeps no positions for values, so a message about a value finds
 * it again in the raw text.  The locator walks text that jansson has
 * already accepted, so it only needs to tell values apart, not validate
 * them.  Every index is checked against @len.
 */

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* @s[@i] is '"': the index after the closing quote, or NPOS. */
static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return NPOS;
}

/* The index after the value at @i, or NPOS.  Iterative: no deep recursion. */
static size_t skip_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	if (i >= len)
		return NPOS;
	if (s[i] == '"')
		return skip_string(s, len, i);
	if (s[i] != '{' && s[i] != '[') {
		/* A number, true, false or null. */
		while (i < len && s[i] != ',' && s[i] != ']' && s[i] != '}' &&
		       s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		       s[i] != '\r')
			i++;
		return i;
	}
	while (i < len) {
		if (s[i] == '"') {
			i = skip_string(s, len, i);
			if (i == NPOS)
				return NPOS;
			continue;
		}
		if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if (s[i] == '}' || s[i] == ']') {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return NPOS;
}

/* After a member or element at @i: the index of the next one, or NPOS. */
static size_t next_item(const char *s, size_t len, size_t i)
{
	i = skip_value(s, len, i);
	if (i == NPOS)
		return NPOS;
	i = skip_ws(s, len, i);
	if (i >= len || s[i] != ',')
		return NPOS;
	return skip_ws(s, len, i + 1);
}

/*
 * The offset in @s of the value at @p, or NPOS.  Keys are compared byte for
 * byte: a key written with escapes is not found (the caller then names an
 * enclosing value).  jansson rejected duplicate keys, so the one key found
 * is the one it read.
 */
static size_t json_locate(const char *s, size_t len, const struct nacl_jpath *p)
{
	size_t i = skip_ws(s, len, 0);

	for (int k = 0; k < p->n; k++) {
		if (i >= len)
			return NPOS;
		if (p->seg[k].key) {
			const char *key = p->seg[k].key;
			size_t klen = strlen(key);

			if (s[i] != '{')
				return NPOS;
			i = skip_ws(s, len, i + 1);
			for (;;) {
				size_t kb = i + 1, ke;

				if (i >= len || s[i] != '"')
					return NPOS;
				i = skip_string(s, len, i);
				if (i == NPOS)
					return NPOS;
				ke = i - 1;
				i = skip_ws(s, len, i);
				if (i >= len || s[i] != ':')
					return NPOS;
				i = skip_ws(s, len, i + 1);
				if (ke - kb == klen &&
				    !memcmp(s + kb, key, klen))
					break;
				i = next_item(s, len, i);
				if (i == NPOS)
					return NPOS;
			}
		} else {
			if (s[i] != '[')
				return NPOS;
			i = skip_ws(s, len, i + 1);
			for (size_t n = 0; n < p->seg[k].idx; n++) {
				i = next_item(s, len, i);
				if (i == NPOS)
					return NPOS;
			}
			if (i >= len || s[i] == ']')
				return NPOS;
		}
	}
	return i < len ? i : NPOS;
}

/* Line and column of @p in the JSON text of @d (see nacl_jpos). */
static void text_pos(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		     uint32_t *line, uint32_t *col)
{
	struct nacl_jpath q = *p;
	size_t off;

	for (;;) {
		off = json_locate(d->buf, d->len, &q);
		if (off != NPOS)
			break;
		if (q.n == 0)
			return;
		q.n--;
	}
	*line = *col = 1;
	for (size_t i = 0; i < off; i++) {
		if (d->buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)d->buf[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/* ---- marks: positions of YAML values ------------------------------------- */

int nacl_marks_add(struct nacl_marks *mk, json_t *v, uint32_t line,
		   uint32_t col)
{
	if (mk->n == mk->cap) {
		size_t cap = mk->cap ? 2 * mk->cap : 256;
		struct nacl_mark *m = realloc(mk->m, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		mk->m = m;
		mk->cap = cap;
	}
	mk->m[mk->n].v = json_incref(v);
	mk->m[mk->n].line = line;
	mk->m[mk->n].col = col;
	mk->n++;
	mk->sorted = false;
	return 0;
}

void nacl_marks_free(struct nacl_marks *mk)
{
	for (size_t i = 0; i < mk->n; i++)
		json_decref((json_t *)mk->m[i].v);
	free(mk->m);
	memset(mk, 0, sizeof(*mk));
}

static int mark_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct nacl_mark *)a)->v;
	uintptr_t y = (uintptr_t)((const struct nacl_mark *)b)->v;

	return x < y ? -1 : x > y;
}

static const struct nacl_mark *mark_find(struct nacl_marks *mk, const json_t *v)
{
	struct nacl_mark key = { .v = v };

	if (!mk->sorted) {
		/* Stable for equal keys is not needed: a value is marked once. */
		qsort(mk->m, mk->n, sizeof(*mk->m), mark_cmp);
		mk->sorted = true;
	}
	return mk->n ? bsearch(&key, mk->m, mk->n, sizeof(*mk->m), mark_cmp) :
		       NULL;
}

/* Line and column of @p from the marks of @d (see nacl_jpos). */
static void mark_pos(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		     uint32_t *line, uint32_t *col)
{
	const json_t *chain[NACL_JPATH_MAX + 1];
	int n = 0;

	chain[n++] = d->root;
	for (int k = 0; k < p->n; k++) {
		const json_t *v = chain[n - 1], *next;

		next = p->seg[k].key ? json_object_get(v, p->seg[k].key) :
				       json_array_get(v, p->seg[k].idx);
		if (!next)
			break;
		chain[n++] = next;
	}
	while (n > 0) {
		const struct nacl_mark *m = mark_find(d->marks, chain[--n]);

		if (m) {
			*line = m->line;
			*col = m->col;
			return;
		}
	}
}

void nacl_jpos(const struct nacl_jdoc *d, const struct nacl_jpath *p,
	       uint32_t *line, uint32_t *col)
{
	*line = *col = 0;
	if (d->marks)
		mark_pos(d, p, line, col);
	else if (d->buf)
		text_pos(d, p, line, col);
}

/* ---- messages and typed members -------------------------------------------- */

/*
 * "PATH: message" at @p: an error into d->err (returns -EINVAL), or with
 * @warn a warning into d->rs (returns 0).
 */
static int jreport(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		   bool warn, const char *fmt, va_list ap)
{
	char msg[NACL_MSG_LEN], where[NACL_JPATH_LEN];
	uint32_t line, col;
	int n = 0;

	nacl_jp_str(p, where, sizeof(where));
	if (where[0])
		n = snprintf(msg, NACL_MSG_LEN, "%s: ", where);
	if (n < 0 || n >= NACL_MSG_LEN)
		n = 0;
	vsnprintf(msg + n, NACL_MSG_LEN - (size_t)n, fmt, ap);
	nacl_jpos(d, p, &line, &col);
	if (!warn)
		return nacl_fmt_err(d->err, d->name, line, col, "%s", msg);
	nacl_warn(d->rs, line, col, "%s", msg);
	return 0;
}

int nacl_jfail(const struct nacl_jdoc *d, const struct nacl_jpath *p,
	       const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = jreport(d, p, false, fmt, ap);
	va_end(ap);
	return ret;
}

void nacl_jwarn(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jreport(d, p, true, fmt, ap);
	va_end(ap);
}

int nacl_json_load(struct nacl_jdoc *d)
{
	json_error_t jerr;

	/* A UTF-8 byte order mark (PowerShell's Out-File writes one) is no
	 * character: positions count from after it, as editors show them. */
	if (d->len >= 3 && !memcmp(d->buf, "\xef\xbb\xbf", 3)) {
		d->buf += 3;
		d->len -= 3;
	}
	/* AWS and Terraform never repeat a key; refusing them keeps
	 * json_locate exact. */
	d->root = json_loadb(d->buf, d->len, JSON_REJECT_DUPLICATES, &jerr);
	if (d->root)
		return 0;
	/* jansson quotes the input near the error: keep it printable */
	for (unsigned char *c = (unsigned char *)jerr.text; *c; c++) {
		if (*c < 0x20 || *c >= 0x7f)
			*c = '?';
	}
	/* At the end of an empty file jansson says column 0. */
	return nacl_fmt_err(d->err, d->name,
			    jerr.line > 0 ? (uint32_t)jerr.line : 0,
			    jerr.column > 1 ? (uint32_t)jerr.column : 1,
			    "invalid JSON: %s", jerr.text);
}

const char *nacl_jtype(const json_t *v, char buf[32])
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		snprintf(buf, 32, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return buf;
	case JSON_REAL:
		return "a fraction";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		break;
	}
	return "null";
}

bool nacl_jset(const struct nacl_jdoc *d, const json_t *v)
{
	if (!v)
		return false;
	if (d->zero_unset &&
	    (json_is_null(v) ||
	     (json_is_string(v) && !json_string_length(v))))
		return false;
	return true;
}

/*
 * @v as an integer: a JSON integer or, when @d is lenient, a string of a
 * decimal integer ("-1", "100").  Return: whether it is one.
 */
static bool jint_value(const struct nacl_jdoc *d, const json_t *v, long *out)
{
	const char *s;
	long n;
	int ret;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		*out = i < LONG_MIN ? LONG_MIN : i > LONG_MAX ? LONG_MAX : (long)i;
		return true;
	}
	if (!d->lenient || !json_is_string(v))
		return false;
	s = json_string_value(v);
	ret = nacl_parse_num(s, -1, UINT32_MAX, &n);
	if (ret == -EINVAL)
		return false;
	/* Out of range: beyond every range the callers check. */
	*out = !ret ? n : s[0] == '-' ? LONG_MIN : LONG_MAX;
	return true;
}

/* "expected an integer MIN..MAX, got X" for @v at @p. */
static int jint_fail(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		     const json_t *v, const char *range)
{
	char got[32], q[NACL_QUOTE_LEN];

	if (json_is_string(v) && d->lenient)
		return nacl_jfail(d, p, "expected an integer %s, got '%s'",
				  range, nacl_quote(json_string_value(v), q));
	return nacl_jfail(d, p, "expected an integer %s, got %s", range,
			  nacl_jtype(v, got));
}

int nacl_jint(const struct nacl_jdoc *d, const json_t *obj,
	      const struct nacl_jpath *p, const char *key, long min, long max,
	      bool required, long def, long *out)
{
	struct nacl_jpath q = nacl_jp_key(p, key);
	json_t *v = json_object_get(obj, key);
	char range[48];

	snprintf(range, sizeof(range), "%ld..%ld", min, max);
	if (!nacl_jset(d, v)) {
		if (required)
			return nacl_jfail(d, &q, "missing: expected an integer %s",
					  range);
		*out = def;
		return 0;
	}
	if (!jint_value(d, v, out) || *out < min || *out > max)
		return jint_fail(d, &q, v, range);
	return 0;
}

int nacl_jstr(const struct nacl_jdoc *d, const json_t *obj,
	      const struct nacl_jpath *p, const char *key, const char *want,
	      const char **out)
{
	struct nacl_jpath q = nacl_jp_key(p, key);
	json_t *v = json_object_get(obj, key);
	char got[32];

	if (!nacl_jset(d, v))
		return nacl_jfail(d, &q, "missing: expected %s", want);
	if (!json_is_string(v))
		return nacl_jfail(d, &q, "expected %s, got %s", want,
				  nacl_jtype(v, got));
	*out = json_string_value(v);
	return 0;
}

/* ---- one network ACL entry ------------------------------------------------- */

const struct nacl_entry_fmt nacl_aws_entry = {
	.number = "RuleNumber",
	.egress = "Egress",
	.egress_required = true,
	.action = "RuleAction",
	.protocol = "Protocol",
	.proto_want = "a protocol number as a string, such as \"6\" or \"-1\"",
	.cidr = "CidrBlock",
	.cidr6 = "Ipv6CidrBlock",
	.ports = "PortRange",
	.from = "From",
	.to = "To",
	.icmp = "IcmpTypeCode",
	.type = "Type",
	.code = "Code",
	.defaults = true,
};

/*
 * A flat field (Terraform from_port, icmp_type, ...) that says something:
 * given, and not the 0 Terraform stores for "not set".
 */
static bool flat_set(const struct nacl_jdoc *d, const json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);

	if (!nacl_jset(d, v))
		return false;
	return !(d->zero_unset && json_is_integer(v) && !json_integer_value(v));
}

/* RuleNumber: 1..32766, and 32767 / 32768 with @f->defaults. */
static int entry_number(const struct nacl_jdoc *d, const json_t *e,
			const struct nacl_jpath *p,
			const struct nacl_entry_fmt *f, long *num)
{
	struct nacl_jpath q = nacl_jp_key(p, f->number);
	json_t *v = json_object_get(e, f->number);
	long max = f->defaults ? NACLEMU_RULE_DEFAULT_V6 : NACLEMU_RULE_MAX;

	if (!nacl_jset(d, v))
		return nacl_jfail(d, &q, "missing: expected an integer 1..32766");
	if (!jint_value(d, v, num) || *num < NACLEMU_RULE_MIN || *num > max)
		return jint_fail(d, &q, v, "1..32766");
	return 0;
}

/* Egress: true (outbound) or false (inbound); absent is false but in AWS JSON. */
static int entry_dir(const struct nacl_jdoc *d, const json_t *e,
		     const struct nacl_jpath *p, const struct nacl_entry_fmt *f,
		     enum naclemu_dir *dir)
{
	struct nacl_jpath q = nacl_jp_key(p, f->egress);
	json_t *v = json_object_get(e, f->egress);
	const char *s = json_string_value(v);
	char got[32];

	*dir = NACLEMU_INGRESS;
	if (!nacl_jset(d, v)) {
		if (f->egress_required)
			return nacl_jfail(d, &q,
					  "missing: expected true (outbound) or false (inbound)");
		return 0;
	}
	if (json_is_boolean(v)) {
		if (json_is_true(v))
			*dir = NACLEMU_EGRESS;
		return 0;
	}
	if (d->lenient && s && (!strcasecmp(s, "true") || !strcasecmp(s, "false"))) {
		if (!strcasecmp(s, "true"))
			*dir = NACLEMU_EGRESS;
		return 0;
	}
	return nacl_jfail(d, &q,
			  "expected true (outbound) or false (inbound), got %s",
			  nacl_jtype(v, got));
}

/* Protocol: a string (a number or a name); an integer is taken too. */
static int entry_proto(const struct nacl_jdoc *d, const json_t *e,
		       const struct nacl_jpath *p,
		       const struct nacl_entry_fmt *f, int *proto)
{
	struct nacl_jpath q = nacl_jp_key(p, f->protocol);
	json_t *v = json_object_get(e, f->protocol);
	char msg[NACL_MSG_LEN], got[32];

	if (v && json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < -1 || n > 255)
			return nacl_jfail(d, &q,
					  "protocol number %" JSON_INTEGER_FORMAT " is out of range: expected 0..255 or -1 (all)",
					  n);
		*proto = (int)n;
		return 0;
	}
	if (!nacl_jset(d, v))
		return nacl_jfail(d, &q, "missing: expected %s", f->proto_want);
	if (!json_is_string(v))
		return nacl_jfail(d, &q, "expected %s, got %s", f->proto_want,
				  nacl_jtype(v, got));
	if (nacl_check_proto(json_string_value(v), proto, msg))
		return nacl_jfail(d, &q, "%s", msg);
	return 0;
}

/* CidrBlock or Ipv6CidrBlock: exactly one, of its own family. */
static int entry_cidr(const struct nacl_jdoc *d, const json_t *e,
		      const struct nacl_jpath *p,
		      const struct nacl_entry_fmt *f, struct naclemu_cidr *c)
{
	bool v6 = nacl_jset(d, json_object_get(e, f->cidr6)), host_bits;
	bool v4 = nacl_jset(d, json_object_get(e, f->cidr));
	const char *key = v6 ? f->cidr6 : f->cidr, *s;
	char msg[NACL_MSG_LEN], cbuf[64], q[NACL_QUOTE_LEN];
	struct nacl_jpath kp = nacl_jp_key(p, key);
	int ret;

	if (v6 && v4)
		return nacl_jfail(d, p, "has both %s and %s: expected exactly one",
				  f->cidr, f->cidr6);
	if (!v6 && !v4)
		return nacl_jfail(d, p,
				  "missing %s or %s: expected exactly one",
				  f->cidr, f->cidr6);
	ret = nacl_jstr(d, e, p, key,
			v6 ? "an IPv6 CIDR string" : "an IPv4 CIDR string", &s);
	if (ret)
		return ret;
	if (nacl_check_cidr(s, v6 ? 6 : 4, c, &host_bits, msg))
		return nacl_jfail(d, &kp, "%s", msg);
	if (host_bits)
		nacl_jwarn(d, &kp, "host bits set in %s: using %s",
			   nacl_quote(s, q), nacl_cidr_str(c, cbuf));
	return 0;
}

/*
 * The object @f->ports / @f->icmp of @e (*@v, *@q), or @e itself in the flat
 * form.  Return: whether the fields say something (for "ignored").
 */
static bool entry_holder(const struct nacl_jdoc *d, const json_t *e,
			 const struct nacl_jpath *p, const char *obj,
			 const char *k1, const char *k2, json_t **v,
			 struct nacl_jpath *q)
{
	if (obj) {
		*q = nacl_jp_key(p, obj);
		*v = json_object_get(e, obj);
		return *v != NULL;
	}
	*q = nacl_jp_key(p, k1);
	*v = (json_t *)e;
	return flat_set(d, e, k1) || flat_set(d, e, k2);
}

/* PortRange {From, To}: required for tcp and udp, ignored otherwise (AWS). */
static int entry_ports(const struct nacl_jdoc *d, const json_t *e,
		       const struct nacl_jpath *p,
		       const struct nacl_entry_fmt *f, struct nacl_rule *r)
{
	char pbuf[8], got[32];
	struct nacl_jpath q, hp;
	long from, to;
	bool given;
	json_t *v;
	int ret;

	r->port_from = 0;
	r->port_to = 65535;
	given = entry_holder(d, e, p, f->ports, f->from, f->to, &v, &q);
	if (r->protocol != NACLEMU_PROTO_TCP && r->protocol != NACLEMU_PROTO_UDP) {
		if (given)
			nacl_jwarn(d, &q, "ignored: protocol %s has no ports",
				   nacl_proto_name(r->protocol, pbuf));
		return 0;
	}
	if (f->ports) {
		if (!given)
			return nacl_jfail(d, &q,
					  "missing: protocol %s needs a port range {\"%s\": N, \"%s\": M}",
					  nacl_proto_name(r->protocol, pbuf),
					  f->from, f->to);
		if (!json_is_object(v))
			return nacl_jfail(d, &q,
					  "expected an object {\"%s\": N, \"%s\": M}, got %s",
					  f->from, f->to, nacl_jtype(v, got));
		hp = q;
	} else {
		const char *miss = !nacl_jset(d, json_object_get(e, f->from)) ? f->from :
				   !nacl_jset(d, json_object_get(e, f->to))   ? f->to :
										NULL;

		if (miss) {
			q = nacl_jp_key(p, miss);
			return nacl_jfail(d, &q,
					  "missing: protocol %s needs %s and %s",
					  nacl_proto_name(r->protocol, pbuf),
					  f->from, f->to);
		}
		hp = *p;
	}
	ret = nacl_jint(d, v, &hp, f->from, 0, 65535, true, 0, &from);
	if (!ret)
		ret = nacl_jint(d, v, &hp, f->to, 0, 65535, true, 0, &to);
	if (ret)
		return ret;
	if (from > to)
		return nacl_jfail(d, &q, "port range %ld-%ld is reversed", from,
				  to);
	r->port_from = (uint16_t)from;
	r->port_to = (uint16_t)to;
	return 0;
}

/*
 * IcmpTypeCode {Type, Code}: for protocol 1, and 58 with an IPv6 CIDR;
 * absent or -1 means any.  An IPv4 rule with 58 matches every type (AWS
 * CreateNetworkAclEntry), so a type there is dropped with a warning.
 */
static int entry_icmp(const struct nacl_jdoc *d, const json_t *e,
		      const struct nacl_jpath *p,
		      const struct nacl_entry_fmt *f, struct nacl_rule *r)
{
	/* Flat: what Terraform stores, and the provider sends, when unset */
	long def = f->icmp ? NACL_ICMP_ANY : 0, type, code;
	struct nacl_jpath q, hp;
	char pbuf[8], got[32];
	bool given;
	json_t *v;
	int ret;

	r->icmp_type = r->icmp_code = NACL_ICMP_ANY;
	given = entry_holder(d, e, p, f->icmp, f->type, f->code, &v, &q);
	if (r->protocol != NACLEMU_PROTO_ICMP &&
	    r->protocol != NACLEMU_PROTO_ICMPV6) {
		if (given)
			nacl_jwarn(d, &q, "ignored: protocol %s has no ICMP type",
				   nacl_proto_name(r->protocol, pbuf));
		return 0;
	}
	if (f->icmp && !given)
		return 0;
	if (f->icmp && !json_is_object(v))
		return nacl_jfail(d, &q,
				  "expected an object {\"%s\": T, \"%s\": C}, got %s",
				  f->type, f->code, nacl_jtype(v, got));
	hp = f->icmp ? q : *p;
	ret = nacl_jint(d, v, &hp, f->type, -1, 255, false, def, &type);
	if (!ret)
		ret = nacl_jint(d, v, &hp, f->code, -1, 255, false, def, &code);
	if (ret)
		return ret;
	if (!f->icmp && type < 0 && code == 0)
		code = NACL_ICMP_ANY; /* every type: the stored 0 is no code */
	if (type < 0 && code >= 0)
		return nacl_jfail(d, &q,
				  "ICMP code %ld without a type: expected %s %s, or -1/-1 for all",
				  code, f->icmp ? "a" : "an", f->type);
	if (r->protocol == NACLEMU_PROTO_ICMPV6 && r->cidr.family == 4) {
		if (type >= 0 && (f->icmp || given))
			nacl_jwarn(d, &q,
				   "icmpv6 with an IPv4 CIDR matches every type: AWS ignores type/code %ld/%ld",
				   type, code);
		return 0;
	}
	r->icmp_type = (int16_t)type;
	r->icmp_code = (int16_t)code;
	return 0;
}

int nacl_json_entry(const struct nacl_jdoc *d, const json_t *e,
		    const struct nacl_jpath *p, const struct nacl_entry_fmt *f,
		    int dir_in, struct nacl_rule *r, enum naclemu_dir *dir)
{
	char got[32], qs[NACL_QUOTE_LEN];
	const char *action;
	struct nacl_jpath q;
	long num = 0;
	int ret, proto;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(e))
		return nacl_jfail(d, p,
				  "expected an object (a network ACL entry), got %s",
				  nacl_jtype(e, got));
	ret = entry_number(d, e, p, f, &num);
	if (ret)
		return ret;
	if (dir_in < 0) {
		ret = entry_dir(d, e, p, f, dir);
		if (ret)
			return ret;
	} else {
		*dir = (enum naclemu_dir)dir_in;
	}
	d->rs->has_dir[*dir] = true;

	ret = nacl_jstr(d, e, p, f->action, "\"allow\" or \"deny\"", &action);
	if (ret)
		return ret;
	if (!strcasecmp(action, "allow")) {
		r->allow = true;
	} else if (strcasecmp(action, "deny")) {
		q = nacl_jp_key(p, f->action);
		return nacl_jfail(d, &q,
				  "unknown action '%s': expected allow or deny",
				  nacl_quote(action, qs));
	}
	ret = entry_proto(d, e, p, f, &proto);
	if (ret)
		return ret;
	r->protocol = (int16_t)proto;
	ret = entry_cidr(d, e, p, f, &r->cidr);
	if (!ret)
		ret = entry_ports(d, e, p, f, r);
	if (!ret)
		ret = entry_icmp(d, e, p, f, r);
	if (ret)
		return ret;

	if (num == NACLEMU_RULE_DEFAULT_V4 || num == NACLEMU_RULE_DEFAULT_V6) {
		int fam = num == NACLEMU_RULE_DEFAULT_V4 ? 4 : 6;

		/* Listed for completeness; always implied, never stored. */
		if (r->allow || r->protocol != NACLEMU_PROTO_ALL ||
		    r->cidr.prefix_len || r->cidr.family != fam)
			return nacl_jfail(d, p,
					  "entry %ld is the default rule *: expected deny, protocol -1 and %s",
					  num, fam == 4 ? "CidrBlock 0.0.0.0/0" :
							  "Ipv6CidrBlock ::/0");
		return NACL_ENTRY_DEFAULT;
	}
	r->number = (uint16_t)num;
	return 0;
}

int nacl_json_add(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		  enum naclemu_dir dir, struct nacl_rule *r)
{
	char where[NACL_JPATH_LEN + 2];

	nacl_jpos(d, p, &r->line, &r->col);
	nacl_rule_str(r, r->text);
	nacl_jp_str(p, where, sizeof(where) - 2);
	strcat(where, ": ");
	return nacl_add_rule(d->rs, dir, r, where, d->err);
}

/* ---- selection ---------------------------------------------------------------- */

/* "a, b" for messages: @names[] (only those that match if @match). */
static void list_names(const char *const *names, const bool *match, size_t n,
		       char *buf, size_t size)
{
	char q[NACL_NAME_LEN];
	size_t off = 0;

	snprintf(buf, size, "none");
	for (size_t i = 0; i < n && off + 4 < size; i++) {
		int w;

		if (match && !match[i])
			continue;
		w = snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
			     nacl_quote_n(names[i], q, sizeof(q)));
		if (w < 0 || (size_t)w >= size - off) {
			snprintf(buf + off, size - off, "%s...", off ? ", " : "");
			break;
		}
		off += (size_t)w;
	}
}

/* The error for a selection that matched @nmatch (not 1) of @n ACLs. */
static int select_fail(char err[NACL_MSG_LEN], const char *name,
		       const char *const *names, const bool *match, size_t n,
		       size_t nmatch, const struct nacl_select *sel)
{
	char all[200], q1[NACL_NAME_LEN], q2[NACL_NAME_LEN];

	if (nmatch > 1) {
		list_names(names, match, n, all, sizeof(all));
		return nacl_fmt_err(err, name, 0, 0,
				    "%zu network ACLs in this file (%s): choose one with --acl ID or --subnet-id ID",
				    nmatch, all);
	}
	list_names(names, NULL, n, all, sizeof(all));
	if (sel->acl_id && sel->subnet_id)
		return nacl_fmt_err(err, name, 0, 0,
				    "no network ACL %s associated with %s in this file (it has %s)",
				    nacl_quote_n(sel->acl_id, q1, sizeof(q1)),
				    nacl_quote_n(sel->subnet_id, q2, sizeof(q2)), all);
	if (sel->acl_id)
		return nacl_fmt_err(err, name, 0, 0,
				    "no network ACL %s in this file (it has %s)",
				    nacl_quote_n(sel->acl_id, q1, sizeof(q1)), all);
	if (sel->subnet_id)
		return nacl_fmt_err(err, name, 0, 0,
				    "no network ACL associated with %s in this file (it has %s)",
				    nacl_quote_n(sel->subnet_id, q2, sizeof(q2)), all);
	return nacl_fmt_err(err, name, 0, 0, "no network ACL in this file");
}

int nacl_select_one(char err[NACL_MSG_LEN], const char *file, size_t n,
		    nacl_acl_fn acl, void *ctx, const struct nacl_select *sel,
		    size_t *k)
{
	static const struct nacl_select none;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	bool *match = calloc(n ? n : 1, sizeof(*match));
	size_t nmatch = 0;
	int ret = 0;

	if (!sel)
		sel = &none;
	if (!names || !match) {
		snprintf(err, NACL_MSG_LEN, "%s: out of memory", file);
		ret = -ENOMEM;
	}
	for (size_t i = 0; i < n && !ret; i++) {
		ret = acl(ctx, i, &names[i], &match[i]);
		if (!ret && match[i] && !nmatch++)
			*k = i;
	}
	if (!ret && nmatch != 1)
		ret = select_fail(err, file, names, match, n, nmatch, sel);
	free(names);
	free(match);
	return ret;
}
