// SPDX-License-Identifier: MIT
/*
 * diff.c - two NACLs compared by meaning (see diff.h; docs/semantics.md
 * sections 1 and 3).
 *
 * Per direction and address family (a "plane"), the rules of both sides cut
 * the peer address space into elementary intervals (columns) and, per
 * protocol class, the L4 key space into elementary intervals (rows), plus
 * one row for later fragments.  Within a cell every packet matches the same
 * rules, so one judgement per side and cell is exact.  A cell is judged in
 * O(1), as the datapath judges a packet (include/naclemu.h): each side's
 * rules of the plane are bits, and the first set bit of
 * address-mask & protocol-mask & key-mask is the deciding rule.  The unit
 * tests check the result against nacl_evaluate() packet by packet.
 *
 * Changed cells are then merged row by row: within a row, the columns with
 * the same pair of deciding rules form one address set; a row's set
 * continues the previous row's region when it is the same set with the same
 * pair.  Only two rows are ever held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff.h"

/* Addresses (IPv4 or IPv6) and rule bit sets as one 128-bit number. */
typedef unsigned __int128 u128;

/* Interval boundaries: two per rule of either side, plus 0. */
#define DIFF_MAX_BOUNDS (2 * 2 * NACL_MAX_RULES + 1)
/* Key rows: as many intervals, plus the later fragments. */
#define DIFF_MAX_ROWS (DIFF_MAX_BOUNDS + 1)

/*
 * One side's rules of a plane: bit k stands for rs->rules[dir][idx[k]].
 * @lo, @hi: rule k's address range; @keyless: the rules that ignore the
 * key (nacl_rule_key_range() false), the only ones a later fragment can
 * match.
 */
struct side {
	const struct nacl_ruleset *rs;
	size_t n;
	size_t idx[NACL_MAX_RULES];
	u128 lo[NACL_MAX_RULES], hi[NACL_MAX_RULES];
	u128 keyless;
};

/*
 * One direction and family.  Column c is the addresses lo[c]..hi[c];
 * amask[s][c]: the rules of side s whose CIDR holds it; exempt[c]: every
 * address of it is a link-local service (docs/semantics.md section 1.6).
 */
struct plane {
	enum naclemu_dir dir;
	uint8_t family;
	struct side s[2];
	size_t ncols;
	u128 lo[DIFF_MAX_BOUNDS], hi[DIFF_MAX_BOUNDS];
	u128 amask[2][DIFF_MAX_BOUNDS];
	bool exempt[DIFF_MAX_BOUNDS];
};

/*
 * One key interval lo..hi of a protocol, or its later fragments (@frag).
 * @exempt: every key of it is exempt (DHCP ports, neighbour discovery).
 * @kmask[s]: the rules of side s that match these keys.
 */
struct row {
	uint16_t lo, hi;
	bool frag;
	bool exempt;
	u128 kmask[2];
};

/*
 * One protocol class of a plane: @protocol as reported (0..255 or
 * NACL_DIFF_OTHER), judged as protocol @p; @pmask[s]: the rules of side s
 * whose protocol matches it.
 */
struct proto {
	int protocol;
	int p;
	enum nacl_diff_key kind;
	u128 pmask[2];
	size_t nrows;
	struct row rows[DIFF_MAX_ROWS];
};

/* A changed cell of the current row: its pair of deciding rules, its column. */
struct cell {
	uint32_t label;
	uint32_t col;
};

/*
 * The changed columns of a row with one pair of deciding rules:
 * cells[first .. first + n - 1] of its row, and the row where the region
 * they continue started.
 */
struct group {
	uint32_t label;
	size_t first, n;
	size_t start;
	struct nacl_verdict v[2];
};

/* Work space and output capacities. */
struct builder {
	struct nacl_diff *d;
	size_t cap_regions, cap_cidrs, cap_segs, cap_eph, cap_shadowed, cap_unshadowed;
	struct plane plane;
	struct proto proto;
	struct cell cells[2][DIFF_MAX_BOUNDS];
	struct group groups[2][DIFF_MAX_BOUNDS];
	size_t ngroups[2];
	struct nacl_port_seg segs[2][NACL_MAX_SEGS];
};

/* Make room for one more element in *@arr (*@cap of @size bytes, @n used). */
static int reserve(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- 128-bit addresses ----------------------------------------------------- */

static unsigned int fam_bits(uint8_t family)
{
	return family == 6 ? 128 : 32;
}

/* The low @bits bits set (0..128). */
static u128 low_mask(unsigned int bits)
{
	return bits >= 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
}

/* An address (network order) as a number. */
static u128 addr_num(const uint8_t *a, uint8_t family)
{
	u128 v = 0;

	for (unsigned int i = 0; i < fam_bits(family) / 8; i++)
		v = v << 8 | a[i];
	return v;
}

static void num_addr(u128 v, uint8_t family, uint8_t out[16])
{
	memset(out, 0, 16);
	for (int i = (int)fam_bits(family) / 8 - 1; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

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

/*
 * Append the fewest CIDRs that hold exactly lo..hi: the largest aligned
 * block at lo that fits, then on from its end.  At most 2 * bits of them.
 */
static int push_range(struct builder *b, uint8_t family, u128 lo, u128 hi)
{
	struct nacl_diff *d = b->d;
	unsigned int bits = fam_bits(family);

	for (;;) {
		unsigned int k = 0;
		struct naclemu_cidr *c;

		/* Grow the block while lo stays aligned and the block within hi. */
		while (k < bits && !(lo & low_mask(k + 1)) && hi - lo >= low_mask(k + 1))
			k++;
		if (reserve((void **)&d->cidrs, &b->cap_cidrs, d->ncidrs, sizeof(*d->cidrs)))
			return -ENOMEM;
		c = &d->cidrs[d->ncidrs++];
		c->family = family;
		c->prefix_len = (uint8_t)(bits - k);
		num_addr(lo, family, c->addr);
		if (hi - lo <= low_mask(k))
			return 0;
		lo += low_mask(k) + 1;
	}
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

/*
 * Collect both sides' rules of @dir and @family into @pl, cut the address
 * space at their CIDR boundaries, and mark in @named the protocols they
 * name.
 */
static void plane_init(struct plane *pl, const struct nacl_ruleset *const rs[2],
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
		struct side *sd = &pl->s[s];

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

/*
 * The rows of protocol class @protocol (judged as @p) in @pl: one row when
 * no rule looks at its key, else the key's elementary intervals between
 * both sides' ranges of @p, then the later fragments.
 */
static void proto_init(struct proto *pc, const struct plane *pl, int protocol, int p)
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
		const struct side *sd = &pl->s[s];

		pc->pmask[s] = 0;
		for (size_t k = 0; k < sd->n; k++) {
			int rp = sd->rs->rules[pl->dir][sd->idx[k]].protocol;

			if (rp == NACLEMU_PROTO_ALL || rp == p)
				pc->pmask[s] |= (u128)1 << k;
		}
	}
	if (pc->kind == NACL_DIFF_KEY_NONE) {
		pc->nrows = 1;
		pc->rows[0] = (struct row){ .lo = 0, .hi = 65535, .kmask = { ~(u128)0, ~(u128)0 } };
		return;
	}
	kb[nk++] = 0;
	for (int s = 0; s < 2; s++) {
		const struct side *sd = &pl->s[s];

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
		struct row *rw = &pc->rows[i];

		rw->lo = (uint16_t)kb[i];
		rw->hi = (uint16_t)(i + 1 < nu ? kb[i + 1] - 1 : 65535);
		rw->frag = false;
		rw->exempt = key_exempt(p, pl->family, rw->lo, rw->hi);
		for (int s = 0; s < 2; s++) {
			const struct side *sd = &pl->s[s];

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
	pc->rows[nu] = (struct row){ .lo = 0, .hi = 65535, .frag = true,
				     .kmask = { pl->s[0].keyless, pl->s[1].keyless } };
	pc->nrows = nu + 1;
}

/* The verdict of side @s for the rules in @m (first set bit decides). */
static struct nacl_verdict verdict_of(const struct plane *pl, int s, u128 m)
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

/* The verdict of side @s for rule index @index of the plane's direction (-1: default). */
static struct nacl_verdict verdict_at(const struct plane *pl, int s, int index)
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

/* ---- merging ------------------------------------------------------------------ */

static int cmp_cell(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;

	if (x->label != y->label)
		return x->label < y->label ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/*
 * Judge row @r in every column on both sides and group its changed cells
 * by pair of deciding rules into b->cells[@t] and b->groups[@t].
 */
static void row_groups(struct builder *b, size_t r, int t)
{
	const struct plane *pl = &b->plane;
	const struct proto *pc = &b->proto;
	const struct row *rw = &pc->rows[r];
	struct cell *cells = b->cells[t];
	struct group *g = b->groups[t];
	size_t n = 0, ng = 0;

	for (size_t c = 0; c < pl->ncols; c++) {
		struct nacl_verdict v[2];

		if (pl->exempt[c])
			continue;
		for (int s = 0; s < 2; s++)
			v[s] = verdict_of(pl, s, pl->amask[s][c] & pc->pmask[s] & rw->kmask[s]);
		b->d->cells++;
		if (v[0].allow == v[1].allow)
			continue;
		cells[n].label = (uint32_t)(v[0].index + 1) << 16 | (uint32_t)(v[1].index + 1);
		cells[n].col = (uint32_t)c;
		n++;
	}
	qsort(cells, n, sizeof(cells[0]), cmp_cell);
	for (size_t i = 0; i < n; i++) {
		if (ng && g[ng - 1].label == cells[i].label) {
			g[ng - 1].n++;
			continue;
		}
		g[ng] = (struct group){ .label = cells[i].label, .first = i, .n = 1, .start = r };
		g[ng].v[0] = verdict_at(pl, 0, (int)(cells[i].label >> 16) - 1);
		g[ng].v[1] = verdict_at(pl, 1, (int)(cells[i].label & 0xffff) - 1);
		ng++;
	}
	b->ngroups[t] = ng;
}

/*
 * Whether columns @a < @b are neighbours for a region: next to each other,
 * or only exempt addresses between them (never judged, so a region may
 * span them and need fewer CIDRs).
 */
static bool cols_bridge(const struct plane *pl, uint32_t a, uint32_t b)
{
	for (uint32_t c = a + 1; c < b; c++)
		if (!pl->exempt[c])
			return false;
	return true;
}

/* Record the region of group @g of row buffer @t, whose last row is @end. */
static int emit(struct builder *b, const struct group *g, int t, size_t end)
{
	const struct plane *pl = &b->plane;
	const struct proto *pc = &b->proto;
	const struct cell *cells = &b->cells[t][g->first];
	struct nacl_diff *d = b->d;
	struct nacl_diff_region reg = {
		.dir = pl->dir,
		.family = pl->family,
		.protocol = pc->protocol,
		.kind = pc->kind,
		.cidr = d->ncidrs,
		.old = g->v[0],
		.new = g->v[1],
	};
	size_t i = 0;

	if (pc->kind == NACL_DIFF_KEY_NONE) {
		reg.keys = reg.fragments = true;
		reg.key_hi = 65535;
	} else if (pc->rows[g->start].frag) {
		reg.fragments = true;
	} else {
		/* With the fragments, the region holds every key (see row_link()). */
		reg.keys = true;
		reg.key_lo = pc->rows[g->start].lo;
		reg.fragments = pc->rows[end].frag;
		reg.key_hi = reg.fragments ? 65535 : pc->rows[end].hi;
	}
	/* Neighbouring columns make one range, each range its fewest CIDRs. */
	while (i < g->n) {
		size_t j = i;

		while (j + 1 < g->n && cols_bridge(pl, cells[j].col, cells[j + 1].col))
			j++;
		if (push_range(b, pl->family, pl->lo[cells[i].col], pl->hi[cells[j].col]))
			return -ENOMEM;
		i = j + 1;
	}
	reg.ncidr = d->ncidrs - reg.cidr;
	if (reserve((void **)&d->regions, &b->cap_regions, d->nregions, sizeof(*d->regions)))
		return -ENOMEM;
	d->regions[d->nregions++] = reg;
	return 0;
}

/* Whether groups @x (of row buffer @tx) and @y (of @ty) hold the same columns. */
static bool same_cols(const struct builder *b, const struct group *x, int tx,
		      const struct group *y, int ty)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (b->cells[tx][x->first + i].col != b->cells[ty][y->first + i].col)
			return false;
	return true;
}

/*
 * Link row @r's groups (buffer @t) to those of the row judged before it,
 * @last (buffer @prev): a group with the same pair of rules and the same
 * columns continues its region; the previous row's other groups end there.
 * Later fragments continue only a region that holds every key, so that a
 * region is a key range, or later fragments, or the protocol's every
 * packet.
 */
static int row_link(struct builder *b, size_t r, size_t last, int prev, int t)
{
	struct group *gp = b->groups[prev], *gc = b->groups[t];
	size_t np = b->ngroups[prev], nc = b->ngroups[t], i = 0, j = 0;
	bool frag = b->proto.rows[r].frag;

	while (i < np || j < nc) {
		if (j == nc || (i < np && gp[i].label < gc[j].label)) {
			if (emit(b, &gp[i++], prev, last))
				return -ENOMEM;
		} else if (i == np || gc[j].label < gp[i].label) {
			gc[j++].start = r;
		} else {
			if (same_cols(b, &gp[i], prev, &gc[j], t) && (!frag || gp[i].start == 0)) {
				gc[j].start = gp[i].start;
			} else {
				if (emit(b, &gp[i], prev, last))
					return -ENOMEM;
				gc[j].start = r;
			}
			i++;
			j++;
		}
	}
	return 0;
}

/* Sort key of a region within its protocol class: first key, first address. */
struct order {
	uint32_t key;
	u128 addr;
	size_t i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/* Put regions @from.. (one protocol class) in order: first key, then first address. */
static int sort_regions(struct nacl_diff *d, size_t from)
{
	size_t n = d->nregions - from;
	struct nacl_diff_region *copy;
	struct order *o;

	if (n < 2)
		return 0;
	o = calloc(n, sizeof(*o));
	copy = calloc(n, sizeof(*copy));
	if (!o || !copy) {
		free(o);
		free(copy);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct nacl_diff_region *r = &d->regions[from + i];

		o[i].key = r->keys ? r->key_lo : 0x10000;
		o[i].addr = addr_num(d->cidrs[r->cidr].addr, r->family);
		o[i].i = from + i;
	}
	qsort(o, n, sizeof(*o), cmp_order);
	for (size_t i = 0; i < n; i++)
		copy[i] = d->regions[o[i].i];
	memcpy(&d->regions[from], copy, n * sizeof(*copy));
	free(o);
	free(copy);
	return 0;
}

/*
 * Every row of the current protocol class, then the regions still open.
 * Exempt rows (DHCP ports, neighbour discovery) are never judged: they are
 * skipped, so that a region may span them (row 0 and the last key row,
 * which end at 0 and 65535, never are).
 */
static int proto_run(struct builder *b)
{
	int t = 0;
	size_t from = b->d->nregions, last = 0;

	b->ngroups[1] = 0;
	for (size_t r = 0; r < b->proto.nrows; r++) {
		if (b->proto.rows[r].exempt)
			continue;
		row_groups(b, r, t);
		if (row_link(b, r, last, 1 - t, t))
			return -ENOMEM;
		last = r;
		t = 1 - t;
	}
	for (size_t i = 0; i < b->ngroups[1 - t]; i++)
		if (emit(b, &b->groups[1 - t][i], 1 - t, last))
			return -ENOMEM;
	return sort_regions(b->d, from);
}

/* The regions of one direction and family: each named protocol, then the rest. */
static int plane_diff(struct builder *b, enum naclemu_dir dir, uint8_t family)
{
	const struct nacl_ruleset *const rs[2] = { b->d->old, b->d->new };
	bool *named = b->d->named[dir][NACLEMU_FAM_IDX(family)];
	int other = -1;

	plane_init(&b->plane, rs, dir, family, named);
	if (!b->plane.s[0].n && !b->plane.s[1].n)
		return 0; /* the default deny on both sides */
	for (int p = 0; p < 256; p++) {
		if (!named[p]) {
			if (other < 0)
				other = p;
			continue;
		}
		proto_init(&b->proto, &b->plane, p, p);
		if (proto_run(b))
			return -ENOMEM;
	}
	if (other >= 0) {
		proto_init(&b->proto, &b->plane, NACL_DIFF_OTHER, other);
		if (proto_run(b))
			return -ENOMEM;
	}
	return 0;
}

/* ---- ephemeral ports ------------------------------------------------------------ */

static bool family_used(const struct nacl_ruleset *rs, uint8_t family)
{
	for (int d = 0; d < NACLEMU_NDIRS; d++)
		for (size_t i = 0; i < rs->count[d]; i++)
			if (rs->rules[d][i].cidr.family == family)
				return true;
	return false;
}

/*
 * The peers of `check`'s ephemeral table (analysis/report.c), over both
 * sides: each distinct CIDR of a TCP or all-protocol rule of @dir and
 * @family, represented by an address no more specific one holds; the whole
 * space when there is none.  Returns how many.
 */
static size_t eph_peers(const struct nacl_ruleset *const rs[2], enum naclemu_dir dir,
			uint8_t family, struct naclemu_cidr *peers, uint8_t (*addrs)[16])
{
	const struct naclemu_cidr *list[2 * NACL_MAX_RULES];
	size_t n = 0, np = 0;

	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < rs[s]->count[dir]; i++) {
			const struct nacl_rule *r = &rs[s]->rules[dir][i];

			if (r->cidr.family == family &&
			    (r->protocol == NACLEMU_PROTO_TCP || r->protocol == NACLEMU_PROTO_ALL))
				list[n++] = &r->cidr;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct naclemu_cidr *sub[2 * NACL_MAX_RULES];
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

/*
 * Append the denied runs of @segs (@n, from nacl_port_segments()) clipped
 * to @os's range, to d->segs as @side's.
 */
static int eph_side(struct builder *b, const struct nacl_port_seg *segs, size_t n,
		    const struct nacl_client_os *os, struct nacl_diff_eph_side *side)
{
	struct nacl_diff *d = b->d;

	side->closed = d->nsegs;
	for (size_t i = 0; i < n; i++) {
		struct nacl_port_seg s = segs[i];

		if (s.verdict.allow || s.to < os->lo || s.from > os->hi)
			continue;
		if (s.from < os->lo)
			s.from = os->lo;
		if (s.to > os->hi)
			s.to = os->hi;
		if (reserve((void **)&d->segs, &b->cap_segs, d->nsegs, sizeof(*d->segs)))
			return -ENOMEM;
		d->segs[d->nsegs++] = s;
		side->nclosed++;
		side->closed_ports += (uint64_t)s.to - s.from + 1;
	}
	return 0;
}

/*
 * The next run of closed ports of @side from run *@i on, neighbouring runs
 * (denied by different rules) joined.  Returns false at the end.
 */
static bool next_closed(const struct nacl_diff *d, const struct nacl_diff_eph_side *side,
			size_t *i, uint32_t *from, uint32_t *to)
{
	if (*i >= side->nclosed)
		return false;
	*from = d->segs[side->closed + *i].from;
	*to = d->segs[side->closed + *i].to;
	for ((*i)++; *i < side->nclosed && d->segs[side->closed + *i].from == *to + 1; (*i)++)
		*to = d->segs[side->closed + *i].to;
	return true;
}

/* Whether the two sides of @e close the same ports. */
static bool eph_same(const struct nacl_diff *d, const struct nacl_diff_eph *e)
{
	size_t i = 0, j = 0;
	uint32_t f1, t1, f2, t2;

	for (;;) {
		bool a = next_closed(d, &e->old, &i, &f1, &t1);
		bool c = next_closed(d, &e->new, &j, &f2, &t2);

		if (a != c)
			return false;
		if (!a)
			return true;
		if (f1 != f2 || t1 != t2)
			return false;
	}
}

/* The ephemeral rows of @dir and @family: one per peer and client. */
static int eph_plane(struct builder *b, enum naclemu_dir dir, uint8_t family)
{
	const struct nacl_ruleset *const rs[2] = { b->d->old, b->d->new };
	struct naclemu_cidr peers[2 * NACL_MAX_RULES];
	uint8_t addrs[2 * NACL_MAX_RULES][16];
	struct nacl_port_seg (*segs)[NACL_MAX_SEGS] = b->segs;
	size_t np = eph_peers(rs, dir, family, peers, addrs), nsegs[2];
	uint16_t lo = 65535, hi = 0;
	struct nacl_diff *d = b->d;

	for (size_t o = 0; o < nacl_nclient_oses; o++) {
		if (nacl_client_oses[o].lo < lo)
			lo = nacl_client_oses[o].lo;
		if (nacl_client_oses[o].hi > hi)
			hi = nacl_client_oses[o].hi;
	}
	for (size_t k = 0; k < np; k++) {
		/* TCP responses from the peer to each port, judged once per side. */
		struct nacl_packet p = {
			.dir = dir,
			.family = family,
			.protocol = NACLEMU_PROTO_TCP,
			.l4_known = true,
		};

		memcpy(dir == NACLEMU_INGRESS ? p.src : p.dst, addrs[k], 16);
		for (int s = 0; s < 2; s++)
			nsegs[s] = nacl_port_segments(rs[s], &p, lo, hi, segs[s]);
		for (size_t o = 0; o < nacl_nclient_oses; o++) {
			struct nacl_diff_eph *e;

			if (reserve((void **)&d->eph, &b->cap_eph, d->neph, sizeof(*d->eph)))
				return -ENOMEM;
			e = &d->eph[d->neph++];
			*e = (struct nacl_diff_eph){
				.dir = dir,
				.family = family,
				.peer = peers[k],
				.os = &nacl_client_oses[o],
			};
			memcpy(e->addr, addrs[k], 16);
			if (eph_side(b, segs[0], nsegs[0], e->os, &e->old) ||
			    eph_side(b, segs[1], nsegs[1], e->os, &e->new))
				return -ENOMEM;
			e->changed = !eph_same(d, e);
		}
	}
	return 0;
}

/* ---- shadowed rules ------------------------------------------------------------- */

/* Whether two rules say the same thing (all but number and position). */
static bool same_content(const struct nacl_rule *a, const struct nacl_rule *b)
{
	return a->allow == b->allow && a->protocol == b->protocol &&
	       a->port_from == b->port_from && a->port_to == b->port_to &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
	       a->cidr.family == b->cidr.family && a->cidr.prefix_len == b->cidr.prefix_len &&
	       !memcmp(a->cidr.addr, b->cidr.addr, sizeof(a->cidr.addr));
}

/* The pair in @old of rule @j of @new's @dir (same content, same rank), or -1. */
static int pair_of(const struct nacl_ruleset *old, const struct nacl_ruleset *new,
		   enum naclemu_dir dir, size_t j)
{
	const struct nacl_rule *r = &new->rules[dir][j];
	size_t rank = 0;

	for (size_t k = 0; k < j; k++)
		rank += same_content(&new->rules[dir][k], r);
	for (size_t i = 0; i < old->count[dir]; i++)
		if (same_content(&old->rules[dir][i], r) && rank-- == 0)
			return (int)i;
	return -1;
}

static int push_shadow(struct builder *b, bool unshadowed, const struct nacl_diff_shadow *sh)
{
	struct nacl_diff *d = b->d;

	if (unshadowed) {
		if (reserve((void **)&d->unshadowed, &b->cap_unshadowed, d->nunshadowed,
			    sizeof(*sh)))
			return -ENOMEM;
		d->unshadowed[d->nunshadowed++] = *sh;
	} else {
		if (reserve((void **)&d->shadowed, &b->cap_shadowed, d->nshadowed, sizeof(*sh)))
			return -ENOMEM;
		d->shadowed[d->nshadowed++] = *sh;
	}
	return 0;
}

/* Rules of @dir whose reachability differs between the sides. */
static int shadow_dir(struct builder *b, enum naclemu_dir dir)
{
	const struct nacl_ruleset *old = b->d->old, *new = b->d->new;
	struct nacl_diff_shadow sh, osh;

	for (size_t j = 0; j < new->count[dir]; j++) {
		int i = pair_of(old, new, dir, j);
		bool now, before = false;

		sh = (struct nacl_diff_shadow){
			.dir = dir,
			.family = new->rules[dir][j].cidr.family,
			.index = j,
			.old_index = i,
		};
		osh = sh;
		now = nacl_shadowed(new, dir, j, sh.by, NACL_MAX_RULES, &sh.nby);
		if (i >= 0)
			before = nacl_shadowed(old, dir, (size_t)i, osh.by, NACL_MAX_RULES, &osh.nby);
		if (now && !before && push_shadow(b, false, &sh))
			return -ENOMEM;
		if (!now && before && push_shadow(b, true, &osh))
			return -ENOMEM;
	}
	return 0;
}

/* ---- the whole ---------------------------------------------------------------- */

int nacl_diff(const struct nacl_ruleset *old, const struct nacl_ruleset *new,
	      struct nacl_diff *d)
{
	struct builder *b;
	int err = 0;

	memset(d, 0, sizeof(*d));
	d->old = old;
	d->new = new;
	for (int dir = 0; dir < NACLEMU_NDIRS; dir++)
		if (old->count[dir] > NACL_MAX_RULES || new->count[dir] > NACL_MAX_RULES)
			return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->d = d;
	for (int dir = 0; dir < NACLEMU_NDIRS && !err; dir++)
		for (uint8_t family = 4; family <= 6 && !err; family += 2)
			err = plane_diff(b, (enum naclemu_dir)dir, family);
	for (uint8_t family = 4; family <= 6 && !err; family += 2) {
		if (!family_used(old, family) && !family_used(new, family))
			continue;
		for (int dir = 0; dir < NACLEMU_NDIRS && !err; dir++)
			err = eph_plane(b, (enum naclemu_dir)dir, family);
	}
	for (int dir = 0; dir < NACLEMU_NDIRS && !err; dir++)
		err = shadow_dir(b, (enum naclemu_dir)dir);
	free(b);
	return err;
}

void nacl_diff_free(struct nacl_diff *d)
{
	free(d->regions);
	free(d->cidrs);
	free(d->eph);
	free(d->segs);
	free(d->shadowed);
	free(d->unshadowed);
	memset(d, 0, sizeof(*d));
}

/* ---- rendering helpers -------------------------------------------------------- */

const char *nacl_diff_keys_str(const struct nacl_diff_region *r, char buf[32])
{
	unsigned int lt = r->key_lo >> 8, lc = r->key_lo & 0xff;
	unsigned int ht = r->key_hi >> 8, hc = r->key_hi & 0xff;

	if (r->kind == NACL_DIFF_KEY_NONE || (r->keys && r->fragments))
		return "all";
	if (!r->keys)
		return "fragments";
	if (r->kind == NACL_DIFF_KEY_PORTS) {
		if (r->key_lo == r->key_hi)
			snprintf(buf, 32, "%u", r->key_lo);
		else
			snprintf(buf, 32, "%u-%u", r->key_lo, r->key_hi);
	} else if (lc == 0 && hc == 0xff) {
		if (lt == ht)
			snprintf(buf, 32, "%u", lt);
		else
			snprintf(buf, 32, "%u-%u", lt, ht);
	} else if (r->key_lo == r->key_hi) {
		snprintf(buf, 32, "%u/%u", lt, lc);
	} else {
		snprintf(buf, 32, "%u/%u-%u/%u", lt, lc, ht, hc);
	}
	return buf;
}

const char *nacl_diff_proto_str(const struct nacl_diff *d, const struct nacl_diff_region *r,
				char buf[8])
{
	const bool *named = d->named[r->dir][NACLEMU_FAM_IDX(r->family)];

	if (r->protocol != NACL_DIFF_OTHER)
		return nacl_proto_name(r->protocol, buf);
	for (int p = 0; p < 256; p++)
		if (named[p])
			return "other";
	return "all";
}
