// SPDX-License-Identifier: MIT
/*
 * terraform_walk.c - the resources of the JSON that Terraform prints
 * itself (terraform.h, tf_walk()):
 *
 * - `terraform show -json` of a state: values.root_module, its resources
 *   and child_modules at any depth (Terraform "JSON Output Format", format
 *   version 1.x);
 * - `terraform show -json PLANFILE` of a saved plan: planned_values, same
 *   shape, with resource_changes[].change.after_unknown telling what is
 *   known only after apply, and the configuration section;
 * - a terraform.tfstate file, state version 4: resources[] with mode, type,
 *   name, module and instances[].attributes.
 *
 * Only managed resources of the kinds naclemu reads are kept, each with
 * its absolute address for messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules/jdoc.h"
#include "rules/model.h"
#include "rules/read.h"
#include "rules/terraform.h"
#include "rules/validate.h"

/* Module nesting followed in show -json's child_modules. */
#define TF_MODULE_DEPTH 16

/* ---- resources ---------------------------------------------------------------- */

/* The kind of a resource type, or -1 for one naclemu does not read. */
static int tf_kind_of(const char *type)
{
	if (!strcmp(type, "aws_network_acl") ||
	    !strcmp(type, "aws_default_network_acl"))
		return TF_ACL;
	if (!strcmp(type, "aws_network_acl_rule"))
		return TF_RULE;
	if (!strcmp(type, "aws_network_acl_association"))
		return TF_ASSOC;
	return -1;
}

/* Make @addr (from the document) safe for one-line messages. */
static void tf_clean(char *addr)
{
	for (; *addr; addr++) {
		if ((unsigned char)*addr < 0x20 || *addr == 0x7f)
			*addr = '?';
	}
}

/* A new resource at the end of t->res, or NULL. */
static struct tf_res *tf_add(struct tf_ctx *t)
{
	if (t->nres == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct tf_res *r = realloc(t->res, cap * sizeof(*r));

		if (!r)
			return NULL;
		t->res = r;
		t->cap = cap;
	}
	memset(&t->res[t->nres], 0, sizeof(t->res[0]));
	return &t->res[t->nres++];
}

/* @obj's member @key: absent (NULL) or of JSON type @type, else an error. */
static int tf_member(const struct tf_ctx *t, const json_t *obj,
		     const struct nacl_jpath *p, const char *key,
		     json_type type, json_t **out)
{
	static const char *const want[] = {
		[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
		[JSON_STRING] = "a string",
	};
	struct nacl_jpath q = nacl_jp_key(p, key);
	char got[32];

	*out = json_object_get(obj, key);
	if (*out && json_typeof(*out) != type)
		return nacl_jfail(&t->d, &q, "expected %s, got %s", want[type],
				  nacl_jtype(*out, got));
	return 0;
}

/* @obj's member @key: absent (NULL) or an array; *q is its path. */
static int tf_array(const struct tf_ctx *t, const json_t *obj,
		    const struct nacl_jpath *p, const char *key, json_t **list,
		    struct nacl_jpath *q)
{
	*q = nacl_jp_key(p, key);
	return tf_member(t, obj, p, key, JSON_ARRAY, list);
}

/* The change of the resource instance @addr in a plan, or NULL. */
static json_t *tf_unknown(const struct tf_ctx *t, const char *addr)
{
	json_t *c;
	size_t i;

	json_array_foreach(t->changes, i, c) {
		const char *a = tf_sget(c, "address");

		if (a && !strcmp(a, addr) && !json_object_get(c, "deposed"))
			return json_object_get(json_object_get(c, "change"),
					       "after_unknown");
	}
	return NULL;
}

/* "[0]" or "[\"a\"]": Terraform's instance key of @idx (NULL: none). */
static void tf_index(const json_t *idx, char *buf, size_t size)
{
	const char *s = json_string_value(idx);
	size_t off;

	buf[0] = '\0';
	if (json_is_integer(idx)) {
		snprintf(buf, size, "[%" JSON_INTEGER_FORMAT "]",
			 json_integer_value(idx));
		return;
	}
	if (!s || size < 6)
		return;
	/* A string key, quoted and escaped as Terraform writes it. */
	off = (size_t)snprintf(buf, size, "[\"");
	for (; *s && off + 4 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[off++] = '\\';
		buf[off++] = *s;
	}
	snprintf(buf + off, size - off, "\"]");
}

/* show -json: one module's resources, then its child modules. */
static int tf_walk_module(struct tf_ctx *t, const json_t *mod,
			  const struct nacl_jpath *p, int depth)
{
	const char *maddr = tf_sget(mod, "address");
	struct nacl_jpath q;
	json_t *list, *v;
	char got[32];
	size_t i;
	int ret;

	if (!json_is_object(mod))
		return nacl_jfail(&t->d, p, "expected an object (a module), got %s",
				  nacl_jtype(mod, got));
	if (depth > TF_MODULE_DEPTH)
		return nacl_jfail(&t->d, p,
				  "modules nested deeper than %d: refused",
				  TF_MODULE_DEPTH);
	ret = tf_array(t, mod, p, "resources", &list, &q);
	if (ret)
		return ret;
	json_array_foreach(list, i, v) {
		struct nacl_jpath rp = nacl_jp_idx(&q, i);
		const char *type = tf_sget(v, "type"), *addr = tf_sget(v, "address");
		struct tf_res *r;
		json_t *values;
		int kind;

		if (!json_is_object(v))
			return nacl_jfail(&t->d, &rp,
					  "expected an object (a resource), got %s",
					  nacl_jtype(v, got));
		kind = type ? tf_kind_of(type) : -1;
		if (kind < 0 || !tf_sget(v, "mode") || strcmp(tf_sget(v, "mode"), "managed"))
			continue;
		ret = tf_member(t, v, &rp, "values", JSON_OBJECT, &values);
		if (ret)
			return ret;
		if (!addr || !values) {
			struct nacl_jpath kp = nacl_jp_key(&rp, addr ? "values" : "address");

			return nacl_jfail(&t->d, &kp, "missing: expected %s",
					  addr ? "the resource's attributes" :
						 "the resource's address");
		}
		r = tf_add(t);
		if (!r)
			return nacl_oom(t->d.name, t->d.err);
		snprintf(r->addr, sizeof(r->addr), "%s", addr);
		r->mod_len = maddr && !strncmp(addr, maddr, strlen(maddr)) ?
				     strlen(maddr) : 0;
		if (r->mod_len > strlen(r->addr))
			r->mod_len = strlen(r->addr); /* a truncated address */
		r->kind = (enum tf_kind)kind;
		r->type = type;
		r->name = tf_sget(v, "name");
		r->values = values;
		r->path = nacl_jp_key(&rp, "values");
		r->unknown = tf_unknown(t, addr);
		tf_clean(r->addr);
	}
	ret = tf_array(t, mod, p, "child_modules", &list, &q);
	if (ret)
		return ret;
	json_array_foreach(list, i, v) {
		struct nacl_jpath cp = nacl_jp_idx(&q, i);

		ret = tf_walk_module(t, v, &cp, depth + 1);
		if (ret)
			return ret;
	}
	return 0;
}

/* One instance of the tfstate resource @v (at @xp; @inst). */
static int tf_instance(struct tf_ctx *t, const json_t *v, const json_t *inst,
		       const struct nacl_jpath *xp, enum tf_kind kind)
{
	const char *type = tf_sget(v, "type"), *mod = tf_sget(v, "module");
	struct nacl_jpath ap = nacl_jp_key(xp, "attributes");
	struct tf_res *r;
	char idx[80], got[32];
	json_t *attrs;
	int ret;

	if (!json_is_object(inst))
		return nacl_jfail(&t->d, xp,
				  "expected an object (a resource instance), got %s",
				  nacl_jtype(inst, got));
	if (json_object_get(inst, "deposed"))
		return 0; /* to be destroyed: not the current object */
	ret = tf_member(t, inst, xp, "attributes", JSON_OBJECT, &attrs);
	if (ret)
		return ret;
	if (!attrs)
		return nacl_jfail(&t->d, &ap,
				  "missing: expected the resource's attributes");
	r = tf_add(t);
	if (!r)
		return nacl_oom(t->d.name, t->d.err);
	tf_index(json_object_get(inst, "index_key"), idx, sizeof(idx));
	snprintf(r->addr, sizeof(r->addr), "%s%s%s.%s%s", mod ? mod : "",
		 mod ? "." : "", type, tf_sget(v, "name") ? tf_sget(v, "name") : "",
		 idx);
	r->mod_len = mod ? strlen(mod) : 0;
	if (r->mod_len > strlen(r->addr))
		r->mod_len = strlen(r->addr); /* a truncated address */
	tf_clean(r->addr);
	r->kind = kind;
	r->type = type;
	r->name = tf_sget(v, "name");
	r->values = attrs;
	r->path = ap;
	return 0;
}

/* terraform.tfstate version 4: resources[].instances[]. */
static int tf_walk_tfstate(struct tf_ctx *t, const json_t *root)
{
	struct nacl_jpath top = { 0 }, q;
	json_t *list, *v;
	char got[32];
	size_t i;
	int ret;

	ret = tf_array(t, root, &top, "resources", &list, &q);
	json_array_foreach(list, i, v) {
		struct nacl_jpath rp = nacl_jp_idx(&q, i), ip;
		const char *type = tf_sget(v, "type"), *mode = tf_sget(v, "mode");
		json_t *insts, *inst;
		size_t k;
		int kind;

		if (ret)
			break;
		if (!json_is_object(v))
			return nacl_jfail(&t->d, &rp,
					  "expected an object (a resource), got %s",
					  nacl_jtype(v, got));
		kind = type ? tf_kind_of(type) : -1;
		if (kind < 0 || !mode || strcmp(mode, "managed"))
			continue;
		ret = tf_array(t, v, &rp, "instances", &insts, &ip);
		json_array_foreach(insts, k, inst) {
			struct nacl_jpath xp = nacl_jp_idx(&ip, k);

			if (ret)
				break;
			ret = tf_instance(t, v, inst, &xp, (enum tf_kind)kind);
		}
	}
	return ret;
}

/* ---- the document ------------------------------------------------------------- */

int tf_walk(struct tf_ctx *t)
{
	struct nacl_jpath top = { 0 }, q;
	json_t *root = t->d.root, *v, *mod;
	char got[32], qs[NACL_QUOTE_LEN];
	const char *s;
	int ret;

	if (!json_is_object(root))
		return nacl_jfail(&t->d, &top,
				  "expected an object: the output of 'terraform show -json' or a terraform.tfstate, got %s",
				  nacl_jtype(root, got));
	v = json_object_get(root, "format_version");
	if (!v) {
		q = nacl_jp_key(&top, "version");
		v = json_object_get(root, "version");
		if (!v) {
			size_t n = strlen(t->d.name);

			/* Terraform's JSON configuration syntax */
			if (n >= 8 && !strcmp(t->d.name + n - 8, ".tf.json"))
				return tf_hcl_fail(t->d.name, t->d.err);
			return nacl_jfail(&t->d, &top,
					  "expected format_version ('terraform show -json') or version (terraform.tfstate): not Terraform's JSON");
		}
		if (!json_is_integer(v) || json_integer_value(v) != 4)
			return nacl_jfail(&t->d, &q,
					  "state version %s is not supported: expected 4 (Terraform 0.12 and later)",
					  json_is_string(v) ? nacl_quote(json_string_value(v), qs) :
							      nacl_jtype(v, got));
		return tf_walk_tfstate(t, root);
	}
	q = nacl_jp_key(&top, "format_version");
	s = json_string_value(v);
	if (!s)
		return nacl_jfail(&t->d, &q,
				  "expected a string such as \"1.0\", got %s",
				  nacl_jtype(v, got));
	if (strncmp(s, "1.", 2) && strcmp(s, "1"))
		return nacl_jfail(&t->d, &q,
				  "format version %s is not supported: expected 1.x ('terraform show -json' of Terraform 1.1 and later)",
				  nacl_quote(s, qs));
	t->plan = json_object_get(root, "planned_values") != NULL;
	q = nacl_jp_key(&top, t->plan ? "planned_values" : "values");
	ret = tf_member(t, root, &top, t->plan ? "planned_values" : "values",
			JSON_OBJECT, &v);
	if (!ret && t->plan) {
		ret = tf_member(t, root, &top, "resource_changes", JSON_ARRAY,
				&t->changes);
		if (!ret)
			ret = tf_member(t, root, &top, "configuration", JSON_OBJECT,
					&mod);
		if (!ret)
			t->config = json_object_get(mod, "root_module");
	}
	if (ret || !v)
		return ret; /* an empty state has no values */
	mod = json_object_get(v, "root_module");
	if (!mod)
		return 0;
	q = nacl_jp_key(&q, "root_module");
	return tf_walk_module(t, mod, &q, 0);
}
