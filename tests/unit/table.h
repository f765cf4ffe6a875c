/* SPDX-License-Identifier: MIT */
/*
 * table.h - for table-driven cmocka tests (test_parse.c, test_readers.c):
 * a table runs to its end and reports every case that fails (print_error,
 * then failures++), and the test fails once, at done().  Include after
 * <cmocka.h>.
 */
#ifndef NACLEMU_TEST_TABLE_H
#define NACLEMU_TEST_TABLE_H

/* Cases of the current test that failed. */
static int failures;

/* Fail the test if a case failed, and start counting again. */
static inline void done(void)
{
	int n = failures;

	failures = 0;
	if (n)
		fail_msg("%d case(s) failed", n);
}

#endif /* NACLEMU_TEST_TABLE_H */
