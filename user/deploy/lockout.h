/* SPDX-License-Identifier: MIT */
/*
 * lockout.h - what keeps `naclemu apply` from locking the operator out of
 * the host (docs/deployment.md, "The lock-out guard" and "Commit
 * confirmed"): the SSH session check of a whole plan, and `apply
 * --confirm SECONDS` with `naclemu confirm`, whose rollback is done by a
 * watchdog process of its own, so that it happens even when the apply
 * process is killed.
 */
#ifndef NACLEMU_DEPLOY_LOCKOUT_H
#define NACLEMU_DEPLOY_LOCKOUT_H

#include <stdbool.h>
#include <time.h>

#include "deploy/plan.h"

/* Where pending confirms live (a tmpfs: they do not outlive a reboot, nor does the state). */
#define DEPLOY_CONFIRM_DIR "/run/naclemu/confirm"
#define DEPLOY_CONFIRM_MAX 86400 /* seconds --confirm accepts, a day */

struct nacl_session;

/*
 * deploy_plan_guard() - the lock-out guard on every step of @plan that
 * makes rules live (attach, update, replace): dp_guard_check() with the
 * entry's rules and CIDRs.  0 when @s is NULL or no step would cut the
 * session off; else an exit status (1) with @e naming the interface,
 * the entry and the rule.
 */
int deploy_plan_guard(const struct deploy_plan *plan, const struct nacl_session *s,
		      struct dp_error *e);

/*
 * struct deploy_confirm - a pending confirm: @name its record in
 * DEPLOY_CONFIRM_DIR ("pending.NONCE"), @deadline (CLOCK_REALTIME).
 */
struct deploy_confirm {
	char name[64];
	time_t deadline;
};

/*
 * deploy_confirm_arm() - before @plan runs: refuse when a confirm is
 * pending already (a record whose watchdog died is removed, with a
 * warning); write its record; start the watchdog, a process of its own (in
 * a session of its own, every descriptor closed, holding an flock on its
 * record for as long as it lives) that holds the steps' snapshots
 * (plan->steps[].before).  Once the apply is over (the apply lock free),
 * it waits @seconds; unless deploy_confirm() or deploy_confirm_cancel()
 * removed the record by then, it takes it and puts every step's
 * interface back as it was, in reverse order, under the apply lock,
 * logging to syslog and to DEPLOY_CONFIRM_DIR/last.  Returns once the
 * watchdog runs.  The caller holds the apply lock.  Returns an exit
 * status with @e.
 */
int deploy_confirm_arm(const struct deploy_plan *plan, const char *config, unsigned int seconds,
		       struct deploy_confirm *c, struct dp_error *e);

/*
 * deploy_confirm_cancel() - the apply failed and rolled back itself:
 * remove @c's record, so that its watchdog ends without restoring.
 */
void deploy_confirm_cancel(const struct deploy_confirm *c);

/*
 * deploy_confirm_pending() - whether an apply waits for its confirm (its
 * watchdog alive); its configuration into @config (@len bytes).  A plain
 * apply refuses to run meanwhile: the watchdog would undo it.
 */
bool deploy_confirm_pending(char *config, size_t len);

/*
 * struct deploy_confirmed - what deploy_confirm() found.
 * @confirmed: a pending confirm was there and is confirmed;
 *             @config / @deadline: of that apply.
 * @last: otherwise, what the last watchdog did ("" when none): the line
 *        of DEPLOY_CONFIRM_DIR/last.
 */
struct deploy_confirmed {
	bool confirmed;
	char config[256];
	time_t deadline;
	char last[512];
};

/*
 * deploy_confirm() - `naclemu confirm`: keep the state of the pending
 * apply (its watchdog then ends without restoring).  Returns an exit
 * status: 0 confirmed; 1 nothing pending (@r->last says what happened
 * last) or too late (the rollback runs); 2 the records cannot be read, or
 * the pending apply's watchdog is gone (its record is removed).
 */
int deploy_confirm(struct deploy_confirmed *r, struct dp_error *e);

#endif /* NACLEMU_DEPLOY_LOCKOUT_H */
