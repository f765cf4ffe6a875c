// SPDX-License-Identifier: MIT
/*
 * stream.c - drop events of attached interfaces, read as they happen and
 * printed as text columns or JSON lines (output/stream.h), for `naclemu
 * events` and `naclemu run`.
 *
 * Each attached interface has its own ring buffer, pinned as "events" in
 * its folder under /sys/fs/bpf/naclemu/.  One libbpf ring_buffer manager
 * reads them all (one epoll set); each ring's context says which interface
 * it belongs to.  The kernel side (bpf/events.bpf.h) rate-limits events and
 * counts those it suppressed or could not queue in the interface's
 * counters, which the summary line reports as deltas.
 *
 * A ring buffer has one consumer position: two readers of one interface
 * would each get part of the events, some twice.  So a reader holds an
 * flock() on the interface's pin folder, and a second one is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "output/events.h"
#include "output/log.h"
#include "output/stream.h"

/* A callback's "stop now" (--count reached) for ring_buffer__poll(). */
#define EV_STOP_COUNT (-ECANCELED)

#define EV_TIMEOUT_MAX 31536000.0 /* a year */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * SIGINT, SIGTERM and SIGHUP end the stream (and make `run` detach);
 * SIGPIPE is ignored so that a closed pipe (`| head`) is a write error we
 * see, not a death that would leave `run`'s filters behind.  SA_RESTART:
 * a signal during `run`'s attach lets the attach finish (then the stream
 * ends at once) instead of failing its netlink calls with EINTR;
 * epoll_wait() is never restarted, so the stream still sees it at once.
 */
void stream_signals_catch(void)
{
	struct sigaction sa = {};

	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sum of a counter slot's packets over all CPUs; 0 when unreadable. */
static __u64 slot_packets(int counters_fd, __u32 slot)
{
	struct naclemu_counter c = {};

	if (dp_counter_read(counters_fd, slot, &c))
		return 0;
	return c.packets;
}

static void watch_close(struct watch *w)
{
	if (w->events_fd >= 0)
		close(w->events_fd);
	if (w->counters_fd >= 0)
		close(w->counters_fd);
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	w->events_fd = w->counters_fd = w->lock_fd = -1;
}

/*
 * Open the pinned ring and counters of the interface @w->t, through its
 * checked state (layout, completeness).  -ENOENT: nothing attached there;
 * -EBUSY: another reader has it; other errors with @e set.
 */
int stream_watch_open(struct watch *w, struct dp_error *e)
{
	struct dp_state st;
	int ret;

	w->events_fd = w->counters_fd = w->lock_fd = -1;
	ret = dp_state_open(&w->t, &st, e);
	if (ret == -ENOENT)
		snprintf(e->msg, sizeof(e->msg), "%s is not attached%s%s: run 'naclemu attach%s%s -i %s "
			 "RULES' first",
			 w->t.ifname, *w->t.netns ? " in network namespace " : "", w->t.netns,
			 *w->t.netns ? " -n " : "", w->t.netns, w->t.ifname);
	if (ret)
		return ret;
	/* The reader's own lock: the pin folder (opened without links by the state). */
	w->lock_fd = dup(st.pins.if_fd);
	if (w->lock_fd < 0 || flock(w->lock_fd, LOCK_EX | LOCK_NB)) {
		ret = w->lock_fd >= 0 && errno == EWOULDBLOCK ? -EBUSY : -errno;
		dp_state_close(&st);
		watch_close(w);
		return ret;
	}
	w->rate = st.meta.events_rate;
	w->counters_fd = st.counters_fd;
	w->events_fd = st.events_fd;
	st.counters_fd = st.events_fd = -1; /* kept open here */
	dp_state_close(&st);
	w->events_id = dp_obj_id(w->events_fd);
	return 0;
}

/* Whether @w's interface is still attached with the ring we read. */
static bool watch_alive(const struct watch *w)
{
	return dp_target_events_id(&w->t) == w->events_id;
}

/* Mark the interfaces detached since the last look; false when none is left. */
static bool watch_any_alive(struct stream *s)
{
	size_t alive = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct watch *w = s->w[i];

		if (!w->gone && !watch_alive(w)) {
			w->gone = true;
			pr_warn("%s was detached: no more events from it", w->label);
		}
		alive += !w->gone;
	}
	return alive > 0;
}

static void watch_base(struct watch *w)
{
	w->base_suppressed = slot_packets(w->counters_fd, NACLEMU_SLOT_EVENTS_SUPPRESSED);
	w->base_lost = slot_packets(w->counters_fd, NACLEMU_SLOT_EVENTS_LOST);
}

/* Add the interface @t to @s, unopened. */
int stream_add(struct stream *s, const struct dp_target *t)
{
	struct watch **grown, *w = calloc(1, sizeof(*w));

	/* One allocation a watch: each ring's callback keeps its pointer. */
	grown = w ? realloc(s->w, (s->n + 1) * sizeof(*s->w)) : NULL;
	if (!grown) {
		free(w);
		return -ENOMEM;
	}
	s->w = grown;
	s->w[s->n++] = w;
	w->events_fd = w->counters_fd = w->lock_fd = -1;
	w->t = *t;
	w->s = s;
	return 0;
}

/* dp_for_each_attached()'s visitor for `events` without -i. */
int stream_found(const struct dp_target *t, struct dp_state *st,
		       const struct dp_error *e, void *arg)
{
	(void)st;
	(void)e;
	return stream_add(arg, t);
}

/*
 * Open what watch_find() found.  With -i the interface must be attached
 * with events; without, interfaces that cannot be read are skipped with a
 * warning.  Returns an exit status; messages printed.
 */
int stream_open_all(struct stream *s, const char *netns, const char *ifname)
{
	size_t kept = 0, refused = 0;
	struct dp_error e;
	int ret;

	for (size_t i = 0; i < s->n; i++) {
		struct watch *w = s->w[i];

		ret = stream_watch_open(w, &e);
		if (!ret) {
			s->w[kept++] = w;
			continue;
		}
		s->w[i] = NULL;
		if (ret == -EBUSY)
			pr_err("the drop events of %s (netns %s) are being read by another "
			       "'naclemu events' or 'naclemu run': one reader at a time",
			       w->t.ifname, dp_netns_label(w->t.netns));
		else if (ret != -ENOENT || ifname)
			pr_err("%s", e.msg);
		free(w);
		if (ret == -ENOENT && !ifname)
			continue; /* detached since it was listed */
		if (ifname) {
			/* The rest were never opened: free them too. */
			for (size_t j = i + 1; j < s->n; j++)
				free(s->w[j]);
			s->n = kept;
			return ret == -ENOENT ? NACL_EXIT_INVALID : NACL_EXIT_SYSTEM;
		}
		refused++;
	}
	s->n = kept;
	if (!s->n && refused)
		return NACL_EXIT_SYSTEM;
	if (!s->n) {
		if (netns)
			pr_err("no interface is attached in network namespace %s: run 'naclemu attach "
			       "-n %s -i IFACE RULES' first",
			       netns, netns);
		else
			pr_err("no interface is attached: run 'naclemu attach -i IFACE RULES' first");
		return NACL_EXIT_INVALID;
	}
	return NACL_EXIT_OK;
}

static int on_event(void *ctx, void *data, size_t size);

/*
 * Add the interfaces attached since the start (`events` without -i): each
 * new one is opened, its ring joins @rb, and a line on stderr says so.  An
 * interface is new when no watch that is still alive has its name.
 */
static void watch_new(struct stream *s, struct ring_buffer *rb)
{
	struct stream found = {};
	struct dp_error e;
	size_t n;

	if (dp_for_each_attached(s->netns, NULL, stream_found, &found, &n))
		return;
	for (size_t i = 0; i < found.n; i++) {
		struct watch *w = found.w[i], **grown;
		bool known = false;

		for (size_t k = 0; k < s->n && !known; k++)
			known = !s->w[k]->gone && !strcmp(s->w[k]->t.netns, w->t.netns) &&
				!strcmp(s->w[k]->t.ifname, w->t.ifname);
		grown = known ? NULL : realloc(s->w, (s->n + 1) * sizeof(*s->w));
		if (!grown || stream_watch_open(w, &e) ||
		    ring_buffer__add(rb, w->events_fd, on_event, w)) {
			watch_close(w);
			free(w);
			if (grown)
				s->w = grown;
			continue;
		}
		s->w = grown;
		s->w[s->n++] = w;
		w->s = s;
		watch_base(w);
		if (*w->t.netns && strcmp(w->t.netns, s->w[0]->t.netns))
			snprintf(w->label, sizeof(w->label), "%s/%s", w->t.netns, w->t.ifname);
		else
			snprintf(w->label, sizeof(w->label), "%s", w->t.ifname);
		fprintf(stderr, "naclemu: listening for drops on %s too\n", w->label);
	}
	free(found.w);
}

/*
 * Labels: the interface name, or NETNS/IFACE for those of named
 * namespaces when the interfaces watched are in more than one namespace.
 */
void stream_labels(struct stream *s)
{
	bool mixed = false;

	for (size_t i = 1; i < s->n; i++)
		if (strcmp(s->w[i]->t.netns, s->w[0]->t.netns))
			mixed = true;
	s->iface_width = EV_IFACE_WIDTH;
	for (size_t i = 0; i < s->n; i++) {
		struct watch *w = s->w[i];
		int len;

		if (mixed && *w->t.netns)
			snprintf(w->label, sizeof(w->label), "%s/%s", w->t.netns, w->t.ifname);
		else
			snprintf(w->label, sizeof(w->label), "%s", w->t.ifname);
		len = (int)strlen(w->label);
		if (len > s->iface_width)
			s->iface_width = len;
		w->s = s;
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct watch *w = ctx;
	struct stream *s = w->s;
	const struct naclemu_event *e = data;
	char line[EV_LINE_LEN];
	int ret;

	if (s->discard || size < sizeof(*e))
		return 0;
	if (s->json) {
		json_t *o = ev_json(e, w->label, s->offset_ns);

		ret = o ? json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) : -1;
		json_decref(o);
		if (!ret && putchar('\n') == EOF)
			ret = -1;
	} else {
		ret = fputs(ev_text(e, w->label, s->iface_width, s->offset_ns, line), stdout) ==
		      EOF ? -1 : 0;
	}
	/* Line-buffered: the line is out (or failed) now. */
	if (ret || ferror(stdout)) {
		s->out_failed = true;
		return -EPIPE;
	}
	s->printed++;
	if (s->count && s->printed >= s->count)
		return EV_STOP_COUNT;
	return 0;
}

/*
 * Stream the events of @s until a signal, --count, --timeout, an output
 * error, or every interface detached.  @drain: first throw away what the
 * rings hold (drops from before `events` started).  Prints the summary
 * line.  Returns an exit status.
 */
int stream_run(struct stream *s, bool drain)
{
	struct ring_buffer *rb = NULL;
	double start = now_mono(), last_check = start;
	__u64 suppressed = 0, lost = 0;
	int ret = 0, exit = NACL_EXIT_OK;
	char hdr[EV_LINE_LEN];

	for (size_t i = 0; i < s->n && !ret; i++) {
		if (!rb) {
			rb = ring_buffer__new(s->w[i]->events_fd, on_event, s->w[i], NULL);
			ret = rb ? 0 : -errno;
		} else {
			ret = ring_buffer__add(rb, s->w[i]->events_fd, on_event, s->w[i]);
		}
	}
	if (ret) {
		pr_err("cannot read the drop events ring buffer: %s", strerror(-ret));
		ring_buffer__free(rb);
		return NACL_EXIT_SYSTEM;
	}
	if (drain) {
		s->discard = true;
		ring_buffer__consume(rb);
		s->discard = false;
		for (size_t i = 0; i < s->n; i++)
			watch_base(s->w[i]);
	}
	for (size_t i = 0; i < s->n; i++)
		if (!s->w[i]->rate)
			pr_warn("drop events are off on %s (attached with --events-rate 0)",
				s->w[i]->label);
	/* As tcpdump's "listening on": the reader is in place from here. */
	fprintf(stderr, "naclemu: listening for drops on");
	for (size_t i = 0; i < s->n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", s->w[i]->label);
	fprintf(stderr, "\n");
	if (!s->json)
		fputs(ev_text_header(s->iface_width, hdr), stdout);

	while (!stop_signal) {
		double now = now_mono();
		int ms = 250;

		if (s->timeout > 0) {
			double left = s->timeout - (now - start);

			if (left <= 0)
				break;
			if (left * 1000 < ms)
				ms = (int)(left * 1000) + 1;
		}
		s->offset_ns = ev_clock_offset();
		ret = ring_buffer__poll(rb, ms);
		if (ret == EV_STOP_COUNT || ret == -EPIPE || s->out_failed)
			break;
		if (ret < 0 && ret != -EINTR) {
			pr_err("reading the drop events failed: %s", strerror(-ret));
			exit = NACL_EXIT_SYSTEM;
			break;
		}
		/*
		 * About once a second: follow interfaces attached since (without
		 * -i), or stop when every interface was detached (with -i).
		 */
		if (now - last_check >= 1) {
			last_check = now;
			if (!watch_any_alive(s) && !s->follow)
				break;
			if (s->follow)
				watch_new(s, rb);
		}
	}
	ring_buffer__free(rb);
	fflush(stdout);
	for (size_t i = 0; i < s->n; i++) {
		struct watch *w = s->w[i];

		suppressed += slot_packets(w->counters_fd, NACLEMU_SLOT_EVENTS_SUPPRESSED) -
			      w->base_suppressed;
		lost += slot_packets(w->counters_fd, NACLEMU_SLOT_EVENTS_LOST) - w->base_lost;
	}
	fprintf(stderr, "naclemu: %llu events, %llu suppressed by the rate limit, %llu lost (ring buffer full)\n",
		(unsigned long long)s->printed, (unsigned long long)suppressed,
		(unsigned long long)lost);
	return exit;
}

void stream_free(struct stream *s)
{
	for (size_t i = 0; i < s->n; i++) {
		watch_close(s->w[i]);
		free(s->w[i]);
	}
	free(s->w);
	s->w = NULL;
	s->n = 0;
}

