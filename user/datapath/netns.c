// SPDX-License-Identifier: MIT
/*
 * netns.c - where an interface is: names checked as `ip` checks them,
 * network namespaces, interface lookup, bpffs (datapath.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>

#include "datapath/datapath.h"
#include "datapath/internal.h"
#include "output/log.h"

/*
 * The last namespace path resolved by dp_target_init(), so that entering
 * a "net:[INO]" namespace needs no search while its path still leads to it.
 */
static struct {
	unsigned long ino;
	char path[PATH_MAX];
} ns_hint;

/*
 * The inode of the network namespace file open as @fd: 0 with *@ino set,
 * -ENOTTY when @fd is no namespace file, -EINVAL another namespace type.
 */
static int ns_fd_ino(int fd, unsigned long *ino)
{
	struct statfs sf;
	struct stat st;
	int type;

	if (fstatfs(fd, &sf) || sf.f_type != NSFS_MAGIC || fstat(fd, &st))
		return -ENOTTY;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return -ENOTTY;
	if (type != CLONE_NEWNET)
		return -EINVAL;
	*ino = (unsigned long)st.st_ino;
	return 0;
}

/* @path open when it is network namespace @ino, else -1. */
static int ns_open_if(const char *path, unsigned long ino)
{
	unsigned long got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && (ns_fd_ino(fd, &got) || got != ino)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The first NAME in @dir (/run/netns) or PID in /proc whose namespace is @ino. */
static int ns_search(const char *dir, const char *fmt, unsigned long ino, char *name,
		     size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int fd = -1;

	if (!d)
		return -1;
	while (fd < 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), fmt, de->d_name);
		fd = ns_open_if(path, ino);
		if (fd >= 0 && name)
			snprintf(name, len, "%s", de->d_name);
	}
	closedir(d);
	return fd;
}

/* Whether @s is a label "net:[INO]"; *@ino gets INO. */
static bool ns_label_ino(const char *s, unsigned long *ino)
{
	char *end;

	if (strncmp(s, DP_NETNS_INO_PREFIX, strlen(DP_NETNS_INO_PREFIX)))
		return false;
	s += strlen(DP_NETNS_INO_PREFIX);
	if (*s < '1' || *s > '9')
		return false;
	errno = 0;
	*ino = strtoul(s, &end, 10);
	return !errno && end[0] == ']' && !end[1] && *ino <= 0xffffffffUL;
}

/*
 * An open handle on the namespace @label names: /run/netns/NAME, or for
 * "net:[INO]" the last path given for it, a name in /run/netns, or a
 * process in it (found by its inode).  -errno when there is none.
 */
static int ns_open_label(const char *label)
{
	char path[PATH_MAX];
	unsigned long ino;
	int fd;

	if (!ns_label_ino(label, &ino)) {
		if (strchr(label, '/') || !strcmp(label, ".") || !strcmp(label, ".."))
			return -EINVAL;
		snprintf(path, sizeof(path), "/run/netns/%s", label);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	fd = ns_hint.ino == ino ? ns_open_if(ns_hint.path, ino) : -1;
	if (fd < 0)
		fd = ns_search("/run/netns", "/run/netns/%s", ino, NULL, 0);
	if (fd < 0)
		fd = ns_search("/proc", "/proc/%s/ns/net", ino, NULL, 0);
	return fd < 0 ? -ENOENT : fd;
}

int dp_netns_enter(const char *name, int *saved)
{
	int fd, ret = 0;

	*saved = -1;
	if (!name || !*name)
		return 0;
	fd = ns_open_label(name);
	if (fd < 0)
		return fd;
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0 || setns(fd, CLONE_NEWNET)) {
		ret = -errno;
		if (*saved >= 0)
			close(*saved);
		*saved = -1;
	}
	close(fd);
	return ret;
}

void dp_netns_leave(int saved)
{
	if (saved < 0)
		return;
	/* Cannot fail for a namespace we came from; nothing to do if it did. */
	if (setns(saved, CLONE_NEWNET))
		perror("naclemu: setns back");
	close(saved);
}

int dp_ifindex(const char *ifname, int *ifindex)
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENODEV;
	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		ret = -EPROTONOSUPPORT;
	close(fd);
	return ret;
}

int dp_netns_ifnames(const char *netns, char (**names)[16], size_t *n)
{
	struct if_nameindex *all, *i;
	char(*out)[16] = NULL;
	int saved, ret, ifindex;
	size_t k = 0;

	*names = NULL;
	*n = 0;
	ret = dp_netns_enter(netns, &saved);
	if (ret)
		return ret;
	all = if_nameindex();
	if (!all) {
		ret = -errno;
		dp_netns_leave(saved);
		return ret;
	}
	for (i = all; i->if_index; i++)
		k++;
	out = calloc(k + 1, sizeof(*out));
	k = 0;
	for (i = all; out && i->if_index; i++)
		if (!dp_ifindex(i->if_name, &ifindex))
			snprintf(out[k++], sizeof(out[0]), "%s", i->if_name);
	if_freenameindex(all);
	dp_netns_leave(saved);
	if (!out)
		return -ENOMEM;
	*names = out;
	*n = k;
	return 0;
}

int dp_bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}


bool dp_ifname_valid(const char *s)
{
	size_t n = strlen(s);

	/* As the kernel's dev_valid_name(): no '/', no space, not . or .. */
	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

bool dp_netns_valid(const char *s)
{
	size_t n = strlen(s);

	/*
	 * A file name in /run/netns, as `ip netns add` takes it.  "root" is the
	 * caller's namespace's folder and lock, and names that begin as a
	 * "net:[INO]" label does are refused, so that a name never takes a
	 * path-given namespace's folder (dp_netns_resolve()).
	 */
	if (!n || n > DP_NETNS_MAX || !strcmp(s, ".") || !strcmp(s, "..") || !strcmp(s, "root") ||
	    !strncmp(s, DP_NETNS_INO_PREFIX, strlen(DP_NETNS_INO_PREFIX)))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s < ' ' || *s == 0x7f)
			return false;
	return true;
}

const char *dp_netns_label(const char *netns)
{
	return netns && *netns ? netns : "root";
}

/* Whether the state root has a folder @label (lstat: a link is none). */
static bool ns_folder_exists(const char *label)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", DP_PIN_ROOT, label);
	return !lstat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * The folder of a named namespace: its name, unless it was attached by
 * path before it had a name (its "net:[INO]" folder exists then).
 */
static void ns_name_label(const char *name, char label[DP_NETNS_MAX + 1])
{
	char path[PATH_MAX], ino_label[DP_NETNS_MAX + 1];
	unsigned long ino;
	int fd;

	snprintf(label, DP_NETNS_MAX + 1, "%s", name);
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!ns_fd_ino(fd, &ino)) {
		snprintf(ino_label, sizeof(ino_label), DP_NETNS_INO_PREFIX "%lu]", ino);
		if (ns_folder_exists(ino_label))
			snprintf(label, DP_NETNS_MAX + 1, "%s", ino_label);
	}
	close(fd);
}

int dp_netns_resolve(const char *netns, char label[DP_NETNS_MAX + 1], struct dp_error *e)
{
	unsigned long ino, self = 0;
	char name[DP_NETNS_MAX + 1];
	int fd, ret, sfd;

	label[0] = '\0';
	if (!netns)
		return 0;
	if (!strchr(netns, '/')) {
		if (!strcmp(netns, "root"))
			return dp_fail(e, NACL_EXIT_INVALID, -EINVAL,
				       "-n: naclemu keeps the name 'root' for the caller's own "
				       "namespace: leave -n out for it, or rename the namespace");
		if (ns_label_ino(netns, &ino)) {
			snprintf(label, DP_NETNS_MAX + 1, "%s", netns);
			return 0;
		}
		if (!dp_netns_valid(netns))
			return dp_fail(e, NACL_EXIT_INVALID, -EINVAL,
				       "-n: '%.80s' is not a network namespace name (as 'ip netns "
				       "list' shows them), a 'net:[INODE]' label or a path",
				       netns);
		ns_name_label(netns, label);
		return 0;
	}
	if (strlen(netns) >= sizeof(ns_hint.path))
		return dp_fail(e, NACL_EXIT_SYSTEM, -ENAMETOOLONG, "-n: the path is too long");
	/* The user's path is followed (/proc/PID/ns/net is a link); the state root's never. */
	fd = open(netns, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dp_fail(e, NACL_EXIT_SYSTEM, -errno,
			       "-n: cannot open network namespace %.200s: %s", netns,
			       strerror(errno));
	ret = ns_fd_ino(fd, &ino);
	close(fd);
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "-n: %.200s is not a network namespace (%s): give a name from "
			       "'ip netns list' or a path such as /proc/PID/ns/net",
			       netns, ret == -EINVAL ? "another kind of namespace" : "not an nsfs file");
	sfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sfd >= 0) {
		ns_fd_ino(sfd, &self);
		close(sfd);
	}
	if (ino == self)
		return 0; /* the caller's own: the "root" folder */
	ns_hint.ino = ino;
	snprintf(ns_hint.path, sizeof(ns_hint.path), "%s", netns);
	snprintf(label, DP_NETNS_MAX + 1, DP_NETNS_INO_PREFIX "%lu]", ino);
	if (ns_folder_exists(label))
		return 0;
	/* A named namespace shares the folder of its name. */
	fd = ns_search("/run/netns", "/run/netns/%s", ino, name, sizeof(name));
	if (fd >= 0) {
		close(fd);
		if (dp_netns_valid(name))
			snprintf(label, DP_NETNS_MAX + 1, "%s", name);
	}
	return 0;
}

int dp_target_of_folder(struct dp_target *t, const char *label, const char *ifname,
			struct dp_error *e)
{
	int n;

	unsigned long ino;

	memset(t, 0, sizeof(*t));
	if (label && !dp_netns_valid(label) && !ns_label_ino(label, &ino))
		return dp_fail(e, NACL_EXIT_INVALID, -EINVAL, "'%.80s' is no namespace folder", label);
	snprintf(t->netns, sizeof(t->netns), "%s", label ? label : "");
	if (!ifname || !dp_ifname_valid(ifname))
		return dp_fail(e, NACL_EXIT_INVALID, -EINVAL,
			    "-i: '%.80s' is not an interface name", ifname ? ifname : "");
	n = snprintf(t->dir, sizeof(t->dir), "%s/%s/%s", DP_PIN_ROOT, dp_netns_label(t->netns),
		     ifname);
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	if (n < 0 || n >= (int)sizeof(t->dir))
		return dp_fail(e, NACL_EXIT_INVALID, -ENAMETOOLONG, "the pin folder name is too long");
	return 0;
}

int dp_target_init(struct dp_target *t, const char *netns, const char *ifname,
		   struct dp_error *e)
{
	char label[DP_NETNS_MAX + 1];

	memset(t, 0, sizeof(*t));
	if (dp_netns_resolve(netns, label, e))
		return e->err;
	return dp_target_of_folder(t, *label ? label : NULL, ifname, e);
}

int dp_target_ifindex(const struct dp_target *t, int *ifindex, struct dp_error *e)
{
	int saved, ret;

	ret = dp_netns_enter(t->netns, &saved);
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			    "network namespace %s does not exist (%s; see 'ip netns list')",
			    t->netns, strerror(-ret));
	ret = dp_ifindex(t->ifname, ifindex);
	dp_netns_leave(saved);
	if (ret == -ENODEV)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			    "interface %s does not exist in network namespace %s (see 'ip%s%s link')",
			    t->ifname, dp_netns_label(t->netns), *t->netns ? " -n " : "", t->netns);
	if (ret == -EPROTONOSUPPORT)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			    "interface %s is not an Ethernet device: naclemu parses Ethernet frames only",
			    t->ifname);
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot look up interface %s: %s", t->ifname,
			    strerror(-ret));
	return 0;
}
