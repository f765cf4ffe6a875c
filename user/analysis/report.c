// SPDX-License-Identifier: MIT
/*
 * report.c - what `naclemu check` computes (see report.h): shadowed rules
 * and the ephemeral-port table, with the offline evaluator's analyses
 * (analysis.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report.h"

/*
 * Record rule @i of @dir as shadowed when it is, and warn about it: "rules
 * 100, 110 before it match all it matches" (the list cut at 255 bytes).
 */
static void report_shadow(struct nacl_ruleset *rs, enum naclemu_dir dir, size_t i,
			  struct nacl_check_report *rep)
{
	struct nacl_shadow *sh = &rep->shadowed[rep->nshadowed];
	const struct nacl_rule *r = &rs->rules[dir][i];
	char list[256] = "";
	size_t off = 0;

	if (!nacl_shadowed(rs, dir, i, sh->by, NACL_MAX_RULES, &sh->nby))
		return;
	sh->dir = dir;
	sh->index = i;
	rep->nshadowed++;
	for (size_t k = 0; k < sh->nby && off < sizeof(list); k++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%u", k ? ", " : "",
					rs->rules[dir][sh->by[k]].number);
	nacl_warn(rs, r->line, r->col,
		  "%s rule %u is never reached: rule%s %s before it match%s all it matches",
		  nacl_dir_name(dir), r->number, sh->nby > 1 ? "s" : "", list,
		  sh->nby > 1 ? "" : "es");
}

/*
 * The peers worth asking about in one direction and family: each distinct
 * CIDR of a TCP or all-protocol rule, represented by an address of it
 * (@addrs, network order) that no more specific CIDR of the list holds.
 * With no such rule, the whole address space.  Returns how many, at least
 * 1, at most NACL_MAX_RULES.
 */
static size_t ephemeral_peers(const struct nacl_ruleset *rs, enum naclemu_dir dir,
			      uint8_t family, struct naclemu_cidr *peers, uint8_t (*addrs)[16])
{
	const struct naclemu_cidr *list[NACL_MAX_RULES];
	size_t n = 0, np = 0;

	for (size_t i = 0; i < rs->count[dir]; i++) {
		const struct nacl_rule *r = &rs->rules[dir][i];

		if (r->cidr.family == family &&
		    (r->protocol == NACLEMU_PROTO_TCP || r->protocol == NACLEMU_PROTO_ALL))
			list[n++] = &r->cidr;
	}
	for (size_t i = 0; i < n; i++) {
		const struct naclemu_cidr *sub[NACL_MAX_RULES];
		size_t nsub = 0;
		bool dup = false;

		for (size_t k = 0; k < np && !dup; k++)
			dup = !memcmp(&peers[k], list[i], sizeof(*list[i]));
		if (dup)
			continue;
		for (size_t k = 0; k < n; k++)
			if (list[k]->prefix_len > list[i]->prefix_len)
				sub[nsub++] = list[k];
		if (!nacl_cidr_uncovered(list[i], sub, nsub, addrs[np]))
			continue;
		peers[np++] = *list[i];
	}
	if (np == 0) {
		memset(&peers[0], 0, sizeof(peers[0]));
		peers[0].family = family;
		memset(addrs[0], 0, 16);
		np = 1;
	}
	return np;
}

static bool family_used(const struct nacl_ruleset *rs, uint8_t family)
{
	for (int d = 0; d < NACLEMU_NDIRS; d++)
		for (size_t i = 0; i < rs->count[d]; i++)
			if (rs->rules[d][i].cidr.family == family)
				return true;
	return false;
}

/* Append run @s to rep->segs (capacity *@cap).  Returns 0 or -ENOMEM. */
static int push_seg(struct nacl_check_report *rep, const struct nacl_port_seg *s, size_t *cap)
{
	if (rep->nsegs == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		struct nacl_port_seg *p = realloc(rep->segs, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		rep->segs = p;
		*cap = ncap;
	}
	rep->segs[rep->nsegs++] = *s;
	return 0;
}

/*
 * Judge TCP responses from @peer (network order) to every port of @c->os's
 * range, by the rules of @c->dir, and record the denied runs in @c and
 * rep->segs.  Returns 0 or -ENOMEM.
 */
static int ephemeral_judge(const struct nacl_ruleset *rs, const uint8_t *peer,
			   struct nacl_eph_cell *c, struct nacl_check_report *rep, size_t *cap)
{
	struct nacl_port_seg segs[NACL_MAX_SEGS];
	struct nacl_packet p = {
		.dir = c->dir,
		.family = c->family,
		.protocol = NACLEMU_PROTO_TCP,
		.l4_known = true,
	};
	size_t n;

	memcpy(c->dir == NACLEMU_INGRESS ? p.src : p.dst, peer, 16);
	n = nacl_port_segments(rs, &p, c->os->lo, c->os->hi, segs);
	c->closed = rep->nsegs;
	for (size_t i = 0; i < n; i++) {
		if (segs[i].verdict.allow)
			continue;
		if (push_seg(rep, &segs[i], cap))
			return -ENOMEM;
		c->nclosed++;
		c->closed_ports += (uint64_t)segs[i].to - segs[i].from + 1;
	}
	return 0;
}

/* One row of cells per peer of @dir and @family.  Returns 0 or -ENOMEM. */
static int ephemeral_rows(const struct nacl_ruleset *rs, enum naclemu_dir dir, uint8_t family,
			  struct nacl_check_report *rep, size_t *cap)
{
	struct naclemu_cidr peers[NACL_MAX_RULES];
	uint8_t addrs[NACL_MAX_RULES][16];
	size_t np = ephemeral_peers(rs, dir, family, peers, addrs);

	for (size_t k = 0; k < np; k++) {
		for (size_t o = 0; o < nacl_nclient_oses; o++) {
			struct nacl_eph_cell *c = &rep->eph[rep->neph++];

			*c = (struct nacl_eph_cell){
				.dir = dir,
				.family = family,
				.peer = peers[k],
				.os = &nacl_client_oses[o],
			};
			if (ephemeral_judge(rs, addrs[k], c, rep, cap))
				return -ENOMEM;
		}
	}
	return 0;
}

int nacl_check_report(struct nacl_ruleset *rs, struct nacl_check_report *rep)
{
	size_t nrules = rs->count[NACLEMU_INGRESS] + rs->count[NACLEMU_EGRESS];
	size_t cap = 0;

	memset(rep, 0, sizeof(*rep));
	rep->rs = rs;
	/* Peers of a direction: at most its rules, or one per family without. */
	rep->shadowed = calloc(nrules + 1, sizeof(*rep->shadowed));
	rep->eph = calloc((nrules + NACLEMU_NDIRS * NACLEMU_NFAMS) * nacl_nclient_oses,
			  sizeof(*rep->eph));
	if (!rep->shadowed || !rep->eph)
		return -ENOMEM;
	for (int d = 0; d < NACLEMU_NDIRS; d++)
		for (size_t i = 0; i < rs->count[d]; i++)
			report_shadow(rs, d, i, rep);
	for (uint8_t family = 4; family <= 6; family += 2) {
		if (!family_used(rs, family))
			continue;
		for (int d = 0; d < NACLEMU_NDIRS; d++)
			if (ephemeral_rows(rs, d, family, rep, &cap))
				return -ENOMEM;
	}
	return 0;
}

void nacl_check_report_free(struct nacl_check_report *rep)
{
	free(rep->shadowed);
	free(rep->eph);
	free(rep->segs);
	memset(rep, 0, sizeof(*rep));
}
