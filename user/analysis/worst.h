/* SPDX-License-Identifier: MIT */
/*
 * worst.h - the worst-case packet of a rule set: the one decided furthest
 * down its rules, which is what a benchmark of that rule set must time.
 */
#ifndef NACLEMU_ANALYSIS_WORST_H
#define NACLEMU_ANALYSIS_WORST_H

#include <stddef.h>

#include "analysis/eval.h"

/*
 * struct nacl_worst - @p, judged @v by the rules; @nrules: the numbered
 * rules of that direction and family.
 */
struct nacl_worst {
	struct nacl_packet p;
	struct nacl_verdict v;
	size_t nrules;
};

/*
 * nacl_worst_packet() - the packet of direction @dir and family @family (4
 * or 6) decided by the highest rule number (the default deny beats every
 * rule), among packets to and from every rule's block, its neighbours and
 * documentation addresses, with every rule's port or type range ends.
 * Exempt packets are not candidates: they skip the rules.  At equal rank
 * TCP wins: its header is the longest to parse.  Not thread-safe.
 */
void nacl_worst_packet(const struct nacl_ruleset *rs, enum naclemu_dir dir, uint8_t family,
		       struct nacl_worst *w);

/*
 * nacl_packet_str() - "tcp 203.0.113.1 -> 192.0.2.10:1",
 * "icmp 192.0.2.1 -> 192.0.2.10 type 8 code 0" into @buf.
 */
const char *nacl_packet_str(const struct nacl_packet *p, char buf[128]);

#endif /* NACLEMU_ANALYSIS_WORST_H */
