// SPDX-License-Identifier: MIT
/*
 * attach.c - `naclemu attach`, `update` and `detach`: options into a
 * request, one call of the datapath library (datapath/ops.c), one line of
 * result (docs/semantics.md section 3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/guard.h"
#include "cli/cli.h"
#include "datapath/datapath.h"

static const char attach_usage[] =
	"Usage: naclemu attach [-n NETNS] -i IFACE RULES [SELECT]\n"
	"                      [--subnet CIDR]... [--exempt CIDR]... [--vpc CIDR]... [--events-rate N]\n"
	"                      [--hook tcx|clsact|auto] [--flow-log [--flow-log-entries N]]\n"
	"                      [--force]\n"
	"\n"
	"Load the NACL datapath and attach it to both directions of IFACE:\n"
	"inbound rules at ingress, outbound rules at egress, with tcx links\n"
	"(Linux 6.6+) or clsact TC filters.  The state is pinned under\n"
	"/sys/fs/bpf/naclemu/ and outlives the command.  Other programs and\n"
	"filters on IFACE keep working.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this network namespace (a name, or a path\n"
	"                      such as /proc/PID/ns/net)\n"
	"  -i, --interface IF  the interface (Ethernet, e.g. a veth)\n"
	CLI_RULES_HELP
	"      --subnet CIDR   the interface's subnet: traffic with peers inside it\n"
	"                      bypasses the NACL, as in AWS (repeatable, up to 16)\n"
	"      --exempt CIDR   never filter traffic with these peers (repeatable)\n"
	"      --vpc CIDR      the VPC's IPv4 CIDR: DNS to and from its base + 2, the\n"
	"                      Route 53 Resolver, is not filtered (repeatable)\n"
	"      --events-rate N drop events per second and CPU, 0 = off (default 1000)\n"
	"      --hook HOOK     tcx, clsact, or auto (default: tcx where the kernel\n"
	"                      has it; the environment variable NACLEMU_HOOK too)\n"
	"      --flow-log      account traffic per flow for 'naclemu flowlog' (off by\n"
	"                      default: then it costs nothing)\n"
	"      --flow-log-entries N  flows the table holds per window, 16..1048576\n"
	"                      (default 16384; implies --flow-log)\n"
	CLI_FORCE_HELP
	"  -v, --verbose       show libbpf messages and the verifier log\n"
	"\n"
	"In an SSH session (SSH_CONNECTION), attach refuses rules that would deny\n"
	"that session's packets on the interface that carries it, naming the rule.\n"
	"\n"
	"Exit status: 0 attached, 1 invalid rules or arguments (or already\n"
	"attached: use update; or the lock-out guard refused), 2 system\n"
	"failure (not root, no such interface, BPF refused).\n"
	"\n"
	"Example:\n"
	"  naclemu attach -i eth1 examples/web-server.nacl --subnet 192.0.2.0/24\n";

/*
 * attach_parse_opt() - one option of attach's (shared with run): fills
 * @req.  Returns 1 when @c is not one of attach's, else an exit status.
 */
int attach_parse_opt(const char *cmd, int c, const char *arg, struct attach_req *req)
{
	switch (c) {
	case 'n': req->netns = arg; return NACL_EXIT_OK;
	case 'i': req->ifname = arg; return NACL_EXIT_OK;
	case 'a':
	case 'S':
	case 'F':
	case 'P':
		return cli_rules_opt(cmd, c, arg, &req->select);
	case 's': return cli_cidr_opt(cmd, "--subnet", arg, req->subnet, &req->nsubnet);
	case 'e': return cli_cidr_opt(cmd, "--exempt", arg, req->exempt, &req->nexempt);
	case 'V': return cli_vpc_opt(cmd, arg, req->vpc, &req->nvpc);
	case 'r':
		if (nacl_parse_u32(arg, NACLEMU_EVENTS_RATE_MAX, &req->events_rate))
			return nacl_usage_error(cmd, "--events-rate wants 0..%d, not '%s'",
						NACLEMU_EVENTS_RATE_MAX, arg);
		return NACL_EXIT_OK;
	case CLI_OPT_FORCE: req->force = true; return NACL_EXIT_OK;
	case CLI_OPT_HOOK:
		if (dp_hook_parse(arg, &req->hook))
			return nacl_usage_error(cmd, "--hook wants tcx, clsact or auto, not '%s'", arg);
		return NACL_EXIT_OK;
	case CLI_OPT_FLOW_LOG:
		if (!req->flow_entries)
			req->flow_entries = NACLEMU_FLOW_ENTRIES;
		return NACL_EXIT_OK;
	case CLI_OPT_FLOW_ENTRIES:
		if (nacl_parse_u32(arg, NACLEMU_FLOW_ENTRIES_MAX, &req->flow_entries) ||
		    req->flow_entries < NACLEMU_FLOW_ENTRIES_MIN)
			return nacl_usage_error(cmd, "--flow-log-entries wants %d..%d, not '%s'",
						NACLEMU_FLOW_ENTRIES_MIN, NACLEMU_FLOW_ENTRIES_MAX, arg);
		return NACL_EXIT_OK;
	default:
		return 1;
	}
}

void attach_req_init(struct attach_req *req)
{
	memset(req, 0, sizeof(*req));
	req->events_rate = 1000;
}

int attach_req_hook_env(const char *cmd, bool hook_given, struct attach_req *req)
{
	const char *hook = getenv("NACLEMU_HOOK");

	/* --hook wins: the environment is only read when it was not given. */
	if (hook_given || !hook || !*hook)
		return NACL_EXIT_OK;
	if (dp_hook_parse(hook, &req->hook))
		return nacl_usage_error(cmd, "NACLEMU_HOOK wants tcx, clsact or auto, not '%s'",
					hook);
	return NACL_EXIT_OK;
}

static const struct option attach_opts[] = {
	CLI_ATTACH_OPTIONS,
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/*
 * attach_parse() - attach's options into @req.  Returns an exit status, or
 * -1 after --help.
 */
static int attach_parse(int argc, char **argv, struct attach_req *req)
{
	bool hook_given = false;
	int c, ret;

	attach_req_init(req);
	optind = 1;
	while ((c = cli_getopt("attach", argc, argv, "n:i:vh", attach_opts)) != CLI_OPT_END) {
		if (c == CLI_OPT_ERROR)
			return NACL_EXIT_INVALID;
		hook_given |= c == CLI_OPT_HOOK;
		if (c == 'v') {
			nacl_verbose = 1;
		} else if (c == 'h') {
			fputs(attach_usage, stdout);
			return -1;
		} else if ((ret = attach_parse_opt("attach", c, optarg, req))) {
			return ret;
		}
	}
	if ((ret = attach_req_hook_env("attach", hook_given, req)))
		return ret;
	if (!req->ifname)
		return nacl_usage_error("attach", "-i IFACE is required");
	if (optind + 1 != argc)
		return nacl_usage_error("attach", "expected one RULES file");
	req->rules_path = argv[optind];
	return NACL_EXIT_OK;
}

int cli_session(const char *cmd, bool force, struct nacl_session *buf,
		const struct nacl_session **session)
{
	const char *env = getenv("SSH_CONNECTION");
	char err[160];

	*session = NULL;
	if (force || !env || !*env)
		return NACL_EXIT_OK;
	if (nacl_session_parse(env, buf, err, sizeof(err)))
		return nacl_usage_error(cmd, "SSH_CONNECTION: %s (--force skips the lock-out guard)",
					err);
	*session = buf;
	return NACL_EXIT_OK;
}

int cli_attach(const char *cmd, const struct attach_req *req, FILE *out)
{
	struct attach_req r = *req;
	struct nacl_ruleset *rs = NULL;
	struct nacl_session session;
	struct dp_result res = {};
	struct dp_target t;
	struct dp_error e = {};
	int exit;

	/* The names and the rule file first: a bad one is reported before "not root". */
	if (dp_target_init(&t, req->netns, req->ifname, &e))
		return cli_target_error(cmd, &e);
	exit = cli_session(cmd, req->force, &session, &r.session);
	if (!exit)
		exit = cli_read_rules(req->rules_path, &req->select, &rs);
	if (!exit)
		exit = cli_need_root(cmd);
	if (!exit && (exit = dp_attach(&r, rs, &res, &e)))
		pr_err("%s", e.msg);
	if (res.note[0])
		pr_warn("%s", res.note);
	if (!exit)
		fprintf(out, "attached to %s (netns %s, %s): %zu inbound, %zu outbound rules from %s%s%s%s\n",
			res.target.ifname, dp_netns_label(res.target.netns), dp_hook_name(res.hook),
			res.rules[NACLEMU_INGRESS], res.rules[NACLEMU_EGRESS], req->rules_path,
			res.acl_id[0] ? ", " : "", res.acl_id,
			req->flow_entries ? ", flow log on" : "");
	free(rs);
	return exit;
}

int cmd_attach(int argc, char **argv)
{
	struct attach_req req = {};
	int exit = attach_parse(argc, argv, &req);

	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	return cli_attach("attach", &req, stdout);
}

static const char update_usage[] =
	"Usage: naclemu update [-n NETNS] -i IFACE RULES [SELECT] [--force]\n"
	"\n"
	"Replace the rules of an attached interface atomically: every packet is\n"
	"judged entirely by the old rules or entirely by the new ones.  Rules\n"
	"that keep their number and content keep their counters.  The --subnet,\n"
	"--exempt and --vpc CIDRs of attach stay.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this network namespace (a name, or a path\n"
	"                      such as /proc/PID/ns/net)\n"
	"  -i, --interface IF  the attached interface\n"
	CLI_RULES_HELP
	CLI_FORCE_HELP
	"  -v, --verbose       show libbpf messages\n"
	"\n"
	"In an SSH session (SSH_CONNECTION), update refuses rules that would deny\n"
	"that session's packets on the interface that carries it, naming the rule.\n"
	"\n"
	"Exit status: 0 updated, 1 invalid rules or arguments (or not attached,\n"
	"or the lock-out guard refused),\n"
	"2 system failure.\n"
	"\n"
	"Example:\n"
	"  naclemu update -i eth1 examples/web-server.nacl\n";

/*
 * iface_parse() - the options of update, detach and stats: -n, -i, and for
 * update the rule selection and one RULES argument.  Returns an exit
 * status, or -1 after --help.
 */
static int iface_parse(const char *cmd, const char *usage, int argc, char **argv,
		       struct update_req *req, bool rules, bool *json)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interface", required_argument, NULL, 'i' },
		CLI_RULES_OPTIONS,
		{ "force", no_argument, NULL, CLI_OPT_FORCE },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, i, exit;

	optind = 1;
	while ((c = cli_getopt(cmd, argc, argv, "n:i:jvh", opts)) != CLI_OPT_END) {
		/* Options of the table that this command does not take. */
		if (((CLI_RULES_OPT(c) || c == CLI_OPT_FORCE) && !rules) || (c == 'j' && !json)) {
			for (i = 0; opts[i].val != c; i++)
				;
			return nacl_usage_error(cmd, "invalid option '--%s'", opts[i].name);
		}
		switch (c) {
		case 'n': req->netns = optarg; break;
		case 'i': req->ifname = optarg; break;
		case 'v': nacl_verbose = 1; break;
		case 'a':
		case 'S':
		case 'F':
		case 'P':
			if ((exit = cli_rules_opt(cmd, c, optarg, &req->select)))
				return exit;
			break;
		case 'j':
			*json = true;
			break;
		case CLI_OPT_FORCE:
			req->force = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return NACL_EXIT_INVALID;
		}
	}
	if (rules) {
		if (optind + 1 != argc)
			return nacl_usage_error(cmd, "expected one RULES file");
		req->rules_path = argv[optind];
	} else if (optind != argc) {
		return nacl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	if (!req->ifname)
		return nacl_usage_error(cmd, "-i IFACE is required");
	return NACL_EXIT_OK;
}

/* iface_parse() for @cmd, then the target and root; an exit status or -1. */
int cli_iface_target(const char *cmd, const char *usage, int argc, char **argv,
		     struct update_req *req, bool rules, bool *json, struct dp_target *t)
{
	struct dp_error e = {};
	int exit = iface_parse(cmd, usage, argc, argv, req, rules, json);

	if (exit)
		return exit;
	if (dp_target_init(t, req->netns, req->ifname, &e))
		return cli_target_error(cmd, &e);
	return NACL_EXIT_OK;
}

int cmd_update(int argc, char **argv)
{
	struct update_req req = {};
	struct nacl_ruleset *rs = NULL;
	struct nacl_session session;
	struct dp_result res = {};
	struct dp_target t;
	struct dp_error e;
	int exit;

	exit = cli_iface_target("update", update_usage, argc, argv, &req, true, NULL, &t);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	/* Check the file before anything else: a bad one changes nothing. */
	exit = cli_session("update", req.force, &session, &req.session);
	if (!exit)
		exit = cli_read_rules(req.rules_path, &req.select, &rs);
	if (!exit)
		exit = cli_need_root("update");
	if (!exit && (exit = dp_update(&req, rs, &res, &e)))
		pr_err("%s", e.msg);
	if (res.note[0])
		pr_warn("%s", res.note);
	if (!exit)
		printf("updated %s (netns %s): %zu inbound, %zu outbound rules from %s, "
		       "generation %llu; %zu rules kept their counters, %zu new\n",
		       t.ifname, dp_netns_label(t.netns), res.rules[NACLEMU_INGRESS],
		       res.rules[NACLEMU_EGRESS], req.rules_path,
		       (unsigned long long)res.generation, res.kept, res.fresh);
	free(rs);
	return exit;
}

static const char detach_usage[] =
	"Usage: naclemu detach [-n NETNS] -i IFACE\n"
	"\n"
	"Remove what attach created on IFACE: naclemu's two TC filters, the\n"
	"clsact qdisc if attach created it and nothing else uses it, and the\n"
	"pinned state.  Other filters stay.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this network namespace (a name, or a path\n"
	"                      such as /proc/PID/ns/net)\n"
	"  -i, --interface IF  the attached interface\n"
	"  -v, --verbose       show libbpf messages\n"
	"\n"
	"Exit status: 0 detached, 1 not attached or invalid arguments, 2 system\n"
	"failure.\n"
	"\n"
	"Example:\n"
	"  naclemu detach -i eth1\n";

int cli_detach(const struct dp_target *t, FILE *out)
{
	struct dp_detached d;
	struct dp_error e;
	int exit = dp_detach(t, &d, &e);

	if (exit) {
		pr_err("%s", e.msg);
		return exit;
	}
	fprintf(out, "detached from %s (netns %s)%s%s\n", t->ifname, dp_netns_label(t->netns),
		d.removed_qdisc ? ", clsact qdisc removed" : "",
		d.iface_gone ? ": the interface no longer exists, pinned state removed" : "");
	return NACL_EXIT_OK;
}

int cmd_detach(int argc, char **argv)
{
	struct update_req req = {};
	struct dp_target t;
	int exit;

	exit = cli_iface_target("detach", detach_usage, argc, argv, &req, false, NULL, &t);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = cli_need_root("detach");
	return exit ? exit : cli_detach(&t, stdout);
}
