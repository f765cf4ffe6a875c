// SPDX-License-Identifier: MIT
/*
 * flowlog.c - `naclemu flowlog`: options into a struct flowlog_req, one
 * call of flowlog_run() (output/flowlog_run.c), which writes the records
 * (docs/flowlog.md, docs/semantics.md section 5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "datapath/datapath.h"
#include "output/flowlog_run.h"

static const char flowlog_usage[] =
	"Usage: naclemu flowlog [-n NETNS] [-i IFACE] [--interval SECONDS] [--format FORMAT]\n"
	"                       [--field NAME=VALUE]... [--header] [--output FILE]\n"
	"                       [--count N] [--timeout SECONDS]\n"
	"\n"
	"Write AWS VPC Flow Log records of the traffic of interfaces attached\n"
	"with --flow-log: every --interval seconds, one record per flow\n"
	"(direction, addresses, ports, protocol, action) seen in that window,\n"
	"ACCEPT and REJECT alike; NODATA for an interface without traffic in the\n"
	"window, SKIPDATA when the flow table was full.  Without -i, every\n"
	"interface attached with --flow-log (of NETNS with -n), also those\n"
	"attached later; -i without -n is in the caller's namespace.  The first\n"
	"window starts when the command does.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS     interfaces in this named network namespace\n"
	"  -i, --interface IF    only this interface\n"
	"      --interval SECS   seconds of a window, 1..3600 (default 60)\n"
	"      --format FORMAT   the fields, AWS's syntax: '${version} ${srcaddr} ...',\n"
	"                        any field of versions 2 to 5 (default: version 2's\n"
	"                        14 fields)\n"
	"      --field N=V       a value naclemu cannot know: account-id,\n"
	"                        interface-id, vpc-id, subnet-id, instance-id,\n"
	"                        region, az-id, sublocation-type, sublocation-id\n"
	"                        (repeatable; '-' when not given)\n"
	"      --header          the field names first\n"
	"      --output FILE     append to FILE (opened again on SIGHUP, for\n"
	"                        logrotate) instead of standard output\n"
	"      --count N         stop after N windows\n"
	"      --timeout SECS    stop after SECS seconds, the last window ending then\n"
	"\n"
	"It also stops on SIGINT (Ctrl-C) or SIGTERM, writing the window under\n"
	"way, and, with -i, when the interface is detached.  Exit status: 0, 1\n"
	"invalid arguments, or not attached with --flow-log, 2 system failure\n"
	"(another 'naclemu flowlog' reads the interface, the output fails).\n"
	"\n"
	"Examples:\n"
	"  naclemu flowlog -i eth1 --interval 10\n"
	"  naclemu flowlog --format '${srcaddr} ${dstaddr} ${dstport} ${action} ${tcp-flags}'\n"
	"  naclemu flowlog --field account-id=123456789012 --output /var/log/naclemu/flows.log\n";

#define OPT_INTERVAL 0x201
#define OPT_FORMAT 0x202
#define OPT_FIELD 0x203
#define OPT_HEADER 0x204
#define OPT_OUTPUT 0x205

/* One option of @req's (not -n, -i): an exit status. */
static int flowlog_opt(int c, const char *arg, struct flowlog_req *req)
{
	char err[FLOWLOG_ERR_LEN];
	__u32 v;

	switch (c) {
	case OPT_INTERVAL:
		if (nacl_parse_u32(arg, FLOWLOG_INTERVAL_MAX, &v) || !v)
			return nacl_usage_error("flowlog", "--interval wants seconds 1..%d, not '%s'",
						FLOWLOG_INTERVAL_MAX, arg);
		req->interval = v;
		return NACL_EXIT_OK;
	case OPT_FORMAT:
		if (flowlog_spec_format(&req->spec, arg, err))
			return nacl_usage_error("flowlog", "%s", err);
		return NACL_EXIT_OK;
	case OPT_FIELD:
		if (flowlog_spec_field(&req->spec, arg, err))
			return nacl_usage_error("flowlog", "%s", err);
		return NACL_EXIT_OK;
	case OPT_HEADER:
		req->header = true;
		return NACL_EXIT_OK;
	case OPT_OUTPUT:
		if (!*arg)
			return nacl_usage_error("flowlog", "--output wants a file name");
		req->output = arg;
		return NACL_EXIT_OK;
	case 'c':
		return cli_count_opt("flowlog", "windows", arg, &req->count);
	case 't':
		return cli_timeout_opt("flowlog", arg, FLOWLOG_TIMEOUT_MAX, &req->timeout);
	default:
		return NACL_EXIT_INVALID;
	}
}

int cmd_flowlog(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interface", required_argument, NULL, 'i' },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "field", required_argument, NULL, OPT_FIELD },
		{ "header", no_argument, NULL, OPT_HEADER },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct flowlog_req req = { .interval = FLOWLOG_INTERVAL_DEFAULT };
	struct dp_target t;
	struct dp_error e;
	int c, exit;

	flowlog_spec_init(&req.spec);
	optind = 1;
	while ((c = cli_getopt("flowlog", argc, argv, "n:i:vh", opts)) != CLI_OPT_END) {
		if (c == 'n') {
			req.netns = optarg;
		} else if (c == 'i') {
			req.ifname = optarg;
		} else if (c == 'v') {
			nacl_verbose = 1;
		} else if (c == 'h') {
			fputs(flowlog_usage, stdout);
			return NACL_EXIT_OK;
		} else if (c == CLI_OPT_ERROR) {
			return NACL_EXIT_INVALID;
		} else if ((exit = flowlog_opt(c, optarg, &req))) {
			return exit;
		}
	}
	if (optind != argc)
		return nacl_usage_error("flowlog", "unexpected argument '%s'", argv[optind]);
	/* The names as attach checks them ("lo" stands in for a missing -i). */
	if ((req.netns || req.ifname) &&
	    dp_target_init(&t, req.netns, req.ifname ? req.ifname : "lo", &e))
		return nacl_usage_error("flowlog", "%s", e.msg);
	exit = cli_need_root("flowlog");
	if (exit)
		return exit;
	return flowlog_run(&req);
}
