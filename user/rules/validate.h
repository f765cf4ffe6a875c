/* SPDX-License-Identifier: MIT */
/*
 * validate.h - what every rule-file reader (text.c, aws_json.c, terraform.c,
 * cloudformation.c) shares: number, protocol and CIDR checks with their
 * messages, the rule checks that do not depend on the format (duplicate
 * numbers, quotas, missing directions), and for the readers of JSON and
 * YAML documents: paths, positions, typed members, one network ACL entry,
 * and the messages of ACL selection.  Internal to the readers; their API is
 * rules/read.h.  Implemented in validate.c (but nacl_terraform_hcl).
 */
#ifndef NACLEMU_RULES_VALIDATE_H
#define NACLEMU_RULES_VALIDATE_H

#include <stdarg.h>
#include <stdbool.h>

#include <jansson.h>

#include "rules/model.h"
#include "rules/read.h"

/* Room for a token quoted into a message by nacl_quote(). */
#define NACL_QUOTE_LEN 48

/*
 * nacl_quote() - @s made safe to show inside '...' in a one-line message:
 * bytes other than printable ASCII become '?', and more than 40 bytes are
 * cut with "...".  Returns @buf.
 */
const char *nacl_quote(const char *s, char buf[NACL_QUOTE_LEN]);

/* Room for a name (a Terraform address, ...) quoted by nacl_quote_n(). */
#define NACL_NAME_LEN 160

/*
 * nacl_quote_n() - nacl_quote() into @buf of @size bytes: more than
 * @size - 4 bytes are cut with "...".  Returns @buf.
 */
const char *nacl_quote_n(const char *s, char *buf, size_t size);

/*
 * nacl_parse_num() - @s as a decimal number in [@min, @max], where @min may
 * be -1: AWS writes "-1" for any ICMP type or code and for all protocols.
 * Return: 0, -EINVAL (not a number) or -ERANGE.
 */
int nacl_parse_num(const char *s, long min, uint32_t max, long *out);

/* nacl_fmt_err() with a va_list; returns -EINVAL. */
int nacl_fmt_errv(char err[NACL_MSG_LEN], const char *name, uint32_t line,
		  uint32_t col, const char *fmt, va_list ap);

/*
 * nacl_fmt_err() - write "NAME:LINE:COL: message" into @err, or
 * "NAME: message" when @line is 0 (no position), as nacl_warn() does.
 * Return: -EINVAL, so that a parser can `return nacl_fmt_err(...)`.
 */
int nacl_fmt_err(char err[NACL_MSG_LEN], const char *name, uint32_t line,
		 uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * nacl_check_proto() - a PROTOCOL column / AWS "Protocol" string: tcp, udp,
 * icmp, icmpv6 (or IANA's keyword ipv6-icmp, which Terraform takes), all
 * (any case), -1, or an IANA number 0..255 (AWS NetworkAclEntry.Protocol:
 * "-1" means all protocols).
 * Return: 0 with *proto set, or -EINVAL with @msg saying what was expected.
 */
int nacl_check_proto(const char *s, int *proto, char msg[NACL_MSG_LEN]);

/*
 * nacl_check_cidr() - an IPv4 or IPv6 CIDR "ADDR/N" (the prefix length is
 * required, as in AWS CidrBlock / Ipv6CidrBlock).  @family 4 or 6 demands
 * that family, 0 takes either.  Host bits are cleared (AWS canonicalises);
 * *host_bits tells whether there were any, for the caller's warning.
 * Return: 0, or -EINVAL with @msg saying what was expected.
 */
int nacl_check_cidr(const char *s, int family, struct naclemu_cidr *c,
		    bool *host_bits, char msg[NACL_MSG_LEN]);

/*
 * nacl_add_rule() - append @r to @rs->rules[@dir] after the checks that
 * hold for every format: the number is unique within the direction (AWS
 * rejects a second entry with the same RuleNumber and Egress, whatever its
 * address family), and at most NACL_QUOTA_MAX numbered rules per direction
 * and family (AWS "Rules per network ACL", 40 with the default).  Warns,
 * once, past NACL_QUOTA_DEFAULT.  @where prefixes the messages (the JSON
 * path, "" for text); positions are @r->line and @r->col.
 * Return: 0, or -EINVAL with @err set.
 */
int nacl_add_rule(struct nacl_ruleset *rs, enum naclemu_dir dir,
		  const struct nacl_rule *r, const char *where,
		  char err[NACL_MSG_LEN]);

/*
 * nacl_parse_done() - warn for each direction the file left out (@what is
 * "section" or "entries": only the default deny applies there, as for a new
 * custom NACL), then sort the rules.
 */
void nacl_parse_done(struct nacl_ruleset *rs, const char *what);

/*
 * nacl_rule_same() - whether @a and @b are the same entry: number, action,
 * protocol, ports, ICMP type/code and CIDR (not where they were written).
 */
bool nacl_rule_same(const struct nacl_rule *a, const struct nacl_rule *b);

/* ---- JSON and YAML documents ---------------------------------------------- */

/* Deepest path kept: module.a.module.b... in Terraform nests this far. */
#define NACL_JPATH_MAX 24
/* Longest path written into a message ("values.root_module...to_port"). */
#define NACL_JPATH_LEN 256

/*
 * struct nacl_jpath - where a value is in a document: object keys and array
 * indexes from the top, rendered "resources[3].instances[0].attributes.
 * ingress[1].to_port".  Keys are not copied: they point into the document
 * or at static strings.  Past NACL_JPATH_MAX segments further ones are
 * dropped, so messages then name an enclosing value.
 */
struct nacl_jpath {
	int n;
	struct {
		const char *key; /* NULL: an array index */
		size_t idx;
	} seg[NACL_JPATH_MAX];
};

/* @p with one more key / index. */
struct nacl_jpath nacl_jp_key(const struct nacl_jpath *p, const char *key);
struct nacl_jpath nacl_jp_idx(const struct nacl_jpath *p, size_t idx);
/* "NetworkAcls[0].Entries[3].RuleNumber"; "" for the document itself. */
void nacl_jp_str(const struct nacl_jpath *p, char *buf, size_t size);

/*
 * struct nacl_marks - where each value of a document that was not JSON text
 * (YAML) was written: line and column (1-based, in characters), keyed by
 * the json_t the value became.  Each marked value holds a reference, so
 * that no other value can take its address while the marks live.
 */
struct nacl_marks {
	struct nacl_mark {
		const json_t *v;
		uint32_t line, col;
	} *m;
	size_t n, cap;
	bool sorted;
};

/* Mark @v at @line:@col.  Return: 0 or -ENOMEM. */
int nacl_marks_add(struct nacl_marks *mk, json_t *v, uint32_t line,
		   uint32_t col);
/* Drop the marks and their references; @mk is then empty. */
void nacl_marks_free(struct nacl_marks *mk);

/*
 * struct nacl_jdoc - a document being read, for messages.
 * @name: the file name in messages.
 * @buf, @len: the JSON text, where positions are found again (jansson keeps
 *        none); unused when @marks is set.
 * @root: the document; positions of @marks are looked up along paths in it.
 * @marks: positions of a YAML document's values, or NULL.
 * @lenient: numbers and booleans may be written as strings ("100", "true"),
 *        as CloudFormation accepts them.
 * @zero_unset: Terraform's convention: null and "" mean "not set", and so
 *        does 0 for the ports and ICMP fields of a protocol without them.
 * @rs, @err: where rules, warnings and the error go.
 */
struct nacl_jdoc {
	const char *name;
	const char *buf;
	size_t len;
	json_t *root;
	struct nacl_marks *marks;
	bool lenient;
	bool zero_unset;
	struct nacl_ruleset *rs;
	char *err;
};

/*
 * nacl_json_load() - parse @d->buf as JSON into @d->root (duplicate keys
 * refused, so that positions found in the text are the values jansson
 * read).  A leading UTF-8 byte order mark is dropped from @d->buf.  Return: 0, or -EINVAL with "NAME:LINE:COL: invalid JSON: ..." in
 * @d->err.
 */
int nacl_json_load(struct nacl_jdoc *d);

/*
 * nacl_jpos() - line and column (1-based) of the value at @p, or of the
 * nearest enclosing value that can be found (a missing key points at its
 * object); 0, 0 if none.  Columns count characters, not bytes.
 */
void nacl_jpos(const struct nacl_jdoc *d, const struct nacl_jpath *p,
	       uint32_t *line, uint32_t *col);

/* Error "FILE:LINE:COL: PATH: message" into @d->err; returns -EINVAL. */
int nacl_jfail(const struct nacl_jdoc *d, const struct nacl_jpath *p,
	       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Warning "FILE:LINE:COL: PATH: message" into @d->rs. */
void nacl_jwarn(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What @v is, for "expected X, got Y": "an object", "a string", "7", ... */
const char *nacl_jtype(const json_t *v, char buf[32]);

/*
 * nacl_jset() - whether a member is given: present, and with
 * @d->zero_unset neither null nor "".
 */
bool nacl_jset(const struct nacl_jdoc *d, const json_t *v);

/*
 * nacl_jint() - @obj's integer member @key, in [@min, @max] (with
 * @d->lenient also a string of a decimal integer).  When it is not given
 * (nacl_jset): an error if @required, else *out = @def.
 * Return: 0, or -EINVAL with "expected an integer MIN..MAX, got X".
 */
int nacl_jint(const struct nacl_jdoc *d, const json_t *obj,
	      const struct nacl_jpath *p, const char *key, long min, long max,
	      bool required, long def, long *out);

/*
 * nacl_jstr() - @obj's string member @key (required); @want says what it
 * should be ("an IPv4 CIDR string").  Return: 0 or -EINVAL.
 */
int nacl_jstr(const struct nacl_jdoc *d, const json_t *obj,
	      const struct nacl_jpath *p, const char *key, const char *want,
	      const char **out);

/*
 * struct nacl_entry_fmt - how a format names and writes the fields of one
 * network ACL entry.  The semantics are AWS's (EC2 CreateNetworkAclEntry):
 * protocol 6 and 17 need a port range, 1 (and 58 with an IPv6 CIDR) take an
 * ICMP type and code, -1 is every protocol.
 * @number, @egress, @action, @protocol, @cidr, @cidr6: member names (AWS
 *        RuleNumber, Egress, RuleAction, Protocol, CidrBlock, Ipv6CidrBlock).
 *        @egress NULL: the caller gives the direction (Terraform's inline
 *        ingress / egress blocks).
 * @egress_required: AWS JSON always lists Egress; elsewhere absent is false.
 * @proto_want: what a protocol looks like in this format, for messages.
 * @ports: the object holding @from and @to ("PortRange"), or NULL when they
 *        are members of the entry itself (Terraform from_port, to_port).
 * @icmp: likewise for @type and @code ("IcmpTypeCode", "Icmp"), or NULL.
 *        In the flat form an ICMP type or code not given is 0, as the AWS
 *        provider sends it, and a type of -1 makes the code -1 too.
 * @defaults: entries 32767 (IPv4) and 32768 (IPv6) may appear: the default
 *        rule *, which AWS lists with every ACL (describe-network-acls).
 */
struct nacl_entry_fmt {
	const char *number, *egress, *action, *protocol, *cidr, *cidr6;
	bool egress_required;
	const char *proto_want;
	const char *ports, *from, *to;
	const char *icmp, *type, *code;
	bool defaults;
};

/*
 * nacl_aws_entry - the EC2 API's NetworkAclEntry as describe-network-acls
 * prints it: RuleNumber, Egress (always there), RuleAction, Protocol (a
 * string), CidrBlock / Ipv6CidrBlock, PortRange {From, To}, IcmpTypeCode
 * {Type, Code}, and the default entries 32767 / 32768.
 */
extern const struct nacl_entry_fmt nacl_aws_entry;

/* nacl_json_entry() returned the default rule *: nothing to add. */
#define NACL_ENTRY_DEFAULT 1

/*
 * nacl_json_entry() - read the entry @e at @p into @r and *@dir.
 * @dir_in: NACLEMU_INGRESS / NACLEMU_EGRESS, or -1 to read @f->egress.
 * Marks the direction present in @d->rs (has_dir).  Warns for fields AWS
 * ignores (ports of a protocol without ports, ...).
 * Return: 0 with @r complete but for line, col and text; NACL_ENTRY_DEFAULT
 * for an entry 32767 / 32768 (@f->defaults); -EINVAL with @d->err set.
 */
int nacl_json_entry(const struct nacl_jdoc *d, const json_t *e,
		    const struct nacl_jpath *p, const struct nacl_entry_fmt *f,
		    int dir_in, struct nacl_rule *r, enum naclemu_dir *dir);

/*
 * nacl_json_add() - give @r the position of @p and its normalised text, and
 * add it (nacl_add_rule, its messages prefixed with the path).
 * Return: 0 or -EINVAL.
 */
int nacl_json_add(const struct nacl_jdoc *d, const struct nacl_jpath *p,
		  enum naclemu_dir dir, struct nacl_rule *r);

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

/*
 * nacl_terraform_hcl() - whether @buf looks like Terraform configuration
 * (a *.tf or *.tf.json name, or a first statement such as `resource "` or
 * `terraform {`), which naclemu does not read.  In terraform.c.
 */
bool nacl_terraform_hcl(const char *name, const char *buf, size_t len);

#endif /* NACLEMU_RULES_VALIDATE_H */
