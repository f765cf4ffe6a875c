// SPDX-License-Identifier: MIT
/*
 * state.c - an attached interface's pinned state (datapath.h): its folder
 * /sys/fs/bpf/naclemu/<netns or "root">/<ifname>/ (pins.c) holds both
 * programs, the outer rule map, the counters, the fragment memory, the
 * events ring and the attach record (meta, a one-element map: bpffs holds
 * no plain files).  The record's layout and state are checked before
 * anything else is read, under the interface's lock (lock.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/internal.h"
#include "output/log.h"

int dp_fail(struct dp_error *e, int exit, int err, const char *fmt, ...)
{
	va_list ap;

	e->exit = exit;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

int dp_fault(const char *step)
{
	const char *fail = getenv("NACLEMU_FAULT"), *crash = getenv("NACLEMU_CRASH");

	/* A kill -9 at exactly this instant, for the crash tests. */
	if (crash && !strcmp(crash, step))
		raise(SIGKILL);
	return fail && !strcmp(fail, step) ? -EIO : 0;
}

__u32 dp_obj_id(int fd)
{
	/* bpf_prog_info and bpf_map_info both start with type, id. */
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

int dp_meta_read(int meta_fd, unsigned int *layout, struct naclemu_meta_head *head,
		 struct naclemu_meta *meta)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0, v1_ifindex;
	__u8 *buf;
	int ret = 0;

	memset(head, 0, sizeof(*head));
	*layout = 0;
	if (bpf_obj_get_info_by_fd(meta_fd, &info, &len))
		return -errno;
	/* Read the value at its own size: another layout's may be larger. */
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 || info.value_size < 4 ||
	    info.value_size > 65536)
		return -EUCLEAN;
	buf = calloc(1, info.value_size);
	if (!buf)
		return -ENOMEM;
	if (bpf_map_lookup_elem(meta_fd, &zero, buf)) {
		ret = -errno;
		goto out;
	}
	memcpy(&head->magic, buf, sizeof(head->magic));
	if (head->magic == NACLEMU_META_MAGIC_V1 && info.value_size > NACLEMU_META_V1_QDISC_OFF) {
		*layout = 1;
		memcpy(&v1_ifindex, buf + NACLEMU_META_V1_IFINDEX_OFF, sizeof(v1_ifindex));
		head->ifindex = v1_ifindex;
		head->flags = buf[NACLEMU_META_V1_QDISC_OFF] ? NACLEMU_META_CREATED_QDISC : 0;
		goto out;
	}
	if (head->magic != NACLEMU_META_MAGIC || info.value_size < sizeof(*head)) {
		ret = -EUCLEAN;
		goto out;
	}
	memcpy(head, buf, sizeof(*head));
	*layout = head->layout;
	if (head->layout == NACLEMU_STATE_LAYOUT && head->size == sizeof(*meta) &&
	    info.value_size == sizeof(*meta)) {
		if (meta)
			memcpy(meta, buf, sizeof(*meta));
	} else if (head->layout == NACLEMU_STATE_LAYOUT) {
		ret = -EUCLEAN; /* our layout number with another size: broken */
	}
out:
	free(buf);
	return ret;
}

void dp_state_init(struct dp_state *st)
{
	memset(st, 0, sizeof(*st));
	st->meta_fd = st->rules_fd = st->counters_fd = st->events_fd = st->lock_fd = -1;
	st->pins.root_fd = st->pins.ns_fd = st->pins.if_fd = -1;
}

void dp_state_close(struct dp_state *st)
{
	int *fds[] = { &st->meta_fd, &st->rules_fd, &st->counters_fd, &st->events_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(st->rules);
	st->rules = NULL;
	dp_pins_close(&st->pins);
	dp_unlock(st->lock_fd);
	st->lock_fd = -1;
}

/* Object @name of the state into *@fd, or -EUCLEAN when the state lacks it. */
static int state_obj(const struct dp_state *st, const char *name, int *fd)
{
	int ret = dp_pins_get(&st->pins, name);

	if (ret < 0)
		return ret == -ENOENT ? -EUCLEAN : ret;
	*fd = ret;
	return 0;
}

int dp_state_open_locked(const struct dp_target *t, struct dp_state *st, unsigned int *layout)
{
	struct naclemu_meta_head head;
	int ret;

	*layout = 0;
	ret = dp_pins_open(t, false, &st->pins);
	if (ret)
		return ret;
	ret = state_obj(st, DP_PIN_META, &st->meta_fd);
	if (ret)
		return ret; /* a folder without its record: incomplete */
	ret = dp_meta_read(st->meta_fd, layout, &head, &st->meta);
	if (ret)
		return ret;
	if (*layout != NACLEMU_STATE_LAYOUT)
		return -EPROTO;
	if (st->meta.state != NACLEMU_META_READY)
		return -EINPROGRESS;
	if ((ret = state_obj(st, DP_PIN_RULES, &st->rules_fd)) ||
	    (ret = state_obj(st, DP_PIN_COUNTERS, &st->counters_fd)) ||
	    (ret = state_obj(st, DP_PIN_EVENTS, &st->events_fd)))
		return ret;
	st->rules = calloc(1, sizeof(*st->rules));
	ret = st->rules ? dp_rules_read(st->rules_fd, st->rules) : -ENOMEM;
	st->rules_id = dp_rules_id(st->rules_fd);
	/* No rule set, or one this build cannot read: not a state of ours. */
	return ret == -ENOENT || ret == -EPROTO ? -EUCLEAN : ret;
}

int dp_state_error(const struct dp_target *t, int ret, unsigned int layout, struct dp_error *e)
{
	const char *nsopt = *t->netns ? " -n " : "";

	if (ret == -ENOENT)
		return dp_fail(e, NACL_EXIT_INVALID, ret,
			       "%s is not attached in network namespace %s (see 'naclemu status')",
			       t->ifname, dp_netns_label(t->netns));
	if (ret == -EPROTO)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "%s was attached by naclemu with state layout %u; this is layout %d: "
			       "run 'naclemu detach%s%s -i %s' and attach again",
			       t->ifname, layout, NACLEMU_STATE_LAYOUT, nsopt, t->netns, t->ifname);
	if (ret == -EINPROGRESS)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "a naclemu command on %s was interrupted before it finished: "
			       "'naclemu update' or 'naclemu detach' on it finishes or undoes it",
			       t->ifname);
	if (ret == -EUCLEAN)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "the pinned state in %s is incomplete: run 'naclemu detach%s%s -i %s' "
			       "to clean it up",
			       t->dir, nsopt, t->netns, t->ifname);
	if (ret == -ELOOP)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "%s or a folder above it is a symbolic link or not a folder: naclemu "
			       "follows no link below %s; remove it",
			       t->dir, DP_PIN_ROOT);
	return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot open the pinned state in %s: %s", t->dir,
		       strerror(-ret));
}

/* dp_state_open() waiting at most @wait_ms for the lock. */
static int state_open_wait(const struct dp_target *t, struct dp_state *st, int wait_ms,
			   struct dp_error *e)
{
	unsigned int layout = 0;
	int ret;

	dp_state_init(st);
	ret = dp_lock_wait(t, false, wait_ms, &st->lock_fd, e);
	if (ret)
		return ret;
	ret = dp_state_open_locked(t, st, &layout);
	if (ret) {
		dp_state_close(st);
		return dp_state_error(t, ret, layout, e);
	}
	return 0;
}

int dp_state_open(const struct dp_target *t, struct dp_state *st, struct dp_error *e)
{
	return state_open_wait(t, st, DP_LOCK_WAIT_MS, e);
}

/*
 * The interface folders below the state root that @netns / @ifname select
 * (see dp_for_each_attached()), in directory order: @fn gets each target
 * and returns 0 to go on.  No lock is taken and no link is followed.
 */
typedef int (*walk_fn)(const struct dp_target *t, void *arg);

static int walk_ns(int nsfd, const char *ns, const char *ifname, walk_fn fn, void *arg)
{
	DIR *d = fdopendir(nsfd);
	struct dirent *ifc;
	int ret = 0;

	if (!d) {
		close(nsfd);
		return 0;
	}
	while (!ret && (ifc = readdir(d))) {
		struct dp_error e;
		struct dp_target t;

		if (ifc->d_name[0] == '.' || (ifname && strcmp(ifc->d_name, ifname)))
			continue;
		if (dp_target_of_folder(&t, strcmp(ns, "root") ? ns : NULL, ifc->d_name, &e))
			continue;
		ret = fn(&t, arg);
	}
	closedir(d);
	return ret;
}

static int walk(const char *netns, const char *ifname, walk_fn fn, void *arg)
{
	struct dirent *ns;
	DIR *root;
	int ret = 0, rootfd, nsfd;

	rootfd = dp_pins_root(false);
	if (rootfd < 0)
		return rootfd == -ENOENT ? 0 : rootfd;
	root = fdopendir(rootfd);
	if (!root) {
		close(rootfd);
		return -errno;
	}
	while (!ret && (ns = readdir(root))) {
		if (ns->d_name[0] == '.')
			continue;
		if ((netns || ifname) && strcmp(ns->d_name, dp_netns_label(netns)))
			continue;
		/* A link or a file in the root is not followed, nor listed. */
		nsfd = openat(dirfd(root), ns->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nsfd >= 0)
			ret = walk_ns(nsfd, ns->d_name, ifname, fn, arg);
	}
	closedir(root);
	return ret;
}

struct attached_walk {
	dp_visit_fn fn;
	void *arg;
	size_t *visited;
	int wait_ms; /* for each interface's lock */
};

/* walk()'s step for dp_for_each_attached(): open the state, call the visitor. */
static int attached_step(const struct dp_target *t, void *arg)
{
	struct attached_walk *w = arg;
	struct dp_error e;
	struct dp_state st;
	int ret;

	if (state_open_wait(t, &st, w->wait_ms, &e)) {
		if (e.err == -ENOENT)
			return 0; /* detached meanwhile */
		(*w->visited)++;
		return w->fn(t, NULL, &e, w->arg);
	}
	(*w->visited)++;
	ret = w->fn(t, &st, NULL, w->arg);
	dp_state_close(&st);
	return ret;
}

int dp_for_each_attached(const char *netns, const char *ifname, dp_visit_fn fn, void *arg,
			 size_t *visited)
{
	/* A listing waits a short while for a busy interface; one named, a minute. */
	struct attached_walk w = { fn, arg, visited,
				   ifname ? DP_LOCK_WAIT_MS : DP_LIST_LOCK_WAIT_MS };

	*visited = 0;
	return walk(netns, ifname, attached_step, &w);
}

/* ---- sharing a rule set ---- */

struct share_walk {
	const struct dp_target *self;
	const struct naclemu_rules *want;
	struct naclemu_rules *buf;
	__u32 seen[64]; /* ids already compared (and different) */
	size_t nseen;
	int fd; /* the equal rule set found, or -1 */
};

/* walk()'s step for dp_rules_find(): the live rule set of @t, if equal. */
static int share_step(const struct dp_target *t, void *arg)
{
	struct share_walk *w = arg;
	struct dp_pins p;
	__u32 id = 0, zero = 0;
	int outer, fd;

	if (!strcmp(t->dir, w->self->dir) || dp_pins_open(t, false, &p))
		return 0;
	outer = dp_pins_get(&p, DP_PIN_RULES);
	dp_pins_close(&p);
	if (outer < 0)
		return 0;
	fd = dp_rules_outer_check(outer) || bpf_map_lookup_elem(outer, &zero, &id) ?
		     -1 :
		     bpf_map_get_fd_by_id(id);
	close(outer);
	if (fd < 0)
		return 0;
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i] == id) {
			close(fd);
			return 0;
		}
	/* Frozen at install (dp_rules_install()): what is read stays true. */
	if (!dp_rules_check(fd) && !bpf_map_lookup_elem(fd, &zero, w->buf) &&
	    !memcmp(w->buf, w->want, sizeof(*w->want))) {
		w->fd = fd;
		return 1;
	}
	close(fd);
	if (w->nseen < sizeof(w->seen) / sizeof(w->seen[0]))
		w->seen[w->nseen++] = id;
	return 0;
}

struct ids_walk {
	__u32 *ids;
	size_t n;
};

/* walk()'s step for dp_rules_ids(). */
static int ids_step(const struct dp_target *t, void *arg)
{
	struct ids_walk *w = arg;
	struct dp_pins p;
	__u32 *grown, id = 0;
	int outer;

	if (!dp_pins_open(t, false, &p)) {
		outer = dp_pins_get(&p, DP_PIN_RULES);
		dp_pins_close(&p);
		if (outer >= 0) {
			id = dp_rules_id(outer);
			close(outer);
		}
	}
	grown = realloc(w->ids, (w->n + 1) * sizeof(*w->ids));
	if (!grown)
		return -ENOMEM;
	w->ids = grown;
	w->ids[w->n++] = id;
	return 0;
}

int dp_rules_ids(__u32 **ids, size_t *n)
{
	struct ids_walk w = {};
	int ret = walk(NULL, NULL, ids_step, &w);

	if (ret < 0) {
		free(w.ids);
		return ret;
	}
	*ids = w.ids;
	*n = w.n;
	return 0;
}

int dp_rules_find(const struct dp_target *self, const struct naclemu_rules *rules)
{
	struct share_walk w = { .self = self, .want = rules, .fd = -1 };
	int ret;

	w.buf = malloc(sizeof(*w.buf));
	if (!w.buf)
		return -ENOMEM;
	ret = walk(NULL, NULL, share_step, &w);
	free(w.buf);
	if (ret < 0)
		return ret;
	return w.fd >= 0 ? w.fd : -ENOENT;
}

struct naclemu_counter dp_slot_count(const struct dp_state *st, __u32 slot)
{
	struct naclemu_counter c = {};

	dp_counter_read(st->counters_fd, slot, &c);
	return c;
}

static void add(struct naclemu_counter *to, const struct naclemu_counter *c)
{
	to->packets += c->packets;
	to->bytes += c->bytes;
}

void dp_totals_read(const struct dp_state *st, struct dp_totals *tot)
{
	struct naclemu_counter c;

	memset(tot, 0, sizeof(*tot));
	for (__u32 d = 0; d < NACLEMU_NDIRS; d++) {
		for (int f = 0; f < NACLEMU_NFAMS; f++) {
			const struct naclemu_table *t = &st->rules->t[d][f];

			for (__u32 i = 0; i < t->nrules && i < NACLEMU_MAX_RULES; i++) {
				c = dp_slot_count(st, t->slot[i]);
				add(t->info[i].allow ? &tot->allowed : &tot->denied, &c);
			}
			c = dp_slot_count(st, t->default_slot);
			add(&tot->denied, &c);
		}
		c = dp_slot_count(st, NACLEMU_SLOT_EXEMPT + d);
		add(&tot->exempt, &c);
		c = dp_slot_count(st, NACLEMU_SLOT_SUBNET + d);
		add(&tot->subnet, &c);
		c = dp_slot_count(st, NACLEMU_SLOT_MALFORMED + d);
		add(&tot->malformed, &c);
	}
	tot->lost = dp_slot_count(st, NACLEMU_SLOT_EVENTS_LOST);
	tot->suppressed = dp_slot_count(st, NACLEMU_SLOT_EVENTS_SUPPRESSED);
}

const char *dp_filter_state(const struct dp_target *t, const struct dp_state *st)
{
	__u32 in = 0, out = 0;
	int saved, ifindex;

	if (dp_netns_enter(t->netns, &saved))
		return "netns-gone";
	if (dp_ifindex(t->ifname, &ifindex)) {
		dp_netns_leave(saved);
		return "iface-gone";
	}
	if ((__u32)ifindex != st->meta.head.ifindex) {
		dp_netns_leave(saved);
		return "iface-replaced";
	}
	if (st->meta.head.flags & NACLEMU_META_HOOK_TCX) {
		bool both = tcx_query(ifindex, NACLEMU_INGRESS,
				      dp_pins_prog_id(&st->pins, DP_PIN_PROG_IN)) == 1 &&
			    tcx_query(ifindex, NACLEMU_EGRESS,
				      dp_pins_prog_id(&st->pins, DP_PIN_PROG_OUT)) == 1;

		dp_netns_leave(saved);
		return both ? "attached" : "links-missing";
	}
	tc_filters_query(ifindex, &in, &out);
	dp_netns_leave(saved);
	if (in && in == dp_pins_prog_id(&st->pins, DP_PIN_PROG_IN) && out &&
	    out == dp_pins_prog_id(&st->pins, DP_PIN_PROG_OUT))
		return "attached";
	return "filters-missing";
}

const char *dp_hook_name(enum dp_hook hook)
{
	return hook == DP_HOOK_TCX ? "tcx" : hook == DP_HOOK_CLSACT ? "clsact" : "auto";
}

enum dp_hook dp_hook_of(const struct naclemu_meta_head *head)
{
	return head->flags & NACLEMU_META_HOOK_TCX ? DP_HOOK_TCX : DP_HOOK_CLSACT;
}

int dp_hook_parse(const char *s, enum dp_hook *hook)
{
	static const enum dp_hook all[] = { DP_HOOK_AUTO, DP_HOOK_TCX, DP_HOOK_CLSACT };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(s, dp_hook_name(all[i]))) {
			*hook = all[i];
			return 0;
		}
	return -EINVAL;
}
