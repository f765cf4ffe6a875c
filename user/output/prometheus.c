// SPDX-License-Identifier: MIT
/*
 * prometheus.c - the Prometheus text exposition format 0.0.4 of every
 * attached interface: collected through the datapath library, rendered
 * family by family (the format wants all the series of a metric together,
 * under one HELP and TYPE, so the interfaces are read first).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datapath/datapath.h"
#include "output/prometheus.h"

/* ---- collecting ----------------------------------------------------------- */

static void add(struct naclemu_counter *to, struct naclemu_counter c)
{
	to->packets += c.packets;
	to->bytes += c.bytes;
}

/*
 * One series per rule number and action of direction @d: a number is
 * unique in a direction, but the compiler may hold it in both family
 * tables, so equal neighbours of the merged lists are summed.
 */
static void collect_rules(const struct dp_state *st, __u8 d, struct prom_iface *f)
{
	const struct naclemu_table *v4 = &st->rules->t[d][NACLEMU_V4];
	const struct naclemu_table *v6 = &st->rules->t[d][NACLEMU_V6];
	__u32 n4 = v4->nrules < NACLEMU_MAX_RULES ? v4->nrules : NACLEMU_MAX_RULES;
	__u32 n6 = v6->nrules < NACLEMU_MAX_RULES ? v6->nrules : NACLEMU_MAX_RULES;
	__u32 i = 0, j = 0;
	size_t first = f->nrules;
	struct prom_rule *r;

	while (i < n4 || j < n6) {
		bool take4 = j >= n6 || (i < n4 && v4->info[i].number <= v6->info[j].number);
		const struct naclemu_table *t = take4 ? v4 : v6;
		__u32 k = take4 ? i++ : j++;
		struct naclemu_counter c = dp_slot_count(st, t->slot[k]);

		if (f->nrules > first) {
			r = &f->rule[f->nrules - 1];
			if (r->number == t->info[k].number && r->allow == !!t->info[k].allow) {
				add(&r->c, c);
				continue;
			}
		}
		r = &f->rule[f->nrules++];
		*r = (struct prom_rule){ .number = t->info[k].number, .dir = d,
					 .allow = !!t->info[k].allow, .c = c };
	}
	r = &f->rule[f->nrules++];
	*r = (struct prom_rule){ .number = 0, .dir = d, .allow = 0 };
	add(&r->c, dp_slot_count(st, v4->default_slot));
	add(&r->c, dp_slot_count(st, v6->default_slot));
}

static void collect_iface(const struct dp_target *t, const struct dp_state *st,
			  struct prom_iface *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->netns, sizeof(f->netns), "%s", dp_netns_label(t->netns));
	snprintf(f->ifname, sizeof(f->ifname), "%s", t->ifname);
	snprintf(f->rules_path, sizeof(f->rules_path), "%.*s", (int)sizeof(st->meta.path),
		 st->meta.path);
	f->hook = dp_hook_name(dp_hook_of(&st->meta.head));
	f->generation = st->rules->generation;
	for (__u8 d = 0; d < NACLEMU_NDIRS; d++) {
		collect_rules(st, d, f);
		f->exempt[d] = dp_slot_count(st, NACLEMU_SLOT_EXEMPT + d);
		f->subnet[d] = dp_slot_count(st, NACLEMU_SLOT_SUBNET + d);
		f->malformed[d] = dp_slot_count(st, NACLEMU_SLOT_MALFORMED + d);
	}
	f->lost = dp_slot_count(st, NACLEMU_SLOT_EVENTS_LOST).packets;
	f->suppressed = dp_slot_count(st, NACLEMU_SLOT_EVENTS_SUPPRESSED).packets;
	f->flows_lost = dp_slot_count(st, NACLEMU_SLOT_FLOWS_LOST).packets;
}

struct collect_ctx {
	struct prom_snapshot *s;
	size_t cap;
};

/* dp_for_each_attached()'s visitor: copy one interface out, or count it skipped. */
static int collect_visit(const struct dp_target *t, struct dp_state *st,
			 const struct dp_error *e, void *arg)
{
	struct collect_ctx *ctx = arg;
	struct prom_snapshot *s = ctx->s;

	if (!st) {
		if (!s->nskipped++)
			snprintf(s->skipped, sizeof(s->skipped), "%s", e->msg);
		return 0;
	}
	if (s->niface == ctx->cap) {
		size_t cap = ctx->cap ? 2 * ctx->cap : 4;
		struct prom_iface *p = realloc(s->iface, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->iface = p;
		ctx->cap = cap;
	}
	collect_iface(t, st, &s->iface[s->niface++]);
	return 0;
}

int prom_collect(struct prom_snapshot *s)
{
	struct collect_ctx ctx = { .s = s };
	size_t visited;

	memset(s, 0, sizeof(*s));
	return dp_for_each_attached(NULL, NULL, collect_visit, &ctx, &visited);
}

void prom_snapshot_free(struct prom_snapshot *s)
{
	free(s->iface);
	s->iface = NULL;
	s->niface = 0;
}

/* ---- rendering ------------------------------------------------------------ */

/* A label value, escaped as the format requires: \\, \" and \n. */
static void label_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		switch (*v) {
		case '\\': fputs("\\\\", out); break;
		case '"': fputs("\\\"", out); break;
		case '\n': fputs("\\n", out); break;
		default: fputc(*v, out);
		}
	}
}

/* The labels every interface's series start with: {netns="..",interface=".." */
static void iface_labels(FILE *out, const char *name, const struct prom_iface *f)
{
	fprintf(out, "%s{netns=\"", name);
	label_value(out, f->netns);
	fputs("\",interface=\"", out);
	label_value(out, f->ifname);
	fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *const dir_name[NACLEMU_NDIRS] = { "ingress", "egress" };

/* naclemu_packets_total or naclemu_bytes_total: every rule of every interface. */
static void rule_family(FILE *out, const struct prom_snapshot *s, bool bytes)
{
	const char *name = bytes ? "naclemu_bytes_total" : "naclemu_packets_total";

	family(out, name, "counter",
	       bytes ? "Bytes judged by each rule (Ethernet frame length), since attach."
		     : "Packets judged by each rule, since attach; rule=\"default\" is the "
		       "implicit deny (32767 and 32768).");
	for (size_t i = 0; i < s->niface; i++) {
		const struct prom_iface *f = &s->iface[i];

		for (size_t k = 0; k < f->nrules; k++) {
			const struct prom_rule *r = &f->rule[k];

			iface_labels(out, name, f);
			fprintf(out, ",direction=\"%s\",rule=\"", dir_name[r->dir]);
			if (r->number)
				fprintf(out, "%u", r->number);
			else
				fputs("default", out);
			fprintf(out, "\",action=\"%s\"} %llu\n", r->allow ? "allow" : "deny",
				(unsigned long long)(bytes ? r->c.bytes : r->c.packets));
		}
	}
}

/* A per-direction packet counter: @off is the offset of its array in prom_iface. */
static void dir_family(FILE *out, const struct prom_snapshot *s, const char *name,
		       const char *help, size_t off)
{
	family(out, name, "counter", help);
	for (size_t i = 0; i < s->niface; i++) {
		const struct prom_iface *f = &s->iface[i];
		const struct naclemu_counter *c = (const void *)((const char *)f + off);

		for (int d = 0; d < NACLEMU_NDIRS; d++) {
			iface_labels(out, name, f);
			fprintf(out, ",direction=\"%s\"} %llu\n", dir_name[d],
				(unsigned long long)c[d].packets);
		}
	}
}

/* A per-interface number: @off is its offset (a __u64) in prom_iface. */
static void iface_family(FILE *out, const struct prom_snapshot *s, const char *name,
			 const char *type, const char *help, size_t off)
{
	family(out, name, type, help);
	for (size_t i = 0; i < s->niface; i++) {
		const struct prom_iface *f = &s->iface[i];

		iface_labels(out, name, f);
		fprintf(out, "} %llu\n",
			(unsigned long long)*(const __u64 *)((const char *)f + off));
	}
}

int prom_render(const struct prom_snapshot *s, FILE *out)
{
	rule_family(out, s, false);
	rule_family(out, s, true);
	dir_family(out, s, "naclemu_exempt_packets_total",
		   "Packets not filtered: exempt traffic (--exempt, --vpc, neighbour discovery).",
		   offsetof(struct prom_iface, exempt));
	dir_family(out, s, "naclemu_subnet_packets_total",
		   "Packets not filtered: peer inside --subnet.",
		   offsetof(struct prom_iface, subnet));
	dir_family(out, s, "naclemu_malformed_packets_total",
		   "Packets dropped as truncated or malformed.",
		   offsetof(struct prom_iface, malformed));
	iface_family(out, s, "naclemu_events_suppressed_total", "counter",
		     "Drop events not delivered: over --events-rate.",
		     offsetof(struct prom_iface, suppressed));
	iface_family(out, s, "naclemu_events_lost_total", "counter",
		     "Drop events not delivered: the ring buffer was full.",
		     offsetof(struct prom_iface, lost));
	iface_family(out, s, "naclemu_flows_lost_total", "counter",
		     "Packets the flow log could not account: their new flow found the "
		     "flow table full (SKIPDATA records).",
		     offsetof(struct prom_iface, flows_lost));
	iface_family(out, s, "naclemu_rules_generation", "gauge",
		     "Generation of the live rule set: 1 at attach, one more per update.",
		     offsetof(struct prom_iface, generation));
	family(out, "naclemu_attached_info", "gauge",
	       "An attached interface: its rules file and TC hook; always 1.");
	for (size_t i = 0; i < s->niface; i++) {
		iface_labels(out, "naclemu_attached_info", &s->iface[i]);
		fputs(",rules=\"", out);
		label_value(out, s->iface[i].rules_path);
		fprintf(out, "\",hook=\"%s\"} 1\n", s->iface[i].hook);
	}
	family(out, "naclemu_build_info", "gauge", "The naclemu build; always 1.");
	fputs("naclemu_build_info{version=\"", out);
	label_value(out, NACLEMU_VERSION);
	fputs("\"} 1\n", out);
	return ferror(out) ? -EIO : 0;
}

int prom_text(char **buf, size_t *len, size_t *nskipped)
{
	struct prom_snapshot s;
	FILE *mem;
	int err;

	*buf = NULL;
	*len = 0;
	err = prom_collect(&s);
	if (!err) {
		mem = open_memstream(buf, len);
		if (!mem)
			err = -errno;
		else if (prom_render(&s, mem) | fclose(mem))
			err = -ENOMEM;
	}
	if (nskipped)
		*nskipped = s.nskipped;
	prom_snapshot_free(&s);
	if (err) {
		free(*buf);
		*buf = NULL;
		*len = 0;
	}
	return err;
}

int prom_textfile_write(const char *dir, const char *buf, size_t len, const char **what)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, dfd, err = 0;
	size_t done = 0;

	if (snprintf(dst, sizeof(dst), "%s/naclemu.prom", dir) >= (int)sizeof(dst) ||
	    snprintf(tmp, sizeof(tmp), "%s/.naclemu.prom.XXXXXX", dir) >= (int)sizeof(tmp)) {
		*what = "name";
		return -ENAMETOOLONG;
	}
	*what = "create";
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	*what = "write";
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		done += (size_t)n;
	}
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (!err && fsync(fd)) {
		*what = "fsync";
		err = -errno;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, dst)) {
		*what = "rename";
		err = -errno;
	}
	if (err) {
		unlink(tmp);
		return err;
	}
	/* The rename itself is durable once the folder is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
