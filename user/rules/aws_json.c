// SPDX-License-Identifier: MIT
/*
 * aws_json.c - AWS `aws ec2 describe-network-acls` output (docs/semantics.md section 2),
 * read with jansson.
 *
 * Field names and types are those of the EC2 API's NetworkAcl and
 * NetworkAclEntry: RuleNumber (integer), Protocol (a string number, "-1" for
 * all), RuleAction, Egress, CidrBlock / Ipv6CidrBlock, PortRange {From, To},
 * IcmpTypeCode {Type, Code}.  Entries 32767 (IPv4) and 32768 (IPv6) are the
 * default deny that AWS lists with every ACL.
 *
 * An entry's semantics (entry.c), the positions of values ("FILE:LINE:COL:
 * PATH: message", jdoc.c) and the selection messages (select.c) are shared
 * with the Terraform and CloudFormation readers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules/entry.h"
#include "rules/jdoc.h"
#include "rules/model.h"
#include "rules/read.h"
#include "rules/select.h"
#include "rules/validate.h"

/* One NetworkAcl (or {"Entries": [...]}) at @p. */
static int parse_acl(const struct nacl_jdoc *d, const json_t *acl,
		     const struct nacl_jpath *p)
{
	struct nacl_jpath q = nacl_jp_key(p, "NetworkAclId");
	json_t *v = json_object_get(acl, "NetworkAclId"), *e;
	char got[32];
	size_t i;
	int ret;

	if (v && !json_is_string(v))
		return nacl_jfail(d, &q,
				  "expected a string such as \"acl-0123456789abcdef0\", got %s",
				  nacl_jtype(v, got));
	if (v)
		snprintf(d->rs->acl_id, sizeof(d->rs->acl_id), "%s",
			 json_string_value(v));
	q = nacl_jp_key(p, "Entries");
	v = json_object_get(acl, "Entries");
	if (!v)
		return nacl_jfail(d, &q, "missing: expected an array of entries");
	if (!json_is_array(v))
		return nacl_jfail(d, &q, "expected an array of entries, got %s",
				  nacl_jtype(v, got));
	if (!json_array_size(v))
		return nacl_jfail(d, &q,
				  "no entries: expected the network ACL's rules");
	json_array_foreach(v, i, e) {
		struct nacl_jpath ep = nacl_jp_idx(&q, i);
		enum naclemu_dir dir;
		struct nacl_rule r;

		ret = nacl_json_entry(d, e, &ep, &nacl_aws_entry, -1, &r, &dir);
		if (!ret)
			ret = nacl_json_add(d, &ep, dir, &r);
		if (ret < 0)
			return ret;
	}
	nacl_parse_done(d->rs, "entries");
	return 0;
}

static bool acl_matches(const json_t *acl, const struct nacl_select *sel)
{
	const char *id = json_string_value(json_object_get(acl, "NetworkAclId"));
	json_t *assoc = json_object_get(acl, "Associations"), *a;
	size_t i;

	if (sel->acl_id && (!id || strcmp(id, sel->acl_id)))
		return false;
	if (!sel->subnet_id)
		return true;
	json_array_foreach(assoc, i, a) {
		const char *s = json_string_value(json_object_get(a, "SubnetId"));

		if (s && !strcmp(s, sel->subnet_id))
			return true;
	}
	return false;
}

/* The ACLs of a document: NetworkAcls[] (@q), or the document itself. */
struct aws_acls {
	const struct nacl_jdoc *d;
	json_t *list; /* NULL: the document is the one ACL */
	struct nacl_jpath q;
	const struct nacl_select *sel;
};

/* nacl_acl_fn: NetworkAcls[i] must be an object. */
static int aws_acl(void *ctx, size_t i, const char **name, bool *match)
{
	const struct aws_acls *a = ctx;
	json_t *acl = a->list ? json_array_get(a->list, i) : a->d->root;
	struct nacl_jpath ip = nacl_jp_idx(&a->q, i);
	char got[32];

	if (!json_is_object(acl))
		return nacl_jfail(a->d, &ip,
				  "expected an object (a network ACL), got %s",
				  nacl_jtype(acl, got));
	*name = json_string_value(json_object_get(acl, "NetworkAclId"));
	if (!*name)
		*name = "(no NetworkAclId)";
	*match = acl_matches(acl, a->sel);
	return 0;
}

/* The one ACL @sel chooses from the document d->root; *p is its path. */
static int select_acl(const struct nacl_jdoc *d, const struct nacl_select *sel,
		      json_t **acl, struct nacl_jpath *p)
{
	static const struct nacl_select none;
	struct aws_acls a = { .d = d, .sel = sel ? sel : &none };
	json_t *root = d->root;
	char got[32];
	size_t k = 0;
	int ret;

	*p = a.q;
	if (!json_is_object(root))
		return nacl_jfail(d, p,
				  "expected an object: describe-network-acls output, a NetworkAcl or {\"Entries\": [...]}, got %s",
				  nacl_jtype(root, got));
	a.list = json_object_get(root, "NetworkAcls");
	if (!a.list) {
		if (!json_object_get(root, "Entries"))
			return nacl_jfail(d, p,
					  "expected NetworkAcls or Entries: describe-network-acls output, a NetworkAcl or {\"Entries\": [...]}");
		*acl = root;
		return nacl_select_one(d->err, d->name, 1, aws_acl, &a, a.sel, &k);
	}
	a.q = nacl_jp_key(p, "NetworkAcls");
	if (!json_is_array(a.list))
		return nacl_jfail(d, &a.q,
				  "expected an array of network ACLs, got %s",
				  nacl_jtype(a.list, got));
	ret = nacl_select_one(d->err, d->name, json_array_size(a.list), aws_acl,
			      &a, a.sel, &k);
	if (ret)
		return ret;
	*acl = json_array_get(a.list, k);
	*p = nacl_jp_idx(&a.q, k);
	return 0;
}

int nacl_parse_json(const char *name, const char *buf, size_t len,
		    const struct nacl_select *sel, struct nacl_ruleset *rs,
		    char err[NACL_MSG_LEN])
{
	struct nacl_jdoc d = {
		.name = name, .buf = buf, .len = len, .rs = rs, .err = err,
	};
	json_t *acl = NULL;
	struct nacl_jpath p;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->path = name;
	ret = nacl_json_load(&d);
	if (ret)
		return ret;
	ret = select_acl(&d, sel, &acl, &p);
	if (!ret)
		ret = parse_acl(&d, acl, &p);
	json_decref(d.root);
	return ret;
}
