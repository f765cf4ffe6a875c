// SPDX-License-Identifier: MIT
/*
 * flowlog_run.c - `naclemu flowlog`'s loop (flowlog_run.h).
 *
 * A window of an interface runs from one swap of its flow table to the
 * next (dp_flows_take()): the first swap, when the interface is first
 * seen, discards what the table held (its start is unknown), and each
 * later one hands over exactly the window's flows.  The interfaces are
 * visited under their shared lock (dp_for_each_attached()); records are
 * written after the visit, so that a slow reader of the output never
 * holds an interface's lock.  An interface attached again (a new flow
 * table map) starts a new first window.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "datapath/datapath.h"
#include "output/flowlog_run.h"
#include "output/log.h"

static volatile sig_atomic_t stop_signal, hup_signal;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_signal = 1;
	else
		stop_signal = sig;
}

/* SIGINT and SIGTERM end the run, SIGHUP reopens the output; no SA_RESTART. */
static void signals_catch(void)
{
	struct sigaction sa = {};

	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* One interface being logged. */
struct fl_iface {
	struct dp_target t;
	int lock_fd;      /* dp_flows_lock(): one reader per table */
	__u32 flows_id;   /* the outer map's id: a re-attach makes a new one */
	__u64 lost;       /* the flows lost counter at the window's start */
	__s64 start;      /* the window's start, Unix seconds */
	bool seen;        /* visited in this round */
	bool warned;      /* said once why it is skipped */
	struct flowlog_records rec; /* this round's, written after the visit */
};

struct fl_run {
	const struct flowlog_req *req;
	struct fl_iface **f;
	size_t n;
	bool closing; /* this round closes windows (the first one only opens) */
	int exit;     /* a fatal error met in the visit */
};

static __s64 realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* CLOCK_REALTIME minus CLOCK_MONOTONIC (the flow table's clock), ns. */
static __s64 mono_offset(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((__s64)r.tv_sec - m.tv_sec) * 1000000000 + (r.tv_nsec - m.tv_nsec);
}

static struct fl_iface *iface_find(struct fl_run *r, const struct dp_target *t)
{
	struct fl_iface *f, **grown;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->f[i]->t.dir, t->dir))
			return r->f[i];
	f = calloc(1, sizeof(*f));
	grown = f ? realloc(r->f, (r->n + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(f);
		return NULL;
	}
	r->f = grown;
	f->t = *t;
	f->lock_fd = -1;
	r->f[r->n++] = f;
	return f;
}

static void iface_free(struct fl_iface *f)
{
	if (f->lock_fd >= 0)
		close(f->lock_fd);
	flowlog_records_free(&f->rec);
	free(f);
}

/* A fatal error with -i, a warning (once) without. */
static int iface_problem(struct fl_run *r, struct fl_iface *f, int exit, const char *msg)
{
	if (r->req->ifname) {
		pr_err("%s", msg);
		r->exit = exit;
		return 1;
	}
	if (!f->warned)
		pr_warn("%s; not logged", msg);
	f->warned = true;
	return 0;
}

/*
 * Take @f's table: open a new window when @f is new or was attached again
 * (the table's content is discarded), else close the window under way
 * into @f->rec.
 */
static int iface_take(struct fl_run *r, struct fl_iface *f, struct dp_state *st, int flows_fd)
{
	struct flowlog_table prev = { .lost = f->lost }, cur = {};
	struct flowlog_flow *flows = NULL;
	struct flowlog_window w;
	__u32 id = dp_obj_id(flows_fd);
	bool fresh = id != f->flows_id;
	char msg[NACL_MSG_LEN];
	size_t n = 0;
	int ret;

	if (fresh && f->lock_fd >= 0) {
		close(f->lock_fd); /* the old folder's */
		f->lock_fd = -1;
	}
	if (f->lock_fd < 0) {
		f->lock_fd = dp_flows_lock(st);
		if (f->lock_fd < 0) {
			snprintf(msg, sizeof(msg),
				 f->lock_fd == -EBUSY ?
					 "another 'naclemu flowlog' reads the flow log of %s%s" :
					 "cannot lock the flow log of %s%s",
				 f->t.ifname, f->lock_fd == -EBUSY ? " (one reader at a time)" : "");
			return iface_problem(r, f, NACL_EXIT_SYSTEM, msg);
		}
	}
	ret = dp_flows_take(flows_fd, st->meta.flow_entries, &flows, &n);
	cur.flow = flows;
	cur.n = n;
	cur.lost = dp_slot_count(st, NACLEMU_SLOT_FLOWS_LOST).packets;
	w.end = realtime_s();
	w.start = fresh ? w.end : f->start;
	w.offset_ns = mono_offset();
	if (ret) {
		free(flows);
		snprintf(msg, sizeof(msg), "cannot read the flow table of %s: %s", f->t.ifname,
			 strerror(-ret));
		return iface_problem(r, f, NACL_EXIT_SYSTEM, msg);
	}
	if (!fresh && r->closing)
		ret = flowlog_window_build(&prev, &cur, &w, &f->rec);
	free(flows);
	if (ret) {
		pr_err("cannot build the flow log records of %s: %s", f->t.ifname, strerror(-ret));
		r->exit = NACL_EXIT_SYSTEM;
		return 1;
	}
	f->flows_id = id;
	f->lost = cur.lost;
	f->start = w.end;
	return 0;
}

/* dp_for_each_attached()'s visitor: one interface's window. */
static int visit(const struct dp_target *t, struct dp_state *st, const struct dp_error *e,
		 void *arg)
{
	struct fl_run *r = arg;
	struct fl_iface *f = iface_find(r, t);
	char msg[NACL_MSG_LEN];
	int fd, ret;

	if (!f) {
		pr_err("out of memory");
		r->exit = NACL_EXIT_SYSTEM;
		return 1;
	}
	f->seen = true;
	if (!st)
		return iface_problem(r, f, e->exit, e->msg);
	fd = dp_flows_get(st);
	if (fd == -ENOTSUP) {
		if (!r->req->ifname)
			return 0; /* logged only with --flow-log: not a problem */
		snprintf(msg, sizeof(msg),
			 "%s is attached without --flow-log: detach it and attach it with "
			 "--flow-log ('update' keeps the setting)",
			 t->ifname);
		return iface_problem(r, f, NACL_EXIT_INVALID, msg);
	}
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "the flow table of %s is not pinned in %s", t->ifname,
			 t->dir);
		return iface_problem(r, f, NACL_EXIT_SYSTEM, msg);
	}
	ret = iface_take(r, f, st, fd);
	close(fd);
	return ret;
}

/*
 * One round over the interfaces: close the windows under way (@closing)
 * and open those of interfaces seen for the first time; forget the
 * interfaces no longer attached.  Returns 0 or an exit status.
 */
static int round_take(struct fl_run *r, bool closing)
{
	size_t visited = 0, k = 0;
	int ret;

	r->closing = closing;
	for (size_t i = 0; i < r->n; i++)
		r->f[i]->seen = false;
	ret = dp_for_each_attached(r->req->netns, r->req->ifname, visit, r, &visited);
	if (r->exit)
		return r->exit;
	if (ret < 0) {
		pr_err("cannot list the attached interfaces in %s: %s", DP_PIN_ROOT,
		       strerror(-ret));
		return NACL_EXIT_SYSTEM;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (r->f[i]->seen)
			r->f[k++] = r->f[i];
		else
			iface_free(r->f[i]);
	}
	r->n = k;
	return 0;
}

/* How many interfaces are logged (their flow table read). */
static size_t logged(const struct fl_run *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->f[i]->lock_fd >= 0;
	return n;
}

/*
 * Write the records the round took; 0 or an exit status.  *@closed: the
 * reader of standard output went away (a pipe closed: the end, no error).
 */
static int round_write(struct fl_run *r, struct flowlog_out *o, bool *closed)
{
	int exit = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct fl_iface *f = r->f[i];

		errno = 0;
		if (f->rec.n && !exit && !*closed &&
		    flowlog_out_window(o, &r->req->spec, f->t.ifname, &f->rec)) {
			if (errno == EPIPE) {
				*closed = true;
			} else {
				pr_err("cannot write the flow log records to %s: %s",
				       o->path ? o->path : "standard output",
				       strerror(errno ? errno : EIO));
				exit = NACL_EXIT_SYSTEM;
			}
		}
		flowlog_records_free(&f->rec);
	}
	return exit;
}

/* Sleep until @deadline (CLOCK_MONOTONIC seconds) or a signal. */
static void wait_until(double deadline)
{
	struct timespec now, ts;
	double left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = deadline - ((double)now.tv_sec + now.tv_nsec / 1e9);
	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL); /* EINTR on a signal: the caller looks */
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int flowlog_run(const struct flowlog_req *req)
{
	struct fl_run r = { .req = req };
	struct flowlog_out o = {};
	double begin, next;
	bool closed = false;
	__u64 windows = 0;
	int exit, ret;

	signals_catch();
	ret = flowlog_out_open(&o, req->output, req->header);
	if (ret) {
		pr_err("cannot open %s for appending: %s", req->output, strerror(-ret));
		return NACL_EXIT_SYSTEM;
	}
	exit = round_take(&r, false);
	if (!exit && req->ifname && !r.n) {
		pr_err("%s is not attached in network namespace %s (see 'naclemu status')",
		       req->ifname, dp_netns_label(req->netns));
		exit = NACL_EXIT_INVALID;
	} else if (!exit && !logged(&r)) {
		pr_err("no interface%s%s is attached with --flow-log (see 'naclemu status')",
		       req->netns ? " of network namespace " : "", req->netns ? req->netns : "");
		exit = NACL_EXIT_INVALID;
	}
	if (!exit)
		fprintf(stderr, "naclemu: flow log of %zu interface%s, a window every %u s\n",
			logged(&r), logged(&r) == 1 ? "" : "s", req->interval);
	begin = next = mono_s();
	while (!exit) {
		bool last;

		next += req->interval;
		if (req->timeout > 0 && next > begin + req->timeout)
			next = begin + req->timeout;
		while (!stop_signal && mono_s() < next) {
			wait_until(next);
			if (hup_signal) {
				hup_signal = 0;
				if ((ret = flowlog_out_reopen(&o)))
					pr_warn("cannot open %s again: %s; writing on to the old file",
						req->output, strerror(-ret));
			}
		}
		exit = round_take(&r, true);
		if (!exit)
			exit = round_write(&r, &o, &closed);
		windows++;
		last = stop_signal || closed || (req->count && windows >= req->count) ||
		       (req->timeout > 0 && mono_s() >= begin + req->timeout);
		if (!exit && req->ifname && !r.n) {
			fprintf(stderr, "naclemu: %s was detached\n", req->ifname);
			break;
		}
		if (last)
			break;
	}
	for (size_t i = 0; i < r.n; i++)
		iface_free(r.f[i]);
	free(r.f);
	if (flowlog_out_close(&o) && !exit && !closed) {
		pr_err("cannot write %s: %s", req->output ? req->output : "standard output",
		       strerror(EIO));
		exit = NACL_EXIT_SYSTEM;
	}
	return exit;
}
