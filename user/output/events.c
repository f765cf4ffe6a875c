// SPDX-License-Identifier: MIT
/*
 * events.c - drop events as text columns and JSON lines (see events.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output/events.h"
#include "rules/model.h"
#include "analysis/eval.h"

__s64 ev_clock_offset(void)
{
	struct timespec b1, r, b2;
	__s64 boot;

	/* Real time between two boot-time reads: the midpoint pairs them. */
	clock_gettime(CLOCK_BOOTTIME, &b1);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b2);
	boot = ((__s64)b1.tv_sec * 1000000000 + b1.tv_nsec +
		(__s64)b2.tv_sec * 1000000000 + b2.tv_nsec) / 2;
	return (__s64)r.tv_sec * 1000000000 + r.tv_nsec - boot;
}

/* Wall-clock time of @e split into seconds and microseconds. */
static void ev_time(const struct naclemu_event *e, __s64 offset_ns, time_t *sec,
		    unsigned int *usec)
{
	__s64 ns = (__s64)e->time_ns + offset_ns;

	if (ns < 0)
		ns = 0;
	*sec = (time_t)(ns / 1000000000);
	*usec = (unsigned int)(ns % 1000000000 / 1000);
}

const char *ev_tcp_flags(__u8 flags, char buf[9])
{
	static const char names[] = "FSRPAUEC"; /* bit 0 (FIN) .. bit 7 (CWR) */
	int n = 0;

	for (int i = 0; i < 8; i++)
		if (flags & (1u << i))
			buf[n++] = names[i];
	buf[n] = '\0';
	return buf;
}

const char *ev_addr(const struct naclemu_addr *a, int family,
			   char buf[INET6_ADDRSTRLEN])
{
	unsigned char b[16];

	if (family == 4) {
		__u32 v = htonl((__u32)a->lo);

		return inet_ntop(AF_INET, &v, buf, INET6_ADDRSTRLEN);
	}
	if (family != 6)
		return NULL;
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(a->hi >> (56 - 8 * i));
		b[8 + i] = (unsigned char)(a->lo >> (56 - 8 * i));
	}
	return inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
}

static bool malformed(const struct naclemu_event *e)
{
	return e->rule == NACLEMU_RULE_MALFORMED;
}

static json_t *int_or_null(bool known, json_int_t v)
{
	return known ? json_integer(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *ev_json(const struct naclemu_event *e, const char *iface, __s64 offset_ns)
{
	char when[48], day[32], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], fl[9];
	bool proto = e->flags & NACLEMU_EVF_PROTO, ports = e->flags & NACLEMU_EVF_PORTS;
	bool icmp = e->flags & NACLEMU_EVF_ICMP;
	unsigned int usec;
	struct tm tm;
	time_t sec;
	json_t *o;

	ev_time(e, offset_ns, &sec, &usec);
	gmtime_r(&sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when, sizeof(when), "%s.%06uZ", day, usec);

	o = json_object();
	if (!o)
		return NULL;
	/* Insertion order is the output order (JSON_PRESERVE_ORDER). */
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "interface", json_string(iface));
	json_object_set_new(o, "direction",
			    json_string(e->dir == NACLEMU_EGRESS ? "egress" : "ingress"));
	json_object_set_new(o, "rule", json_integer(e->rule));
	json_object_set_new(o, "action", json_string(malformed(e) ? "malformed" : "deny"));
	json_object_set_new(o, "family", int_or_null(e->family == 4 || e->family == 6, e->family));
	json_object_set_new(o, "protocol", int_or_null(proto, e->protocol));
	json_object_set_new(o, "src", str_or_null(ev_addr(&e->src, e->family, src)));
	json_object_set_new(o, "dst", str_or_null(ev_addr(&e->dst, e->family, dst)));
	json_object_set_new(o, "src_port", int_or_null(ports, e->sport));
	json_object_set_new(o, "dst_port", int_or_null(ports, e->dport));
	json_object_set_new(o, "icmp_type", int_or_null(icmp, e->icmp_type));
	json_object_set_new(o, "icmp_code", int_or_null(icmp, e->icmp_code));
	json_object_set_new(o, "length", json_integer(e->len));
	json_object_set_new(o, "tcp_flags", e->flags & NACLEMU_EVF_TCP ?
					    json_string(ev_tcp_flags(e->tcp_flags, fl)) :
					    json_null());
	return o;
}

/* "ADDR", "ADDR:PORT" or "[ADDR6]:PORT"; "-" when the address is unknown. */
static const char *endpoint(const struct naclemu_event *e, const struct naclemu_addr *a,
			    __u16 port, char buf[INET6_ADDRSTRLEN + 8])
{
	char ab[INET6_ADDRSTRLEN];

	if (!ev_addr(a, e->family, ab))
		return "-";
	if (!(e->flags & NACLEMU_EVF_PORTS))
		snprintf(buf, INET6_ADDRSTRLEN + 8, "%s", ab);
	else if (e->family == 6)
		snprintf(buf, INET6_ADDRSTRLEN + 8, "[%s]:%u", ab, port);
	else
		snprintf(buf, INET6_ADDRSTRLEN + 8, "%s:%u", ab, port);
	return buf;
}

/*
 * The columns, as docs/semantics.md section 4 lays them out: TIME 15, IFACE 6 (or wider), DIR
 * 7, RULE 5, PROTO 5, SRC 19, DST 19, LEN right-aligned in 3; a longer
 * value (an IPv6 address) widens its column on that line only.
 */
#define EV_FMT "%-15s %-*s %-7s %-5s %-5s %-19s %-19s %3s\n"

const char *ev_text_header(int iface_width, char buf[EV_LINE_LEN])
{
	snprintf(buf, EV_LINE_LEN, EV_FMT, "TIME", iface_width, "IFACE", "DIR", "RULE",
		 "PROTO", "SRC", "DST", "LEN");
	return buf;
}

const char *ev_text(const struct naclemu_event *e, const char *iface, int iface_width,
		    __s64 offset_ns, char buf[EV_LINE_LEN])
{
	char when[32], hms[16], rule[8], pb[8], len[12];
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8];
	const char *proto = "-";
	unsigned int usec;
	struct tm tm;
	time_t sec;

	/* Local time, as tcpdump prints it; JSON has the UTC date. */
	ev_time(e, offset_ns, &sec, &usec);
	localtime_r(&sec, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	snprintf(when, sizeof(when), "%s.%06u", hms, usec);

	if (malformed(e))
		snprintf(rule, sizeof(rule), "-");
	else if (e->rule == NACLEMU_RULE_DEFAULT_V4 || e->rule == NACLEMU_RULE_DEFAULT_V6)
		snprintf(rule, sizeof(rule), "*");
	else
		snprintf(rule, sizeof(rule), "%u", e->rule);
	/* "icmp6": the column is 5 wide. */
	if (e->flags & NACLEMU_EVF_PROTO)
		proto = e->protocol == 58 ? "icmp6" : nacl_proto_name(e->protocol, pb);
	snprintf(len, sizeof(len), "%u", e->len);
	snprintf(buf, EV_LINE_LEN, EV_FMT, when, iface_width, iface,
		 e->dir == NACLEMU_EGRESS ? "egress" : "ingress", rule, proto,
		 endpoint(e, &e->src, e->sport, src), endpoint(e, &e->dst, e->dport, dst), len);
	return buf;
}
