// SPDX-License-Identifier: MIT
/*
 * netns.c - where an interface is: names checked as `ip` checks them,
 * network namespaces, interface lookup, bpffs (datapath.h).
 */
#define _GNU_SOURCE
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
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "datapath/datapath.h"
#include "datapath/internal.h"
#include "output/log.h"

int dp_netns_enter(const char *name, int *saved)
{
	char path[PATH_MAX];
	int fd, ret = 0;

	*saved = -1;
	if (!name || !*name)
		return 0;
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
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

	/* A file name in /run/netns, as `ip netns add` takes it. */
	/* "root" is the caller's namespace's folder and lock (dp_netns_label()). */
	if (!n || n > DP_NETNS_MAX || !strcmp(s, ".") || !strcmp(s, "..") || !strcmp(s, "root"))
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

int dp_target_init(struct dp_target *t, const char *netns, const char *ifname,
		   struct dp_error *e)
{
	int n;

	memset(t, 0, sizeof(*t));
	if (netns && !strcmp(netns, "root"))
		return dp_fail(e, NACL_EXIT_INVALID, -EINVAL,
			       "-n: naclemu keeps the name 'root' for the caller's own namespace: "
			       "leave -n out for it, or rename the namespace");
	if (netns && !dp_netns_valid(netns))
		return dp_fail(e, NACL_EXIT_INVALID, -EINVAL,
			    "-n: '%.80s' is not a network namespace name (as 'ip netns list' shows them)",
			    netns);
	if (!ifname || !dp_ifname_valid(ifname))
		return dp_fail(e, NACL_EXIT_INVALID, -EINVAL,
			    "-i: '%.80s' is not an interface name", ifname ? ifname : "");
	snprintf(t->netns, sizeof(t->netns), "%s", netns ? netns : "");
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	n = snprintf(t->dir, sizeof(t->dir), "%s/%s/%s", DP_PIN_ROOT, dp_netns_label(t->netns),
		     t->ifname);
	if (n < 0 || n >= (int)sizeof(t->dir))
		return dp_fail(e, NACL_EXIT_INVALID, -ENAMETOOLONG, "the pin folder name is too long");
	return 0;
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
