/* SPDX-License-Identifier: MIT */
/*
 * read.h - reading a rule file into the normalised model (rules/model.h):
 * which reader a file goes to, and the selection of one ACL from a
 * document that holds several.  The readers: text.c (the `*.nacl` text
 * format), aws_json.c (describe-network-acls JSON).  docs/semantics.md
 * section 2 and docs/formats.md describe the formats.
 */
#ifndef NACLEMU_RULES_READ_H
#define NACLEMU_RULES_READ_H

#include <stddef.h>

#include "rules/model.h"

/*
 * struct nacl_select - which ACL of a multi-ACL JSON document to read.
 * @acl_id: "acl-..." or NULL; @subnet_id: "subnet-..." or NULL.
 * Both NULL: the document must hold exactly one ACL.
 */
struct nacl_select {
	const char *acl_id;
	const char *subnet_id;
};

/*
 * nacl_parse_file() - read a rule file into @rs.
 * @path: a *.json file is read as AWS CLI output, anything else as the text
 *        format (docs/semantics.md section 2).
 * @sel: ACL selection for JSON (may be NULL); for the text format an
 *        --acl or --subnet-id is an error.
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
 * nacl_parse_text() / nacl_parse_json() - parse an in-memory rule file.
 * @name is used in messages as the file name.  @buf need not be
 * NUL-terminated.  Same return and @err as nacl_parse_file().
 */
int nacl_parse_text(const char *name, const char *buf, size_t len,
		    struct nacl_ruleset *rs, char err[NACL_MSG_LEN]);
int nacl_parse_json(const char *name, const char *buf, size_t len,
		    const struct nacl_select *sel, struct nacl_ruleset *rs,
		    char err[NACL_MSG_LEN]);

#endif /* NACLEMU_RULES_READ_H */
