// SPDX-License-Identifier: MIT
/*
 * ops.c - attach and update (datapath.h); detach and crash recovery are in
 * recover.c.
 *
 * Each operation runs under the interface's lock, first recovers what a
 * command that died may have left (dp_recover()), then goes through named
 * steps.  Each step that changes something records what undoes it, and a
 * failure undoes the earlier ones in reverse, so that a failed attach
 * leaves no filter, no qdisc of ours and no pin, and a failed update
 * leaves the old rules live.  The steps are also ordered so that a kill at
 * any instant leaves a state the next command recognises (recover.c).
 * Every step first calls dp_fault() with its name, so that the tests can
 * make each one fail in turn (tests/e2e/datapath_rollback.sh).
 *
 * With -n the netlink and ifindex work happens inside the named namespace;
 * the pins stay in the caller's bpffs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int compile(const struct nacl_ruleset *rs, const struct nacl_extra *x,
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

/*
 * Take @t's lock exclusively and recover what a dead command left; the
 * note of what was recovered goes to @res (printed as a warning).
 */
static int lock_and_recover(const struct dp_target *t, int *lock_fd, struct dp_result *res,
			    struct dp_error *e)
{
	if (dp_lock(t, true, lock_fd, e))
		return e->err;
	if (dp_recover(t, res->note, sizeof(res->note), e)) {
		dp_unlock(*lock_fd);
		*lock_fd = -1;
		return e->err;
	}
	return 0;
}

/* ---- attach ------------------------------------------------------------- */

static void meta_fill(struct naclemu_meta *m, const struct attach_req *req,
		      const struct nacl_ruleset *rs, int ifindex, enum dp_hook hook,
		      __u32 next_slot)
{
	memset(m, 0, sizeof(*m));
	m->head.magic = NACLEMU_META_MAGIC;
	m->head.layout = NACLEMU_STATE_LAYOUT;
	m->head.size = sizeof(*m);
	m->head.ifindex = (__u32)ifindex;
	m->head.flags = (hook == DP_HOOK_TCX ? NACLEMU_META_HOOK_TCX : 0) |
			(req->managed ? NACLEMU_META_MANAGED : 0);
	m->state = NACLEMU_META_ATTACHING;
	m->generation = 1;
	m->handle = DP_TC_HANDLE;
	m->priority = DP_TC_PRIORITY;
	m->next_slot = next_slot;
	snprintf(m->ifname, sizeof(m->ifname), "%s", req->ifname);
	snprintf(m->acl_id, sizeof(m->acl_id), "%s", rs->acl_id);
	snprintf(m->path, sizeof(m->path), "%s", req->rules_path);
	m->nsubnet = req->nsubnet;
	m->nexempt = req->nexempt;
	m->events_rate = req->events_rate;
	m->nvpc = req->nvpc;
	m->flow_entries = req->flow_entries;
	memcpy(m->vpc, req->vpc, sizeof(m->vpc));
	memcpy(m->subnet, req->subnet, sizeof(m->subnet));
	memcpy(m->exempt, req->exempt, sizeof(m->exempt));
	m->attach_time = m->update_time = now_s();
}

/*
 * Pin everything but the record, then the record: see recover.c.  The
 * flow table's outer map only with the flow log on (@flows).
 */
static int pin_everything(struct naclemu *skel, const struct dp_pins *p, bool flows)
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
		{ DP_PIN_EVENTS, bpf_map__fd(skel->maps.naclemu_events) },
		{ DP_PIN_META, bpf_map__fd(skel->maps.naclemu_meta) },
	};
	/* tcx links are pinned by attach_links(), as each is made. */
	int ret;

	if (flows && (ret = dp_pins_pin(p, DP_PIN_FLOWS, dp_flows_fd(skel))))
		return ret;
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
		if ((ret = dp_pins_pin(p, objs[i].name, objs[i].fd)))
			return ret;
	return 0;
}

/* What attach did so far, for its rollback. */
struct attach_undo {
	struct naclemu *skel;
	struct dp_pins pins; /* open once the folder was made */
	struct naclemu_meta meta;
	int meta_fd;
	int ifindex;
	enum dp_hook hook; /* resolved: DP_HOOK_TCX or DP_HOOK_CLSACT */
};

static void attach_rollback(const struct dp_target *t, struct attach_undo *u)
{
	struct dp_detached d;

	if (u->pins.if_fd < 0)
		return;
	dp_unhook(t, &u->pins, &u->meta.head, dp_obj_id(dp_prog_fd(u->skel, NACLEMU_INGRESS)),
		  dp_obj_id(dp_prog_fd(u->skel, NACLEMU_EGRESS)), &d);
	dp_pins_remove(&u->pins, t);
}

/*
 * The hook @want (--hook) on @t's interface @ifindex: tcx where the kernel
 * has it unless clsact is asked for.
 */
static int hook_resolve(const struct dp_target *t, int ifindex, enum dp_hook want,
			enum dp_hook *hook, struct dp_error *e)
{
	int saved, ret;

	*hook = DP_HOOK_CLSACT;
	if (want == DP_HOOK_CLSACT)
		return 0;
	ret = dp_netns_enter(t->netns, &saved);
	if (!ret) {
		ret = tcx_probe(ifindex);
		dp_netns_leave(saved);
	}
	if (!ret)
		*hook = DP_HOOK_TCX;
	else if (ret == -EOPNOTSUPP && want == DP_HOOK_AUTO)
		ret = 0;
	else if (ret == -EOPNOTSUPP)
		return dp_fail(e, NACL_EXIT_INVALID, ret,
			       "option --hook: this kernel has no tcx (Linux 6.6 or later): "
			       "use --hook clsact");
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot probe the kernel for tcx: %s",
			       strerror(-ret));
	return 0;
}

/* Before anything is made: bpffs, not attached yet, the interface exists. */
static int attach_check(const struct dp_target *t, int *ifindex, struct dp_error *e)
{
	struct dp_pins p;
	int ret = fault("attach.bpffs", e);

	if (!ret && (ret = dp_bpffs_ensure()))
		dp_fail(e, NACL_EXIT_SYSTEM, ret,
			"bpffs is not mounted on /sys/fs/bpf and mounting it failed: %s",
			strerror(-ret));
	if (ret)
		return ret;
	ret = dp_pins_open(t, false, &p);
	dp_pins_close(&p);
	if (!ret)
		return dp_fail(e, NACL_EXIT_INVALID, -EEXIST,
			       "%s is already attached in network namespace %s (state in %s): "
			       "use 'naclemu update' to change its rules, or 'naclemu detach' first",
			       t->ifname, dp_netns_label(t->netns), t->dir);
	if (ret != -ENOENT)
		return dp_state_error(t, ret, 0, e);
	return dp_target_ifindex(t, ifindex, e);
}

/*
 * Make @rules live in @outer_fd: the equal rule set of another interface
 * when one is live (*@shared), else a new one.
 */
static int rules_install(const struct dp_target *t, int outer_fd, const struct naclemu_rules *rules,
			 bool *shared)
{
	int fd = dp_rules_find(t, rules), ret;

	*shared = fd >= 0;
	if (fd < 0)
		return dp_rules_install(outer_fd, rules);
	ret = dp_rules_use(outer_fd, fd);
	close(fd);
	return ret;
}

/* Load the datapath and fill its rule map and record (nothing visible yet). */
static int attach_load(const struct attach_req *req, const struct nacl_ruleset *rs,
		       struct naclemu_rules *rules, struct attach_undo *u, struct dp_result *res,
		       struct dp_error *e)
{
	struct dp_load_opts lo = { .events_rate = req->events_rate, .coarse_clock = -1,
				   .flow_entries = req->flow_entries };
	__u32 fresh[COMPILE_MAX_FRESH], cursor = 0;
	int ret = fault("attach.load", e);

	if (!ret && (ret = dp_load(&lo, &u->skel)))
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "the kernel refused the BPF program: %s%s",
			       strerror(-ret),
			       nacl_verbose ? "" :
					      " (run 'naclemu -v attach ...' for the verifier log)");
	if (ret)
		return ret;
	ret = fault("attach.rules", e);
	if (!ret) {
		ret = compile_assign_slots(rules, NULL, &cursor, fresh, &res->fresh);
		rules->generation = 1;
		if (!ret)
			ret = rules_install(&res->target, dp_rules_fd(u->skel), rules, &res->shared);
		if (ret)
			return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot fill the rule maps: %s",
				       strerror(-ret));
	}
	if (ret)
		return ret;
	if (req->flow_entries) {
		ret = fault("attach.flows", e);
		if (!ret && (ret = dp_flows_install(dp_flows_fd(u->skel), req->flow_entries)))
			return dp_fail(e, NACL_EXIT_SYSTEM, ret,
				       "cannot make the flow table of %u entries: %s",
				       req->flow_entries, strerror(-ret));
		if (ret)
			return ret;
	}
	meta_fill(&u->meta, req, rs, u->ifindex, u->hook, cursor);
	snprintf(u->meta.netns, sizeof(u->meta.netns), "%s", res->target.netns);
	u->meta_fd = bpf_map__fd(u->skel->maps.naclemu_meta);
	return meta_write(u->meta_fd, &u->meta, "attach.meta", "fill the attach record", e);
}

/*
 * The step that makes it live on tcx: a link per direction, each pinned as
 * soon as it exists.  A link not pinned yet dies with this process, so a
 * kill leaves only pinned links, which the record (ATTACHING) covers.  The
 * steps have the names of the clsact ones, so that the rollback and crash
 * tests run unchanged on both hooks.
 */
static int attach_links(const struct dp_target *t, struct attach_undo *u, struct dp_error *e)
{
	static const char *const pin[NACLEMU_NDIRS] = { DP_PIN_LINK_IN, DP_PIN_LINK_OUT };
	int saved, ret = fault("attach.filters", e);

	if (ret)
		return ret;
	ret = dp_netns_enter(t->netns, &saved);
	for (int dir = NACLEMU_INGRESS; !ret && dir < NACLEMU_NDIRS; dir++) {
		int fd;

		if (dir == NACLEMU_EGRESS && (ret = dp_fault("attach.filter-egress")))
			break;
		fd = tcx_link_create(u->ifindex, dp_prog_fd(u->skel, dir), dir);
		if (fd < 0) {
			ret = fd;
			break;
		}
		ret = dp_pins_pin(&u->pins, pin[dir], fd);
		close(fd);
	}
	dp_netns_leave(saved);
	if (ret && !e->err)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot attach the tcx links to %s: %s",
			       t->ifname, strerror(-ret));
	return ret;
}

/* The step that makes it live: our two filters (or links) on the interface. */
static int attach_hook(const struct dp_target *t, struct attach_undo *u, struct dp_error *e)
{
	bool created = false, exists = true;
	int saved, ret;

	if (u->hook == DP_HOOK_TCX)
		return attach_links(t, u, e);
	ret = fault("attach.filters", e);
	if (ret)
		return ret;
	ret = dp_netns_enter(t->netns, &saved);
	if (!ret) {
		/* Say that we may create the qdisc before we do (recover.c). */
		if (!tc_clsact_exists(u->ifindex, &exists) && !exists) {
			u->meta.head.flags |= NACLEMU_META_QDISC_INTENT;
			ret = meta_write(u->meta_fd, &u->meta, "attach.intent", "record the qdisc", e);
		}
		if (!ret)
			ret = tc_filters_attach(u->ifindex, dp_prog_fd(u->skel, NACLEMU_INGRESS),
						dp_prog_fd(u->skel, NACLEMU_EGRESS), &created);
		dp_netns_leave(saved);
	}
	if (created)
		u->meta.head.flags |= NACLEMU_META_CREATED_QDISC;
	if (ret == -EEXIST)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "%s already has a TC filter with naclemu's handle 0x%x, priority %d "
			       "(its pins were removed?): remove it with 'tc filter del dev %s "
			       "ingress prio %d handle 0x%x bpf' (and egress)",
			       t->ifname, DP_TC_HANDLE, DP_TC_PRIORITY, t->ifname, DP_TC_PRIORITY,
			       DP_TC_HANDLE);
	if (ret && !e->err)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot add the TC filters to %s: %s",
			       t->ifname, strerror(-ret));
	return ret;
}

int dp_attach(const struct attach_req *req, const struct nacl_ruleset *rs,
	      struct dp_result *res, struct dp_error *e)
{
	struct nacl_extra x = { req->exempt, req->nexempt, req->subnet, req->nsubnet,
				req->vpc,    req->nvpc };
	struct naclemu_rules *rules = NULL;
	struct attach_undo u = { .pins = { -1, -1, -1 }, .meta_fd = -1 };
	struct dp_target *t = &res->target;
	int ret, lock_fd = -1;

	memset(res, 0, sizeof(*res));
	memset(e, 0, sizeof(*e));
	if (dp_target_init(t, req->netns, req->ifname, e))
		return e->exit;
	rules = calloc(1, sizeof(*rules));
	if (!rules) {
		dp_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
		goto fail;
	}
	if (compile(rs, &x, rules, e) || lock_and_recover(t, &lock_fd, res, e) ||
	    attach_check(t, &u.ifindex, e) || dp_guard_check(t, rs, &x, req->session, e) ||
	    hook_resolve(t, u.ifindex, req->hook, &u.hook, e) ||
	    attach_load(req, rs, rules, &u, res, e))
		goto fail;

	ret = fault("attach.pin", e);
	if (!ret && !(ret = dp_pins_open(t, true, &u.pins)) &&
	    (ret = pin_everything(u.skel, &u.pins, req->flow_entries > 0)))
		dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot pin the state in %s: %s", t->dir,
			strerror(-ret));
	else if (ret && !e->err)
		dp_state_error(t, ret, 0, e);
	if (ret || attach_hook(t, &u, e))
		goto fail;

	u.meta.state = NACLEMU_META_READY;
	if (meta_write(u.meta_fd, &u.meta, "attach.record", "record the attach state", e))
		goto fail;

	result_fill(res, rules, rs, res->fresh);
	res->hook = u.hook;
	dp_unload(u.skel);
	dp_pins_close(&u.pins);
	dp_unlock(lock_fd);
	free(rules);
	return NACL_EXIT_OK;
fail:
	if (u.skel)
		attach_rollback(t, &u);
	dp_unload(u.skel);
	dp_pins_close(&u.pins);
	dp_unlock(lock_fd);
	free(rules);
	return e->exit;
}

/* ---- update ------------------------------------------------------------- */

/*
 * The new rules live: write the intent (UPDATING, what the record becomes),
 * swap, write the record.  On a failure the old rules and record are put
 * back; if even that fails, the intent lets the next command recover.
 */
static int update_swap(struct dp_state *st, struct naclemu_meta *m,
		       const struct naclemu_rules *rules, const char *ifname, struct dp_error *e)
{
	struct naclemu_meta old = st->meta;
	int ret;

	m->state = NACLEMU_META_UPDATING;
	ret = meta_write(st->meta_fd, m, "update.intent", "record the update's intent", e);
	if (ret)
		return ret;
	ret = fault("update.install", e);
	if (!ret && (ret = dp_rules_install(st->rules_fd, rules)))
		dp_fail(e, NACL_EXIT_SYSTEM, ret,
			"cannot install the new rules on %s: %s (the old rules stay)", ifname,
			strerror(-ret));
	if (!ret) {
		snprintf(m->path, sizeof(m->path), "%s", m->pending_path);
		snprintf(m->acl_id, sizeof(m->acl_id), "%s", m->pending_acl);
		m->next_slot = m->pending_next_slot;
		m->generation = rules->generation;
		m->pending_path[0] = m->pending_acl[0] = '\0';
		m->state = NACLEMU_META_READY;
		m->update_time = now_s();
		ret = meta_write(st->meta_fd, m, "update.record", "record the update", e);
		if (ret) {
			/* The record names the old rules: put them back. */
			int undo = dp_rules_install(st->rules_fd, st->rules);

			snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg), "%s",
				 undo ? "; the new rules stay live" : "; the old rules are live again");
		}
	}
	if (ret) {
		__u32 zero = 0;

		bpf_map_update_elem(st->meta_fd, &zero, &old, BPF_ANY);
	}
	return ret;
}

int dp_update(const struct update_req *req, const struct nacl_ruleset *rs,
	      struct dp_result *res, struct dp_error *e)
{
	struct dp_state st;
	struct dp_target *t = &res->target;
	struct naclemu_rules *rules = NULL;
	struct nacl_extra x;
	struct naclemu_meta m;
	__u32 fresh[COMPILE_MAX_FRESH];
	unsigned int layout;
	size_t nfresh = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(e, 0, sizeof(*e));
	dp_state_init(&st);
	if (dp_target_init(t, req->netns, req->ifname, e) ||
	    lock_and_recover(t, &st.lock_fd, res, e))
		return e->exit;
	ret = dp_state_open_locked(t, &st, &layout);
	if (ret) {
		dp_state_error(t, ret, layout, e);
		goto fail;
	}
	rules = calloc(1, sizeof(*rules));
	if (!rules) {
		dp_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
		goto fail;
	}
	x = (struct nacl_extra){ st.meta.exempt, st.meta.nexempt, st.meta.subnet,
				 st.meta.nsubnet, st.meta.vpc,	  st.meta.nvpc };
	if (compile(rs, &x, rules, e) || dp_guard_check(t, rs, &x, req->session, e))
		goto fail;

	m = st.meta;
	m.pending_next_slot = m.next_slot;
	ret = fault("update.slots", e);
	if (!ret && (ret = compile_assign_slots(rules, st.rules, &m.pending_next_slot, fresh,
						&nfresh)))
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
	snprintf(m.pending_acl, sizeof(m.pending_acl), "%s", rs->acl_id);
	snprintf(m.pending_path, sizeof(m.pending_path), "%s", req->rules_path);
	if (update_swap(&st, &m, rules, t->ifname, e))
		goto fail;

	result_fill(res, rules, rs, nfresh);
	res->hook = dp_hook_of(&st.meta.head);
	res->kept = res->rules[0] + res->rules[1] - nfresh;
	dp_state_close(&st);
	free(rules);
	return NACL_EXIT_OK;
fail:
	dp_state_close(&st);
	free(rules);
	return e->exit;
}
