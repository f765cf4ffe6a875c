/* SPDX-License-Identifier: MIT */
/*
 * watch.h - interfaces and named network namespaces as they come and go
 * (datapath/watch.c), for `naclemu daemon`, which attaches interfaces that
 * appear and match its configuration (docs/deployment.md).
 */
#ifndef NACLEMU_DATAPATH_WATCH_H
#define NACLEMU_DATAPATH_WATCH_H

#include <stdbool.h>

#include "datapath/datapath.h"

/*
 * What changed.  LINK_NEW comes for a new interface and for every change
 * of an existing one (rtnetlink sends RTM_NEWLINK for both): the reader
 * decides what is new to it.  RESYNC: events were lost (a netlink or
 * inotify queue overflowed), so the reader must look at everything again.
 */
enum dp_watch_kind {
	DP_WATCH_LINK_NEW,
	DP_WATCH_LINK_DEL,
	DP_WATCH_NETNS_NEW, /* a named namespace appeared in /run/netns, now watched */
	DP_WATCH_NETNS_DEL, /* ... and went */
	DP_WATCH_RESYNC,
};

/*
 * struct dp_watch_event - one change.
 * @netns: the namespace's name, "" for the caller's.
 * @ifname, @ifindex: the interface (LINK_*), "" and 0 otherwise.
 */
struct dp_watch_event {
	enum dp_watch_kind kind;
	char netns[DP_NETNS_MAX + 1];
	char ifname[16];
	int ifindex;
};

struct dp_watch;

/*
 * dp_watch_open() - watch the caller's namespace's interfaces and, with
 * @named, the named namespaces (/run/netns/NAME, made when missing): those
 * there now are not reported, only what comes after; call dp_watch_add()
 * for each one to watch its interfaces.  Returns 0 or -errno.
 */
int dp_watch_open(bool named, struct dp_watch **w);

/*
 * dp_watch_add() - also watch the interfaces of named namespace @netns
 * (NULL or "": the caller's).  Watching twice is a no-op.  Returns 0,
 * -ENOSPC past 255 namespaces, or -errno when it cannot be entered.
 */
int dp_watch_add(struct dp_watch *w, const char *netns);

/*
 * dp_watch_next() - the next change into @ev, waiting at most @timeout_ms
 * (-1: for ever).  Returns 1 with @ev, 0 when the time ran out, -EINTR
 * when a signal came (the caller checks its flags), another -errno.
 */
int dp_watch_next(struct dp_watch *w, int timeout_ms, struct dp_watch_event *ev);

/* dp_watch_close() - stop watching; NULL is a no-op. */
void dp_watch_close(struct dp_watch *w);

#endif /* NACLEMU_DATAPATH_WATCH_H */
