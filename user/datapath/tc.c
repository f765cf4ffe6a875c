// SPDX-License-Identifier: MIT
/*
 * tc.c - naclemu's TC filters (datapath.h).
 *
 * libbpf 1.1 has no tcx API (bpf_program__attach_tcx came in 1.3), so the
 * filters are classic clsact direct-action filters via bpf_tc_*, which
 * works on every kernel from 5.10.  Only our own filters are touched: a
 * clsact qdisc is created only when absent, and removed only when we
 * created it and nothing is left on it.  bpf_tc_hook_destroy() with
 * BPF_TC_INGRESS | BPF_TC_EGRESS deletes the whole qdisc, foreign filters
 * included, hence the filter count before it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/datapath.h"

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
	o->handle = DP_TC_HANDLE;
	o->priority = DP_TC_PRIORITY;
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
	ret = dp_fault("attach.filter-egress"); /* between the two: the crash tests */
	if (!ret)
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
 * rtnl_dump() - send one RTM_GET* dump request for @ifindex (and @parent)
 * and call @fn on every reply of type @reply_type; libbpf has no call that
 * lists filters or qdiscs.  Returns 0 or the kernel's -errno.
 */
static int rtnl_dump(__u16 type, __u16 reply_type, int ifindex, __u32 parent,
		     void (*fn)(const struct nlmsghdr *nh, int ifindex, void *arg), void *arg)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
			.nlmsg_type = type,
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
			if (nh->nlmsg_type == reply_type)
				fn(nh, ifindex, arg);
		}
		if (len == 0)
			break;
	}
out:
	close(fd);
	return ret;
}

static void count_one(const struct nlmsghdr *nh, int ifindex, void *arg)
{
	(void)nh;
	(void)ifindex;
	(*(int *)arg)++;
}

/* Number of filters (any kind, anyone's) on one clsact hook. */
static int count_filters(int ifindex, __u32 parent, int *count)
{
	*count = 0;
	return rtnl_dump(RTM_GETTFILTER, RTM_NEWTFILTER, ifindex, parent, count_one, count);
}

/* Whether the qdisc in @nh is @ifindex's clsact. */
static void clsact_one(const struct nlmsghdr *nh, int ifindex, void *arg)
{
	const struct tcmsg *tc = NLMSG_DATA(nh);
	const struct rtattr *rta = (const struct rtattr *)((const char *)tc +
							   NLMSG_ALIGN(sizeof(*tc)));
	int len = (int)nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));

	if (tc->tcm_ifindex != ifindex || tc->tcm_parent != TC_H_CLSACT)
		return;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == TCA_KIND && !strcmp(RTA_DATA(rta), "clsact"))
			*(bool *)arg = true;
}

int tc_clsact_exists(int ifindex, bool *exists)
{
	*exists = false;
	return rtnl_dump(RTM_GETQDISC, RTM_NEWQDISC, ifindex, 0, clsact_one, exists);
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

