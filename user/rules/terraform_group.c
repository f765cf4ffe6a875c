// SPDX-License-Identifier: MIT
/*
 * terraform_group.c - each aws_network_acl_rule with its ACL (terraform.h,
 * tf_group()): by the ACL's id in a state, and in a plan where that id is
 * not known yet, by the configuration's references
 * (expressions.network_acl_id.references) to an ACL of the same module
 * instance.  A rule whose ACL this file does not manage is grouped by the
 * ID it names.
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
		const char *type = tf_sget(c, "type"), *name = tf_sget(c, "name");
		const char *mode = tf_sget(c, "mode");

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

int tf_group(struct tf_ctx *t)
{
	int ret;

	t->acls = calloc(t->nres ? t->nres : 1, sizeof(*t->acls));
	if (!t->acls)
		return nacl_oom(t->d.name, t->d.err);
	for (size_t i = 0; i < t->nres; i++) {
		struct tf_res *r = &t->res[i];
		const char *id = tf_sget(r->values, "id");

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
