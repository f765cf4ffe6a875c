// SPDX-License-Identifier: MIT
/*
 * jdoc.c - a JSON or YAML document as the Terraform, CloudFormation and
 * AWS JSON readers see it (jdoc.h): paths to its values and their
 * positions (found again in the JSON text, which jansson does not keep, or
 * recorded while converting YAML), messages "FILE:LINE:COL: PATH: ..." at
 * a value, and typed members.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/jdoc.h"
#include "rules/model.h"
#include "rules/validate.h"

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

bool nacl_jint_value(const struct nacl_jdoc *d, const json_t *v, long *out)
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

int nacl_jint_fail(const struct nacl_jdoc *d, const struct nacl_jpath *p,
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
	if (!nacl_jint_value(d, v, out) || *out < min || *out > max)
		return nacl_jint_fail(d, &q, v, range);
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
