// SPDX-License-Identifier: MIT
/*
 * test_watch.c - datapath/watch.h: interfaces and named namespaces that
 * appear and go are reported, in the caller's namespace and in named ones,
 * including a namespace made after the watch began.  Needs root (it makes
 * namespaces and veth pairs named nclt-w*, removed at the end);
 * skipped otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "datapath/watch.h"

static char ns1[32], ns2[32];

static void sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("'%s' failed", cmd);
}

/* Wait (at most 3 s) for an event of @kind about @netns/@ifname. */
static bool await(struct dp_watch *w, enum dp_watch_kind kind, const char *netns,
		  const char *ifname)
{
	struct dp_watch_event ev;

	for (int i = 0; i < 300; i++) {
		int ret = dp_watch_next(w, 10, &ev);

		assert_true(ret >= 0 || ret == -EINTR);
		if (ret == 1 && ev.kind == kind && !strcmp(ev.netns, netns) &&
		    (!ifname || !strcmp(ev.ifname, ifname)))
			return true;
	}
	return false;
}

static int setup(void **state)
{
	(void)state;
	snprintf(ns1, sizeof(ns1), "nclt-w1-%d", (int)getpid());
	snprintf(ns2, sizeof(ns2), "nclt-w2-%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; "
		 "ip link del nclt-wd0 2>/dev/null; true", ns1, ns2);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_watch(void **state)
{
	struct dp_watch *w;
	struct dp_watch_event ev;

	(void)state;
	if (geteuid() != 0)
		skip();
	sh("ip netns add %s", ns1);
	assert_int_equal(dp_watch_open(true, &w), 0);
	assert_int_equal(dp_watch_add(w, ns1), 0);
	assert_int_equal(dp_watch_add(w, ns1), 0); /* twice: a no-op */

	/* Nothing happened yet: a timeout. */
	assert_int_equal(dp_watch_next(w, 20, &ev), 0);

	/* The caller's namespace. */
	sh("ip link add nclt-wd0 type veth peer name nclt-wd0p");
	assert_true(await(w, DP_WATCH_LINK_NEW, "", "nclt-wd0"));
	sh("ip link del nclt-wd0");
	assert_true(await(w, DP_WATCH_LINK_DEL, "", "nclt-wd0"));

	/* A named namespace watched from the start. */
	sh("ip -n %s link add nclt-wd1 type veth peer name nclt-wd1p", ns1);
	assert_true(await(w, DP_WATCH_LINK_NEW, ns1, "nclt-wd1"));

	/* A namespace made after: reported, then its interfaces. */
	sh("ip netns add %s", ns2);
	assert_true(await(w, DP_WATCH_NETNS_NEW, ns2, NULL));
	sh("ip -n %s link add nclt-wd2 type veth peer name nclt-wd2p", ns2);
	assert_true(await(w, DP_WATCH_LINK_NEW, ns2, "nclt-wd2"));
	sh("ip netns del %s", ns2);
	assert_true(await(w, DP_WATCH_NETNS_DEL, ns2, NULL));

	/* A namespace that is not there cannot be watched. */
	assert_int_not_equal(dp_watch_add(w, "nclt-w-none"), 0);
	dp_watch_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
