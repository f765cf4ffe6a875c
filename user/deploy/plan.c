// SPDX-License-Identifier: MIT
/*
 * plan.c - the plan of `naclemu apply` and the snapshots that undo it
 * (plan.h, docs/config.md).  Everything that touches the kernel goes
 * through the datapath library (datapath.h); this file only decides.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/compile.h"
#include "deploy/plan.h"
#include "output/log.h"

/* Fill @e (exit status @exit, -errno @err, the message); returns @err. */
static int plan_fail(struct dp_error *e, int exit, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int plan_fail(struct dp_error *e, int exit, int err, const char *fmt, ...)
{
	va_list ap;

	e->exit = exit;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

const char *deploy_action_name(enum deploy_action a)
{
	static const char *const names[] = { "attach", "update", "replace", "adopt", "detach" };

	return a <= DEPLOY_DETACH ? names[a] : "?";
}

/* ---- snapshots ---- */

void deploy_rules_model(const struct naclemu_rules *rules, const char *path,
			struct nacl_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->path = path;
	for (int d = 0; d < NACLEMU_NDIRS; d++) {
		for (int f = 0; f < NACLEMU_NFAMS; f++) {
			const struct naclemu_table *t = &rules->t[d][f];

			for (__u32 i = 0; i < t->nrules && i < NACLEMU_MAX_RULES; i++)
				if (rs->count[d] < NACL_MAX_RULES)
					compile_rule_from_info(&t->info[i],
							       &rs->rules[d][rs->count[d]++]);
		}
		rs->has_dir[d] = rs->count[d] > 0;
	}
	nacl_sort(rs);
}

int deploy_snapshot_take(const struct dp_target *t, struct deploy_snapshot *s, struct dp_error *e)
{
	struct dp_state st;

	memset(s, 0, sizeof(*s));
	s->target = *t;
	if (dp_state_open(t, &st, e)) {
		if (e->err != -ENOENT)
			return e->err;
		memset(e, 0, sizeof(*e));
		return 0; /* not attached */
	}
	s->rules = malloc(sizeof(*s->rules));
	if (s->rules) {
		memcpy(s->rules, st.rules, sizeof(*s->rules));
		s->meta = st.meta;
		s->attached = true;
	}
	dp_state_close(&st);
	return s->rules ? 0 : plan_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
}

void deploy_snapshot_free(struct deploy_snapshot *s)
{
	free(s->rules);
	s->rules = NULL;
}

/* The attach request that attached @s (its recorded options). */
static void snapshot_req(const struct deploy_snapshot *s, struct attach_req *req)
{
	memset(req, 0, sizeof(*req));
	req->netns = s->target.netns;
	req->ifname = s->target.ifname;
	req->rules_path = s->meta.path;
	memcpy(req->subnet, s->meta.subnet, sizeof(req->subnet));
	memcpy(req->exempt, s->meta.exempt, sizeof(req->exempt));
	memcpy(req->vpc, s->meta.vpc, sizeof(req->vpc));
	req->nsubnet = s->meta.nsubnet;
	req->nexempt = s->meta.nexempt;
	req->nvpc = s->meta.nvpc;
	req->events_rate = s->meta.events_rate;
	req->hook = dp_hook_of(&s->meta.head);
	req->managed = s->meta.head.flags & NACLEMU_META_MANAGED;
	req->flow_entries = s->meta.flow_entries;
}

/* Whether the live state @now has the options of @s (those fixed at attach). */
static bool same_options(const struct naclemu_meta *a, const struct naclemu_meta *b)
{
	return a->nsubnet == b->nsubnet && a->nexempt == b->nexempt && a->nvpc == b->nvpc &&
	       !memcmp(a->subnet, b->subnet, sizeof(a->subnet[0]) * a->nsubnet) &&
	       !memcmp(a->exempt, b->exempt, sizeof(a->exempt[0]) * a->nexempt) &&
	       !memcmp(a->vpc, b->vpc, sizeof(a->vpc[0]) * a->nvpc) &&
	       a->events_rate == b->events_rate && dp_hook_of(&a->head) == dp_hook_of(&b->head) &&
	       a->flow_entries == b->flow_entries;
}

/* Whether two compiled rule sets hold the same rules (slots and generation aside). */
static bool same_rules(const struct naclemu_rules *a, const struct naclemu_rules *b)
{
	for (int d = 0; d < NACLEMU_NDIRS; d++)
		for (int f = 0; f < NACLEMU_NFAMS; f++) {
			const struct naclemu_table *x = &a->t[d][f], *y = &b->t[d][f];

			if (x->nrules != y->nrules ||
			    memcmp(x->info, y->info, sizeof(x->info[0]) * x->nrules))
				return false;
		}
	return true;
}

int deploy_snapshot_restore(const struct deploy_snapshot *s, struct dp_error *e)
{
	struct nacl_ruleset *rs = NULL;
	struct deploy_snapshot now;
	struct dp_detached d;
	struct dp_result res;
	struct attach_req req;
	int exit = NACL_EXIT_OK;

	memset(e, 0, sizeof(*e));
	if (deploy_snapshot_take(&s->target, &now, e))
		return e->exit;
	if (!s->attached) {
		if (now.attached)
			exit = dp_detach(&s->target, &d, e);
		goto out;
	}
	rs = malloc(sizeof(*rs));
	if (!rs) {
		exit = (plan_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory"), e->exit);
		goto out;
	}
	deploy_rules_model(s->rules, s->meta.path, rs);
	snprintf(rs->acl_id, sizeof(rs->acl_id), "%s", s->meta.acl_id);
	if (now.attached && !same_options(&now.meta, &s->meta)) {
		exit = dp_detach(&s->target, &d, e);
		now.attached = false;
	}
	if (!exit && !now.attached) {
		snapshot_req(s, &req);
		exit = dp_attach(&req, rs, &res, e);
	} else if (!exit && !same_rules(now.rules, s->rules)) {
		struct update_req u = { s->target.netns, s->target.ifname, s->meta.path, {} };

		exit = dp_update(&u, rs, &res, e);
	}
	if (!exit && now.attached &&
	    (now.meta.head.flags & NACLEMU_META_MANAGED) != (s->meta.head.flags & NACLEMU_META_MANAGED))
		exit = dp_set_managed(&s->target, s->meta.head.flags & NACLEMU_META_MANAGED, e);
out:
	free(rs);
	deploy_snapshot_free(&now);
	return exit;
}

/* ---- building the plan ---- */

/* An interface attached now (dp_for_each_attached()), or its state's error. */
struct live {
	struct dp_target t;
	struct naclemu_meta meta;
	struct naclemu_rules *rules;
	char error[NACL_MSG_LEN]; /* "" when the state was read */
	bool wanted;
};

struct live_list {
	struct live *l;
	size_t n;
};

/* One more interface in @ll: @t, nothing read yet; NULL when out of memory. */
static struct live *live_add(struct live_list *ll, const struct dp_target *t)
{
	struct live *grown = realloc(ll->l, (ll->n + 1) * sizeof(*ll->l)), *x;

	if (!grown)
		return NULL;
	ll->l = grown;
	x = &ll->l[ll->n++];
	memset(x, 0, sizeof(*x));
	x->t = *t;
	return x;
}

static int live_visit(const struct dp_target *t, struct dp_state *st, const struct dp_error *e,
		      void *arg)
{
	struct live *x = live_add(arg, t);

	if (!x)
		return -ENOMEM;
	if (!st) {
		snprintf(x->error, sizeof(x->error), "%s", e->msg);
	} else {
		x->meta = st->meta;
		x->rules = malloc(sizeof(*x->rules));
		if (!x->rules)
			return -ENOMEM;
		memcpy(x->rules, st->rules, sizeof(*x->rules));
	}
	return 0;
}

static void live_free(struct live_list *ll)
{
	for (size_t i = 0; i < ll->n; i++)
		free(ll->l[i].rules);
	free(ll->l);
}

static struct live *live_find(struct live_list *ll, const struct dp_target *t)
{
	for (size_t i = 0; i < ll->n; i++)
		if (!strcmp(ll->l[i].t.dir, t->dir))
			return &ll->l[i];
	return NULL;
}

/* "FILE:LINE:COL: entry NAME: " for messages about @en. */
static int entry_fail(struct dp_error *e, int exit, int err, const struct deploy_config *cfg,
		      const struct deploy_entry *en, const char *msg)
{
	return plan_fail(e, exit, err, "%s:%u:%u: entry %s: %s", cfg->path, en->line, en->col,
		       en->name, msg);
}

static struct deploy_step *step_add(struct deploy_plan *plan, enum deploy_action a,
				    const struct dp_target *t, const struct deploy_entry *en)
{
	struct deploy_step *grown = realloc(plan->steps, (plan->n + 1) * sizeof(*plan->steps)), *s;

	if (!grown)
		return NULL;
	plan->steps = grown;
	s = &plan->steps[plan->n++];
	memset(s, 0, sizeof(*s));
	s->action = a;
	s->target = *t;
	s->entry = en;
	return s;
}

/* @x's options as @en asks them, for the comparison (same_options()). */
static void entry_meta(const struct deploy_entry *en, const struct naclemu_meta *live,
		       struct naclemu_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->nsubnet = en->nsubnet;
	m->nexempt = en->nexempt;
	m->nvpc = en->nvpc;
	memcpy(m->subnet, en->subnet, sizeof(m->subnet));
	memcpy(m->exempt, en->exempt, sizeof(m->exempt));
	memcpy(m->vpc, en->vpc, sizeof(m->vpc));
	m->events_rate = en->events_rate;
	/* hook auto: whatever the interface has. */
	m->head.flags = en->hook == DP_HOOK_TCX	   ? NACLEMU_META_HOOK_TCX :
			en->hook == DP_HOOK_CLSACT ? 0 :
						     live->head.flags & NACLEMU_META_HOOK_TCX;
	/* flow-log: true keeps the table size the interface has, else the default. */
	m->flow_entries = !en->flow_log	    ? 0 :
			  live->flow_entries ? live->flow_entries :
					       NACLEMU_FLOW_ENTRIES;
}

/* What of the options differs, for people: "events-rate 1000 -> 10, subnet". */
static void options_why(const struct naclemu_meta *was, const struct naclemu_meta *want, char *buf,
			size_t len)
{
	buf[0] = '\0';
#define WHY(...) snprintf(buf + strlen(buf), len - strlen(buf), __VA_ARGS__)
	if (was->nsubnet != want->nsubnet ||
	    memcmp(was->subnet, want->subnet, sizeof(was->subnet[0]) * was->nsubnet))
		WHY("%ssubnet", *buf ? ", " : "");
	if (was->nexempt != want->nexempt ||
	    memcmp(was->exempt, want->exempt, sizeof(was->exempt[0]) * was->nexempt))
		WHY("%sexempt", *buf ? ", " : "");
	if (was->nvpc != want->nvpc || memcmp(was->vpc, want->vpc, sizeof(was->vpc[0]) * was->nvpc))
		WHY("%svpc", *buf ? ", " : "");
	if (was->events_rate != want->events_rate)
		WHY("%sevents-rate %u -> %u", *buf ? ", " : "", was->events_rate, want->events_rate);
	if (!was->flow_entries != !want->flow_entries)
		WHY("%sflow-log %s -> %s", *buf ? ", " : "", was->flow_entries ? "on" : "off",
		    want->flow_entries ? "on" : "off");
	if (dp_hook_of(&was->head) != dp_hook_of(&want->head))
		WHY("%shook %s -> %s", *buf ? ", " : "", dp_hook_name(dp_hook_of(&was->head)),
		    dp_hook_name(dp_hook_of(&want->head)));
#undef WHY
}

/* The step (or none) that makes @t, attached as @x (NULL: not), as @en says. */
static int plan_target(struct deploy_plan *plan, const struct deploy_entry *en,
		       const struct dp_target *t, struct live *x, struct naclemu_rules *want,
		       struct dp_error *e)
{
	bool managed = x && (x->meta.head.flags & NACLEMU_META_MANAGED);
	struct naclemu_meta m;
	struct deploy_step *s;
	enum deploy_action a;
	char why[160] = "";

	if (x && x->error[0])
		return entry_fail(e, NACL_EXIT_SYSTEM, -EUCLEAN, plan->cfg, en, x->error);
	if (compile_rules(en->rs, &(struct nacl_extra){ en->exempt, en->nexempt, en->subnet,
							en->nsubnet, en->vpc, en->nvpc },
			  want, e->msg)) {
		char msg[NACL_MSG_LEN];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		return entry_fail(e, NACL_EXIT_INVALID, -EINVAL, plan->cfg, en, msg);
	}
	if (!x) {
		a = DEPLOY_ATTACH;
	} else {
		entry_meta(en, &x->meta, &m);
		if (!same_options(&x->meta, &m)) {
			a = DEPLOY_REPLACE;
			options_why(&x->meta, &m, why, sizeof(why));
		} else if (!same_rules(x->rules, want)) {
			a = DEPLOY_UPDATE;
		} else if (!managed) {
			a = DEPLOY_ADOPT;
		} else {
			plan->unchanged++;
			return 0;
		}
		if (!managed)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), "%sattached by hand: "
				 "apply manages it from now on", *why ? "; " : "");
	}
	s = step_add(plan, a, t, en);
	if (!s)
		return plan_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
	snprintf(s->why, sizeof(s->why), "%s", why);
	s->adopt = x && !managed;
	return 0;
}

/* The targets of @en: its namespace resolved, its names and patterns matched. */
static int plan_entry(struct deploy_plan *plan, const struct deploy_entry *en,
		      enum deploy_plan_mode mode, struct live_list *ll, struct naclemu_rules *want,
		      struct dp_error *e)
{
	char label[DP_NETNS_MAX + 1], msg[NACL_MSG_LEN], (*names)[16] = NULL;
	size_t n = 0;
	int ret;

	if (dp_netns_resolve(en->netns, label, e)) {
		/* Not there yet: nothing of this entry to plan. */
		if (mode == DEPLOY_PLAN_PRESENT && e->err == -ENOENT) {
			memset(e, 0, sizeof(*e));
			return 0;
		}
		snprintf(msg, sizeof(msg), "%s", e->msg);
		return entry_fail(e, e->exit, e->err, plan->cfg, en, msg);
	}
	ret = dp_netns_ifnames(label, &names, &n);
	if (ret == -ENOENT && mode == DEPLOY_PLAN_PRESENT)
		return 0;
	if (ret) {
		snprintf(msg, sizeof(msg), "cannot list the interfaces of network namespace %s: %s",
			 dp_netns_label(label), strerror(-ret));
		return entry_fail(e, NACL_EXIT_SYSTEM, ret, plan->cfg, en, msg);
	}
	/* A name (not a pattern) must be there: a typo is no silent no-op. */
	for (size_t i = 0; mode == DEPLOY_PLAN_ALL && i < en->nifaces && !ret; i++) {
		size_t k;

		if (deploy_iface_is_pattern(en->ifaces[i]))
			continue;
		for (k = 0; k < n && strcmp(names[k], en->ifaces[i]); k++)
			;
		if (k == n) {
			snprintf(msg, sizeof(msg), "interface %s does not exist in network namespace "
				 "%s (or is not an Ethernet device)", en->ifaces[i], dp_netns_label(label));
			ret = entry_fail(e, NACL_EXIT_SYSTEM, -ENODEV, plan->cfg, en, msg);
		}
	}
	for (size_t k = 0; k < n && !ret; k++) {
		struct dp_target t;
		struct live *x;

		if (!deploy_entry_matches(en, names[k]))
			continue;
		if ((ret = dp_target_init(&t, *label ? label : NULL, names[k], e)))
			break;
		x = live_find(ll, &t);
		if (x && x->wanted) {
			snprintf(msg, sizeof(msg), "interface %s in network namespace %s is named by "
				 "an earlier entry too", t.ifname, dp_netns_label(t.netns));
			ret = entry_fail(e, NACL_EXIT_INVALID, -EINVAL, plan->cfg, en, msg);
			break;
		}
		if (!x) {
			/* Not attached: a placeholder marks it wanted. */
			if (!live_add(ll, &t)) {
				ret = plan_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
				break;
			}
			ll->l[ll->n - 1].wanted = true;
			ret = plan_target(plan, en, &t, NULL, want, e);
			continue;
		}
		x->wanted = true;
		ret = plan_target(plan, en, &t, x, want, e);
	}
	free(names);
	return ret;
}

static int step_cmp(const void *a, const void *b)
{
	const struct deploy_step *x = a, *y = b;
	int r = (x->action == DEPLOY_DETACH) - (y->action == DEPLOY_DETACH);

	if (!r)
		r = strcmp(dp_netns_label(x->target.netns), dp_netns_label(y->target.netns));
	return r ? r : strcmp(x->target.ifname, y->target.ifname);
}

int deploy_plan_build(const struct deploy_config *cfg, enum deploy_plan_mode mode,
		      struct deploy_plan *plan, struct dp_error *e)
{
	struct live_list ll = { 0 };
	struct naclemu_rules *want = malloc(sizeof(*want));
	size_t visited, before;
	int ret;

	memset(plan, 0, sizeof(*plan));
	memset(e, 0, sizeof(*e));
	plan->cfg = cfg;
	if (!want)
		return plan_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
	ret = dp_for_each_attached(NULL, NULL, live_visit, &ll, &visited);
	if (ret)
		plan_fail(e, NACL_EXIT_SYSTEM, ret, "cannot list the attached interfaces in %s: %s",
			DP_PIN_ROOT, strerror(-ret));
	/* Placeholders of interfaces not attached have no rules and no error. */
	before = ll.n;
	for (size_t i = 0; !ret && i < cfg->n; i++)
		ret = plan_entry(plan, &cfg->entries[i], mode, &ll, want, e);
	for (size_t i = 0; !ret && i < before; i++) {
		struct live *x = &ll.l[i];
		struct deploy_step *s;

		if (x->wanted || x->error[0] || !(x->meta.head.flags & NACLEMU_META_MANAGED))
			continue;
		s = step_add(plan, DEPLOY_DETACH, &x->t, NULL);
		if (!s)
			ret = plan_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory");
	}
	free(want);
	live_free(&ll);
	if (ret)
		return e->exit;
	qsort(plan->steps, plan->n, sizeof(plan->steps[0]), step_cmp);
	/* The state before each step: what rollback puts back, and the diff's old side. */
	for (size_t i = 0; i < plan->n; i++) {
		struct deploy_step *s = &plan->steps[i];

		if (deploy_snapshot_take(&s->target, &s->before, e))
			return e->exit;
		if (!s->before.attached)
			continue;
		s->old_rs = malloc(sizeof(*s->old_rs));
		if (!s->old_rs)
			return plan_fail(e, NACL_EXIT_SYSTEM, -ENOMEM, "out of memory"), e->exit;
		deploy_rules_model(s->before.rules, s->before.meta.path, s->old_rs);
	}
	return NACL_EXIT_OK;
}

void deploy_plan_free(struct deploy_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		deploy_snapshot_free(&plan->steps[i].before);
		free(plan->steps[i].old_rs);
	}
	free(plan->steps);
	memset(plan, 0, sizeof(*plan));
}

/* ---- running it ---- */

/* The attach request of @s's entry: its options, managed by apply. */
static void entry_req(const struct deploy_step *s, struct attach_req *req)
{
	const struct deploy_entry *en = s->entry;

	memset(req, 0, sizeof(*req));
	req->netns = *s->target.netns ? s->target.netns : NULL;
	req->ifname = s->target.ifname;
	req->rules_path = en->rules_path;
	req->select = en->select;
	memcpy(req->subnet, en->subnet, sizeof(req->subnet));
	memcpy(req->exempt, en->exempt, sizeof(req->exempt));
	memcpy(req->vpc, en->vpc, sizeof(req->vpc));
	req->nsubnet = en->nsubnet;
	req->nexempt = en->nexempt;
	req->nvpc = en->nvpc;
	req->events_rate = en->events_rate;
	req->hook = en->hook;
	req->managed = true;
	req->flow_entries = en->flow_log ? NACLEMU_FLOW_ENTRIES : 0;
}

/* One step; an exit status. */
static int step_run(const struct deploy_step *s, struct dp_error *e)
{
	const char *netns = *s->target.netns ? s->target.netns : NULL;
	struct dp_detached d;
	struct dp_result res;
	struct attach_req req;
	char fault[64];
	int exit = NACL_EXIT_OK, ret;

	snprintf(fault, sizeof(fault), "apply.%s.%s", deploy_action_name(s->action),
		 s->target.ifname);
	ret = dp_fault(fault);
	if (ret)
		return plan_fail(e, NACL_EXIT_SYSTEM, ret, "%s failed: %s (fault injected by "
			       "NACLEMU_FAULT)", fault, strerror(-ret)), e->exit;
	switch (s->action) {
	case DEPLOY_ATTACH:
		entry_req(s, &req);
		return dp_attach(&req, s->entry->rs, &res, e);
	case DEPLOY_REPLACE:
		exit = dp_detach(&s->target, &d, e);
		if (!exit) {
			entry_req(s, &req);
			exit = dp_attach(&req, s->entry->rs, &res, e);
		}
		return exit;
	case DEPLOY_UPDATE: {
		struct update_req u = { netns, s->target.ifname, s->entry->rules_path,
					s->entry->select };

		exit = dp_update(&u, s->entry->rs, &res, e);
		if (!exit && s->adopt)
			exit = dp_set_managed(&s->target, true, e);
		return exit;
	}
	case DEPLOY_ADOPT:
		return dp_set_managed(&s->target, true, e);
	case DEPLOY_DETACH:
		return dp_detach(&s->target, &d, e);
	}
	return exit;
}

int deploy_apply(const struct deploy_plan *plan, struct deploy_result *res, struct dp_error *e)
{
	struct dp_error re;
	int exit = NACL_EXIT_OK;
	size_t i;

	memset(res, 0, sizeof(*res));
	memset(e, 0, sizeof(*e));
	for (i = 0; i < plan->n; i++) {
		exit = step_run(&plan->steps[i], e);
		if (exit)
			break;
		res->done++;
	}
	if (!exit)
		return NACL_EXIT_OK;
	res->failed = i;
	res->rolled_back = true;
	/* The failed step too: a replace may have detached before its attach failed. */
	for (size_t k = i + 1; k-- > 0;) {
		if (!deploy_snapshot_restore(&plan->steps[k].before, &re))
			continue;
		if (res->rolled_back)
			snprintf(res->rollback_error, sizeof(res->rollback_error), "%s", re.msg);
		res->rolled_back = false;
	}
	return exit;
}
