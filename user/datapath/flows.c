// SPDX-License-Identifier: MIT
/*
 * flows.c - the flow log's table (datapath.h, bpf/flows.bpf.h): made at
 * attach, and taken whole at each window's end by swapping an empty one in.
 *
 * The swap is one update of the outer array-of-maps.  For that map type
 * the kernel waits, before the update returns, until every program that
 * may still hold the old inner map has finished (an RCU grace period:
 * maybe_wait_bpf_programs() in kernel/bpf/syscall.c, since Linux 4.20).
 * TC programs run inside the RCU read side, so once the swap returned,
 * nothing writes the old table any more: it is read at leisure and
 * exactly, and dropped.  A packet counted just before the swap is in the
 * old window, one counted just after in the new: nothing is counted twice
 * or lost.  A kill at any instant leaves the outer slot pointing at a whole
 * table (the old or the new one), so the state stays consistent; what a
 * killed reader had taken is lost with it, as a log line not yet written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/internal.h"
#include "output/flowlog.h"

int dp_flows_create(__u32 entries)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "naclemu_flowtab",
				sizeof(struct naclemu_flow_key), sizeof(struct naclemu_flow_val),
				entries, NULL);

	return fd < 0 ? -errno : fd;
}

int dp_flows_install(int outer_fd, __u32 entries)
{
	__u32 zero = 0;
	int fd = dp_flows_create(entries), ret;

	if (fd < 0)
		return fd;
	ret = bpf_map_update_elem(outer_fd, &zero, &fd, BPF_ANY) ? -errno : 0;
	close(fd);
	return ret;
}

/* The live table of @outer_fd, checked to be a flow table of this build's shape. */
static int flows_live(int outer_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0, id = 0;
	int fd;

	if (bpf_map_lookup_elem(outer_fd, &zero, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return -errno;
	}
	if (info.type != BPF_MAP_TYPE_PERCPU_HASH ||
	    info.key_size != sizeof(struct naclemu_flow_key) ||
	    info.value_size != sizeof(struct naclemu_flow_val)) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

/* Every entry of the table @fd (nothing writes it), summed over CPUs. */
static int flows_read(int fd, struct flowlog_flow **flows, size_t *n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct naclemu_flow_key key, next;
	struct naclemu_flow_val *percpu;
	struct flowlog_flow *out = NULL, *grown;
	size_t cap = 0, k = 0;
	void *prev = NULL;
	int ret = 0;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, percpu)) {
			if (errno == ENOENT)
				continue;
			ret = -errno;
			break;
		}
		if (k == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				ret = -ENOMEM;
				break;
			}
			out = grown;
		}
		out[k].key = key;
		flowlog_sum_cpus(percpu, (unsigned int)ncpu, &out[k].val);
		k++;
	}
	if (!ret && errno != ENOENT)
		ret = -errno;
	free(percpu);
	if (ret) {
		free(out);
		return ret;
	}
	*flows = out;
	*n = k;
	return 0;
}

int dp_flows_take(int outer_fd, __u32 entries, struct flowlog_flow **flows, size_t *n)
{
	int old, ret;

	*flows = NULL;
	*n = 0;
	old = flows_live(outer_fd);
	if (old < 0)
		return old;
	ret = dp_flows_install(outer_fd, entries);
	if (!ret)
		ret = flows_read(old, flows, n);
	close(old);
	return ret;
}

int dp_flows_get(const struct dp_state *st)
{
	int fd;

	if (!st->meta.flow_entries)
		return -ENOTSUP;
	fd = dp_pins_get(&st->pins, DP_PIN_FLOWS);
	return fd == -ENOENT ? -EUCLEAN : fd;
}

int dp_flows_lock(const struct dp_state *st)
{
	int fd = dup(st->pins.if_fd), ret;

	if (fd < 0)
		return -errno;
	/* One reader per interface: a second one would steal its windows. */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return ret;
	}
	return fd;
}
