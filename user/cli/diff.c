// SPDX-License-Identifier: MIT
/*
 * diff.c - `naclemu diff`: two rule files compared by meaning
 * (analysis/diff.h): the regions of traffic whose verdict changes, the
 * ephemeral-port table before and after, and the rules whose reachability
 * changed, as text or JSON (docs/semantics.md sections 1 and 3).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diff.h"
#include "cli/cli.h"
#include "rules/model.h"
#include "rules/read.h"

static const char diff_usage[] =
	"Usage: naclemu diff OLD NEW [SELECT] [--json]\n"
	"\n"
	"Compare two NACLs by meaning, not by text: list every region of traffic\n"
	"whose verdict changes from OLD to NEW (direction, family, protocol, ports\n"
	"or ICMP type/code, peer CIDRs; the deciding rule on each side), then how\n"
	"TCP responses to common clients' ephemeral ports change, then the rules\n"
	"that became, or stopped being, never reached.  Traffic that both allow,\n"
	"or both deny, is no difference, whatever rule decides it: renumbering\n"
	"rules changes nothing.  Exempt traffic (DHCP, neighbour discovery, the\n"
	"link-local services) is never judged and never a difference.  OLD and\n"
	"NEW may be in different formats.\n"
	"\n"
	"Options:\n"
	CLI_RULES_HELP
	"      --json          one JSON document on stdout\n"
	"  -v, --verbose       more messages\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 no verdict changes, 3 some verdicts change, 1 invalid\n"
	"rules or arguments.\n"
	"\n"
	"Example:\n"
	"  naclemu diff examples/web-server-no-ephemeral.nacl examples/web-server.nacl\n";

/* struct diff_req - what `naclemu diff` asks for: two files, one selection. */
struct diff_req {
	const char *old_path, *new_path;
	struct nacl_select select;
	bool json;
};

/* Options into @req; an exit status, or -1 after --help. */
static int diff_parse(int argc, char **argv, struct diff_req *req)
{
	static const struct option opts[] = {
		CLI_RULES_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, ret;

	optind = 1;
	while ((c = cli_getopt("diff", argc, argv, "vh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'a':
		case 'S':
		case 'F':
		case 'P':
			if ((ret = cli_rules_opt("diff", c, optarg, &req->select)))
				return ret;
			break;
		case 'j': req->json = true; break;
		case 'v': nacl_verbose = 1; break;
		case 'h':
			fputs(diff_usage, stdout);
			return -1;
		default:
			return NACL_EXIT_INVALID;
		}
	}
	if (req->select.acl_id && req->select.subnet_id)
		return nacl_usage_error("diff", "give --acl or --subnet-id, not both");
	if (optind + 2 != argc)
		return nacl_usage_error("diff", "expected two rule files, OLD and NEW");
	req->old_path = argv[optind];
	req->new_path = argv[optind + 1];
	return NACL_EXIT_OK;
}

/* ---- text ---------------------------------------------------------------- */

static const char *fam_str(uint8_t family)
{
	return family == 6 ? "IPv6" : "IPv4";
}

/* "allow 100", "deny *" (the default rule, 32767 or 32768). */
static const char *verdict_str(const struct nacl_verdict *v, char buf[16])
{
	if (v->index < 0)
		snprintf(buf, 16, "%s *", v->allow ? "allow" : "deny");
	else
		snprintf(buf, 16, "%s %u", v->allow ? "allow" : "deny", v->rule_number);
	return buf;
}

/* Where PEER starts, and how wide a line may grow before its CIDRs wrap. */
#define PEER_COL 62
#define LINE_MAX_COLS 100

/* A region's CIDRs in the PEER column, comma-separated, wrapped under it. */
static void text_cidrs(const struct nacl_diff *d, const struct nacl_diff_region *r)
{
	size_t col = PEER_COL;
	char cbuf[64];

	for (size_t k = 0; k < r->ncidr; k++) {
		const char *s = nacl_cidr_str(&d->cidrs[r->cidr + k], cbuf);
		size_t len = strlen(s) + (k + 1 < r->ncidr);

		if (k && col + 1 + len > LINE_MAX_COLS) {
			printf(",\n%*s", PEER_COL, "");
			col = PEER_COL;
		} else if (k) {
			printf(", ");
			col += 2;
		}
		printf("%s", s);
		col += strlen(s);
	}
	printf("\n");
}

void cli_diff_regions_text(const struct nacl_diff *d)
{
	char pbuf[8], kbuf[32], obuf[16], nbuf[16];
	bool other[NACLEMU_NDIRS][NACLEMU_NFAMS] = { { false } };

	printf("%-9s %-4s %-6s %-15s %-11s %-11s %s\n", "DIRECTION", "FAM", "PROTO", "PORTS/ICMP",
	       "OLD", "NEW", "PEER");
	for (size_t i = 0; i < d->nregions; i++) {
		const struct nacl_diff_region *r = &d->regions[i];

		printf("%-9s %-4s %-6s %-15s %-11s %-11s ", nacl_dir_name(r->dir),
		       fam_str(r->family), nacl_diff_proto_str(d, r, pbuf), nacl_diff_keys_str(r, kbuf),
		       verdict_str(&r->old, obuf), verdict_str(&r->new, nbuf));
		text_cidrs(d, r);
		if (r->protocol == NACL_DIFF_OTHER)
			other[r->dir][NACLEMU_FAM_IDX(r->family)] = true;
	}
	/* What "other" leaves out, once per direction and family that has it. */
	for (int dir = 0; dir < NACLEMU_NDIRS; dir++) {
		for (int f = 0; f < NACLEMU_NFAMS; f++) {
			const bool *named = d->named[dir][f];
			size_t n = 0;

			if (!other[dir][f])
				continue;
			for (int p = 0; p < 256; p++) {
				if (!named[p])
					continue;
				printf("%s%s", n++ ? ", " : "other: every protocol but ",
				       nacl_proto_name(p, pbuf));
			}
			if (n)
				printf(" (%s %s)\n", nacl_dir_name(dir), fam_str(NACLEMU_FAMILY(f)));
		}
	}
}

/* Whether client @o has the same range as the one before it (one line, as in check). */
static bool os_same_as_previous(size_t o)
{
	const struct nacl_client_os *os = &nacl_client_oses[o];

	return o && os->lo == os[-1].lo && os->hi == os[-1].hi;
}

/* "open", "closed" or "58% closed". */
static const char *eph_str(const struct nacl_diff_eph *e, const struct nacl_diff_eph_side *s,
			   char buf[16])
{
	uint64_t size = (uint64_t)e->os->hi - e->os->lo + 1;
	char pct[8];

	if (!s->nclosed)
		snprintf(buf, 16, "open");
	else if (s->closed_ports == size)
		snprintf(buf, 16, "closed");
	else
		snprintf(buf, 16, "%s%% closed", nacl_percent(s->closed_ports, size, pct));
	return buf;
}

static void text_ephemeral(const struct nacl_diff *d)
{
	char cbuf[64], client[32], before[16], after[16], change[40];
	size_t n = 0;

	for (size_t i = 0; i < d->neph; i++)
		n += d->eph[i].changed;
	if (!n) {
		printf("\nephemeral ports: no change for TCP responses to clients' ephemeral ports\n");
		return;
	}
	printf("\nephemeral ports: TCP responses to a client's ephemeral port, before -> after\n");
	printf("  %-9s %-14s %-26s %s\n", "DIRECTION", "CLIENT", "OLD -> NEW", "PEER");
	for (size_t i = 0; i < d->neph; i++) {
		const struct nacl_diff_eph *e = &d->eph[i];
		size_t o = (size_t)(e->os - nacl_client_oses);

		/* Clients with the same range (windows and macos, elb and nat) share a line. */
		if (!e->changed || os_same_as_previous(o))
			continue;
		if (o + 1 < nacl_nclient_oses && os_same_as_previous(o + 1))
			snprintf(client, sizeof(client), "%s/%s", e->os->name, e->os[1].name);
		else
			snprintf(client, sizeof(client), "%s", e->os->name);
		snprintf(change, sizeof(change), "%s -> %s", eph_str(e, &e->old, before),
			 eph_str(e, &e->new, after));
		printf("  %-9s %-14s %-26s %s\n", nacl_dir_name(e->dir), client, change,
		       nacl_cidr_str(&e->peer, cbuf));
	}
	printf("  (inbound: this subnet's clients get responses; outbound: clients\n"
	       "   that connect in get them.  'naclemu flow' names the rules.)\n");
}

/* "rules 100, 110" of @rs's @dir. */
static const char *by_str(const struct nacl_ruleset *rs, const struct nacl_diff_shadow *sh,
			  char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "rule%s", sh->nby > 1 ? "s" : "");

	for (size_t k = 0; k < sh->nby && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s %u", k ? "," : "",
					rs->rules[sh->dir][sh->by[k]].number);
	return buf;
}

static void text_shadows(const struct nacl_diff *d)
{
	char rbuf[NACL_TEXT_LEN], by[256];

	if (d->nshadowed)
		printf("\nnewly never reached in NEW (shadowed by earlier rules):\n");
	for (size_t i = 0; i < d->nshadowed; i++) {
		const struct nacl_diff_shadow *sh = &d->shadowed[i];

		printf("  %-9s %s: %s before it match%s all it matches\n", nacl_dir_name(sh->dir),
		       nacl_rule_str(&d->new->rules[sh->dir][sh->index], rbuf),
		       by_str(d->new, sh, by, sizeof(by)), sh->nby > 1 ? "" : "es");
	}
	if (d->nunshadowed)
		printf("\nreached again in NEW (never reached in OLD):\n");
	for (size_t i = 0; i < d->nunshadowed; i++) {
		const struct nacl_diff_shadow *sh = &d->unshadowed[i];

		printf("  %-9s %s (in OLD, %s before it matched all it matches)\n",
		       nacl_dir_name(sh->dir), nacl_rule_str(&d->new->rules[sh->dir][sh->index], rbuf),
		       by_str(d->old, sh, by, sizeof(by)));
	}
}

static void render_text(const struct diff_req *req, const struct nacl_diff *d)
{
	printf("naclemu diff %s -> %s: ", req->old_path, req->new_path);
	if (!d->nregions) {
		printf("no difference in any verdict\n");
	} else {
		printf("%zu region%s of traffic change verdict\n"
		       "(exempt traffic, never judged, is in no region: DHCP, neighbour discovery,\n"
		       " the link-local services)\n\n",
		       d->nregions, d->nregions > 1 ? "s" : "");
		cli_diff_regions_text(d);
	}
	text_ephemeral(d);
	text_shadows(d);
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *verdict_json(const struct nacl_verdict *v)
{
	return json_pack("{s:s,s:I}", "action", v->allow ? "allow" : "deny",
			 "rule", (json_int_t)v->rule_number);
}

/* {"type": T, "code": C} of an ICMP key. */
static json_t *icmp_key_json(uint16_t key)
{
	return json_pack("{s:i,s:i}", "type", key >> 8, "code", key & 0xff);
}

static json_t *region_json(const struct nacl_diff *d, const struct nacl_diff_region *r)
{
	json_t *o, *cidrs = json_array(), *except = json_array();
	json_t *ports = json_null(), *icmp = json_null();
	char pbuf[8], cbuf[64];

	if (r->protocol == NACL_DIFF_OTHER)
		for (int p = 0; p < 256; p++)
			if (d->named[r->dir][NACLEMU_FAM_IDX(r->family)][p])
				json_array_append_new(except, json_integer(p));
	if (r->keys && r->kind == NACL_DIFF_KEY_PORTS)
		ports = json_pack("{s:i,s:i}", "from", r->key_lo, "to", r->key_hi);
	if (r->keys && r->kind == NACL_DIFF_KEY_ICMP)
		icmp = json_pack("{s:o,s:o}", "from", icmp_key_json(r->key_lo), "to",
				 icmp_key_json(r->key_hi));
	for (size_t k = 0; k < r->ncidr; k++)
		json_array_append_new(cidrs, json_string(nacl_cidr_str(&d->cidrs[r->cidr + k], cbuf)));
	o = json_pack("{s:s,s:i,s:i,s:s,s:o,s:o,s:o,s:b,s:o}", "direction", nacl_dir_name(r->dir),
		      "family", r->family, "protocol", r->protocol, "protocol_name",
		      nacl_diff_proto_str(d, r, pbuf), "except", except, "ports", ports, "icmp",
		      icmp, "fragments", r->fragments, "cidrs", cidrs);
	json_object_set_new(o, "old", verdict_json(&r->old));
	json_object_set_new(o, "new", verdict_json(&r->new));
	return o;
}

static json_t *eph_side_json(const struct nacl_diff *d, const struct nacl_diff_eph_side *s)
{
	json_t *closed = json_array();

	for (size_t k = 0; k < s->nclosed; k++) {
		const struct nacl_port_seg *g = &d->segs[s->closed + k];

		json_array_append_new(closed, json_pack("{s:i,s:i,s:I}", "from", g->from, "to",
							g->to, "rule",
							(json_int_t)g->verdict.rule_number));
	}
	return json_pack("{s:b,s:I,s:o}", "open", s->nclosed == 0, "closed_ports",
			 (json_int_t)s->closed_ports, "closed", closed);
}

static json_t *eph_json(const struct nacl_diff *d)
{
	json_t *arr = json_array();
	char cbuf[64], range[16];

	for (size_t i = 0; i < d->neph; i++) {
		const struct nacl_diff_eph *e = &d->eph[i];
		json_t *o;

		snprintf(range, sizeof(range), "%u-%u", e->os->lo, e->os->hi);
		o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:b}", "direction", nacl_dir_name(e->dir),
			      "family", e->family, "peer", nacl_cidr_str(&e->peer, cbuf), "client",
			      e->os->name, "range", range, "changed", e->changed);
		json_object_set_new(o, "old", eph_side_json(d, &e->old));
		json_object_set_new(o, "new", eph_side_json(d, &e->new));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* @by_rs: the side whose rules cover it (NEW for shadowed, OLD for unshadowed). */
static json_t *shadows_json(const struct nacl_diff *d, const struct nacl_diff_shadow *list,
			    size_t n, const struct nacl_ruleset *by_rs)
{
	json_t *arr = json_array();
	char rbuf[NACL_TEXT_LEN];

	for (size_t i = 0; i < n; i++) {
		const struct nacl_diff_shadow *sh = &list[i];
		const struct nacl_rule *r = &d->new->rules[sh->dir][sh->index];
		json_t *by = json_array(), *old_rule = json_null();

		for (size_t k = 0; k < sh->nby; k++)
			json_array_append_new(by, json_integer(by_rs->rules[sh->dir][sh->by[k]].number));
		if (sh->old_index >= 0)
			old_rule = json_integer(d->old->rules[sh->dir][sh->old_index].number);
		json_array_append_new(arr, json_pack("{s:s,s:i,s:i,s:o,s:s,s:o}", "direction",
			nacl_dir_name(sh->dir), "family", sh->family, "rule", r->number,
			"old_rule", old_rule, "text", nacl_rule_str(r, rbuf), "by", by));
	}
	return arr;
}

static void render_json(const struct diff_req *req, const struct nacl_diff *d)
{
	json_t *doc, *regions = json_array();

	for (size_t i = 0; i < d->nregions; i++)
		json_array_append_new(regions, region_json(d, &d->regions[i]));
	doc = json_pack("{s:s,s:s,s:b}", "old", req->old_path, "new", req->new_path, "changed",
			d->nregions > 0);
	json_object_set_new(doc, "regions", regions);
	json_object_set_new(doc, "ephemeral", eph_json(d));
	json_object_set_new(doc, "shadowed", shadows_json(d, d->shadowed, d->nshadowed, d->new));
	json_object_set_new(doc, "unshadowed",
			    shadows_json(d, d->unshadowed, d->nunshadowed, d->old));
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(doc);
}

int cmd_diff(int argc, char **argv)
{
	struct diff_req req = {};
	struct nacl_ruleset *old = NULL, *new = NULL;
	struct nacl_diff d = {};
	int exit, err;

	exit = diff_parse(argc, argv, &req);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = cli_read_rules(req.old_path, &req.select, &old);
	if (!exit)
		exit = cli_read_rules(req.new_path, &req.select, &new);
	if (!exit && (err = nacl_diff(old, new, &d))) {
		pr_err("diff %s %s: %s", req.old_path, req.new_path,
		       err == -ENOMEM ? "out of memory" : "too many rules in a direction");
		exit = err == -ENOMEM ? NACL_EXIT_SYSTEM : NACL_EXIT_INVALID;
	}
	if (!exit) {
		if (req.json)
			render_json(&req, &d);
		else
			render_text(&req, &d);
		exit = d.nregions ? NACL_EXIT_DENIED : NACL_EXIT_OK;
	}
	nacl_diff_free(&d);
	free(old);
	free(new);
	return exit;
}
