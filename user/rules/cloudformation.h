/* SPDX-License-Identifier: MIT */
/*
 * cloudformation.h - what the CloudFormation reader's two files share:
 * cloudformation.c (the template, its ACLs, entries and associations, the
 * selection) and cloudformation_fn.c (intrinsic functions resolved
 * offline).  Internal to the reader; its API is nacl_parse_cloudformation()
 * in rules/read.h.
 */
#ifndef NACLEMU_RULES_CLOUDFORMATION_H
#define NACLEMU_RULES_CLOUDFORMATION_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "rules/jdoc.h"
#include "rules/read.h"

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

/*
 * cfn_intrinsic() - whether @v is an intrinsic function: {"Ref": ...},
 * {"Condition": ...} or {"Fn::X": ...}; then *@fn is its name and *@arg
 * its argument (both in @v).
 */
bool cfn_intrinsic(const json_t *v, const char **fn, json_t **arg);

/*
 * cfn_resolve() - replace @obj's member @key (a property of resource
 * @logical, at @p) by its value resolved offline; AWS::NoValue removes it,
 * an absent member stays absent.  The new value keeps the position of what
 * it replaces.  Return: 0; -EINVAL with c->d.err saying what cannot be
 * resolved offline ("LOGICAL's PROP uses Fn::GetAtt, ..."); -ENOMEM.
 */
int cfn_resolve(struct cfn_ctx *c, json_t *obj, const struct nacl_jpath *p,
		const char *logical, const char *key);

#endif /* NACLEMU_RULES_CLOUDFORMATION_H */
