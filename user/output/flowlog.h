/* SPDX-License-Identifier: MIT */
/*
 * flowlog.h - the datapath's flow table (struct naclemu_flow_key ->
 * struct naclemu_flow_val, include/naclemu.h) as AWS VPC Flow Log records,
 * docs/flowlog.md.  Three parts, none of which touches BPF or a clock:
 *
 *  - the record layout: what --format and --field ask for (struct
 *    flowlog_spec), parsed with flowlog_spec_format() and
 *    flowlog_spec_field();
 *  - the window builder: two readings of one interface's table, summed
 *    over CPUs, and the window's bounds in, the window's records out
 *    (flowlog_window_build());
 *  - the writer: records as text lines (flowlog_write()) into an output
 *    that --output FILE can reopen on SIGHUP (struct flowlog_out).
 *
 * A command runs: flowlog_spec_init(), flowlog_spec_format() and
 * flowlog_spec_field() for its options, flowlog_out_open(); then every
 * window, for each interface, flowlog_sum_cpus() over each entry read,
 * flowlog_window_build() against the previous reading, flowlog_out_window(),
 * flowlog_records_free(); flowlog_out_reopen() when SIGHUP came;
 * flowlog_out_close() at the end.  `naclemu flowlog` (flowlog_run.c)
 * takes a new table each window (datapath/flows.c), so its previous
 * reading is always empty but for the flows lost counter; the builder
 * also takes cumulative readings of one table.
 */
#ifndef NACLEMU_OUTPUT_FLOWLOG_H
#define NACLEMU_OUTPUT_FLOWLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "naclemu.h"

/*
 * The fields of versions 2 to 5, in the order of AWS's table of available
 * fields (the default format is the first FLOWLOG_V2_FIELDS of them).
 */
enum flowlog_field {
	/* version 2 */
	FL_VERSION,
	FL_ACCOUNT_ID,
	FL_INTERFACE_ID,
	FL_SRCADDR,
	FL_DSTADDR,
	FL_SRCPORT,
	FL_DSTPORT,
	FL_PROTOCOL,
	FL_PACKETS,
	FL_BYTES,
	FL_START,
	FL_END,
	FL_ACTION,
	FL_LOG_STATUS,
	/* version 3 */
	FL_VPC_ID,
	FL_SUBNET_ID,
	FL_INSTANCE_ID,
	FL_TCP_FLAGS,
	FL_TYPE,
	FL_PKT_SRCADDR,
	FL_PKT_DSTADDR,
	/* version 4 */
	FL_REGION,
	FL_AZ_ID,
	FL_SUBLOCATION_TYPE,
	FL_SUBLOCATION_ID,
	/* version 5 */
	FL_PKT_SRC_AWS_SERVICE,
	FL_PKT_DST_AWS_SERVICE,
	FL_FLOW_DIRECTION,
	FL_TRAFFIC_PATH,
	FL_NFIELDS,
};

#define FLOWLOG_V2_FIELDS 14 /* version .. log-status */

/* Longest --field value, and longest message of a parse error. */
#define FLOWLOG_VALUE_MAX 128
#define FLOWLOG_ERR_LEN 256

/* flowlog_field_name() - the field's AWS name ("srcaddr"); NULL if out of range. */
const char *flowlog_field_name(enum flowlog_field f);

/* flowlog_field_version() - the flow log version that introduced @f (2..5). */
int flowlog_field_version(enum flowlog_field f);

/*
 * struct flowlog_spec - what the records look like: @col[@ncol] the fields
 * in their order (each at most once), @version the highest version among
 * them (what the version field prints), @value[f] the value --field gave
 * field f when @given[f] (otherwise interface-id prints the interface's
 * name, the other fields "-").  Plain data: it may be copied.
 */
struct flowlog_spec {
	__u8 col[FL_NFIELDS];
	size_t ncol;
	int version;
	bool given[FL_NFIELDS];
	char value[FL_NFIELDS][FLOWLOG_VALUE_MAX];
};

/* flowlog_spec_init() - the default format (version 2), no --field. */
void flowlog_spec_init(struct flowlog_spec *s);

/*
 * flowlog_spec_format() - set the fields from --format's text, AWS's
 * syntax: '${field} ${field} ...', fields separated by spaces, each one of
 * versions 2 to 5, at most once.  Returns 0, or -EINVAL with @err set to
 * one line naming the option and the 1-based column of the fault
 * ("--format: column 9: unknown field 'srcadr'").  @s is unchanged on error.
 */
int flowlog_spec_format(struct flowlog_spec *s, const char *text, char err[FLOWLOG_ERR_LEN]);

/*
 * flowlog_spec_field() - one --field NAME=VALUE: a value naclemu cannot
 * know (account-id, interface-id, vpc-id, subnet-id, instance-id, region,
 * az-id, sublocation-type, sublocation-id).  VALUE is 1 to
 * FLOWLOG_VALUE_MAX - 1 printable bytes without spaces ('-' allowed); a
 * later --field for the same NAME wins.  Returns 0, or -EINVAL with @err
 * set ("--field: srcaddr is computed from the packets: ...").
 */
int flowlog_spec_field(struct flowlog_spec *s, const char *arg, char err[FLOWLOG_ERR_LEN]);

/* One entry of a flow table snapshot, summed over CPUs. */
struct flowlog_flow {
	struct naclemu_flow_key key;
	struct naclemu_flow_val val;
};

/*
 * struct flowlog_table - one interface's flow table read at one moment:
 * @flow[@n] its entries (any order, each key once), @lost the interface's
 * "flows lost" counter (flows the full table could not take) read at the
 * same moment.  A first window uses an empty table (@n 0, @lost 0) as the
 * previous one.
 */
struct flowlog_table {
	const struct flowlog_flow *flow;
	size_t n;
	__u64 lost;
};

/*
 * flowlog_sum_cpus() - the value of one key as the per-CPU map returns it
 * (@ncpu values) summed into @out: packets and bytes added, first_ns the
 * earliest and last_ns the latest of the CPUs that counted a packet,
 * tcp_flags OR-ed.
 */
void flowlog_sum_cpus(const struct naclemu_flow_val *percpu, unsigned int ncpu,
		      struct naclemu_flow_val *out);

/*
 * struct flowlog_window - the aggregation interval: @start and @end in
 * Unix seconds (@start <= @end), @offset_ns what turns a flow's
 * clock's nanoseconds (the flow table's, CLOCK_MONOTONIC) into
 * CLOCK_REALTIME.
 */
struct flowlog_window {
	__s64 start;
	__s64 end;
	__s64 offset_ns;
};

enum flowlog_status {
	FLOWLOG_OK,
	FLOWLOG_NODATA,   /* no flow on the interface in the window */
	FLOWLOG_SKIPDATA, /* flows were lost in the window */
};

/*
 * struct flowlog_record - one line.  With @status FLOWLOG_OK: @key, the
 * @packets and @bytes of the window, @start and @end (Unix seconds) the
 * first and last packet within it, @tcp_flags (AWS's values).  With
 * NODATA and SKIPDATA only @start and @end (the window's) mean anything.
 */
struct flowlog_record {
	struct naclemu_flow_key key;
	__u64 packets;
	__u64 bytes;
	__s64 start;
	__s64 end;
	__u8 tcp_flags;
	__u8 status;
};

/* The records of one window (flowlog_window_build()). */
struct flowlog_records {
	struct flowlog_record *rec;
	size_t n;
};

/*
 * flowlog_window_build() - the records of window @w of one interface,
 * whose table was @prev at the window's start and @cur at its end:
 * one OK record per flow that counted packets in between (the packet and
 * byte differences; a flow new in @cur, or whose entry was created again,
 * counts whole), sorted by start time, direction, family, addresses,
 * protocol, ports and action; then one SKIPDATA record if the lost
 * counter moved; or, when there is neither, one NODATA record.  Never an
 * empty result.  @out is to be freed with flowlog_records_free().
 * Returns 0, -EINVAL (@w->end < @w->start) or -ENOMEM.
 */
int flowlog_window_build(const struct flowlog_table *prev, const struct flowlog_table *cur,
			 const struct flowlog_window *w, struct flowlog_records *out);

void flowlog_records_free(struct flowlog_records *r);

/* flowlog_write_header() - the field names of @s, one line.  0 or -EIO. */
int flowlog_write_header(FILE *f, const struct flowlog_spec *s);

/*
 * flowlog_write() - @n records as lines of @s's fields separated by one
 * space; @iface is what interface-id prints unless --field gave it.
 * Returns 0 or -EIO (a write failed).
 */
int flowlog_write(FILE *f, const struct flowlog_spec *s, const char *iface,
		  const struct flowlog_record *rec, size_t n);

/*
 * struct flowlog_out - where records go: stdout, or --output FILE opened
 * for appending, opened again on SIGHUP so that logrotate can move the
 * file away.  With @header, the field names start stdout and every file
 * that is empty when opened.
 */
struct flowlog_out {
	FILE *f;
	const char *path; /* NULL: stdout */
	bool header;
	bool need_header;
};

/*
 * flowlog_out_open() - @path NULL or "-" for stdout, else the file,
 * created (0644) if missing, appended to.  Returns 0 or -errno.
 */
int flowlog_out_open(struct flowlog_out *o, const char *path, bool header);

/*
 * flowlog_out_reopen() - open @o's file again (after SIGHUP: logrotate
 * renamed it) and close the old one; nothing for stdout.  On failure the
 * old file is kept and -errno returned: the caller warns and goes on.
 */
int flowlog_out_reopen(struct flowlog_out *o);

/*
 * flowlog_out_window() - the header if due, then the records of one
 * window of the interface @iface, then flush, so that a window is in the
 * file when the call returns.  Returns 0 or -EIO.
 */
int flowlog_out_window(struct flowlog_out *o, const struct flowlog_spec *s, const char *iface,
		       const struct flowlog_records *r);

/* flowlog_out_close() - close the file (stdout stays open).  0 or -EIO. */
int flowlog_out_close(struct flowlog_out *o);

#endif /* NACLEMU_OUTPUT_FLOWLOG_H */
