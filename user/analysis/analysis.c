// SPDX-License-Identifier: MIT
/*
 * analysis.c - shadowed rules and port-range verdicts (see analysis.h).
 *
 * Both reduce a question over a huge packet space to a few representative
 * packets: the rules cut each dimension (protocol, L4 key, address) into a
 * handful of elementary pieces, and every packet of a piece is judged
 * alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

const struct nacl_client_os nacl_client_oses[] = {
	{ "linux", 32768, 60999 },
	{ "windows", 49152, 65535 },
	{ "macos", 49152, 65535 },
	{ "elb", 1024, 65535 },
	{ "nat", 1024, 65535 },
};
const size_t nacl_nclient_oses =
	sizeof(nacl_client_oses) / sizeof(nacl_client_oses[0]);

const struct nacl_client_os *nacl_client_os_find(const char *name)
{
	for (size_t i = 0; i < nacl_nclient_oses; i++)
		if (!strcmp(nacl_client_oses[i].name, name))
			return &nacl_client_oses[i];
	return NULL;
}

static unsigned int family_bits(uint8_t family)
{
	return family == 4 ? 32 : 128;
}

bool nacl_cidr_uncovered(const struct naclemu_cidr *target,
			 const struct naclemu_cidr *const *list, size_t n,
			 uint8_t addr[16])
{
	struct naclemu_cidr half;
	bool inside = false;
	unsigned int bit;

	for (size_t i = 0; i < n; i++) {
		const struct naclemu_cidr *c = list[i];

		if (c->family != target->family)
			continue;
		if (c->prefix_len <= target->prefix_len &&
		    nacl_cidr_contains(c, target->addr))
			return false;
		if (c->prefix_len > target->prefix_len &&
		    nacl_cidr_contains(target, c->addr))
			inside = true;
	}
	if (!inside) {
		memcpy(addr, target->addr, 16);
		return true;
	}
	/* Some CIDR lies strictly inside: look at each half in turn. */
	bit = target->prefix_len;
	if (bit >= family_bits(target->family))
		return false;
	half = *target;
	half.prefix_len++;
	if (nacl_cidr_uncovered(&half, list, n, addr))
		return true;
	half.addr[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	return nacl_cidr_uncovered(&half, list, n, addr);
}

/* Whether the L4 key means something for protocol @p in family @f. */
static bool proto_keyed(int p, uint8_t f)
{
	return p == NACLEMU_PROTO_TCP || p == NACLEMU_PROTO_UDP ||
	       p == NACLEMU_PROTO_ICMP || (p == NACLEMU_PROTO_ICMPV6 && f == 6);
}

static bool proto_compatible(const struct nacl_rule *r, int p)
{
	return r->protocol == NACLEMU_PROTO_ALL || r->protocol == p;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Whether the earlier rules @cand (indexes into @rules) whose protocol fits
 * @p and whose key range holds [@a, @b] (keyless: only rules that ignore the
 * key) cover @target's addresses.
 */
static bool piece_covered(const struct nacl_rule *rules, const size_t *cand,
			  size_t ncand, int p, bool keyless, uint32_t a,
			  uint32_t b, const struct naclemu_cidr *target)
{
	const struct naclemu_cidr *list[NACL_MAX_RULES];
	uint8_t addr[16];
	size_t n = 0;

	for (size_t k = 0; k < ncand; k++) {
		const struct nacl_rule *r = &rules[cand[k]];
		uint16_t lo, hi;

		if (!proto_compatible(r, p))
			continue;
		if (nacl_rule_key_range(r, &lo, &hi) &&
		    (keyless || lo > a || hi < b))
			continue;
		list[n++] = &r->cidr;
	}
	return !nacl_cidr_uncovered(target, list, n, addr);
}

static bool proto_covered(const struct nacl_rule *rules, const size_t *cand,
			  size_t ncand, const struct nacl_rule *r, int p)
{
	uint32_t pts[2 * NACL_MAX_RULES + 2];
	uint32_t rlo = 0, rhi = 65535;
	size_t npts = 0;
	uint16_t lo, hi;
	bool rkeyless = true;

	if (!proto_keyed(p, r->cidr.family))
		return piece_covered(rules, cand, ncand, p, false, 0, 65535,
				     &r->cidr);
	if (r->protocol == p && nacl_rule_key_range(r, &lo, &hi)) {
		rlo = lo;
		rhi = hi;
		rkeyless = false;
	}
	/* A keyless rule also meets packets with unknown ports (fragments). */
	if (rkeyless &&
	    !piece_covered(rules, cand, ncand, p, true, 0, 0, &r->cidr))
		return false;
	pts[npts++] = rlo;
	pts[npts++] = rhi + 1;
	for (size_t k = 0; k < ncand; k++) {
		const struct nacl_rule *e = &rules[cand[k]];

		if (e->protocol != p || !nacl_rule_key_range(e, &lo, &hi))
			continue;
		if (lo > rlo && lo <= rhi)
			pts[npts++] = lo;
		if ((uint32_t)hi + 1 > rlo && hi < rhi)
			pts[npts++] = (uint32_t)hi + 1;
	}
	qsort(pts, npts, sizeof(pts[0]), cmp_u32);
	for (size_t k = 0; k + 1 < npts; k++) {
		if (pts[k] == pts[k + 1])
			continue;
		if (!piece_covered(rules, cand, ncand, p, false, pts[k],
				   pts[k + 1] - 1, &r->cidr))
			return false;
	}
	return true;
}

/* Whether earlier rule @e can decide some packet that @r matches. */
static bool overlaps(const struct nacl_rule *e, const struct nacl_rule *r)
{
	uint16_t elo, ehi, rlo, rhi;
	const struct naclemu_cidr *wide = &e->cidr, *narrow = &r->cidr;

	if (e->protocol != NACLEMU_PROTO_ALL && r->protocol != NACLEMU_PROTO_ALL &&
	    e->protocol != r->protocol)
		return false;
	if (wide->prefix_len > narrow->prefix_len) {
		wide = &r->cidr;
		narrow = &e->cidr;
	}
	if (!nacl_cidr_contains(wide, narrow->addr))
		return false;
	if (e->protocol == r->protocol && nacl_rule_key_range(e, &elo, &ehi) &&
	    nacl_rule_key_range(r, &rlo, &rhi))
		return elo <= rhi && rlo <= ehi;
	return true;
}

bool nacl_shadowed(const struct nacl_ruleset *rs, enum naclemu_dir dir, size_t i,
		   size_t *by, size_t max_by, size_t *nby)
{
	const struct nacl_rule *rules = rs->rules[dir];
	const struct nacl_rule *r = &rules[i];
	size_t cand[NACL_MAX_RULES] = { 0 }, ncand = 0;
	bool seen[256] = { false };

	*nby = 0;
	for (size_t j = 0; j < i; j++)
		if (rules[j].cidr.family == r->cidr.family)
			cand[ncand++] = j;

	if (r->protocol != NACLEMU_PROTO_ALL) {
		if (!proto_covered(rules, cand, ncand, r, r->protocol))
			return false;
	} else {
		int other = -1;

		/* Every protocol an earlier rule names, and one none names. */
		for (size_t k = 0; k < ncand; k++) {
			int p = rules[cand[k]].protocol;

			if (p == NACLEMU_PROTO_ALL || seen[p])
				continue;
			seen[p] = true;
			if (!proto_covered(rules, cand, ncand, r, p))
				return false;
		}
		for (int p = 0; p < 256 && other < 0; p++)
			if (!seen[p])
				other = p;
		if (other >= 0 && !proto_covered(rules, cand, ncand, r, other))
			return false;
	}
	for (size_t k = 0; k < ncand && *nby < max_by; k++)
		if (overlaps(&rules[cand[k]], r))
			by[(*nby)++] = cand[k];
	return true;
}

size_t nacl_port_segments(const struct nacl_ruleset *rs,
			  const struct nacl_packet *tmpl, uint16_t lo,
			  uint16_t hi, struct nacl_port_seg *segs)
{
	const struct nacl_rule *rules = rs->rules[tmpl->dir];
	uint32_t pts[2 * NACL_MAX_RULES + 2];
	struct nacl_packet p = *tmpl;
	size_t npts = 0, nsegs = 0;

	pts[npts++] = lo;
	pts[npts++] = (uint32_t)hi + 1;
	for (size_t k = 0; k < rs->count[tmpl->dir]; k++) {
		const struct nacl_rule *r = &rules[k];
		uint16_t rlo, rhi;

		if (r->cidr.family != tmpl->family ||
		    r->protocol != tmpl->protocol ||
		    !nacl_rule_key_range(r, &rlo, &rhi))
			continue;
		if (rlo > lo && rlo <= hi)
			pts[npts++] = rlo;
		if (rhi >= lo && rhi < hi)
			pts[npts++] = (uint32_t)rhi + 1;
	}
	qsort(pts, npts, sizeof(pts[0]), cmp_u32);
	p.l4_known = true;
	for (size_t k = 0; k + 1 < npts; k++) {
		struct nacl_verdict v;

		if (pts[k] == pts[k + 1])
			continue;
		p.dst_port = (uint16_t)pts[k];
		v = nacl_evaluate(rs, &p);
		if (nsegs && segs[nsegs - 1].verdict.index == v.index &&
		    segs[nsegs - 1].verdict.rule_number == v.rule_number) {
			segs[nsegs - 1].to = (uint16_t)(pts[k + 1] - 1);
			continue;
		}
		if (nsegs == NACL_MAX_SEGS)
			break;
		segs[nsegs].from = (uint16_t)pts[k];
		segs[nsegs].to = (uint16_t)(pts[k + 1] - 1);
		segs[nsegs].verdict = v;
		nsegs++;
	}
	return nsegs;
}

const char *nacl_percent(uint64_t part, uint64_t whole, char buf[8])
{
	uint64_t pct;

	if (whole == 0 || part == 0)
		return "0";
	if (part >= whole)
		return "100";
	pct = (part * 100 + whole / 2) / whole;
	if (pct == 0)
		return "<1";
	if (pct >= 100)
		return ">99";
	snprintf(buf, 8, "%u", (unsigned int)pct);
	return buf;
}
