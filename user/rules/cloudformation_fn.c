// SPDX-License-Identifier: MIT
/*
 * cloudformation_fn.c - CloudFormation's intrinsic functions, resolved
 * offline where the template alone says the value (cloudformation.h): Ref
 * to a parameter (--param NAME=VALUE, else its Default), Fn::Sub over
 * parameters, Fn::Join, Fn::Select, Fn::FindInMap.  Anything else in a
 * field naclemu needs (Fn::GetAtt, Fn::ImportValue, Ref to a resource or to
 * AWS::Region, ...) is an error that names the logical ID and the property:
 * nothing is guessed.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "rules/cloudformation.h"
#include "rules/jdoc.h"
#include "rules/validate.h"

/* Nesting of intrinsic functions in one property. */
#define CFN_EVAL_MAX_DEPTH 16
/* Longest string that Fn::Sub or Fn::Join builds. */
#define CFN_STR_MAX 4096

bool cfn_intrinsic(const json_t *v, const char **fn, json_t **arg)
{
	void *it;

	if (!json_is_object(v) || json_object_size(v) != 1)
		return false;
	it = json_object_iter((json_t *)v);
	*fn = json_object_iter_key(it);
	*arg = json_object_iter_value(it);
	return !strcmp(*fn, "Ref") || !strcmp(*fn, "Condition") ||
	       !strncmp(*fn, "Fn::", 4);
}

/* What is being resolved, for messages: @logical is quoted. */
struct cfn_what {
	char logical[NACL_NAME_LEN];
	const char *prop;
	struct nacl_jpath path;
};

static int cfn_eval(struct cfn_ctx *c, const json_t *v,
		    const struct cfn_what *w, int depth, json_t **out);

/* "LOGICAL's PROP uses FN, which naclemu cannot resolve offline" */
static int cfn_unresolved(struct cfn_ctx *c, const struct cfn_what *w,
			  const char *what)
{
	return nacl_jfail(&c->d, &w->path,
			  "%s's %s uses %s, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter",
			  w->logical, w->prop, what);
}

/* The value of parameter @name: --param, else its Default. */
static int cfn_param(struct cfn_ctx *c, const char *name,
		     const struct cfn_what *w, json_t **out)
{
	json_t *v = json_object_get(c->given, name);
	char q[NACL_QUOTE_LEN];

	if (!v)
		v = json_object_get(json_object_get(c->params, name), "Default");
	if (!v)
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s refers to parameter %s, which has no Default: give its value with --param %s=VALUE",
				  w->logical, w->prop, nacl_quote(name, q), q);
	*out = json_copy(v);
	return *out ? 0 : nacl_oom(c->d.name, c->d.err);
}

/* Ref: a parameter; AWS::NoValue (*out NULL); anything else is not offline. */
static int cfn_ref(struct cfn_ctx *c, const json_t *arg,
		   const struct cfn_what *w, json_t **out)
{
	const char *s = json_string_value(arg);
	char q[NACL_QUOTE_LEN], what[96];

	*out = NULL;
	if (!s)
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: Ref expects a parameter or logical ID",
				  w->logical, w->prop);
	if (!strcmp(s, "AWS::NoValue"))
		return 0;
	if (json_object_get(c->params, s))
		return cfn_param(c, s, w, out);
	if (json_object_get(c->resources, s))
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s refers to resource %s, whose ID exists only once the stack is created: naclemu cannot resolve it offline",
				  w->logical, w->prop, nacl_quote(s, q));
	if (!strncmp(s, "AWS::", 5)) {
		snprintf(what, sizeof(what), "the pseudo parameter %s",
			 nacl_quote(s, q));
		return cfn_unresolved(c, w, what);
	}
	return nacl_jfail(&c->d, &w->path,
			  "%s's %s refers to %s, which is neither a parameter nor a resource of this template",
			  w->logical, w->prop, nacl_quote(s, q));
}

/* Append @n bytes of @s to @buf (*@off used of CFN_STR_MAX). */
static int cfn_append(struct cfn_ctx *c, const struct cfn_what *w,
		      const char *fn, char *buf, size_t *off, const char *s,
		      size_t n)
{
	if (*off + n >= CFN_STR_MAX)
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: %s builds a string longer than %d bytes",
				  w->logical, w->prop, fn, CFN_STR_MAX);
	memcpy(buf + *off, s, n);
	*off += n;
	buf[*off] = '\0';
	return 0;
}

/* Append the scalar @v as text to @buf. */
static int cfn_text(struct cfn_ctx *c, const json_t *v,
		    const struct cfn_what *w, const char *fn, char *buf,
		    size_t *off)
{
	char num[40], got[32];
	const char *s = num;

	if (json_is_string(v))
		s = json_string_value(v);
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%g", json_real_value(v));
	else if (json_is_boolean(v))
		s = json_is_true(v) ? "true" : "false";
	else
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: %s expects strings, got %s",
				  w->logical, w->prop, fn, nacl_jtype(v, got));
	return cfn_append(c, w, fn, buf, off, s, strlen(s));
}

/* A new string @buf into *@out. */
static int cfn_string(struct cfn_ctx *c, const char *buf, json_t **out)
{
	*out = json_string(buf);
	return *out ? 0 : nacl_oom(c->d.name, c->d.err);
}

/* Fn::Sub's variable @name: of @vars, else a parameter. */
static int cfn_sub_var(struct cfn_ctx *c, const json_t *vars,
		       const char *name, const struct cfn_what *w, int depth,
		       json_t **val)
{
	char q[NACL_QUOTE_LEN], what[96];

	if (json_object_get(vars, name))
		return cfn_eval(c, json_object_get(vars, name), w, depth + 1,
				val);
	if (json_object_get(c->params, name))
		return cfn_param(c, name, w, val);
	snprintf(what, sizeof(what), "Fn::Sub with the variable ${%s}",
		 nacl_quote(name, q));
	return cfn_unresolved(c, w, what);
}

/* Fn::Sub "text ${Param} ${!Literal}", or ["text ${x}", {"x": ...}]. */
static int cfn_sub(struct cfn_ctx *c, const json_t *arg,
		   const struct cfn_what *w, int depth, json_t **out)
{
	const json_t *vars = NULL;
	const char *s = json_string_value(arg), *open;
	char buf[CFN_STR_MAX], name[128];
	size_t off = 0;
	int ret = 0;

	buf[0] = '\0';
	if (json_is_array(arg) && json_array_size(arg) == 2) {
		s = json_string_value(json_array_get(arg, 0));
		vars = json_array_get(arg, 1);
	}
	if (!s)
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: Fn::Sub expects a string or [string, {variables}]",
				  w->logical, w->prop);
	while (!ret && (open = strstr(s, "${"))) {
		const char *close = strchr(open, '}');
		json_t *val = NULL;

		if (!close)
			return nacl_jfail(&c->d, &w->path,
					  "%s's %s: Fn::Sub has a ${ without its }",
					  w->logical, w->prop);
		ret = cfn_append(c, w, "Fn::Sub", buf, &off, s,
				 (size_t)(open - s));
		snprintf(name, sizeof(name), "%.*s", (int)(close - open - 2),
			 open + 2);
		s = close + 1;
		if (ret)
			break;
		/* ${!Literal} is the text ${Literal} */
		if (name[0] == '!') {
			ret = cfn_append(c, w, "Fn::Sub", buf, &off, "${", 2);
			if (!ret)
				ret = cfn_append(c, w, "Fn::Sub", buf, &off,
						 open + 3, (size_t)(close - open - 2));
			continue;
		}
		ret = cfn_sub_var(c, vars, name, w, depth, &val);
		if (!ret && val)
			ret = cfn_text(c, val, w, "Fn::Sub", buf, &off);
		json_decref(val);
	}
	if (!ret)
		ret = cfn_append(c, w, "Fn::Sub", buf, &off, s, strlen(s));
	return ret ? ret : cfn_string(c, buf, out);
}

/* Fn::Join [delimiter, [values]]. */
static int cfn_join(struct cfn_ctx *c, const json_t *arg,
		    const struct cfn_what *w, int depth, json_t **out)
{
	const json_t *delim = json_array_get(arg, 0), *list = json_array_get(arg, 1);
	char buf[CFN_STR_MAX];
	size_t off = 0, i;
	json_t *item;
	int ret = 0;

	buf[0] = '\0';
	if (json_array_size(arg) != 2 || !json_is_string(delim) ||
	    !json_is_array(list))
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: Fn::Join expects [delimiter, [values]]",
				  w->logical, w->prop);
	json_array_foreach(list, i, item) {
		json_t *val = NULL;

		ret = cfn_eval(c, item, w, depth + 1, &val);
		if (!ret && val && i)
			ret = cfn_text(c, delim, w, "Fn::Join", buf, &off);
		if (!ret && val)
			ret = cfn_text(c, val, w, "Fn::Join", buf, &off);
		json_decref(val);
		if (ret)
			return ret;
	}
	return cfn_string(c, buf, out);
}

/* Fn::Select [index, [values] or a comma-delimited list]. */
static int cfn_select(struct cfn_ctx *c, const json_t *arg,
		      const struct cfn_what *w, int depth, json_t **out)
{
	json_t *idx = NULL, *list = NULL, *item;
	long n = -1;
	int ret;

	if (json_array_size(arg) != 2)
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: Fn::Select expects [index, [values]]",
				  w->logical, w->prop);
	ret = cfn_eval(c, json_array_get(arg, 0), w, depth + 1, &idx);
	if (!ret)
		ret = cfn_eval(c, json_array_get(arg, 1), w, depth + 1, &list);
	if (!ret) {
		const char *s = json_string_value(idx);

		if (json_is_integer(idx))
			n = (long)json_integer_value(idx);
		else if (s && nacl_parse_num(s, 0, 1000000, &n))
			n = -1;
		if (json_is_string(list)) {
			/* A CommaDelimitedList parameter's value */
			json_t *split = json_array();
			const char *p = json_string_value(list);

			while (split && p) {
				const char *comma = strchr(p, ',');
				size_t len = comma ? (size_t)(comma - p) : strlen(p);

				json_array_append_new(split, json_stringn(p, len));
				p = comma ? comma + 1 : NULL;
			}
			json_decref(list);
			list = split;
		}
		item = json_array_get(list, n < 0 ? (size_t)-1 : (size_t)n);
		if (!item)
			ret = nacl_jfail(&c->d, &w->path,
					 "%s's %s: Fn::Select: no element %ld in a list of %zu",
					 w->logical, w->prop, n,
					 json_array_size(list));
		else
			ret = cfn_eval(c, item, w, depth + 1, out);
	}
	json_decref(idx);
	json_decref(list);
	return ret;
}

/* Fn::FindInMap [MapName, TopLevelKey, SecondLevelKey]. */
static int cfn_find_in_map(struct cfn_ctx *c, const json_t *arg,
			   const struct cfn_what *w, int depth, json_t **out)
{
	json_t *key[3] = { NULL, NULL, NULL };
	const json_t *v = c->mappings;
	char q[3][NACL_QUOTE_LEN];
	int ret = 0;

	if (json_array_size(arg) < 3)
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: Fn::FindInMap expects [MapName, TopLevelKey, SecondLevelKey]",
				  w->logical, w->prop);
	for (int i = 0; i < 3 && !ret; i++) {
		ret = cfn_eval(c, json_array_get(arg, (size_t)i), w, depth + 1,
			       &key[i]);
		if (!ret && !json_is_string(key[i]))
			ret = nacl_jfail(&c->d, &w->path,
					 "%s's %s: Fn::FindInMap expects names",
					 w->logical, w->prop);
		if (!ret)
			v = json_object_get(v, json_string_value(key[i]));
	}
	if (!ret && !v)
		ret = nacl_jfail(&c->d, &w->path,
				 "%s's %s: Fn::FindInMap: no Mappings.%s.%s.%s in this template",
				 w->logical, w->prop,
				 nacl_quote(json_string_value(key[0]), q[0]),
				 nacl_quote(json_string_value(key[1]), q[1]),
				 nacl_quote(json_string_value(key[2]), q[2]));
	if (!ret)
		ret = cfn_eval(c, v, w, depth + 1, out);
	for (int i = 0; i < 3; i++)
		json_decref(key[i]);
	return ret;
}

/*
 * @v resolved offline into *out: a new reference, or NULL for
 * AWS::NoValue.  A value that is no intrinsic function is itself.
 */
static int cfn_eval(struct cfn_ctx *c, const json_t *v,
		    const struct cfn_what *w, int depth, json_t **out)
{
	const char *fn;
	json_t *arg;

	*out = NULL;
	if (depth > CFN_EVAL_MAX_DEPTH)
		return nacl_jfail(&c->d, &w->path,
				  "%s's %s: intrinsic functions nested deeper than %d",
				  w->logical, w->prop, CFN_EVAL_MAX_DEPTH);
	if (!cfn_intrinsic(v, &fn, &arg)) {
		*out = json_incref((json_t *)v);
		return 0;
	}
	if (!strcmp(fn, "Ref"))
		return cfn_ref(c, arg, w, out);
	if (!strcmp(fn, "Fn::Sub"))
		return cfn_sub(c, arg, w, depth, out);
	if (!strcmp(fn, "Fn::Join"))
		return cfn_join(c, arg, w, depth, out);
	if (!strcmp(fn, "Fn::Select"))
		return cfn_select(c, arg, w, depth, out);
	if (!strcmp(fn, "Fn::FindInMap"))
		return cfn_find_in_map(c, arg, w, depth, out);
	return cfn_unresolved(c, w, fn);
}

int cfn_resolve(struct cfn_ctx *c, json_t *obj, const struct nacl_jpath *p,
		const char *logical, const char *key)
{
	struct cfn_what w = { .prop = key, .path = nacl_jp_key(p, key) };
	json_t *v = json_object_get(obj, key), *out;
	uint32_t line, col;
	int ret;

	if (!v)
		return 0;
	nacl_quote_n(logical, w.logical, sizeof(w.logical));
	ret = cfn_eval(c, v, &w, 0, &out);
	if (ret)
		return ret;
	if (out == v) {
		json_decref(out);
		return 0;
	}
	if (!out)
		return json_object_del(obj, key);
	nacl_jpos(&c->d, &w.path, &line, &col);
	if ((c->d.marks && nacl_marks_add(c->d.marks, out, line, col)) ||
	    json_object_set_new(obj, key, out))
		return nacl_oom(c->d.name, c->d.err);
	return 0;
}
