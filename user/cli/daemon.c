// SPDX-License-Identifier: MIT
/*
 * daemon.c - `naclemu daemon CONFIG`: options into a request, then the
 * daemon's loop (deploy/daemon.c) until SIGTERM; docs/deployment.md.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "deploy/daemon.h"

static const char daemon_usage[] =
	"Usage: naclemu daemon CONFIG\n"
	"\n"
	"Keep the host converged on the configuration file CONFIG (YAML, as for\n"
	"'naclemu apply'): apply it at start and again on SIGHUP, attach within a\n"
	"second the interfaces that appear later and match an entry (a\n"
	"container's veth, a namespace made later), detach those it attached\n"
	"when they go, serve the exporter and write the metrics textfile and the\n"
	"flow logs when CONFIG asks.  Logs one line per action to stderr.\n"
	"SIGTERM or SIGINT stops it and leaves every interface attached:\n"
	"enforcement outlives the daemon ('naclemu apply' of a configuration\n"
	"without entries removes it).\n"
	"\n"
	"Options:\n"
	"  -v, --verbose       show libbpf messages and the verifier log\n"
	"\n"
	"Exit status: 0 stopped by a signal, 1 invalid CONFIG at start, 2 system\n"
	"failure (not root, the watch or the exporter cannot start).\n"
	"\n"
	"Example:\n"
	"  naclemu daemon /etc/naclemu/naclemu.yaml\n";

int cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct daemon_req req = { 0 };
	int c, exit;

	optind = 1;
	while ((c = cli_getopt("daemon", argc, argv, "vh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'v': nacl_verbose = 1; break;
		case 'h': fputs(daemon_usage, stdout); return NACL_EXIT_OK;
		default: return NACL_EXIT_INVALID;
		}
	}
	if (optind + 1 != argc)
		return nacl_usage_error("daemon", "expected one CONFIG file");
	req.config = argv[optind];
	exit = cli_need_root("daemon");
	return exit ? exit : deploy_daemon(&req);
}
