/* SPDX-License-Identifier: MIT */
/*
 * select.h - the one network ACL of a document that the selection
 * (struct nacl_select: --acl, --subnet-id) chooses, with the messages of a
 * selection that chooses none or several.  Internal to the readers of
 * documents that hold several ACLs.  Implemented in select.c.
 */
#ifndef NACLEMU_RULES_SELECT_H
#define NACLEMU_RULES_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/model.h"
#include "rules/read.h"

/*
 * nacl_acl_fn - ACL @i of a document, for nacl_select_one(): its name for
 * messages (an ID, a Terraform address, a CloudFormation logical ID) and
 * whether it matches the selection.  Return: 0, or -errno with the
 * reader's error set.
 */
typedef int (*nacl_acl_fn)(void *ctx, size_t i, const char **name,
			   bool *match);

/*
 * nacl_select_one() - the one of the @n ACLs of @file that @sel (may be
 * NULL) chooses: *@k.  Otherwise the error, into @err: "FILE: 2 network
 * ACLs in this file (a, b): choose one with --acl ID or --subnet-id ID",
 * "FILE: no network ACL X in this file (it has a, b)", "FILE: no network
 * ACL associated with S in this file (...)", "FILE: no network ACL in this
 * file".  Return: 0, -EINVAL, -ENOMEM, or what @acl returned.
 */
int nacl_select_one(char err[NACL_MSG_LEN], const char *file, size_t n,
		    nacl_acl_fn acl, void *ctx, const struct nacl_select *sel,
		    size_t *k);

#endif /* NACLEMU_RULES_SELECT_H */
