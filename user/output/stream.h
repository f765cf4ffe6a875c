/* SPDX-License-Identifier: MIT */
/*
 * stream.h - stream the drop events of attached interfaces to stdout
 * (stream.c): open each interface's ring (one reader at a time), print
 * every event as docs/semantics.md section 4 lays it out, stop on a signal,
 * --count, --timeout, a closed stdout or when every interface is detached,
 * and say how many events were printed, suppressed and lost.
 */
#ifndef NACLEMU_OUTPUT_STREAM_H
#define NACLEMU_OUTPUT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "datapath/datapath.h"

#define EV_TIMEOUT_MAX 31536000.0 /* --timeout's largest value: a year */

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
	struct watch **w; /* one allocation each: the rings keep the pointers */
	bool follow;       /* add interfaces attached later (events without -i) */
	const char *netns; /* with @follow: only this namespace (NULL: all) */
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

/*
 * stream_signals_catch() - SIGINT, SIGTERM and SIGHUP end the stream;
 * SIGPIPE is ignored.  Installed before `run` attaches, so that a signal
 * during the attach ends the run right after it.
 */
void stream_signals_catch(void);

/* stream_add() - add the interface @t to @s, unopened.  0 or -ENOMEM. */
int stream_add(struct stream *s, const struct dp_target *t);

/* stream_found() - dp_for_each_attached()'s visitor that adds to @arg. */
int stream_found(const struct dp_target *t, struct dp_state *st, const struct dp_error *e,
		 void *arg);

/*
 * stream_watch_open() - open one interface's ring and counters through its
 * checked state.  -ENOENT: not attached (@e says so); -EBUSY: another
 * reader has it; other errors with @e set.
 */
int stream_watch_open(struct watch *w, struct dp_error *e);

/*
 * stream_open_all() - open what was added.  With @ifname the interface
 * must be readable; without, interfaces that are not are skipped with a
 * message.  Returns an exit status; messages printed.
 */
int stream_open_all(struct stream *s, const char *netns, const char *ifname);

/* stream_labels() - the interface column: IFACE, or NETNS/IFACE when mixed. */
void stream_labels(struct stream *s);

/*
 * stream_run() - print events until it stops (see above); @drain: first
 * throw away what the rings hold.  Prints the summary line on stderr.
 * Returns an exit status.
 */
int stream_run(struct stream *s, bool drain);

void stream_free(struct stream *s);

#endif /* NACLEMU_OUTPUT_STREAM_H */
