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
 *
 * The document's resources are found by terraform_walk.c, and rules are
 * grouped with their ACL by terraform_group.c.  HCL is not read (no
 * maintained C parser): nacl_terraform_hcl() tells it apart, and the
 * message says to run `terraform show -json`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules/entry.h"
#include "rules/jdoc.h"
#include "rules/model.h"
#include "rules/read.h"
#include "rules/select.h"
#include "rules/terraform.h"
#include "rules/validate.h"

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

int tf_hcl_fail(const char *name, char err[NACL_MSG_LEN])
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
		const char *acl = tf_sget(r->values, "network_acl_id"),
			   *subnet = tf_sget(r->values, "subnet_id");

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
		return tf_hcl_fail(name, err);
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
