// SPDX-License-Identifier: MIT
/*
 * status.c - `naclemu status` and `naclemu stats`: read the pinned state
 * through the datapath library and render it as text columns or JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "cli/cli.h"
#include "datapath/compile.h"
#include "datapath/datapath.h"

static size_t rules_in(const struct naclemu_rules *r, int dir)
{
	return r->t[dir][NACLEMU_V4].nrules + r->t[dir][NACLEMU_V6].nrules;
}

/* "2026-11-21T10:32:49Z" */
static const char *rfc3339(__u64 t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm))
		return "-";
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static json_t *counter_json(const struct naclemu_counter *c)
{
	return json_pack("{s:I,s:I}", "packets", (json_int_t)c->packets, "bytes",
			 (json_int_t)c->bytes);
}

static json_t *cidrs_json(const struct naclemu_cidr *list, int n)
{
	json_t *arr = json_array();
	char buf[64];

	for (int i = 0; i < n && i < NACLEMU_MAX_CIDRS; i++)
		json_array_append_new(arr, json_string(nacl_cidr_str(&list[i], buf)));
	return arr;
}

/* The programs ahead of ours on one hook: {"count": N, "ids": [...]}. */
static json_t *ahead_json(const struct dp_ahead *a, int dir)
{
	json_t *ids = json_array();

	for (__u32 i = 0; i < a->n[dir] && i < DP_AHEAD_IDS; i++)
		json_array_append_new(ids, json_integer(a->ids[dir][i]));
	return json_pack("{s:I,s:o}", "count", (json_int_t)a->n[dir], "ids", ids);
}

/* "ingress 1 (id 42), egress 0", the ids as far as known. */
static void ahead_print(const struct dp_ahead *a)
{
	static const char *const dir_name[] = { "ingress", "egress" };

	printf("  ahead of naclemu on tcx (they see packets first):");
	for (int d = 0; d < 2; d++) {
		printf("%s %s %u", d ? "," : "", dir_name[d], a->n[d]);
		for (__u32 i = 0; i < a->n[d] && i < DP_AHEAD_IDS; i++)
			printf("%s%u", i ? " " : " (id ", a->ids[d][i]);
		if (a->n[d] > DP_AHEAD_IDS)
			printf(" ...");
		if (a->n[d])
			putchar(')');
	}
	putchar('\n');
}

static const char status_usage[] =
	"Usage: naclemu status [-n NETNS] [-i IFACE] [--json]\n"
	"\n"
	"List the attached interfaces: state of the filters, rules, and packet\n"
	"totals.  Without -n and -i, every namespace and interface; -n alone,\n"
	"that namespace; -i without -n, the caller's namespace.\n"
	"\n"
	"States: attached; filters-missing / links-missing (someone removed\n"
	"naclemu's TC filters or tcx links); iface-gone / netns-gone /\n"
	"iface-replaced (run\n"
	"'naclemu detach' to clean up the pinned state).  On tcx, programs\n"
	"attached in front of naclemu's are listed as \"ahead\": they see\n"
	"every packet first and can drop or pass it before the NACL judges.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   only this network namespace (a name, or a path such\n"
	"                      as /proc/PID/ns/net)\n"
	"  -i, --interface IF  only this interface\n"
	"      --json          one JSON array on stdout\n"
	"\n"
	"Example:\n"
	"  naclemu status\n";


/*
 * @ids: the rule set id of every attached interface of the host
 * (dp_rules_ids()), to say how many share each.
 */
struct status_ctx {
	bool json;
	json_t *arr;
	bool header;
	__u32 *ids;
	size_t nids;
};

/* How many attached interfaces run the rule set @id. */
static size_t ruleset_users(const struct status_ctx *ctx, __u32 id)
{
	size_t n = 0;

	for (size_t i = 0; i < ctx->nids; i++)
		n += id && ctx->ids[i] == id;
	return n;
}

static void status_one(const struct dp_target *t, struct dp_state *st, struct status_ctx *ctx)
{
	const char *state = dp_filter_state(t, st);
	struct dp_totals tot;
	struct dp_ahead ahead;
	char b1[32], b2[32];
	size_t users;

	dp_totals_read(st, &tot);
	dp_ahead_read(t, st, &ahead);
	if (ctx->json) {
		json_t *o = json_object();

		json_object_set_new(o, "interface", json_string(t->ifname));
		json_object_set_new(o, "netns", *t->netns ? json_string(t->netns) : json_null());
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "hook", json_string(dp_hook_name(dp_hook_of(&st->meta.head))));
		json_object_set_new(o, "managed", json_boolean(st->meta.head.flags & NACLEMU_META_MANAGED));
		json_object_set_new(o, "ahead", ahead.known ?
				    json_pack("{s:o,s:o}", "ingress", ahead_json(&ahead, NACLEMU_INGRESS),
					      "egress", ahead_json(&ahead, NACLEMU_EGRESS)) :
				    json_null());
		json_object_set_new(o, "ifindex", json_integer(st->meta.head.ifindex));
		json_object_set_new(o, "rules_file", json_string(st->meta.path));
		json_object_set_new(o, "acl", st->meta.acl_id[0] ? json_string(st->meta.acl_id) : json_null());
		json_object_set_new(o, "attached", json_string(rfc3339(st->meta.attach_time, b1)));
		json_object_set_new(o, "updated", json_string(rfc3339(st->meta.update_time, b2)));
		json_object_set_new(o, "generation", json_integer((json_int_t)st->rules->generation));
		json_object_set_new(o, "ruleset_id", json_integer(st->rules_id));
		json_object_set_new(o, "ruleset_users",
				    json_integer((json_int_t)ruleset_users(ctx, st->rules_id)));
		json_object_set_new(o, "inbound_rules", json_integer((json_int_t)rules_in(st->rules, 0)));
		json_object_set_new(o, "outbound_rules", json_integer((json_int_t)rules_in(st->rules, 1)));
		json_object_set_new(o, "subnet", cidrs_json(st->meta.subnet, st->meta.nsubnet));
		json_object_set_new(o, "exempt", cidrs_json(st->meta.exempt, st->meta.nexempt));
		json_object_set_new(o, "created_qdisc", json_boolean(st->meta.head.flags & NACLEMU_META_CREATED_QDISC));
		json_object_set_new(o, "pins", json_string(t->dir));
		json_object_set_new(o, "allowed", counter_json(&tot.allowed));
		json_object_set_new(o, "denied", counter_json(&tot.denied));
		json_object_set_new(o, "exempt_traffic", counter_json(&tot.exempt));
		json_object_set_new(o, "subnet_traffic", counter_json(&tot.subnet));
		json_object_set_new(o, "malformed", counter_json(&tot.malformed));
		json_object_set_new(o, "events_lost", json_integer((json_int_t)tot.lost.packets));
		json_object_set_new(o, "events_suppressed",
				    json_integer((json_int_t)tot.suppressed.packets));
		json_object_set_new(o, "flow_log", json_boolean(st->meta.flow_entries));
		json_object_set_new(o, "flow_log_entries", json_integer(st->meta.flow_entries));
		json_object_set_new(o, "flows_lost", json_integer((json_int_t)dp_slot_count(
								  st, NACLEMU_SLOT_FLOWS_LOST).packets));
		json_array_append_new(ctx->arr, o);
		return;
	}
	if (!ctx->header) {
		printf("%-15s %-16s %-15s %3s %3s %10s %10s\n", "INTERFACE", "NETNS",
		       "STATE", "IN", "OUT", "ALLOWED", "DENIED");
		ctx->header = true;
	}
	printf("%-15s %-16s %-15s %3zu %3zu %10llu %10llu\n", t->ifname, dp_netns_label(t->netns),
	       state, rules_in(st->rules, 0), rules_in(st->rules, 1),
	       (unsigned long long)tot.allowed.packets, (unsigned long long)tot.denied.packets);
	users = ruleset_users(ctx, st->rules_id);
	printf("  rules %s%s%s, generation %llu, rule set %u", st->meta.path,
	       st->meta.acl_id[0] ? " " : "", st->meta.acl_id,
	       (unsigned long long)st->rules->generation, st->rules_id);
	if (users > 1)
		printf(" (shared by %zu interfaces)", users);
	putchar('\n');
	printf("  hook %s, attached %s, updated %s%s\n", dp_hook_name(dp_hook_of(&st->meta.head)),
	       rfc3339(st->meta.attach_time, b1), rfc3339(st->meta.update_time, b2),
	       st->meta.head.flags & NACLEMU_META_MANAGED ? ", managed by apply" : "");
	if (ahead.n[NACLEMU_INGRESS] || ahead.n[NACLEMU_EGRESS])
		ahead_print(&ahead);
	if (st->meta.flow_entries)
		printf("  flow log on (%u entries), flows lost %llu\n", st->meta.flow_entries,
		       (unsigned long long)dp_slot_count(st, NACLEMU_SLOT_FLOWS_LOST).packets);
	else
		printf("  flow log off\n");
	printf("  exempt %llu, subnet %llu, malformed %llu, events lost %llu, suppressed %llu\n",
	       (unsigned long long)tot.exempt.packets, (unsigned long long)tot.subnet.packets,
	       (unsigned long long)tot.malformed.packets, (unsigned long long)tot.lost.packets,
	       (unsigned long long)tot.suppressed.packets);
}

/* dp_for_each_attached()'s visitor: one interface, or why it cannot be read. */
static int status_visit(const struct dp_target *t, struct dp_state *st,
			const struct dp_error *e, void *arg)
{
	if (st)
		status_one(t, st, arg);
	else
		pr_warn("%s", e->msg);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *netns = NULL, *ifname = NULL;
	struct status_ctx ctx = {};
	struct dp_target t;
	struct dp_error e;
	size_t n;
	int c, exit, ret;

	optind = 1;
	while ((c = cli_getopt("status", argc, argv, "n:i:jvh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'n': netns = optarg; break;
		case 'i': ifname = optarg; break;
		case 'j': ctx.json = true; break;
		case 'v': nacl_verbose = 1; break;
		case 'h': fputs(status_usage, stdout); return NACL_EXIT_OK;
		default: return NACL_EXIT_INVALID;
		}
	}
	if (optind != argc)
		return nacl_usage_error("status", "unexpected argument '%s'", argv[optind]);
	/* Check the names as attach does ("lo" stands in for a missing -i). */
	if ((netns || ifname) && dp_target_init(&t, netns, ifname ? ifname : "lo", &e))
		return cli_target_error("status", &e);
	if (netns)
		netns = t.netns; /* a path as its folder's label */
	exit = cli_need_root("status");
	if (exit)
		return exit;
	ctx.arr = json_array();
	/* Every interface's rule set id, without locks (how many share each). */
	ret = dp_rules_ids(&ctx.ids, &ctx.nids);
	if (!ret)
		ret = dp_for_each_attached(netns, ifname, status_visit, &ctx, &n);
	free(ctx.ids);
	if (ret) {
		json_decref(ctx.arr);
		pr_err("cannot list the attached interfaces in %s: %s", DP_PIN_ROOT, strerror(-ret));
		return NACL_EXIT_SYSTEM;
	}
	if (ifname && !n) {
		json_decref(ctx.arr);
		pr_err("%s is not attached in network namespace %s", ifname, dp_netns_label(netns));
		return NACL_EXIT_INVALID;
	}
	if (ctx.json) {
		json_dumpf(ctx.arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (!n) {
		printf("no interface is attached\n");
	}
	json_decref(ctx.arr);
	return NACL_EXIT_OK;
}

static const char stats_usage[] =
	"Usage: naclemu stats [-n NETNS] -i IFACE [--json]\n"
	"\n"
	"Packets and bytes (from the Ethernet header; a GSO packet counts as its\n"
	"segments) per direction and rule since attach, summed over CPUs; the\n"
	"default deny as rule 32767 (IPv4) and 32768 (IPv6); traffic not\n"
	"filtered (exempt), with peers inside --subnet (subnet), malformed\n"
	"packets (dropped), and the drop events not delivered (one per dropped\n"
	"skb): lost to a full ring buffer, or suppressed by --events-rate; with\n"
	"the flow log on, the packets whose flow the full flow table could not\n"
	"take (flows lost).\n"
	"Rules that kept their number and content through 'update' kept their\n"
	"counts.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this network namespace (a name, or a path\n"
	"                      such as /proc/PID/ns/net)\n"
	"  -i, --interface IF  the attached interface\n"
	"      --json          one JSON document on stdout\n"
	"\n"
	"Example:\n"
	"  naclemu stats -i eth1\n";
/* One row of stats: a rule (or a default deny) with its counter. */
struct row {
	struct nacl_rule rule;
	struct naclemu_counter c;
};

/* The rules of direction @d, both families, by number, then the defaults. */
static size_t stats_rows(const struct dp_state *st, int d, struct row *rows)
{
	const struct naclemu_table *v4 = &st->rules->t[d][NACLEMU_V4];
	const struct naclemu_table *v6 = &st->rules->t[d][NACLEMU_V6];
	__u32 i = 0, j = 0;
	size_t n = 0;

	while (i < v4->nrules || j < v6->nrules) {
		bool take4 = j >= v6->nrules ||
			     (i < v4->nrules && v4->info[i].number <= v6->info[j].number);
		const struct naclemu_table *t = take4 ? v4 : v6;
		__u32 k = take4 ? i++ : j++;

		compile_rule_from_info(&t->info[k], &rows[n].rule);
		rows[n++].c = dp_slot_count(st, t->slot[k]);
	}
	for (int f = 0; f < 2; f++) {
		struct nacl_rule *r = &rows[n].rule;

		memset(r, 0, sizeof(*r));
		r->number = 0; /* 32767 / 32768 do not fit: rendered apart */
		r->protocol = NACLEMU_PROTO_ALL;
		r->icmp_type = r->icmp_code = -1;
		r->port_to = 65535;
		r->cidr.family = NACLEMU_FAMILY(f);
		rows[n++].c = dp_slot_count(st, st->rules->t[d][f].default_slot);
	}
	return n;
}

static unsigned int row_number(const struct row *r)
{
	if (r->rule.number)
		return r->rule.number;
	return r->rule.cidr.family == 6 ? NACLEMU_RULE_DEFAULT_V6 : NACLEMU_RULE_DEFAULT_V4;
}

static void stats_text(const struct dp_target *t, const struct dp_state *st)
{
	static const char *const dirs[] = { "inbound", "outbound" };
	static const char *const extra[] = { "exempt", "subnet", "malformed" };
	static const __u32 extra_slot[] = { NACLEMU_SLOT_EXEMPT, NACLEMU_SLOT_SUBNET,
					    NACLEMU_SLOT_MALFORMED };
	struct row rows[2 * NACLEMU_MAX_RULES + 2];
	char pb[8], ports[24], cidr[64];

	printf("%s (netns %s): rules %s%s%s, generation %llu\n", t->ifname, dp_netns_label(t->netns),
	       st->meta.path, st->meta.acl_id[0] ? " " : "", st->meta.acl_id,
	       (unsigned long long)st->rules->generation);
	printf("%-8s %5s %-6s %-6s %-10s %-18s %9s %10s\n", "DIR", "RULE", "ACTION", "PROTO",
	       "PORTS", "CIDR", "PACKETS", "BYTES");
	for (int d = 0; d < 2; d++) {
		size_t n = stats_rows(st, d, rows);

		for (size_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];

			printf("%-8s %5u %-6s %-6s %-10s %-18s %9llu %10llu\n", dirs[d],
			       row_number(r), r->rule.allow ? "allow" : "deny",
			       nacl_proto_name(r->rule.protocol, pb),
			       nacl_rule_ports(&r->rule, ports), nacl_cidr_str(&r->rule.cidr, cidr),
			       (unsigned long long)r->c.packets, (unsigned long long)r->c.bytes);
		}
		for (int k = 0; k < 3; k++) {
			struct naclemu_counter c = dp_slot_count(st, extra_slot[k] + (__u32)d);

			printf("%-8s %-49s %9llu %10llu\n", dirs[d], extra[k],
			       (unsigned long long)c.packets, (unsigned long long)c.bytes);
		}
	}
	printf("%-58s %9llu\n", "events lost",
	       (unsigned long long)dp_slot_count(st, NACLEMU_SLOT_EVENTS_LOST).packets);
	printf("%-58s %9llu\n", "events suppressed",
	       (unsigned long long)dp_slot_count(st, NACLEMU_SLOT_EVENTS_SUPPRESSED).packets);
	if (st->meta.flow_entries)
		printf("%-58s %9llu\n", "flows lost",
		       (unsigned long long)dp_slot_count(st, NACLEMU_SLOT_FLOWS_LOST).packets);
}

static json_t *stats_json(const struct dp_target *t, const struct dp_state *st)
{
	static const char *const dirs[] = { "inbound", "outbound" };
	struct row rows[2 * NACLEMU_MAX_RULES + 2];
	json_t *doc = json_object();
	char ports[24], cidr[64];

	json_object_set_new(doc, "interface", json_string(t->ifname));
	json_object_set_new(doc, "netns", *t->netns ? json_string(t->netns) : json_null());
	json_object_set_new(doc, "rules_file", json_string(st->meta.path));
	json_object_set_new(doc, "acl", st->meta.acl_id[0] ? json_string(st->meta.acl_id) : json_null());
	json_object_set_new(doc, "generation", json_integer((json_int_t)st->rules->generation));
	for (int d = 0; d < 2; d++) {
		json_t *dir = json_object(), *arr = json_array();
		struct naclemu_counter c;
		size_t n = stats_rows(st, d, rows);

		for (size_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];
			json_t *o = json_pack("{s:i,s:s,s:i,s:s,s:s}", "rule", (int)row_number(r),
					      "action", r->rule.allow ? "allow" : "deny",
					      "protocol", (int)r->rule.protocol,
					      "ports", nacl_rule_ports(&r->rule, ports),
					      "cidr", nacl_cidr_str(&r->rule.cidr, cidr));

			json_object_set_new(o, "packets", json_integer((json_int_t)r->c.packets));
			json_object_set_new(o, "bytes", json_integer((json_int_t)r->c.bytes));
			json_array_append_new(arr, o);
		}
		json_object_set_new(dir, "rules", arr);
		c = dp_slot_count(st, NACLEMU_SLOT_EXEMPT + (__u32)d);
		json_object_set_new(dir, "exempt", counter_json(&c));
		c = dp_slot_count(st, NACLEMU_SLOT_SUBNET + (__u32)d);
		json_object_set_new(dir, "subnet", counter_json(&c));
		c = dp_slot_count(st, NACLEMU_SLOT_MALFORMED + (__u32)d);
		json_object_set_new(dir, "malformed", counter_json(&c));
		json_object_set_new(doc, dirs[d], dir);
	}
	json_object_set_new(doc, "events_lost",
			    json_integer((json_int_t)dp_slot_count(st, NACLEMU_SLOT_EVENTS_LOST).packets));
	json_object_set_new(doc, "events_suppressed",
			    json_integer((json_int_t)dp_slot_count(st, NACLEMU_SLOT_EVENTS_SUPPRESSED).packets));
	json_object_set_new(doc, "flow_log", json_boolean(st->meta.flow_entries));
	json_object_set_new(doc, "flows_lost",
			    json_integer((json_int_t)dp_slot_count(st, NACLEMU_SLOT_FLOWS_LOST).packets));
	return doc;
}

int cmd_stats(int argc, char **argv)
{
	struct update_req req = {};
	struct dp_state st = { .meta_fd = -1, .rules_fd = -1, .counters_fd = -1 };
	struct dp_target t;
	struct dp_error e;
	bool json = false;
	int exit;

	exit = cli_iface_target("stats", stats_usage, argc, argv, &req, false, &json, &t);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = cli_need_root("stats");
	if (exit)
		return exit;
	if (dp_state_open(&t, &st, &e)) {
		pr_err("%s", e.msg);
		return e.exit;
	}
	if (json) {
		json_t *doc = stats_json(&t, &st);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	} else {
		stats_text(&t, &st);
	}
	dp_state_close(&st);
	return NACL_EXIT_OK;
}
