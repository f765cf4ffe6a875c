// SPDX-License-Identifier: MIT
/*
 * test_compile.c - the rule compiler without the kernel: the words of the
 * tables, the key and IPv4 tries and their fallback to the binary search,
 * counter slots kept across update, limits.  (The BPF tests check
 * the compiled tables packet by packet; this one the parts they cannot see.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "datapath/compile.h"
#include "rules/read.h"

static struct nacl_ruleset *parse(const char *text)
{
	struct nacl_ruleset *rs = calloc(1, sizeof(*rs));
	char err[NACL_MSG_LEN] = "";

	assert_non_null(rs);
	if (nacl_parse_text("t.nacl", text, strlen(text), rs, err))
		fail_msg("rules do not parse: %s", err);
	return rs;
}

static struct naclemu_rules *compile(const char *text, const struct nacl_extra *x)
{
	struct nacl_ruleset *rs = parse(text);
	struct naclemu_rules *r = calloc(1, sizeof(*r));
	char err[NACL_MSG_LEN] = "";

	assert_non_null(r);
	if (compile_rules(rs, x, r, err))
		fail_msg("does not compile: %s", err);
	free(rs);
	return r;
}

/* The interval of @key by the binary search over key_bound, as the program does. */
static unsigned int key_searched(const struct naclemu_table *t, unsigned int key)
{
	unsigned int i = 0;

	for (unsigned int step = NACLEMU_SEARCH_SIZE / 2; step; step >>= 1)
		if (t->key_bound[i + step] <= key)
			i += step;
	return i;
}

/* The interval of @key by the trie (key_hi, key_lo), as the program does. */
static unsigned int key_indexed(const struct naclemu_table *t, unsigned int key)
{
	unsigned int e = t->key_hi[key >> 8];

	if (e >= NACLEMU_IDX_BLOCK) {
		assert_true(e - NACLEMU_IDX_BLOCK < NACLEMU_KEY_BLOCKS);
		e = t->key_lo[e - NACLEMU_IDX_BLOCK][key & 0xff];
	}
	return e;
}

/* The interval of IPv4 address @a by the binary search over addr_bound. */
static unsigned int addr_searched(const struct naclemu_table *t, __u32 a)
{
	unsigned int i = 0;

	for (unsigned int step = NACLEMU_SEARCH_SIZE / 2; step; step >>= 1) {
		const struct naclemu_addr *b = &t->addr_bound[i + step];

		if (b->hi == 0 && b->lo <= a)
			i += step;
	}
	return i;
}

/* The interval of IPv4 address @a by the four-level trie, as the program does. */
static unsigned int addr_indexed(const struct naclemu_v4_index *x, __u32 a)
{
	unsigned int e = x->l8[a >> 24];

	if (e < NACLEMU_IDX_BLOCK)
		return e;
	assert_true(e - NACLEMU_IDX_BLOCK < NACLEMU_V4_L16_BLOCKS);
	e = x->l16[e - NACLEMU_IDX_BLOCK][(a >> 16) & 0xff];
	if (e < NACLEMU_IDX_BLOCK)
		return e;
	assert_true(e - NACLEMU_IDX_BLOCK < NACLEMU_V4_L24_BLOCKS);
	e = x->l24[e - NACLEMU_IDX_BLOCK][(a >> 8) & 0xff];
	if (e < NACLEMU_IDX_BLOCK)
		return e;
	assert_true(e - NACLEMU_IDX_BLOCK < NACLEMU_V4_L32_BLOCKS);
	return x->l32[e - NACLEMU_IDX_BLOCK][a & 0xff];
}

/* Every key's trie interval is its searched one (unless the table searches). */
static void check_key_trie(const struct naclemu_table *t)
{
	if (t->search & NACLEMU_SEARCH_KEY)
		return;
	for (unsigned int k = 0; k < NACLEMU_NKEYS; k++)
		if (key_indexed(t, k) != key_searched(t, k))
			fail_msg("key %u: trie says interval %u, search %u", k,
				 key_indexed(t, k), key_searched(t, k));
}

/* The same for the IPv4 addresses at, before and after every interval start. */
static void check_v4_trie(const struct naclemu_rules *r, int dir)
{
	const struct naclemu_table *t = &r->t[dir][NACLEMU_V4];

	if (t->search & NACLEMU_SEARCH_ADDR)
		return;
	for (unsigned int j = 0; j < NACLEMU_SEARCH_SIZE && !t->addr_bound[j].hi; j++) {
		for (int d = -1; d <= 1; d++) {
			__u32 a = (__u32)t->addr_bound[j].lo + (__u32)d;

			if (addr_indexed(&r->v4[dir], a) != addr_searched(t, a))
				fail_msg("%08x: trie says interval %u, search %u", a,
					 addr_indexed(&r->v4[dir], a), addr_searched(t, a));
		}
	}
}

static __u32 slot_of(const struct naclemu_rules *r, int dir, int fam, unsigned int number)
{
	const struct naclemu_table *t = &r->t[dir][fam];

	for (__u32 i = 0; i < t->nrules; i++)
		if (t->info[i].number == number)
			return t->slot[i];
	fail_msg("rule %u not in table %d/%d", number, dir, fam);
	return 0;
}

static void tables(void **state)
{
	struct naclemu_rules *r = compile("inbound\n"
					  " 100 allow tcp 80-90 192.0.2.0/24\n"
					  " 110 deny all - 0.0.0.0/0\n"
					  " 120 allow tcp all ::/0\n"
					  "outbound\n", NULL);
	const struct naclemu_table *t = &r->t[NACLEMU_INGRESS][NACLEMU_V4];

	(void)state;
	assert_int_equal(t->nrules, 2);
	assert_int_equal(r->t[NACLEMU_INGRESS][NACLEMU_V6].nrules, 1);
	assert_int_equal(r->t[NACLEMU_EGRESS][NACLEMU_V4].nrules, 0);
	/* Bit 0 = rule 100, bit 1 = rule 110. */
	assert_int_equal(t->proto_bits[6], 0x3);
	assert_int_equal(t->proto_bits[17], 0x2);
	assert_int_equal(t->keyless, 0x2);
	assert_int_equal(t->allow, 0x1);
	/* Key intervals: [0,79] [80,90] [91,65535]; keys 0-255 need a block. */
	assert_int_equal(t->search, 0);
	assert_int_equal(t->key_hi[0], NACLEMU_IDX_BLOCK);
	assert_int_equal(t->key_hi[1], 2);
	assert_int_equal(t->key_hi[255], 2);
	assert_int_equal(key_indexed(t, 0), 0);
	assert_int_equal(key_indexed(t, 79), 0);
	assert_int_equal(key_indexed(t, 80), 1);
	assert_int_equal(key_indexed(t, 90), 1);
	assert_int_equal(key_indexed(t, 91), 2);
	assert_int_equal(key_indexed(t, 65535), 2);
	check_key_trie(t);
	assert_int_equal(t->key_bound[3], NACLEMU_NKEYS); /* padding */
	assert_int_equal(t->key_bits[3], 0);
	assert_int_equal(t->key_bits[0], 0x2);
	assert_int_equal(t->key_bits[1], 0x3);
	assert_int_equal(t->key_bits[2], 0x2);
	/*
	 * IPv4 trie: 169.254.169.x (link-local services) needs a block at
	 * every level, 192.0.2.0/24 one below /8 and /16 only.
	 */
	assert_int_equal(r->v4[NACLEMU_INGRESS].l8[0], 0);
	assert_true(r->v4[NACLEMU_INGRESS].l8[169] >= NACLEMU_IDX_BLOCK);
	assert_true(r->v4[NACLEMU_INGRESS].l8[192] >= NACLEMU_IDX_BLOCK);
	assert_int_equal(addr_indexed(&r->v4[NACLEMU_INGRESS], 0xc0000105), 5);
	assert_int_equal(addr_indexed(&r->v4[NACLEMU_INGRESS], 0xc0000205), 6);
	assert_int_equal(addr_indexed(&r->v4[NACLEMU_INGRESS], 0xc0000300), 7);
	assert_int_equal(addr_indexed(&r->v4[NACLEMU_INGRESS], 0xffffffff), 7);
	check_v4_trie(r, NACLEMU_INGRESS);
	check_v4_trie(r, NACLEMU_EGRESS);
	/* Addresses: 0, 169.254.169.{123,124,253,254,255}, 192.0.2.0, 192.0.3.0. */
	assert_int_equal(t->addr_bound[6].lo, 0xc0000200);
	assert_int_equal(t->addr_bits[6], 0x3);
	assert_int_equal(t->addr_bound[7].lo, 0xc0000300);
	assert_int_equal(t->addr_bits[7], 0x2);
	assert_int_equal(t->addr_bound[8].hi, ~0ULL); /* padding */
	assert_int_equal(t->addr_bits[8], 0x2);
	assert_int_equal(t->addr_flags[1], NACLEMU_AF_LINKLOCAL);
	assert_int_equal(t->addr_flags[2], 0);
	assert_int_equal(t->default_slot, NACLEMU_SLOT_DEFAULT);
	assert_int_equal(r->t[NACLEMU_EGRESS][NACLEMU_V6].default_slot, NACLEMU_SLOT_DEFAULT + 3);
	free(r);
}

/*
 * Inbound rules 101, 102, ...: the first @nkeys with a port (k * 256 + 80)
 * in a key block of its own, the first @nhosts with the IPv4 host @host
 * (a format of k, from 1; not documentation addresses, but nothing is
 * sent): "%u.0.2.1/32" needs a block of its own at every level of the IPv4
 * trie, "10.%u.2.1/32" at l24 and l32, "10.0.%u.1/32" at l32.  The others
 * have port 80 and 192.0.2.0/24, which add no block.
 */
static struct naclemu_rules *scattered(unsigned int nkeys, unsigned int nhosts,
				       const char *host)
{
	static char text[4096];
	size_t o = (size_t)snprintf(text, sizeof(text), "inbound\n");

	for (unsigned int k = 1; k <= nkeys || k <= nhosts; k++) {
		char cidr[32] = "192.0.2.0/24";

		if (k <= nhosts)
			snprintf(cidr, sizeof(cidr), host, k);
		o += (size_t)snprintf(text + o, sizeof(text) - o, " %u allow tcp %u %s\n",
				      100 + k, k <= nkeys ? k * 256 + 80 : 80, cidr);
	}
	snprintf(text + o, sizeof(text) - o, "outbound\n");
	return compile(text, NULL);
}

/*
 * A rule set that needs more blocks than a pool holds takes the binary
 * search for that lookup; one that just fits keeps the trie.
 */
static void trie_overflow(void **state)
{
	/* The link-local services (169.254.169.x) take a block at each level. */
	const unsigned int fits_v4 = NACLEMU_V4_L16_BLOCKS - 1;
	struct naclemu_rules *r;
	const struct naclemu_table *t;

	(void)state;
	_Static_assert(NACLEMU_V4_L16_BLOCKS <= NACLEMU_V4_L24_BLOCKS &&
		       NACLEMU_V4_L24_BLOCKS <= NACLEMU_V4_L32_BLOCKS, "l16 fills first");

	r = scattered(NACLEMU_KEY_BLOCKS, 0, NULL);
	t = &r->t[NACLEMU_INGRESS][NACLEMU_V4];
	assert_int_equal(t->search, 0);
	check_key_trie(t);
	free(r);

	r = scattered(NACLEMU_KEY_BLOCKS + 1, 0, NULL);
	t = &r->t[NACLEMU_INGRESS][NACLEMU_V4];
	assert_int_equal(t->search, NACLEMU_SEARCH_KEY);
	/* The search has what it needs: key k * 256 + 80 is rule k's alone. */
	for (unsigned int k = 1; k <= NACLEMU_KEY_BLOCKS + 1; k++) {
		assert_int_equal(t->key_bits[key_searched(t, k * 256 + 80)], 1ULL << (k - 1));
		assert_int_equal(t->key_bits[key_searched(t, k * 256 + 81)], 0);
	}
	/* Only the table that overflowed searches. */
	assert_int_equal(r->t[NACLEMU_EGRESS][NACLEMU_V4].search, 0);
	assert_int_equal(r->t[NACLEMU_INGRESS][NACLEMU_V6].search, 0);
	check_v4_trie(r, NACLEMU_INGRESS);
	free(r);

	r = scattered(0, fits_v4, "%u.0.2.1/32");
	t = &r->t[NACLEMU_INGRESS][NACLEMU_V4];
	assert_int_equal(t->search, 0);
	check_v4_trie(r, NACLEMU_INGRESS);
	free(r);

	r = scattered(0, fits_v4 + 1, "%u.0.2.1/32");
	t = &r->t[NACLEMU_INGRESS][NACLEMU_V4];
	assert_int_equal(t->search, NACLEMU_SEARCH_ADDR);
	for (unsigned int k = 1; k <= fits_v4 + 1; k++) {
		__u32 host = k << 24 | 0x201;

		assert_int_equal(t->addr_bits[addr_searched(t, host)], 1ULL << (k - 1));
		assert_int_equal(t->addr_bits[addr_searched(t, host + 1)], 0);
	}
	/* The other direction's index is unaffected. */
	assert_int_equal(r->t[NACLEMU_EGRESS][NACLEMU_V4].search, 0);
	check_v4_trie(r, NACLEMU_EGRESS);
	check_key_trie(t);
	free(r);

	/* Each lower level's pool, just full and one over (l8 and l16: 10, 169). */
	r = scattered(0, NACLEMU_V4_L24_BLOCKS - 1, "10.%u.2.1/32");
	assert_int_equal(r->t[NACLEMU_INGRESS][NACLEMU_V4].search, 0);
	check_v4_trie(r, NACLEMU_INGRESS);
	free(r);
	r = scattered(0, NACLEMU_V4_L24_BLOCKS, "10.%u.2.1/32");
	assert_int_equal(r->t[NACLEMU_INGRESS][NACLEMU_V4].search, NACLEMU_SEARCH_ADDR);
	free(r);
	r = scattered(0, NACLEMU_V4_L32_BLOCKS - 1, "10.0.%u.1/32");
	assert_int_equal(r->t[NACLEMU_INGRESS][NACLEMU_V4].search, 0);
	check_v4_trie(r, NACLEMU_INGRESS);
	free(r);
	r = scattered(0, NACLEMU_V4_L32_BLOCKS, "10.0.%u.1/32");
	assert_int_equal(r->t[NACLEMU_INGRESS][NACLEMU_V4].search, NACLEMU_SEARCH_ADDR);
	free(r);
}

static void slots_kept_across_update(void **state)
{
	struct naclemu_rules *a = compile("inbound\n 100 allow tcp 80 0.0.0.0/0\n"
					  " 110 allow udp 53 0.0.0.0/0\n"
					  "outbound\n 100 allow all - ::/0\n", NULL);
	struct naclemu_rules *b = compile("inbound\n 100 allow tcp 80 0.0.0.0/0\n"
					  " 110 allow udp 54 0.0.0.0/0\n"
					  " 120 deny all - 0.0.0.0/0\n"
					  "outbound\n 100 allow all - ::/0\n"
					  " 110 allow all - 0.0.0.0/0\n", NULL);
	__u32 fresh[COMPILE_MAX_FRESH], cursor = 0;
	size_t nfresh;

	(void)state;
	assert_int_equal(compile_assign_slots(a, NULL, &cursor, fresh, &nfresh), 0);
	assert_int_equal(nfresh, 3);
	assert_int_equal(compile_assign_slots(b, a, &cursor, fresh, &nfresh), 0);
	/* Same number and content: same slot. */
	assert_int_equal(slot_of(b, 0, NACLEMU_V4, 100), slot_of(a, 0, NACLEMU_V4, 100));
	assert_int_equal(slot_of(b, 1, NACLEMU_V6, 100), slot_of(a, 1, NACLEMU_V6, 100));
	/* Changed (110), new (120, outbound 110): fresh slots, none of a's. */
	assert_int_equal(nfresh, 3);
	for (size_t i = 0; i < nfresh; i++) {
		assert_true(fresh[i] >= NACLEMU_SLOT_FIRST_RULE && fresh[i] < NACLEMU_NSLOTS);
		assert_int_not_equal(fresh[i], slot_of(a, 0, NACLEMU_V4, 100));
		assert_int_not_equal(fresh[i], slot_of(a, 0, NACLEMU_V4, 110));
		assert_int_not_equal(fresh[i], slot_of(a, 1, NACLEMU_V6, 100));
	}
	assert_int_not_equal(slot_of(b, 0, NACLEMU_V4, 110), slot_of(a, 0, NACLEMU_V4, 110));
	/* Outbound 110 (IPv4) is not outbound 100 (IPv6) of a. */
	assert_int_not_equal(slot_of(b, 1, NACLEMU_V4, 110), slot_of(a, 1, NACLEMU_V6, 100));
	free(a);
	free(b);
}

static void slots_round_robin(void **state)
{
	struct naclemu_rules *a = compile("inbound\n 100 allow tcp 80 0.0.0.0/0\noutbound\n", NULL);
	struct naclemu_rules *b = compile("inbound\n 100 allow tcp 81 0.0.0.0/0\noutbound\n", NULL);
	__u32 fresh[COMPILE_MAX_FRESH], cursor = 0, seen[NACLEMU_NSLOTS] = { 0 };
	size_t nfresh;

	(void)state;
	/* A retired slot is not handed out again until the others were. */
	for (int i = 0; i < NACLEMU_NSLOTS - NACLEMU_SLOT_FIRST_RULE; i++) {
		struct naclemu_rules *cur = i % 2 ? a : b, *old = i % 2 ? b : a;

		assert_int_equal(compile_assign_slots(cur, i ? old : NULL, &cursor, fresh, &nfresh), 0);
		assert_int_equal(nfresh, 1);
		assert_int_equal(seen[fresh[0]]++, 0);
	}
	free(a);
	free(b);
}

static void limits(void **state)
{
	struct nacl_ruleset *rs = parse("inbound\n 100 allow all - 0.0.0.0/0\n");
	struct naclemu_cidr many[NACLEMU_MAX_CIDRS + 1];
	struct nacl_extra x = { many, NACLEMU_MAX_CIDRS + 1, NULL, 0 };
	struct naclemu_rules *r = calloc(1, sizeof(*r));
	char err[NACL_MSG_LEN] = "";
	bool hb;

	(void)state;
	assert_non_null(r);
	for (int i = 0; i <= NACLEMU_MAX_CIDRS; i++)
		assert_int_equal(nacl_parse_cidr("203.0.113.0/24", &many[i], &hb), 0);
	assert_int_equal(compile_rules(rs, &x, r, err), -EINVAL);
	assert_non_null(strstr(err, "--exempt"));
	x.nexempt = NACLEMU_MAX_CIDRS;
	x.subnet = many;
	x.nsubnet = NACLEMU_MAX_CIDRS;
	assert_int_equal(compile_rules(rs, &x, r, err), 0);
	assert_int_equal(r->t[0][0].addr_flags[1], NACLEMU_AF_LINKLOCAL);
	free(r);
	free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tables),
		cmocka_unit_test(trie_overflow),
		cmocka_unit_test(slots_kept_across_update),
		cmocka_unit_test(slots_round_robin),
		cmocka_unit_test(limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
