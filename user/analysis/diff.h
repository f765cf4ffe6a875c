/* SPDX-License-Identifier: MIT */
/*
 * diff.h - `naclemu diff`: what changes between two network ACLs, by
 * meaning rather than by text (docs/semantics.md sections 1 and 3).
 *
 * The answer is the set of packets whose verdict (allow or deny) is not the
 * same under the two rule sets, written as a list of regions: direction,
 * address family, protocol, destination-port or ICMP type/code range, peer
 * CIDRs, and the deciding rule on each side.  Packets that both sides allow
 * (or both deny), even by different rules, are no difference: renumbering
 * rules without changing a verdict gives an empty list.  Besides the
 * regions, the ephemeral-port table that `check` prints, before and after,
 * and the rules that became shadowed or stopped being shadowed.
 *
 * Sources for the semantics: AWS VPC User Guide "Control subnet traffic
 * with network ACLs" (first match, default deny, ephemeral ports), EC2 API
 * reference CreateNetworkAclEntry / NetworkAclEntry (ports, ICMP, -1).
 * No output: the command (cli/diff.c) renders the result.
 */
#ifndef NACLEMU_ANALYSIS_DIFF_H
#define NACLEMU_ANALYSIS_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "analysis/eval.h"
#include "rules/model.h"

/*
 * A region's protocol when it stands for every protocol that no rule of
 * its direction and family names (on either side): these protocols are all
 * judged alike, by the rules of protocol -1 alone, so they are one region.
 * nacl_diff.named[dir][fam][] says which protocols are left out.  When no
 * rule names any protocol it is simply every protocol ("all").
 */
#define NACL_DIFF_OTHER (-1)

/*
 * What the L4 key of a region's protocol is (see nacl_rule_key_range()).
 * NACL_DIFF_KEY_NONE: the rules look at no port or type for this protocol
 * (protocols other than 6, 17, 1, 58; 58 in IPv4; NACL_DIFF_OTHER): the
 * region holds every packet of the protocol, later fragments included.
 */
enum nacl_diff_key {
	NACL_DIFF_KEY_NONE = 0,
	NACL_DIFF_KEY_PORTS, /* TCP (6), UDP (17): the destination port */
	NACL_DIFF_KEY_ICMP,  /* ICMP (1), ICMPv6 (58) in IPv6: type << 8 | code */
};

/*
 * struct nacl_diff_region - packets judged differently by OLD and NEW.
 * The region is the product of its fields: every packet of direction @dir,
 * family @family, protocol @protocol, whose key is in [@key_lo, @key_hi]
 * (with @keys) or which is a later fragment with unknown ports (with
 * @fragments, docs/semantics.md section 1.8), and whose peer address
 * (source inbound, destination outbound) is in one of the CIDRs.  Every
 * such packet is judged @old by OLD and @new by NEW, and @old.allow !=
 * @new.allow.  Exempt traffic (section 1.6: DHCP ports, neighbour
 * discovery types, the link-local service addresses) is never judged and
 * is not part of a region, even where a region's ranges span it.
 *
 * @dir: NACLEMU_INGRESS (inbound rules) or NACLEMU_EGRESS (outbound rules).
 * @family: 4 or 6.
 * @protocol: 0..255, or NACL_DIFF_OTHER.
 * @kind: what the key is; with NACL_DIFF_KEY_NONE, @keys and @fragments
 *        are both true and the key range is 0..65535.
 * @keys, @key_lo, @key_hi: packets with a known key in [lo, hi], host
 *        order, inclusive.  With @fragments as well the range is always
 *        the whole 0..65535 (every packet of the protocol).
 * @fragments: later fragments whose first fragment was not seen.
 * @cidr, @ncidr: the peer addresses, d->cidrs[cidr .. cidr + ncidr - 1],
 *        ascending and disjoint: the fewest CIDRs that hold exactly them.
 * @old, @new: verdicts (rule number 1..32766, or 32767 / 32768 for the
 *        default deny with index -1; index into that side's rules[@dir]).
 */
struct nacl_diff_region {
	enum naclemu_dir dir;
	uint8_t family;
	int protocol;
	enum nacl_diff_key kind;
	bool keys;
	uint16_t key_lo, key_hi;
	bool fragments;
	size_t cidr, ncidr;
	struct nacl_verdict old, new;
};

/*
 * struct nacl_diff_eph_side - one client's ephemeral range under one side.
 * @closed, @nclosed: the denied runs, d->segs[closed .. closed + nclosed - 1],
 *        ascending, with their deciding rules (index into that side's rules).
 * @closed_ports: ports of the range they hold, 0 .. hi - lo + 1.
 */
struct nacl_diff_eph_side {
	size_t closed, nclosed;
	uint64_t closed_ports;
};

/*
 * struct nacl_diff_eph - TCP responses to one client's ephemeral range from
 * one peer, as in `check` (analysis/report.h, struct nacl_eph_cell), under
 * OLD and NEW.
 * @dir: NACLEMU_INGRESS: responses coming in to a client in the subnet;
 *       NACLEMU_EGRESS: responses going out to a client that connected in.
 * @family: 4 or 6.
 * @peer: a CIDR of a TCP or all-protocol rule of @dir and @family of either
 *       side, or the whole family's space when there is none.
 * @addr: the address that stands for @peer (network order): one that no
 *       more specific such CIDR holds, the same for both sides.
 * @os: the client (nacl_client_oses[]); its range, host order, inclusive.
 * @changed: the set of closed ports differs.
 */
struct nacl_diff_eph {
	enum naclemu_dir dir;
	uint8_t family;
	struct naclemu_cidr peer;
	uint8_t addr[16];
	const struct nacl_client_os *os;
	struct nacl_diff_eph_side old, new;
	bool changed;
};

/*
 * struct nacl_diff_shadow - a rule whose reachability changed
 * (nacl_shadowed(), docs/semantics.md section 1.2).  Rules of the two sides
 * are paired by direction and content (action, protocol, ports or ICMP,
 * CIDR; not the number): the k-th rule of a content in NEW, in rule order,
 * with the k-th of the same content in OLD.
 * @dir, @family: the rule's direction and family.
 * @index: the rule in NEW, new->rules[dir][index].
 * @old_index: its pair in OLD, or -1 when OLD has none.
 * @by, @nby: the earlier rules that match all it matches, as indexes into
 *        the rules of the side where it is shadowed (NEW for
 *        d->shadowed, OLD for d->unshadowed).
 */
struct nacl_diff_shadow {
	enum naclemu_dir dir;
	uint8_t family;
	size_t index;
	int old_index;
	size_t nby;
	size_t by[NACL_MAX_RULES];
};

/*
 * struct nacl_diff - the result of nacl_diff().
 * @old, @new: the two rule sets (the result points into them).
 * @regions, @nregions: in order of direction (inbound first), family (4
 *        then 6), protocol (ascending, NACL_DIFF_OTHER last), first key
 *        (later fragments alone after every key), first peer address.
 *        Empty when no verdict changes.
 * @cidrs, @ncidrs: the regions' CIDRs.
 * @named: named[dir][NACLEMU_FAM_IDX(family)][p]: some rule of that
 *        direction and family (of either side) names protocol p, so that p
 *        is not part of that direction and family's NACL_DIFF_OTHER.
 * @eph, @neph: the ephemeral table: families either side uses (4 then 6),
 *        direction inbound then outbound, peers, clients in
 *        nacl_client_oses[] order; @segs, @nsegs: its closed runs.
 * @shadowed, @nshadowed: rules of NEW that are never reached, whose pair in
 *        OLD was reached or missing; in direction and rule order.
 * @unshadowed, @nunshadowed: rules of NEW that are reached, whose pair in
 *        OLD was never reached.
 * @cells: how many cells (protocol class x key interval x address
 *        interval) were judged on each side: the work done.
 * Arrays are malloc'ed: release them with nacl_diff_free().
 */
struct nacl_diff {
	const struct nacl_ruleset *old, *new;
	struct nacl_diff_region *regions;
	size_t nregions;
	struct naclemu_cidr *cidrs;
	size_t ncidrs;
	bool named[NACLEMU_NDIRS][NACLEMU_NFAMS][256];
	struct nacl_diff_eph *eph;
	size_t neph;
	struct nacl_port_seg *segs;
	size_t nsegs;
	struct nacl_diff_shadow *shadowed;
	size_t nshadowed;
	struct nacl_diff_shadow *unshadowed;
	size_t nunshadowed;
	uint64_t cells;
};

/*
 * nacl_diff() - compare @old and @new by meaning (docs/semantics.md
 * section 1, first match wins; section 3, `diff`), without exemptions
 * other than those of section 1.6 that need no option (no --exempt, no
 * --subnet).  Exact: a packet that is not exempt is in a region if and
 * only if nacl_evaluate() gives it different verdicts under @old and @new.
 *
 * Each direction and family is cut into cells: the elementary intervals of
 * the peer address between the CIDR boundaries of both sides' rules, the
 * protocols the rules name plus one class for the rest, the elementary
 * intervals of the key between both sides' port and ICMP ranges, plus
 * later fragments.  Every packet of a cell is judged alike on each side.
 * Cells that change are merged, first along addresses (one address set per
 * pair of deciding rules), then along keys (neighbouring key intervals
 * with the same address set), so the list is short and deterministic; it is
 * not guaranteed to be the smallest possible.  Work: one O(1) judgement
 * per cell and side.  With n rules of both sides in a direction and
 * family, there are at most 2n + 1 address intervals, n + 1 protocol
 * classes and 2n + 8 key rows over all protocols: under 4 * 10^4 cells
 * for AWS's largest NACLs (39 rules per direction and family, n = 78),
 * under 1.6 * 10^5 for NACL_MAX_RULES in one family.  Memory: two rows of
 * cells; the output is bounded by the cells (and 2 * 128 CIDRs a range).
 *
 * @d: filled; release with nacl_diff_free(), also on failure.
 * Return: 0; -EINVAL when a rule set holds more than NACL_MAX_RULES rules
 * in a direction; -ENOMEM.
 */
int nacl_diff(const struct nacl_ruleset *old, const struct nacl_ruleset *new,
	      struct nacl_diff *d);

/* nacl_diff_free() - release @d's arrays (@d may be zeroed). */
void nacl_diff_free(struct nacl_diff *d);

/*
 * nacl_diff_keys_str() - a region's key range for people: ports "80",
 * "1024-65535"; ICMP "3/4", "3" (every code of type 3), "3-5", "3/4-5/0";
 * "fragments" for later fragments alone; "all" for every packet of the
 * protocol (NACL_DIFF_KEY_NONE, or the whole range with fragments).
 */
const char *nacl_diff_keys_str(const struct nacl_diff_region *r, char buf[32]);

/*
 * nacl_diff_proto_str() - a region's protocol for people: "tcp", "47", and
 * for NACL_DIFF_OTHER "other", or "all" when no rule of its direction and
 * family names a protocol.
 */
const char *nacl_diff_proto_str(const struct nacl_diff *d, const struct nacl_diff_region *r,
				char buf[8]);

#endif /* NACLEMU_ANALYSIS_DIFF_H */
