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

/* Create @dir and its parents (mode 0700). */
int dp_mkdirs(const char *dir);

/* Remove the pins of @dir and the folders left empty up to DP_PIN_ROOT. */
void dp_unpin_all(const char *dir);

/*
 * dp_meta_read_head() - read the attach record pinned in @meta_fd whatever
 * its layout: *@layout (1 for the unversioned first layout), *@head (the
 * ifindex and flags of any layout) and, when the layout is this build's,
 * *@meta.  -EUCLEAN when it is not naclemu's record at all.
 */
int dp_meta_read(int meta_fd, unsigned int *layout, struct naclemu_meta_head *head,
		 struct naclemu_meta *meta);

#endif /* NACLEMU_DATAPATH_INTERNAL_H */
