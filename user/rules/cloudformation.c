// SPDX-License-Identifier: MIT
/*
 * cloudformation.c - network ACLs from a CloudFormation template
 * (docs/semantics.md section 2, docs/formats.md), in JSON (jansson) or YAML
 * (yaml.c: a jansson tree that keeps the line and column of every value, so
 * that one code path reads both).
 *
 * Resources (AWS CloudFormation User Guide, "AWS::EC2" resource types):
 * AWS::EC2::NetworkAcl, its AWS::EC2::NetworkAclEntry resources grouped by
 * NetworkAclId: {Ref: LogicalId}, and AWS::EC2::SubnetNetworkAclAssociation
 * for --subnet-id.  Entry properties as AWS documents them: RuleNumber,
 * Protocol (a number), RuleAction, Egress (default false), CidrBlock /
 * Ipv6CidrBlock, PortRange {From, To}, Icmp {Code, Type}; numbers and
 * booleans written as strings are accepted, as CloudFormation accepts them.
 *
 * A resource's Condition is not evaluated: the ACL and its entries are read
 * as if created, with a warning.
 *
 * Intrinsic functions are resolved offline where the template alone says
 * the value (cloudformation_fn.c); anything else in a field naclemu needs
 * is an error that names the logical ID and the property: nothing is
 * guessed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rules/cloudformation.h"
#include "rules/entry.h"
#include "rules/jdoc.h"
#include "rules/model.h"
#include "rules/read.h"
#include "rules/select.h"
#include "rules/validate.h"
#include "rules/yaml.h"

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
		return nacl_oom(c->d.name, c->d.err);
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
		return nacl_oom(c->d.name, c->d.err);
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
		if (!nacl_yaml_load(c->d.name, buf, len, &c->marks, &c->d.root,
				    c->d.err)) {
			c->d.marks = &c->marks;
			return 0;
		}
		nacl_marks_free(&c->marks);
		memcpy(c->d.err, jerr, sizeof(jerr));
		return ret;
	}
	ret = nacl_yaml_load(c->d.name, buf, len, &c->marks, &c->d.root,
			     c->d.err);
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
