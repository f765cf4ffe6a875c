// SPDX-License-Identifier: MIT
/*
 * daemon.c - `naclemu daemon` (daemon.h, docs/deployment.md).  One thread:
 * a poll loop over a signalfd, the exporter's descriptor and the watch of
 * interfaces and namespaces (datapath/watch.h), so that the datapath
 * library is never entered twice at once.  The flow log writer, a loop of
 * its own (output/flowlog_run.h), runs in a child process.
 */
#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "datapath/datapath.h"
#include "datapath/watch.h"
#include "deploy/config.h"
#include "deploy/daemon.h"
#include "deploy/plan.h"
#include "output/exporter.h"
#include "output/flowlog_run.h"
#include "output/prometheus.h"

#define DAEMON_GATHER_S 0.1       /* a burst of changes, gathered before converging */
#define DAEMON_TICK_MS 100        /* the loop wakes at least this often */
#define DAEMON_TEXTFILE_S 15.0    /* metrics textfile rewritten this often */
#define DAEMON_BACKOFF_MIN_S 1.0  /* a failed step retried after this, doubling */
#define DAEMON_BACKOFF_MAX_S 30.0

struct daemon {
	const char *path;
	struct deploy_config cfg;
	struct dp_watch *w;
	struct exporter *ex;
	char listen[128];  /* what @ex listens on */
	pid_t flowlog;     /* the flow log writer, 0 when none */
	sigset_t oldmask;  /* for the child */
	int sfd;           /* the signalfd */
	bool dirty;        /* something changed: converge at @dirty_at */
	double dirty_at;
	double retry_at;   /* a step failed: converge again then (0: no) */
	double backoff;
	double textfile_at;
};

/* One line of what the daemon did or could not do, for journald. */
static void dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dlog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("naclemu: daemon: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void mark_dirty(struct daemon *d)
{
	if (!d->dirty) {
		d->dirty = true;
		d->dirty_at = now_s() + DAEMON_GATHER_S;
	}
}

/* ---- the metrics textfile and the flow log writer ------------------------ */

static void write_textfile(struct daemon *d)
{
	const char *what;
	char *buf = NULL;
	size_t len;
	int err;

	d->textfile_at = now_s() + DAEMON_TEXTFILE_S;
	if (!d->cfg.metrics_textfile)
		return;
	err = prom_text(&buf, &len, NULL);
	if (!err)
		err = prom_textfile_write(d->cfg.metrics_textfile, buf, len, &what);
	else
		what = "read the counters for";
	if (err)
		dlog("metrics: cannot %s %s/naclemu.prom: %s", what, d->cfg.metrics_textfile,
		     strerror(-err));
	free(buf);
}

static bool any_flow_log(const struct deploy_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (cfg->entries[i].flow_log)
			return true;
	return false;
}

/* Start the flow log writer when the configuration asks and it is not running. */
static void flowlog_ensure(struct daemon *d)
{
	struct flowlog_req r = { 0 };
	char err[FLOWLOG_ERR_LEN];
	pid_t pid;

	if (d->flowlog || !d->cfg.flowlog_output || !any_flow_log(&d->cfg))
		return;
	r.interval = d->cfg.flowlog_interval;
	r.output = strcmp(d->cfg.flowlog_output, "-") ? d->cfg.flowlog_output : NULL;
	flowlog_spec_init(&r.spec);
	if (d->cfg.flowlog_format && flowlog_spec_format(&r.spec, d->cfg.flowlog_format, err)) {
		dlog("flow-log.format: %s", err);
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		dlog("cannot start the flow log writer: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		/* Not the daemon's: its listening socket, signalfd, watch; and no orphan. */
		exporter_stop(d->ex);
		dp_watch_close(d->w);
		close(d->sfd);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
		_exit(flowlog_run(&r));
	}
	d->flowlog = pid;
	dlog("flow log: writing every %u s to %s (pid %d)", r.interval,
	     r.output ? r.output : "standard output", (int)pid);
}

static void flowlog_stop(struct daemon *d)
{
	if (!d->flowlog)
		return;
	kill(d->flowlog, SIGTERM);
	waitpid(d->flowlog, NULL, 0);
	d->flowlog = 0;
}

/* ---- converging ------------------------------------------------------------ */

static void schedule_retry(struct daemon *d)
{
	d->backoff = d->backoff ? d->backoff * 2 : DAEMON_BACKOFF_MIN_S;
	if (d->backoff > DAEMON_BACKOFF_MAX_S)
		d->backoff = DAEMON_BACKOFF_MAX_S;
	d->retry_at = now_s() + d->backoff;
}

/* One step as a plan of its own: a failure undoes that step, not the others. */
static bool run_step(struct deploy_plan *plan, size_t i)
{
	struct deploy_step *s = &plan->steps[i];
	struct deploy_plan one = { .cfg = plan->cfg, .steps = s, .n = 1 };
	struct deploy_result res;
	struct dp_error e;

	if (deploy_apply(&one, &res, &e)) {
		dlog("%s %s (netns %s) failed: %s", deploy_action_name(s->action),
		     s->target.ifname, dp_netns_label(s->target.netns), e.msg);
		return false;
	}
	if (s->entry)
		dlog("%s %s (netns %s): %s, entry %s%s%s", deploy_action_name(s->action),
		     s->target.ifname, dp_netns_label(s->target.netns), s->entry->rules_path,
		     s->entry->name, s->why[0] ? "; " : "", s->why);
	else
		dlog("%s %s (netns %s)", deploy_action_name(s->action), s->target.ifname,
		     dp_netns_label(s->target.netns));
	return true;
}

static void converge(struct daemon *d)
{
	struct deploy_plan plan = { 0 };
	struct dp_error e;
	size_t failed = 0;
	int lock_fd = -1;

	d->dirty = false;
	d->retry_at = 0;
	if (dp_apply_lock(&lock_fd, &e)) {
		dlog("%s", e.msg);
		schedule_retry(d);
		return;
	}
	if (deploy_plan_build(&d->cfg, DEPLOY_PLAN_PRESENT, &plan, &e)) {
		dlog("cannot plan: %s", e.msg);
		failed = 1;
	}
	for (size_t i = 0; i < plan.n; i++)
		failed += !run_step(&plan, i);
	deploy_plan_free(&plan);
	dp_unlock(lock_fd);
	if (failed)
		schedule_retry(d);
	else
		d->backoff = 0;
	write_textfile(d);
	flowlog_ensure(d);
}

/* An interface went: detach it if the daemon manages it (its pins would stay). */
static void link_gone(struct daemon *d, const struct dp_watch_event *ev)
{
	struct dp_detached det;
	struct dp_target t;
	struct dp_state st;
	struct dp_error e;
	bool managed;
	int lock_fd = -1;

	if (dp_target_init(&t, ev->netns[0] ? ev->netns : NULL, ev->ifname, &e) ||
	    dp_state_open(&t, &st, &e))
		return; /* not attached, or not ours to judge */
	managed = st.meta.head.flags & NACLEMU_META_MANAGED;
	dp_state_close(&st);
	if (!managed)
		return;
	if (dp_apply_lock(&lock_fd, &e)) {
		/* The next convergence detaches it: managed, and no longer there. */
		dlog("detach %s (netns %s), gone, waits: %s", t.ifname, dp_netns_label(t.netns),
		     e.msg);
		mark_dirty(d);
		return;
	}
	if (dp_detach(&t, &det, &e))
		dlog("detach %s (netns %s), gone, failed: %s", t.ifname, dp_netns_label(t.netns),
		     e.msg);
	else
		dlog("detach %s (netns %s): the interface is gone", t.ifname,
		     dp_netns_label(t.netns));
	dp_unlock(lock_fd);
}

/* Whether @ev may change what the configuration names. */
static bool relevant(const struct daemon *d, const struct dp_watch_event *ev)
{
	for (size_t i = 0; i < d->cfg.n; i++) {
		const struct deploy_entry *en = &d->cfg.entries[i];

		if (ev->kind == DP_WATCH_NETNS_NEW && en->netns && !strcmp(en->netns, ev->netns))
			return true;
		if (ev->kind != DP_WATCH_LINK_NEW)
			continue;
		for (size_t k = 0; k < en->nifaces; k++)
			if (!fnmatch(en->ifaces[k], ev->ifname, 0))
				return true;
	}
	/* A namespace gone: what was attached in it is detached by converging. */
	return ev->kind == DP_WATCH_RESYNC || ev->kind == DP_WATCH_NETNS_DEL;
}

static void watch_drain(struct daemon *d)
{
	struct dp_watch_event ev;

	while (dp_watch_next(d->w, 0, &ev) == 1) {
		if (ev.kind == DP_WATCH_LINK_DEL)
			link_gone(d, &ev);
		else if (relevant(d, &ev))
			mark_dirty(d);
	}
}

/* Watch the named namespaces the configuration names (they may come later). */
static void watch_entries(struct daemon *d)
{
	for (size_t i = 0; i < d->cfg.n; i++) {
		const char *ns = d->cfg.entries[i].netns;

		if (ns && !strchr(ns, '/') && strncmp(ns, "net:[", 5))
			dp_watch_add(d->w, ns);
	}
}

/* ---- configuration and signals -------------------------------------------- */

static int exporter_sync(struct daemon *d)
{
	const char *want = d->cfg.exporter_listen;
	char err[NACL_MSG_LEN];

	struct exporter *ex = NULL;

	if (d->ex && want && !strcmp(want, d->listen))
		return 0;
	/* The new one first: when it cannot start, the old one keeps serving. */
	if (want && exporter_start(want, &ex, err)) {
		dlog("exporter: %s%s", err, d->ex ? "; still serving the address before" : "");
		return -1;
	}
	exporter_stop(d->ex);
	d->ex = ex;
	d->listen[0] = 0;
	if (!want)
		return 0;
	snprintf(d->listen, sizeof(d->listen), "%s", want);
	dlog("exporter: serving metrics at http://%s/metrics", want);
	return 0;
}

static void reload(struct daemon *d)
{
	struct deploy_config cfg;
	char err[NACL_MSG_LEN];

	if (deploy_config_load(d->path, &cfg, err)) {
		dlog("reload: %s; keeping the configuration loaded before", err);
		deploy_config_free(&cfg);
		return;
	}
	deploy_config_free(&d->cfg);
	d->cfg = cfg;
	for (size_t i = 0; i < cfg.nwarnings; i++)
		dlog("%s", cfg.warnings[i]);
	dlog("reloaded %s: %zu entr%s", d->path, cfg.n, cfg.n == 1 ? "y" : "ies");
	watch_entries(d);
	exporter_sync(d);
	/* The writer reopens its output on SIGHUP, and takes a new format by restart. */
	flowlog_stop(d);
	d->backoff = 0;
	converge(d);
}

/* Returns false when the daemon is to stop. */
static bool signals(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;
	bool run = true;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			break;
		case SIGCHLD:
			if (d->flowlog && waitpid(d->flowlog, NULL, WNOHANG) == d->flowlog) {
				dlog("flow log writer (pid %d) ended; started again after a while",
				     (int)d->flowlog);
				d->flowlog = 0;
				schedule_retry(d); /* converging starts it again, with the back-off */
			}
			break;
		default:
			run = false;
		}
	}
	return run;
}

int deploy_daemon(const struct daemon_req *req)
{
	struct daemon d = { .path = req->config };
	char err[NACL_MSG_LEN];
	struct pollfd pfd[2];
	sigset_t sigs;
	int sfd, ret, exit = NACL_EXIT_OK;

	if (deploy_config_load(req->config, &d.cfg, err)) {
		pr_err("%s", err);
		deploy_config_free(&d.cfg);
		return NACL_EXIT_INVALID;
	}
	for (size_t i = 0; i < d.cfg.nwarnings; i++)
		pr_warn("%s", d.cfg.warnings[i]);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, &d.oldmask);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	d.sfd = sfd;
	ret = sfd < 0 ? -errno : dp_watch_open(true, &d.w);
	if (ret) {
		pr_err("cannot watch the interfaces and namespaces: %s", strerror(-ret));
		exit = NACL_EXIT_SYSTEM;
		goto out;
	}
	if (exporter_sync(&d)) {
		exit = NACL_EXIT_SYSTEM;
		goto out;
	}
	watch_entries(&d);
	dlog("started: %s, %zu entr%s", d.path, d.cfg.n, d.cfg.n == 1 ? "y" : "ies");
	converge(&d);
	for (;;) {
		double now;

		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = d.ex ? exporter_fd(d.ex) : -1, .events = POLLIN };
		if (poll(pfd, 2, DAEMON_TICK_MS) < 0 && errno != EINTR) {
			dlog("poll: %s", strerror(errno));
			exit = NACL_EXIT_SYSTEM;
			break;
		}
		if ((pfd[0].revents & POLLIN) && !signals(&d, sfd))
			break;
		if (d.ex)
			exporter_run(d.ex);
		watch_drain(&d);
		now = now_s();
		if ((d.dirty && now >= d.dirty_at) || (d.retry_at && now >= d.retry_at))
			converge(&d);
		else if (now >= d.textfile_at)
			write_textfile(&d);
	}
	dlog("stopping; what is attached stays attached");
out:
	flowlog_stop(&d);
	exporter_stop(d.ex);
	dp_watch_close(d.w);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &d.oldmask, NULL);
	deploy_config_free(&d.cfg);
	return exit;
}
