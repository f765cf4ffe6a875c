// SPDX-License-Identifier: MIT
/*
 * terraform.c - network ACLs from the JSON that Terraform prints itself
 * (docs/semantics.md section 2, docs/formats.md), read with jansson:
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
 * Resources (Terraform AWS provider): aws_network_acl and
 * aws_default_network_acl with inline ingress / egress blocks (rule_no,
 * action, protocol, from_port, to_port, cidr_block, ipv6_cidr_block,
 * icmp_type, icmp_code), and aws_network_acl_rule (rule_number, egress,
 * rule_action, ... and network_acl_id), grouped with its ACL: by the ACL's
 * id in a state, and in a plan where that id is not known yet, by the
 * configuration's references (expressions.network_acl_id.references) to an
 * ACL of the same module.  aws_network_acl_association and the ACL's
 * subnet_ids serve --subnet-id.  Terraform has no default entries: the
 * implied rule * always applies.
 *
 * An ACL's entries come from its inline blocks or from aws_network_acl_rule
 * resources, not both (the provider's documentation).  After a refresh the
 * ACL's ingress / egress list the rule resources' entries too (they are
 * Optional and Computed), and in a plan they keep the prior state's: so when
 * an ACL has rule resources, those are its entries, and an inline entry
 * that none of them has is ignored with a warning.
 *
 * HCL is not read (no maintained C parser): nacl_terraform_hcl() tells it
 * apart, and the message says to run `terraform show -json`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules/model.h"
#include "rules/read.h"
#include "rules/validate.h"

/* Longest resource address kept: module.a["k"].module.b.aws_x.name[0]. */
#define TF_ADDR_LEN 256
/* Module nesting followed in show -json's child_modules. */
#define TF_MODULE_DEPTH 16

/* Inline ingress / egress blocks of aws_network_acl. */
static const struct nacl_entry_fmt tf_block = {
	.number = "rule_no",
	.action = "action",
	.protocol = "protocol",
	.proto_want = "a protocol such as \"tcp\", \"6\" or \"-1\"",
	.cidr = "cidr_block",
	.cidr6 = "ipv6_cidr_block",
	.from = "from_port",
	.to = "to_port",
	.type = "icmp_type",
	.code = "icmp_code",
};

/* aws_network_acl_rule: the same fields but these, and its own Egress. */
#define TF_RULE_NUMBER "rule_number"
#define TF_RULE_EGRESS "egress"
#define TF_RULE_ACTION "rule_action"

enum tf_kind { TF_ACL, TF_RULE, TF_ASSOC };

/*
 * One resource instance of a kind naclemu reads.
 * @addr: its absolute address, "module.vpc.aws_network_acl.web[0]".
 * @mod_len: the length of the module part of @addr (0 in the root module).
 * @values: its attributes; @path: where they are.
 * @unknown: in a plan, its change's after_unknown (or NULL).
 * @acl: TF_RULE: the group (struct tf_ctx.acls) it belongs to.
 */
struct tf_res {
	char addr[TF_ADDR_LEN];
	size_t mod_len;
	enum tf_kind kind;
	const char *type, *name;
	json_t *values;
	struct nacl_jpath path;
	json_t *unknown;
	size_t acl;
};

/* A network ACL and the rules grouped with it. */
struct tf_acl {
	const char *name; /* its address, or the ID a rule names */
	const char *id;	  /* its id attribute, NULL while not known */
	struct tf_res *res; /* NULL: an ACL outside this file */
};

struct tf_ctx {
	struct nacl_jdoc d;
	const struct nacl_select *sel;
	bool plan;
	json_t *changes; /* plan: resource_changes */
	json_t *config;	 /* plan: configuration.root_module */
	struct tf_res *res;
	size_t nres, cap;
	struct tf_acl *acls;
	size_t nacls;
};

/* ---- HCL ------------------------------------------------------------------ */

bool nacl_terraform_hcl(const char *name, const char *buf, size_t len)
{
	static const char *const blocks[] = {
		"resource", "data",   "terraform", "provider", "module",
		"variable", "output", "locals",	   "moved",    "import",
	};
	size_t n = strlen(name), i = 0;

	/* The first statement, past blanks and comments. */
	while (i < len) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
		    buf[i] == '\r') {
			i++;
		} else if (buf[i] == '#' ||
			   (buf[i] == '/' && i + 1 < len && buf[i + 1] == '/')) {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (buf[i] == '/' && i + 1 < len && buf[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(buf[i] == '*' && buf[i + 1] == '/');)
				i++;
			i += 2;
		} else {
			break;
		}
	}
	if (i >= len || buf[i] == '{' || buf[i] == '[')
		return false;
	if (n >= 3 && !strcmp(name + n - 3, ".tf"))
		return true;
	for (size_t k = 0; k < sizeof(blocks) / sizeof(blocks[0]); k++) {
		size_t m = strlen(blocks[k]), j = i + m;

		if (len - i <= m || memcmp(buf + i, blocks[k], m) ||
		    (buf[j] != ' ' && buf[j] != '\t'))
			continue;
		while (j < len && (buf[j] == ' ' || buf[j] == '\t'))
			j++;
		if (j < len && (buf[j] == '"' || buf[j] == '{'))
			return true;
	}
	return false;
}

static int hcl_fail(const char *name, char err[NACL_MSG_LEN])
{
	return nacl_fmt_err(err, name, 0, 0,
			    "Terraform HCL is not read: run 'terraform show -json' (or 'terraform show -json PLANFILE') and give naclemu its output");
}

/* ---- what is known ------------------------------------------------------------ */

/*
 * In a plan: fail unless the attribute @key of @obj (at @p, a value of
 * @res; @au is its after_unknown counterpart or NULL) is known: present in
 * planned_values and not marked true in after_unknown.
 */
static int tf_known(const struct tf_ctx *t, const struct tf_res *res,
		    const json_t *obj, const json_t *au,
		    const struct nacl_jpath *p, const char *key)
{
	struct nacl_jpath q = nacl_jp_key(p, key), rel = { 0 };
	char attr[NACL_JPATH_LEN];

	if (!t->plan || !key)
		return 0;
	if (json_object_get(obj, key) && !json_is_true(json_object_get(au, key)))
		return 0;
	/* The attribute's own path within the resource, for the message. */
	for (int k = res->path.n; k < q.n; k++)
		rel.seg[rel.n++] = q.seg[k];
	nacl_jp_str(&rel, attr, sizeof(attr));
	return nacl_jfail(&t->d, &q,
			  "%s: %s is known only after apply: naclemu does not guess it (read the state once applied, or make the value known at plan time)",
			  res->addr, attr);
}

/* Every field of an entry that naclemu reads must be known. */
static int tf_entry_known(const struct tf_ctx *t, const struct tf_res *res,
			  const json_t *e, const json_t *au,
			  const struct nacl_jpath *p,
			  const struct nacl_entry_fmt *f)
{
	const char *keys[] = { f->number, f->egress, f->action, f->protocol,
			       f->cidr,	  f->cidr6,  f->from,	f->to,
			       f->type,	  f->code };
	int ret = 0;

	if (!json_is_object(e))
		return 0; /* nacl_json_entry says what it should be */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !ret; i++)
		ret = tf_known(t, res, e, au, p, keys[i]);
	return ret;
}

/* ---- resources ---------------------------------------------------------------- */

static int tf_oom(struct tf_ctx *t)
{
	snprintf(t->d.err, NACL_MSG_LEN, "%s: out of memory", t->d.name);
	return -ENOMEM;
}

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

/* @obj's member @key as a string, or NULL. */
static const char *sget(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
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
		const char *a = sget(c, "address");

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
	const char *maddr = sget(mod, "address");
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
		const char *type = sget(v, "type"), *addr = sget(v, "address");
		struct tf_res *r;
		json_t *values;
		int kind;

		if (!json_is_object(v))
			return nacl_jfail(&t->d, &rp,
					  "expected an object (a resource), got %s",
					  nacl_jtype(v, got));
		kind = type ? tf_kind_of(type) : -1;
		if (kind < 0 || !sget(v, "mode") || strcmp(sget(v, "mode"), "managed"))
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
			return tf_oom(t);
		snprintf(r->addr, sizeof(r->addr), "%s", addr);
		r->mod_len = maddr && !strncmp(addr, maddr, strlen(maddr)) ?
				     strlen(maddr) : 0;
		if (r->mod_len > strlen(r->addr))
			r->mod_len = strlen(r->addr); /* a truncated address */
		r->kind = (enum tf_kind)kind;
		r->type = type;
		r->name = sget(v, "name");
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
	const char *type = sget(v, "type"), *mod = sget(v, "module");
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
		return tf_oom(t);
	tf_index(json_object_get(inst, "index_key"), idx, sizeof(idx));
	snprintf(r->addr, sizeof(r->addr), "%s%s%s.%s%s", mod ? mod : "",
		 mod ? "." : "", type, sget(v, "name") ? sget(v, "name") : "",
		 idx);
	r->mod_len = mod ? strlen(mod) : 0;
	if (r->mod_len > strlen(r->addr))
		r->mod_len = strlen(r->addr); /* a truncated address */
	tf_clean(r->addr);
	r->kind = kind;
	r->type = type;
	r->name = sget(v, "name");
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
		const char *type = sget(v, "type"), *mode = sget(v, "mode");
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

/*
 * format_version "1.x" (show -json) or version 4 (tfstate); the resources.
 * Terraform: "Reject any input which reports an unsupported major version."
 */
static int tf_walk(struct tf_ctx *t)
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
				return hcl_fail(t->d.name, t->d.err);
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

/* ---- grouping rules with their ACL ------------------------------------------ */

/* The ACL group named @name (an address or an ID), or t->nacls. */
static size_t tf_find(const struct tf_ctx *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nacls; i++) {
		if (!strcmp(t->acls[i].name, name) ||
		    (t->acls[i].id && !strcmp(t->acls[i].id, name)))
			break;
	}
	return i;
}

/*
 * The configuration module of the module instance @mod (@len bytes of
 * "module.a[0].module.b"), or NULL.  Instance keys are dropped: every
 * instance has the same configuration.
 */
static const json_t *tf_config_module(const json_t *cfg, const char *mod,
				      size_t len)
{
	size_t i = 0;

	while (cfg && i < len) {
		char call[TF_ADDR_LEN];
		size_t n = 0;

		if (len - i < 7 || memcmp(mod + i, "module.", 7))
			return NULL;
		for (i += 7; i < len && mod[i] != '.' && mod[i] != '['; i++) {
			if (n + 1 < sizeof(call))
				call[n++] = mod[i];
		}
		call[n] = '\0';
		if (i < len && mod[i] == '[') {
			bool q = false;

			for (; i < len && (q || mod[i] != ']'); i++) {
				if (mod[i] == '\\')
					i++;
				else if (mod[i] == '"')
					q = !q;
			}
			i++;
		}
		if (i < len && mod[i] == '.')
			i++;
		cfg = json_object_get(json_object_get(json_object_get(cfg, "module_calls"),
						      call),
				      "module");
	}
	return cfg;
}

/*
 * A reference to an ACL: "aws_network_acl.web[0].id" gives
 * "aws_network_acl.web[0]" in @out, *@indexed true.  Return: whether @s
 * refers to an aws_network_acl or aws_default_network_acl.
 */
static bool tf_ref_acl(const char *s, char out[TF_ADDR_LEN], bool *indexed)
{
	const char *p;

	if (strncmp(s, "aws_network_acl.", 16) &&
	    strncmp(s, "aws_default_network_acl.", 24))
		return false;
	p = strchr(s, '.') + 1;
	p += strcspn(p, ".[");
	*indexed = *p == '[';
	if (*indexed) {
		p = strchr(p, ']');
		if (!p)
			return false;
		p++;
	}
	snprintf(out, TF_ADDR_LEN, "%.*s", (int)(p - s), s);
	return true;
}

/*
 * The ACL groups that the reference @ref (module-relative) names in @r's
 * module instance: *@hit, and how many.
 */
static size_t tf_ref_find(const struct tf_ctx *t, const struct tf_res *r,
			  const char *ref, bool indexed, size_t *hit,
			  char full[TF_ADDR_LEN])
{
	size_t nhit = 0, fl;

	snprintf(full, TF_ADDR_LEN, "%.*s%s%s", (int)r->mod_len, r->addr,
		 r->mod_len ? "." : "", ref);
	fl = strlen(full);
	for (size_t k = 0; k < t->nacls; k++) {
		const char *a = t->acls[k].name;

		/* "aws_network_acl.web" names each of its instances */
		if (t->acls[k].res &&
		    (!strcmp(a, full) ||
		     (!indexed && !strncmp(a, full, fl) && a[fl] == '['))) {
			*hit = k;
			nhit++;
		}
	}
	return nhit;
}

/* The references of @r's network_acl_id in the configuration, or NULL. */
static json_t *tf_refs(const struct tf_ctx *t, const struct tf_res *r)
{
	const json_t *mod = tf_config_module(t->config, r->addr, r->mod_len);
	json_t *c, *refs = NULL;
	size_t i;

	json_array_foreach(json_object_get(mod, "resources"), i, c) {
		const char *type = sget(c, "type"), *name = sget(c, "name");
		const char *mode = sget(c, "mode");

		if (type && name && mode && r->name && !strcmp(type, r->type) &&
		    !strcmp(name, r->name) && !strcmp(mode, "managed"))
			refs = json_object_get(json_object_get(json_object_get(c, "expressions"),
							       "network_acl_id"),
					       "references");
	}
	return refs;
}

/*
 * In a plan, where the rule's network_acl_id is not known yet: the ACL its
 * configuration refers to, in the same module instance.  References look
 * like ["aws_network_acl.web.id", "aws_network_acl.web"]: an instance
 * reference ("...web[0].id") is tried first.
 */
static int tf_group_by_config(struct tf_ctx *t, struct tf_res *r)
{
	struct nacl_jpath q = nacl_jp_key(&r->path, "network_acl_id");
	json_t *refs = tf_refs(t, r), *ref;
	char seen[200] = "", qs[NACL_NAME_LEN];
	size_t i, off = 0;

	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(refs, i, ref) {
			char acl[TF_ADDR_LEN], full[TF_ADDR_LEN];
			size_t hit = 0, nhit;
			bool indexed;

			if (!json_is_string(ref) ||
			    !tf_ref_acl(json_string_value(ref), acl, &indexed) ||
			    indexed != (pass == 0))
				continue;
			nhit = tf_ref_find(t, r, acl, indexed, &hit, full);
			if (nhit == 1) {
				r->acl = hit;
				return 0;
			}
			if (nhit > 1)
				return nacl_jfail(&t->d, &q,
						  "%s: network_acl_id is known only after apply and refers to %s, which has %zu instances: naclemu cannot tell which one",
						  r->addr, nacl_quote_n(full, qs, sizeof(qs)), nhit);
		}
	}
	json_array_foreach(refs, i, ref) {
		int w;

		if (!json_is_string(ref) || off + 8 >= sizeof(seen))
			continue;
		w = snprintf(seen + off, sizeof(seen) - off, "%s%s",
			     off ? ", " : "",
			     nacl_quote_n(json_string_value(ref), qs, sizeof(qs)));
		if (w > 0)
			off += (size_t)w;
	}
	return nacl_jfail(&t->d, &q,
			  "%s: network_acl_id is known only after apply, and its configuration refers to no aws_network_acl of this module (%s): naclemu cannot tell which ACL the rule belongs to",
			  r->addr, off ? seen : "no references");
}

/* Each ACL a group; each rule with its ACL (or a group of its own ID). */
static int tf_group(struct tf_ctx *t)
{
	int ret;

	t->acls = calloc(t->nres ? t->nres : 1, sizeof(*t->acls));
	if (!t->acls)
		return tf_oom(t);
	for (size_t i = 0; i < t->nres; i++) {
		struct tf_res *r = &t->res[i];
		const char *id = sget(r->values, "id");

		if (r->kind != TF_ACL)
			continue;
		if (t->plan && json_is_true(json_object_get(r->unknown, "id")))
			id = NULL;
		t->acls[t->nacls].name = r->addr;
		t->acls[t->nacls].id = id && *id ? id : NULL;
		t->acls[t->nacls].res = r;
		t->nacls++;
	}
	for (size_t i = 0; i < t->nres; i++) {
		struct tf_res *r = &t->res[i];
		json_t *v = json_object_get(r->values, "network_acl_id");
		const char *id = json_string_value(v);
		struct nacl_jpath q = nacl_jp_key(&r->path, "network_acl_id");
		char got[32];

		if (r->kind != TF_RULE)
			continue;
		if (t->plan &&
		    (!id || json_is_true(json_object_get(r->unknown, "network_acl_id")))) {
			ret = tf_group_by_config(t, r);
			if (ret)
				return ret;
			continue;
		}
		if (!id || !*id)
			return nacl_jfail(&t->d, &q,
					  "%s: expected the ID of a network ACL, got %s",
					  r->addr, !v ? "nothing" : id ? "\"\"" :
						    nacl_jtype(v, got));
		r->acl = tf_find(t, id);
		if (r->acl == t->nacls) {
			/* An ACL that this file does not manage, by its ID. */
			t->acls[t->nacls].name = id;
			t->acls[t->nacls].id = id;
			t->nacls++;
		}
	}
	return 0;
}

/* ---- selection ------------------------------------------------------------------ */

/* Whether @s is in the array of strings @list. */
static bool in_list(const json_t *list, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

/* Whether group @k matches the selection; an unknown subnet_ids fails. */
static int tf_matches(const struct tf_ctx *t, size_t k, bool *match)
{
	const struct nacl_select *sel = t->sel;
	const struct tf_acl *a = &t->acls[k];
	int ret;

	*match = false;
	if (sel->acl_id && strcmp(a->name, sel->acl_id) &&
	    (!a->id || strcmp(a->id, sel->acl_id)))
		return 0;
	if (!sel->subnet_id) {
		*match = true;
		return 0;
	}
	if (a->res) {
		ret = tf_known(t, a->res, a->res->values, a->res->unknown,
			       &a->res->path, "subnet_ids");
		if (ret)
			return ret;
		if (in_list(json_object_get(a->res->values, "subnet_ids"),
			    sel->subnet_id)) {
			*match = true;
			return 0;
		}
	}
	for (size_t i = 0; i < t->nres && a->id; i++) {
		const struct tf_res *r = &t->res[i];
		const char *acl = sget(r->values, "network_acl_id"),
			   *subnet = sget(r->values, "subnet_id");

		if (r->kind == TF_ASSOC && acl && subnet &&
		    !strcmp(acl, a->id) && !strcmp(subnet, sel->subnet_id))
			*match = true;
	}
	return 0;
}

/* nacl_acl_fn: group @i's name, and whether it matches. */
static int tf_acl(void *ctx, size_t i, const char **name, bool *match)
{
	struct tf_ctx *t = ctx;

	*name = t->acls[i].name;
	return tf_matches(t, i, match);
}

/* ---- reading one ACL --------------------------------------------------------------- */

/*
 * One entry of @res at @p: of an aws_network_acl_rule (@dir_in -1), or of an
 * inline block.  @from_rules: the ACL's entries come from its
 * aws_network_acl_rule resources, and its inline blocks only echo them.
 */
static int tf_entry(struct tf_ctx *t, const struct tf_res *res,
		    const json_t *e, const json_t *au,
		    const struct nacl_jpath *p, int dir_in, bool from_rules)
{
	struct nacl_entry_fmt rule = tf_block;
	const struct nacl_entry_fmt *f = dir_in < 0 ? &rule : &tf_block;
	struct nacl_ruleset *rs = t->d.rs;
	bool has_dir[NACLEMU_NDIRS];
	size_t nwarnings = rs->nwarnings;
	enum naclemu_dir dir;
	struct nacl_rule r;
	int ret;

	rule.number = TF_RULE_NUMBER;
	rule.egress = TF_RULE_EGRESS;
	rule.action = TF_RULE_ACTION;
	memcpy(has_dir, rs->has_dir, sizeof(has_dir));
	ret = tf_entry_known(t, res, e, au, p, f);
	if (!ret)
		ret = nacl_json_entry(&t->d, e, p, f, dir_in, &r, &dir);
	if (ret)
		return ret;
	if (!from_rules)
		return nacl_json_add(&t->d, p, dir, &r);
	/* Not an entry of its own: say nothing of it, unless it is drift. */
	memcpy(rs->has_dir, has_dir, sizeof(has_dir));
	rs->nwarnings = nwarnings;
	for (size_t i = 0; i < rs->count[dir]; i++) {
		if (nacl_rule_same(&rs->rules[dir][i], &r))
			return 0;
	}
	nacl_jwarn(&t->d, p,
		   "%s: %s rule %u is not one of its aws_network_acl_rule resources: ignored (an ACL's entries come from its inline blocks or from rule resources, not both)",
		   res->addr, nacl_dir_name(dir), r.number);
	return 0;
}

/*
 * The inline ingress / egress blocks of the ACL @res.  With @from_rules
 * they are Terraform's computed echo of the rule resources (and not known
 * yet in a plan that creates the ACL).
 */
static int tf_blocks(struct tf_ctx *t, const struct tf_res *res,
		     bool from_rules)
{
	static const char *const blocks[NACLEMU_NDIRS] = {
		[NACLEMU_INGRESS] = "ingress",
		[NACLEMU_EGRESS] = "egress",
	};
	int ret;

	for (int dir = 0; dir < NACLEMU_NDIRS; dir++) {
		struct nacl_jpath q = nacl_jp_key(&res->path, blocks[dir]);
		json_t *list = json_object_get(res->values, blocks[dir]), *e;
		json_t *au = json_object_get(res->unknown, blocks[dir]);
		char got[32];
		size_t i;

		if (from_rules && t->plan &&
		    (!list || json_is_true(au)))
			continue;
		ret = tf_known(t, res, res->values, res->unknown, &res->path,
			       blocks[dir]);
		if (ret)
			return ret;
		if (!nacl_jset(&t->d, list))
			continue;
		if (!json_is_array(list))
			return nacl_jfail(&t->d, &q,
					  "expected an array of %s blocks, got %s",
					  blocks[dir], nacl_jtype(list, got));
		json_array_foreach(list, i, e) {
			struct nacl_jpath ep = nacl_jp_idx(&q, i);

			ret = tf_entry(t, res, e, json_array_get(au, i), &ep,
				       dir, from_rules);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Group @k: its rule resources, then the ACL's own blocks. */
static int tf_read_acl(struct tf_ctx *t, size_t k)
{
	const struct tf_acl *a = &t->acls[k];
	bool from_rules = false;
	int ret;

	snprintf(t->d.rs->acl_id, sizeof(t->d.rs->acl_id), "%s",
		 a->id ? a->id : a->name);
	for (size_t i = 0; i < t->nres; i++) {
		const struct tf_res *r = &t->res[i];

		if (r->kind != TF_RULE || r->acl != k)
			continue;
		from_rules = true;
		ret = tf_entry(t, r, r->values, r->unknown, &r->path, -1, false);
		if (ret)
			return ret;
	}
	if (a->res) {
		ret = tf_blocks(t, a->res, from_rules);
		if (ret)
			return ret;
	}
	nacl_parse_done(t->d.rs, "rules");
	return 0;
}

int nacl_parse_terraform(const char *name, const char *buf, size_t len,
			 const struct nacl_select *sel, struct nacl_ruleset *rs,
			 char err[NACL_MSG_LEN])
{
	static const struct nacl_select none;
	struct tf_ctx t = {
		.d = { .name = name, .buf = buf, .len = len, .rs = rs,
		       .err = err, .lenient = true, .zero_unset = true },
		.sel = sel ? sel : &none,
	};
	size_t k = 0;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->path = name;
	if (nacl_terraform_hcl(name, buf, len))
		return hcl_fail(name, err);
	ret = nacl_json_load(&t.d);
	if (ret)
		return ret;
	ret = tf_walk(&t);
	if (!ret)
		ret = tf_group(&t);
	if (!ret)
		ret = nacl_select_one(err, name, t.nacls, tf_acl, &t, t.sel, &k);
	if (!ret)
		ret = tf_read_acl(&t, k);
	free(t.acls);
	free(t.res);
	json_decref(t.d.root);
	return ret;
}
