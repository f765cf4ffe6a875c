// SPDX-License-Identifier: MIT
/*
 * managed.c - what `naclemu apply` needs of the datapath besides attach,
 * update and detach (datapath.h): the "managed by apply" mark of an attach
 * record, and the lock that makes applies (and the daemon's) run one after
 * another.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "datapath/internal.h"
#include "output/log.h"

/* Where the apply lock is, beside the interfaces' locks (lock.c). */
#define DP_APPLY_LOCK_DIR "/run/naclemu"

int dp_set_managed(const struct dp_target *t, bool managed, struct dp_error *e)
{
	char note[192];
	struct dp_state st;
	unsigned int layout;
	__u32 zero = 0;
	int ret;

	memset(e, 0, sizeof(*e));
	dp_state_init(&st);
	if (dp_lock(t, true, &st.lock_fd, e))
		return e->exit;
	if (dp_recover(t, note, sizeof(note), e))
		goto out;
	ret = dp_state_open_locked(t, &st, &layout);
	if (ret) {
		dp_state_error(t, ret, layout, e);
		goto out;
	}
	if (managed)
		st.meta.head.flags |= NACLEMU_META_MANAGED;
	else
		st.meta.head.flags &= ~NACLEMU_META_MANAGED;
	ret = dp_fault("apply.mark");
	/* One map update: the record is the old one or the new one, whole. */
	if (!ret && bpf_map_update_elem(st.meta_fd, &zero, &st.meta, BPF_ANY))
		ret = -errno;
	if (ret)
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot mark %s as managed by apply: %s", t->ifname,
			strerror(-ret));
out:
	dp_state_close(&st);
	return e->err ? e->exit : NACL_EXIT_OK;
}

int dp_apply_lock(int *lock_fd, struct dp_error *e)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	int fd, waited = 0;

	*lock_fd = -1;
	if (mkdir(DP_APPLY_LOCK_DIR, 0700) && errno != EEXIST)
		return dp_fail(e, NACL_EXIT_SYSTEM, -errno, "cannot make %s: %s", DP_APPLY_LOCK_DIR,
			       strerror(errno));
	fd = open(DP_APPLY_LOCK_DIR "/apply.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return dp_fail(e, NACL_EXIT_SYSTEM, -errno, "cannot open %s/apply.lock: %s",
			       DP_APPLY_LOCK_DIR, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK || waited >= DP_LOCK_WAIT_MS) {
			close(fd);
			return dp_fail(e, NACL_EXIT_SYSTEM, -EBUSY,
				       "another 'naclemu apply' (or the daemon) has been applying "
				       "for %d s: try again when it is done", DP_LOCK_WAIT_MS / 1000);
		}
		nanosleep(&nap, NULL);
		waited += 50;
	}
	*lock_fd = fd;
	return 0;
}
