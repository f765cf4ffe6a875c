// SPDX-License-Identifier: MIT
/* explain.c - one packet judged for `naclemu explain` (see explain.h). */
#include <stdbool.h>
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

/* Whether @a and @b decide alike: same exemption, or same verdict and rule. */
static bool same_judgement(const struct nacl_icmp_run *a, enum nacl_exempt_reason ex,
			   const struct nacl_verdict *v)
{
	if (a->exempt != ex)
		return false;
	return ex != NACL_NOT_EXEMPT ||
	       (a->verdict.allow == v->allow && a->verdict.rule_number == v->rule_number);
}

size_t nacl_explain_icmp(const struct nacl_ruleset *rs, const struct nacl_packet *p,
			 const struct nacl_extra *x, struct nacl_icmp_run *runs)
{
	struct nacl_packet q = *p;
	size_t n = 0;

	q.l4_known = true;
	for (uint32_t key = 0; key <= 0xffff; key++) {
		struct nacl_verdict v = { .allow = true, .index = -1 };
		enum nacl_exempt_reason ex;

		q.icmp_type = (uint8_t)(key >> 8);
		q.icmp_code = (uint8_t)key;
		ex = nacl_exempt(&q, x);
		if (ex == NACL_NOT_EXEMPT)
			v = nacl_evaluate(rs, &q);
		if (n && same_judgement(&runs[n - 1], ex, &v)) {
			runs[n - 1].to = (uint16_t)key;
			continue;
		}
		if (n == NACL_MAX_ICMP_RUNS)
			return 0;
		runs[n++] = (struct nacl_icmp_run){ (uint16_t)key, (uint16_t)key, ex, v };
	}
	return n;
}
