// SPDX-License-Identifier: MIT
/*
 * tcx.c - naclemu's tcx links (datapath.h).
 *
 * tcx (Linux 6.6) runs BPF programs at ingress and egress without the
 * qdisc layer: no clsact to create, and a BPF link per program, which the
 * kernel detaches when the last reference to it goes.  Debian's libbpf 1.1
 * predates it (bpf_program__attach_tcx came in 1.3), but its generic
 * bpf_link_create() passes the attach type and flags through, which is all
 * that is needed.
 *
 * The same program serves both hooks: its verdicts TC_ACT_UNSPEC (-1) and
 * TC_ACT_SHOT (2) are tcx's TCX_NEXT and TCX_DROP, so an allowed packet
 * goes on to the next program on the hook, a foreign one included.  Our
 * link is put in front of the programs already there (BPF_F_BEFORE without
 * a relative program), as our TC filter takes priority 1: a program before
 * ours that returned TCX_PASS would let packets bypass the NACL.  A
 * program attached later with BPF_F_BEFORE still goes in front of ours:
 * tcx_ahead() finds those, and status lists them (dp_ahead_read()).
 *
 * The kernel works on ifindexes of the caller's network namespace: the
 * caller enters the interface's namespace first.  Detaching a link needs
 * no namespace (the link knows its device).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "datapath/internal.h"

/* Linux 6.6 UAPI, missing from Debian 12's headers. */
#define DP_BPF_TCX_INGRESS 46
#define DP_BPF_TCX_EGRESS 47
#define DP_BPF_F_BEFORE (1U << 3)

static enum bpf_attach_type tcx_type(enum naclemu_dir dir)
{
	return (enum bpf_attach_type)(dir == NACLEMU_EGRESS ? DP_BPF_TCX_EGRESS :
							      DP_BPF_TCX_INGRESS);
}

int tcx_probe(int ifindex)
{
	__u32 cnt = 0;

	/* A kernel without tcx does not know the attach type: -EINVAL. */
	if (bpf_prog_query(ifindex, tcx_type(NACLEMU_INGRESS), 0, NULL, NULL, &cnt))
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	return 0;
}

int tcx_link_create(int ifindex, int prog_fd, enum naclemu_dir dir)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = DP_BPF_F_BEFORE);
	int fd = bpf_link_create(prog_fd, ifindex, tcx_type(dir), &o);

	return fd < 0 ? -errno : fd;
}

int tcx_link_detach(int link_fd)
{
	/* A link whose device went is detached already: nothing to do. */
	if (bpf_link_detach(link_fd) && errno != ENOLINK && errno != EINVAL)
		return -errno;
	return 0;
}

int tcx_ahead(int ifindex, enum naclemu_dir dir, __u32 prog_id, __u32 *ahead, __u32 max)
{
	__u32 ids[64], cnt = sizeof(ids) / sizeof(ids[0]);

	/* BPF_PROG_QUERY lists a tcx hook's programs in the order they run. */
	if (bpf_prog_query(ifindex, tcx_type(dir), 0, NULL, ids, &cnt))
		return -errno;
	for (__u32 i = 0; i < cnt && i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i] == prog_id)
			return (int)i;
		if (i < max)
			ahead[i] = ids[i];
	}
	return -ENOENT;
}

int tcx_query(int ifindex, enum naclemu_dir dir, __u32 prog_id)
{
	int ret = tcx_ahead(ifindex, dir, prog_id, NULL, 0);

	return ret >= 0 ? 1 : ret == -ENOENT ? 0 : ret;
}

void dp_ahead_read(const struct dp_target *t, const struct dp_state *st, struct dp_ahead *a)
{
	static const char *const prog_pin[] = { DP_PIN_PROG_IN, DP_PIN_PROG_OUT };
	int saved, ifindex, n[2] = { -1, -1 };

	memset(a, 0, sizeof(*a));
	if (!(st->meta.head.flags & NACLEMU_META_HOOK_TCX) || dp_netns_enter(t->netns, &saved))
		return;
	if (!dp_ifindex(t->ifname, &ifindex) && (__u32)ifindex == st->meta.head.ifindex)
		for (int d = 0; d < 2; d++)
			n[d] = tcx_ahead(ifindex, (enum naclemu_dir)d,
					 dp_pins_prog_id(&st->pins, prog_pin[d]), a->ids[d],
					 DP_AHEAD_IDS);
	dp_netns_leave(saved);
	a->known = n[0] >= 0 && n[1] >= 0;
	for (int d = 0; d < 2; d++)
		a->n[d] = a->known ? (__u32)n[d] : 0;
	if (!a->known)
		memset(a->ids, 0, sizeof(a->ids));
}
