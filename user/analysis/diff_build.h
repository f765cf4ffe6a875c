/* SPDX-License-Identifier: MIT */
/*
 * diff_build.h - the work space of nacl_diff() (analysis/diff.h), shared by
 * its three files: diff_cells.c cuts each direction and family into cells
 * and judges them, diff_regions.c merges the changed cells into regions,
 * diff.c runs both and adds the ephemeral table and the shadowed rules.
 * Internal to them.
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
 */
#ifndef NACLEMU_ANALYSIS_DIFF_BUILD_H
#define NACLEMU_ANALYSIS_DIFF_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
struct diff_side {
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
struct diff_plane {
	enum naclemu_dir dir;
	uint8_t family;
	struct diff_side s[2];
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
struct diff_row {
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
struct diff_proto {
	int protocol;
	int p;
	enum nacl_diff_key kind;
	u128 pmask[2];
	size_t nrows;
	struct diff_row rows[DIFF_MAX_ROWS];
};

/* A changed cell of the current row: its pair of deciding rules, its column. */
struct diff_cell {
	uint32_t label;
	uint32_t col;
};

/*
 * The changed columns of a row with one pair of deciding rules:
 * cells[first .. first + n - 1] of its row, and the row where the region
 * they continue started.
 */
struct diff_group {
	uint32_t label;
	size_t first, n;
	size_t start;
	struct nacl_verdict v[2];
};

/* Work space and output capacities. */
struct diff_builder {
	struct nacl_diff *d;
	size_t cap_regions, cap_cidrs, cap_segs, cap_eph, cap_shadowed, cap_unshadowed;
	struct diff_plane plane;
	struct diff_proto proto;
	struct diff_cell cells[2][DIFF_MAX_BOUNDS];
	struct diff_group groups[2][DIFF_MAX_BOUNDS];
	size_t ngroups[2];
	struct nacl_port_seg segs[2][NACL_MAX_SEGS];
};

/*
 * diff_reserve() - make room for one more element in *@arr (*@cap of @size
 * bytes, @n used), doubling.  Return: 0 or -ENOMEM.
 */
int diff_reserve(void **arr, size_t *cap, size_t n, size_t size);

/* ---- 128-bit addresses ----------------------------------------------------- */

/* The bits of an address of @family (4 or 6). */
static inline unsigned int fam_bits(uint8_t family)
{
	return family == 6 ? 128 : 32;
}

/* The low @bits bits set (0..128). */
static inline u128 low_mask(unsigned int bits)
{
	return bits >= 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
}

/* An address (network order) as a number. */
static inline u128 addr_num(const uint8_t *a, uint8_t family)
{
	u128 v = 0;

	for (unsigned int i = 0; i < fam_bits(family) / 8; i++)
		v = v << 8 | a[i];
	return v;
}

/*
 * diff_plane_init() - collect both sides' rules of @dir and @family into
 * @pl, cut the address space at their CIDR boundaries into columns (with
 * each side's rules holding each, and whether it is all link-local
 * services), and mark in @named the protocols the rules name.
 */
void diff_plane_init(struct diff_plane *pl, const struct nacl_ruleset *const rs[2],
		     enum naclemu_dir dir, uint8_t family, bool named[256]);

/*
 * diff_proto_init() - the rows of protocol class @protocol (0..255 or
 * NACL_DIFF_OTHER, judged as protocol @p) in @pl: one row when no rule
 * looks at its key, else the key's elementary intervals between both
 * sides' ranges of @p, then the later fragments.
 */
void diff_proto_init(struct diff_proto *pc, const struct diff_plane *pl, int protocol, int p);

/* diff_verdict_of() - the verdict of side @s for the rules in @m (first set bit decides). */
struct nacl_verdict diff_verdict_of(const struct diff_plane *pl, int s, u128 m);

/*
 * diff_verdict_at() - the verdict of side @s for rule index @index of the
 * plane's direction (-1: the default rule).
 */
struct nacl_verdict diff_verdict_at(const struct diff_plane *pl, int s, int index);

/*
 * diff_plane_regions() - append to b->d the regions of @dir and @family:
 * each protocol a rule names, then one class for the rest
 * (NACL_DIFF_OTHER).  Return: 0 or -ENOMEM.
 */
int diff_plane_regions(struct diff_builder *b, enum naclemu_dir dir, uint8_t family);

#endif /* NACLEMU_ANALYSIS_DIFF_BUILD_H */
