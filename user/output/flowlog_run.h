/* SPDX-License-Identifier: MIT */
/*
 * flowlog_run.h - `naclemu flowlog`'s work (flowlog_run.c): every window,
 * take the flow table of each attached interface that has the flow log on
 * (datapath/flows.c), turn it into VPC Flow Log records (output/flowlog.h)
 * and write them; docs/flowlog.md.
 */
#ifndef NACLEMU_OUTPUT_FLOWLOG_RUN_H
#define NACLEMU_OUTPUT_FLOWLOG_RUN_H

#include <stdbool.h>
#include <linux/types.h>

#include "output/flowlog.h"

#define FLOWLOG_INTERVAL_DEFAULT 60 /* seconds, as AWS's default */
#define FLOWLOG_INTERVAL_MAX 3600
#define FLOWLOG_TIMEOUT_MAX 31536000.0 /* --timeout's largest value: a year */

/*
 * struct flowlog_req - what `naclemu flowlog` asks for.
 * @netns, @ifname: the interfaces: -i IFACE (in @netns, or the caller's
 *        namespace), else every interface attached with --flow-log (of
 *        @netns when given), also those attached later.
 * @interval: seconds of a window, 1..FLOWLOG_INTERVAL_MAX.
 * @spec: --format and --field.  @header: --header.
 * @output: --output FILE (appended, reopened on SIGHUP), NULL for stdout.
 * @count: stop after this many windows, 0 = no limit.
 * @timeout: stop after this many seconds (the last window ends then), 0 = none.
 */
struct flowlog_req {
	const char *netns;
	const char *ifname;
	unsigned int interval;
	struct flowlog_spec spec;
	bool header;
	const char *output;
	__u64 count;
	double timeout;
};

/*
 * flowlog_run() - write the records of @req until SIGINT or SIGTERM (the
 * window under way is closed and written then), @count windows, @timeout,
 * or, with -i, the interface's detach.  SIGHUP reopens --output.  Prints
 * its errors; returns an exit status: 1 when -i names an interface that is
 * not attached or attached without --flow-log, or when no interface has
 * the flow log on; 2 when the system fails (another reader holds the
 * table, the output cannot be written).
 */
int flowlog_run(const struct flowlog_req *req);

#endif /* NACLEMU_OUTPUT_FLOWLOG_RUN_H */
