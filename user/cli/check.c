// SPDX-License-Identifier: MIT
/*
 * check.c - `naclemu check`: read a rule file, judge it as a whole
 * (analysis/report.h), and show the normalised rules, the ephemeral-port
 * table and the warnings as text or JSON (docs/semantics.md section 3).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report.h"
#include "cli/cli.h"
#include "rules/model.h"
#include "rules/read.h"

static const char check_usage[] =
	"Usage: naclemu check RULES [SELECT] [--json]\n"
	"\n"
	"Validate a rule file (text format or AWS describe-network-acls JSON),\n"
	"print the normalised rules of each direction, then warnings: rules\n"
	"that are never reached, quotas, and which clients' ephemeral ports the\n"
	"rules leave closed to TCP responses.\n"
	"\n"
	"Options:\n"
	CLI_RULES_HELP
	"  --json          one JSON document on stdout\n"
	"\n"
	"Exit status: 0 valid, 1 invalid (the error names FILE:LINE:COL).\n"
	"\n"
	"Example:\n"
	"  naclemu check examples/web-server.nacl\n"
	"  aws ec2 describe-network-acls > acls.json && naclemu check acls.json --acl acl-0abc\n";

/* struct check_req - what `naclemu check` asks for. */
struct check_req {
	const char *path;
	struct nacl_select select;
	bool json;
};

/* Options into @req; an exit status, or -1 after --help. */
static int check_parse(int argc, char **argv, struct check_req *req)
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
	while ((c = cli_getopt("check", argc, argv, "jvh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'a':
		case 'S':
		case 'F':
		case 'P':
			if ((ret = cli_rules_opt("check", c, optarg, &req->select)))
				return ret;
			break;
		case 'j': req->json = true; break;
		case 'v': nacl_verbose = 1; break;
		case 'h':
			fputs(check_usage, stdout);
			return -1;
		default:
			return NACL_EXIT_INVALID;
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("check", "expected one RULES file");
	req->path = argv[optind];
	return NACL_EXIT_OK;
}

/* ---- text ---------------------------------------------------------------- */

/* Whether client @o has the same range as the one before it (one column). */
static bool os_same_as_previous(size_t o)
{
	const struct nacl_client_os *os = &nacl_client_oses[o];

	return o && os->lo == os[-1].lo && os->hi == os[-1].hi;
}

static void text_table(const struct nacl_ruleset *rs, enum naclemu_dir dir)
{
	char pbuf[8], portbuf[24], cbuf[64];

	printf("%s%s\n", nacl_dir_name(dir), rs->has_dir[dir] ? "" : " (no section: all denied)");
	printf("  %-6s %-6s %-8s %-12s %s\n", "RULE", "ACTION", "PROTOCOL", "PORTS", "CIDR");
	for (size_t i = 0; i < rs->count[dir]; i++) {
		const struct nacl_rule *r = &rs->rules[dir][i];

		printf("  %-6u %-6s %-8s %-12s %s\n", r->number, r->allow ? "allow" : "deny",
		       nacl_proto_name(r->protocol, pbuf), nacl_rule_ports(r, portbuf),
		       nacl_cidr_str(&r->cidr, cbuf));
	}
	printf("  %-6s %-6s %-8s %-12s %s\n", "*", "deny", "all", "all", "0.0.0.0/0");
	printf("  %-6s %-6s %-8s %-12s %s\n", "*", "deny", "all", "all", "::/0");
}

/* The table's head: clients with the same range (elb, nat) share a column. */
static void text_ephemeral_head(void)
{
	char head[32];

	printf("\nephemeral ports: TCP responses to a client's ephemeral port\n");
	printf("  %-9s %-20s", "DIRECTION", "PEER");
	for (size_t o = 0; o < nacl_nclient_oses; o++) {
		const struct nacl_client_os *os = &nacl_client_oses[o];

		if (os_same_as_previous(o))
			continue;
		if (o + 1 < nacl_nclient_oses && os_same_as_previous(o + 1))
			snprintf(head, sizeof(head), "%s/%s", os->name, os[1].name);
		else
			snprintf(head, sizeof(head), "%s", os->name);
		printf(" %-13s", head);
	}
	printf("\n");
}

/* A cell: "open", "closed" or "58% closed". */
static const char *eph_cell_str(const struct nacl_eph_cell *c, char buf[16])
{
	uint64_t size = (uint64_t)c->os->hi - c->os->lo + 1;
	char pct[8];

	if (!c->nclosed)
		snprintf(buf, 16, "open");
	else if (c->closed_ports == size)
		snprintf(buf, 16, "closed");
	else
		snprintf(buf, 16, "%s%% closed", nacl_percent(c->closed_ports, size, pct));
	return buf;
}

static void text_ephemeral(const struct nacl_check_report *rep)
{
	char cbuf[64], cell[16];

	text_ephemeral_head();
	for (size_t i = 0; i < rep->neph; i++) {
		const struct nacl_eph_cell *c = &rep->eph[i];
		size_t o = (size_t)(c->os - nacl_client_oses);

		if (o == 0)
			printf("  %-9s %-20s", nacl_dir_name(c->dir), nacl_cidr_str(&c->peer, cbuf));
		if (!os_same_as_previous(o))
			printf(" %-13s", eph_cell_str(c, cell));
		if (o + 1 == nacl_nclient_oses)
			printf("\n");
	}
	printf("  (inbound: this subnet's clients get responses; outbound: clients\n"
	       "   that connect in get them.  'naclemu flow' names the rules.)\n");
}

static void render_text(const struct nacl_check_report *rep)
{
	const struct nacl_ruleset *rs = rep->rs;

	printf("%s: valid%s%s%s\n\n", rs->path, rs->acl_id[0] ? " (" : "", rs->acl_id,
	       rs->acl_id[0] ? ")" : "");
	text_table(rs, NACLEMU_INGRESS);
	text_table(rs, NACLEMU_EGRESS);
	text_ephemeral(rep);
	if (rs->nwarnings) {
		printf("\nwarnings:\n");
		for (size_t i = 0; i < rs->nwarnings; i++)
			printf("  %s\n", rs->warnings[i]);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *json_table(const struct nacl_ruleset *rs, enum naclemu_dir dir)
{
	json_t *arr = json_array();
	char pbuf[8], portbuf[24], cbuf[64];

	for (size_t i = 0; i < rs->count[dir]; i++) {
		const struct nacl_rule *r = &rs->rules[dir][i];

		json_array_append_new(arr, json_pack("{s:i,s:s,s:i,s:s,s:s,s:s,s:i,s:i}",
			"rule", r->number, "action", r->allow ? "allow" : "deny",
			"protocol", r->protocol, "protocol_name", nacl_proto_name(r->protocol, pbuf),
			"ports", nacl_rule_ports(r, portbuf), "cidr", nacl_cidr_str(&r->cidr, cbuf),
			"family", r->cidr.family, "line", r->line));
	}
	return arr;
}

static json_t *json_shadowed(const struct nacl_check_report *rep)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < rep->nshadowed; i++) {
		const struct nacl_shadow *sh = &rep->shadowed[i];
		const struct nacl_rule *rules = rep->rs->rules[sh->dir];
		json_t *by = json_array();

		for (size_t k = 0; k < sh->nby; k++)
			json_array_append_new(by, json_integer(rules[sh->by[k]].number));
		json_array_append_new(arr, json_pack("{s:s,s:i,s:o}", "direction",
			nacl_dir_name(sh->dir), "rule", rules[sh->index].number, "by", by));
	}
	return arr;
}

static json_t *json_ephemeral(const struct nacl_check_report *rep)
{
	json_t *arr = json_array();
	char cbuf[64], range[16];

	for (size_t i = 0; i < rep->neph; i++) {
		const struct nacl_eph_cell *c = &rep->eph[i];
		json_t *closed = json_array();

		for (size_t k = 0; k < c->nclosed; k++) {
			const struct nacl_port_seg *s = &rep->segs[c->closed + k];

			json_array_append_new(closed, json_pack("{s:i,s:i,s:i}", "from", s->from,
				"to", s->to, "rule", (int)s->verdict.rule_number));
		}
		snprintf(range, sizeof(range), "%u-%u", c->os->lo, c->os->hi);
		json_array_append_new(arr, json_pack("{s:s,s:i,s:s,s:s,s:s,s:b,s:o}",
			"direction", nacl_dir_name(c->dir), "family", c->family,
			"peer", nacl_cidr_str(&c->peer, cbuf), "client", c->os->name,
			"range", range, "open", c->nclosed == 0, "closed", closed));
	}
	return arr;
}

static void json_print(json_t *doc, size_t flags)
{
	json_dumpf(doc, stdout, flags | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(doc);
}

static void render_json(const struct nacl_check_report *rep)
{
	const struct nacl_ruleset *rs = rep->rs;
	json_t *doc, *w = json_array();

	doc = json_pack("{s:s,s:s,s:b}", "file", rs->path, "acl_id", rs->acl_id, "valid", 1);
	json_object_set_new(doc, "inbound", json_table(rs, NACLEMU_INGRESS));
	json_object_set_new(doc, "outbound", json_table(rs, NACLEMU_EGRESS));
	json_object_set_new(doc, "shadowed", json_shadowed(rep));
	json_object_set_new(doc, "ephemeral", json_ephemeral(rep));
	for (size_t i = 0; i < rs->nwarnings; i++)
		json_array_append_new(w, json_string(rs->warnings[i]));
	json_object_set_new(doc, "warnings", w);
	json_print(doc, JSON_INDENT(2));
}

/* An invalid file with --json: {"file": PATH, "valid": false}, one line. */
static void render_json_invalid(const struct check_req *req)
{
	json_print(json_pack("{s:s,s:b}", "file", req->path, "valid", 0), 0);
}

int cmd_check(int argc, char **argv)
{
	struct check_req req = {};
	struct nacl_check_report rep = {};
	struct nacl_ruleset *rs = NULL;
	int exit;

	exit = check_parse(argc, argv, &req);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	/* The warnings are check's data: on stdout with the rest, not stderr. */
	exit = cli_read_rules_quiet(req.path, &req.select, &rs);
	if (exit) {
		if (req.json)
			render_json_invalid(&req);
		return exit;
	}
	if (nacl_check_report(rs, &rep)) {
		pr_err("out of memory");
		exit = NACL_EXIT_SYSTEM;
	} else if (req.json) {
		render_json(&rep);
	} else {
		render_text(&rep);
	}
	nacl_check_report_free(&rep);
	free(rs);
	return exit;
}
