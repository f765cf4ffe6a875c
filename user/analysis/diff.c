// SPDX-License-Identifier: MIT
/*
 * diff.c - two NACLs compared by meaning (see diff.h; docs/semantics.md
 * sections 1 and 3): nacl_diff() runs the region computation of each
 * direction and family (diff_cells.c cuts and judges the cells,
 * diff_regions.c merges the changed ones), then compares the ephemeral
 * table of `check` and the shadowed rules of both sides, here; and the
 * helpers that write a region for people.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff.h"
#include "analysis/diff_build.h"

int diff_reserve(void **arr, size_t *cap, size_t n, size_t size)
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
static int eph_side(struct diff_builder *b, const struct nacl_port_seg *segs, size_t n,
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
		if (diff_reserve((void **)&d->segs, &b->cap_segs, d->nsegs, sizeof(*d->segs)))
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
static int eph_plane(struct diff_builder *b, enum naclemu_dir dir, uint8_t family)
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

			if (diff_reserve((void **)&d->eph, &b->cap_eph, d->neph, sizeof(*d->eph)))
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

static int push_shadow(struct diff_builder *b, bool unshadowed, const struct nacl_diff_shadow *sh)
{
	struct nacl_diff *d = b->d;

	if (unshadowed) {
		if (diff_reserve((void **)&d->unshadowed, &b->cap_unshadowed, d->nunshadowed,
			    sizeof(*sh)))
			return -ENOMEM;
		d->unshadowed[d->nunshadowed++] = *sh;
	} else {
		if (diff_reserve((void **)&d->shadowed, &b->cap_shadowed, d->nshadowed, sizeof(*sh)))
			return -ENOMEM;
		d->shadowed[d->nshadowed++] = *sh;
	}
	return 0;
}

/* Rules of @dir whose reachability differs between the sides. */
static int shadow_dir(struct diff_builder *b, enum naclemu_dir dir)
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
	struct diff_builder *b;
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
			err = diff_plane_regions(b, (enum naclemu_dir)dir, family);
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
