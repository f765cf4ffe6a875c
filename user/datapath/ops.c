// SPDX-License-Identifier: MIT
/*
 * ops.c - attach, update and detach (datapath.h).
 *
 * Each operation is a list of steps; each step that changes something
 * records what undoes it, and a failure at any step undoes the earlier
 * ones in reverse, so that a failed attach leaves no filter, no qdisc of
 * ours and no pin, and a failed update leaves the old rules live.  Every
 * step first calls dp_fault() with its name, so that the tests can make
 * each one fail in turn (tests/e2e/datapath_rollback.sh).
 *
 * With -n the netlink and ifindex work happens inside the named namespace;
 * the pins stay in the caller's bpffs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/compile.h"
#include "datapath/internal.h"
#include "naclemu.skel.h"
#include "output/log.h"

static __u64 now_s(void)
{
	return (__u64)time(NULL);
}

static size_t rules_in(const struct naclemu_rules *r, int dir)
{
	return r->t[dir][NACLEMU_V4].nrules + r->t[dir][NACLEMU_V6].nrules;
}

/* dp_fault() as a failure of step @step with its message. */
static int fault(const char *step, struct dp_error *e)
{
	int ret = dp_fault(step);

	if (ret)
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "%s failed: %s (fault injected by NACLEMU_FAULT)",
			step, strerror(-ret));
	return ret;
}

static int compile(const struct nacl_ruleset *rs, const struct compile_extra *x,
		   struct naclemu_rules *out, struct dp_error *e)
{
	if (compile_rules(rs, x, out, e->msg)) {
		e->exit = NACL_EXIT_INVALID;
		e->err = -EINVAL;
		return -EINVAL;
	}
	return 0;
}

/* Write the attach record, as step @step ("... the record: @what"). */
static int meta_write(int meta_fd, const struct naclemu_meta *m, const char *step,
		      const char *what, struct dp_error *e)
{
	__u32 zero = 0;
	int ret = fault(step, e);

	if (!ret && bpf_map_update_elem(meta_fd, &zero, m, BPF_ANY)) {
		ret = -errno;
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot %s: %s", what, strerror(-ret));
	}
	return ret;
}

/* What attach or update reports of the rule set it made live. */
static void result_fill(struct dp_result *res, const struct naclemu_rules *rules,
			const struct nacl_ruleset *rs, size_t nfresh)
{
	res->rules[NACLEMU_INGRESS] = rules_in(rules, NACLEMU_INGRESS);
	res->rules[NACLEMU_EGRESS] = rules_in(rules, NACLEMU_EGRESS);
	snprintf(res->acl_id, sizeof(res->acl_id), "%s", rs->acl_id);
	res->generation = rules->generation;
	res->fresh = nfresh;
}

/* ---- attach ------------------------------------------------------------- */

static void meta_fill(struct naclemu_meta *m, const struct attach_req *req,
		      const struct nacl_ruleset *rs, int ifindex, __u32 next_slot)
{
	memset(m, 0, sizeof(*m));
	m->head.magic = NACLEMU_META_MAGIC;
	m->head.layout = NACLEMU_STATE_LAYOUT;
	m->head.size = sizeof(*m);
	m->head.ifindex = (__u32)ifindex;
	m->handle = DP_TC_HANDLE;
	m->priority = DP_TC_PRIORITY;
	m->next_slot = next_slot;
	snprintf(m->ifname, sizeof(m->ifname), "%s", req->ifname);
	snprintf(m->netns, sizeof(m->netns), "%s", req->netns ? req->netns : "");
	snprintf(m->acl_id, sizeof(m->acl_id), "%s", rs->acl_id);
	snprintf(m->path, sizeof(m->path), "%s", req->rules_path);
	m->nsubnet = req->nsubnet;
	m->nexempt = req->nexempt;
	m->events_rate = req->events_rate;
	memcpy(m->subnet, req->subnet, sizeof(m->subnet));
	memcpy(m->exempt, req->exempt, sizeof(m->exempt));
	m->attach_time = m->update_time = now_s();
}

static int pin_everything(struct naclemu *skel, const char *dir)
{
	const struct {
		const char *name;
		int fd;
	} objs[] = {
		{ DP_PIN_PROG_IN, bpf_program__fd(skel->progs.naclemu_ingress) },
		{ DP_PIN_PROG_OUT, bpf_program__fd(skel->progs.naclemu_egress) },
		{ DP_PIN_RULES, bpf_map__fd(skel->maps.naclemu_rules) },
		{ DP_PIN_COUNTERS, bpf_map__fd(skel->maps.naclemu_counters) },
		{ DP_PIN_FRAGS, bpf_map__fd(skel->maps.naclemu_frags) },
		{ DP_PIN_META, bpf_map__fd(skel->maps.naclemu_meta) },
		{ DP_PIN_EVENTS, bpf_map__fd(skel->maps.naclemu_events) },
	};
	char path[PATH_MAX];
	int ret = dp_mkdirs(dir);

	if (ret)
		return ret;
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, objs[i].name);
		if (bpf_obj_pin(objs[i].fd, path))
			return -errno;
	}
	return 0;
}

/* What attach did so far, for its rollback. */
struct attach_undo {
	struct naclemu *skel;
	bool pinned;
	bool filters;
	bool created_qdisc;
	int ifindex;
};

static void attach_rollback(const struct dp_target *t, struct attach_undo *u)
{
	int saved;
	bool removed;

	if (u->filters && !dp_netns_enter(t->netns, &saved)) {
		tc_filters_detach(u->ifindex, dp_obj_id(dp_prog_fd(u->skel, NACLEMU_INGRESS)),
				  dp_obj_id(dp_prog_fd(u->skel, NACLEMU_EGRESS)), u->created_qdisc,
				  &removed);
		dp_netns_leave(saved);
	}
	if (u->pinned)
		dp_unpin_all(t->dir);
}

/* Before anything is made: bpffs, not attached yet, the interface exists. */
static int attach_check(const struct dp_target *t, int *ifindex, struct dp_error *e)
{
	struct stat sb;
	int ret = fault("attach.bpffs", e);

	if (!ret && (ret = dp_bpffs_ensure()))
		dp_fail(e, NACL_EXIT_SYSTEM, ret,
			"bpffs is not mounted on /sys/fs/bpf and mounting it failed: %s",
			strerror(-ret));
	if (ret)
		return ret;
	if (!stat(t->dir, &sb))
		return dp_fail(e, NACL_EXIT_INVALID, -EEXIST,
			       "%s is already attached in network namespace %s (state in %s): "
			       "use 'naclemu update' to change its rules, or 'naclemu detach' first",
			       t->ifname, dp_netns_label(t->netns), t->dir);
	return dp_target_ifindex(t, ifindex, e);
}

/* The step that makes it live: our two filters on the interface. */
static int attach_hook(const struct dp_target *t, struct attach_undo *u, struct dp_error *e)
{
	int saved, ret = fault("attach.filters", e);

	if (ret)
		return ret;
	ret = dp_netns_enter(t->netns, &saved);
	if (!ret) {
		ret = tc_filters_attach(u->ifindex, dp_prog_fd(u->skel, NACLEMU_INGRESS),
					dp_prog_fd(u->skel, NACLEMU_EGRESS), &u->created_qdisc);
		dp_netns_leave(saved);
	}
	if (ret == -EEXIST)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "%s already has a TC filter with naclemu's handle 0x%x, priority %d "
			       "(its pins were removed?): remove it with 'tc filter del dev %s "
			       "ingress prio %d handle 0x%x bpf' (and egress)",
			       t->ifname, DP_TC_HANDLE, DP_TC_PRIORITY, t->ifname, DP_TC_PRIORITY,
			       DP_TC_HANDLE);
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot add the TC filters to %s: %s",
			       t->ifname, strerror(-ret));
	u->filters = true;
	return 0;
}

int dp_attach(const struct attach_req *req, const struct nacl_ruleset *rs,
	      struct dp_result *res, struct dp_error *e)
{
	struct dp_load_opts lo = { .events_rate = req->events_rate, .coarse_clock = -1 };
	struct compile_extra x = { req->exempt, req->nexempt, req->subnet, req->nsubnet };
	struct naclemu_rules *rules = NULL;
	struct attach_undo u = {};
	struct naclemu_meta meta;
	struct dp_target *t = &res->target;
	__u32 fresh[COMPILE_MAX_FRESH], cursor = 0;
	size_t nfresh;
	int ret, meta_fd;

	memset(res, 0, sizeof(*res));
	memset(e, 0, sizeof(*e));
	if (dp_target_init(t, req->netns, req->ifname, e))
		return e->exit;
	rules = calloc(1, sizeof(*rules));
	if (!rules) {
		dp_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
		goto fail;
	}
	if (compile(rs, &x, rules, e))
		goto fail;

	if (attach_check(t, &u.ifindex, e))
		goto fail;

	ret = fault("attach.load", e);
	if (!ret && (ret = dp_load(&lo, &u.skel)))
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "the kernel refused the BPF program: %s%s",
			strerror(-ret),
			nacl_verbose ? "" : " (run 'naclemu -v attach ...' for the verifier log)");
	if (ret)
		goto fail;

	ret = fault("attach.rules", e);
	if (!ret) {
		ret = compile_assign_slots(rules, NULL, &cursor, fresh, &nfresh);
		rules->generation = 1;
		if (!ret)
			ret = dp_rules_install(dp_rules_fd(u.skel), rules);
		if (ret)
			dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot fill the rule maps: %s",
				strerror(-ret));
	}
	if (ret)
		goto fail;
	meta_fill(&meta, req, rs, u.ifindex, cursor);
	meta_fd = bpf_map__fd(u.skel->maps.naclemu_meta);
	if (meta_write(meta_fd, &meta, "attach.meta", "fill the attach record", e))
		goto fail;

	u.pinned = true;
	ret = fault("attach.pin", e);
	if (!ret && (ret = pin_everything(u.skel, t->dir)))
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot pin the state in %s: %s", t->dir,
			strerror(-ret));
	if (ret)
		goto fail;

	if (attach_hook(t, &u, e))
		goto fail;

	if (u.created_qdisc)
		meta.head.flags |= NACLEMU_META_CREATED_QDISC;
	if (meta_write(meta_fd, &meta, "attach.record", "record the attach state", e))
		goto fail;

	result_fill(res, rules, rs, nfresh);
	dp_unload(u.skel);
	free(rules);
	return NACL_EXIT_OK;
fail:
	if (u.skel)
		attach_rollback(t, &u);
	dp_unload(u.skel);
	free(rules);
	return e->exit;
}

/* ---- update ------------------------------------------------------------- */

int dp_update(const struct update_req *req, const struct nacl_ruleset *rs,
	      struct dp_result *res, struct dp_error *e)
{
	struct dp_state st = { .meta_fd = -1, .rules_fd = -1, .counters_fd = -1 };
	struct dp_target *t = &res->target;
	struct naclemu_rules *rules = NULL;
	struct compile_extra x;
	struct naclemu_meta meta;
	__u32 fresh[COMPILE_MAX_FRESH];
	size_t nfresh = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(e, 0, sizeof(*e));
	if (dp_target_init(t, req->netns, req->ifname, e))
		return e->exit;
	if (dp_state_open(t, &st, e))
		return e->exit;
	rules = calloc(1, sizeof(*rules));
	if (!rules) {
		dp_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
		goto fail;
	}
	x = (struct compile_extra){ st.meta.exempt, st.meta.nexempt, st.meta.subnet,
				    st.meta.nsubnet };
	if (compile(rs, &x, rules, e))
		goto fail;

	meta = st.meta;
	ret = fault("update.slots", e);
	if (!ret && (ret = compile_assign_slots(rules, st.rules, &meta.next_slot, fresh, &nfresh)))
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "no free counter slot: %s", strerror(-ret));
	if (ret)
		goto fail;
	ret = fault("update.counters", e);
	if (!ret && (ret = dp_counters_zero(st.counters_fd, fresh, nfresh)))
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot reset the new rules' counters: %s",
			strerror(-ret));
	if (ret)
		goto fail;
	rules->generation = st.rules->generation + 1;
	ret = fault("update.install", e);
	if (!ret && (ret = dp_rules_install(st.rules_fd, rules)))
		dp_fail(e, NACL_EXIT_SYSTEM, ret,
			"cannot install the new rules on %s: %s (the old rules stay)", t->ifname,
			strerror(-ret));
	if (ret)
		goto fail;

	snprintf(meta.acl_id, sizeof(meta.acl_id), "%s", rs->acl_id);
	snprintf(meta.path, sizeof(meta.path), "%s", req->rules_path);
	meta.update_time = now_s();
	if (meta_write(st.meta_fd, &meta, "update.record", "record the update", e)) {
		/* The record names the old rules: put them back. */
		int undo = dp_rules_install(st.rules_fd, st.rules);

		if (undo)
			snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
				 "; the new rules stay live (%s)", strerror(-undo));
		else
			snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg),
				 "; the old rules are live again");
		goto fail;
	}

	result_fill(res, rules, rs, nfresh);
	res->kept = res->rules[0] + res->rules[1] - nfresh;
	dp_state_close(&st);
	free(rules);
	return NACL_EXIT_OK;
fail:
	dp_state_close(&st);
	free(rules);
	return e->exit;
}

/* ---- detach ------------------------------------------------------------- */

int dp_detach(const struct dp_target *t, struct dp_detached *d, struct dp_error *e)
{
	struct naclemu_meta_head head = {};
	struct stat sb;
	unsigned int layout = 0;
	__u32 id_in, id_out;
	int ret, saved, ifindex, fd;

	memset(d, 0, sizeof(*d));
	memset(e, 0, sizeof(*e));
	if (stat(t->dir, &sb))
		return dp_fail(e, NACL_EXIT_INVALID, -ENOENT,
			       "%s is not attached in network namespace %s (see 'naclemu status')",
			       t->ifname, dp_netns_label(t->netns)),
		       NACL_EXIT_INVALID;
	/* Whatever is pinned goes, a half state or another layout's too. */
	fd = dp_pinned_fd(t->dir, DP_PIN_META);
	if (fd >= 0) {
		if (dp_meta_read(fd, &layout, &head, NULL) && layout == 0)
			memset(&head, 0, sizeof(head));
		close(fd);
	}
	id_in = dp_pinned_prog_id(t->dir, DP_PIN_PROG_IN);
	id_out = dp_pinned_prog_id(t->dir, DP_PIN_PROG_OUT);

	ret = dp_netns_enter(t->netns, &saved);
	if (ret == -ENOENT) {
		d->iface_gone = true; /* the namespace went, and the interface with it */
		ret = 0;
	} else if (!ret) {
		ret = dp_ifindex(t->ifname, &ifindex);
		if (ret == -ENODEV) {
			d->iface_gone = true;
			ret = 0;
		} else if (!ret) {
			/* Same name, new device: attach's qdisc was not this one. */
			bool ours = head.ifindex == (__u32)ifindex &&
				    (head.flags & NACLEMU_META_CREATED_QDISC);

			ret = tc_filters_detach(ifindex, id_in, id_out, ours, &d->removed_qdisc);
		}
		dp_netns_leave(saved);
	}
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "cannot remove naclemu's TC filters from %s: %s (the state stays "
			       "pinned in %s)",
			       t->ifname, strerror(-ret), t->dir),
		       NACL_EXIT_SYSTEM;
	dp_unpin_all(t->dir);
	if (!stat(t->dir, &sb))
		return dp_fail(e, NACL_EXIT_SYSTEM, -ENOTEMPTY,
			       "cannot remove %s: something else is in it", t->dir),
		       NACL_EXIT_SYSTEM;
	return NACL_EXIT_OK;
}
