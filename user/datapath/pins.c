// SPDX-License-Identifier: MIT
/*
 * pins.c - an interface's pin folder, /sys/fs/bpf/naclemu/<netns>/<ifname>/,
 * opened one component at a time without following a symbolic link
 * (datapath.h, struct dp_pins).
 *
 * Below the state root nothing is reached by a path: each folder is opened
 * with openat(O_NOFOLLOW | O_DIRECTORY) from its parent's descriptor, and
 * an object in the folder is pinned or fetched through /proc/self/fd/N/NAME
 * after fstatat(AT_SYMLINK_NOFOLLOW) has checked that NAME is no link.  A
 * symbolic link anywhere below the root is refused with -ELOOP, so a
 * planted link can neither make attach pin outside the tree nor make
 * detach remove someone else's pins.
 */
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

int dp_pins_open(const struct dp_target *t, bool create, struct dp_pins *p)
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

/* "/proc/self/fd/N/NAME" for the object @name of @p, after checking it is no link. */
static int obj_path(const struct dp_pins *p, const char *name, char path[64], bool must_exist)
{
	struct stat sb;

	if (fstatat(p->if_fd, name, &sb, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT || must_exist)
			return -errno;
	} else if (S_ISLNK(sb.st_mode) || S_ISDIR(sb.st_mode)) {
		return -ELOOP;
	} else if (!must_exist) {
		return -EEXIST;
	}
	snprintf(path, 64, "/proc/self/fd/%d/%s", p->if_fd, name);
	return 0;
}

int dp_pins_get(const struct dp_pins *p, const char *name)
{
	char path[64];
	int fd, ret = obj_path(p, name, path, true);

	if (ret)
		return ret;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int dp_pins_pin(const struct dp_pins *p, const char *name, int fd)
{
	char path[64];
	int ret = obj_path(p, name, path, false);

	if (ret)
		return ret;
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
