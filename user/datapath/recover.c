// SPDX-License-Identifier: MIT
/*
 * recover.c - detach, and the recovery of a command that died half way
 * (datapath.h, internal.h).
 *
 * The steps of attach, update and detach are ordered so that every prefix
 * can be recognised from the pinned state alone (docs/design.md,
 * "Crashes"):
 *
 *   folder without record     attach died before pinning its record, or
 *                             detach after unpinning it: no filter of ours
 *                             can exist; the pins go.
 *   record ATTACHING          attach died after pinning, perhaps with one
 *                             filter or both, perhaps with the qdisc it was
 *                             about to create (QDISC_INTENT): undone.
 *   record UPDATING           update died around its swap: finished when
 *                             the live rule set is the new generation,
 *                             undone otherwise.
 *   record DETACHING          detach died after saying so: finished.
 *
 * The next attach, update or detach of the interface recovers, under the
 * interface's lock, before doing its own work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "datapath/internal.h"
#include "output/log.h"

/* Detach the tcx links pinned in @p (they are unpinned with the folder). */
static int unlink_tcx(const struct dp_pins *p)
{
	static const char *const pin[] = { DP_PIN_LINK_IN, DP_PIN_LINK_OUT };
	int ret = 0;

	for (size_t i = 0; i < sizeof(pin) / sizeof(pin[0]); i++) {
		int fd = dp_pins_get(p, pin[i]), err;

		if (fd == -ENOENT)
			continue;
		err = fd < 0 ? fd : tcx_link_detach(fd);
		if (fd >= 0)
			close(fd);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

int dp_unhook(const struct dp_target *t, const struct dp_pins *p,
	      const struct naclemu_meta_head *head, __u32 id_in, __u32 id_out,
	      struct dp_detached *d)
{
	bool tcx = head->flags & NACLEMU_META_HOOK_TCX;
	int ret, saved, now;

	/* A link is detached through itself, wherever its device is. */
	if ((ret = unlink_tcx(p)))
		return ret;
	ret = dp_netns_enter(t->netns, &saved);
	if (ret == -ENOENT) {
		d->iface_gone = true; /* the namespace went, and the interface with it */
		return 0;
	}
	if (ret)
		return ret;
	ret = dp_ifindex(t->ifname, &now);
	if (ret == -ENODEV) {
		d->iface_gone = true;
		ret = 0;
	} else if (!ret && !tcx) {
		/* Same name, new device: the qdisc attach made was not this one. */
		bool ours = head->ifindex == (__u32)now &&
			    (head->flags & (NACLEMU_META_CREATED_QDISC | NACLEMU_META_QDISC_INTENT));

		ret = tc_filters_detach(now, id_in, id_out, ours, &d->removed_qdisc);
	}
	dp_netns_leave(saved);
	return ret;
}

/* Remove the filters of the programs pinned in @p, then the pins. */
static int unhook_and_unpin(const struct dp_target *t, struct dp_pins *p,
			    const struct naclemu_meta_head *head, struct dp_detached *d,
			    struct dp_error *e)
{
	int ret = dp_unhook(t, p, head, dp_pins_prog_id(p, DP_PIN_PROG_IN),
			    dp_pins_prog_id(p, DP_PIN_PROG_OUT), d);

	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "cannot remove naclemu's %s from %s: %s (the state stays "
			       "pinned in %s)",
			       head->flags & NACLEMU_META_HOOK_TCX ? "tcx links" : "TC filters",
			       t->ifname, strerror(-ret), t->dir);
	dp_fault("detach.unpin");
	ret = dp_pins_remove(p, t);
	if (ret == -ENOTEMPTY)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot remove %s: something else is in it",
			       t->dir);
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot remove %s: %s", t->dir,
			       strerror(-ret));
	return 0;
}

/* Finish or undo an update that died: see the top of this file. */
static int recover_update(const struct dp_target *t, int meta_fd, struct naclemu_meta *m,
			  struct dp_pins *p, char *note, size_t len, struct dp_error *e)
{
	struct naclemu_rules *live = calloc(1, sizeof(*live));
	__u32 zero = 0;
	int rules_fd = dp_pins_get(p, DP_PIN_RULES), ret;

	ret = !live ? -ENOMEM : rules_fd < 0 ? rules_fd : dp_rules_read(rules_fd, live);
	if (!ret && live->generation == m->generation + 1) {
		snprintf(m->path, sizeof(m->path), "%s", m->pending_path);
		snprintf(m->acl_id, sizeof(m->acl_id), "%s", m->pending_acl);
		m->next_slot = m->pending_next_slot;
		m->generation = live->generation;
		m->update_time = (__u64)time(NULL);
		snprintf(note, len, "finished an interrupted update of %s (rules from %s)",
			 t->ifname, m->path);
	} else if (!ret) {
		snprintf(note, len, "undid an interrupted update of %s (rules from %s stay)",
			 t->ifname, m->path);
	}
	m->state = NACLEMU_META_READY;
	m->pending_path[0] = m->pending_acl[0] = '\0';
	if (!ret && bpf_map_update_elem(meta_fd, &zero, m, BPF_ANY))
		ret = -errno;
	if (rules_fd >= 0)
		close(rules_fd);
	free(live);
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "cannot recover the interrupted update of %s: %s", t->ifname,
			       strerror(-ret));
	return 0;
}

int dp_recover(const struct dp_target *t, char *note, size_t len, struct dp_error *e)
{
	struct naclemu_meta_head head = {};
	struct naclemu_meta m;
	struct dp_detached d = {};
	struct dp_pins p;
	unsigned int layout = 0;
	int ret, meta_fd;

	note[0] = '\0';
	ret = dp_pins_open(t, false, &p);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return dp_state_error(t, ret, 0, e);
	meta_fd = dp_pins_get(&p, DP_PIN_META);
	if (meta_fd == -ENOENT) {
		/* No record: no filter was added yet, or they are gone already. */
		ret = unhook_and_unpin(t, &p, &head, &d, e);
		if (!ret)
			snprintf(note, len, "removed the pins of an interrupted attach or detach of %s",
				 t->ifname);
		goto out;
	}
	if (meta_fd < 0) {
		ret = dp_state_error(t, meta_fd, 0, e);
		goto out;
	}
	/* Another layout's, or not a record at all: the command itself says so. */
	if (dp_meta_read(meta_fd, &layout, &head, &m) || layout != NACLEMU_STATE_LAYOUT)
		goto out_meta;
	if (m.state == NACLEMU_META_ATTACHING || m.state == NACLEMU_META_DETACHING) {
		ret = unhook_and_unpin(t, &p, &head, &d, e);
		if (!ret)
			snprintf(note, len, "%s an interrupted %s of %s",
				 m.state == NACLEMU_META_ATTACHING ? "undid" : "finished",
				 m.state == NACLEMU_META_ATTACHING ? "attach" : "detach", t->ifname);
	} else if (m.state == NACLEMU_META_UPDATING) {
		ret = recover_update(t, meta_fd, &m, &p, note, len, e);
	}
out_meta:
	close(meta_fd);
out:
	dp_pins_close(&p);
	return ret;
}

int dp_detach(const struct dp_target *t, struct dp_detached *d, struct dp_error *e)
{
	struct naclemu_meta_head head = {};
	struct dp_pins p;
	unsigned int layout = 0;
	int ret, lock_fd, meta_fd;

	memset(d, 0, sizeof(*d));
	memset(e, 0, sizeof(*e));
	if (dp_lock(t, true, &lock_fd, e))
		return e->exit;
	ret = dp_pins_open(t, false, &p);
	if (ret) {
		dp_state_error(t, ret, 0, e);
		goto out;
	}
	/* Whatever is pinned goes, a half state or another layout's too. */
	meta_fd = dp_pins_get(&p, DP_PIN_META);
	if (meta_fd >= 0) {
		struct naclemu_meta m;
		__u32 zero = 0;

		if (dp_meta_read(meta_fd, &layout, &head, &m) && layout == 0)
			memset(&head, 0, sizeof(head));
		/* Say so first: a detach killed half way is finished, not trusted. */
		if (layout == NACLEMU_STATE_LAYOUT) {
			m.state = NACLEMU_META_DETACHING;
			bpf_map_update_elem(meta_fd, &zero, &m, BPF_ANY);
		}
		close(meta_fd);
	}
	if (!dp_fault("detach.unhook"))
		unhook_and_unpin(t, &p, &head, d, e);
	dp_pins_close(&p);
out:
	dp_unlock(lock_fd);
	return e->exit;
}
