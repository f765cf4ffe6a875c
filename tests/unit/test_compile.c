// SPDX-License-Identifier: MIT
/*
 * test_compile.c - the rule compiler without the kernel: the words of the
 * tables, counter slots kept across update, limits.  (The BPF tests check
 * the compiled tables packet by packet; this one the parts they cannot see.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
	/* Key intervals: [0,79] [80,90] [91,65535]. */
	assert_int_equal(t->key_idx[0], 0);
	assert_int_equal(t->key_idx[79], 0);
	assert_int_equal(t->key_idx[80], 1);
	assert_int_equal(t->key_idx[90], 1);
	assert_int_equal(t->key_idx[91], 2);
	assert_int_equal(t->key_idx[65535], 2);
	assert_int_equal(t->key_bits[3], 0);
	assert_int_equal(t->key_bits[0], 0x2);
	assert_int_equal(t->key_bits[1], 0x3);
	assert_int_equal(t->key_bits[2], 0x2);
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
		cmocka_unit_test(slots_kept_across_update),
		cmocka_unit_test(slots_round_robin),
		cmocka_unit_test(limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
