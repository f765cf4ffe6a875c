// SPDX-License-Identifier: MIT
/*
 * yaml.c - a CloudFormation template written in YAML, loaded with libyaml's
 * document loader and converted to a jansson tree that keeps the line and
 * column of every value (struct nacl_marks), so that one code path reads
 * JSON and YAML templates (yaml.h).
 *
 * Scalars take the types of the YAML 1.2 core schema.  YAML short forms
 * (!Ref X, !GetAtt A.B, !Sub ..., !If [...], ...) become their long forms
 * ({"Ref": X}, {"Fn::GetAtt": ["A", "B"]}, ...).  Aliases are expanded
 * (CloudFormation itself takes none); the expansion is capped against alias
 * bombs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "rules/jdoc.h"
#include "rules/model.h"
#include "rules/validate.h"
#include "rules/yaml.h"

/* YAML values made, aliases expanded: far above any real template. */
#define CFN_YAML_MAX_NODES 100000
/* Nesting of YAML values. */
#define CFN_YAML_MAX_DEPTH 64

/* A conversion under way: the document, where marks and the error go. */
struct yconv {
	yaml_document_t *doc;
	struct nacl_marks *marks;
	const char *name;
	char *err;
	size_t count;
};

/* The error "FILE:LINE:COL: message" at node @n; returns NULL. */
static json_t *y_err(struct yconv *y, const yaml_node_t *n, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
static json_t *y_err(struct yconv *y, const yaml_node_t *n, const char *fmt,
		     ...)
{
	va_list ap;

	va_start(ap, fmt);
	nacl_fmt_errv(y->err, y->name, (uint32_t)n->start_mark.line + 1,
		      (uint32_t)n->start_mark.column + 1, fmt, ap);
	va_end(ap);
	return NULL;
}

/* "!GetAtt" -> "Fn::GetAtt"; NULL for a tag that is no short form. */
static const char *short_form(const char *tag, char buf[32])
{
	static const char *const fns[] = {
		"Base64", "Cidr",   "FindInMap", "GetAtt", "GetAZs",
		"ImportValue", "Join", "Select", "Split", "Sub",
		"Transform", "And", "Equals", "If", "Not", "Or",
		"Length", "ToJsonString",
	};

	if (!strcmp(tag, "!Ref") || !strcmp(tag, "!Condition"))
		return tag + 1;
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if (!strcmp(tag + 1, fns[i])) {
			snprintf(buf, 32, "Fn::%s", fns[i]);
			return buf;
		}
	}
	return NULL;
}

/* The implicit type of a plain scalar (YAML 1.2 core schema). */
static json_t *y_plain(const char *s, size_t n)
{
	size_t i = 0, digits = 0;
	bool frac = false;
	char *end;

	if (!n || (n == 1 && s[0] == '~') ||
	    (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
			!memcmp(s, "NULL", 4))))
		return json_null();
	if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) ||
			!memcmp(s, "TRUE", 4))))
		return json_true();
	if ((n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) ||
			!memcmp(s, "FALSE", 5))))
		return json_false();
	if (s[0] == '-' || s[0] == '+')
		i++;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && !frac)
			frac = true;
		else
			break;
	}
	if (i == n && digits && n < 20 && !memchr(s, '\0', n)) {
		char num[24];

		memcpy(num, s, n);
		num[n] = '\0';
		if (!frac)
			return json_integer(strtoll(num, &end, 10));
		return json_real(strtod(num, &end));
	}
	return json_stringn(s, n);
}

/* A scalar with its tag: core schema tags, or a plain scalar's own type. */
static json_t *y_scalar(const yaml_node_t *n)
{
	const char *tag = (const char *)n->tag, *s;
	size_t len = n->data.scalar.length;
	char num[24];

	s = (const char *)n->data.scalar.value;
	if (!strcmp(tag, YAML_STR_TAG))
		return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ?
			       y_plain(s, len) :
			       json_stringn(s, len);
	if ((!strcmp(tag, YAML_INT_TAG) || !strcmp(tag, YAML_FLOAT_TAG) ||
	     !strcmp(tag, YAML_BOOL_TAG) || !strcmp(tag, YAML_NULL_TAG)) &&
	    len < sizeof(num)) {
		json_t *v = y_plain(s, len);

		if (v && !json_is_string(v))
			return v;
		json_decref(v);
	}
	return json_stringn(s, len);
}

static json_t *y_node(struct yconv *y, yaml_node_t *n, int depth);

/* A mapping: keys are scalars, each once. */
static json_t *y_mapping(struct yconv *y, yaml_node_t *n, int depth)
{
	json_t *obj = json_object();

	if (!obj) {
		nacl_oom(y->name, y->err);
		return NULL;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, pr->value);
		char q[NACL_QUOTE_LEN];
		const char *key;
		json_t *jv;

		if (!k || !v || k->type != YAML_SCALAR_NODE) {
			y_err(y, k ? k : n, "invalid YAML: a key must be a scalar");
			goto fail;
		}
		key = (const char *)k->data.scalar.value;
		if (json_object_get(obj, key)) {
			y_err(y, k, "invalid YAML: duplicate key '%s'",
			      nacl_quote(key, q));
			goto fail;
		}
		jv = y_node(y, v, depth + 1);
		if (!jv)
			goto fail;
		if (json_object_set_new(obj, key, jv)) {
			y_err(y, k, "invalid YAML: key '%s' is not UTF-8",
			      nacl_quote(key, q));
			goto fail;
		}
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

/* @n (untagged) as a jansson value. */
static json_t *y_plain_node(struct yconv *y, yaml_node_t *n, int depth)
{
	json_t *v;

	switch (n->type) {
	case YAML_SCALAR_NODE:
		v = y_scalar(n);
		break;
	case YAML_SEQUENCE_NODE:
		v = json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     v && it < n->data.sequence.items.top; it++) {
			yaml_node_t *c = yaml_document_get_node(y->doc, *it);
			json_t *jc = c ? y_node(y, c, depth + 1) : NULL;

			if (!jc || json_array_append_new(v, jc)) {
				json_decref(v);
				return NULL;
			}
		}
		break;
	case YAML_MAPPING_NODE:
		return y_mapping(y, n, depth);
	default:
		v = json_null();
		break;
	}
	if (!v && !y->err[0])
		y_err(y, n, "invalid YAML: a string that is not UTF-8");
	return v;
}

/*
 * @n as a jansson value, marked with its position; a short-form tag
 * becomes its long form.  NULL with y->err set on failure.
 */
static json_t *y_node(struct yconv *y, yaml_node_t *n, int depth)
{
	uint32_t line = (uint32_t)n->start_mark.line + 1;
	uint32_t col = (uint32_t)n->start_mark.column + 1;
	const char *tag = (const char *)n->tag, *fn = NULL;
	char fbuf[32], q[NACL_QUOTE_LEN];
	json_t *v, *w;

	if (++y->count > CFN_YAML_MAX_NODES)
		return y_err(y, n,
			     "the YAML document expands to more than %d values (aliases?): refused",
			     CFN_YAML_MAX_NODES);
	if (depth > CFN_YAML_MAX_DEPTH)
		return y_err(y, n,
			     "YAML nested deeper than %d levels (an alias to itself?): refused",
			     CFN_YAML_MAX_DEPTH);
	if (tag && tag[0] == '!') {
		fn = short_form(tag, fbuf);
		if (!fn)
			return y_err(y, n,
				     "unknown YAML tag %s: expected a CloudFormation short form such as !Ref, !GetAtt or !Sub",
				     nacl_quote(tag, q));
	}
	if (fn && n->type == YAML_SCALAR_NODE) {
		const char *s = (const char *)n->data.scalar.value;
		const char *dot = strchr(s, '.');

		/* !GetAtt A.B is ["A", "B"]; every other scalar is a string */
		if (!strcmp(fn, "Fn::GetAtt") && dot)
			v = json_pack("[s#s]", s, (int)(dot - s), dot + 1);
		else
			v = json_stringn(s, n->data.scalar.length);
		if (!v)
			return y_err(y, n, "invalid YAML: a string that is not UTF-8");
	} else {
		v = y_plain_node(y, n, depth);
		if (!v)
			return NULL;
	}
	if (fn) {
		w = json_object();
		if (!w || json_object_set_new(w, fn, v)) {
			json_decref(w);
			nacl_oom(y->name, y->err);
			return NULL;
		}
		if (nacl_marks_add(y->marks, v, line, col)) {
			json_decref(w);
			nacl_oom(y->name, y->err);
			return NULL;
		}
		v = w;
	}
	if (nacl_marks_add(y->marks, v, line, col)) {
		json_decref(v);
		nacl_oom(y->name, y->err);
		return NULL;
	}
	return v;
}

/* libyaml's error, at its position. */
static int y_fail(const yaml_parser_t *ps, const char *name, const char *buf,
		  char *err)
{
	uint32_t line = (uint32_t)ps->problem_mark.line + 1;
	uint32_t col = (uint32_t)ps->problem_mark.column + 1;

	if (ps->error == YAML_MEMORY_ERROR)
		return nacl_oom(name, err);
	if (ps->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset, not a mark. */
		line = col = 1;
		for (size_t i = 0; i < ps->problem_offset; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
				col++;
			}
		}
	}
	if (ps->context)
		return nacl_fmt_err(err, name, line, col,
				    "invalid YAML: %s %s",
				    ps->problem ? ps->problem : "error", ps->context);
	return nacl_fmt_err(err, name, line, col, "invalid YAML: %s",
			    ps->problem ? ps->problem : "error");
}

int nacl_yaml_load(const char *name, const char *buf, size_t len,
		   struct nacl_marks *marks, json_t **root,
		   char err[NACL_MSG_LEN])
{
	struct yconv y = { .marks = marks, .name = name, .err = err };
	yaml_document_t doc, more;
	yaml_parser_t ps;
	yaml_node_t *top;
	int ret = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&ps))
		return nacl_oom(name, err);
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&ps, &doc)) {
		ret = y_fail(&ps, name, buf, err);
		yaml_parser_delete(&ps);
		return ret;
	}
	top = yaml_document_get_root_node(&doc);
	if (!top) {
		ret = nacl_fmt_err(err, name, 0, 0,
				   "empty YAML document: expected a CloudFormation template");
		goto out;
	}
	/* A stream of several documents is not a template. */
	if (!yaml_parser_load(&ps, &more)) {
		ret = y_fail(&ps, name, buf, err);
		goto out;
	}
	if (yaml_document_get_root_node(&more))
		ret = nacl_fmt_err(err, name,
				   (uint32_t)more.start_mark.line + 1,
				   (uint32_t)more.start_mark.column + 1,
				   "a second YAML document: expected one template");
	yaml_document_delete(&more);
	if (ret)
		goto out;
	y.doc = &doc;
	err[0] = '\0';
	*root = y_node(&y, top, 0);
	if (!*root)
		ret = -EINVAL;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	return ret;
}
