// SPDX-License-Identifier: MIT
/* explain.c - one packet judged for `naclemu explain` (see explain.h). */
#include <string.h>

#include "analysis/explain.h"

/* The rules that match @p in all but its L4 key (port or ICMP type/code). */
static void near_misses(const struct nacl_ruleset *rs, const struct nacl_packet *p,
			struct nacl_explanation *ex)
{
	const uint8_t *peer = p->dir == NACLEMU_INGRESS ? p->src : p->dst;

	for (size_t i = 0; i < rs->count[p->dir]; i++) {
		const struct nacl_rule *r = &rs->rules[p->dir][i];
		struct nacl_near_miss *m = &ex->near[ex->nnear];
		uint16_t lo, hi;

		if (r->cidr.family != p->family || r->protocol != p->protocol ||
		    !nacl_cidr_contains(&r->cidr, peer) || !nacl_rule_key_range(r, &lo, &hi))
			continue;
		m->index = i;
		if (!p->l4_known)
			m->why = NACL_NEAR_L4_UNKNOWN;
		else if (r->protocol == NACLEMU_PROTO_TCP || r->protocol == NACLEMU_PROTO_UDP)
			m->why = NACL_NEAR_PORT;
		else
			m->why = NACL_NEAR_ICMP;
		ex->nnear++;
	}
}

void nacl_explain(const struct nacl_ruleset *rs, const struct nacl_packet *p,
		  const struct nacl_extra *x, struct nacl_explanation *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->exempt = nacl_exempt(p, x);
	if (ex->exempt != NACL_NOT_EXEMPT)
		return;
	ex->verdict = nacl_evaluate(rs, p);
	if (ex->verdict.index < 0)
		near_misses(rs, p, ex);
}
