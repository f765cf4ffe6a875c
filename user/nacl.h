/* SPDX-License-Identifier: MIT */
/*
 * nacl.h - naclemu's normalised NACL model, the rule-file parsers and the
 * offline evaluator.
 *
 * Every input format (the text format, AWS describe-network-acls JSON) is
 * parsed into one struct nacl_ruleset.  The evaluator (nacl_evaluate) is the
 * reference implementation of SPEC section 1: the BPF datapath is tested
 * against it packet for packet, and `explain` / `flow` / `check` are built on
 * it.
 *
 * Sources for the semantics: AWS VPC User Guide "Control subnet traffic with
 * network ACLs" (vpc-network-acls), the EC2 API reference for
 * CreateNetworkAclEntry / NetworkAclEntry, and the Amazon VPC quotas page.
 */
#ifndef NACLEMU_NACL_H
#define NACLEMU_NACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Directions.  Inbound rules run at TC ingress, outbound at TC egress. */
enum nacl_dir {
	NACL_INBOUND = 0,
	NACL_OUTBOUND = 1,
	NACL_NDIRS = 2,
};

#define NACL_RULE_MIN 1
#define NACL_RULE_MAX 32766
/* The implicit "*" deny, as AWS numbers it in describe-network-acls. */
#define NACL_DEFAULT_RULE_V4 32767
#define NACL_DEFAULT_RULE_V6 32768

/*
 * AWS quota "Rules per network ACL": 20 per direction and address family by
 * default, 40 at most, the default deny included.  So at most 39 numbered
 * rules per direction and family (refused above), and a warning above 19.
 */
#define NACL_QUOTA_DEFAULT 19
#define NACL_QUOTA_MAX 39
/* Numbered rules one direction can hold: 39 IPv4 + 39 IPv6. */
#define NACL_MAX_RULES (2 * NACL_QUOTA_MAX)

#define NACL_PROTO_ALL (-1) /* AWS protocol "-1": every protocol */
#define NACL_PROTO_ICMP 1
#define NACL_PROTO_TCP 6
#define NACL_PROTO_UDP 17
#define NACL_PROTO_ICMPV6 58
#define NACL_ICMP_ANY (-1) /* AWS type or code -1: any */

/* Longest text kept of a rule as its file wrote it. */
#define NACL_TEXT_LEN 160
/* Longest diagnostic: "FILE:LINE:COL: message". */
#define NACL_MSG_LEN 512
#define NACL_MAX_WARNINGS 64

/*
 * struct nacl_cidr - one IPv4 or IPv6 CIDR block.
 * @family: 4 or 6.
 * @prefix_len: 0..32 (IPv4) or 0..128 (IPv6).
 * @addr: network byte order; IPv4 uses addr[0..3], the rest is zero.  Host
 *        bits are always clear (the parsers canonicalise, as AWS does).
 */
struct nacl_cidr {
	uint8_t family;
	uint8_t prefix_len;
	uint8_t addr[16];
};

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
	struct nacl_cidr cidr;
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
	struct nacl_rule rules[NACL_NDIRS][NACL_MAX_RULES];
	size_t count[NACL_NDIRS];
	bool has_dir[NACL_NDIRS];
	char warnings[NACL_MAX_WARNINGS][NACL_MSG_LEN];
	size_t nwarnings;
};

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
 *        format (SPEC section 2).
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

/* ---- rendering ---------------------------------------------------------- */

/* "inbound" / "outbound". */
const char *nacl_dir_name(enum nacl_dir dir);
/* "tcp", "udp", "icmp", "icmpv6", "all", or the number as text. */
const char *nacl_proto_name(int protocol, char buf[8]);
/* The PORTS column of the text format: "80", "1024-65535", "3/4", "all", "-". */
const char *nacl_rule_ports(const struct nacl_rule *r, char buf[24]);
/* "192.0.2.0/24", "2001:db8::/32". */
const char *nacl_cidr_str(const struct nacl_cidr *c, char buf[64]);
/* One rule as a normalised text-format line: "120 allow tcp 1024-65535 0.0.0.0/0". */
const char *nacl_rule_str(const struct nacl_rule *r, char buf[NACL_TEXT_LEN]);

/* ---- the offline evaluator ---------------------------------------------- */

/*
 * struct nacl_packet - what the NACL sees of one packet.
 * @dir: NACL_INBOUND (TC ingress) or NACL_OUTBOUND (TC egress).
 * @family: 4 or 6.
 * @protocol: the upper-layer protocol (IPv6: after the extension headers).
 * @src, @dst: addresses, network byte order (IPv4 in the first 4 bytes).
 * @l4_known: false for a non-first fragment whose first fragment was not
 *            seen: ports and ICMP type/code are unknown, and rules that need
 *            them cannot match.
 * @src_port, @dst_port: host byte order, TCP and UDP only.
 * @icmp_type, @icmp_code: ICMP (1) and ICMPv6 (58) only.
 */
struct nacl_packet {
	enum nacl_dir dir;
	uint8_t family;
	uint8_t protocol;
	uint8_t src[16];
	uint8_t dst[16];
	bool l4_known;
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t icmp_type;
	uint8_t icmp_code;
};

/*
 * struct nacl_verdict - the result of judging one packet.
 * @allow: the deciding rule allows it.
 * @rule_number: the deciding rule's number, or 32767 (IPv4) / 32768 (IPv6)
 *               for the default deny.
 * @index: index of the deciding rule in rs->rules[dir], -1 for the default.
 */
struct nacl_verdict {
	bool allow;
	uint32_t rule_number;
	int index;
};

/*
 * nacl_rule_key_range() - a rule's match on the packet's "L4 key".
 *
 * The L4 key of a packet is its destination port for TCP/UDP and
 * (type << 8 | code) for ICMP/ICMPv6.  A rule matches a packet's key when it
 * lies in [*lo, *hi].  Returns false when the rule does not look at the key
 * at all (protocol -1 or any protocol other than 6, 17, 1, 58, an IPv4 rule
 * with protocol 58): such a rule also matches packets whose key is unknown.
 * A rule whose range is the whole 0..65535 also returns false.
 */
bool nacl_rule_key_range(const struct nacl_rule *r, uint16_t *lo,
			 uint16_t *hi);

/* Whether @addr (network byte order, family @c->family) lies in @c. */
bool nacl_cidr_contains(const struct nacl_cidr *c, const uint8_t *addr);

/* Whether rule @r matches packet @p (family, protocol, key, address). */
bool nacl_rule_matches(const struct nacl_rule *r, const struct nacl_packet *p);

/*
 * nacl_evaluate() - judge @p by @rs, first match wins (SPEC section 1).
 * Pure: no I/O, no allocation.  Exempt traffic is not considered here; see
 * nacl_exempt().
 */
struct nacl_verdict nacl_evaluate(const struct nacl_ruleset *rs,
				  const struct nacl_packet *p);

/* Why a packet bypasses the NACL (SPEC section 1, "Not filtered"). */
enum nacl_exempt_reason {
	NACL_NOT_EXEMPT = 0,
	NACL_EXEMPT_ND,        /* ICMPv6 133-137 */
	NACL_EXEMPT_DHCP,      /* UDP 67/68, DHCPv6 UDP 546/547 */
	NACL_EXEMPT_LINKLOCAL, /* 169.254.169.{254,123,253}, fd00:ec2::{254,123,253} */
	NACL_EXEMPT_CIDR,      /* --exempt CIDR */
	NACL_EXEMPT_SUBNET,    /* --subnet CIDR: intra-subnet, bypasses the NACL */
};

/*
 * The AWS link-local services the NACL does not filter: instance metadata
 * (169.254.169.254, fd00:ec2::254), Amazon Time Sync (.123, ::123) and the
 * Route 53 Resolver (.253, ::253).  Source: VPC User Guide, network ACLs.
 */
#define NACL_NLINKLOCAL 6
extern const struct nacl_cidr nacl_linklocal[NACL_NLINKLOCAL];

/*
 * nacl_exempt() - whether @p is passed without judging.
 * The peer address (source on ingress, destination on egress) is the one
 * compared with the link-local services, @exempt and @subnet.
 * @exempt, @nexempt / @subnet, @nsubnet: CIDRs from --exempt / --subnet
 * (either may be NULL with a count of 0).
 */
enum nacl_exempt_reason nacl_exempt(const struct nacl_packet *p,
				    const struct nacl_cidr *exempt,
				    size_t nexempt,
				    const struct nacl_cidr *subnet,
				    size_t nsubnet);

/* ---- parsing helpers shared by the parsers and the command line --------- */

/*
 * nacl_parse_cidr() - parse "A.B.C.D/N" or "X::Y/N" (a bare address is a
 * host route).  Host bits are cleared; *host_bits tells whether any were
 * set.  Returns 0 or -EINVAL.
 */
int nacl_parse_cidr(const char *s, struct nacl_cidr *c, bool *host_bits);

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

#endif /* NACLEMU_NACL_H */
