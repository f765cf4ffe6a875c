// SPDX-License-Identifier: MIT
/*
 * maps.c - the rule set swap and the per-CPU counters (datapath.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/datapath.h"

/*
 * 0 when @fd is a one-element map of @type with 4-byte keys and
 * @value_size-byte values, else -EPROTO: a map of another shape (another
 * build's) must not be read into this build's buffers.
 */
static int map_shape(int fd, __u32 type, __u32 value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != type || info.key_size != sizeof(__u32) || info.value_size != value_size ||
	    info.max_entries != 1)
		return -EPROTO;
	return 0;
}

int dp_rules_use(int outer_fd, int inner_fd)
{
	__u32 zero = 0;

	/* The swap: atomic for the packets, see bpf/naclemu.bpf.c. */
	return bpf_map_update_elem(outer_fd, &zero, &inner_fd, BPF_ANY) ? -errno : 0;
}

int dp_rules_install(int outer_fd, const struct naclemu_rules *rules)
{
	__u32 zero = 0;
	int fd, ret;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "naclemu_ruleset", sizeof(__u32),
			    sizeof(struct naclemu_rules), 1, NULL);
	if (fd < 0)
		return -errno;
	ret = bpf_map_update_elem(fd, &zero, rules, BPF_ANY) ? -errno : 0;
	/*
	 * Frozen: nothing in user space can change a live rule set, so that
	 * interfaces can share it (dp_rules_find()) and update replaces it.
	 */
	if (!ret)
		ret = bpf_map_freeze(fd) ? -errno : 0;
	if (!ret)
		ret = dp_rules_use(outer_fd, fd);
	close(fd);
	return ret;
}

int dp_rules_outer_check(int outer_fd)
{
	/* Its value is an inner map's id, read into a __u32. */
	return map_shape(outer_fd, BPF_MAP_TYPE_ARRAY_OF_MAPS, sizeof(__u32));
}

__u32 dp_rules_id(int outer_fd)
{
	__u32 zero = 0, id = 0;

	if (dp_rules_outer_check(outer_fd))
		return 0;
	return bpf_map_lookup_elem(outer_fd, &zero, &id) ? 0 : id;
}

int dp_rules_check(int inner_fd)
{
	return map_shape(inner_fd, BPF_MAP_TYPE_ARRAY, sizeof(struct naclemu_rules));
}

int dp_rules_read(int outer_fd, struct naclemu_rules *out)
{
	__u32 zero = 0, id = 0;
	int fd, ret;

	ret = dp_rules_outer_check(outer_fd);
	if (ret)
		return ret;
	if (bpf_map_lookup_elem(outer_fd, &zero, &id))
		return -errno;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	ret = dp_rules_check(fd);
	if (!ret)
		ret = bpf_map_lookup_elem(fd, &zero, out) ? -errno : 0;
	close(fd);
	return ret;
}

int dp_counter_read(int counters_fd, __u32 slot, struct naclemu_counter *sum)
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

int dp_counters_zero(int counters_fd, const __u32 *slots, size_t n)
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

