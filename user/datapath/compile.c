// SPDX-License-Identifier: MIT
/*
 * compile.c - the rule compiler: model (rules/model.h) -> Linear Bit Vector Search
 * tables (naclemu.h).
 *
 * Each field of a packet selects a 64-bit word of rules: the protocol by
 * direct index, the L4 key and the peer address by their "elementary
 * interval".  The boundaries of all rules' ranges cut the field's domain
 * into intervals inside which every value is matched by the same rules, so
 * one word per interval is exact.  The L4 key's interval and the IPv4
 * address's are tries of 256-entry blocks (naclemu.h); the IPv6
 * address's, and any other when a trie needs more blocks than its pool
 * holds, a binary search over the intervals' starts, padded to a fixed
 * size, so the datapath always takes the same number of steps, whatever the
 * number of rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/eval.h"
#include "datapath/compile.h"

typedef unsigned __int128 u128;

/* A range of one field matched by a rule bit or an address flag. */
struct span {
	u128 lo, hi;
	__u64 bit;
	__u8 flag;
};

/* 64 rules, 3 link-local services, NACLEMU_MAX_CIDRS exempt and subnet. */
#define MAX_SPANS (NACLEMU_MAX_RULES + 3 + 3 * NACLEMU_MAX_CIDRS)


static u128 cidr_first(const struct naclemu_cidr *c)
{
	unsigned int n = c->family == 4 ? 4 : 16;
	u128 v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = v << 8 | c->addr[i];
	return v;
}

static u128 cidr_last(const struct naclemu_cidr *c)
{
	unsigned int host = (c->family == 4 ? 32 : 128) - c->prefix_len;
	u128 mask = host >= 128 ? ~(u128)0 : ((u128)1 << host) - 1;

	return cidr_first(c) | mask;
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sort and deduplicate the interval starts of @spans over [0, @max]:
 * 0 and every lo and hi + 1.  Returns how many are in @b.
 */
static size_t boundaries(const struct span *spans, size_t n, u128 max,
			 u128 b[NACLEMU_SEARCH_SIZE])
{
	u128 tmp[1 + 2 * MAX_SPANS];
	size_t m = 0, k = 0;

	tmp[m++] = 0;
	for (size_t i = 0; i < n; i++) {
		tmp[m++] = spans[i].lo;
		if (spans[i].hi < max)
			tmp[m++] = spans[i].hi + 1;
	}
	qsort(tmp, m, sizeof(tmp[0]), cmp_u128);
	for (size_t i = 0; i < m; i++)
		if (k == 0 || tmp[i] != b[k - 1])
			b[k++] = tmp[i];
	return k;
}

static void span_bits(const struct span *spans, size_t n, u128 v, __u64 *bits,
		      __u8 *flags)
{
	*bits = 0;
	*flags = 0;
	for (size_t i = 0; i < n; i++) {
		if (v >= spans[i].lo && v <= spans[i].hi) {
			*bits |= spans[i].bit;
			*flags |= spans[i].flag;
		}
	}
}

/* The interval holding @a: the last j with b[j] <= a (b[0] = 0). */
static __u32 interval_of(const u128 *b, size_t nb, __u32 a)
{
	size_t lo = 0, hi = nb; /* b[lo] <= a < b[hi] (b[nb] = infinity) */

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (b[mid] <= a)
			lo = mid;
		else
			hi = mid;
	}
	return (__u32)lo;
}

/*
 * A pool of 256-entry blocks of @size bytes each, @cap of them, @n used.
 * Blocks are never shared: interval indexes grow with the value, so a
 * block that holds an interval start ends on a higher interval than it
 * begins, and begins above where any earlier block ends; no two can be
 * equal.
 */
struct pool {
	void *base;
	size_t size, cap, n;
};

/* The trie entry of @blk, stored in @p, or -1 when @p is full. */
static int pool_put(struct pool *p, const void *blk)
{
	if (p->n == p->cap)
		return -1;
	memcpy((char *)p->base + p->n * p->size, blk, p->size);
	return NACLEMU_IDX_BLOCK + (int)p->n++;
}

/*
 * The trie entry of the 2^(8 * @level) values from @first (a multiple of
 * that) over the @nb interval starts @b: an interval if they all lie in
 * one, else a block of the 256 entries below it, put in @pools[@level - 1]
 * (level 1's blocks hold intervals as bytes, the others entries as __u16).
 * Returns -1 when a pool is full.
 */
static int trie_entry(struct pool *pools, unsigned int level, __u32 first,
		      const u128 *b, size_t nb)
{
	unsigned int shift = 8 * (level - 1);
	__u32 last = first | (__u32)((1ULL << (8 * level)) - 1);
	__u32 j = interval_of(b, nb, first);
	__u16 blk16[256];
	__u8 blk8[256];

	if (j == interval_of(b, nb, last))
		return (int)j;
	for (__u32 k = 0; k < 256; k++) {
		if (level == 1) {
			blk8[k] = (__u8)interval_of(b, nb, first | k);
		} else {
			int e = trie_entry(pools, level - 1, first | k << shift, b, nb);

			if (e < 0)
				return -1;
			blk16[k] = (__u16)e;
		}
	}
	return pool_put(&pools[level - 1], level == 1 ? (void *)blk8 : (void *)blk16);
}

/*
 * The key intervals: key_bits per interval, the key trie (key_hi, key_lo)
 * or, when key_lo's pool is too small, NACLEMU_SEARCH_KEY and key_bound.
 * At most 1 + 2 * NACLEMU_MAX_RULES intervals (a rule's range adds two
 * bounds), so an interval fits key_lo's byte.
 */
static void fill_key(struct naclemu_table *t, const struct span *keys, size_t n)
{
	struct pool lo = { t->key_lo, sizeof(t->key_lo[0]), NACLEMU_KEY_BLOCKS, 0 };
	u128 b[NACLEMU_SEARCH_SIZE];
	size_t nb = boundaries(keys, n, 0xffff, b);
	__u8 unused;

	for (size_t j = 0; j < NACLEMU_SEARCH_SIZE; j++) {
		if (j < nb) {
			span_bits(keys, n, b[j], &t->key_bits[j], &unused);
			t->key_bits[j] |= t->keyless;
			t->key_bound[j] = (__u32)b[j];
		} else {
			t->key_bits[j] = 0; /* no key maps here */
			t->key_bound[j] = NACLEMU_NKEYS;
		}
	}
	for (__u32 h = 0; h < 256; h++) {
		int e = trie_entry(&lo, 1, h << 8, b, nb);

		if (e < 0) {
			t->search |= NACLEMU_SEARCH_KEY;
			memset(t->key_hi, 0, sizeof(t->key_hi));
			memset(t->key_lo, 0, sizeof(t->key_lo));
			return;
		}
		t->key_hi[h] = (__u16)e;
	}
}

/* Returns the number of interval starts, written to @b. */
static size_t fill_addr(struct naclemu_table *t, const struct span *addrs,
			size_t n, u128 max, u128 b[NACLEMU_SEARCH_SIZE])
{
	size_t nb = boundaries(addrs, n, max, b);

	for (size_t j = 0; j < NACLEMU_SEARCH_SIZE; j++) {
		/*
		 * Padding: all-ones, with the last interval's words, so the
		 * all-ones IPv6 address (which lands there) is still right.
		 */
		u128 v = j < nb ? b[j] : ~(u128)0;

		t->addr_bound[j].hi = (__u64)(v >> 64);
		t->addr_bound[j].lo = (__u64)v;
		if (j < nb)
			span_bits(addrs, n, v, &t->addr_bits[j], &t->addr_flags[j]);
		else
			span_bits(addrs, n, b[nb - 1], &t->addr_bits[j],
				  &t->addr_flags[j]);
	}
	return nb;
}

/*
 * The IPv4 index (struct naclemu_v4_index) of the @nb interval starts @b,
 * or, when a pool is too small, NACLEMU_SEARCH_ADDR on @t (the IPv4 table
 * of the direction) and an empty index.
 */
static void fill_v4_index(struct naclemu_table *t, struct naclemu_v4_index *x,
			  const u128 *b, size_t nb)
{
	struct pool pools[3] = {
		{ x->l32, sizeof(x->l32[0]), NACLEMU_V4_L32_BLOCKS, 0 },
		{ x->l24, sizeof(x->l24[0]), NACLEMU_V4_L24_BLOCKS, 0 },
		{ x->l16, sizeof(x->l16[0]), NACLEMU_V4_L16_BLOCKS, 0 },
	};

	for (__u32 h = 0; h < 256; h++) {
		int e = trie_entry(pools, 3, h << 24, b, nb);

		if (e < 0) {
			t->search |= NACLEMU_SEARCH_ADDR;
			memset(x, 0, sizeof(*x));
			return;
		}
		x->l8[h] = (__u16)e;
	}
}

static void add_cidrs(struct span *addrs, size_t *n, const struct naclemu_cidr *c,
		      size_t count, __u8 family, __u8 flag)
{
	for (size_t i = 0; i < count; i++) {
		if (c[i].family != family)
			continue;
		addrs[*n] = (struct span){ cidr_first(&c[i]), cidr_last(&c[i]), 0, flag };
		(*n)++;
	}
}

static int compile_table(const struct nacl_ruleset *rs,
			 const struct nacl_extra *x, enum naclemu_dir dir,
			 __u8 family, struct naclemu_table *t,
			 struct naclemu_v4_index *v4, char err[NACL_MSG_LEN])
{
	struct span keys[NACLEMU_MAX_RULES], addrs[MAX_SPANS];
	u128 b[NACLEMU_SEARCH_SIZE];
	size_t nb;
	size_t nkeys = 0, naddrs = 0, idx = 0;
	t->default_slot = NACLEMU_SLOT_DEFAULT_OF(dir, NACLEMU_FAM_IDX(family));
	for (size_t r = 0; r < rs->count[dir]; r++) {
		const struct nacl_rule *rule = &rs->rules[dir][r];
		struct naclemu_rule_info *ri = &t->info[idx];
		__u16 lo, hi;
		__u64 bit;

		if (rule->cidr.family != family)
			continue;
		if (idx >= NACLEMU_MAX_RULES) {
			snprintf(err, NACL_MSG_LEN,
				 "%s: more than %d IPv%u %s rules", rs->path,
				 NACLEMU_MAX_RULES, family, nacl_dir_name(dir));
			return -EINVAL;
		}
		bit = 1ULL << idx;

		compile_rule_to_info(rule, ri);

		if (rule->protocol == NACLEMU_PROTO_ALL) {
			for (int p = 0; p < 256; p++)
				t->proto_bits[p] |= bit;
		} else {
			t->proto_bits[rule->protocol & 0xff] |= bit;
		}
		if (rule->allow)
			t->allow |= bit;
		if (nacl_rule_key_range(rule, &lo, &hi))
			keys[nkeys++] = (struct span){ lo, hi, bit, 0 };
		else
			t->keyless |= bit;
		addrs[naddrs++] = (struct span){ cidr_first(&rule->cidr),
						 cidr_last(&rule->cidr), bit, 0 };
		idx++;
	}
	t->nrules = (__u32)idx;

	add_cidrs(addrs, &naddrs, nacl_linklocal, NACL_NLINKLOCAL,
		  family, NACLEMU_AF_LINKLOCAL);
	add_cidrs(addrs, &naddrs, x->exempt, x->nexempt, family, NACLEMU_AF_EXEMPT);
	add_cidrs(addrs, &naddrs, x->subnet, x->nsubnet, family, NACLEMU_AF_SUBNET);
	for (size_t i = 0; i < x->nvpc; i++) {
		struct naclemu_cidr r;

		if (nacl_resolver(&x->vpc[i], &r))
			add_cidrs(addrs, &naddrs, &r, 1, family, NACLEMU_AF_RESOLVER);
	}

	fill_key(t, keys, nkeys);
	nb = fill_addr(t, addrs, naddrs, family == 4 ? 0xffffffffu : ~(u128)0, b);
	if (family == 4)
		fill_v4_index(t, v4, b, nb);
	return 0;
}

int compile_rules(const struct nacl_ruleset *rs, const struct nacl_extra *extra,
		  struct naclemu_rules *out, char err[NACL_MSG_LEN])
{
	static const struct nacl_extra none;
	const struct nacl_extra *x = extra ? extra : &none;
	int ret;

	if (x->nexempt > NACLEMU_MAX_CIDRS || x->nsubnet > NACLEMU_MAX_CIDRS ||
	    x->nvpc > NACLEMU_MAX_CIDRS) {
		snprintf(err, NACL_MSG_LEN, "at most %d --exempt, --subnet and --vpc CIDRs each",
			 NACLEMU_MAX_CIDRS);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	for (int dir = 0; dir < 2; dir++) {
		for (int fam = 0; fam < 2; fam++) {
			ret = compile_table(rs, x, (enum naclemu_dir)dir,
					    NACLEMU_FAMILY(fam),
					    &out->t[dir][fam], &out->v4[dir], err);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Whether @slot is a rule slot of any table of @rs (NULL: none). */
static bool slot_used(const struct naclemu_rules *rs, __u32 slot)
{
	if (!rs)
		return false;
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < 2; f++)
			for (__u32 i = 0; i < rs->t[d][f].nrules && i < NACLEMU_MAX_RULES; i++)
				if (rs->t[d][f].slot[i] == slot)
					return true;
	return false;
}

static __u32 old_slot(const struct naclemu_table *old, const struct naclemu_rule_info *ri)
{
	for (__u32 i = 0; i < old->nrules && i < NACLEMU_MAX_RULES; i++)
		if (!memcmp(&old->info[i], ri, sizeof(*ri)) &&
		    old->slot[i] >= NACLEMU_SLOT_FIRST_RULE && old->slot[i] < NACLEMU_NSLOTS)
			return old->slot[i];
	return 0;
}

int compile_assign_slots(struct naclemu_rules *rules,
			 const struct naclemu_rules *old, __u32 *cursor,
			 __u32 fresh[COMPILE_MAX_FRESH], size_t *nfresh)
{
	const __u32 nrule_slots = NACLEMU_NSLOTS - NACLEMU_SLOT_FIRST_RULE;

	*nfresh = 0;
	/* First the kept rules, so fresh ones cannot take their slots. */
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < 2; f++) {
			struct naclemu_table *t = &rules->t[d][f];

			for (__u32 i = 0; i < t->nrules; i++)
				t->slot[i] = old ? old_slot(&old->t[d][f], &t->info[i]) : 0;
		}
	for (int d = 0; d < 2; d++)
		for (int f = 0; f < 2; f++) {
			struct naclemu_table *t = &rules->t[d][f];

			for (__u32 i = 0; i < t->nrules; i++) {
				__u32 tries = 0, s;

				if (t->slot[i])
					continue;
				do {
					if (tries++ == nrule_slots)
						return -ENOSPC;
					s = NACLEMU_SLOT_FIRST_RULE + *cursor % nrule_slots;
					*cursor = (*cursor + 1) % nrule_slots;
				} while (slot_used(old, s) || slot_used(rules, s));
				t->slot[i] = s;
				fresh[(*nfresh)++] = s;
			}
		}
	return 0;
}

void compile_rule_to_info(const struct nacl_rule *r, struct naclemu_rule_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->number = r->number;
	ri->allow = r->allow;
	ri->protocol = r->protocol;
	ri->port_from = r->port_from;
	ri->port_to = r->port_to;
	ri->icmp_type = r->icmp_type;
	ri->icmp_code = r->icmp_code;
	ri->cidr = r->cidr;
}

void compile_rule_from_info(const struct naclemu_rule_info *ri, struct nacl_rule *out)
{
	memset(out, 0, sizeof(*out));
	out->number = ri->number;
	out->allow = ri->allow;
	out->protocol = ri->protocol;
	out->port_from = ri->port_from;
	out->port_to = ri->port_to;
	out->icmp_type = ri->icmp_type;
	out->icmp_code = ri->icmp_code;
	out->cidr = ri->cidr;
}
