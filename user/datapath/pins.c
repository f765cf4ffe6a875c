// SPDX-License-Identifier: MIT
/*
 * pins.c - an interface's pin folder, /sys/fs/bpf/naclemu/<netns>/<ifname>/,
 * opened one component at a time without following a symbolic link
 * (datapath.h, struct dp_pins).
 *
 * Below the state root nothing is reached by a path: each folder is opened
 * with openat(O_NOFOLLOW | O_DIRECTORY) from its parent's descriptor (not
 * O_PATH: the interface's folder is also flock()ed by the event readers and
 * the walks readdir() it; O_NOFOLLOW | O_DIRECTORY refuses a link all the
 * same).  A symbolic link anywhere below the root is refused with -ELOOP,
 * so a planted link can neither make attach pin outside the tree nor make
 * a command read or detach someone else's objects.
 *
 * An object is fetched through the inode itself, not its name: NAME is
 * opened with O_PATH | O_NOFOLLOW (a link opens as the link), checked with
 * fstat() to be a pinned object, and BPF_OBJ_GET is given that descriptor's
 * /proc/self/fd/N, which resolves to exactly the inode opened.  A link
 * swapped in after the check is never followed, as it was when the check
 * was fstatat(NAME) and the fetch went through the name again.  BPF_OBJ_GET
 * relative to a folder's descriptor (BPF_F_PATH_FD, Linux 6.5) would not
 * do: the kernel follows a link in the last component there too.
 *
 * An object is pinned through /proc/self/fd/N/NAME, N the folder: the
 * kernel creates NAME and refuses any name that exists, a link included
 * (-EEXIST), so pinning follows no link either; the check before it only
 * names what is in the way.
 */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>

#include "datapath/internal.h"
#include "output/log.h"

static const char *const pin_names[] = {
	DP_PIN_LINK_IN, DP_PIN_LINK_OUT, DP_PIN_PROG_IN, DP_PIN_PROG_OUT, DP_PIN_RULES,
	DP_PIN_COUNTERS, DP_PIN_FRAGS,   DP_PIN_EVENTS,  DP_PIN_FLOWS,   DP_PIN_META,
};

/* One folder below @parent: opened, or created first when @create. */
static int subdir(int parent, const char *name, bool create)
{
	int fd;

	if (create && mkdirat(parent, name, 0700) && errno != EEXIST)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? -ELOOP : -errno;
	return fd;
}

/* /sys/fs/bpf, checked to be a bpffs. */
static int bpffs_open(void)
{
	struct statfs sf;
	int fd = open("/sys/fs/bpf", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) || sf.f_type != BPF_FS_MAGIC) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

int dp_pins_root(bool create)
{
	int bpffs = bpffs_open(), fd;

	if (bpffs < 0)
		return bpffs;
	fd = subdir(bpffs, "naclemu", create);
	close(bpffs);
	return fd;
}

void dp_pins_close(struct dp_pins *p)
{
	if (p->if_fd >= 0)
		close(p->if_fd);
	if (p->ns_fd >= 0)
		close(p->ns_fd);
	if (p->root_fd >= 0)
		close(p->root_fd);
	p->if_fd = p->ns_fd = p->root_fd = -1;
}

/*
 * How many times dp_pins_open(create) makes the chain again when a folder
 * went meanwhile: a detach of another interface removes the namespace's
 * folder, and then the root, once they are empty (dp_pins_remove()), which
 * can happen between our mkdirat() and openat() of it, or after the
 * openat() and before we make the folder below in it.  Each retry needs
 * another detach to end in that window of microseconds, so a few are
 * plenty; the bound keeps a persistent -ENOENT (no bpffs) an error.
 */
#define PINS_OPEN_TRIES 16

/* One try of dp_pins_open(). */
static int pins_open_once(const struct dp_target *t, bool create, struct dp_pins *p)
{
	int ret;

	p->root_fd = p->ns_fd = p->if_fd = -1;
	p->root_fd = dp_pins_root(create);
	if (p->root_fd < 0) {
		ret = p->root_fd;
		p->root_fd = -1;
		return ret;
	}
	p->ns_fd = subdir(p->root_fd, dp_netns_label(t->netns), create);
	if (p->ns_fd >= 0)
		p->if_fd = subdir(p->ns_fd, t->ifname, create);
	if (p->ns_fd < 0 || p->if_fd < 0) {
		ret = p->ns_fd < 0 ? p->ns_fd : p->if_fd;
		if (p->ns_fd < 0)
			p->ns_fd = -1;
		p->if_fd = -1;
		dp_pins_close(p);
		return ret;
	}
	return 0;
}

int dp_pins_open(const struct dp_target *t, bool create, struct dp_pins *p)
{
	int ret, tries = 0;

	do
		ret = pins_open_once(t, create, p);
	while (create && ret == -ENOENT && ++tries < PINS_OPEN_TRIES);
	return ret;
}

int dp_pins_get(const struct dp_pins *p, const char *name)
{
	char path[32];
	struct stat sb;
	int ipath, fd;

	/* The inode NAME is now; a link opens as itself and is refused. */
	ipath = openat(p->if_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (ipath < 0)
		return -errno;
	if (fstat(ipath, &sb)) {
		fd = -errno;
	} else if (!S_ISREG(sb.st_mode)) {
		fd = -ELOOP; /* a link or a folder: bpffs pins objects as regular files */
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", ipath);
		fd = bpf_obj_get(path);
		if (fd < 0)
			fd = -errno;
	}
	close(ipath);
	return fd;
}

int dp_pins_pin(const struct dp_pins *p, const char *name, int fd)
{
	char path[64];
	struct stat sb;

	if (!fstatat(p->if_fd, name, &sb, AT_SYMLINK_NOFOLLOW))
		return S_ISLNK(sb.st_mode) || S_ISDIR(sb.st_mode) ? -ELOOP : -EEXIST;
	if (errno != ENOENT)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", p->if_fd, name);
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

__u32 dp_pins_prog_id(const struct dp_pins *p, const char *name)
{
	int fd = dp_pins_get(p, name);
	__u32 id;

	if (fd < 0)
		return 0;
	id = dp_obj_id(fd);
	close(fd);
	return id;
}

bool dp_pins_has(const struct dp_pins *p, const char *name)
{
	struct stat sb;

	return !fstatat(p->if_fd, name, &sb, AT_SYMLINK_NOFOLLOW);
}

int dp_pins_remove(struct dp_pins *p, const struct dp_target *t)
{
	int ret = 0;

	/* The record last: a folder without it holds nothing that needs undoing. */
	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		if (unlinkat(p->if_fd, pin_names[i], 0) && errno != ENOENT && !ret)
			ret = -errno;
	if (!ret && unlinkat(p->ns_fd, t->ifname, AT_REMOVEDIR) && errno != ENOENT)
		ret = -errno;
	/* The namespace's folder and the root go when empty; another may be in them. */
	if (!ret && !unlinkat(p->root_fd, dp_netns_label(t->netns), AT_REMOVEDIR)) {
		int bpffs = bpffs_open();

		if (bpffs >= 0) {
			unlinkat(bpffs, "naclemu", AT_REMOVEDIR);
			close(bpffs);
		}
	}
	return ret;
}

__u32 dp_target_events_id(const struct dp_target *t)
{
	struct dp_pins p;
	__u32 id;
	int fd;

	if (dp_pins_open(t, false, &p))
		return 0;
	fd = dp_pins_get(&p, DP_PIN_EVENTS);
	dp_pins_close(&p);
	if (fd < 0)
		return 0;
	id = dp_obj_id(fd);
	close(fd);
	return id;
}
