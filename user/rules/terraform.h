/* SPDX-License-Identifier: MIT */
/*
 * terraform.h - what the Terraform reader's files share: terraform.c (HCL
 * told apart, what is known in a plan, the selection, reading one ACL),
 * terraform_walk.c (the document's format and its resources) and
 * terraform_group.c (each rule with its ACL).  Internal to the reader; its
 * API is nacl_parse_terraform() in rules/read.h.
 */
#ifndef NACLEMU_RULES_TERRAFORM_H
#define NACLEMU_RULES_TERRAFORM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "rules/jdoc.h"
#include "rules/model.h"
#include "rules/read.h"

/* Longest resource address kept: module.a["k"].module.b.aws_x.name[0]. */
#define TF_ADDR_LEN 256

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

/* @obj's member @key as a string, or NULL. */
static inline const char *tf_sget(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/*
 * tf_hcl_fail() - the error for Terraform configuration (HCL, or its JSON
 * syntax *.tf.json): run `terraform show -json` instead.  Returns -EINVAL.
 */
int tf_hcl_fail(const char *name, char err[NACL_MSG_LEN]);

/*
 * tf_walk() - check t->d.root's format: format_version "1.x" (`terraform
 * show -json` of a state or a plan: t->plan, t->changes, t->config) or
 * version 4 (terraform.tfstate); Terraform: "Reject any input which reports
 * an unsupported major version."  Then each managed resource instance of
 * a kind naclemu reads, at any module depth, into t->res.
 * Return: 0, -EINVAL with t->d.err set, or -ENOMEM.
 */
int tf_walk(struct tf_ctx *t);

/*
 * tf_group() - each ACL of t->res a group of t->acls; each rule in the
 * group of its ACL: by network_acl_id, or in a plan where that is not
 * known yet by the configuration's references to an ACL of its module
 * instance; a rule naming an ACL outside the file makes a group of that
 * ID.  Return: 0, -EINVAL with t->d.err set, or -ENOMEM.
 */
int tf_group(struct tf_ctx *t);

#endif /* NACLEMU_RULES_TERRAFORM_H */
