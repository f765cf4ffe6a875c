// SPDX-License-Identifier: MIT
/*
 * loader.c - open, configure and load the naclemu BPF object (datapath.h):
 * the one place that knows the skeleton, so that attach, `naclemu bench`,
 * `make bench` and the tests all load it alike.
 */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/datapath.h"
#include "naclemu.skel.h"

/* Whether TC programs may call bpf_ktime_get_coarse_ns() (kernel 5.11+). */
static bool probe_coarse_clock(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_ktime_get_coarse_ns,
				       NULL) == 1;
}

int dp_load(const struct dp_load_opts *o, struct naclemu **skel)
{
	static const struct dp_load_opts defaults = { .events_rate = 1000, .coarse_clock = -1 };
	struct naclemu *s;
	int ret, tmpl;

	if (!o)
		o = &defaults;
	*skel = NULL;
	s = naclemu__open();
	if (!s)
		return errno ? -errno : -ENOMEM;
	s->rodata->events_rate = o->events_rate;
	/* The events' token bucket reads the coarse clock where it exists. */
	s->rodata->events_coarse_clock = o->coarse_clock < 0 ? probe_coarse_clock() :
				       o->coarse_clock > 0;
	ret = o->events_ring ? bpf_map__set_max_entries(s->maps.naclemu_events, o->events_ring) : 0;
	/*
	 * The flow table's template: a table of the size dp_flows_install()
	 * will make (a map-in-map checks max_entries); off, a one-entry one,
	 * so that the load allocates nothing for it.
	 */
	s->rodata->flow_log = o->flow_entries > 0;
	tmpl = ret ? -1 : dp_flows_create(o->flow_entries ? o->flow_entries : 1);
	if (!ret && tmpl < 0)
		ret = tmpl;
	if (!ret)
		ret = bpf_map__set_inner_map_fd(s->maps.naclemu_flows, tmpl);
	if (!ret)
		ret = naclemu__load(s);
	if (tmpl >= 0)
		close(tmpl);
	if (ret) {
		naclemu__destroy(s);
		return ret;
	}
	*skel = s;
	return 0;
}

void dp_unload(struct naclemu *skel)
{
	naclemu__destroy(skel);
}

int dp_prog_fd(const struct naclemu *skel, enum naclemu_dir dir)
{
	return bpf_program__fd(dir == NACLEMU_EGRESS ? skel->progs.naclemu_egress :
						       skel->progs.naclemu_ingress);
}

int dp_rules_fd(const struct naclemu *skel)
{
	return bpf_map__fd(skel->maps.naclemu_rules);
}

int dp_counters_fd(const struct naclemu *skel)
{
	return bpf_map__fd(skel->maps.naclemu_counters);
}

int dp_frags_fd(const struct naclemu *skel)
{
	return bpf_map__fd(skel->maps.naclemu_frags);
}

int dp_flows_fd(const struct naclemu *skel)
{
	return bpf_map__fd(skel->maps.naclemu_flows);
}
