// SPDX-License-Identifier: MIT
/*
 * diff_cells.c - nacl_diff()'s cells (diff_build.h): each direction and
 * family cut into address columns and, per protocol class, key rows, and a
 * cell judged in O(1) on each side by the first set bit of its rule masks.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/diff_build.h"

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

static unsigned int first_bit(u128 m)
{
	uint64_t lo = (uint64_t)m;

	return lo ? (unsigned int)__builtin_ctzll(lo) :
		    64 + (unsigned int)__builtin_ctzll((uint64_t)(m >> 64));
}

/* ---- planes, protocols, rows ------------------------------------------------ */

/* Whether every address of lo..hi is a link-local service (section 1.6). */
static bool col_exempt(u128 lo, u128 hi, uint8_t family)
{
	if (hi - lo >= NACL_NLINKLOCAL)
		return false;
	for (u128 a = lo;; a++) {
		bool in = false;

		for (size_t i = 0; i < NACL_NLINKLOCAL; i++)
			in |= nacl_linklocal[i].family == family &&
			      addr_num(nacl_linklocal[i].addr, family) == a;
		if (!in)
			return false;
		if (a == hi)
			return true;
	}
}

void diff_plane_init(struct diff_plane *pl, const struct nacl_ruleset *const rs[2],
		     enum naclemu_dir dir, uint8_t family, bool named[256])
{
	unsigned int bits = fam_bits(family);
	u128 top = low_mask(bits), bound[DIFF_MAX_BOUNDS];
	size_t nb = 0, nu = 0;

	memset(pl, 0, sizeof(*pl));
	pl->dir = dir;
	pl->family = family;
	bound[nb++] = 0;
	for (int s = 0; s < 2; s++) {
		struct diff_side *sd = &pl->s[s];

		sd->rs = rs[s];
		for (size_t i = 0; i < rs[s]->count[dir]; i++) {
			const struct nacl_rule *r = &rs[s]->rules[dir][i];
			size_t k = sd->n;
			uint16_t klo, khi;

			if (r->cidr.family != family)
				continue;
			sd->idx[k] = i;
			sd->lo[k] = addr_num(r->cidr.addr, family);
			sd->hi[k] = sd->lo[k] | low_mask(bits - r->cidr.prefix_len);
			if (!nacl_rule_key_range(r, &klo, &khi))
				sd->keyless |= (u128)1 << k;
			if (r->protocol != NACLEMU_PROTO_ALL)
				named[r->protocol & 0xff] = true;
			bound[nb++] = sd->lo[k];
			if (sd->hi[k] != top)
				bound[nb++] = sd->hi[k] + 1;
			sd->n++;
		}
	}
	qsort(bound, nb, sizeof(bound[0]), cmp_u128);
	for (size_t i = 0; i < nb; i++)
		if (!nu || bound[i] != bound[nu - 1])
			bound[nu++] = bound[i];
	pl->ncols = nu;
	for (size_t c = 0; c < nu; c++) {
		pl->lo[c] = bound[c];
		pl->hi[c] = c + 1 < nu ? bound[c + 1] - 1 : top;
		pl->exempt[c] = col_exempt(pl->lo[c], pl->hi[c], family);
		for (int s = 0; s < 2; s++)
			for (size_t k = 0; k < pl->s[s].n; k++)
				if (pl->s[s].lo[k] <= pl->lo[c] && pl->lo[c] <= pl->s[s].hi[k])
					pl->amask[s][c] |= (u128)1 << k;
	}
}

/* Whether protocol @p has a key that rules of @family can look at. */
static bool keyed(int p, uint8_t family)
{
	return p == NACLEMU_PROTO_TCP || p == NACLEMU_PROTO_UDP || p == NACLEMU_PROTO_ICMP ||
	       (p == NACLEMU_PROTO_ICMPV6 && family == 6);
}

/*
 * Whether every key lo..hi of protocol @p is exempt (docs/semantics.md
 * section 1.6): DHCP (UDP 67-68), DHCPv6 (UDP 546-547), neighbour
 * discovery (ICMPv6 types 133-137, any code).
 */
static bool key_exempt(int p, uint8_t family, uint16_t lo, uint16_t hi)
{
	uint16_t elo, ehi;

	if (p == NACLEMU_PROTO_UDP && family == 4) {
		elo = NACLEMU_DHCP_SERVER_PORT;
		ehi = NACLEMU_DHCP_CLIENT_PORT;
	} else if (p == NACLEMU_PROTO_UDP && family == 6) {
		elo = NACLEMU_DHCPV6_CLIENT_PORT;
		ehi = NACLEMU_DHCPV6_SERVER_PORT;
	} else if (p == NACLEMU_PROTO_ICMPV6 && family == 6) {
		elo = NACLEMU_ND_TYPE_FIRST << 8;
		ehi = NACLEMU_ND_TYPE_LAST << 8 | 0xff;
	} else {
		return false;
	}
	return lo >= elo && hi <= ehi;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void diff_proto_init(struct diff_proto *pc, const struct diff_plane *pl, int protocol, int p)
{
	uint32_t kb[DIFF_MAX_BOUNDS];
	size_t nk = 0, nu = 0;

	pc->protocol = protocol;
	pc->p = p;
	pc->kind = NACL_DIFF_KEY_NONE;
	if (protocol != NACL_DIFF_OTHER && keyed(p, pl->family))
		pc->kind = p == NACLEMU_PROTO_TCP || p == NACLEMU_PROTO_UDP ? NACL_DIFF_KEY_PORTS :
									       NACL_DIFF_KEY_ICMP;
	for (int s = 0; s < 2; s++) {
		const struct diff_side *sd = &pl->s[s];

		pc->pmask[s] = 0;
		for (size_t k = 0; k < sd->n; k++) {
			int rp = sd->rs->rules[pl->dir][sd->idx[k]].protocol;

			if (rp == NACLEMU_PROTO_ALL || rp == p)
				pc->pmask[s] |= (u128)1 << k;
		}
	}
	if (pc->kind == NACL_DIFF_KEY_NONE) {
		pc->nrows = 1;
		pc->rows[0] = (struct diff_row){ .lo = 0, .hi = 65535, .kmask = { ~(u128)0, ~(u128)0 } };
		return;
	}
	kb[nk++] = 0;
	for (int s = 0; s < 2; s++) {
		const struct diff_side *sd = &pl->s[s];

		for (size_t k = 0; k < sd->n; k++) {
			const struct nacl_rule *r = &sd->rs->rules[pl->dir][sd->idx[k]];
			uint16_t lo, hi;

			if (r->protocol != p || !nacl_rule_key_range(r, &lo, &hi))
				continue;
			kb[nk++] = lo;
			if (hi < 65535)
				kb[nk++] = (uint32_t)hi + 1;
		}
	}
	qsort(kb, nk, sizeof(kb[0]), cmp_u32);
	for (size_t i = 0; i < nk; i++)
		if (!nu || kb[i] != kb[nu - 1])
			kb[nu++] = kb[i];
	for (size_t i = 0; i < nu; i++) {
		struct diff_row *rw = &pc->rows[i];

		rw->lo = (uint16_t)kb[i];
		rw->hi = (uint16_t)(i + 1 < nu ? kb[i + 1] - 1 : 65535);
		rw->frag = false;
		rw->exempt = key_exempt(p, pl->family, rw->lo, rw->hi);
		for (int s = 0; s < 2; s++) {
			const struct diff_side *sd = &pl->s[s];

			rw->kmask[s] = sd->keyless;
			for (size_t k = 0; k < sd->n; k++) {
				const struct nacl_rule *r = &sd->rs->rules[pl->dir][sd->idx[k]];
				uint16_t lo, hi;

				if (r->protocol == p && nacl_rule_key_range(r, &lo, &hi) &&
				    lo <= rw->lo && rw->lo <= hi)
					rw->kmask[s] |= (u128)1 << k;
			}
		}
	}
	/* Later fragments: only the rules that ignore the key can match. */
	pc->rows[nu] = (struct diff_row){ .lo = 0, .hi = 65535, .frag = true,
				     .kmask = { pl->s[0].keyless, pl->s[1].keyless } };
	pc->nrows = nu + 1;
}

struct nacl_verdict diff_verdict_of(const struct diff_plane *pl, int s, u128 m)
{
	struct nacl_verdict v = {
		.allow = false,
		.rule_number = NACLEMU_RULE_DEFAULT(pl->family),
		.index = -1,
	};

	if (m) {
		size_t i = pl->s[s].idx[first_bit(m)];
		const struct nacl_rule *r = &pl->s[s].rs->rules[pl->dir][i];

		v.allow = r->allow;
		v.rule_number = r->number;
		v.index = (int)i;
	}
	return v;
}

struct nacl_verdict diff_verdict_at(const struct diff_plane *pl, int s, int index)
{
	struct nacl_verdict v = {
		.allow = false,
		.rule_number = NACLEMU_RULE_DEFAULT(pl->family),
		.index = -1,
	};

	if (index >= 0) {
		const struct nacl_rule *r = &pl->s[s].rs->rules[pl->dir][index];

		v.allow = r->allow;
		v.rule_number = r->number;
		v.index = index;
	}
	return v;
}
