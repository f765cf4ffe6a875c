// SPDX-License-Identifier: MIT
/*
 * test_flowlog.c - flow table snapshots as VPC Flow Log records
 * (user/output/flowlog.c, docs/flowlog.md): the formats (default, custom,
 * every field, the version printed, --field, errors with their column),
 * the window builder (counter differences, a flow across two windows, an
 * entry created again, NODATA, SKIPDATA, clipping of times, ICMP, IPv6,
 * TCP flags) and the output file reopened as logrotate needs.  Exact lines
 * are compared; besides, every line produced is parsed back by a reader
 * written from AWS's field list and Athena's column types (below), not
 * from the writer.  No BPF, no root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "output/flowlog.h"
#include "table.h"

/*
 * Windows of 60 s from W0 = 2026-11-21T10:32:00Z; boot time 100 s is W0,
 * so T(s) is the boot time of W0 + s seconds.
 */
#define W0 1795257120LL
#define OFFSET_NS (W0 * 1000000000LL - 100000000000LL)
#define T(s) ((__u64)((100.0 + (s)) * 1e9))

#define V4(a, b, c, d) { 0, (__u64)(a) << 24 | (b) << 16 | (c) << 8 | (d) }
#define V6(hi, lo) { hi, lo }

static const struct flowlog_window win1 = { W0, W0 + 60, OFFSET_NS };
static const struct flowlog_window win2 = { W0 + 60, W0 + 120, OFFSET_NS };
static const struct flowlog_table empty;

/* TCP in: 198.51.100.7:40000 -> 192.0.2.10:443, accepted. */
static const struct naclemu_flow_key tcp_in = {
	V4(198, 51, 100, 7), V4(192, 0, 2, 10), 40000, 443, 6, 4, NACLEMU_INGRESS,
	NACLEMU_FLOW_ACCEPT
};
/* Its answers out, rejected (the classic ephemeral-port case). */
static const struct naclemu_flow_key tcp_out = {
	V4(192, 0, 2, 10), V4(198, 51, 100, 7), 443, 40000, 6, 4, NACLEMU_EGRESS,
	NACLEMU_FLOW_REJECT
};
/* UDP over IPv6 in: [2001:db8:1::10]:5353 -> [2001:db8:2::20]:53. */
static const struct naclemu_flow_key udp6_in = {
	V6(0x20010db800010000ULL, 0x10), V6(0x20010db800020000ULL, 0x20), 5353, 53, 17, 6,
	NACLEMU_INGRESS, NACLEMU_FLOW_ACCEPT
};
/* Ping in; ports as a careless datapath might fill them (type 8, code 0). */
static const struct naclemu_flow_key icmp_in = {
	V4(203, 0, 113, 9), V4(192, 0, 2, 10), 8, 0, 1, 4, NACLEMU_INGRESS, NACLEMU_FLOW_ACCEPT
};
/* ICMPv6 echo out, rejected. */
static const struct naclemu_flow_key icmp6_out = {
	V6(0x20010db800020000ULL, 0x20), V6(0x20010db800010000ULL, 0x10), 0, 0, 58, 6,
	NACLEMU_EGRESS, NACLEMU_FLOW_REJECT
};

static struct naclemu_flow_val val(__u64 packets, __u64 bytes, double first, double last,
				   __u8 flags)
{
	return (struct naclemu_flow_val){ packets, bytes, T(first), T(last), flags, {} };
}

/* @s rendered (header first with @header) into a malloc'ed string. */
static char *render(const struct flowlog_spec *s, const char *iface,
		    const struct flowlog_records *r, bool header)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (header)
		assert_int_equal(flowlog_write_header(f, s), 0);
	assert_int_equal(flowlog_write(f, s, iface, r->rec, r->n), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void build(const struct flowlog_table *prev, const struct flowlog_table *cur,
		  const struct flowlog_window *w, struct flowlog_records *r)
{
	assert_int_equal(flowlog_window_build(prev, cur, w, r), 0);
	assert_non_null(r->rec);
}

/* ---- an independent reader ------------------------------------------------------
 *
 * Written from AWS's table of available fields and the column types of
 * Athena's table for flow logs in plain text (version, srcport, dstport,
 * tcp_flags, traffic_path int; protocol, packets, bytes, start, end bigint;
 * the rest string), with the values AWS lists for the enumerated fields.
 * A record is the header's columns separated by single spaces; "-" is
 * NULL in any column.  It shares nothing with flowlog.c.
 */
enum rtype { R_INT, R_BIGINT, R_STRING, R_ADDR, R_ENUM };

static const struct rcol {
	const char *name;
	enum rtype type;
	const char *values; /* R_ENUM: the allowed words, space-separated */
} rcols[] = {
	{ "version", R_INT, NULL },
	{ "account-id", R_STRING, NULL },
	{ "interface-id", R_STRING, NULL },
	{ "srcaddr", R_ADDR, NULL },
	{ "dstaddr", R_ADDR, NULL },
	{ "srcport", R_INT, NULL },
	{ "dstport", R_INT, NULL },
	{ "protocol", R_BIGINT, NULL },
	{ "packets", R_BIGINT, NULL },
	{ "bytes", R_BIGINT, NULL },
	{ "start", R_BIGINT, NULL },
	{ "end", R_BIGINT, NULL },
	{ "action", R_ENUM, "ACCEPT REJECT" },
	{ "log-status", R_ENUM, "OK NODATA SKIPDATA" },
	{ "vpc-id", R_STRING, NULL },
	{ "subnet-id", R_STRING, NULL },
	{ "instance-id", R_STRING, NULL },
	{ "tcp-flags", R_INT, NULL },
	{ "type", R_ENUM, "IPv4 IPv6 EFA" },
	{ "pkt-srcaddr", R_ADDR, NULL },
	{ "pkt-dstaddr", R_ADDR, NULL },
	{ "region", R_STRING, NULL },
	{ "az-id", R_STRING, NULL },
	{ "sublocation-type", R_ENUM, "wavelength outpost localzone" },
	{ "sublocation-id", R_STRING, NULL },
	{ "pkt-src-aws-service", R_STRING, NULL },
	{ "pkt-dst-aws-service", R_STRING, NULL },
	{ "flow-direction", R_ENUM, "ingress egress" },
	{ "traffic-path", R_INT, NULL },
};
#define NRCOLS (sizeof(rcols) / sizeof(rcols[0]))

/* One parsed record: for each known column, present?, NULL?, its value. */
struct rrec {
	bool present[NRCOLS];
	bool null[NRCOLS];
	long long num[NRCOLS];
	char str[NRCOLS][64];
};

static int rcol_index(const char *name, size_t len)
{
	for (size_t i = 0; i < NRCOLS; i++)
		if (strlen(rcols[i].name) == len && !strncmp(rcols[i].name, name, len))
			return (int)i;
	return -1;
}

static bool enum_ok(const char *values, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = values; *p;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == n && !strncmp(p, w, n))
			return true;
		p += l + (e ? 1 : 0);
	}
	return false;
}

/*
 * Parse @line under @header into @r; false with @why set on any fault: a
 * column count that differs, an unknown column, an empty word (two
 * spaces), a number out of its Athena type, an address inet_pton refuses,
 * a value outside an enumeration, a tcp-flags value with bits AWS never
 * reports.
 */
static bool read_record(const char *header, const char *line, struct rrec *r, char why[128])
{
	int idx[64];
	size_t ncols = 0, i = 0;
	const char *p;

	memset(r, 0, sizeof(*r));
	for (p = header;;) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strcspn(p, "\n");
		int c = rcol_index(p, l);

		if (c < 0 || ncols == 64) {
			snprintf(why, 128, "unknown column '%.*s'", (int)l, p);
			return false;
		}
		idx[ncols++] = c;
		if (!e)
			break;
		p = e + 1;
	}
	for (p = line;; i++) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strcspn(p, "\n");
		char w[64];
		const struct rcol *col;
		int c;

		if (i >= ncols) {
			snprintf(why, 128, "more than %zu columns", ncols);
			return false;
		}
		if (!l || l >= sizeof(w)) {
			snprintf(why, 128, "column %zu: empty or too long", i + 1);
			return false;
		}
		memcpy(w, p, l);
		w[l] = '\0';
		c = idx[i];
		col = &rcols[c];
		r->present[c] = true;
		snprintf(r->str[c], sizeof(r->str[c]), "%s", w);
		if (!strcmp(w, "-")) {
			r->null[c] = true;
		} else if (col->type == R_INT || col->type == R_BIGINT) {
			char *end;
			long long v;

			errno = 0;
			v = strtoll(w, &end, 10);
			if (*end || errno || w[0] == '+' ||
			    (col->type == R_INT && (v < INT_MIN || v > INT_MAX))) {
				snprintf(why, 128, "%s: '%s' is not an %s", col->name, w,
					 col->type == R_INT ? "int" : "bigint");
				return false;
			}
			r->num[c] = v;
		} else if (col->type == R_ADDR) {
			unsigned char b[16];

			if (inet_pton(strchr(w, ':') ? AF_INET6 : AF_INET, w, b) != 1) {
				snprintf(why, 128, "%s: '%s' is not an address", col->name, w);
				return false;
			}
		} else if (col->type == R_ENUM && !enum_ok(col->values, w)) {
			snprintf(why, 128, "%s: '%s' is not one of %s", col->name, w, col->values);
			return false;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (i + 1 != ncols) {
		snprintf(why, 128, "%zu columns for %zu names", i + 1, ncols);
		return false;
	}
	/* Value ranges AWS documents. */
	for (size_t k = 0; k < NRCOLS; k++) {
		const char *n = rcols[k].name;
		long long v = r->num[k];

		if (!r->present[k] || r->null[k])
			continue;
		if ((!strcmp(n, "srcport") || !strcmp(n, "dstport")) && (v < 0 || v > 65535))
			goto range;
		if (!strcmp(n, "protocol") && (v < 0 || v > 255))
			goto range;
		if (!strcmp(n, "version") && (v < 2 || v > 5))
			goto range;
		/* FIN 1, SYN 2, RST 4, SYN-ACK 18: ACK only with SYN. */
		if (!strcmp(n, "tcp-flags") && ((v & ~0x17LL) || ((v & 0x10) && !(v & 2))))
			goto range;
		if (!strcmp(n, "traffic-path") && (v < 1 || v > 8))
			goto range;
		continue;
range:
		snprintf(why, 128, "%s: %lld out of range", n, v);
		return false;
	}
	return true;
}

/*
 * Read every line of @text (the first one the header, if @header; else
 * the version 2 names) and count them; fail on the first that does not
 * parse.  The records go to @out[] (up to @max).
 */
static size_t read_all(const char *text, bool header, struct rrec *out, size_t max)
{
	static const char v2[] = "version account-id interface-id srcaddr dstaddr srcport "
				 "dstport protocol packets bytes start end action log-status";
	char hdr[1024], line[1024], why[128];
	const char *p = text;
	size_t n = 0;

	snprintf(hdr, sizeof(hdr), "%s", v2);
	for (bool first = true; *p; first = false) {
		size_t l = strcspn(p, "\n");

		assert_true(p[l] == '\n'); /* every record ends its line */
		assert_true(l < sizeof(line));
		memcpy(line, p, l);
		line[l] = '\0';
		p += l + 1;
		if (first && header) {
			snprintf(hdr, sizeof(hdr), "%s", line);
			continue;
		}
		assert_true(n < max);
		if (!read_record(hdr, line, &out[n], why))
			fail_msg("line '%s' does not parse: %s", line, why);
		n++;
	}
	return n;
}

static int col_of(const char *name)
{
	int c = rcol_index(name, strlen(name));

	assert_true(c >= 0);
	return c;
}

static const char *rstr(const struct rrec *r, const char *name)
{
	int c = col_of(name);

	assert_true(r->present[c]);
	return r->str[c];
}

static long long rnum(const struct rrec *r, const char *name)
{
	int c = col_of(name);

	assert_true(r->present[c]);
	assert_false(r->null[c]);
	return r->num[c];
}

static bool rnull(const struct rrec *r, const char *name)
{
	int c = col_of(name);

	assert_true(r->present[c]);
	return r->null[c];
}

/* The reader itself: it takes records shaped as AWS documents them, and refuses faults. */
static void reader_self_check(void **state)
{
	static const char *const good[] = {
		"2 123456789012 eni-0a1b2c3d4e5f60718 192.0.2.7 198.51.100.9 49152 22 6 12 3120 "
		"1795257121 1795257170 ACCEPT OK",
		"2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1795257120 1795257180 - NODATA",
		"2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1795257120 1795257180 - SKIPDATA",
		"2 123456789012 eni-0a1b2c3d4e5f60718 2001:db8::7 2001:db8:1::9 0 0 58 1 104 "
		"1795257121 1795257121 REJECT OK",
	};
	static const char *const bad[] = {
		"2 123456789012 eni-0 192.0.2.7 198.51.100.9 49152 22 6 12 3120 1 2 ACCEPTED OK",
		"2 123456789012 eni-0 192.0.2.7 198.51.100.9 70000 22 6 12 3120 1 2 ACCEPT OK",
		"2 123456789012 eni-0 192.0.2.777 198.51.100.9 1 22 6 12 3120 1 2 ACCEPT OK",
		"2 123456789012 eni-0 192.0.2.7 198.51.100.9 1 22 6 12 3120 1 2 ACCEPT OK extra",
		"2 123456789012 eni-0 192.0.2.7 198.51.100.9 1 22 6 12 3120 1 2 ACCEPT",
		"2 123456789012 eni-0 192.0.2.7  198.51.100.9 1 22 6 12 3120 1 2 ACCEPT OK",
		"2 123456789012 eni-0 192.0.2.7 198.51.100.9 1 22 6 x 3120 1 2 ACCEPT OK",
		"9 123456789012 eni-0 192.0.2.7 198.51.100.9 1 22 6 1 3120 1 2 ACCEPT OK",
	};
	const char *v2 = "version account-id interface-id srcaddr dstaddr srcport dstport "
			 "protocol packets bytes start end action log-status";
	struct rrec r;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!read_record(v2, good[i], &r, why)) {
			print_error("good line %zu refused: %s\n", i, why);
			failures++;
		}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (read_record(v2, bad[i], &r, why)) {
			print_error("bad line %zu taken\n", i);
			failures++;
		}
	assert_false(read_record("version tcp-flags", "3 16", &r, why)); /* ACK alone */
	assert_true(read_record("version tcp-flags", "3 19", &r, why));
	assert_false(read_record("version ecs-cluster-name", "7 x", &r, why));
	done();
}

/* ---- formats ------------------------------------------------------------------------ */

static void field_names_and_versions(void **state)
{
	static const char *const names[FL_NFIELDS] = {
		"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
		"dstport", "protocol", "packets", "bytes", "start", "end", "action", "log-status",
		"vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr",
		"pkt-dstaddr", "region", "az-id", "sublocation-type", "sublocation-id",
		"pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
	};
	static const int version[FL_NFIELDS] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3,
						 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5 };
	struct flowlog_spec s;
	char fmt[64], err[FLOWLOG_ERR_LEN];

	(void)state;
	for (int f = 0; f < FL_NFIELDS; f++) {
		assert_string_equal(flowlog_field_name(f), names[f]);
		assert_int_equal(flowlog_field_version(f), version[f]);
		/* Each field alone is a format, of its own version. */
		flowlog_spec_init(&s);
		snprintf(fmt, sizeof(fmt), "${%s}", names[f]);
		assert_int_equal(flowlog_spec_format(&s, fmt, err), 0);
		assert_int_equal(s.ncol, 1);
		assert_int_equal(s.col[0], f);
		assert_int_equal(s.version, version[f]);
	}
	assert_null(flowlog_field_name(FL_NFIELDS));
	assert_int_equal(flowlog_field_version(FL_NFIELDS), 0);
}

static void default_format(void **state)
{
	const struct flowlog_flow cur[] = { { tcp_in, val(10, 5000, 1.5, 5.2, 3) } };
	struct flowlog_table t = { cur, 1, 0 };
	struct flowlog_records r;
	struct flowlog_spec s;
	char *out;

	(void)state;
	flowlog_spec_init(&s);
	assert_int_equal(s.ncol, 14);
	assert_int_equal(s.version, 2);
	build(&empty, &t, &win1, &r);
	out = render(&s, "eth0", &r, true);
	assert_string_equal(out,
			    "version account-id interface-id srcaddr dstaddr srcport dstport "
			    "protocol packets bytes start end action log-status\n"
			    "2 - eth0 198.51.100.7 192.0.2.10 40000 443 6 10 5000 1795257121 "
			    "1795257125 ACCEPT OK\n");
	free(out);
	flowlog_records_free(&r);
	assert_null(r.rec);
}

/* Every field of versions 2 to 5, in AWS's order, with --field values. */
static void every_field(void **state)
{
	const struct flowlog_flow cur[] = {
		{ tcp_out, val(3, 180, 2, 4, 18) },
		{ udp6_in, val(1, 90, 7, 7, 0) },
	};
	struct flowlog_table t = { cur, 2, 0 };
	static const char *const given[] = {
		"account-id=123456789012", "vpc-id=vpc-0123456789abcdef0",
		"subnet-id=subnet-0123456789abcdef0", "instance-id=i-0123456789abcdef0",
		"region=eu-west-3", "az-id=euw3-az1", "sublocation-type=outpost",
		"sublocation-id=op-0123456789abcdef0",
	};
	struct flowlog_records r;
	struct flowlog_spec s;
	char err[FLOWLOG_ERR_LEN], *out;

	(void)state;
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_format(&s,
			 "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} "
			 "${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} "
			 "${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} "
			 "${pkt-srcaddr} ${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} "
			 "${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} "
			 "${flow-direction} ${traffic-path}", err), 0);
	assert_int_equal(s.ncol, FL_NFIELDS);
	assert_int_equal(s.version, 5);
	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++)
		assert_int_equal(flowlog_spec_field(&s, given[i], err), 0);
	build(&empty, &t, &win1, &r);
	out = render(&s, "v-server", &r, false);
	assert_string_equal(out,
		"5 123456789012 v-server 192.0.2.10 198.51.100.7 443 40000 6 3 180 1795257122 "
		"1795257124 REJECT OK vpc-0123456789abcdef0 subnet-0123456789abcdef0 "
		"i-0123456789abcdef0 18 IPv4 192.0.2.10 198.51.100.7 eu-west-3 euw3-az1 outpost "
		"op-0123456789abcdef0 - - egress -\n"
		"5 123456789012 v-server 2001:db8:1::10 2001:db8:2::20 5353 53 17 1 90 1795257127 "
		"1795257127 ACCEPT OK vpc-0123456789abcdef0 subnet-0123456789abcdef0 "
		"i-0123456789abcdef0 0 IPv6 2001:db8:1::10 2001:db8:2::20 eu-west-3 euw3-az1 "
		"outpost op-0123456789abcdef0 - - ingress -\n");
	free(out);
	flowlog_records_free(&r);
}

/* A custom order and subset; the version is that of the newest field. */
static void custom_formats(void **state)
{
	static const struct {
		const char *fmt;
		int version;
		const char *line;
	} t[] = {
		{ "${srcaddr} ${dstaddr}", 2, "198.51.100.7 192.0.2.10\n" },
		{ "${version} ${srcaddr}", 2, "2 198.51.100.7\n" },
		{ "${version} ${tcp-flags}", 3, "3 3\n" },
		{ "${az-id} ${version} ${log-status}", 4, "- 4 OK\n" },
		{ "${version} ${vpc-id} ${region} ${traffic-path}", 5, "5 - - -\n" },
		{ "${flow-direction} ${version}", 5, "ingress 5\n" },
		{ "  ${version}\t${type}   ${end} ", 3, "3 IPv4 1795257125\n" },
		{ "${log-status} ${action} ${packets} ${bytes} ${version}", 2, "OK ACCEPT 10 5000 2\n" },
	};
	const struct flowlog_flow cur[] = { { tcp_in, val(10, 5000, 1.5, 5.2, 3) } };
	struct flowlog_table tab = { cur, 1, 0 };
	struct flowlog_records r;
	char err[FLOWLOG_ERR_LEN];

	(void)state;
	build(&empty, &tab, &win1, &r);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct flowlog_spec s;
		char *out;

		flowlog_spec_init(&s);
		if (flowlog_spec_format(&s, t[i].fmt, err)) {
			print_error("'%s': %s\n", t[i].fmt, err);
			failures++;
			continue;
		}
		out = render(&s, "eth0", &r, false);
		if (s.version != t[i].version || strcmp(out, t[i].line)) {
			print_error("'%s': version %d, line '%s'\n", t[i].fmt, s.version, out);
			failures++;
		}
		free(out);
	}
	flowlog_records_free(&r);
	done();
}

static void format_errors(void **state)
{
	static const struct {
		const char *fmt;
		const char *err;
	} t[] = {
		{ "", "--format: no field: give at least one '${FIELD}'" },
		{ "   ", "--format: no field: give at least one '${FIELD}'" },
		{ "${srcadr}", "--format: column 1: unknown field 'srcadr' (the fields of flow log "
			       "versions 2 to 5)" },
		{ "${version} ${srcadr}", "--format: column 12: unknown field 'srcadr' (the fields "
					  "of flow log versions 2 to 5)" },
		{ "${version} ${log_status}", "--format: column 12: unknown field 'log_status' (the "
					      "fields of flow log versions 2 to 5); did you mean "
					      "'log-status'?" },
		{ "${version} ${ecs-cluster-name}", "--format: column 12: unknown field "
						    "'ecs-cluster-name' (the fields of flow log "
						    "versions 2 to 5)" },
		{ "${}", "--format: column 1: unknown field '' (the fields of flow log versions 2 "
			 "to 5)" },
		{ "${version}${srcaddr}", "--format: column 11: expected a space after '${version}'" },
		{ "${version}, ${srcaddr}", "--format: column 11: expected a space after "
					    "'${version}'" },
		{ "${version} srcaddr", "--format: column 12: expected '${FIELD}', found 'srcaddr'" },
		{ "$version", "--format: column 1: expected '${FIELD}', found '$version'" },
		{ "${version", "--format: column 1: '${' without its '}'" },
		{ "${version ${srcaddr}", "--format: column 1: '${' without its '}'" },
		{ "${version} ${srcaddr} ${version}", "--format: column 23: field 'version' given "
						      "twice" },
	};
	char err[FLOWLOG_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct flowlog_spec s, before;

		flowlog_spec_init(&s);
		assert_int_equal(flowlog_spec_format(&s, "${version} ${tcp-flags}", err), 0);
		before = s;
		err[0] = '\0';
		if (flowlog_spec_format(&s, t[i].fmt, err) != -EINVAL || strcmp(err, t[i].err) ||
		    memcmp(&s, &before, sizeof(s))) {
			print_error("'%s': got '%s'\n", t[i].fmt, err);
			failures++;
		}
	}
	done();
}

static void fields_given(void **state)
{
	static const struct {
		const char *arg;
		const char *err; /* NULL: taken */
	} t[] = {
		{ "account-id=123456789012", NULL },
		{ "interface-id=eni-0123456789abcdef0", NULL },
		{ "vpc-id=-", NULL },
		{ "region=eu-west-3=x", NULL }, /* the first '=' splits */
		{ "account-id", "--field: expected NAME=VALUE, got 'account-id'" },
		{ "=123", "--field: expected NAME=VALUE, got '=123'" },
		{ "acount-id=1", "--field: unknown field 'acount-id'" },
		{ "account_id=1", "--field: unknown field 'account_id'; did you mean 'account-id'?" },
		{ "srcaddr=192.0.2.1", "--field: srcaddr is naclemu's to fill; only account-id, "
				       "interface-id, vpc-id, subnet-id, instance-id, region, az-id, "
				       "sublocation-type and sublocation-id can be given" },
		{ "traffic-path=1", "--field: traffic-path is naclemu's to fill; only account-id, "
				    "interface-id, vpc-id, subnet-id, instance-id, region, az-id, "
				    "sublocation-type and sublocation-id can be given" },
		{ "version=3", "--field: version is naclemu's to fill; only account-id, "
			       "interface-id, vpc-id, subnet-id, instance-id, region, az-id, "
			       "sublocation-type and sublocation-id can be given" },
		{ "vpc-id=", "--field: vpc-id wants a value ('-' for none)" },
		{ "vpc-id=vpc 1", "--field: the value of vpc-id has a space or control character "
				  "at byte 4" },
		{ "vpc-id=vpc\t1", "--field: the value of vpc-id has a space or control character "
				   "at byte 4" },
		{ "vpc-id=a\nb", "--field: the value of vpc-id has a space or control character "
				 "at byte 2" },
	};
	struct flowlog_spec s;
	char err[FLOWLOG_ERR_LEN], longv[200];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		flowlog_spec_init(&s);
		err[0] = '\0';
		rc = flowlog_spec_field(&s, t[i].arg, err);
		if (t[i].err ? rc != -EINVAL || strcmp(err, t[i].err) : rc != 0) {
			print_error("'%s': %d '%s'\n", t[i].arg, rc, err);
			failures++;
		}
	}
	memset(longv, 'x', sizeof(longv));
	memcpy(longv, "vpc-id=", 7);
	longv[7 + 127] = '\0';
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_field(&s, longv, err), 0);
	longv[7 + 127] = 'x';
	longv[7 + 128] = '\0';
	assert_int_equal(flowlog_spec_field(&s, longv, err), -EINVAL);
	assert_string_equal(err, "--field: the value of vpc-id is longer than 127 bytes");
	/* A later --field wins; interface-id replaces the interface's name. */
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_field(&s, "account-id=111111111111", err), 0);
	assert_int_equal(flowlog_spec_field(&s, "account-id=222222222222", err), 0);
	assert_int_equal(flowlog_spec_field(&s, "interface-id=eni-0123456789abcdef0", err), 0);
	{
		const struct flowlog_flow cur[] = { { icmp_in, val(2, 168, 3, 4, 0) } };
		struct flowlog_table tab = { cur, 1, 0 };
		struct flowlog_records r;
		char *out;

		build(&empty, &tab, &win1, &r);
		out = render(&s, "eth0", &r, false);
		assert_string_equal(out, "2 222222222222 eni-0123456789abcdef0 203.0.113.9 "
					 "192.0.2.10 0 0 1 2 168 1795257123 1795257124 ACCEPT OK\n");
		free(out);
		flowlog_records_free(&r);
	}
	done();
}

/* ---- windows ------------------------------------------------------------------------ */

static void nodata(void **state)
{
	const struct flowlog_flow f[] = { { tcp_in, val(10, 5000, 1.5, 5.2, 3) } };
	struct flowlog_table t = { f, 1, 4 };
	struct flowlog_records r;
	struct flowlog_spec s;
	char err[FLOWLOG_ERR_LEN], *out;

	(void)state;
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_field(&s, "account-id=123456789012", err), 0);
	/* Nothing at all. */
	build(&empty, &empty, &win1, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rec[0].status, FLOWLOG_NODATA);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out, "2 123456789012 eth0 - - - - - - - 1795257120 1795257180 - NODATA\n");
	free(out);
	flowlog_records_free(&r);
	/* A flow that counted nothing new, and no loss. */
	build(&t, &t, &win2, &r);
	assert_int_equal(r.n, 1);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out, "2 123456789012 eth0 - - - - - - - 1795257180 1795257240 - NODATA\n");
	free(out);
	flowlog_records_free(&r);
	/* Every field of a NODATA record in a custom format. */
	assert_int_equal(flowlog_spec_format(&s, "${version} ${interface-id} ${vpc-id} ${srcaddr} "
				 "${tcp-flags} ${type} ${az-id} ${flow-direction} ${start} ${end} "
				 "${log-status}", err), 0);
	assert_int_equal(flowlog_spec_field(&s, "vpc-id=vpc-0123456789abcdef0", err), 0);
	build(&empty, &empty, &win1, &r);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out, "5 eth0 vpc-0123456789abcdef0 - - - - - 1795257120 1795257180 "
				 "NODATA\n");
	free(out);
	flowlog_records_free(&r);
}

static void skipdata(void **state)
{
	const struct flowlog_flow f0[] = { { tcp_in, val(10, 5000, 1.5, 5.2, 3) } };
	const struct flowlog_flow f1[] = { { tcp_in, val(14, 5400, 1.5, 61, 3) } };
	struct flowlog_table p = { f0, 1, 3 }, c = { f1, 1, 5 };
	struct flowlog_table lost_only = { f0, 1, 9 }, reset = { f0, 1, 2 };
	struct flowlog_records r;
	struct flowlog_spec s;
	char *out;

	(void)state;
	flowlog_spec_init(&s);
	/* Flows kept and flows lost: their records, then one SKIPDATA. */
	build(&p, &c, &win2, &r);
	assert_int_equal(r.n, 2);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out,
			    "2 - eth0 198.51.100.7 192.0.2.10 40000 443 6 4 400 1795257180 "
			    "1795257181 ACCEPT OK\n"
			    "2 - eth0 - - - - - - - 1795257180 1795257240 - SKIPDATA\n");
	free(out);
	flowlog_records_free(&r);
	/* Only losses: SKIPDATA, never NODATA with it. */
	build(&p, &lost_only, &win2, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rec[0].status, FLOWLOG_SKIPDATA);
	flowlog_records_free(&r);
	/* A counter that went down was reset: what it holds was lost. */
	build(&p, &reset, &win2, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.rec[0].status, FLOWLOG_SKIPDATA);
	flowlog_records_free(&r);
	/* A counter reset to 0 lost nothing. */
	reset.lost = 0;
	build(&p, &reset, &win2, &r);
	assert_int_equal(r.rec[0].status, FLOWLOG_NODATA);
	flowlog_records_free(&r);
}

/* A flow across two windows is in both, each with its own counts. */
static void across_two_windows(void **state)
{
	/* SYN, SYN-ACK, ACK in the first window; data then FIN in the second. */
	const struct flowlog_flow s1[] = { { tcp_in, val(3, 180, 58, 59, 2) },
					   { tcp_out, val(1, 60, 58.5, 58.5, 18) } };
	const struct flowlog_flow s2[] = { { tcp_in, val(9, 1380, 58, 70, 2 | 1) },
					   { tcp_out, val(5, 2060, 58.5, 71, 18 | 1) } };
	struct flowlog_table t1 = { s1, 2, 0 }, t2 = { s2, 2, 0 };
	struct flowlog_records r;
	struct flowlog_spec s;
	char err[FLOWLOG_ERR_LEN], *out;

	(void)state;
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_format(&s, "${srcport} ${packets} ${bytes} ${start} ${end} "
				 "${tcp-flags} ${action} ${flow-direction}", err), 0);
	build(&empty, &t1, &win1, &r);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out, "40000 3 180 1795257178 1795257179 2 ACCEPT ingress\n"
				 "443 1 60 1795257178 1795257178 18 REJECT egress\n");
	free(out);
	flowlog_records_free(&r);
	build(&t1, &t2, &win2, &r);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out, "40000 6 1200 1795257180 1795257190 1 ACCEPT ingress\n"
				 "443 4 2000 1795257180 1795257191 1 REJECT egress\n");
	free(out);
	flowlog_records_free(&r);
}

/* Counter differences: gone, unchanged, grown, created again. */
static void counter_deltas(void **state)
{
	const struct flowlog_flow prev[] = {
		{ tcp_in, val(10, 5000, 1, 50, 2) },
		{ tcp_out, val(8, 800, 1, 50, 18) },
		{ udp6_in, val(4, 400, 2, 40, 0) },
		{ icmp_in, val(7, 700, 3, 30, 0) },
	};
	const struct flowlog_flow cur[] = {
		/* recreated: fewer packets than before */
		{ tcp_in, val(2, 120, 65, 66, 2) },
		/* recreated: more packets, but all after the old entry's last */
		{ tcp_out, val(20, 1200, 62, 64, 18) },
		/* grown */
		{ udp6_in, val(6, 650, 2, 80, 0) },
		/* icmp_in unchanged: no record; icmp6_out new */
		{ icmp_in, val(7, 700, 3, 30, 0) },
		{ icmp6_out, val(1, 104, 90, 90, 0) },
	};
	struct flowlog_table p = { prev, 4, 0 }, c = { cur, 5, 0 };
	struct flowlog_records r;
	struct flowlog_spec s;
	char err[FLOWLOG_ERR_LEN], *out;

	(void)state;
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_format(&s, "${protocol} ${srcaddr} ${packets} ${bytes} "
				 "${start} ${end} ${tcp-flags}", err), 0);
	build(&p, &c, &win2, &r);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out, "17 2001:db8:1::10 2 250 1795257180 1795257200 0\n"
				 "6 192.0.2.10 20 1200 1795257182 1795257184 18\n"
				 "6 198.51.100.7 2 120 1795257185 1795257186 2\n"
				 "58 2001:db8:2::20 1 104 1795257210 1795257210 0\n");
	free(out);
	flowlog_records_free(&r);
	/* Bytes that went down on a live entry count 0, never wrap. */
	{
		const struct flowlog_flow a[] = { { tcp_in, val(10, 5000, 1, 50, 2) } };
		const struct flowlog_flow b[] = { { tcp_in, val(11, 4000, 1, 61, 2) } };
		struct flowlog_table ta = { a, 1, 0 }, tb = { b, 1, 0 };

		build(&ta, &tb, &win2, &r);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.rec[0].packets, 1);
		assert_int_equal(r.rec[0].bytes, 0);
		flowlog_records_free(&r);
	}
}

/* Start and end are the packets' times, within the window. */
static void clipping(void **state)
{
	const struct flowlog_flow f[] = {
		{ tcp_in, val(1, 60, -30, -20, 2) },       /* before the window */
		{ tcp_out, val(1, 60, 59.9, 75, 18) },     /* its last after it */
		{ udp6_in, val(1, 60, 10.999, 10.999, 0) } /* rounded down */
	};
	struct flowlog_table t = { f, 3, 0 };
	struct flowlog_records r;

	(void)state;
	build(&empty, &t, &win1, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.rec[0].start, W0);
	assert_int_equal(r.rec[0].end, W0);
	assert_int_equal(r.rec[1].start, W0 + 10);
	assert_int_equal(r.rec[1].end, W0 + 10);
	assert_int_equal(r.rec[2].start, W0 + 59);
	assert_int_equal(r.rec[2].end, W0 + 60);
	flowlog_records_free(&r);
}

static void ipv6_records(void **state)
{
	const struct flowlog_flow f[] = { { udp6_in, val(2, 180, 1, 2, 0) },
					  { icmp6_out, val(1, 104, 3, 3, 0) } };
	struct flowlog_table t = { f, 2, 0 };
	struct flowlog_records r;
	struct flowlog_spec s;
	char err[FLOWLOG_ERR_LEN], *out;

	(void)state;
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_format(&s, "${version} ${srcaddr} ${dstaddr} ${srcport} "
				 "${dstport} ${protocol} ${type} ${pkt-srcaddr} ${pkt-dstaddr} "
				 "${action}", err), 0);
	build(&empty, &t, &win1, &r);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out,
		"3 2001:db8:1::10 2001:db8:2::20 5353 53 17 IPv6 2001:db8:1::10 2001:db8:2::20 ACCEPT\n"
		"3 2001:db8:2::20 2001:db8:1::10 0 0 58 IPv6 2001:db8:2::20 2001:db8:1::10 REJECT\n");
	free(out);
	flowlog_records_free(&r);
}

static void icmp_ports_zero(void **state)
{
	const struct flowlog_flow f[] = { { icmp_in, val(4, 336, 1, 4, 0) } };
	struct flowlog_table t = { f, 1, 0 };
	struct flowlog_records r;
	struct flowlog_spec s;
	char *out;

	(void)state;
	flowlog_spec_init(&s);
	build(&empty, &t, &win1, &r);
	out = render(&s, "eth0", &r, false);
	assert_string_equal(out, "2 - eth0 203.0.113.9 192.0.2.10 0 0 1 4 336 1795257121 "
				 "1795257124 ACCEPT OK\n");
	free(out);
	flowlog_records_free(&r);
}

/* NACLEMU_FLOW_TCP_FLAGS() per packet, OR-ed, as the datapath will. */
static void tcp_flags(void **state)
{
	static const struct {
		__u8 hdr;  /* byte 13 of the TCP header */
		__u8 flow; /* what AWS reports */
	} pkt[] = {
		{ 0x02, 2 }, { 0x12, 18 }, { 0x10, 0 }, { 0x18, 0 }, { 0x11, 1 },
		{ 0x14, 4 }, { 0x04, 4 }, { 0x01, 1 }, { 0x20, 0 }, { 0xc2, 2 }, { 0x08, 0 },
	};
	static const struct {
		const char *what;
		__u8 hdr[4];
		size_t n;
		__u8 window;
	} conn[] = {
		{ "syn, syn-ack", { 0x02, 0x12 }, 2, 18 },
		{ "syn, fin", { 0x02, 0x01 }, 2, 3 },
		{ "syn-ack, fin-ack", { 0x12, 0x11 }, 2, 19 },
		{ "ack, psh-ack", { 0x10, 0x18 }, 2, 0 },
		{ "syn, rst", { 0x02, 0x04 }, 2, 6 },
		{ "syn, syn-ack, ack, fin-ack", { 0x02, 0x12, 0x10, 0x11 }, 4, 19 },
	};
	struct flowlog_records r;

	(void)state;
	for (size_t i = 0; i < sizeof(pkt) / sizeof(pkt[0]); i++)
		if (NACLEMU_FLOW_TCP_FLAGS(pkt[i].hdr) != pkt[i].flow) {
			print_error("flags 0x%02x: %d\n", pkt[i].hdr,
				    NACLEMU_FLOW_TCP_FLAGS(pkt[i].hdr));
			failures++;
		}
	for (size_t i = 0; i < sizeof(conn) / sizeof(conn[0]); i++) {
		struct flowlog_flow f = { tcp_in, val(conn[i].n, 60, 1, 2, 0) };
		struct flowlog_table t = { &f, 1, 0 };

		for (size_t j = 0; j < conn[i].n; j++)
			f.val.tcp_flags |= NACLEMU_FLOW_TCP_FLAGS(conn[i].hdr[j]);
		build(&empty, &t, &win1, &r);
		if (r.rec[0].tcp_flags != conn[i].window) {
			print_error("%s: %d\n", conn[i].what, r.rec[0].tcp_flags);
			failures++;
		}
		flowlog_records_free(&r);
	}
	/* Across windows: the flags the flow gained; a SYN-ACK after a SYN is 18. */
	{
		const struct flowlog_flow a[] = { { tcp_out, val(1, 60, 1, 1, 2) } };
		const struct flowlog_flow b[] = { { tcp_out, val(2, 120, 1, 61, 18) } };
		struct flowlog_table ta = { a, 1, 0 }, tb = { b, 1, 0 };

		build(&ta, &tb, &win2, &r);
		assert_int_equal(r.rec[0].tcp_flags, 18);
		flowlog_records_free(&r);
	}
	/* Not TCP: 0, whatever the value holds. */
	{
		const struct flowlog_flow u[] = { { udp6_in, val(1, 60, 1, 1, 0xff) } };
		struct flowlog_table tu = { u, 1, 0 };

		build(&empty, &tu, &win1, &r);
		assert_int_equal(r.rec[0].tcp_flags, 0);
		flowlog_records_free(&r);
	}
	done();
}

static void sum_cpus(void **state)
{
	const struct naclemu_flow_val cpu[4] = {
		{ 0 },
		{ 3, 300, T(5), T(9), 2, {} },
		{ 2, 120, T(2), T(7), 1, {} },
		{ 1, 60, T(8), T(12), 0, {} },
	};
	struct naclemu_flow_val v;

	(void)state;
	flowlog_sum_cpus(cpu, 4, &v);
	assert_int_equal(v.packets, 6);
	assert_int_equal(v.bytes, 480);
	assert_int_equal(v.first_ns, T(2));
	assert_int_equal(v.last_ns, T(12));
	assert_int_equal(v.tcp_flags, 3);
	flowlog_sum_cpus(cpu, 1, &v);
	assert_int_equal(v.packets, 0);
	assert_int_equal(v.first_ns, 0);
}

static void window_errors(void **state)
{
	const struct flowlog_window bad = { W0 + 60, W0, OFFSET_NS };
	struct flowlog_records r = { (void *)1, 5 };

	(void)state;
	assert_int_equal(flowlog_window_build(&empty, &empty, &bad, &r), -EINVAL);
	assert_null(r.rec);
	assert_int_equal(r.n, 0);
}

/* Records come sorted by start, then direction, family and addresses. */
static void ordering(void **state)
{
	const struct flowlog_flow f[] = {
		{ icmp6_out, val(1, 60, 9, 9, 0) },
		{ udp6_in, val(1, 60, 5, 5, 0) },
		{ tcp_out, val(1, 60, 5, 5, 18) },
		{ icmp_in, val(1, 60, 5, 5, 0) },
		{ tcp_in, val(1, 60, 5, 5, 2) },
	};
	struct flowlog_table t = { f, 5, 0 };
	struct flowlog_records r;

	(void)state;
	build(&empty, &t, &win1, &r);
	assert_int_equal(r.n, 5);
	assert_memory_equal(&r.rec[0].key, &tcp_in, sizeof(tcp_in));
	assert_memory_equal(&r.rec[1].key, &icmp_in, sizeof(icmp_in));
	assert_memory_equal(&r.rec[2].key, &udp6_in, sizeof(udp6_in));
	assert_memory_equal(&r.rec[3].key, &tcp_out, sizeof(tcp_out));
	assert_memory_equal(&r.rec[4].key, &icmp6_out, sizeof(icmp6_out));
	flowlog_records_free(&r);
}

/* ---- every line parses back -------------------------------------------------------- */

/* The windows of the tests above, in the default format and in a custom one. */
static void reader_roundtrip(void **state)
{
	static const char *const formats[] = {
		NULL,
		"${traffic-path} ${flow-direction} ${pkt-dst-aws-service} ${pkt-src-aws-service} "
		"${sublocation-id} ${sublocation-type} ${az-id} ${region} ${pkt-dstaddr} "
		"${pkt-srcaddr} ${type} ${tcp-flags} ${instance-id} ${subnet-id} ${vpc-id} "
		"${log-status} ${action} ${end} ${start} ${bytes} ${packets} ${protocol} "
		"${dstport} ${srcport} ${dstaddr} ${srcaddr} ${interface-id} ${account-id} "
		"${version}",
		"${version} ${interface-id} ${srcaddr} ${dstport} ${tcp-flags} ${log-status}",
	};
	const struct flowlog_flow s1[] = {
		{ tcp_in, val(3, 180, 58, 59, 2) },   { tcp_out, val(1, 60, 58.5, 58.5, 18) },
		{ udp6_in, val(2, 180, 1, 2, 0) },    { icmp_in, val(4, 336, 1, 4, 0) },
		{ icmp6_out, val(1, 104, 3, 3, 0) },
	};
	const struct flowlog_flow s2[] = {
		{ tcp_in, val(9, 1380, 58, 70, 3) }, { tcp_out, val(5, 2060, 58.5, 71, 19) },
		{ udp6_in, val(2, 180, 1, 2, 0) },    { icmp_in, val(4, 336, 1, 4, 0) },
		{ icmp6_out, val(1, 104, 3, 3, 0) },
	};
	const struct flowlog_table t1 = { s1, 5, 0 }, t2 = { s2, 5, 2 };
	const struct flowlog_table *tabs[] = { &empty, &t1, &t2, &t2 };
	const struct flowlog_window *wins[] = { &win1, &win2, &win1 };

	(void)state;
	for (size_t fi = 0; fi < sizeof(formats) / sizeof(formats[0]); fi++) {
		struct flowlog_spec s;
		char err[FLOWLOG_ERR_LEN];

		flowlog_spec_init(&s);
		if (formats[fi])
			assert_int_equal(flowlog_spec_format(&s, formats[fi], err), 0);
		assert_int_equal(flowlog_spec_field(&s, "account-id=123456789012", err), 0);
		assert_int_equal(flowlog_spec_field(&s, "region=eu-west-3", err), 0);
		assert_int_equal(flowlog_spec_field(&s, "sublocation-type=localzone", err), 0);
		for (size_t wi = 0; wi < 3; wi++) {
			struct flowlog_records r;
			struct rrec rec[8];
			char *out;
			size_t n;

			build(tabs[wi], tabs[wi + 1], wins[wi], &r);
			/* The version 2 header is implied when there is none. */
			out = render(&s, "eth0", &r, formats[fi] != NULL);
			n = read_all(out, formats[fi] != NULL, rec, 8);
			assert_int_equal(n, r.n);
			for (size_t i = 0; i < n; i++) {
				const struct flowlog_record *x = &r.rec[i];
				const struct rrec *y = &rec[i];
				bool ok = x->status == FLOWLOG_OK;
				int fam = x->key.family == 6 ? AF_INET6 : AF_INET;
				unsigned char b[16];

				assert_int_equal(rnum(y, "version"), s.version);
				assert_string_equal(rstr(y, "interface-id"), "eth0");
				assert_string_equal(rstr(y, "log-status"),
						    ok ? "OK" : x->status == FLOWLOG_NODATA ?
							 "NODATA" : "SKIPDATA");
				if (y->present[col_of("account-id")])
					assert_string_equal(rstr(y, "account-id"), "123456789012");
				if (y->present[col_of("region")])
					assert_string_equal(rstr(y, "region"), "eu-west-3");
				if (y->present[col_of("vpc-id")])
					assert_true(rnull(y, "vpc-id"));
				if (y->present[col_of("traffic-path")])
					assert_true(rnull(y, "traffic-path"));
				if (y->present[col_of("start")]) {
					assert_int_equal(rnum(y, "start"), x->start);
					assert_int_equal(rnum(y, "end"), x->end);
					assert_true(rnum(y, "start") >= wins[wi]->start);
					assert_true(rnum(y, "end") <= wins[wi]->end);
				}
				if (!ok) {
					assert_true(rnull(y, "srcaddr"));
					if (y->present[col_of("tcp-flags")])
						assert_true(rnull(y, "tcp-flags"));
					continue;
				}
				/* srcaddr is the key's source, read back as bytes. */
				assert_int_equal(inet_pton(fam, rstr(y, "srcaddr"), b), 1);
				if (fam == AF_INET) {
					__u32 v = htonl((__u32)x->key.src.lo);

					assert_memory_equal(b, &v, 4);
				} else {
					for (int k = 0; k < 8; k++) {
						assert_int_equal(b[k], (__u8)(x->key.src.hi >> (56 - 8 * k)));
						assert_int_equal(b[8 + k], (__u8)(x->key.src.lo >> (56 - 8 * k)));
					}
				}
				if (y->present[col_of("dstport")])
					assert_int_equal(rnum(y, "dstport"),
							 x->key.protocol == 1 || x->key.protocol == 58 ?
								 0 : x->key.dport);
				if (y->present[col_of("packets")]) {
					assert_int_equal(rnum(y, "packets"), x->packets);
					assert_int_equal(rnum(y, "bytes"), x->bytes);
					assert_int_equal(rnum(y, "protocol"), x->key.protocol);
					assert_string_equal(rstr(y, "action"),
							    x->key.action ? "ACCEPT" : "REJECT");
				}
				if (y->present[col_of("type")]) {
					assert_string_equal(rstr(y, "type"), fam == AF_INET ? "IPv4" : "IPv6");
					assert_string_equal(rstr(y, "pkt-srcaddr"), rstr(y, "srcaddr"));
					assert_string_equal(rstr(y, "pkt-dstaddr"), rstr(y, "dstaddr"));
					assert_string_equal(rstr(y, "flow-direction"),
							    x->key.dir ? "egress" : "ingress");
					assert_string_equal(rstr(y, "sublocation-type"), "localzone");
				}
				if (y->present[col_of("tcp-flags")])
					assert_int_equal(rnum(y, "tcp-flags"), x->tcp_flags);
			}
			free(out);
			flowlog_records_free(&r);
		}
	}
}

/* ---- the output file --------------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 4095, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void output_reopen(void **state)
{
	char dir[] = "/tmp/naclemu-flowlog-XXXXXX", path[64], rotated[64], moved[64], *text;
	const struct flowlog_flow f[] = { { tcp_in, val(1, 60, 1, 1, 2) } };
	struct flowlog_table t = { f, 1, 0 };
	struct flowlog_records r, nod;
	struct flowlog_out o;
	struct flowlog_spec s;
	char err[FLOWLOG_ERR_LEN];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/flows.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/flows.log.1", dir);
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	flowlog_spec_init(&s);
	assert_int_equal(flowlog_spec_format(&s, "${version} ${srcaddr} ${log-status}", err), 0);
	build(&empty, &t, &win1, &r);
	build(&t, &t, &win2, &nod);

	/* A new file gets the header, then each window, flushed. */
	assert_int_equal(flowlog_out_open(&o, path, true), 0);
	assert_int_equal(flowlog_out_window(&o, &s, "eth0", &r), 0);
	text = slurp(path);
	assert_string_equal(text, "version srcaddr log-status\n2 198.51.100.7 OK\n");
	free(text);
	/* logrotate moves the file; until SIGHUP, records follow it. */
	assert_int_equal(rename(path, rotated), 0);
	assert_int_equal(flowlog_out_window(&o, &s, "eth0", &nod), 0);
	assert_int_equal(flowlog_out_reopen(&o), 0);
	assert_int_equal(flowlog_out_window(&o, &s, "eth1", &nod), 0);
	text = slurp(rotated);
	assert_string_equal(text, "version srcaddr log-status\n2 198.51.100.7 OK\n2 - NODATA\n");
	free(text);
	text = slurp(path);
	assert_string_equal(text, "version srcaddr log-status\n2 - NODATA\n");
	free(text);
	assert_int_equal(flowlog_out_close(&o), 0);

	/* A file that has records already: appended to, no second header. */
	assert_int_equal(flowlog_out_open(&o, path, true), 0);
	assert_int_equal(flowlog_out_window(&o, &s, "eth0", &r), 0);
	assert_int_equal(flowlog_out_reopen(&o), 0); /* same file: still no header */
	assert_int_equal(flowlog_out_window(&o, &s, "eth0", &r), 0);
	assert_int_equal(flowlog_out_close(&o), 0);
	text = slurp(path);
	assert_string_equal(text, "version srcaddr log-status\n2 - NODATA\n2 198.51.100.7 OK\n"
				  "2 198.51.100.7 OK\n");
	free(text);

	/* A file that cannot be opened is an error; reopening one keeps the old file. */
	snprintf(path, sizeof(path), "%s/gone/flows.log", dir);
	assert_int_equal(flowlog_out_open(&o, path, false), -ENOENT);
	snprintf(path, sizeof(path), "%s/flows.log", dir);
	assert_int_equal(flowlog_out_open(&o, path, false), 0);
	assert_int_equal(rename(dir, moved), 0);
	assert_int_equal(flowlog_out_reopen(&o), -ENOENT);
	assert_non_null(o.f);
	assert_int_equal(flowlog_out_window(&o, &s, "eth0", &nod), 0);
	assert_int_equal(rename(moved, dir), 0);
	assert_int_equal(flowlog_out_close(&o), 0);
	text = slurp(path);
	assert_string_equal(text, "version srcaddr log-status\n2 - NODATA\n2 198.51.100.7 OK\n"
				  "2 198.51.100.7 OK\n2 - NODATA\n");
	free(text);

	/* stdout: reopen does nothing, close leaves it open. */
	assert_int_equal(flowlog_out_open(&o, "-", false), 0);
	assert_ptr_equal(o.f, stdout);
	assert_int_equal(flowlog_out_reopen(&o), 0);
	assert_int_equal(flowlog_out_close(&o), 0);

	flowlog_records_free(&r);
	flowlog_records_free(&nod);
	unlink(rotated);
	snprintf(path, sizeof(path), "%s/flows.log", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reader_self_check),
		cmocka_unit_test(field_names_and_versions),
		cmocka_unit_test(default_format),
		cmocka_unit_test(every_field),
		cmocka_unit_test(custom_formats),
		cmocka_unit_test(format_errors),
		cmocka_unit_test(fields_given),
		cmocka_unit_test(nodata),
		cmocka_unit_test(skipdata),
		cmocka_unit_test(across_two_windows),
		cmocka_unit_test(counter_deltas),
		cmocka_unit_test(clipping),
		cmocka_unit_test(ipv6_records),
		cmocka_unit_test(icmp_ports_zero),
		cmocka_unit_test(tcp_flags),
		cmocka_unit_test(sum_cpus),
		cmocka_unit_test(window_errors),
		cmocka_unit_test(ordering),
		cmocka_unit_test(reader_roundtrip),
		cmocka_unit_test(output_reopen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
