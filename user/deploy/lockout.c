// SPDX-License-Identifier: MIT
/*
 * lockout.c - the SSH guard of a plan, and `apply --confirm` with its
 * watchdog (lockout.h, docs/deployment.md).
 *
 * A pending confirm is a file DEPLOY_CONFIRM_DIR/pending.NONCE (text:
 * config=, deadline=, steps=).  Whoever removes it first decides: `naclemu
 * confirm` unlinks it (the new state stays), the watchdog renames it to
 * restoring.NONCE at the deadline (the state before comes back).  Both are
 * one system call on one name, so exactly one of them wins.  The watchdog
 * holds the snapshots in its memory (it is a fork of the apply that took
 * them), so the record need not carry them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "analysis/eval.h"
#include "deploy/lockout.h"
#include "output/log.h"

#define CONFIRM_POLL_US 100000 /* the watchdog looks for its record this often */

static int lfail(struct dp_error *e, int exit, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int lfail(struct dp_error *e, int exit, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->exit = exit;
	e->err = err;
	return exit;
}

/* ---- the SSH guard of a plan ---------------------------------------------- */

int deploy_plan_guard(const struct deploy_plan *plan, const struct nacl_session *s,
		      struct dp_error *e)
{
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; s && i < plan->n; i++) {
		const struct deploy_step *st = &plan->steps[i];
		const struct deploy_entry *en = st->entry;
		struct nacl_extra x;
		char msg[NACL_MSG_LEN];

		if (!en || st->action == DEPLOY_DETACH || st->action == DEPLOY_ADOPT)
			continue;
		x = (struct nacl_extra){ en->exempt, en->nexempt, en->subnet,
					 en->nsubnet, en->vpc,	  en->nvpc };
		if (!dp_guard_check(&st->target, en->rs, &x, s, e))
			continue;
		if (e->exit == NACL_EXIT_INVALID) {
			snprintf(msg, sizeof(msg), "%s", e->msg);
			snprintf(e->msg, sizeof(e->msg), "entry %s (%s): %s", en->name, en->rules_path,
				 msg);
		}
		return e->exit;
	}
	return NACL_EXIT_OK;
}

/* ---- the records ------------------------------------------------------------ */

/* DEPLOY_CONFIRM_DIR, made when missing (0700), opened without following a link. */
static int confirm_dir(bool create)
{
	int fd;

	if (create) {
		if (mkdir("/run/naclemu", 0700) && errno != EEXIST)
			return -errno;
		if (mkdir(DEPLOY_CONFIRM_DIR, 0700) && errno != EEXIST)
			return -errno;
	}
	fd = open(DEPLOY_CONFIRM_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Write @text as @name in @dfd: a temporary name, then rename (whole or not at all). */
static int write_record(int dfd, const char *name, const char *text)
{
	char tmp[96];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	unlinkat(dfd, tmp, 0); /* a temporary file a killed writer left */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && renameat(dfd, tmp, dfd, name))
		err = -errno;
	if (err)
		unlinkat(dfd, tmp, 0);
	return err;
}

/* Read the small record @name of @dfd into @buf (NUL-terminated). */
static int read_record(int dfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* The value of "KEY=" in a record, into @out. */
static void record_get(const char *rec, const char *key, char *out, size_t len)
{
	const char *p = rec;
	size_t k = strlen(key);

	out[0] = 0;
	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, k) && p[k] == '=') {
			size_t n = strcspn(p + k + 1, "\n");

			snprintf(out, len, "%.*s", (int)n, p + k + 1);
			return;
		}
	}
}

/* The first record of @dfd named PREFIX* into @name ("" when none).  0 or -errno. */
static int find_record(int dfd, const char *prefix, char *name, size_t len)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	name[0] = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			snprintf(name, len, "%s", de->d_name);
			break;
		}
	closedir(d);
	return 0;
}

/*
 * Whether the watchdog of record @name still lives: it holds an exclusive
 * flock on the record for its whole life, so a lock we can take means it
 * is gone (killed: SIGKILL, the OOM killer, its cgroup stopped).
 */
static bool record_alive(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	bool alive;

	if (fd < 0)
		return errno != ENOENT; /* gone meanwhile: decided by someone alive */
	alive = flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

/* ---- the watchdog ------------------------------------------------------------- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The watchdog's life.  @ready: a pipe to the apply, one byte once the
 * watchdog holds its record's lock (then closed).  It waits for the apply
 * to end (the apply lock free: done, failed or killed), then SECONDS for
 * the record to go; at the deadline it takes the record and restores.
 * Never returns.
 */
static void __attribute__((noreturn))
watchdog(const struct deploy_plan *plan, int dfd, int ready, const char *name,
	 unsigned int seconds, const char *config)
{
	char claimed[96], line[512], when[32], msg[1024];
	double deadline;
	struct dp_error e;
	size_t failed = 0;
	time_t t;
	int lock_fd = -1, rec_fd;

	/* Alive for as long as this lock is held (record_alive()). */
	rec_fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (rec_fd < 0 || flock(rec_fd, LOCK_EX | LOCK_NB))
		_exit(2);
	if (write(ready, "1", 1) != 1)
		_exit(2);
	close(ready);
	/* The countdown starts when the apply is over, not while it works. */
	while (dp_apply_lock(&lock_fd, &e)) {
		if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) && errno == ENOENT)
			_exit(0);
		sleep(1);
	}
	dp_unlock(lock_fd);
	lock_fd = -1;
	deadline = mono_s() + seconds;
	while (mono_s() < deadline) {
		if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) && errno == ENOENT)
			_exit(0); /* confirmed, or the apply cancelled it */
		usleep(CONFIRM_POLL_US);
	}
	snprintf(claimed, sizeof(claimed), "restoring.%s", name + 8);
	if (renameat(dfd, name, dfd, claimed))
		_exit(0); /* confirmed at the last moment */
	openlog("naclemu", LOG_PID, LOG_DAEMON);
	/* Another apply may run now: wait for it, for ever if need be. */
	while (dp_apply_lock(&lock_fd, &e))
		sleep(1);
	line[0] = 0;
	for (size_t k = plan->n; k-- > 0;) {
		if (!deploy_snapshot_restore(&plan->steps[k].before, &e))
			continue;
		if (!failed++)
			snprintf(line, sizeof(line), "; %s (netns %s): %s",
				 plan->steps[k].target.ifname,
				 dp_netns_label(plan->steps[k].target.netns), e.msg);
	}
	dp_unlock(lock_fd);
	t = time(NULL);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(msg, sizeof(msg),
		 "at %s, no confirm within %u s of the apply of %s: %s the state before it "
		 "(%zu interface%s)%s",
		 when, seconds, config, failed ? "could not fully restore" : "restored", plan->n,
		 plan->n == 1 ? "" : "s", line);
	syslog(failed ? LOG_ERR : LOG_WARNING, "confirm: %s", msg);
	write_record(dfd, "last", msg);
	unlinkat(dfd, claimed, 0);
	_exit(failed ? 2 : 0);
}

/*
 * A pending record other than ours: its config into @abs, and whether its
 * watchdog lives.  A dead one's record is removed (nothing would ever roll
 * it back) and reported in @e's message by the caller.
 */
static int pending_other(int dfd, char *other, size_t olen, char *abs, size_t alen, bool *alive)
{
	char rec[PATH_MAX + 128];
	int ret = find_record(dfd, "pending.", other, olen);

	*alive = false;
	abs[0] = 0;
	if (ret || !other[0])
		return ret;
	read_record(dfd, other, rec, sizeof(rec));
	record_get(rec, "config", abs, alen);
	*alive = record_alive(dfd, other);
	if (!*alive)
		unlinkat(dfd, other, 0);
	return 0;
}

int deploy_confirm_arm(const struct deploy_plan *plan, const char *config, unsigned int seconds,
		       struct deploy_confirm *c, struct dp_error *e)
{
	char other[64], rec[PATH_MAX + 128], abs[PATH_MAX], byte;
	unsigned long long nonce;
	int dfd, ret, status, ready[2];
	bool alive;
	pid_t pid;

	memset(e, 0, sizeof(*e));
	memset(c, 0, sizeof(*c));
	dfd = confirm_dir(true);
	if (dfd < 0)
		return lfail(e, NACL_EXIT_SYSTEM, dfd, "cannot open %s: %s", DEPLOY_CONFIRM_DIR,
			     strerror(-dfd));
	ret = pending_other(dfd, other, sizeof(other), abs, sizeof(abs), &alive);
	if (!ret && other[0] && alive) {
		close(dfd);
		return lfail(e, NACL_EXIT_INVALID, -EBUSY,
			     "the apply of %s waits for 'naclemu confirm' (%s/%s): confirm it, "
			     "or let it roll back, before another --confirm", abs[0] ? abs : "?",
			     DEPLOY_CONFIRM_DIR, other);
	}
	if (!ret && other[0])
		pr_warn("the confirm of the apply of %s had lost its watchdog (killed?): nothing "
			"rolled it back; its record is removed", abs[0] ? abs : "?");
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (unsigned long long)time(NULL) << 20 ^ (unsigned long long)getpid();
	snprintf(c->name, sizeof(c->name), "pending.%016llx", nonce);
	c->deadline = time(NULL) + seconds;
	if (!realpath(config, abs))
		snprintf(abs, sizeof(abs), "%s", config);
	snprintf(rec, sizeof(rec), "config=%s\ndeadline=%lld\nsteps=%zu\n", abs,
		 (long long)c->deadline, plan->n);
	ret = write_record(dfd, c->name, rec);
	if (!ret && pipe2(ready, O_CLOEXEC))
		ret = -errno;
	if (ret) {
		unlinkat(dfd, c->name, 0);
		close(dfd);
		return lfail(e, NACL_EXIT_SYSTEM, ret, "cannot write %s/%s: %s", DEPLOY_CONFIRM_DIR,
			     c->name, strerror(-ret));
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* A session of its own, then a grandchild: init adopts it. */
		setsid();
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? 1 : 0);
		/* Ours above 2 first: 0-2 may be what the caller closed, and dfd among them. */
		if (dup2(dfd, 3) < 0 || dup2(ready[1], 4) < 0)
			_exit(2);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0 && (null == 0 || dup2(null, 0) >= 0))
			dup2(0, 1), dup2(0, 2);
		/* Every other descriptor closed: not the apply lock, not a pipe of the caller's. */
		close_range(5, ~0U, 0);
		if (chdir("/"))
			_exit(2);
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		watchdog(plan, 3, 4, c->name, seconds, abs);
	}
	close(ready[1]);
	ret = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ret = pid < 0 ? -errno : -ECHILD;
	/* The grandchild says it holds its record's lock; EOF means it died first. */
	else if (read(ready[0], &byte, 1) != 1)
		ret = -ECHILD;
	close(ready[0]);
	if (ret) {
		unlinkat(dfd, c->name, 0);
		close(dfd);
		return lfail(e, NACL_EXIT_SYSTEM, ret, "cannot start the confirm watchdog: %s",
			     strerror(-ret));
	}
	close(dfd);
	return NACL_EXIT_OK;
}

void deploy_confirm_cancel(const struct deploy_confirm *c)
{
	int dfd = confirm_dir(false);

	if (dfd < 0)
		return;
	unlinkat(dfd, c->name, 0);
	close(dfd);
}

bool deploy_confirm_pending(char *config, size_t len)
{
	char other[64];
	bool alive;
	int dfd = confirm_dir(false);

	config[0] = 0;
	if (dfd < 0)
		return false;
	if (pending_other(dfd, other, sizeof(other), config, len, &alive) || !other[0])
		alive = false;
	close(dfd);
	return alive;
}

int deploy_confirm(struct deploy_confirmed *r, struct dp_error *e)
{
	char name[64], rec[PATH_MAX + 128], v[32];
	int dfd, ret;

	memset(r, 0, sizeof(*r));
	memset(e, 0, sizeof(*e));
	dfd = confirm_dir(false);
	if (dfd == -ENOENT)
		return lfail(e, NACL_EXIT_INVALID, -ENOENT, "no apply waits for a confirm");
	if (dfd < 0)
		return lfail(e, NACL_EXIT_SYSTEM, dfd, "cannot open %s: %s", DEPLOY_CONFIRM_DIR,
			     strerror(-dfd));
	for (;;) {
		ret = find_record(dfd, "pending.", name, sizeof(name));
		if (ret || !name[0])
			break;
		read_record(dfd, name, rec, sizeof(rec));
		if (!record_alive(dfd, name)) {
			unlinkat(dfd, name, 0);
			record_get(rec, "config", r->config, sizeof(r->config));
			close(dfd);
			return lfail(e, NACL_EXIT_SYSTEM, -ESRCH,
				     "the watchdog of the apply of %s is gone (killed?): nothing "
				     "will roll it back, and its record is removed",
				     r->config[0] ? r->config : "?");
		}
		/* The unlink decides: it fails when the watchdog took the record first. */
		if (unlinkat(dfd, name, 0)) {
			if (errno == ENOENT)
				continue;
			ret = -errno;
			break;
		}
		r->confirmed = true;
		record_get(rec, "config", r->config, sizeof(r->config));
		record_get(rec, "deadline", v, sizeof(v));
		r->deadline = (time_t)strtoll(v, NULL, 10);
		break;
	}
	if (!r->confirmed && !ret && !find_record(dfd, "restoring.", name, sizeof(name)) &&
	    name[0]) {
		read_record(dfd, name, rec, sizeof(rec));
		record_get(rec, "config", r->config, sizeof(r->config));
		close(dfd);
		return lfail(e, NACL_EXIT_INVALID, -EALREADY,
			     "too late: the apply of %s is being rolled back now",
			     r->config[0] ? r->config : "?");
	}
	if (!r->confirmed)
		read_record(dfd, "last", r->last, sizeof(r->last));
	close(dfd);
	if (ret)
		return lfail(e, NACL_EXIT_SYSTEM, ret, "cannot read %s: %s", DEPLOY_CONFIRM_DIR,
			     strerror(-ret));
	if (!r->confirmed)
		return lfail(e, NACL_EXIT_INVALID, -ENOENT, "no apply waits for a confirm%s%s",
			     r->last[0] ? "; the last one: " : "", r->last);
	return NACL_EXIT_OK;
}
