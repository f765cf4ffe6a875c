// SPDX-License-Identifier: MIT
/*
 * watch.c - interfaces and named network namespaces as they come and go,
 * for `naclemu daemon` (docs/deployment.md): one rtnetlink socket
 * subscribed to RTMGRP_LINK per watched namespace (a netlink socket belongs
 * to the namespace it was created in), and inotify on /run/netns, where
 * `ip netns add` makes its namespaces, all behind one epoll descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datapath/datapath.h"
#include "datapath/watch.h"

#define WATCH_MAX_NS 256      /* watched namespaces, the caller's included */
#define WATCH_QUEUE 512       /* events read but not yet returned */
#define WATCH_RETRY_MS 50     /* a new /run/netns file not yet bind-mounted is */
#define WATCH_RETRY_S 2.0     /* ... tried again every 50 ms for 2 s */
#define WATCH_NETNS_DIR "/run/netns"

struct watch_ns {
	bool used;                   /* false: a free entry */
	char name[DP_NETNS_MAX + 1]; /* "" = the caller's namespace */
	int fd;                      /* its netlink socket, -1 = not yet */
	double retry_until;          /* CLOCK_MONOTONIC s: tried until then (0: not) */
};

struct dp_watch {
	int epfd, inofd;
	struct watch_ns ns[WATCH_MAX_NS];
	size_t nns;
	struct dp_watch_event queue[WATCH_QUEUE];
	size_t head, len;
	bool named;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void push(struct dp_watch *w, enum dp_watch_kind kind, const char *netns,
		 const char *ifname, int ifindex)
{
	struct dp_watch_event *ev;

	if (w->len == WATCH_QUEUE) {
		/* Full: whoever reads must look at everything again anyway. */
		w->head = 0;
		w->len = 0;
		kind = DP_WATCH_RESYNC;
		netns = "";
		ifname = "";
		ifindex = 0;
	}
	ev = &w->queue[(w->head + w->len++) % WATCH_QUEUE];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	snprintf(ev->netns, sizeof(ev->netns), "%s", netns);
	snprintf(ev->ifname, sizeof(ev->ifname), "%s", ifname);
	ev->ifindex = ifindex;
}

/* A netlink socket on RTMGRP_LINK inside namespace @name, in the epoll set. */
static int ns_subscribe(struct dp_watch *w, struct watch_ns *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct epoll_event ev = { .events = EPOLLIN };
	int saved = -1, fd, ret;

	ret = dp_netns_enter(n->name, &saved);
	if (ret) {
		dp_netns_leave(saved);
		return ret;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	ret = fd < 0 ? -errno : 0;
	dp_netns_leave(saved);
	if (ret)
		return ret;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ev.data.ptr = n;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	n->fd = fd;
	return 0;
}

static struct watch_ns *ns_find(struct dp_watch *w, const char *name)
{
	for (size_t i = 0; i < w->nns; i++)
		if (w->ns[i].used && !strcmp(w->ns[i].name, name))
			return &w->ns[i];
	return NULL;
}

static void ns_drop(struct dp_watch *w, struct watch_ns *n)
{
	if (n->fd >= 0) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, n->fd, NULL);
		close(n->fd);
	}
	/* The epoll set points at the entries: move none, leave a hole. */
	memset(n, 0, sizeof(*n));
	n->fd = -1;
}

int dp_watch_add(struct dp_watch *w, const char *netns)
{
	struct watch_ns *n;
	const char *name = netns ? netns : "";

	if (strlen(name) > DP_NETNS_MAX)
		return -ENAMETOOLONG;
	if (ns_find(w, name))
		return 0;
	n = NULL;
	for (size_t i = 0; i < w->nns && !n; i++)
		if (!w->ns[i].used)
			n = &w->ns[i];
	if (!n) {
		if (w->nns == WATCH_MAX_NS)
			return -ENOSPC;
		n = &w->ns[w->nns++];
	}
	n->used = true;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->fd = -1;
	n->retry_until = mono_s() + WATCH_RETRY_S;
	return ns_subscribe(w, n);
}

/*
 * Subscribe the named namespaces that were made but could not be entered
 * yet; one that still cannot be after WATCH_RETRY_S is dropped, with a
 * RESYNC so that the reader looks again at everything.
 */
static void ns_retry(struct dp_watch *w)
{
	double now = mono_s();

	for (size_t i = 0; i < w->nns; i++) {
		struct watch_ns *n = &w->ns[i];

		if (!n->used || n->fd >= 0 || !n->retry_until)
			continue;
		if (!ns_subscribe(w, n)) {
			push(w, DP_WATCH_NETNS_NEW, n->name, "", 0);
			continue;
		}
		if (now >= n->retry_until) {
			ns_drop(w, n);
			push(w, DP_WATCH_RESYNC, "", "", 0);
		}
	}
}

static bool ns_pending(const struct dp_watch *w)
{
	for (size_t i = 0; i < w->nns; i++)
		if (w->ns[i].used && w->ns[i].fd < 0 && w->ns[i].retry_until)
			return true;
	return false;
}

/* A name `ip netns` would make, and that fits. */
static bool netns_name_ok(const char *s)
{
	return *s && *s != '.' && strlen(s) <= DP_NETNS_MAX && dp_netns_valid(s);
}

static void read_inotify(struct dp_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t len;

	while ((len = read(w->inofd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *ie = (struct inotify_event *)p;
			struct watch_ns *n;

			p += sizeof(*ie) + ie->len;
			if (ie->mask & IN_Q_OVERFLOW) {
				push(w, DP_WATCH_RESYNC, "", "", 0);
				continue;
			}
			if (!ie->len || !netns_name_ok(ie->name))
				continue;
			if (ie->mask & (IN_CREATE | IN_MOVED_TO)) {
				int ret = dp_watch_add(w, ie->name);

				n = ns_find(w, ie->name);
				/* Not bind-mounted yet: ns_retry() tries again. */
				if (!ret)
					push(w, DP_WATCH_NETNS_NEW, ie->name, "", 0);
				else if (!n)
					push(w, DP_WATCH_RESYNC, "", "", 0);
			} else if (ie->mask & (IN_DELETE | IN_MOVED_FROM)) {
				if ((n = ns_find(w, ie->name)))
					ns_drop(w, n);
				push(w, DP_WATCH_NETNS_DEL, ie->name, "", 0);
			}
		}
	}
}

static void read_netlink(struct dp_watch *w, struct watch_ns *n)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t len;

	for (;;) {
		len = recv(n->fd, buf, sizeof(buf), 0);
		if (len < 0) {
			/* ENOBUFS: the kernel dropped messages; look again at all. */
			if (errno == ENOBUFS)
				push(w, DP_WATCH_RESYNC, n->name, "", 0);
			return;
		}
		if (len == 0)
			return;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len);
		     nh = NLMSG_NEXT(nh, len)) {
			struct ifinfomsg *ifi = NLMSG_DATA(nh);
			int alen = (int)IFLA_PAYLOAD(nh);
			char ifname[IF_NAMESIZE] = "";

			if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
				continue;
			for (struct rtattr *rta = IFLA_RTA(ifi); RTA_OK(rta, alen);
			     rta = RTA_NEXT(rta, alen))
				if (rta->rta_type == IFLA_IFNAME)
					snprintf(ifname, sizeof(ifname), "%.*s",
						 (int)RTA_PAYLOAD(rta), (char *)RTA_DATA(rta));
			push(w, nh->nlmsg_type == RTM_NEWLINK ? DP_WATCH_LINK_NEW : DP_WATCH_LINK_DEL,
			     n->name, ifname, ifi->ifi_index);
		}
	}
}

int dp_watch_open(bool named, struct dp_watch **out)
{
	struct dp_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->inofd = -1;
	w->named = named;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		ret = -errno;
		goto fail;
	}
	if ((ret = dp_watch_add(w, "")))
		goto fail;
	if (named) {
		/* `ip netns add` makes the folder too; make it so that it can be watched. */
		if (mkdir(WATCH_NETNS_DIR, 0755) && errno != EEXIST) {
			ret = -errno;
			goto fail;
		}
		w->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->inofd < 0 ||
		    inotify_add_watch(w->inofd, WATCH_NETNS_DIR,
				      IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
					      IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
			ret = -errno;
			goto fail;
		}
		ev.data.ptr = NULL; /* NULL: inotify */
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->inofd, &ev)) {
			ret = -errno;
			goto fail;
		}
	}
	*out = w;
	return 0;
fail:
	dp_watch_close(w);
	return ret;
}

int dp_watch_next(struct dp_watch *w, int timeout_ms, struct dp_watch_event *ev)
{
	struct epoll_event evs[16];
	struct timespec start, now;
	int n, wait_ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (w->len) {
			*ev = w->queue[w->head];
			w->head = (w->head + 1) % WATCH_QUEUE;
			w->len--;
			return 1;
		}
		wait_ms = timeout_ms;
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			wait_ms = timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 +
						     (now.tv_nsec - start.tv_nsec) / 1000000);
			if (wait_ms < 0)
				return 0;
		}
		if (ns_pending(w) && (wait_ms < 0 || wait_ms > WATCH_RETRY_MS))
			wait_ms = WATCH_RETRY_MS;
		n = epoll_wait(w->epfd, evs, 16, wait_ms);
		if (n < 0)
			return -errno; /* EINTR included: a signal for the caller */
		for (int i = 0; i < n; i++) {
			if (!evs[i].data.ptr)
				read_inotify(w);
			else if (((struct watch_ns *)evs[i].data.ptr)->fd >= 0)
				read_netlink(w, evs[i].data.ptr);
		}
		ns_retry(w);
		/* A poll (timeout 0): one look, whatever it found. */
		if (!timeout_ms && !w->len)
			return 0;
	}
}

void dp_watch_close(struct dp_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nns; i++)
		if (w->ns[i].used && w->ns[i].fd >= 0)
			close(w->ns[i].fd);
	if (w->inofd >= 0)
		close(w->inofd);
	if (w->epfd >= 0)
		close(w->epfd);
	free(w);
}
