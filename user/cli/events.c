// SPDX-License-Identifier: MIT
/*
 * events.c - `naclemu events` (stream the drop events of attached
 * interfaces) and `naclemu run` (attach, stream, detach), docs/semantics.md
 * sections 3 and 4.
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

#include "cli/cli.h"
#include "output/events.h"
#include "datapath/datapath.h"

/* A callback's "stop now" (--count reached) for ring_buffer__poll(). */
#define EV_STOP_COUNT (-ECANCELED)

#define EV_TIMEOUT_MAX 31536000.0 /* a year */

/* One attached interface being read. */
struct watch {
	struct dp_target t;
	char label[96];  /* the "interface" printed */
	int events_fd, counters_fd;
	int lock_fd;     /* the pin folder, flock()ed: one reader at a time */
	__u32 events_id; /* the ring's map id: a re-attach makes a new one */
	__u32 rate;
	__u64 base_suppressed, base_lost;
	bool gone;
	struct stream *s;
};

/* What one `events` or `run` reads and how it prints. */
struct stream {
	struct watch *w;
	size_t n;
	bool json;
	__u64 count;    /* stop after this many events; 0 = no limit */
	double timeout; /* seconds; 0 = none */
	int iface_width;
	__s64 offset_ns;
	bool discard;   /* draining the backlog: print nothing */
	bool out_failed;
	__u64 printed;
};

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
static void signals_catch(void)
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
static int watch_open(struct watch *w, struct dp_error *e)
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
		struct watch *w = &s->w[i];

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
static int watch_add(struct stream *s, const struct dp_target *t)
{
	struct watch *w, *grown;

	grown = realloc(s->w, (s->n + 1) * sizeof(*s->w));
	if (!grown)
		return -ENOMEM;
	s->w = grown;
	w = &s->w[s->n++];
	memset(w, 0, sizeof(*w));
	w->events_fd = w->counters_fd = w->lock_fd = -1;
	w->t = *t;
	return 0;
}

/* dp_for_each_attached()'s visitor for `events` without -i. */
static int watch_found(const struct dp_target *t, struct dp_state *st,
		       const struct dp_error *e, void *arg)
{
	(void)st;
	(void)e;
	return watch_add(arg, t);
}

/*
 * Open what watch_find() found.  With -i the interface must be attached
 * with events; without, interfaces that cannot be read are skipped with a
 * warning.  Returns an exit status; messages printed.
 */
static int watch_open_all(struct stream *s, const char *netns, const char *ifname)
{
	size_t kept = 0, refused = 0;
	struct dp_error e;
	int ret;

	for (size_t i = 0; i < s->n; i++) {
		struct watch *w = &s->w[i];

		ret = watch_open(w, &e);
		if (!ret) {
			s->w[kept++] = *w;
			continue;
		}
		if (ret == -ENOENT && !ifname)
			continue; /* detached since it was listed */
		if (ret == -EBUSY)
			pr_err("the drop events of %s (netns %s) are being read by another "
			       "'naclemu events' or 'naclemu run': one reader at a time",
			       w->t.ifname, dp_netns_label(w->t.netns));
		else
			pr_err("%s", e.msg);
		if (ifname)
			return ret == -ENOENT ? NACL_EXIT_INVALID : NACL_EXIT_SYSTEM;
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

/*
 * Labels: the interface name, or NETNS/IFACE for those of named
 * namespaces when the interfaces watched are in more than one namespace.
 */
static void watch_labels(struct stream *s)
{
	bool mixed = false;

	for (size_t i = 1; i < s->n; i++)
		if (strcmp(s->w[i].t.netns, s->w[0].t.netns))
			mixed = true;
	s->iface_width = EV_IFACE_WIDTH;
	for (size_t i = 0; i < s->n; i++) {
		struct watch *w = &s->w[i];
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
static int stream_run(struct stream *s, bool drain)
{
	struct ring_buffer *rb = NULL;
	double start = now_mono(), last_check = start;
	__u64 suppressed = 0, lost = 0;
	int ret = 0, exit = NACL_EXIT_OK;
	char hdr[EV_LINE_LEN];

	for (size_t i = 0; i < s->n && !ret; i++) {
		if (!rb) {
			rb = ring_buffer__new(s->w[i].events_fd, on_event, &s->w[i], NULL);
			ret = rb ? 0 : -errno;
		} else {
			ret = ring_buffer__add(rb, s->w[i].events_fd, on_event, &s->w[i]);
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
			watch_base(&s->w[i]);
	}
	for (size_t i = 0; i < s->n; i++)
		if (!s->w[i].rate)
			pr_warn("drop events are off on %s (attached with --events-rate 0)",
				s->w[i].label);
	/* As tcpdump's "listening on": the reader is in place from here. */
	fprintf(stderr, "naclemu: listening for drops on");
	for (size_t i = 0; i < s->n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", s->w[i].label);
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
		/* About once a second: stop when every interface was detached. */
		if (now - last_check >= 1) {
			last_check = now;
			if (!watch_any_alive(s))
				break;
		}
	}
	ring_buffer__free(rb);
	fflush(stdout);
	for (size_t i = 0; i < s->n; i++) {
		struct watch *w = &s->w[i];

		suppressed += slot_packets(w->counters_fd, NACLEMU_SLOT_EVENTS_SUPPRESSED) -
			      w->base_suppressed;
		lost += slot_packets(w->counters_fd, NACLEMU_SLOT_EVENTS_LOST) - w->base_lost;
	}
	fprintf(stderr, "naclemu: %llu events, %llu suppressed by the rate limit, %llu lost (ring buffer full)\n",
		(unsigned long long)s->printed, (unsigned long long)suppressed,
		(unsigned long long)lost);
	return exit;
}

static void stream_free(struct stream *s)
{
	for (size_t i = 0; i < s->n; i++)
		watch_close(&s->w[i]);
	free(s->w);
	s->w = NULL;
	s->n = 0;
}

/* --count N and --timeout SECONDS, shared by events and run. */
static int parse_count(const char *cmd, const char *arg, __u64 *count)
{
	__u32 v;

	if (nacl_parse_u32(arg, UINT32_MAX, &v) || !v)
		return nacl_usage_error(cmd, "--count wants a number of events >= 1, not '%s'", arg);
	*count = v;
	return NACL_EXIT_OK;
}

static int parse_timeout(const char *cmd, const char *arg, double *timeout)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > EV_TIMEOUT_MAX)
		return nacl_usage_error(cmd, "--timeout wants seconds, more than 0 (e.g. 10 or 0.5), not '%s'",
					arg);
	*timeout = v;
	return NACL_EXIT_OK;
}

/* ---- events ------------------------------------------------------------- */

static const char events_usage[] =
	"Usage: naclemu events [-n NETNS] [-i IFACE] [--json] [--count N] [--timeout SECONDS]\n"
	"\n"
	"Print the packets naclemu drops, one line each, as they happen: those\n"
	"denied by a rule or by the default deny (rule 32767 for IPv4, 32768 for\n"
	"IPv6; '*' in the text), and malformed ones (rule '-' in the text; rule 0\n"
	"and action \"malformed\" in JSON).  Without -i, every attached interface\n"
	"(of NETNS with -n); -i without -n is in the caller's namespace.\n"
	"\n"
	"The kernel sends at most --events-rate events per second and CPU (set\n"
	"at attach, default 1000); every drop is still counted in 'stats'.  When\n"
	"the command ends, one line on stderr says how many events it printed\n"
	"and how many the rate limit suppressed or a full ring buffer lost\n"
	"meanwhile.  Drops from before it started are not printed.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   interfaces in this named network namespace\n"
	"  -i, --interface IF  only this attached interface\n"
	"      --json          one JSON object a line: time, interface, direction,\n"
	"                      rule, action, family, protocol, src, dst, src_port,\n"
	"                      dst_port, icmp_type, icmp_code, length, tcp_flags\n"
	"      --count N       stop after N events\n"
	"      --timeout SECS  stop after SECS seconds (decimals allowed)\n"
	"\n"
	"It also stops on SIGINT (Ctrl-C), SIGTERM, or when the interfaces are\n"
	"detached.  Exit status: 0, 1 invalid arguments or not attached, 2\n"
	"system failure.\n"
	"\n"
	"Examples:\n"
	"  naclemu events -i eth1\n"
	"  naclemu events -i eth1 --json | jq -c 'select(.rule == 32767)'\n";

/*
 * events_parse_opt() - one of the options events and run share (--json,
 * --count, --timeout) into @s.  Returns 1 when @c is not one of them, else
 * an exit status.
 */
static int events_parse_opt(const char *cmd, int c, const char *arg, struct stream *s)
{
	switch (c) {
	case 'j': s->json = true; return NACL_EXIT_OK;
	case 'c': return parse_count(cmd, arg, &s->count);
	case 't': return parse_timeout(cmd, arg, &s->timeout);
	default: return 1;
	}
}

#define EVENTS_OPTIONS                                  \
	{ "json", no_argument, NULL, 'j' },             \
	{ "count", required_argument, NULL, 'c' },      \
	{ "timeout", required_argument, NULL, 't' }

/* Find the interfaces -n / -i select (names already checked); an exit status. */
static int watch_find(struct stream *s, const struct dp_target *t, const char *netns,
		      const char *ifname)
{
	size_t n;
	int ret;

	if (ifname)
		ret = watch_add(s, t);
	else
		ret = dp_for_each_attached(netns, NULL, watch_found, s, &n);
	if (ret) {
		pr_err("cannot list the attached interfaces in %s: %s", DP_PIN_ROOT, strerror(-ret));
		return NACL_EXIT_SYSTEM;
	}
	return NACL_EXIT_OK;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interface", required_argument, NULL, 'i' },
		EVENTS_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct stream s = {};
	const char *netns = NULL, *ifname = NULL;
	struct dp_target t;
	struct dp_error e;
	int c, exit;

	optind = 1;
	while ((c = cli_getopt("events", argc, argv, "n:i:vh", opts)) != CLI_OPT_END) {
		if (c == 'n') {
			netns = optarg;
		} else if (c == 'i') {
			ifname = optarg;
		} else if (c == 'v') {
			nacl_verbose = 1;
		} else if (c == 'h') {
			fputs(events_usage, stdout);
			return NACL_EXIT_OK;
		} else if (c == CLI_OPT_ERROR) {
			return NACL_EXIT_INVALID;
		} else if ((exit = events_parse_opt("events", c, optarg, &s))) {
			return exit;
		}
	}
	if (optind != argc)
		return nacl_usage_error("events", "unexpected argument '%s'", argv[optind]);
	/* The names as attach checks them ("lo" stands in for a missing -i). */
	if ((netns || ifname) && dp_target_init(&t, netns, ifname ? ifname : "lo", &e))
		return nacl_usage_error("events", "%s", e.msg);
	exit = cli_need_root("events");
	if (!exit)
		exit = watch_find(&s, &t, netns, ifname);
	if (exit) {
		stream_free(&s);
		return exit;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signals_catch();
	exit = watch_open_all(&s, netns, ifname);
	if (!exit) {
		watch_labels(&s);
		exit = stream_run(&s, true);
	}
	stream_free(&s);
	return exit;
}

/* ---- run ---------------------------------------------------------------- */

static const char run_usage[] =
	"Usage: naclemu run [-n NETNS] -i IFACE RULES [--acl ID | --subnet-id ID] [--subnet CIDR]...\n"
	"                   [--exempt CIDR]... [--events-rate N]\n"
	"                   [--json] [--count N] [--timeout SECONDS]\n"
	"\n"
	"attach + events in the foreground: attach RULES to IFACE, print the\n"
	"drops as 'naclemu events' does, and detach when it ends: on SIGINT\n"
	"(Ctrl-C), SIGTERM or SIGHUP, after --count events or --timeout seconds,\n"
	"when stdout is closed, or on an error.  Nothing of naclemu is left on\n"
	"IFACE afterwards.  Messages of attach and detach go to stderr, so stdout\n"
	"holds only events.  The options are those of attach and events.\n"
	"\n"
	"Exit status: 0, 1 invalid rules or arguments (or IFACE already\n"
	"attached), 2 system failure.\n"
	"\n"
	"Example:\n"
	"  naclemu run -i eth1 examples/docker-ephemeral.nacl --json --timeout 60\n";

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_ATTACH_OPTIONS,
		EVENTS_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct attach_req req = { .events_rate = 1000 };
	struct stream s = {};
	struct dp_target t;
	struct dp_error e;
	bool gone;
	int c, exit, detach_exit;

	optind = 1;
	while ((c = cli_getopt("run", argc, argv, "n:i:vh", opts)) != CLI_OPT_END) {
		if (c == 'v') {
			nacl_verbose = 1;
		} else if (c == 'h') {
			fputs(run_usage, stdout);
			return NACL_EXIT_OK;
		} else if (c == CLI_OPT_ERROR) {
			return NACL_EXIT_INVALID;
		} else if ((exit = attach_parse_opt("run", c, optarg, &req)) != 1) {
			if (exit)
				return exit;
		} else if ((exit = events_parse_opt("run", c, optarg, &s))) {
			return exit;
		}
	}
	if (!req.ifname)
		return nacl_usage_error("run", "-i IFACE is required");
	if (optind + 1 != argc)
		return nacl_usage_error("run", "expected one RULES file");
	req.rules_path = argv[optind];
	if (dp_target_init(&t, req.netns, req.ifname, &e))
		return nacl_usage_error("run", "%s", e.msg);

	/* Before attach: a signal during it ends the run right after. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signals_catch();
	exit = cli_attach("run", &req, stderr);
	if (exit)
		return exit;

	/* Attached: from here every path detaches. */
	if (watch_add(&s, &t)) {
		pr_err("out of memory");
		exit = NACL_EXIT_SYSTEM;
	} else if (watch_open(&s.w[0], &e)) {
		pr_err("cannot open the drop events of %s that attach just pinned", req.ifname);
		exit = NACL_EXIT_SYSTEM;
	} else {
		watch_labels(&s);
		/* Keep what the ring holds: every drop since attach is ours. */
		exit = stream_run(&s, false);
	}
	/* Detached (or detached and attached again) by someone else: not ours. */
	gone = s.n && s.w[0].gone;
	stream_free(&s);
	if (gone)
		return exit;
	detach_exit = cli_detach(&t, stderr);
	return exit ? exit : detach_exit;
}
