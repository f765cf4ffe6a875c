/* SPDX-License-Identifier: MIT */
/*
 * entry.h - one network ACL entry of a JSON or YAML document, read with
 * AWS's semantics whatever the format calls its fields.  Internal to the
 * readers.  Implemented in entry.c.
 */
#ifndef NACLEMU_RULES_ENTRY_H
#define NACLEMU_RULES_ENTRY_H

#include <stdbool.h>

#include <jansson.h>

#include "rules/jdoc.h"
#include "rules/model.h"

/*
 * struct nacl_entry_fmt - how a format names and writes the fields of one
 * network ACL entry.  The semantics are AWS's (EC2 CreateNetworkAclEntry):
 * protocol 6 and 17 need a port range, 1 (and 58 with an IPv6 CIDR) need an
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
 *        The object is required for protocol 1, and 58 with an IPv6 CIDR,
 *        as EC2 requires it (MissingParameter); a Type or Code missing in
 *        it is -1 (any).  In the flat form an ICMP type or code not given
 *        is 0, as the AWS provider sends it, and a type of -1 makes the
 *        code -1 too.
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
 * ignores (ports of a protocol without ports, ...); refuses an entry that
 * EC2 refuses for a missing field (a port range for 6 and 17, the ICMP
 * object for 1 and for 58 with an IPv6 CIDR).
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

#endif /* NACLEMU_RULES_ENTRY_H */
