/* SPDX-License-Identifier: MIT */
/*
 * tc.h - the kernel side of attach, update and detach: the rule maps, the
 * counters, the TC filters (classic clsact, libbpf's bpf_tc_* API), the
 * pinned state under /sys/fs/bpf/naclemu/ and named network namespaces.
 *
 * Every function returns 0 or -errno, as libbpf does; the caller, which
 * knows what the user asked for, prints the message.
 */
#ifndef NACLEMU_TC_H
#define NACLEMU_TC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "naclemu.h"

#define TC_PIN_ROOT "/sys/fs/bpf/naclemu"

/*
 * Our filters, one on each hook.  Priority 1 so ours runs before filters
 * added with tc's default priorities (a filter that returns TC_ACT_OK ends
 * the chain, and could otherwise bypass the NACL); the fixed handle names
 * ours among other filters of the same priority.
 */
#define TC_PRIORITY 1
#define TC_HANDLE 0x4e41

/* Names of the pinned objects in an interface's folder. */
#define TC_PIN_PROG_IN "prog_ingress"
#define TC_PIN_PROG_OUT "prog_egress"
#define TC_PIN_RULES "rules"
#define TC_PIN_COUNTERS "counters"
#define TC_PIN_FRAGS "frags"
#define TC_PIN_META "meta"
#define TC_PIN_EVENTS "events" /* the drop events ring buffer */

/*
 * tc_rules_install() - make @rules the live rule set of the outer map
 * @outer_fd: a new inner map is created, filled and swapped into the outer
 * slot in one update, so every packet sees the old or the new set whole.
 */
int tc_rules_install(int outer_fd, const struct naclemu_rules *rules);

/* tc_rules_read() - the live rule set; -ENOENT when there is none. */
int tc_rules_read(int outer_fd, struct naclemu_rules *out);

/* Sum of counter @slot over all CPUs. */
int tc_counter_read(int counters_fd, __u32 slot, struct naclemu_counter *sum);

/* Reset @n counter slots to zero on every CPU. */
int tc_counters_zero(int counters_fd, const __u32 *slots, size_t n);

/*
 * tc_netns_enter() - switch this thread to network namespace @name
 * (/run/netns/NAME, as `ip netns` makes it); NULL or "" is a no-op.
 * *@saved gets a handle on the original namespace (or -1) for
 * tc_netns_leave(), which must be called on every path.
 */
int tc_netns_enter(const char *name, int *saved);
void tc_netns_leave(int saved);

/*
 * tc_ifindex() - ifindex of @ifname in the current namespace, checking that
 * it is an Ethernet-like device.  -ENODEV when it does not exist,
 * -EPROTONOSUPPORT for other link types (the parser expects Ethernet).
 */
int tc_ifindex(const char *ifname, int *ifindex);

/* "/sys/fs/bpf/naclemu/<netns or root>/<ifname>" into @buf. */
int tc_pin_dir(const char *netns, const char *ifname, char buf[PATH_MAX]);

/* Mount bpffs on /sys/fs/bpf when it is not there. */
int tc_bpffs_ensure(void);

/*
 * tc_filters_attach() - add our two filters to @ifindex (current netns),
 * creating the clsact qdisc only when there is none (*@created_qdisc says
 * whether we did).  On failure nothing of ours is left.
 */
int tc_filters_attach(int ifindex, int prog_in_fd, int prog_out_fd,
		      bool *created_qdisc);

/*
 * tc_filters_detach() - remove our filter from each hook where it still
 * runs our program (@prog_in_id / @prog_out_id: a filter with our handle
 * and priority running anything else is not ours and stays); then the
 * clsact qdisc if @created_qdisc and no filter at all is left on it.  A
 * missing filter is not an error.  *@removed_qdisc tells whether the qdisc
 * went.
 */
int tc_filters_detach(int ifindex, __u32 prog_in_id, __u32 prog_out_id,
		      bool created_qdisc, bool *removed_qdisc);

/*
 * tc_filters_query() - the program ids of our filters on @ifindex, 0 where
 * the filter is missing.
 */
int tc_filters_query(int ifindex, __u32 *prog_in_id, __u32 *prog_out_id);

/*
 * tc_pinned_fd() - open the object pinned as @dir/@name (a map or program
 * of an attached interface).  Returns the fd, or -errno (-ENOENT when
 * nothing is pinned there).
 */
int tc_pinned_fd(const char *dir, const char *name);

#endif /* NACLEMU_TC_H */
