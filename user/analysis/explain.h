/* SPDX-License-Identifier: MIT */
/*
 * explain.h - judging one packet for `naclemu explain`: whether the NACL
 * filters it at all, the verdict and its deciding rule, and, when only the
 * default deny catches it, the rules it just missed (docs/semantics.md
 * section 1).  No output: the command renders the explanation.
 */
#ifndef NACLEMU_ANALYSIS_EXPLAIN_H
#define NACLEMU_ANALYSIS_EXPLAIN_H

#include <stddef.h>

#include "analysis/eval.h"
#include "rules/model.h"

/* What a near miss lacks to match the packet. */
enum nacl_near_why {
	NACL_NEAR_L4_UNKNOWN, /* it needs the port or ICMP type, unknown in a later fragment */
	NACL_NEAR_PORT,       /* TCP/UDP: all but the destination port */
	NACL_NEAR_ICMP,       /* ICMP/ICMPv6: all but the type/code */
};

/*
 * struct nacl_near_miss - a rule of the packet's direction, family and
 * protocol whose CIDR holds the peer but whose port range or ICMP
 * type/code does not hold the packet's.
 * @index: into rs->rules[p->dir].
 */
struct nacl_near_miss {
	size_t index;
	enum nacl_near_why why;
};

/*
 * struct nacl_explanation - the result of nacl_explain().
 * @exempt: why the packet is not filtered at all, as in AWS (ND, DHCP, the
 *          link-local services); NACL_NOT_EXEMPT when it is judged.
 * @verdict: the verdict when judged (@exempt is NACL_NOT_EXEMPT).
 * @near, @nnear: with the default deny only, the near misses in rule order:
 *          the usual mistake is a response that goes to the client's
 *          ephemeral port, not to the server's.
 */
struct nacl_explanation {
	enum nacl_exempt_reason exempt;
	struct nacl_verdict verdict;
	size_t nnear;
	struct nacl_near_miss near[NACL_MAX_RULES];
};

/*
 * nacl_explain() - judge @p by @rs as the datapath does with the
 * exemptions @x (NULL: none): nacl_exempt() first, then nacl_evaluate(),
 * first match wins.  Pure: no I/O, no allocation.
 */
void nacl_explain(const struct nacl_ruleset *rs, const struct nacl_packet *p,
		  const struct nacl_extra *x, struct nacl_explanation *ex);

/*
 * struct nacl_icmp_run - ICMP keys (type << 8 | code) @from..@to, host
 * order, inclusive, that a packet is judged alike for: the same exemption
 * reason, or the same verdict by the same rule.
 */
struct nacl_icmp_run {
	uint16_t from, to;
	enum nacl_exempt_reason exempt;
	struct nacl_verdict verdict;
};

#define NACL_MAX_ICMP_RUNS 512

/*
 * nacl_explain_icmp() - judge ICMP or ICMPv6 packet @p (its type and code
 * ignored) for every type and code, with the exemptions @x, and return the
 * runs of keys judged alike in @runs, ascending (docs/semantics.md section
 * 3: explain answers without --icmp when the verdict does not depend on
 * it).  Returns the number of runs, or 0 when there would be more than
 * NACL_MAX_ICMP_RUNS.
 */
size_t nacl_explain_icmp(const struct nacl_ruleset *rs, const struct nacl_packet *p,
			 const struct nacl_extra *x, struct nacl_icmp_run *runs);

#endif /* NACLEMU_ANALYSIS_EXPLAIN_H */
