/* SPDX-License-Identifier: MIT */
/*
 * plan.h - what `naclemu apply` would change, and changing it
 * (docs/config.md): a configuration (config.h) resolved against the
 * interfaces present and the state pinned by the datapath library, as a
 * plan of steps (`+ attach`, `~ update`, `-/+ replace`, `~ adopt`,
 * `- detach`); executing the plan; snapshots of an interface's state
 * before a step, which put it back (the rollback of a failed apply, and
 * of `apply --confirm`).
 *
 * Only interfaces that apply manages (NACLEMU_META_MANAGED) are detached
 * when the configuration no longer names them; one attached by hand is
 * touched only when the configuration names it, and is then adopted.
 */
#ifndef NACLEMU_DEPLOY_PLAN_H
#define NACLEMU_DEPLOY_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "naclemu.h"
#include "datapath/datapath.h"
#include "deploy/config.h"

/*
 * struct deploy_snapshot - an interface's state at one instant, enough to
 * put it back: whether it was attached and, if so, its attach record and
 * live rule set.  Plain data (no pointer but @rules, a copy), so that a
 * snapshot can be kept in a file and restored by another process.
 */
struct deploy_snapshot {
	struct dp_target target;
	bool attached;
	struct naclemu_meta meta;
	struct naclemu_rules *rules; /* malloc'ed when @attached */
};

/*
 * deploy_snapshot_take() - the state of @t now.  A state that cannot be
 * read (incomplete, another layout) is an error: apply changes nothing
 * there.  0 or -errno with @e.
 */
int deploy_snapshot_take(const struct dp_target *t, struct deploy_snapshot *s, struct dp_error *e);

/*
 * deploy_snapshot_restore() - put @t back as @s says: detach what was not
 * attached, attach again what was (from the compiled rules kept, with the
 * recorded options: its counters start again), update back rules that
 * changed (counters of unchanged rules kept), and restore the managed
 * mark.  Returns an exit status.
 */
int deploy_snapshot_restore(const struct deploy_snapshot *s, struct dp_error *e);

void deploy_snapshot_free(struct deploy_snapshot *s);

/*
 * deploy_rules_model() - the model of a compiled rule set (its rules, as
 * `stats` and `diff` need them; no source positions) into @rs.
 */
void deploy_rules_model(const struct naclemu_rules *rules, const char *path,
			struct nacl_ruleset *rs);

enum deploy_action {
	DEPLOY_ATTACH,  /* + attach: named by the configuration, not attached */
	DEPLOY_UPDATE,  /* ~ update: the rules changed (atomically, counters kept) */
	DEPLOY_REPLACE, /* -/+ replace: an option fixed at attach changed */
	DEPLOY_ADOPT,   /* ~ adopt: attached by hand with these rules, now managed */
	DEPLOY_DETACH,  /* - detach: managed, and no longer named */
};

/* "attach", "update", "replace", "adopt", "detach". */
const char *deploy_action_name(enum deploy_action a);

/*
 * struct deploy_step - one change of a plan.
 * @target: the interface (its namespace's folder label, dp_netns_resolve()).
 * @entry: the configuration's entry (NULL for a detach).
 * @before: the interface's state when the plan was made.
 * @old_rs: the rules live before (@before's, as a model), NULL if none.
 * @why: what changed, for people ("events-rate 1000 -> 10", "attached by
 *       hand").
 * @adopt: the interface was attached by hand (update, replace and adopt
 *       make it managed).
 */
struct deploy_step {
	enum deploy_action action;
	struct dp_target target;
	const struct deploy_entry *entry;
	struct deploy_snapshot before;
	struct nacl_ruleset *old_rs;
	char why[160];
	bool adopt;
};

/*
 * struct deploy_plan - the steps, in the order they run: by namespace and
 * interface name.  @unchanged: interfaces the configuration names that
 * need nothing.  @cfg: the configuration the plan is for.
 */
struct deploy_plan {
	const struct deploy_config *cfg;
	struct deploy_step *steps;
	size_t n;
	size_t unchanged;
};

/*
 * deploy_plan_build() - resolve @cfg's entries to interfaces (patterns
 * matched against the Ethernet interfaces present in each namespace),
 * compile their rules, compare with what is attached (the compiled rule
 * set byte for byte, the options) and fill @plan.  Changes nothing.
 * Errors (exit status in @e): a namespace that does not exist, a named
 * interface that does not (with DEPLOY_PLAN_ALL), an interface that two
 * entries name, a state that cannot be read, rules that do not compile.
 * Free @plan with deploy_plan_free() in every case.
 */
enum deploy_plan_mode {
	DEPLOY_PLAN_ALL,     /* apply: everything named must be there */
	DEPLOY_PLAN_PRESENT, /* the daemon: what is not there yet is skipped */
};
int deploy_plan_build(const struct deploy_config *cfg, enum deploy_plan_mode mode,
		      struct deploy_plan *plan, struct dp_error *e);

void deploy_plan_free(struct deploy_plan *plan);

/*
 * struct deploy_result - what deploy_apply() did: @done steps completed;
 * on failure @failed is the step that failed, @rolled_back whether every
 * earlier step was undone (else @e says which was not), @notes warnings.
 */
struct deploy_result {
	size_t done;
	size_t failed;
	bool rolled_back;
	char rollback_error[NACL_MSG_LEN];
};

/*
 * deploy_apply() - run the steps of @plan in order through the datapath
 * library (dp_attach(), dp_update(), dp_detach(), dp_set_managed()).  The
 * environment variable NACLEMU_FAULT=apply.ACTION.IFNAME fails that step
 * (dp_fault(), for the tests).  When a step fails, the steps done are
 * undone in reverse from their snapshots, so the host is as before the
 * apply.  Returns an exit status, @e the failure.
 */
int deploy_apply(const struct deploy_plan *plan, struct deploy_result *res, struct dp_error *e);

#endif /* NACLEMU_DEPLOY_PLAN_H */
