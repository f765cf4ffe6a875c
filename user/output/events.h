/* SPDX-License-Identifier: MIT */
/*
 * events.h - drop events (struct naclemu_event, include/naclemu.h) as
 * `naclemu events` and `naclemu run` print them: docs/semantics.md section 4\'s text
 * columns and JSON lines.  Pure formatting, no BPF: the unit tests call it
 * directly.
 */
#ifndef NACLEMU_EVENTS_H
#define NACLEMU_EVENTS_H

#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>
#include <linux/types.h>

#include "naclemu.h"

/* Width of the IFACE text column at least (docs/semantics.md section 4\'s layout). */
#define EV_IFACE_WIDTH 6

/* Longest text line ev_text() writes, with the newline. */
#define EV_LINE_LEN 256

/*
 * ev_clock_offset() - CLOCK_REALTIME minus CLOCK_BOOTTIME, in nanoseconds:
 * what turns an event's time_ns (boot time) into wall-clock time.  Read
 * again now and then, so that a clock step (NTP, date -s) is followed.
 */
__s64 ev_clock_offset(void);

/*
 * ev_json() - one event as docs/semantics.md section 4\'s JSON object, fields in the documented order:
 * time (RFC 3339, UTC, microseconds), interface (@iface), direction, rule,
 * action ("deny", or "malformed" with rule 0), family, protocol, src, dst,
 * src_port, dst_port, icmp_type, icmp_code, length, tcp_flags; null where a
 * field does not apply or was not parsed.  NULL when out of memory.
 */
json_t *ev_json(const struct naclemu_event *e, const char *iface, __s64 offset_ns);

/*
 * ev_text() - one event as a line of docs/semantics.md section 4\'s text columns (with '\n') into
 * @buf: local time, @iface padded to @iface_width, direction, rule ('*' for
 * the default deny, '-' for a malformed packet), protocol, source and
 * destination (ADDR:PORT, [ADDR6]:PORT for TCP and UDP; '-' when unknown),
 * length in bytes.
 */
const char *ev_text(const struct naclemu_event *e, const char *iface, int iface_width,
		    __s64 offset_ns, char buf[EV_LINE_LEN]);

/* The header line of the text columns (with '\n'). */
const char *ev_text_header(int iface_width, char buf[EV_LINE_LEN]);

/*
 * ev_addr() - an address of struct naclemu_addr (host byte order, IPv4 in
 * @lo) of @family 4 or 6 as text ("192.0.2.1", "2001:db8::1"); NULL when
 * the family is neither.
 */
const char *ev_addr(const struct naclemu_addr *a, int family, char buf[INET6_ADDRSTRLEN]);

/* TCP flags as "S", "SA", "FA", "PA", ... (order F S R P A U E C). */
const char *ev_tcp_flags(__u8 flags, char buf[9]);

#endif /* NACLEMU_EVENTS_H */
