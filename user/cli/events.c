// SPDX-License-Identifier: MIT
/*
 * events.c - `naclemu events` (stream the drop events of attached
 * interfaces) and `naclemu run` (attach, stream, detach), docs/semantics.md
 * sections 3 and 4.  The streaming itself is output/stream.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/stream.h"
#include "datapath/datapath.h"

int cli_count_opt(const char *cmd, const char *what, const char *arg, __u64 *count)
{
	__u32 v;

	if (nacl_parse_u32(arg, UINT32_MAX, &v) || !v)
		return nacl_usage_error(cmd, "--count wants a number of %s >= 1, not '%s'", what, arg);
	*count = v;
	return NACL_EXIT_OK;
}

int cli_timeout_opt(const char *cmd, const char *arg, double max, double *timeout)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > max)
		return nacl_usage_error(cmd, "--timeout wants seconds, more than 0 (e.g. 10 or 0.5), not '%s'",
					arg);
	*timeout = v;
	return NACL_EXIT_OK;
}

/* ---- events ------------------------------------------------------------- */

static const char events_usage[] =
	"Usage: naclemu events [-n NETNS] [-i IFACE] [--json] [--count N] [--timeout SECONDS]\n"
	"\n"
	"Print the packets naclemu drops, one line each, as they happen: those\n"
	"denied by a rule or by the default deny (rule 32767 for IPv4, 32768 for\n"
	"IPv6; '*' in the text), and malformed ones (rule '-' in the text; rule 0\n"
	"and action \"malformed\" in JSON).  Without -i, every attached interface\n"
	"(of NETNS with -n), also those attached after it started; -i without\n"
	"-n is in the caller's namespace.\n"
	"\n"
	"The kernel sends at most --events-rate events per second and CPU (set\n"
	"at attach, default 1000); every drop is still counted in 'stats'.  When\n"
	"the command ends, one line on stderr says how many events it printed\n"
	"and how many the rate limit suppressed or a full ring buffer lost\n"
	"meanwhile.  Drops from before it started are not printed.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   interfaces in this network namespace (a name, or a\n"
	"                      path such as /proc/PID/ns/net)\n"
	"  -i, --interface IF  only this attached interface\n"
	"      --json          one JSON object a line: time, interface, direction,\n"
	"                      rule, action, family, protocol, src, dst, src_port,\n"
	"                      dst_port, icmp_type, icmp_code, length, tcp_flags\n"
	"      --count N       stop after N events\n"
	"      --timeout SECS  stop after SECS seconds (decimals allowed)\n"
	"\n"
	"It also stops on SIGINT (Ctrl-C), SIGTERM, or when the interfaces are\n"
	"detached.  Exit status: 0, 1 invalid arguments or not attached, 2\n"
	"system failure.\n"
	"\n"
	"Examples:\n"
	"  naclemu events -i eth1\n"
	"  naclemu events -i eth1 --json | jq -c 'select(.rule == 32767)'\n";

/*
 * events_parse_opt() - one of the options events and run share (--json,
 * --count, --timeout) into @s.  Returns 1 when @c is not one of them, else
 * an exit status.
 */
static int events_parse_opt(const char *cmd, int c, const char *arg, struct stream *s)
{
	switch (c) {
	case 'j': s->json = true; return NACL_EXIT_OK;
	case 'c': return cli_count_opt(cmd, "events", arg, &s->count);
	case 't': return cli_timeout_opt(cmd, arg, EV_TIMEOUT_MAX, &s->timeout);
	default: return 1;
	}
}

#define EVENTS_OPTIONS                                  \
	{ "json", no_argument, NULL, 'j' },             \
	{ "count", required_argument, NULL, 'c' },      \
	{ "timeout", required_argument, NULL, 't' }

/* Find the interfaces -n / -i select (names already checked); an exit status. */
static int watch_find(struct stream *s, const struct dp_target *t, const char *netns,
		      const char *ifname)
{
	size_t n;
	int ret;

	if (ifname)
		ret = stream_add(s, t);
	else
		ret = dp_for_each_attached(netns, NULL, stream_found, s, &n);
	if (ret) {
		pr_err("cannot list the attached interfaces in %s: %s", DP_PIN_ROOT, strerror(-ret));
		return NACL_EXIT_SYSTEM;
	}
	return NACL_EXIT_OK;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interface", required_argument, NULL, 'i' },
		EVENTS_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct stream s = {};
	const char *netns = NULL, *ifname = NULL;
	struct dp_target t;
	struct dp_error e;
	int c, exit;

	optind = 1;
	while ((c = cli_getopt("events", argc, argv, "n:i:vh", opts)) != CLI_OPT_END) {
		if (c == 'n') {
			netns = optarg;
		} else if (c == 'i') {
			ifname = optarg;
		} else if (c == 'v') {
			nacl_verbose = 1;
		} else if (c == 'h') {
			fputs(events_usage, stdout);
			return NACL_EXIT_OK;
		} else if (c == CLI_OPT_ERROR) {
			return NACL_EXIT_INVALID;
		} else if ((exit = events_parse_opt("events", c, optarg, &s))) {
			return exit;
		}
	}
	if (optind != argc)
		return nacl_usage_error("events", "unexpected argument '%s'", argv[optind]);
	/* The names as attach checks them ("lo" stands in for a missing -i). */
	if ((netns || ifname) && dp_target_init(&t, netns, ifname ? ifname : "lo", &e))
		return cli_target_error("events", &e);
	if (netns)
		netns = t.netns; /* a path as its folder's label */
	exit = cli_need_root("events");
	if (!exit)
		exit = watch_find(&s, &t, netns, ifname);
	if (exit) {
		stream_free(&s);
		return exit;
	}
	/* Without -i, interfaces attached later are followed too. */
	s.follow = !ifname;
	s.netns = netns;
	setvbuf(stdout, NULL, _IOLBF, 0);
	stream_signals_catch();
	exit = stream_open_all(&s, netns, ifname);
	if (!exit) {
		stream_labels(&s);
		exit = stream_run(&s, true);
	}
	stream_free(&s);
	return exit;
}

/* ---- run ---------------------------------------------------------------- */

static const char run_usage[] =
	"Usage: naclemu run [-n NETNS] -i IFACE RULES [SELECT] [--subnet CIDR]...\n"
	"                   [--exempt CIDR]... [--vpc CIDR]... [--events-rate N]\n"
	"                   [--hook tcx|clsact|auto] [--flow-log [--flow-log-entries N]]\n"
	"                   [--force] [--json] [--count N] [--timeout SECONDS]\n"
	"\n"
	"attach + events in the foreground: attach RULES to IFACE, print the\n"
	"drops as 'naclemu events' does, and detach when it ends: on SIGINT\n"
	"(Ctrl-C), SIGTERM or SIGHUP, after --count events or --timeout seconds,\n"
	"when stdout is closed, or on an error.  Nothing of naclemu is left on\n"
	"IFACE afterwards.  Messages of attach and detach go to stderr, so stdout\n"
	"holds only events.  The options are those of attach and events;\n"
	"SELECT, the ACL of a file that holds several, and how to read it:\n"
	CLI_RULES_HELP
	"\n"
	"Exit status: 0, 1 invalid rules or arguments (or IFACE already\n"
	"attached), 2 system failure.\n"
	"\n"
	"Example:\n"
	"  naclemu run -i eth1 examples/docker-ephemeral.nacl --json --timeout 60\n";

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_ATTACH_OPTIONS,
		EVENTS_OPTIONS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct attach_req req;
	struct stream s = {};
	struct dp_target t;
	struct dp_error e;
	bool gone, hook_given = false;
	int c, exit, detach_exit;

	attach_req_init(&req);
	optind = 1;
	while ((c = cli_getopt("run", argc, argv, "n:i:vh", opts)) != CLI_OPT_END) {
		hook_given |= c == CLI_OPT_HOOK;
		if (c == 'v') {
			nacl_verbose = 1;
		} else if (c == 'h') {
			fputs(run_usage, stdout);
			return NACL_EXIT_OK;
		} else if (c == CLI_OPT_ERROR) {
			return NACL_EXIT_INVALID;
		} else if ((exit = attach_parse_opt("run", c, optarg, &req)) != 1) {
			if (exit)
				return exit;
		} else if ((exit = events_parse_opt("run", c, optarg, &s))) {
			return exit;
		}
	}
	if ((exit = attach_req_hook_env("run", hook_given, &req)))
		return exit;
	if (!req.ifname)
		return nacl_usage_error("run", "-i IFACE is required");
	if (optind + 1 != argc)
		return nacl_usage_error("run", "expected one RULES file");
	req.rules_path = argv[optind];
	if (dp_target_init(&t, req.netns, req.ifname, &e))
		return cli_target_error("run", &e);

	/* Before attach: a signal during it ends the run right after. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	stream_signals_catch();
	exit = cli_attach("run", &req, stderr);
	if (exit)
		return exit;

	/* Attached: from here every path detaches. */
	if (stream_add(&s, &t)) {
		pr_err("out of memory");
		exit = NACL_EXIT_SYSTEM;
	} else if (stream_watch_open(s.w[0], &e)) {
		pr_err("cannot open the drop events of %s that attach just pinned", req.ifname);
		exit = NACL_EXIT_SYSTEM;
	} else {
		stream_labels(&s);
		/* Keep what the ring holds: every drop since attach is ours. */
		exit = stream_run(&s, false);
	}
	/* Detached (or detached and attached again) by someone else: not ours. */
	gone = s.n && s.w[0]->gone;
	stream_free(&s);
	if (gone)
		return exit;
	detach_exit = cli_detach(&t, stderr);
	return exit ? exit : detach_exit;
}
