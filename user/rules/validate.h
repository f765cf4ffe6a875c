/* SPDX-License-Identifier: MIT */
/*
 * validate.h - what every rule-file reader (text.c, aws_json.c, terraform.c,
 * cloudformation.c) shares: number, protocol and CIDR checks with their
 * messages, and the rule checks that do not depend on the format
 * (duplicate numbers, quotas, missing directions).  The readers of JSON and
 * YAML documents also use jdoc.h, entry.h and select.h.  Internal to the
 * readers; their API is rules/read.h.  Implemented in validate.c (but
 * nacl_terraform_hcl).
 */
#ifndef NACLEMU_RULES_VALIDATE_H
#define NACLEMU_RULES_VALIDATE_H

#include <stdarg.h>
#include <stdbool.h>

#include "rules/model.h"

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
 * nacl_oom() - "NAME: out of memory" into @err.
 * Return: -ENOMEM, so that a parser can `return nacl_oom(...)`.
 */
int nacl_oom(const char *name, char err[NACL_MSG_LEN]);

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

/*
 * nacl_terraform_hcl() - whether @buf looks like Terraform configuration
 * (a *.tf or *.tf.json name, or a first statement such as `resource "` or
 * `terraform {`), which naclemu does not read.  In terraform.c.
 */
bool nacl_terraform_hcl(const char *name, const char *buf, size_t len);

#endif /* NACLEMU_RULES_VALIDATE_H */
