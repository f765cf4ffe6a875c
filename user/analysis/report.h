/* SPDX-License-Identifier: MIT */
/*
 * report.h - what `naclemu check` finds out about a rule set: its rules
 * that can never be reached, and how TCP responses to common clients'
 * ephemeral ports fare (docs/semantics.md section 1).  The normalised
 * tables themselves are the rule set (rules/model.h).  No output: the
 * command renders the report as text or JSON.
 */
#ifndef NACLEMU_ANALYSIS_REPORT_H
#define NACLEMU_ANALYSIS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "rules/model.h"

/*
 * struct nacl_shadow - a rule that never decides a packet (nacl_shadowed()).
 * @dir, @index: the rule, rs->rules[dir][index].
 * @by, @nby: indexes into rs->rules[dir] of the earlier rules that together
 *            match all it matches, in rule order.
 */
struct nacl_shadow {
	enum naclemu_dir dir;
	size_t index;
	size_t nby;
	size_t by[NACL_MAX_RULES];
};

/*
 * struct nacl_eph_cell - one client's ephemeral range judged for TCP
 * responses to one peer.
 * @dir: NACLEMU_INGRESS: responses coming in to a client in the subnet,
 *       judged by the inbound rules; NACLEMU_EGRESS: responses going out to
 *       a client that connected in, judged by the outbound rules.
 * @family: 4 or 6.
 * @peer: the CIDR (of a TCP or all-protocol rule of @dir and @family, or
 *        the whole family's space when there is none) the peer stands for.
 * @os: the client, from nacl_client_oses[]; its range, host order,
 *      inclusive.
 * @closed, @nclosed: the runs of the range that are denied, as
 *        report->segs[closed .. closed + nclosed - 1], ascending.
 * @closed_ports: how many ports of the range they hold, 0 .. hi - lo + 1.
 */
struct nacl_eph_cell {
	enum naclemu_dir dir;
	uint8_t family;
	struct naclemu_cidr peer;
	const struct nacl_client_os *os;
	size_t closed;
	size_t nclosed;
	uint64_t closed_ports;
};

/*
 * struct nacl_check_report - the result of nacl_check_report().
 * @rs: the rule set judged (its tables are the normalised rules).
 * @shadowed, @nshadowed: the unreachable rules, inbound then outbound, each
 *        in rule order.
 * @eph, @neph: the ephemeral-port table, one cell per (family 4 then 6,
 *        for families the rules use; direction inbound then outbound; peer;
 *        client OS in nacl_client_oses[] order): rows of nacl_nclient_oses
 *        cells that share @dir, @family and @peer.
 * @segs, @nsegs: the closed runs of port numbers the cells point into.
 * All arrays are malloc'ed: release them with nacl_check_report_free().
 */
struct nacl_check_report {
	const struct nacl_ruleset *rs;
	struct nacl_shadow *shadowed;
	size_t nshadowed;
	struct nacl_eph_cell *eph;
	size_t neph;
	struct nacl_port_seg *segs;
	size_t nsegs;
};

/*
 * nacl_check_report() - judge the whole of @rs for `check`: find the
 * shadowed rules, and judge every client of nacl_client_oses[] for TCP
 * responses from each peer CIDR of each direction (the peers are the
 * distinct CIDRs of TCP and all-protocol rules, each represented by an
 * address that no more specific one of them holds).  AWS: "Ephemeral
 * ports" in the VPC User Guide's network ACL page; the ranges are those of
 * nacl_client_oses[].
 *
 * Appends one warning per shadowed rule to @rs->warnings, as the readers
 * append theirs ("FILE:LINE:COL: inbound rule 200 is never reached: ..."),
 * so that check lists all warnings together.
 * @rep: filled; release with nacl_check_report_free(), also on failure.
 * Return: 0, or -ENOMEM.
 */
int nacl_check_report(struct nacl_ruleset *rs, struct nacl_check_report *rep);

/* nacl_check_report_free() - release @rep's arrays (@rep may be zeroed). */
void nacl_check_report_free(struct nacl_check_report *rep);

#endif /* NACLEMU_ANALYSIS_REPORT_H */
