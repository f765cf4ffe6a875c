/* SPDX-License-Identifier: MIT */
/*
 * model.h - naclemu's normalised NACL model: one struct nacl_ruleset,
 * whatever file format the rules came from (rules/read.h), with its
 * rendering and the small parsers the readers and the command line share.
 * Types that the BPF side also knows (directions, families, CIDRs, rule
 * numbers, protocols) come from include/naclemu.h.
 *
 * Sources for the semantics (docs/semantics.md): AWS VPC User Guide
 * "Control subnet traffic with network ACLs" (vpc-network-acls), the EC2
 * API reference for CreateNetworkAclEntry / NetworkAclEntry, and the Amazon
 * VPC quotas page.
 */
#ifndef NACLEMU_RULES_MODEL_H
#define NACLEMU_RULES_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "naclemu.h"

/*
 * AWS quota "Rules per network ACL": 20 per direction and address family by
 * default, 40 at most, the default deny included.  So at most 39 numbered
 * rules per direction and family (refused above), and a warning above 19.
 */
#define NACL_QUOTA_DEFAULT 19
#define NACL_QUOTA_MAX 39
/* Numbered rules one direction can hold: 39 IPv4 + 39 IPv6. */
#define NACL_MAX_RULES (2 * NACL_QUOTA_MAX)

#define NACL_ICMP_ANY (-1) /* AWS type or code -1: any */

/* Longest text kept of a rule as its file wrote it. */
#define NACL_TEXT_LEN 160
/* Longest diagnostic: "FILE:LINE:COL: message". */
#define NACL_MSG_LEN 512
#define NACL_MAX_WARNINGS 64

/*
 * struct nacl_rule - one numbered NACL entry, normalised.
 * @number: AWS RuleNumber, 1..32766, unique within a direction.
 * @allow: RuleAction allow (true) or deny (false).
 * @protocol: -1 (all) or an IANA protocol number 0..255.
 * @port_from, @port_to: inclusive destination-port range, host byte order,
 *        used only when @protocol is 6 or 17; 0..65535 otherwise.
 * @icmp_type, @icmp_code: -1 (any) or 0..255, used only when @protocol is 1,
 *        or 58 in an IPv6 rule; -1 otherwise.  An IPv4 rule with protocol 58
 *        matches every type (AWS CreateNetworkAclEntry).
 * @cidr: the one CIDR; inbound rules match the packet's source address,
 *        outbound rules its destination.
 * @line, @col: where the rule starts in its file (1-based), for messages.
 * @text: the rule in its file's own words (text format: the line without its
 *        comment; JSON: a normalised rendering), for `explain`.
 */
struct nacl_rule {
	uint16_t number;
	bool allow;
	int16_t protocol;
	uint16_t port_from;
	uint16_t port_to;
	int16_t icmp_type;
	int16_t icmp_code;
	struct naclemu_cidr cidr;
	uint32_t line;
	uint32_t col;
	char text[NACL_TEXT_LEN];
};

/*
 * struct nacl_ruleset - a whole network ACL.
 * @path: the file it came from (for messages); points into caller storage
 *        or a static string, never freed by nacl code.
 * @acl_id: NetworkAclId when the JSON had one, else "".
 * @rules: per direction, numbered rules sorted by ascending number (both
 *         families interleaved; the evaluator skips the other family).
 * @count: rules used in each @rules[dir].
 * @has_dir: whether the file had a section / any entry for the direction.
 *         A missing direction leaves only the default deny (check warns).
 * @warnings, @nwarnings: "FILE:LINE:COL: message" lines, in file order.
 */
struct nacl_ruleset {
	const char *path;
	char acl_id[64];
	struct nacl_rule rules[NACLEMU_NDIRS][NACL_MAX_RULES];
	size_t count[NACLEMU_NDIRS];
	bool has_dir[NACLEMU_NDIRS];
	char warnings[NACL_MAX_WARNINGS][NACL_MSG_LEN];
	size_t nwarnings;
};

/* ---- rendering ---------------------------------------------------------- */

/* "inbound" / "outbound". */
const char *nacl_dir_name(enum naclemu_dir dir);
/* "tcp", "udp", "icmp", "icmpv6", "all", or the number as text. */
const char *nacl_proto_name(int protocol, char buf[8]);
/* The PORTS column of the text format: "80", "1024-65535", "3/4", "all", "-". */
const char *nacl_rule_ports(const struct nacl_rule *r, char buf[24]);
/* "192.0.2.0/24", "2001:db8::/32". */
const char *nacl_cidr_str(const struct naclemu_cidr *c, char buf[64]);
/* One rule as a normalised text-format line: "120 allow tcp 1024-65535 0.0.0.0/0". */
const char *nacl_rule_str(const struct nacl_rule *r, char buf[NACL_TEXT_LEN]);

/* ---- parsing helpers shared by the parsers and the command line --------- */

/*
 * nacl_parse_cidr() - parse "A.B.C.D/N" or "X::Y/N" (a bare address is a
 * host route).  Host bits are cleared; *host_bits tells whether any were
 * set.  Returns 0 or -EINVAL.
 */
int nacl_parse_cidr(const char *s, struct naclemu_cidr *c, bool *host_bits);

/*
 * nacl_parse_u32() - parse the whole of @s as a decimal number 0..@max
 * (digits only: no sign, no spaces, no hex).  Returns 0, or -EINVAL for
 * anything else, -ERANGE above @max.
 */
int nacl_parse_u32(const char *s, uint32_t max, uint32_t *out);

/* Warn: append "FILE:LINE:COL: message" to rs->warnings (drops past the cap). */
void nacl_warn(struct nacl_ruleset *rs, uint32_t line, uint32_t col,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sort each direction by rule number (stable; the parsers call it). */
void nacl_sort(struct nacl_ruleset *rs);

#endif /* NACLEMU_RULES_MODEL_H */
