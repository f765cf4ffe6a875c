/* SPDX-License-Identifier: MIT */
/*
 * read.h - reading a rule file into the normalised model (rules/model.h):
 * which reader a file goes to (chosen by content, or forced), and the
 * selection of one ACL from a document that holds several.  The readers:
 * text.c (the `*.nacl` text format), aws_json.c (describe-network-acls
 * JSON), terraform.c (`terraform show -json` and terraform.tfstate),
 * cloudformation.c (CloudFormation templates, JSON or YAML).
 * docs/semantics.md section 2 and docs/formats.md describe the formats.
 */
#ifndef NACLEMU_RULES_READ_H
#define NACLEMU_RULES_READ_H

#include <stddef.h>

#include "rules/model.h"

/*
 * enum nacl_format - the reader of a rule file.  NACL_FORMAT_AUTO chooses by
 * content (nacl_detect_format); the others force one (`--format`).
 */
enum nacl_format {
	NACL_FORMAT_AUTO = 0,
	NACL_FORMAT_TEXT,
	NACL_FORMAT_AWS,
	NACL_FORMAT_TERRAFORM,
	NACL_FORMAT_CLOUDFORMATION,
};

/*
 * struct nacl_select - how to read a file, and which ACL of a document that
 * holds several.
 * @acl_id: "acl-...", a Terraform resource address (module.vpc.
 *        aws_network_acl.private, aws_network_acl.web["a"]) or a
 *        CloudFormation logical ID; NULL for none.
 * @subnet_id: the ACL associated with this subnet ("subnet-..."; for
 *        CloudFormation also the logical ID of an AWS::EC2::Subnet); NULL.
 *        Both NULL: the document must hold exactly one ACL.
 * @format: the reader; NACL_FORMAT_AUTO (0, so a zeroed struct) by content.
 * @params, @nparams: CloudFormation parameter values, each "NAME=VALUE"
 *        (`--param`); they override the template's Default.  Refused for
 *        the other formats.
 */
struct nacl_select {
	const char *acl_id;
	const char *subnet_id;
	enum nacl_format format;
	const char *const *params;
	size_t nparams;
};

/*
 * nacl_format_parse() - a `--format` value: "text", "aws", "terraform",
 * "cloudformation" (or "auto").  Return: 0 with *out set, or -EINVAL.
 */
int nacl_format_parse(const char *name, enum nacl_format *out);

/* "text", "aws", "terraform", "cloudformation" or "auto". */
const char *nacl_format_name(enum nacl_format format);

/*
 * nacl_detect_format() - the reader for @buf by its content, @name's suffix
 * only breaking ties (docs/semantics.md section 2):
 * - JSON whose top level has NetworkAcls, NetworkAclId or Entries: aws;
 *   format_version with values / planned_values (terraform show -json), or
 *   version with terraform_version and resources (terraform.tfstate):
 *   terraform; Resources or AWSTemplateFormatVersion: cloudformation; any
 *   other JSON, and a *.json file that is not JSON: aws (its messages);
 * - Terraform configuration (HCL, *.tf): terraform, which refuses it;
 * - text with a top-level `Resources:` or `AWSTemplateFormatVersion:` line,
 *   or a *.yaml / *.yml / *.template name: cloudformation;
 * - anything else: the text format.
 * Never NACL_FORMAT_AUTO.
 */
enum nacl_format nacl_detect_format(const char *name, const char *buf,
				    size_t len);

/*
 * nacl_parse_file() - read a rule file into @rs.
 * @path: the file; its reader is @sel->format, or chosen by content.
 * @sel: format, ACL selection and parameters (may be NULL).  --acl and
 *       --subnet-id are refused for the text format (one ACL per file).
 * @rs: filled on success; on failure its content is unspecified.
 * @err: on failure, one line "FILE:LINE:COL: message" (or "FILE: message"
 *       where no position applies), without a trailing newline.
 *
 * Return: 0, or -EINVAL for invalid rules, -errno when the file cannot be
 * read (err then says why).
 */
int nacl_parse_file(const char *path, const struct nacl_select *sel,
		    struct nacl_ruleset *rs, char err[NACL_MSG_LEN]);

/*
 * nacl_parse_buf() - nacl_parse_file() of an in-memory file: the reader of
 * @sel->format or nacl_detect_format(), and the same checks of @sel.
 * @name is used in messages as the file name; @buf need not be
 * NUL-terminated.  Same return and @err as nacl_parse_file().
 */
int nacl_parse_buf(const char *name, const char *buf, size_t len,
		   const struct nacl_select *sel, struct nacl_ruleset *rs,
		   char err[NACL_MSG_LEN]);

/*
 * The readers, on an in-memory file, whatever its content (no detection).
 * @name is used in messages as the file name.  @buf need not be
 * NUL-terminated.  Same return and @err as nacl_parse_file().
 * nacl_parse_json() reads AWS describe-network-acls JSON; @sel may be NULL
 * (acl_id and subnet_id are used; format and params are not looked at).
 * nacl_parse_terraform() reads terraform show -json (state or plan) and
 * terraform.tfstate version 4, and refuses HCL; nacl_parse_cloudformation()
 * reads a template in JSON or YAML and uses @sel->params.
 */
int nacl_parse_text(const char *name, const char *buf, size_t len,
		    struct nacl_ruleset *rs, char err[NACL_MSG_LEN]);
int nacl_parse_json(const char *name, const char *buf, size_t len,
		    const struct nacl_select *sel, struct nacl_ruleset *rs,
		    char err[NACL_MSG_LEN]);
int nacl_parse_terraform(const char *name, const char *buf, size_t len,
			 const struct nacl_select *sel, struct nacl_ruleset *rs,
			 char err[NACL_MSG_LEN]);
int nacl_parse_cloudformation(const char *name, const char *buf, size_t len,
			      const struct nacl_select *sel,
			      struct nacl_ruleset *rs, char err[NACL_MSG_LEN]);

#endif /* NACLEMU_RULES_READ_H */
