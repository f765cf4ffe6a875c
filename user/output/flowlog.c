// SPDX-License-Identifier: MIT
/*
 * flowlog.c - flow table snapshots as AWS VPC Flow Log records (see
 * flowlog.h; what each field holds is docs/flowlog.md's table).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/events.h"
#include "output/flowlog.h"

/*
 * The fields as AWS names them, with the version that introduced each and
 * whether --field may give its value: only what describes the interface
 * and is the same for every record of it (AWS's metadata fields), never
 * what comes from the packets or depends on each flow.
 */
static const struct {
	const char *name;
	__u8 version;
	bool settable;
} fields[FL_NFIELDS] = {
	[FL_VERSION] = { "version", 2, false },
	[FL_ACCOUNT_ID] = { "account-id", 2, true },
	[FL_INTERFACE_ID] = { "interface-id", 2, true },
	[FL_SRCADDR] = { "srcaddr", 2, false },
	[FL_DSTADDR] = { "dstaddr", 2, false },
	[FL_SRCPORT] = { "srcport", 2, false },
	[FL_DSTPORT] = { "dstport", 2, false },
	[FL_PROTOCOL] = { "protocol", 2, false },
	[FL_PACKETS] = { "packets", 2, false },
	[FL_BYTES] = { "bytes", 2, false },
	[FL_START] = { "start", 2, false },
	[FL_END] = { "end", 2, false },
	[FL_ACTION] = { "action", 2, false },
	[FL_LOG_STATUS] = { "log-status", 2, false },
	[FL_VPC_ID] = { "vpc-id", 3, true },
	[FL_SUBNET_ID] = { "subnet-id", 3, true },
	[FL_INSTANCE_ID] = { "instance-id", 3, true },
	[FL_TCP_FLAGS] = { "tcp-flags", 3, false },
	[FL_TYPE] = { "type", 3, false },
	[FL_PKT_SRCADDR] = { "pkt-srcaddr", 3, false },
	[FL_PKT_DSTADDR] = { "pkt-dstaddr", 3, false },
	[FL_REGION] = { "region", 4, true },
	[FL_AZ_ID] = { "az-id", 4, true },
	[FL_SUBLOCATION_TYPE] = { "sublocation-type", 4, true },
	[FL_SUBLOCATION_ID] = { "sublocation-id", 4, true },
	[FL_PKT_SRC_AWS_SERVICE] = { "pkt-src-aws-service", 5, false },
	[FL_PKT_DST_AWS_SERVICE] = { "pkt-dst-aws-service", 5, false },
	[FL_FLOW_DIRECTION] = { "flow-direction", 5, false },
	[FL_TRAFFIC_PATH] = { "traffic-path", 5, false },
};

const char *flowlog_field_name(enum flowlog_field f)
{
	return (unsigned int)f < FL_NFIELDS ? fields[f].name : NULL;
}

int flowlog_field_version(enum flowlog_field f)
{
	return (unsigned int)f < FL_NFIELDS ? fields[f].version : 0;
}

/* The field named by the @len bytes at @name; -1 when none is. */
static int field_lookup(const char *name, size_t len)
{
	for (int f = 0; f < FL_NFIELDS; f++)
		if (strlen(fields[f].name) == len && !memcmp(fields[f].name, name, len))
			return f;
	return -1;
}

/* "; did you mean 'log-status'?" for Athena's spelling (log_status), else "". */
static const char *hint(const char *name, size_t len, char buf[64])
{
	char alt[40];
	int f;

	buf[0] = '\0';
	if (len >= sizeof(alt))
		return buf;
	for (size_t i = 0; i < len; i++)
		alt[i] = name[i] == '_' ? '-' : name[i];
	f = field_lookup(alt, len);
	if (f >= 0)
		snprintf(buf, 64, "; did you mean '%s'?", fields[f].name);
	return buf;
}

void flowlog_spec_init(struct flowlog_spec *s)
{
	memset(s, 0, sizeof(*s));
	for (int f = 0; f < FLOWLOG_V2_FIELDS; f++)
		s->col[s->ncol++] = (__u8)f;
	s->version = 2;
}

/* The word starting at @p (to the next space) as "%.*s" arguments. */
static int word_len(const char *p)
{
	int n = 0;

	while (p[n] && p[n] != ' ' && p[n] != '\t' && n < 40)
		n++;
	return n;
}

int flowlog_spec_format(struct flowlog_spec *s, const char *text, char err[FLOWLOG_ERR_LEN])
{
	__u8 col[FL_NFIELDS];
	bool seen[FL_NFIELDS] = {};
	size_t ncol = 0;
	int version = 2;
	const char *p = text;
	char h[64];

	for (;;) {
		const char *name, *q;
		int c, f;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		c = (int)(p - text) + 1;
		if (strncmp(p, "${", 2)) {
			snprintf(err, FLOWLOG_ERR_LEN,
				 "--format: column %d: expected '${FIELD}', found '%.*s'", c,
				 word_len(p), p);
			return -EINVAL;
		}
		name = p + 2;
		for (q = name; *q && *q != '}' && *q != ' ' && *q != '\t' && *q != '$'; q++)
			;
		if (*q != '}') {
			snprintf(err, FLOWLOG_ERR_LEN, "--format: column %d: '${' without its '}'", c);
			return -EINVAL;
		}
		f = field_lookup(name, (size_t)(q - name));
		if (f < 0) {
			snprintf(err, FLOWLOG_ERR_LEN,
				 "--format: column %d: unknown field '%.*s' (the fields of flow log "
				 "versions 2 to 5)%s",
				 c, (int)(q - name < 40 ? q - name : 40), name,
				 hint(name, (size_t)(q - name), h));
			return -EINVAL;
		}
		if (seen[f]) {
			snprintf(err, FLOWLOG_ERR_LEN, "--format: column %d: field '%s' given twice", c,
				 fields[f].name);
			return -EINVAL;
		}
		p = q + 1;
		if (*p && *p != ' ' && *p != '\t') {
			snprintf(err, FLOWLOG_ERR_LEN,
				 "--format: column %d: expected a space after '${%s}'",
				 (int)(p - text) + 1, fields[f].name);
			return -EINVAL;
		}
		seen[f] = true;
		col[ncol++] = (__u8)f;
		if (fields[f].version > version)
			version = fields[f].version;
	}
	if (!ncol) {
		snprintf(err, FLOWLOG_ERR_LEN, "--format: no field: give at least one '${FIELD}'");
		return -EINVAL;
	}
	memcpy(s->col, col, ncol);
	s->ncol = ncol;
	s->version = version;
	return 0;
}

int flowlog_spec_field(struct flowlog_spec *s, const char *arg, char err[FLOWLOG_ERR_LEN])
{
	const char *eq = strchr(arg, '='), *v;
	size_t len;
	int f;

	if (!eq || eq == arg) {
		snprintf(err, FLOWLOG_ERR_LEN, "--field: expected NAME=VALUE, got '%.*s'",
			 word_len(arg), arg);
		return -EINVAL;
	}
	f = field_lookup(arg, (size_t)(eq - arg));
	if (f < 0) {
		char h[64];

		snprintf(err, FLOWLOG_ERR_LEN, "--field: unknown field '%.*s'%s",
			 (int)(eq - arg < 40 ? eq - arg : 40), arg, hint(arg, (size_t)(eq - arg), h));
		return -EINVAL;
	}
	if (!fields[f].settable) {
		snprintf(err, FLOWLOG_ERR_LEN,
			 "--field: %s is naclemu's to fill; only account-id, interface-id, vpc-id, "
			 "subnet-id, instance-id, region, az-id, sublocation-type and sublocation-id "
			 "can be given", fields[f].name);
		return -EINVAL;
	}
	v = eq + 1;
	len = strlen(v);
	if (!len) {
		snprintf(err, FLOWLOG_ERR_LEN, "--field: %s wants a value ('-' for none)",
			 fields[f].name);
		return -EINVAL;
	}
	if (len >= FLOWLOG_VALUE_MAX) {
		snprintf(err, FLOWLOG_ERR_LEN, "--field: the value of %s is longer than %d bytes",
			 fields[f].name, FLOWLOG_VALUE_MAX - 1);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		/* A space would split the record's columns; a control byte, its line. */
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f) {
			snprintf(err, FLOWLOG_ERR_LEN,
				 "--field: the value of %s has a space or control character at "
				 "byte %zu", fields[f].name, i + 1);
			return -EINVAL;
		}
	}
	memcpy(s->value[f], v, len + 1);
	s->given[f] = true;
	return 0;
}

/* ---- windows ----------------------------------------------------------------- */

void flowlog_sum_cpus(const struct naclemu_flow_val *percpu, unsigned int ncpu,
		      struct naclemu_flow_val *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < ncpu; i++) {
		const struct naclemu_flow_val *v = &percpu[i];

		/* A CPU that never saw the flow holds zeros, times included. */
		if (!v->packets)
			continue;
		if (!out->packets || v->first_ns < out->first_ns)
			out->first_ns = v->first_ns;
		if (v->last_ns > out->last_ns)
			out->last_ns = v->last_ns;
		out->packets += v->packets;
		out->bytes += v->bytes;
		out->tcp_flags |= v->tcp_flags;
	}
}

static int key_cmp(const void *a, const void *b)
{
	const struct flowlog_flow *x = *(const struct flowlog_flow *const *)a;
	const struct flowlog_flow *y = *(const struct flowlog_flow *const *)b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* Unix seconds of a time of the flow table's clock, rounded down. */
static __s64 unix_sec(__u64 clock_ns, __s64 offset_ns)
{
	__s64 ns = (__s64)clock_ns + offset_ns;

	return ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
}

static __s64 clamp(__s64 v, __s64 lo, __s64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Whether @cur is another entry than @prev under the same key: the table
 * dropped the flow and saw it again between the two reads.  Counters that
 * went down say so, and so does a first packet later than everything the
 * old entry had seen (a live entry keeps its first packet time).
 */
static bool recreated(const struct naclemu_flow_val *prev, const struct naclemu_flow_val *cur)
{
	return !prev->packets || cur->packets < prev->packets || cur->first_ns > prev->last_ns;
}

/*
 * The flags of the window: the entry holds the OR since the flow was first
 * seen, so only the flags it gained are the window's.  SYN-ACK (18) is one
 * value: a SYN-ACK after a plain SYN gains the ACK bit, and is reported 18.
 */
static __u8 window_flags(__u8 prev, __u8 cur)
{
	__u8 f = cur & (__u8)~prev;

	if (f & (NACLEMU_FLOW_SYN_ACK & ~NACLEMU_TCP_SYN))
		f |= NACLEMU_TCP_SYN;
	return f;
}

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

/* Records in a stable, readable order (flowlog_window_build()). */
static int rec_cmp(const void *a, const void *b)
{
	const struct flowlog_record *x = a, *y = b;
	const struct naclemu_flow_key *k = &x->key, *l = &y->key;
	int c;

	if (x->status != y->status)
		return x->status - y->status;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if ((c = k->dir - l->dir) || (c = k->family - l->family) ||
	    (c = cmp_u64(k->src.hi, l->src.hi)) || (c = cmp_u64(k->src.lo, l->src.lo)) ||
	    (c = cmp_u64(k->dst.hi, l->dst.hi)) || (c = cmp_u64(k->dst.lo, l->dst.lo)) ||
	    (c = k->protocol - l->protocol) || (c = k->sport - l->sport) ||
	    (c = k->dport - l->dport))
		return c;
	return k->action - l->action;
}

int flowlog_window_build(const struct flowlog_table *prev, const struct flowlog_table *cur,
			 const struct flowlog_window *w, struct flowlog_records *out)
{
	const struct flowlog_flow **idx = NULL;
	struct flowlog_record *rec;
	__u64 lost;
	size_t n = 0;

	out->rec = NULL;
	out->n = 0;
	if (w->end < w->start)
		return -EINVAL;
	rec = calloc(cur->n + 1, sizeof(*rec));
	if (prev->n)
		idx = malloc(prev->n * sizeof(*idx));
	if (!rec || (prev->n && !idx)) {
		free(rec);
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < prev->n; i++)
		idx[i] = &prev->flow[i];
	if (prev->n)
		qsort(idx, prev->n, sizeof(*idx), key_cmp);

	for (size_t i = 0; i < cur->n; i++) {
		const struct flowlog_flow *c = &cur->flow[i], *p = NULL, *const *hit = NULL;
		struct flowlog_record *r = &rec[n];
		struct naclemu_flow_val d = c->val;

		if (prev->n)
			hit = bsearch(&c, idx, prev->n, sizeof(*idx), key_cmp);
		if (hit)
			p = *hit;
		if (p && !recreated(&p->val, &c->val)) {
			d.packets -= p->val.packets;
			d.bytes = d.bytes >= p->val.bytes ? d.bytes - p->val.bytes : 0;
			d.tcp_flags = window_flags(p->val.tcp_flags, c->val.tcp_flags);
		}
		if (!d.packets)
			continue;
		r->key = c->key;
		r->packets = d.packets;
		r->bytes = d.bytes;
		/* The first and last packets of the window: those the entry
		 * saw, within the window's bounds (a flow older than the
		 * window starts with it). */
		r->start = clamp(unix_sec(d.first_ns, w->offset_ns), w->start, w->end);
		r->end = clamp(unix_sec(d.last_ns, w->offset_ns), r->start, w->end);
		r->tcp_flags = c->key.protocol == IPPROTO_TCP ? d.tcp_flags : 0;
		r->status = FLOWLOG_OK;
		n++;
	}
	free(idx);
	qsort(rec, n, sizeof(*rec), rec_cmp);

	/* A counter lower than before was reset (the interface attached again). */
	lost = cur->lost >= prev->lost ? cur->lost - prev->lost : cur->lost;
	if (lost || !n) {
		rec[n] = (struct flowlog_record){ .start = w->start, .end = w->end,
						  .status = lost ? FLOWLOG_SKIPDATA : FLOWLOG_NODATA };
		n++;
	}
	out->rec = rec;
	out->n = n;
	return 0;
}

void flowlog_records_free(struct flowlog_records *r)
{
	free(r->rec);
	r->rec = NULL;
	r->n = 0;
}

/* ---- writing ----------------------------------------------------------------- */

/* Ports exist for these protocols only; other records have ports 0, as in AWS. */
static bool has_ports(__u8 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP;
}

static const char *num(__u64 v, char buf[INET6_ADDRSTRLEN])
{
	snprintf(buf, INET6_ADDRSTRLEN, "%llu", (unsigned long long)v);
	return buf;
}

static const char *addr(const struct naclemu_flow_key *k, bool src, char buf[INET6_ADDRSTRLEN])
{
	const char *s = ev_addr(src ? &k->src : &k->dst, k->family, buf);

	return s ? s : "-";
}

/*
 * The text of field @f of @r.  The interface's own fields (--field, the
 * version, the window) are in every record; what comes from the packets
 * only in OK records, "-" in NODATA and SKIPDATA ones, as AWS writes them.
 */
static const char *field_text(const struct flowlog_spec *s, const char *iface,
			      const struct flowlog_record *r, enum flowlog_field f,
			      char buf[INET6_ADDRSTRLEN])
{
	static const char *const status[] = { "OK", "NODATA", "SKIPDATA" };
	const struct naclemu_flow_key *k = &r->key;
	bool ok = r->status == FLOWLOG_OK;

	if (s->given[f])
		return s->value[f];
	switch (f) {
	case FL_VERSION: return num((__u64)s->version, buf);
	case FL_INTERFACE_ID: return iface;
	case FL_START: return num((__u64)r->start, buf);
	case FL_END: return num((__u64)r->end, buf);
	case FL_LOG_STATUS: return r->status < 3 ? status[r->status] : "-";
	default: break;
	}
	if (!ok)
		return "-";
	switch (f) {
	case FL_SRCADDR:
	case FL_PKT_SRCADDR: return addr(k, true, buf);
	case FL_DSTADDR:
	case FL_PKT_DSTADDR: return addr(k, false, buf);
	case FL_SRCPORT: return num(has_ports(k->protocol) ? k->sport : 0, buf);
	case FL_DSTPORT: return num(has_ports(k->protocol) ? k->dport : 0, buf);
	case FL_PROTOCOL: return num(k->protocol, buf);
	case FL_PACKETS: return num(r->packets, buf);
	case FL_BYTES: return num(r->bytes, buf);
	case FL_ACTION: return k->action == NACLEMU_FLOW_ACCEPT ? "ACCEPT" : "REJECT";
	case FL_TCP_FLAGS: return num(r->tcp_flags, buf);
	case FL_TYPE: return k->family == 6 ? "IPv6" : k->family == 4 ? "IPv4" : "-";
	case FL_FLOW_DIRECTION: return k->dir == NACLEMU_EGRESS ? "egress" : "ingress";
	default: return "-"; /* metadata not given; AWS services; traffic-path */
	}
}

int flowlog_write_header(FILE *f, const struct flowlog_spec *s)
{
	for (size_t i = 0; i < s->ncol; i++)
		fprintf(f, "%s%s", i ? " " : "", fields[s->col[i]].name);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int flowlog_write(FILE *f, const struct flowlog_spec *s, const char *iface,
		  const struct flowlog_record *rec, size_t n)
{
	char buf[INET6_ADDRSTRLEN];

	for (size_t j = 0; j < n; j++) {
		for (size_t i = 0; i < s->ncol; i++) {
			if (i)
				fputc(' ', f);
			fputs(field_text(s, iface, &rec[j], s->col[i], buf), f);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- the output file ----------------------------------------------------------- */

/* @path opened for appending; *@empty when nothing is in it yet. */
static int open_append(const char *path, FILE **fp, bool *empty)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	*fp = fdopen(fd, "a");
	if (!*fp) {
		err = -errno;
		close(fd);
		return err;
	}
	*empty = st.st_size == 0;
	return 0;
}

int flowlog_out_open(struct flowlog_out *o, const char *path, bool header)
{
	bool empty = true;
	int err;

	memset(o, 0, sizeof(*o));
	o->header = header;
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		o->need_header = header;
		return 0;
	}
	err = open_append(path, &o->f, &empty);
	if (err)
		return err;
	o->path = path;
	o->need_header = header && empty;
	return 0;
}

int flowlog_out_reopen(struct flowlog_out *o)
{
	bool empty;
	FILE *f;
	int err;

	if (!o->path)
		return 0;
	err = open_append(o->path, &f, &empty);
	if (err)
		return err;
	/* Every window was flushed: nothing of the old file is lost. */
	fclose(o->f);
	o->f = f;
	o->need_header = o->header && empty;
	return 0;
}

int flowlog_out_window(struct flowlog_out *o, const struct flowlog_spec *s, const char *iface,
		       const struct flowlog_records *r)
{
	if (o->need_header) {
		if (flowlog_write_header(o->f, s))
			return -EIO;
		o->need_header = false;
	}
	if (flowlog_write(o->f, s, iface, r->rec, r->n))
		return -EIO;
	return fflush(o->f) ? -EIO : 0;
}

int flowlog_out_close(struct flowlog_out *o)
{
	int err = 0;

	if (!o->f)
		return 0;
	if (o->path)
		err = fclose(o->f) ? -EIO : 0;
	else
		err = fflush(o->f) ? -EIO : 0;
	o->f = NULL;
	return err;
}
