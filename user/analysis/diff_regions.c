// SPDX-License-Identifier: MIT
/*
 * diff_regions.c - nacl_diff()'s regions (diff_build.h): the changed cells
 * merged row by row.  Within a row, the columns with the same pair of
 * deciding rules form one address set; a row's set continues the previous
 * row's region when it is the same set with the same pair.  Only two rows
 * are ever held.  A region's addresses are written as the fewest CIDRs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff_build.h"

/* ---- CIDRs ------------------------------------------------------------------ */

/* @v as an address of @family (network order), zero-padded to 16 bytes. */
static void num_addr(u128 v, uint8_t family, uint8_t out[16])
{
	memset(out, 0, 16);
	for (int i = (int)fam_bits(family) / 8 - 1; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * Append the fewest CIDRs that hold exactly lo..hi: the largest aligned
 * block at lo that fits, then on from its end.  At most 2 * bits of them.
 */
static int push_range(struct diff_builder *b, uint8_t family, u128 lo, u128 hi)
{
	struct nacl_diff *d = b->d;
	unsigned int bits = fam_bits(family);

	for (;;) {
		unsigned int k = 0;
		struct naclemu_cidr *c;

		/* Grow the block while lo stays aligned and the block within hi. */
		while (k < bits && !(lo & low_mask(k + 1)) && hi - lo >= low_mask(k + 1))
			k++;
		if (diff_reserve((void **)&d->cidrs, &b->cap_cidrs, d->ncidrs, sizeof(*d->cidrs)))
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

/* ---- merging ------------------------------------------------------------------ */

static int cmp_cell(const void *a, const void *b)
{
	const struct diff_cell *x = a, *y = b;

	if (x->label != y->label)
		return x->label < y->label ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/*
 * Judge row @r in every column on both sides and group its changed cells
 * by pair of deciding rules into b->cells[@t] and b->groups[@t].
 */
static void row_groups(struct diff_builder *b, size_t r, int t)
{
	const struct diff_plane *pl = &b->plane;
	const struct diff_proto *pc = &b->proto;
	const struct diff_row *rw = &pc->rows[r];
	struct diff_cell *cells = b->cells[t];
	struct diff_group *g = b->groups[t];
	size_t n = 0, ng = 0;

	for (size_t c = 0; c < pl->ncols; c++) {
		struct nacl_verdict v[2];

		if (pl->exempt[c])
			continue;
		for (int s = 0; s < 2; s++)
			v[s] = diff_verdict_of(pl, s, pl->amask[s][c] & pc->pmask[s] & rw->kmask[s]);
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
		g[ng] = (struct diff_group){ .label = cells[i].label, .first = i, .n = 1, .start = r };
		g[ng].v[0] = diff_verdict_at(pl, 0, (int)(cells[i].label >> 16) - 1);
		g[ng].v[1] = diff_verdict_at(pl, 1, (int)(cells[i].label & 0xffff) - 1);
		ng++;
	}
	b->ngroups[t] = ng;
}

/*
 * Whether columns @a < @b are neighbours for a region: next to each other,
 * or only exempt addresses between them (never judged, so a region may
 * span them and need fewer CIDRs).
 */
static bool cols_bridge(const struct diff_plane *pl, uint32_t a, uint32_t b)
{
	for (uint32_t c = a + 1; c < b; c++)
		if (!pl->exempt[c])
			return false;
	return true;
}

/* Record the region of group @g of row buffer @t, whose last row is @end. */
static int emit(struct diff_builder *b, const struct diff_group *g, int t, size_t end)
{
	const struct diff_plane *pl = &b->plane;
	const struct diff_proto *pc = &b->proto;
	const struct diff_cell *cells = &b->cells[t][g->first];
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
	if (diff_reserve((void **)&d->regions, &b->cap_regions, d->nregions, sizeof(*d->regions)))
		return -ENOMEM;
	d->regions[d->nregions++] = reg;
	return 0;
}

/* Whether groups @x (of row buffer @tx) and @y (of @ty) hold the same columns. */
static bool same_cols(const struct diff_builder *b, const struct diff_group *x, int tx,
		      const struct diff_group *y, int ty)
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
static int row_link(struct diff_builder *b, size_t r, size_t last, int prev, int t)
{
	struct diff_group *gp = b->groups[prev], *gc = b->groups[t];
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
static int proto_run(struct diff_builder *b)
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

int diff_plane_regions(struct diff_builder *b, enum naclemu_dir dir, uint8_t family)
{
	const struct nacl_ruleset *const rs[2] = { b->d->old, b->d->new };
	bool *named = b->d->named[dir][NACLEMU_FAM_IDX(family)];
	int other = -1;

	diff_plane_init(&b->plane, rs, dir, family, named);
	if (!b->plane.s[0].n && !b->plane.s[1].n)
		return 0; /* the default deny on both sides */
	for (int p = 0; p < 256; p++) {
		if (!named[p]) {
			if (other < 0)
				other = p;
			continue;
		}
		diff_proto_init(&b->proto, &b->plane, p, p);
		if (proto_run(b))
			return -ENOMEM;
	}
	if (other >= 0) {
		diff_proto_init(&b->proto, &b->plane, NACL_DIFF_OTHER, other);
		if (proto_run(b))
			return -ENOMEM;
	}
	return 0;
}
