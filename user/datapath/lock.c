// SPDX-License-Identifier: MIT
/*
 * lock.c - one lock per interface, so that naclemu commands on the same
 * interface run one after another (datapath.h, dp_lock()).
 *
 * As iptables' xtables.lock: a plain file, /run/naclemu/lock/<netns or
 * "root">/<ifname>, held with flock(2).  Commands that change the state
 * (attach, update, detach) hold it exclusively, commands that read it
 * (status, stats, events when it starts) shared.  The kernel drops a
 * flock when its holder dies, kill -9 included, so a crash never leaves
 * an interface locked.  The files are never removed: removing a lock file
 * that another process is waiting on would let two holders in.  The lock
 * lives outside the pinned state, so it also covers an interface whose
 * folder does not exist yet (attach) or is being removed (detach), and a
 * namespace deleted meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datapath/internal.h"
#include "output/log.h"


/* One folder below @parent, made if missing, not through a link. */
static int lock_dir(int parent, const char *name)
{
	int fd;

	if (mkdirat(parent, name, 0700) && errno != EEXIST)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The lock file of @t, opened (and made). */
static int lock_file(const struct dp_target *t)
{
	const char *path[] = { "naclemu", "lock", dp_netns_label(t->netns) };
	int dir = open("/run", O_RDONLY | O_DIRECTORY | O_CLOEXEC), next, fd;

	if (dir < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		next = lock_dir(dir, path[i]);
		close(dir);
		if (next < 0)
			return next;
		dir = next;
	}
	fd = openat(dir, t->ifname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = -errno;
	close(dir);
	return fd;
}

int dp_lock(const struct dp_target *t, bool exclusive, int *lock_fd, struct dp_error *e)
{
	return dp_lock_wait(t, exclusive, DP_LOCK_WAIT_MS, lock_fd, e);
}

int dp_lock_wait(const struct dp_target *t, bool exclusive, int wait_ms, int *lock_fd,
		 struct dp_error *e)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int fd = lock_file(t), waited = 0;

	*lock_fd = -1;
	if (fd < 0)
		return dp_fail(e, NACL_EXIT_SYSTEM, fd,
			       "cannot open the lock of %s in /run/naclemu/lock: %s", t->ifname,
			       strerror(-fd));
	while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

			close(fd);
			return dp_fail(e, NACL_EXIT_SYSTEM, err,
				       "another naclemu command on %s (netns %s) has held its lock "
				       "for %.1f s: try again later",
				       t->ifname, dp_netns_label(t->netns), waited / 1000.0);
		}
		nanosleep(&pause, NULL);
		waited += 10;
	}
	*lock_fd = fd;
	return 0;
}

void dp_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd); /* drops the flock */
}
