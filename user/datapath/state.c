// SPDX-License-Identifier: MIT
/*
 * state.c - an attached interface's pinned state (datapath.h): its folder
 * /sys/fs/bpf/naclemu/<netns or "root">/<ifname>/ holds both programs, the
 * outer rule map, the counters, the fragment memory, the events ring and
 * the attach record (meta, a one-element map: bpffs holds no plain files).
 * The record's layout is checked before anything else is read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath/internal.h"
#include "output/log.h"

static const char *const pin_names[] = {
	DP_PIN_PROG_IN, DP_PIN_PROG_OUT, DP_PIN_RULES, DP_PIN_COUNTERS,
	DP_PIN_FRAGS,   DP_PIN_META,     DP_PIN_EVENTS,
};

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
	const char *want = getenv("NACLEMU_FAULT");

	return want && !strcmp(want, step) ? -EIO : 0;
}

int dp_pinned_fd(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
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

__u32 dp_pinned_prog_id(const char *dir, const char *name)
{
	int fd = dp_pinned_fd(dir, name);
	__u32 id;

	if (fd < 0)
		return 0;
	id = dp_obj_id(fd);
	close(fd);
	return id;
}

int dp_mkdirs(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

void dp_unpin_all(const char *dir)
{
	char path[PATH_MAX], *slash;

	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s", dir);
	/* .../naclemu/<ns>/<if>, then <ns>, then naclemu itself, if empty. */
	for (int up = 0; up < 3; up++) {
		if (rmdir(path))
			break;
		slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
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

void dp_state_close(struct dp_state *st)
{
	if (st->meta_fd >= 0)
		close(st->meta_fd);
	if (st->rules_fd >= 0)
		close(st->rules_fd);
	if (st->counters_fd >= 0)
		close(st->counters_fd);
	free(st->rules);
	st->meta_fd = st->rules_fd = st->counters_fd = -1;
	st->rules = NULL;
}

/* dp_state_open() without the message. */
static int state_open(const char *dir, struct dp_state *st, unsigned int *layout)
{
	struct naclemu_meta_head head;
	int ret;

	memset(st, 0, sizeof(*st));
	st->rules_fd = st->counters_fd = -1;
	st->meta_fd = dp_pinned_fd(dir, DP_PIN_META);
	if (st->meta_fd < 0) {
		ret = st->meta_fd;
		st->meta_fd = -1;
		if (ret == -ENOENT && !access(dir, F_OK))
			ret = -EUCLEAN; /* a folder without its record */
		return ret;
	}
	ret = dp_meta_read(st->meta_fd, layout, &head, &st->meta);
	if (ret)
		goto fail;
	if (*layout != NACLEMU_STATE_LAYOUT) {
		ret = -EPROTO;
		goto fail;
	}
	st->rules_fd = dp_pinned_fd(dir, DP_PIN_RULES);
	st->counters_fd = dp_pinned_fd(dir, DP_PIN_COUNTERS);
	if (st->rules_fd < 0 || st->counters_fd < 0) {
		ret = st->rules_fd < 0 ? st->rules_fd : st->counters_fd;
		if (ret == -ENOENT)
			ret = -EUCLEAN; /* half a state: meta without maps */
		if (st->rules_fd < 0)
			st->rules_fd = -1;
		if (st->counters_fd < 0)
			st->counters_fd = -1;
		goto fail;
	}
	st->rules = calloc(1, sizeof(*st->rules));
	ret = st->rules ? dp_rules_read(st->rules_fd, st->rules) : -ENOMEM;
	if (ret == -ENOENT)
		ret = -EUCLEAN;
	if (ret)
		goto fail;
	return 0;
fail:
	dp_state_close(st);
	return ret;
}

/* The message for a state that state_open() refused with @ret. */
static int state_error(const struct dp_target *t, int ret, unsigned int layout,
		       struct dp_error *e)
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
	if (ret == -EUCLEAN)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "the pinned state in %s is incomplete: run 'naclemu detach%s%s -i %s' "
			       "to clean it up",
			       t->dir, nsopt, t->netns, t->ifname);
	return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot open the pinned state in %s: %s", t->dir,
		       strerror(-ret));
}

int dp_state_open(const struct dp_target *t, struct dp_state *st, struct dp_error *e)
{
	unsigned int layout = 0;
	int ret = state_open(t->dir, st, &layout);

	return ret ? state_error(t, ret, layout, e) : 0;
}

int dp_for_each_attached(const char *netns, const char *ifname, dp_visit_fn fn, void *arg,
			 size_t *visited)
{
	char nsdir[PATH_MAX];
	struct dirent *ns, *ifc;
	DIR *root, *d;
	int ret = 0;

	*visited = 0;
	root = opendir(DP_PIN_ROOT);
	if (!root)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (ns = readdir(root))) {
		if (ns->d_name[0] == '.')
			continue;
		if ((netns || ifname) && strcmp(ns->d_name, dp_netns_label(netns)))
			continue;
		snprintf(nsdir, sizeof(nsdir), "%s/%s", DP_PIN_ROOT, ns->d_name);
		d = opendir(nsdir);
		if (!d)
			continue;
		while (!ret && (ifc = readdir(d))) {
			struct dp_error e;
			struct dp_state st;
			struct dp_target t;
			unsigned int layout = 0;
			int err;

			if (ifc->d_name[0] == '.')
				continue;
			if (ifname && strcmp(ifc->d_name, ifname))
				continue;
			if (dp_target_init(&t, strcmp(ns->d_name, "root") ? ns->d_name : NULL,
					   ifc->d_name, &e))
				continue;
			err = state_open(t.dir, &st, &layout);
			if (err == -ENOENT)
				continue;
			(*visited)++;
			if (err)
				state_error(&t, err, layout, &e);
			ret = fn(&t, err ? NULL : &st, err ? &e : NULL, arg);
			if (!err)
				dp_state_close(&st);
		}
		closedir(d);
	}
	closedir(root);
	return ret;
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
	tc_filters_query(ifindex, &in, &out);
	dp_netns_leave(saved);
	if (in && in == dp_pinned_prog_id(t->dir, DP_PIN_PROG_IN) && out &&
	    out == dp_pinned_prog_id(t->dir, DP_PIN_PROG_OUT))
		return "attached";
	return "filters-missing";
}
