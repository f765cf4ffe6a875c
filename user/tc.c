// SPDX-License-Identifier: MIT
/*
 * tc.c - rule maps, counters, TC filters, pins and network namespaces for
 * attach / update / detach (see tc.h).
 *
 * libbpf 1.1 has no tcx API (bpf_program__attach_tcx came in 1.3), so the
 * filters are classic clsact direct-action filters via bpf_tc_*, which
 * works on every kernel from 5.10.  Only our own filters are touched: a
 * clsact qdisc is created only when absent, and removed only when we
 * created it and nothing is left on it.  bpf_tc_hook_destroy() with
 * BPF_TC_INGRESS | BPF_TC_EGRESS deletes the whole qdisc, foreign filters
 * included, hence the filter count before it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tc.h"

int tc_rules_install(int outer_fd, const struct naclemu_rules *rules)
{
	__u32 zero = 0;
	int fd, ret;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "naclemu_ruleset", sizeof(__u32),
			    sizeof(struct naclemu_rules), 1, NULL);
	if (fd < 0)
		return -errno;
	ret = bpf_map_update_elem(fd, &zero, rules, BPF_ANY);
	/* Frozen: nothing in user space can change a live rule set. */
	if (!ret)
		ret = bpf_map_freeze(fd);
	/* The swap: atomic for the packets, see naclemu.bpf.c. */
	if (!ret)
		ret = bpf_map_update_elem(outer_fd, &zero, &fd, BPF_ANY);
	if (ret)
		ret = -errno;
	close(fd);
	return ret;
}

int tc_rules_read(int outer_fd, struct naclemu_rules *out)
{
	__u32 zero = 0, id = 0;
	int fd, ret;

	if (bpf_map_lookup_elem(outer_fd, &zero, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	ret = bpf_map_lookup_elem(fd, &zero, out) ? -errno : 0;
	close(fd);
	return ret;
}

int tc_counter_read(int counters_fd, __u32 slot, struct naclemu_counter *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct naclemu_counter *v;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	v = calloc((size_t)ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(counters_fd, &slot, v)) {
		int ret = -errno;

		free(v);
		return ret;
	}
	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < ncpus; i++) {
		sum->packets += v[i].packets;
		sum->bytes += v[i].bytes;
	}
	free(v);
	return 0;
}

int tc_counters_zero(int counters_fd, const __u32 *slots, size_t n)
{
	int ncpus = libbpf_num_possible_cpus();
	struct naclemu_counter *v;
	int ret = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	v = calloc((size_t)ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++)
		if (bpf_map_update_elem(counters_fd, &slots[i], v, BPF_ANY))
			ret = -errno;
	free(v);
	return ret;
}

int tc_netns_enter(const char *name, int *saved)
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

void tc_netns_leave(int saved)
{
	if (saved < 0)
		return;
	/* Cannot fail for a namespace we came from; nothing to do if it did. */
	if (setns(saved, CLONE_NEWNET))
		perror("naclemu: setns back");
	close(saved);
}

int tc_ifindex(const char *ifname, int *ifindex)
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

int tc_pin_dir(const char *netns, const char *ifname, char buf[PATH_MAX])
{
	int n = snprintf(buf, PATH_MAX, "%s/%s/%s", TC_PIN_ROOT,
			 netns && *netns ? netns : "root", ifname);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int tc_bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

static void hook_init(struct bpf_tc_hook *hook, int ifindex,
		      enum bpf_tc_attach_point where)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = where;
}

static void opts_init(struct bpf_tc_opts *o, int prog_fd)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = TC_HANDLE;
	o->priority = TC_PRIORITY;
	o->prog_fd = prog_fd;
}

int tc_filters_attach(int ifindex, int prog_in_fd, int prog_out_fd,
		      bool *created_qdisc)
{
	struct bpf_tc_hook in, out, both;
	struct bpf_tc_opts o;
	int ret;

	hook_init(&in, ifindex, BPF_TC_INGRESS);
	hook_init(&out, ifindex, BPF_TC_EGRESS);
	hook_init(&both, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);

	/* Creates clsact, or -EEXIST when a clsact (or ingress) qdisc is there. */
	ret = bpf_tc_hook_create(&in);
	if (ret && ret != -EEXIST)
		return ret;
	*created_qdisc = ret == 0;

	opts_init(&o, prog_in_fd);
	ret = bpf_tc_attach(&in, &o);
	if (ret)
		goto undo_qdisc;
	opts_init(&o, prog_out_fd);
	ret = bpf_tc_attach(&out, &o);
	if (ret)
		goto undo_in;
	return 0;

undo_in:
	opts_init(&o, 0);
	bpf_tc_detach(&in, &o);
undo_qdisc:
	if (*created_qdisc)
		bpf_tc_hook_destroy(&both);
	*created_qdisc = false;
	return ret;
}

/*
 * Number of filters (any kind, anyone's) on one clsact hook, by an
 * RTM_GETTFILTER dump: libbpf has no call that lists them.
 */
static int count_filters(int ifindex, __u32 parent, int *count)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
			.nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.tc = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = parent,
		},
	};
	char buf[16384];
	int fd, ret = 0;
	bool done = false;

	*count = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	while (!done) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (len < 0) {
			ret = -errno;
			goto out;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				ret = e->error;
				goto out;
			}
			if (nh->nlmsg_type == RTM_NEWTFILTER)
				(*count)++;
		}
		if (len == 0)
			break;
	}
out:
	close(fd);
	return ret;
}

int tc_filters_detach(int ifindex, __u32 prog_in_id, __u32 prog_out_id,
		      bool created_qdisc, bool *removed_qdisc)
{
	struct bpf_tc_hook in, out, both;
	struct bpf_tc_opts o;
	__u32 id_in, id_out;
	int ret, nin = 0, nout = 0;

	*removed_qdisc = false;
	hook_init(&in, ifindex, BPF_TC_INGRESS);
	hook_init(&out, ifindex, BPF_TC_EGRESS);
	hook_init(&both, ifindex, BPF_TC_INGRESS | BPF_TC_EGRESS);

	ret = tc_filters_query(ifindex, &id_in, &id_out);
	if (ret)
		return ret;
	if (id_in && id_in == prog_in_id) {
		opts_init(&o, 0);
		ret = bpf_tc_detach(&in, &o);
		if (ret && ret != -ENOENT)
			return ret;
	}
	if (id_out && id_out == prog_out_id) {
		opts_init(&o, 0);
		ret = bpf_tc_detach(&out, &o);
		if (ret && ret != -ENOENT)
			return ret;
	}
	if (!created_qdisc)
		return 0;
	ret = count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), &nin);
	if (!ret)
		ret = count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), &nout);
	/* No clsact qdisc any more (someone removed it): nothing to do. */
	if (ret == -EINVAL || ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	if (nin || nout)
		return 0;
	ret = bpf_tc_hook_destroy(&both);
	if (ret && ret != -ENOENT && ret != -EINVAL)
		return ret;
	*removed_qdisc = !ret;
	return 0;
}

int tc_filters_query(int ifindex, __u32 *prog_in_id, __u32 *prog_out_id)
{
	struct bpf_tc_hook in, out;
	struct bpf_tc_opts o;
	int ret;

	hook_init(&in, ifindex, BPF_TC_INGRESS);
	hook_init(&out, ifindex, BPF_TC_EGRESS);
	*prog_in_id = *prog_out_id = 0;

	opts_init(&o, 0);
	ret = bpf_tc_query(&in, &o);
	if (!ret)
		*prog_in_id = o.prog_id;
	else if (ret != -ENOENT && ret != -EINVAL)
		return ret;
	opts_init(&o, 0);
	ret = bpf_tc_query(&out, &o);
	if (!ret)
		*prog_out_id = o.prog_id;
	else if (ret != -ENOENT && ret != -EINVAL)
		return ret;
	return 0;
}

int tc_pinned_fd(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}
