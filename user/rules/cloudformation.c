// SPDX-License-Identifier: MIT
/*
 * cloudformation.c - network ACLs from a CloudFormation template
 * (docs/semantics.md section 2, docs/formats.md), in JSON (jansson) or YAML
 * (libyaml's document loader, converted to a jansson tree that keeps the
 * line and column of every value, so that one code path reads both).
 *
 * Resources (AWS CloudFormation User Guide, "AWS::EC2" resource types):
 * AWS::EC2::NetworkAcl, its AWS::EC2::NetworkAclEntry resources grouped by
 * NetworkAclId: {Ref: LogicalId}, and AWS::EC2::SubnetNetworkAclAssociation
 * for --subnet-id.  Entry properties as AWS documents them: RuleNumber,
 * Protocol (a number), RuleAction, Egress (default false), CidrBlock /
 * Ipv6CidrBlock, PortRange {From, To}, Icmp {Code, Type}; numbers and
 * booleans written as strings are accepted, as CloudFormation accepts them.
 *
 * YAML short forms (!Ref X, !GetAtt A.B, !Sub ..., !If [...], ...) become
 * their long forms ({"Ref": X}, {"Fn::GetAtt": ["A", "B"]}, ...).  Aliases
 * are expanded (CloudFormation itself takes none); the expansion is capped
 * against alias bombs.
 *
 * A resource's Condition is not evaluated: the ACL and its entries are read
 * as if created, with a warning.
 *
 * Intrinsic functions are resolved offline where the template alone says
 * the value: Ref to a parameter (--param NAME=VALUE, else its Default),
 * Fn::Sub over parameters, Fn::Join, Fn::Select, Fn::FindInMap.  Anything
 * else in a field naclemu needs (Fn::GetAtt, Fn::ImportValue, Ref to a
 * resource or to AWS::Region, ...) is an error that names the logical ID
 * and the property: nothing is guessed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "rules/model.h"
#include "rules/read.h"
#include "rules/validate.h"

/* YAML values made, aliases expanded: far above any real template. */
#define CFN_YAML_MAX_NODES 100000
/* Nesting of YAML values, and of intrinsic functions in one property. */
#define CFN_YAML_MAX_DEPTH 64
#define CFN_EVAL_MAX_DEPTH 16
/* Longest string that Fn::Sub or Fn::Join builds. */
#define CFN_STR_MAX 4096

/*
 * AWS::EC2::NetworkAclEntry's properties are the EC2 API's names
 * (nacl_aws_entry) but Icmp {Code, Type}; Egress defaults to false,
 * Protocol is a number, and there are no default entries.
 */
static struct nacl_entry_fmt cfn_entry_fmt(void)
{
	struct nacl_entry_fmt f = nacl_aws_entry;

	f.egress_required = false;
	f.proto_want = "a protocol number such as 6 or -1";
	f.icmp = "Icmp";
	f.defaults = false;
	return f;
}

#define T_ACL "AWS::EC2::NetworkAcl"
#define T_ENTRY "AWS::EC2::NetworkAclEntry"
#define T_ASSOC "AWS::EC2::SubnetNetworkAclAssociation"

/* A network ACL: a NetworkAcl resource, or an ID that entries name. */
struct cfn_acl {
	const char *name; /* logical ID, or the ID */
	bool external;
};

/* An AWS::EC2::NetworkAclEntry and the ACL it belongs to. */
struct cfn_entry {
	const char *logical;
	json_t *props;
	struct nacl_jpath path; /* of props */
	size_t acl;
};

struct cfn_ctx {
	struct nacl_jdoc d;
	struct nacl_marks marks;
	const struct nacl_select *sel;
	json_t *params, *mappings, *resources;
	json_t *given; /* --param values, by name */
	struct cfn_acl *acls;
	size_t nacls;
	struct cfn_entry *entries;
	size_t nentries;
};

static int cfn_oom(const char *name, char *err)
{
	snprintf(err, NACL_MSG_LEN, "%s: out of memory", name);
	return -ENOMEM;
}

/* ---- YAML to jansson ------------------------------------------------------------ */

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
		cfn_oom(y->name, y->err);
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
			cfn_oom(y->name, y->err);
			return NULL;
		}
		if (nacl_marks_add(y->marks, v, line, col)) {
			json_decref(w);
			cfn_oom(y->name, y->err);
			return NULL;
		}
		v = w;
	}
	if (nacl_marks_add(y->marks, v, line, col)) {
		json_decref(v);
		cfn_oom(y->name, y->err);
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
		return cfn_oom(name, err);
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

/* Load @buf as one YAML document into c->d.root, positions in c->marks. */
static int y_load(struct cfn_ctx *c, const char *buf, size_t len)
{
	struct yconv y = { .marks = &c->marks, .name = c->d.name, .err = c->d.err };
	yaml_document_t doc, more;
	yaml_parser_t ps;
	yaml_node_t *root;
	int ret = 0;

	if (!yaml_parser_initialize(&ps))
		return cfn_oom(c->d.name, c->d.err);
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&ps, &doc)) {
		ret = y_fail(&ps, c->d.name, buf, c->d.err);
		yaml_parser_delete(&ps);
		return ret;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		ret = nacl_fmt_err(c->d.err, c->d.name, 0, 0,
				   "empty YAML document: expected a CloudFormation template");
		goto out;
	}
	/* A stream of several documents is not a template. */
	if (!yaml_parser_load(&ps, &more)) {
		ret = y_fail(&ps, c->d.name, buf, c->d.err);
		goto out;
	}
	if (yaml_document_get_root_node(&more))
		ret = nacl_fmt_err(c->d.err, c->d.name,
				   (uint32_t)more.start_mark.line + 1,
				   (uint32_t)more.start_mark.column + 1,
				   "a second YAML document: expected one template");
	yaml_document_delete(&more);
	if (ret)
		goto out;
	y.doc = &doc;
	c->d.err[0] = '\0';
	c->d.root = y_node(&y, root, 0);
	if (!c->d.root)
		ret = -EINVAL;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	return ret;
}

/* ---- intrinsic functions ----------------------------------------------------------- */

/* @v is {"Ref": ...}, {"Condition": ...} or {"Fn::X": ...}: *fn and *arg. */
static bool cfn_intrinsic(const json_t *v, const char **fn, json_t **arg)
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
	return *out ? 0 : cfn_oom(c->d.name, c->d.err);
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
	return *out ? 0 : cfn_oom(c->d.name, c->d.err);
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

/*
 * Replace @obj's member @key (a property of @logical at @p) by its value
 * resolved offline; AWS::NoValue removes it.  The new value keeps the
 * position of what it replaces.
 */
static int cfn_resolve(struct cfn_ctx *c, json_t *obj,
		       const struct nacl_jpath *p, const char *logical,
		       const char *key)
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
		return cfn_oom(c->d.name, c->d.err);
	return 0;
}

/* ---- the template ------------------------------------------------------------------ */

/* @obj's member @key: absent (NULL) or an object. */
static int cfn_object(struct cfn_ctx *c, const json_t *obj,
		      const struct nacl_jpath *p, const char *key, json_t **out)
{
	struct nacl_jpath q = nacl_jp_key(p, key);
	char got[32];

	*out = json_object_get(obj, key);
	if (*out && !json_is_object(*out))
		return nacl_jfail(&c->d, &q, "expected an object, got %s",
				  nacl_jtype(*out, got));
	return 0;
}

/* The top level: AWSTemplateFormatVersion, Parameters, Mappings, Resources. */
static int cfn_top(struct cfn_ctx *c)
{
	struct nacl_jpath top = { 0 }, q = nacl_jp_key(&top, "AWSTemplateFormatVersion");
	json_t *root = c->d.root, *v;
	char got[32], qs[NACL_QUOTE_LEN];
	int ret;

	if (!json_is_object(root))
		return nacl_jfail(&c->d, &top,
				  "expected an object: a CloudFormation template, got %s",
				  nacl_jtype(root, got));
	v = json_object_get(root, "AWSTemplateFormatVersion");
	if (v && (!json_is_string(v) ||
		  strcmp(json_string_value(v), "2010-09-09")))
		return nacl_jfail(&c->d, &q,
				  "expected \"2010-09-09\" (the only version), got %s",
				  json_is_string(v) ? nacl_quote(json_string_value(v), qs) :
						      nacl_jtype(v, got));
	ret = cfn_object(c, root, &top, "Parameters", &c->params);
	if (!ret)
		ret = cfn_object(c, root, &top, "Mappings", &c->mappings);
	if (!ret)
		ret = cfn_object(c, root, &top, "Resources", &c->resources);
	if (!ret && !c->resources) {
		q = nacl_jp_key(&top, "Resources");
		ret = nacl_jfail(&c->d, &q,
				 "missing: expected the template's resources");
	}
	return ret;
}

/* --param NAME=VALUE: each a parameter of the template. */
static int cfn_given(struct cfn_ctx *c)
{
	const struct nacl_select *sel = c->sel;
	char q[NACL_QUOTE_LEN];

	c->given = json_object();
	if (!c->given)
		return cfn_oom(c->d.name, c->d.err);
	for (size_t i = 0; i < sel->nparams; i++) {
		const char *s = sel->params[i], *eq = s ? strchr(s, '=') : NULL;
		char pname[256];

		if (!eq || eq == s || (size_t)(eq - s) >= sizeof(pname))
			return nacl_fmt_err(c->d.err, c->d.name, 0, 0,
					    "--param '%s': expected NAME=VALUE",
					    nacl_quote(s ? s : "", q));
		snprintf(pname, sizeof(pname), "%.*s", (int)(eq - s), s);
		if (!json_object_get(c->params, pname))
			return nacl_fmt_err(c->d.err, c->d.name, 0, 0,
					    "--param %s: this template has no parameter %s",
					    nacl_quote(pname, q), q);
		if (json_object_set_new(c->given, pname, json_string(eq + 1)))
			return nacl_fmt_err(c->d.err, c->d.name, 0, 0,
					    "--param %s: the value is not UTF-8",
					    nacl_quote(pname, q));
	}
	return 0;
}

/* The type of resource @logical, or NULL. */
static const char *cfn_type(const struct cfn_ctx *c, const char *logical)
{
	return json_string_value(json_object_get(json_object_get(c->resources,
								 logical),
						 "Type"));
}

/* The ACL group named @name, added as external (an ID) if new. */
static size_t cfn_group(struct cfn_ctx *c, const char *name, bool external)
{
	size_t i;

	for (i = 0; i < c->nacls; i++) {
		if (!strcmp(c->acls[i].name, name))
			return i;
	}
	c->acls[i].name = name;
	c->acls[i].external = external;
	c->nacls++;
	return i;
}

/*
 * The ACL an entry or association belongs to: NetworkAclId {Ref: an
 * AWS::EC2::NetworkAcl}, else an ID (literal, or resolved offline).
 * *name points into the template.
 */
static int cfn_acl_of(struct cfn_ctx *c, json_t *props,
		      const struct nacl_jpath *p, const char *logical,
		      const char **name)
{
	struct nacl_jpath q = nacl_jp_key(p, "NetworkAclId");
	json_t *v = json_object_get(props, "NetworkAclId"), *arg;
	const char *fn, *type;
	char qs[NACL_NAME_LEN], who[NACL_NAME_LEN];
	int ret;

	nacl_quote_n(logical, who, sizeof(who));
	if (cfn_intrinsic(v, &fn, &arg) && !strcmp(fn, "Ref") &&
	    json_is_string(arg) &&
	    json_object_get(c->resources, json_string_value(arg))) {
		*name = json_string_value(arg);
		type = cfn_type(c, *name);
		if (!type || strcmp(type, T_ACL))
			return nacl_jfail(&c->d, &q,
					  "%s's NetworkAclId refers to %s, which is not an " T_ACL,
					  who, nacl_quote_n(*name, qs, sizeof(qs)));
		return 0;
	}
	if (!v)
		return nacl_jfail(&c->d, &q,
				  "missing: expected {\"Ref\": \"LogicalId\"} of an " T_ACL);
	ret = cfn_resolve(c, props, p, logical, "NetworkAclId");
	if (ret)
		return ret;
	*name = json_string_value(json_object_get(props, "NetworkAclId"));
	if (!*name || !**name)
		return nacl_jfail(&c->d, &q,
				  "%s's NetworkAclId: expected {\"Ref\": \"LogicalId\"} of an " T_ACL ", or an ACL's ID",
				  who);
	return 0;
}

/* The Properties of resource @logical (@res at @p); *out. */
static int cfn_props(struct cfn_ctx *c, json_t *res, const struct nacl_jpath *p,
		     json_t **out, struct nacl_jpath *pp)
{
	int ret = cfn_object(c, res, p, "Properties", out);

	*pp = nacl_jp_key(p, "Properties");
	if (!ret && !*out)
		ret = nacl_jfail(&c->d, pp, "missing: expected the resource's properties");
	return ret;
}

/* The ACLs, and each entry with its ACL. */
static int cfn_scan(struct cfn_ctx *c)
{
	struct nacl_jpath top = { 0 }, rp = nacl_jp_key(&top, "Resources");
	size_t n = json_object_size(c->resources);
	const char *logical;
	json_t *res;
	int ret;

	c->acls = calloc(n ? n : 1, sizeof(*c->acls));
	c->entries = calloc(n ? n : 1, sizeof(*c->entries));
	if (!c->acls || !c->entries)
		return cfn_oom(c->d.name, c->d.err);
	json_object_foreach(c->resources, logical, res) {
		struct nacl_jpath p = nacl_jp_key(&rp, logical), tp;
		const char *type = json_string_value(json_object_get(res, "Type"));
		char got[32];

		tp = nacl_jp_key(&p, "Type");
		if (!json_is_object(res))
			return nacl_jfail(&c->d, &p,
					  "expected an object (a resource), got %s",
					  nacl_jtype(res, got));
		if (!type)
			return nacl_jfail(&c->d, &tp,
					  "expected a resource type such as " T_ACL);
		if (!strcmp(type, T_ACL))
			cfn_group(c, logical, false);
	}
	json_object_foreach(c->resources, logical, res) {
		struct nacl_jpath p = nacl_jp_key(&rp, logical);
		struct cfn_entry *e = &c->entries[c->nentries];
		const char *acl;

		if (strcmp(json_string_value(json_object_get(res, "Type")), T_ENTRY))
			continue;
		e->logical = logical;
		ret = cfn_props(c, res, &p, &e->props, &e->path);
		if (!ret)
			ret = cfn_acl_of(c, e->props, &e->path, logical, &acl);
		if (ret)
			return ret;
		e->acl = cfn_group(c, acl, true);
		c->nentries++;
	}
	return 0;
}

/* ---- selection --------------------------------------------------------------------- */

/* Whether the association @res (@logical at @p) ties @acl to the subnet. */
static int cfn_assoc_matches(struct cfn_ctx *c, json_t *res,
			     const struct nacl_jpath *p, const char *logical,
			     const struct cfn_acl *acl, bool *match)
{
	struct nacl_jpath pp;
	const char *name, *fn;
	json_t *props, *v, *arg;
	int ret;

	*match = false;
	ret = cfn_props(c, res, p, &props, &pp);
	if (!ret)
		ret = cfn_acl_of(c, props, &pp, logical, &name);
	if (ret || strcmp(name, acl->name))
		return ret;
	/* A subnet of this template, by its logical ID */
	v = json_object_get(props, "SubnetId");
	if (cfn_intrinsic(v, &fn, &arg) && !strcmp(fn, "Ref") &&
	    json_is_string(arg) &&
	    json_object_get(c->resources, json_string_value(arg))) {
		*match = !strcmp(json_string_value(arg), c->sel->subnet_id);
		return 0;
	}
	ret = cfn_resolve(c, props, &pp, logical, "SubnetId");
	v = json_object_get(props, "SubnetId");
	*match = !ret && json_is_string(v) &&
		 !strcmp(json_string_value(v), c->sel->subnet_id);
	return ret;
}

/* Whether ACL @k matches the selection. */
static int cfn_matches(struct cfn_ctx *c, size_t k, bool *match)
{
	struct nacl_jpath top = { 0 }, rp = nacl_jp_key(&top, "Resources");
	const struct cfn_acl *a = &c->acls[k];
	const char *logical;
	json_t *res;
	int ret;

	*match = false;
	if (c->sel->acl_id && strcmp(a->name, c->sel->acl_id))
		return 0;
	if (!c->sel->subnet_id) {
		*match = true;
		return 0;
	}
	json_object_foreach(c->resources, logical, res) {
		struct nacl_jpath p = nacl_jp_key(&rp, logical);

		if (strcmp(json_string_value(json_object_get(res, "Type")), T_ASSOC))
			continue;
		ret = cfn_assoc_matches(c, res, &p, logical, a, match);
		if (ret || *match)
			return ret;
	}
	return 0;
}

/* nacl_acl_fn: ACL @i's name, and whether it matches. */
static int cfn_acl(void *ctx, size_t i, const char **name, bool *match)
{
	struct cfn_ctx *c = ctx;

	*name = c->acls[i].name;
	return cfn_matches(c, i, match);
}

/* ---- reading one ACL ----------------------------------------------------------------- */

/* The properties naclemu reads, resolved offline. */
static int cfn_resolve_entry(struct cfn_ctx *c, const struct cfn_entry *e)
{
	static const char *const props[] = {
		"RuleNumber", "Egress", "RuleAction", "Protocol",
		"CidrBlock", "Ipv6CidrBlock", "PortRange", "Icmp",
	};
	static const char *const inner[][2] = {
		{ "From", "To" }, { "Type", "Code" },
	};
	int ret = 0;

	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]) && !ret; i++)
		ret = cfn_resolve(c, e->props, &e->path, e->logical, props[i]);
	for (int i = 0; i < 2 && !ret; i++) {
		const char *key = i ? "Icmp" : "PortRange";
		json_t *obj = json_object_get(e->props, key);
		struct nacl_jpath q = nacl_jp_key(&e->path, key);

		for (int k = 0; k < 2 && !ret && json_is_object(obj); k++)
			ret = cfn_resolve(c, obj, &q, e->logical, inner[i][k]);
	}
	return ret;
}

/*
 * A resource with a Condition exists only if the condition holds, which
 * depends on the parameters at deployment: read as if it does, and say so.
 */
static void cfn_condition(struct cfn_ctx *c, const char *logical)
{
	struct nacl_jpath top = { 0 }, p = nacl_jp_key(&top, "Resources");
	const char *cond = json_string_value(json_object_get(json_object_get(c->resources,
									       logical),
							     "Condition"));
	char q[NACL_QUOTE_LEN], who[NACL_NAME_LEN];

	if (!cond)
		return;
	p = nacl_jp_key(&p, logical);
	p = nacl_jp_key(&p, "Condition");
	nacl_jwarn(&c->d, &p,
		   "%s exists only if condition %s holds: read as if it does",
		   nacl_quote_n(logical, who, sizeof(who)), nacl_quote(cond, q));
}

static int cfn_read_acl(struct cfn_ctx *c, size_t k)
{
	const struct nacl_entry_fmt fmt = cfn_entry_fmt();
	int ret;

	snprintf(c->d.rs->acl_id, sizeof(c->d.rs->acl_id), "%s",
		 c->acls[k].name);
	if (!c->acls[k].external)
		cfn_condition(c, c->acls[k].name);
	for (size_t i = 0; i < c->nentries; i++) {
		const struct cfn_entry *e = &c->entries[i];
		enum naclemu_dir dir;
		struct nacl_rule r;

		if (e->acl != k)
			continue;
		cfn_condition(c, e->logical);
		ret = cfn_resolve_entry(c, e);
		if (!ret)
			ret = nacl_json_entry(&c->d, e->props, &e->path, &fmt,
					      -1, &r, &dir);
		if (!ret)
			ret = nacl_json_add(&c->d, &e->path, dir, &r);
		if (ret)
			return ret;
	}
	nacl_parse_done(c->d.rs, "entries");
	return 0;
}

/* JSON if it reads as JSON; YAML (a superset) otherwise. */
static int cfn_load(struct cfn_ctx *c, const char *buf, size_t len)
{
	char jerr[NACL_MSG_LEN];
	size_t i = 0;
	int ret;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
			   buf[i] == '\r'))
		i++;
	if (i < len && buf[i] == '{') {
		ret = nacl_json_load(&c->d);
		if (!ret)
			return 0;
		/* YAML in flow style?  Else the JSON message is the one. */
		memcpy(jerr, c->d.err, sizeof(jerr));
		if (!y_load(c, buf, len)) {
			c->d.marks = &c->marks;
			return 0;
		}
		nacl_marks_free(&c->marks);
		memcpy(c->d.err, jerr, sizeof(jerr));
		return ret;
	}
	ret = y_load(c, buf, len);
	if (!ret)
		c->d.marks = &c->marks;
	return ret;
}

int nacl_parse_cloudformation(const char *name, const char *buf, size_t len,
			      const struct nacl_select *sel,
			      struct nacl_ruleset *rs, char err[NACL_MSG_LEN])
{
	static const struct nacl_select none;
	struct cfn_ctx c = {
		.d = { .name = name, .buf = buf, .len = len, .rs = rs,
		       .err = err, .lenient = true },
		.sel = sel ? sel : &none,
	};
	size_t k = 0;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->path = name;
	ret = cfn_load(&c, buf, len);
	if (!ret)
		ret = cfn_top(&c);
	if (!ret)
		ret = cfn_given(&c);
	if (!ret)
		ret = cfn_scan(&c);
	if (!ret)
		ret = nacl_select_one(err, name, c.nacls, cfn_acl, &c, c.sel, &k);
	if (!ret)
		ret = cfn_read_acl(&c, k);
	free(c.acls);
	free(c.entries);
	json_decref(c.given);
	json_decref(c.d.root);
	nacl_marks_free(&c.marks);
	return ret;
}
