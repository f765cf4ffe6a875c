// SPDX-License-Identifier: MIT
/*
 * apply.c - `naclemu apply CONFIG`: read the configuration (deploy/config.c),
 * build the plan (deploy/plan.c), print it as `terraform plan` does, and
 * unless --dry-run run it (docs/config.md, docs/semantics.md section 6).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff.h"
#include "cli/cli.h"
#include "deploy/config.h"
#include "analysis/guard.h"
#include "deploy/lockout.h"
#include "deploy/plan.h"

static const char apply_usage[] =
	"Usage: naclemu apply CONFIG [--dry-run] [--confirm SECONDS] [--force]\n"
	"\n"
	"Make the host match the configuration file CONFIG (YAML, docs/config.md):\n"
	"attach the interfaces it names that are not attached, update those whose\n"
	"rules changed (atomically, counters of unchanged rules kept), replace\n"
	"those whose options fixed at attach changed, detach those that apply\n"
	"attached and CONFIG no longer names.  Interfaces attached by hand are\n"
	"left alone unless CONFIG names them (apply then adopts them).  A second\n"
	"apply of the same CONFIG changes nothing.  An invalid CONFIG changes\n"
	"nothing anywhere; a failure part-way undoes what this apply changed.\n"
	"\n"
	"Options:\n"
	"      --dry-run       print the plan and change nothing\n"
	"      --confirm SECONDS  roll the change back after SECONDS (1..86400)\n"
	"                      unless 'naclemu confirm' runs before, even if apply\n"
	"                      is killed (a watchdog process does it)\n"
	"      --force         skip the lock-out guard: in an SSH session\n"
	"                      (SSH_CONNECTION), apply refuses a configuration\n"
	"                      that would deny the session's packets\n"
	"  -v, --verbose       show libbpf messages and the verifier log\n"
	"\n"
	"Exit status: 0 applied (or nothing to do), 1 invalid configuration (or\n"
	"refused by the lock-out guard, or another --confirm pending),\n"
	"2 system failure (not root, no such namespace or interface, BPF refused).\n"
	"\n"
	"Example:\n"
	"  naclemu apply --dry-run /etc/naclemu/naclemu.yaml\n";

/* struct apply_req - what `apply` asks for. */
struct apply_req {
	const char *config;
	bool dry_run;
	bool force;
	unsigned int confirm; /* --confirm SECONDS, 0 = none */
};

#define APPLY_OPT_DRY_RUN 0x120
#define APPLY_OPT_FORCE 0x121
#define APPLY_OPT_CONFIRM 0x122

static int apply_parse(int argc, char **argv, struct apply_req *req)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, APPLY_OPT_DRY_RUN },
		{ "force", no_argument, NULL, APPLY_OPT_FORCE },
		{ "confirm", required_argument, NULL, APPLY_OPT_CONFIRM },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	memset(req, 0, sizeof(*req));
	optind = 1;
	while ((c = cli_getopt("apply", argc, argv, "vh", opts)) != CLI_OPT_END) {
		switch (c) {
		case APPLY_OPT_DRY_RUN: req->dry_run = true; break;
		case APPLY_OPT_FORCE: req->force = true; break;
		case APPLY_OPT_CONFIRM:
			if (nacl_parse_u32(optarg, DEPLOY_CONFIRM_MAX, &req->confirm) || !req->confirm)
				return nacl_usage_error("apply", "--confirm wants seconds, 1..%d, not '%s'",
							DEPLOY_CONFIRM_MAX, optarg);
			break;
		case 'v': nacl_verbose = 1; break;
		case 'h': fputs(apply_usage, stdout); return -1;
		default: return NACL_EXIT_INVALID;
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("apply", "expected one CONFIG file");
	req->config = argv[optind];
	return NACL_EXIT_OK;
}

/* The marks of terraform plan. */
static const char *action_mark(enum deploy_action a)
{
	switch (a) {
	case DEPLOY_ATTACH: return "+";
	case DEPLOY_UPDATE: return "~";
	case DEPLOY_REPLACE: return "-/+";
	case DEPLOY_ADOPT: return "~";
	case DEPLOY_DETACH: return "-";
	}
	return "?";
}

/* What an update changes in the verdicts: the regions of `naclemu diff`. */
static void render_rules_diff(const struct deploy_step *s)
{
	struct nacl_diff d = { 0 };

	if (!s->old_rs || !s->entry)
		return;
	if (nacl_diff(s->old_rs, s->entry->rs, &d)) {
		printf("      (the rules changed; their difference could not be computed)\n");
	} else if (!d.nregions) {
		printf("      the rules changed, no verdict does (renumbered or reordered)\n");
	} else {
		printf("      %zu region%s of traffic change verdict:\n", d.nregions,
		       d.nregions > 1 ? "s" : "");
		cli_diff_regions_text(&d);
	}
	nacl_diff_free(&d);
}

static void render_plan(const struct apply_req *req, const struct deploy_plan *plan)
{
	size_t count[DEPLOY_DETACH + 1] = { 0 };

	if (!plan->n) {
		printf("No changes. %zu interface%s match%s %s.\n", plan->unchanged,
		       plan->unchanged == 1 ? "" : "s", plan->unchanged == 1 ? "es" : "",
		       req->config);
		return;
	}
	printf("naclemu apply %s: the plan\n\n", req->config);
	for (size_t i = 0; i < plan->n; i++) {
		const struct deploy_step *s = &plan->steps[i];

		count[s->action]++;
		printf("  %-3s %-7s %s (netns %s)", action_mark(s->action),
		       deploy_action_name(s->action), s->target.ifname,
		       dp_netns_label(s->target.netns));
		if (s->entry)
			printf(": %s, entry %s", s->entry->rules_path, s->entry->name);
		else if (s->before.attached)
			printf(": was %s", s->before.meta.path);
		printf("\n");
		if (s->why[0])
			printf("      %s\n", s->why);
		if (s->action == DEPLOY_UPDATE)
			render_rules_diff(s);
	}
	printf("\nPlan: %zu to attach, %zu to update, %zu to replace, %zu to adopt, %zu to "
	       "detach; %zu unchanged.\n",
	       count[DEPLOY_ATTACH], count[DEPLOY_UPDATE], count[DEPLOY_REPLACE],
	       count[DEPLOY_ADOPT], count[DEPLOY_DETACH], plan->unchanged);
}

int cmd_apply(int argc, char **argv)
{
	struct deploy_config cfg;
	struct deploy_plan plan = { 0 };
	struct deploy_result res;
	struct apply_req req;
	char err[NACL_MSG_LEN];
	const struct nacl_session *session;
	struct nacl_session session_buf;
	struct deploy_confirm confirm;
	char pending[PATH_MAX];
	struct dp_error e;
	int exit, lock_fd = -1;

	exit = apply_parse(argc, argv, &req);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	if ((exit = cli_session("apply", req.force, &session_buf, &session)))
		return exit;
	/* The configuration first: an invalid one is reported before "not root". */
	if (deploy_config_load(req.config, &cfg, err)) {
		pr_err("%s", err);
		deploy_config_free(&cfg);
		return NACL_EXIT_INVALID;
	}
	for (size_t i = 0; i < cfg.nwarnings; i++)
		pr_warn("%s", cfg.warnings[i]);
	exit = cli_need_root("apply");
	/* One apply at a time: the plan stays true while it runs. */
	if (!exit && dp_apply_lock(&lock_fd, &e)) {
		pr_err("%s", e.msg);
		exit = e.exit;
	}
	if (!exit && (exit = deploy_plan_build(&cfg, DEPLOY_PLAN_ALL, &plan, &e)))
		pr_err("%s", e.msg);
	if (!exit)
		render_plan(&req, &plan);
	/* The lock-out guard, before anything changes (with --dry-run too). */
	if (!exit && (exit = deploy_plan_guard(&plan, session, &e)))
		pr_err("%s", e.msg);
	/* A watchdog waiting for its confirm would undo this apply: not meanwhile. */
	if (!exit && !req.dry_run && plan.n && !req.confirm &&
	    deploy_confirm_pending(pending, sizeof(pending))) {
		pr_err("the apply of %s waits for 'naclemu confirm': confirm it, or let it roll "
		       "back, before applying again", pending[0] ? pending : "?");
		exit = NACL_EXIT_INVALID;
	}
	if (!exit && !req.dry_run && plan.n && req.confirm &&
	    (exit = deploy_confirm_arm(&plan, req.config, req.confirm, &confirm, &e)))
		pr_err("%s", e.msg);
	if (!exit && !req.dry_run && plan.n) {
		exit = deploy_apply(&plan, &res, &e);
		if (!exit) {
			printf("\nApply complete: %zu change%s.\n", res.done, res.done == 1 ? "" : "s");
			if (req.confirm)
				printf("Run 'naclemu confirm' within %u seconds to keep it; otherwise "
				       "the state before this apply comes back.\n", req.confirm);
		} else {
			/* Rolled back here: nothing for the watchdog; else it tries again. */
			if (req.confirm && res.rolled_back)
				deploy_confirm_cancel(&confirm);
			else if (req.confirm)
				pr_err("the watchdog restores the state before this apply in %u seconds",
				       req.confirm);
			pr_err("apply failed at %s %s (netns %s): %s", deploy_action_name(
				       plan.steps[res.failed].action),
			       plan.steps[res.failed].target.ifname,
			       dp_netns_label(plan.steps[res.failed].target.netns), e.msg);
			if (res.rolled_back)
				pr_err("rolled back: the %zu step%s done before %s undone; the host is "
				       "as before the apply", res.done, res.done == 1 ? "" : "s",
				       res.done == 1 ? "is" : "are");
			else
				pr_err("the rollback failed too: %s; see 'naclemu status'",
				       res.rollback_error);
		}
	}
	deploy_plan_free(&plan);
	dp_unlock(lock_fd);
	deploy_config_free(&cfg);
	return exit;
}
