// SPDX-License-Identifier: MIT
/*
 * flow.c - `naclemu flow`: one connection judged both ways offline, the
 * request and the response over the client's whole ephemeral range
 * (analysis/flow.h, docs/semantics.md sections 1 and 3).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/flow.h"
#include "cli/cli.h"
#include "rules/model.h"
#include "rules/read.h"

static const char flow_usage[] =
	"Usage: naclemu flow RULES --client ADDR --server ADDR:PORT\n"
	"                    [--protocol tcp|udp] [--nacl-on server|client]\n"
	"                    [--client-os linux|windows|macos|elb|nat | --ephemeral LO-HI]\n"
	"                    [--exempt CIDR]... [--subnet CIDR]... [--vpc CIDR]... [SELECT]\n"
	"\n"
	"Judge a whole connection: the request to the server's port, and the\n"
	"response to every port of the client's ephemeral range, with the NACL\n"
	"on the server's subnet (default) or the client's.  Reports, per leg,\n"
	"the deciding rules and the share of connections that fail.\n"
	"\n"
	"Ephemeral ranges: linux 32768-60999 (default), windows and macos\n"
	"49152-65535, elb and nat 1024-65535.\n"
	"\n"
	"Options to judge as an attached datapath does:\n"
	CLI_EXTRA_HELP
	"SELECT, the ACL of a file that holds several, and how to read it:\n"
	CLI_RULES_HELP
	"\n"
	"Exit status: 0 when every connection gets through both legs, 3 when\n"
	"some fail, 1 invalid rules or arguments.\n"
	"\n"
	"Example:\n"
	"  naclemu flow examples/docker-ephemeral.nacl \\\n"
	"      --client 192.0.2.10 --server 198.51.100.20:10001\n";

/*
 * struct flow_req - what `naclemu flow` asks for.
 * @flow: the connection, with the ephemeral range of @os or --ephemeral.
 * @os: the client OS (linux by default), NULL with --ephemeral.
 */
struct flow_req {
	const char *path;
	struct nacl_select select;
	struct nacl_flow flow;
	const struct nacl_client_os *os;
	struct cli_extra extra;
};

/* The options as given, before they are checked together. */
struct flow_args {
	const char *client, *server, *eph, *osname;
};

/* --protocol, --nacl-on and --client-os, checked as they come.  Exit status. */
static int flow_opt(int c, const char *arg, struct flow_args *a, struct flow_req *req)
{
	switch (c) {
	case 'p':
		if (!strcmp(arg, "tcp"))
			req->flow.protocol = NACLEMU_PROTO_TCP;
		else if (!strcmp(arg, "udp"))
			req->flow.protocol = NACLEMU_PROTO_UDP;
		else
			return nacl_usage_error("flow", "--protocol '%s': expected tcp or udp", arg);
		return NACL_EXIT_OK;
	case 'n':
		if (!strcmp(arg, "server"))
			req->flow.nacl_on_server = true;
		else if (!strcmp(arg, "client"))
			req->flow.nacl_on_server = false;
		else
			return nacl_usage_error("flow", "--nacl-on '%s': expected server or client",
						arg);
		return NACL_EXIT_OK;
	default: /* 'o' */
		a->osname = arg;
		req->os = nacl_client_os_find(arg);
		if (!req->os)
			return nacl_usage_error("flow",
				"--client-os '%s': expected linux, windows, macos, elb or nat", arg);
		return NACL_EXIT_OK;
	}
}

/* The getopt loop: @a and the rest of @req.  Exit status or -1. */
static int flow_opts(int argc, char **argv, struct flow_args *a, struct flow_req *req)
{
	static const struct option opts[] = {
		{ "client", required_argument, NULL, 'c' },
		{ "server", required_argument, NULL, 's' },
		{ "protocol", required_argument, NULL, 'p' },
		{ "nacl-on", required_argument, NULL, 'n' },
		{ "client-os", required_argument, NULL, 'o' },
		{ "ephemeral", required_argument, NULL, 'e' },
		CLI_RULES_OPTIONS,
		CLI_EXTRA_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, exit;

	optind = 1;
	while ((c = cli_getopt("flow", argc, argv, "vh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'c': a->client = optarg; break;
		case 's': a->server = optarg; break;
		case 'e': a->eph = optarg; break;
		case 'a':
		case 'S':
		case 'F':
		case 'P':
			if ((exit = cli_rules_opt("flow", c, optarg, &req->select)))
				return exit;
			break;
		case CLI_OPT_EXEMPT:
		case CLI_OPT_SUBNET:
		case CLI_OPT_VPC:
			if ((exit = cli_extra_opt("flow", c, optarg, &req->extra)))
				return exit;
			break;
		case 'v': nacl_verbose = 1; break;
		case 'p':
		case 'n':
		case 'o':
			if ((exit = flow_opt(c, optarg, a, req)))
				return exit;
			break;
		case 'h':
			fputs(flow_usage, stdout);
			return -1;
		default:
			return NACL_EXIT_INVALID;
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("flow", "expected one RULES file");
	req->path = argv[optind];
	return NACL_EXIT_OK;
}

/* The ephemeral range and both endpoints into req->flow.  Exit status. */
static int flow_check(const struct flow_args *a, struct flow_req *req)
{
	struct nacl_flow *f = &req->flow;
	struct cli_endpoint client, server;
	int err;

	if (!a->client || !a->server)
		return nacl_usage_error("flow", "--client and --server are required");
	if (a->eph && a->osname)
		return nacl_usage_error("flow", "--client-os and --ephemeral exclude each other");
	f->eph_lo = req->os->lo;
	f->eph_hi = req->os->hi;
	if (a->eph && (err = cli_parse_port_range(a->eph, &f->eph_lo, &f->eph_hi)))
		return nacl_usage_error("flow", "--ephemeral '%s': expected LO-HI, 1..65535%s",
					a->eph, err == -EINVAL ? "" : ", LO <= HI");
	if (a->eph)
		req->os = NULL;
	if (cli_parse_endpoint(a->client, &client) || client.has_port)
		return nacl_usage_error("flow", "--client '%s': expected an address", a->client);
	if (cli_parse_endpoint(a->server, &server) || !server.has_port)
		return nacl_usage_error("flow", "--server '%s': expected ADDR:PORT or [IPV6]:PORT",
					a->server);
	if (client.family != server.family)
		return nacl_usage_error("flow",
			"--client and --server must both be IPv4 or both IPv6");
	f->family = client.family;
	memcpy(f->client, client.addr, 16);
	memcpy(f->server, server.addr, 16);
	f->server_port = server.port;
	return NACL_EXIT_OK;
}

/* Options into @req; an exit status, or -1 after --help. */
static int flow_parse(int argc, char **argv, struct flow_req *req)
{
	struct flow_args a = {};
	int exit;

	req->os = nacl_client_os_find("linux");
	req->flow.protocol = NACLEMU_PROTO_TCP;
	req->flow.nacl_on_server = true;
	exit = flow_opts(argc, argv, &a, req);
	return exit ? exit : flow_check(&a, req);
}

static void text_segments(const struct nacl_port_seg *segs, size_t n)
{
	char rbuf[32];

	for (size_t i = 0; i < n; i++) {
		const struct nacl_port_seg *s = &segs[i];

		if (s->from == s->to)
			printf("%sport %u", i ? ", " : "", s->from);
		else
			printf("%sports %u-%u", i ? ", " : "", s->from, s->to);
		printf(" %s by %s", s->verdict.allow ? "allowed" : "denied",
		       cli_verdict_rule(&s->verdict, rbuf));
	}
}

/* The last line: who fails, and how often. */
static void text_verdict(const struct flow_req *req, const struct nacl_flow_result *res)
{
	const struct nacl_flow *f = &req->flow;
	char who[64], pct[8];

	if (!req->os)
		snprintf(who, sizeof(who), "a client with ephemeral ports %u-%u", f->eph_lo,
			 f->eph_hi);
	else
		snprintf(who, sizeof(who), "%s %s client",
			 strchr("aeiou", req->os->name[0]) ? "an" : "a", req->os->name);
	if (res->failed == 0) {
		printf("verdict:  every connection from %s gets through\n", who);
	} else if (!res->request_verdict.allow) {
		printf("verdict:  the request is denied: %s fails 100%% of connections\n", who);
	} else if (res->failed == res->total) {
		printf("verdict:  the response is denied on every ephemeral port: "
		       "%s fails 100%% of connections\n", who);
	} else {
		printf("verdict:  response allowed for ");
		for (size_t i = 0, k = 0; i < res->nsegs; i++) {
			if (!res->segs[i].verdict.allow)
				continue;
			printf("%s%u-%u", k++ ? ", " : "ports ", res->segs[i].from, res->segs[i].to);
		}
		printf(" only: %s fails %s%% of connections\n", who,
		       nacl_percent(res->failed, res->total, pct));
	}
}

static void render_text(const struct flow_req *req, const struct nacl_flow_result *res)
{
	const struct nacl_flow *f = &req->flow;
	const struct nacl_packet *rq = &res->request;
	int af = f->family == 4 ? AF_INET : AF_INET6;
	char pbuf[8], rbuf[32], caddr[INET6_ADDRSTRLEN], saddr[INET6_ADDRSTRLEN];

	inet_ntop(af, f->client, caddr, sizeof(caddr));
	inet_ntop(af, f->server, saddr, sizeof(saddr));
	printf("flow:     %s %s -> %s%s%s:%u, NACL on the %s's subnet, %s client (ephemeral %u-%u)\n",
	       nacl_proto_name(f->protocol, pbuf), caddr, f->family == 6 ? "[" : "", saddr,
	       f->family == 6 ? "]" : "", f->server_port,
	       f->nacl_on_server ? "server" : "client", req->os ? req->os->name : "a",
	       f->eph_lo, f->eph_hi);
	if (res->request_exempt != NACL_NOT_EXEMPT)
		printf("request:  %s, to port %u: allowed: not filtered (%s)\n",
		       nacl_dir_name(rq->dir), rq->dst_port, nacl_exempt_name(res->request_exempt));
	else
		printf("request:  %s, to port %u: %s by %s\n", nacl_dir_name(rq->dir), rq->dst_port,
		       res->request_verdict.allow ? "allowed" : "denied",
		       cli_verdict_rule(&res->request_verdict, rbuf));
	printf("response: %s, to ports %u-%u: ", nacl_dir_name(res->response.dir), f->eph_lo,
	       f->eph_hi);
	if (res->response_exempt != NACL_NOT_EXEMPT)
		printf("allowed: not filtered (%s)", nacl_exempt_name(res->response_exempt));
	else
		text_segments(res->segs, res->nsegs);
	printf("\n");
	text_verdict(req, res);
}

int cmd_flow(int argc, char **argv)
{
	struct flow_req req = {};
	struct nacl_ruleset *rs = NULL;
	struct nacl_flow_result *res;
	struct nacl_extra x;
	int exit;

	exit = flow_parse(argc, argv, &req);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = cli_read_rules(req.path, &req.select, &rs);
	if (exit)
		return exit;
	res = calloc(1, sizeof(*res));
	if (!res) {
		pr_err("out of memory");
		free(rs);
		return NACL_EXIT_SYSTEM;
	}
	cli_extra_view(&req.extra, &x);
	nacl_flow_judge(rs, &req.flow, &x, res);
	render_text(&req, res);
	exit = res->failed ? NACL_EXIT_DENIED : NACL_EXIT_OK;
	free(res);
	free(rs);
	return exit;
}
