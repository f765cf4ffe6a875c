/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the datapath library's own files share, and nothing
 * outside user/datapath/ uses.
 */
#ifndef NACLEMU_DATAPATH_INTERNAL_H
#define NACLEMU_DATAPATH_INTERNAL_H

#include "datapath/datapath.h"

/*
 * dp_fail() - fill @e (exit status @exit, -errno @err, the message) and
 * return @err, so that a step can `return dp_fail(...)`.
 */
int dp_fail(struct dp_error *e, int exit, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * dp_target_of_folder() - @t for the state folder @label (NULL: "root")
 * and @ifname as they are, without resolving (the state root's walk).
 */
int dp_target_of_folder(struct dp_target *t, const char *label, const char *ifname,
			struct dp_error *e);

/* ---- the pin folder (pins.c): no symbolic link is followed below the root ---- */

/* The state root /sys/fs/bpf/naclemu (made when @create), or -errno. */
int dp_pins_root(bool create);

/*
 * dp_pins_open() - open (with @create: make) the pin folder of @t.
 * -ENOENT when it does not exist, -ELOOP when a component is a link.  With
 * @create, a folder removed meanwhile by another interface's detach is made
 * again (a bounded number of times).
 */
int dp_pins_open(const struct dp_target *t, bool create, struct dp_pins *p);
void dp_pins_close(struct dp_pins *p);

/*
 * The object pinned as @name in @p: its fd, or -errno (-ELOOP: a link or a
 * folder).  Fetched through the inode checked, so a link swapped in after
 * the check is not followed either.
 */
int dp_pins_get(const struct dp_pins *p, const char *name);
/* Pin @fd as @name in @p (-EEXIST when something is there). */
int dp_pins_pin(const struct dp_pins *p, const char *name, int fd);
/* The id of the program pinned as @name, 0 when there is none. */
__u32 dp_pins_prog_id(const struct dp_pins *p, const char *name);
/* Whether something is pinned as @name. */
bool dp_pins_has(const struct dp_pins *p, const char *name);
/*
 * dp_pins_remove() - unlink every pin of @p (the record last) and remove
 * the folder, then the namespace's folder and the root when empty.
 * -ENOTEMPTY when something else is in the folder.
 */
int dp_pins_remove(struct dp_pins *p, const struct dp_target *t);

/* ---- the interface lock (lock.c) ---- */

/*
 * dp_lock() - take @t's lock, exclusive or shared, waiting up to a minute
 * for another command.  *@lock_fd is the held lock for dp_unlock().
 */
int dp_lock(const struct dp_target *t, bool exclusive, int *lock_fd, struct dp_error *e);
/* How long a command waits for another one on the same interface. */
#define DP_LOCK_WAIT_MS 60000
/* dp_lock() waiting at most @wait_ms milliseconds; -EBUSY after that. */
int dp_lock_wait(const struct dp_target *t, bool exclusive, int wait_ms, int *lock_fd,
		 struct dp_error *e);

/*
 * How long a listing (status, stats, metrics, the exporter, events without
 * -i) waits for a command that holds one interface, before it reports that
 * interface busy and goes on with the others: a hung command must not stall
 * a scrape for a minute per interface.
 */
#define DP_LIST_LOCK_WAIT_MS 2000

/* ---- the state (state.c) ---- */

/* @st with nothing open. */
void dp_state_init(struct dp_state *st);

/*
 * dp_state_open_locked() - dp_state_open() for a caller that holds the
 * lock; *@layout is the record's layout.  On failure the caller closes @st.
 */
int dp_state_open_locked(const struct dp_target *t, struct dp_state *st, unsigned int *layout);

/* The message for a state dp_state_open_locked() refused with @ret; returns @ret. */
int dp_state_error(const struct dp_target *t, int ret, unsigned int layout, struct dp_error *e);

/*
 * dp_meta_read_head() - read the attach record pinned in @meta_fd whatever
 * its layout: *@layout (1 for the unversioned first layout), *@head (the
 * ifindex and flags of any layout) and, when the layout is this build's,
 * *@meta.  -EUCLEAN when it is not naclemu's record at all.
 */
int dp_meta_read(int meta_fd, unsigned int *layout, struct naclemu_meta_head *head,
		 struct naclemu_meta *meta);

/* ---- undoing (recover.c) ---- */

/*
 * dp_unhook() - remove our hooks from @t: the tcx links pinned in @p when
 * the record's @head says tcx; else our filters (those running programs
 * @id_in and @id_out), and the clsact qdisc when the record (@head's
 * ifindex and flags) says attach created it or meant to, the interface is
 * still that one, and nothing else is on it.  A missing namespace or
 * interface sets d->iface_gone and is no error.
 */
int dp_unhook(const struct dp_target *t, const struct dp_pins *p,
	      const struct naclemu_meta_head *head, __u32 id_in, __u32 id_out,
	      struct dp_detached *d);

/*
 * dp_recover() - with @t's lock held exclusively: finish or undo what a
 * command that died left on @t (recover.c); @note says what was done ("" if
 * nothing).  Returns 0 or -errno with @e set.
 */
int dp_recover(const struct dp_target *t, char *note, size_t len, struct dp_error *e);

#endif /* NACLEMU_DATAPATH_INTERNAL_H */
