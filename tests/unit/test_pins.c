// SPDX-License-Identifier: MIT
/*
 * test_pins.c - the pin folder follows no symbolic link (user/datapath/
 * pins.c): a link or a folder where an object should be is refused, and a
 * link swapped in between the check of a name and the fetch of its object
 * is not followed either.
 *
 * The swap happens at the one instant that matters: this test is linked
 * with -Wl,--wrap=bpf_obj_get (Makefile), so the library's BPF_OBJ_GET
 * goes through __wrap_bpf_obj_get() below, which, when armed, moves the
 * pinned object away and puts a link to a decoy map in its place before
 * the kernel sees the path.  Works in its own folder
 * /sys/fs/bpf/naclemu/nclt-pins-PID/ and removes it.
 *
 * Then dp_pins_open(create) against a detach of another interface in the
 * same namespace, which removes the namespace's folder once it is empty:
 * linked with -Wl,--wrap=mkdirat too, __wrap_mkdirat() removes the folder
 * right after it was made (before attach opens it), or the folder attach
 * is about to make a folder in; attach makes the chain again, a bounded
 * number of times.  In nclt-pinr-PID/.  Needs root; skipped otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>

#include "datapath/internal.h"

int __real_bpf_obj_get(const char *path);

/* The swap of the next BPF_OBJ_GET, when armed. */
static struct {
	bool armed;
	int done;
	const struct dp_pins *p;
	const char *name;   /* moved to the namespace's folder as "moved" */
	char target[128];   /* what the link put in its place points to */
} swap;

int __wrap_bpf_obj_get(const char *path)
{
	if (swap.armed) {
		swap.armed = false;
		if (!renameat(swap.p->if_fd, swap.name, swap.p->ns_fd, "moved") &&
		    !symlinkat(swap.target, swap.p->if_fd, swap.name))
			swap.done++;
	}
	return __real_bpf_obj_get(path);
}

int __real_mkdirat(int dirfd, const char *name, mode_t mode);

/*
 * A detach of another interface, as attach sees it: for the next @left
 * mkdirat() of @name, the folder goes right after it was made (@before
 * false), or the folder it is made in (@parent, a path) goes first.
 */
static struct {
	int left;
	bool before;
	const char *name;
	char parent[128];
} vanish;

int __wrap_mkdirat(int dirfd, const char *name, mode_t mode)
{
	int ret;

	if (vanish.left <= 0 || strcmp(name, vanish.name))
		return __real_mkdirat(dirfd, name, mode);
	vanish.left--;
	if (vanish.before)
		rmdir(vanish.parent);
	ret = __real_mkdirat(dirfd, name, mode);
	if (!vanish.before && !ret)
		unlinkat(dirfd, name, AT_REMOVEDIR);
	return ret;
}

static struct dp_target target;
static struct dp_pins pins = { -1, -1, -1 };
static int real_fd = -1, decoy_fd = -1;
static __u32 real_id, decoy_id;
static char why[128];

static int map_new(__u32 *id)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "nclt_pins", 4, 4, 1, NULL);

	*id = fd >= 0 ? dp_obj_id(fd) : 0;
	return fd;
}

static int group_setup(void **state)
{
	char ns[32];
	struct dp_error e;
	int ret;

	(void)state;
	if (geteuid() != 0) {
		snprintf(why, sizeof(why), "needs root for bpffs");
		return 0;
	}
	snprintf(ns, sizeof(ns), "nclt-pins-%d", (int)getpid());
	if (dp_target_init(&target, ns, "v0", &e) || dp_bpffs_ensure()) {
		snprintf(why, sizeof(why), "no bpffs on /sys/fs/bpf");
		return 0;
	}
	ret = dp_pins_open(&target, true, &pins);
	if (ret) {
		snprintf(why, sizeof(why), "cannot make %s: %s", target.dir, strerror(-ret));
		return 0;
	}
	real_fd = map_new(&real_id);
	decoy_fd = map_new(&decoy_id);
	snprintf(swap.target, sizeof(swap.target), DP_PIN_ROOT "/%s/decoy", ns);
	if (real_fd < 0 || decoy_fd < 0 || !real_id || !decoy_id ||
	    dp_pins_pin(&pins, DP_PIN_META, real_fd) || bpf_obj_pin(decoy_fd, swap.target))
		snprintf(why, sizeof(why), "cannot create and pin two maps: %s", strerror(errno));
	return 0;
}

static int group_teardown(void **state)
{
	static const char *const names[] = { DP_PIN_META, DP_PIN_RULES, DP_PIN_COUNTERS,
					     DP_PIN_FRAGS, DP_PIN_EVENTS };

	(void)state;
	if (pins.if_fd >= 0) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (unlinkat(pins.if_fd, names[i], 0))
				unlinkat(pins.if_fd, names[i], AT_REMOVEDIR);
		unlinkat(pins.ns_fd, "moved", 0);
		unlinkat(pins.ns_fd, "decoy", 0);
		unlinkat(pins.ns_fd, target.ifname, AT_REMOVEDIR);
		unlinkat(pins.root_fd, dp_netns_label(target.netns), AT_REMOVEDIR);
		dp_pins_close(&pins);
		rmdir(DP_PIN_ROOT); /* when empty: another user may be in it */
	}
	if (real_fd >= 0)
		close(real_fd);
	if (decoy_fd >= 0)
		close(decoy_fd);
	return 0;
}

/* The object's id through dp_pins_get(), or -errno. */
static long long get_id(const char *name)
{
	int fd = dp_pins_get(&pins, name);
	__u32 id;

	if (fd < 0)
		return fd;
	id = dp_obj_id(fd);
	close(fd);
	return id;
}

/* A link, a folder and nothing where an object should be. */
static void get_refuses_links(void **state)
{
	(void)state;
	if (why[0])
		skip();
	assert_int_equal(get_id(DP_PIN_META), real_id);
	/* A link to a real object of ours, and one to the decoy: both refused. */
	assert_int_equal(symlinkat(DP_PIN_META, pins.if_fd, DP_PIN_RULES), 0);
	assert_int_equal(symlinkat(swap.target, pins.if_fd, DP_PIN_COUNTERS), 0);
	assert_int_equal(get_id(DP_PIN_RULES), -ELOOP);
	assert_int_equal(get_id(DP_PIN_COUNTERS), -ELOOP);
	assert_int_equal(mkdirat(pins.if_fd, DP_PIN_FRAGS, 0700), 0);
	assert_int_equal(get_id(DP_PIN_FRAGS), -ELOOP);
	assert_int_equal(get_id(DP_PIN_EVENTS), -ENOENT);
	/* Pinning over any of them is refused, and nothing is made through the link. */
	assert_int_equal(dp_pins_pin(&pins, DP_PIN_COUNTERS, real_fd), -ELOOP);
	assert_int_equal(dp_pins_pin(&pins, DP_PIN_FRAGS, real_fd), -ELOOP);
	assert_int_equal(dp_pins_pin(&pins, DP_PIN_META, decoy_fd), -EEXIST);
	assert_int_equal(get_id(DP_PIN_META), real_id);
	unlinkat(pins.if_fd, DP_PIN_RULES, 0);
	unlinkat(pins.if_fd, DP_PIN_COUNTERS, 0);
	unlinkat(pins.if_fd, DP_PIN_FRAGS, AT_REMOVEDIR);
}

/*
 * The name is checked while it is our object, then becomes a link to the
 * decoy before BPF_OBJ_GET: what comes back is our object, never the decoy.
 */
static void get_swap_after_check(void **state)
{
	long long id;

	(void)state;
	if (why[0])
		skip();
	swap.p = &pins;
	swap.name = DP_PIN_META;
	swap.done = 0;
	swap.armed = true;
	id = get_id(DP_PIN_META);
	swap.armed = false;
	assert_int_equal(swap.done, 1); /* the swap did happen in between */
	assert_int_not_equal(id, decoy_id);
	assert_int_equal(id, real_id);
	/* And now that the name is a link, it is refused. */
	assert_int_equal(get_id(DP_PIN_META), -ELOOP);
	unlinkat(pins.if_fd, DP_PIN_META, 0);
	assert_int_equal(renameat(pins.ns_fd, "moved", pins.if_fd, DP_PIN_META), 0);
}

/* The race's target (its own namespace folder, empty but for it), or NULL to skip. */
static const struct dp_target *race_target(void)
{
	static struct dp_target t;
	struct dp_error e;
	char ns[32];

	if (why[0])
		return NULL;
	snprintf(ns, sizeof(ns), "nclt-pinr-%d", (int)getpid());
	if (dp_target_init(&t, ns, "v1", &e))
		return NULL;
	snprintf(vanish.parent, sizeof(vanish.parent), DP_PIN_ROOT "/%s", ns);
	return &t;
}

/* Remove @t's folders made by a test (the root stays: the main target is in it). */
static void race_clean(const struct dp_target *t, struct dp_pins *p)
{
	char path[PATH_MAX];

	dp_pins_close(p);
	rmdir(t->dir);
	snprintf(path, sizeof(path), DP_PIN_ROOT "/%s", dp_netns_label(t->netns));
	rmdir(path);
}

/* @tries detaches in a row remove the namespace's folder: attach still gets its folder. */
static void open_race(bool before, int tries)
{
	const struct dp_target *t = race_target();
	struct dp_pins p = { -1, -1, -1 };

	if (!t)
		skip();
	vanish.before = before;
	vanish.name = before ? t->ifname : dp_netns_label(t->netns);
	vanish.left = tries;
	assert_int_equal(dp_pins_open(t, true, &p), 0);
	assert_int_equal(vanish.left, 0); /* each removal did happen */
	assert_true(p.if_fd >= 0);
	assert_int_equal(dp_pins_pin(&p, DP_PIN_META, real_fd), 0);
	assert_int_equal(dp_pins_prog_id(&p, DP_PIN_META), real_id);
	unlinkat(p.if_fd, DP_PIN_META, 0);
	race_clean(t, &p);
}

static void open_create_gone_after_mkdir(void **state)
{
	(void)state;
	open_race(false, 3);
}

static void open_create_gone_before_mkdir(void **state)
{
	(void)state;
	open_race(true, 3);
}

/* A folder that always goes: -ENOENT after a bounded number of tries. */
static void open_create_bounded(void **state)
{
	const struct dp_target *t = race_target();
	struct dp_pins p = { -1, -1, -1 };
	int tries;

	(void)state;
	if (!t)
		skip();
	vanish.before = false;
	vanish.name = dp_netns_label(t->netns);
	vanish.left = 1000;
	assert_int_equal(dp_pins_open(t, true, &p), -ENOENT);
	tries = 1000 - vanish.left;
	vanish.left = 0;
	assert_true(tries >= 2 && tries <= 64);
	assert_int_equal(p.root_fd, -1);
	race_clean(t, &p);
	/* Without create, a missing folder is an answer: no retry, nothing made. */
	vanish.left = 1000;
	assert_int_equal(dp_pins_open(t, false, &p), -ENOENT);
	assert_int_equal(vanish.left, 1000);
	vanish.left = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_refuses_links),
		cmocka_unit_test(get_swap_after_check),
		cmocka_unit_test(open_create_gone_after_mkdir),
		cmocka_unit_test(open_create_gone_before_mkdir),
		cmocka_unit_test(open_create_bounded),
	};
	int ret = cmocka_run_group_tests_name("pins", tests, group_setup, group_teardown);

	if (why[0])
		fprintf(stderr, "skip: %s\n", why);
	return ret;
}
