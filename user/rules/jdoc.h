/* SPDX-License-Identifier: MIT */
/*
 * jdoc.h - a JSON or YAML document being read (aws_json.c, terraform.c,
 * cloudformation.c): paths, positions, messages at a value, typed members.
 * Internal to the readers, and the host configuration's reader
 * (deploy/config.c).  Implemented in jdoc.c.
 */
#ifndef NACLEMU_RULES_JDOC_H
#define NACLEMU_RULES_JDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rules/model.h"

/* Deepest path kept: module.a.module.b... in Terraform nests this far. */
#define NACL_JPATH_MAX 24
/* Longest path written into a message ("values.root_module...to_port"). */
#define NACL_JPATH_LEN 256

/*
 * struct nacl_jpath - where a value is in a document: object keys and array
 * indexes from the top, rendered "resources[3].instances[0].attributes.
 * ingress[1].to_port".  Keys are not copied: they point into the document
 * or at static strings.  Past NACL_JPATH_MAX segments further ones are
 * dropped, so messages then name an enclosing value.
 */
struct nacl_jpath {
	int n;
	struct {
		const char *key; /* NULL: an array index */
		size_t idx;
	} seg[NACL_JPATH_MAX];
};

/* @p with one more key / index. */
struct nacl_jpath nacl_jp_key(const struct nacl_jpath *p, const char *key);
struct nacl_jpath nacl_jp_idx(const struct nacl_jpath *p, size_t idx);
/* "NetworkAcls[0].Entries[3].RuleNumber"; "" for the document itself. */
void nacl_jp_str(const struct nacl_jpath *p, char *buf, size_t size);

/*
 * struct nacl_marks - where each value of a document that was not JSON text
 * (YAML) was written: line and column (1-based, in characters), keyed by
 * the json_t the value became.  Each marked value holds a reference, so
 * that no other value can take its address while the marks live.
 */
struct nacl_marks {
	struct nacl_mark {
		const json_t *v;
		uint32_t line, col;
	} *m;
	size_t n, cap;
	bool sorted;
};

/* Mark @v at @line:@col.  Return: 0 or -ENOMEM. */
int nacl_marks_add(struct nacl_marks *mk, json_t *v, uint32_t line,
		   uint32_t col);
/* Drop the marks and their references; @mk is then empty. */
void nacl_marks_free(struct nacl_marks *mk);

/*
 * struct nacl_jdoc - a document being read, for messages.
 * @name: the file name in messages.
 * @buf, @len: the JSON text, where positions are found again (jansson keeps
 *        none); unused when @marks is set.
 * @root: the document; positions of @marks are looked up along paths in it.
 * @marks: positions of a YAML document's values, or NULL.
 * @lenient: numbers and booleans may be written as strings ("100", "true"),
 *        as CloudFormation accepts them.
 * @zero_unset: Terraform's convention: null and "" mean "not set", and so
 *        does 0 for the ports and ICMP fields of a protocol without them.
 * @rs, @err: where rules, warnings and the error go.
 */
struct nacl_jdoc {
	const char *name;
	const char *buf;
	size_t len;
	json_t *root;
	struct nacl_marks *marks;
	bool lenient;
	bool zero_unset;
	struct nacl_ruleset *rs;
	char *err;
};

/*
 * nacl_json_load() - parse @d->buf as JSON into @d->root (duplicate keys
 * refused, so that positions found in the text are the values jansson
 * read).  A leading UTF-8 byte order mark is dropped from @d->buf.
 * Return: 0, or -EINVAL with "NAME:LINE:COL: invalid JSON: ..." in @d->err.
 */
int nacl_json_load(struct nacl_jdoc *d);

/*
 * nacl_jpos() - line and column (1-based) of the value at @p, or of the
 * nearest enclosing value that can be found (a missing key points at its
 * object); 0, 0 if none.  Columns count characters, not bytes.
 */
void nacl_jpos(const struct nacl_jdoc *d, const struct nacl_jpath *p,
	       uint32_t *line, uint32_t *col);

/* Error "FILE:LINE:COL: PATH: message" into @d->err; returns -EINVAL. */
int nacl_jfail(const struct nacl_jdoc *d, const struct nacl_jpath *p,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Warning "FILE:LINE:COL: PATH: message" into @d->rs. */
void nacl_jwarn(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What @v is, for "expected X, got Y": "an object", "a string", "7", ... */
const char *nacl_jtype(const json_t *v, char buf[32]);

/*
 * nacl_jset() - whether a member is given: present, and with
 * @d->zero_unset neither null nor "".
 */
bool nacl_jset(const struct nacl_jdoc *d, const json_t *v);

/*
 * nacl_jint_value() - @v as an integer: a JSON integer or, when @d is
 * lenient, a string of a decimal integer ("-1", "100"); a string out of
 * range is LONG_MIN or LONG_MAX.  Return: whether it is one.
 */
bool nacl_jint_value(const struct nacl_jdoc *d, const json_t *v, long *out);

/*
 * nacl_jint_fail() - the error "expected an integer RANGE, got X" for @v
 * at @p (@range such as "1..32766").  Returns -EINVAL.
 */
int nacl_jint_fail(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		   const json_t *v, const char *range);

/*
 * nacl_jint() - @obj's integer member @key, in [@min, @max] (with
 * @d->lenient also a string of a decimal integer).  When it is not given
 * (nacl_jset): an error if @required, else *out = @def.
 * Return: 0, or -EINVAL with "expected an integer MIN..MAX, got X".
 */
int nacl_jint(const struct nacl_jdoc *d, const json_t *obj,
	      const struct nacl_jpath *p, const char *key, long min, long max,
	      bool required, long def, long *out);

/*
 * nacl_jstr() - @obj's string member @key (required); @want says what it
 * should be ("an IPv4 CIDR string").  Return: 0 or -EINVAL.
 */
int nacl_jstr(const struct nacl_jdoc *d, const json_t *obj,
	      const struct nacl_jpath *p, const char *key, const char *want,
	      const char **out);

#endif /* NACLEMU_RULES_JDOC_H */
