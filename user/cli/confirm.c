// SPDX-License-Identifier: MIT
/*
 * confirm.c - `naclemu confirm`: keep the state of an `apply --confirm`
 * (deploy/lockout.c, docs/deployment.md).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "deploy/lockout.h"

static const char confirm_usage[] =
	"Usage: naclemu confirm\n"
	"\n"
	"Keep what the last 'naclemu apply --confirm SECONDS' changed.  Without\n"
	"it, when SECONDS have passed, a watchdog puts every interface that\n"
	"apply changed back as it was before (also when apply was killed).\n"
	"\n"
	"Exit status: 0 confirmed, 1 no apply waits for a confirm (it says what\n"
	"the last watchdog did), 2 system failure.\n"
	"\n"
	"Example:\n"
	"  naclemu apply --confirm 120 /etc/naclemu/naclemu.yaml && naclemu confirm\n";

int cmd_confirm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct deploy_confirmed r;
	struct dp_error e;
	char when[32];
	int c, exit;

	optind = 1;
	while ((c = cli_getopt("confirm", argc, argv, "h", opts)) != CLI_OPT_END) {
		if (c != 'h')
			return NACL_EXIT_INVALID;
		fputs(confirm_usage, stdout);
		return NACL_EXIT_OK;
	}
	if (optind != argc)
		return nacl_usage_error("confirm", "unexpected argument '%s'", argv[optind]);
	exit = cli_need_root("confirm");
	if (exit)
		return exit;
	exit = deploy_confirm(&r, &e);
	if (exit) {
		pr_err("%s", e.msg);
		return exit;
	}
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&r.deadline));
	printf("confirmed: the state applied from %s stays (it would have been rolled back at "
	       "%s)\n", r.config, when);
	return NACL_EXIT_OK;
}
