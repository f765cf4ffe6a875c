// SPDX-License-Identifier: MIT
/*
 * select.c - the one network ACL of a document that --acl / --subnet-id
 * choose, and the messages when they choose none or several (select.h);
 * shared by the AWS JSON, Terraform and CloudFormation readers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rules/select.h"
#include "rules/validate.h"

/* "a, b" for messages: @names[] (only those that match if @match). */
static void list_names(const char *const *names, const bool *match, size_t n,
		       char *buf, size_t size)
{
	char q[NACL_NAME_LEN];
	size_t off = 0;

	snprintf(buf, size, "none");
	for (size_t i = 0; i < n && off + 4 < size; i++) {
		int w;

		if (match && !match[i])
			continue;
		w = snprintf(buf + off, size - off, "%s%s", off ? ", " : "",
			     nacl_quote_n(names[i], q, sizeof(q)));
		if (w < 0 || (size_t)w >= size - off) {
			snprintf(buf + off, size - off, "%s...", off ? ", " : "");
			break;
		}
		off += (size_t)w;
	}
}

/* The error for a selection that matched @nmatch (not 1) of @n ACLs. */
static int select_fail(char err[NACL_MSG_LEN], const char *name,
		       const char *const *names, const bool *match, size_t n,
		       size_t nmatch, const struct nacl_select *sel)
{
	char all[200], q1[NACL_NAME_LEN], q2[NACL_NAME_LEN];

	if (nmatch > 1) {
		list_names(names, match, n, all, sizeof(all));
		return nacl_fmt_err(err, name, 0, 0,
				    "%zu network ACLs in this file (%s): choose one with --acl ID or --subnet-id ID",
				    nmatch, all);
	}
	list_names(names, NULL, n, all, sizeof(all));
	if (sel->acl_id && sel->subnet_id)
		return nacl_fmt_err(err, name, 0, 0,
				    "no network ACL %s associated with %s in this file (it has %s)",
				    nacl_quote_n(sel->acl_id, q1, sizeof(q1)),
				    nacl_quote_n(sel->subnet_id, q2, sizeof(q2)), all);
	if (sel->acl_id)
		return nacl_fmt_err(err, name, 0, 0,
				    "no network ACL %s in this file (it has %s)",
				    nacl_quote_n(sel->acl_id, q1, sizeof(q1)), all);
	if (sel->subnet_id)
		return nacl_fmt_err(err, name, 0, 0,
				    "no network ACL associated with %s in this file (it has %s)",
				    nacl_quote_n(sel->subnet_id, q2, sizeof(q2)), all);
	return nacl_fmt_err(err, name, 0, 0, "no network ACL in this file");
}

int nacl_select_one(char err[NACL_MSG_LEN], const char *file, size_t n,
		    nacl_acl_fn acl, void *ctx, const struct nacl_select *sel,
		    size_t *k)
{
	static const struct nacl_select none;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	bool *match = calloc(n ? n : 1, sizeof(*match));
	size_t nmatch = 0;
	int ret = 0;

	if (!sel)
		sel = &none;
	if (!names || !match) {
		ret = nacl_oom(file, err);
	}
	for (size_t i = 0; i < n && !ret; i++) {
		ret = acl(ctx, i, &names[i], &match[i]);
		if (!ret && match[i] && !nmatch++)
			*k = i;
	}
	if (!ret && nmatch != 1)
		ret = select_fail(err, file, names, match, n, nmatch, sel);
	free(names);
	free(match);
	return ret;
}
