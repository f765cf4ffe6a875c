// SPDX-License-Identifier: MIT
/* common.c - what every command's option parsing shares (cli/cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "datapath/datapath.h"
#include "rules/model.h"
#include "rules/read.h"
#include "analysis/eval.h"

int nacl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "naclemu: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'naclemu %s --help')\n", cmd);
	return NACL_EXIT_INVALID;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char spec[64];
	const char *bad;
	int c;

	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	/* optind has moved past the bad word; optopt names a short option. */
	bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (optopt && !(bad[0] == '-' && bad[1] == '-')) {
		if (c == ':')
			nacl_usage_error(cmd, "option '-%c' needs a value", optopt);
		else
			nacl_usage_error(cmd, "invalid option '-%c'", optopt);
	} else if (c == ':') {
		nacl_usage_error(cmd, "option '%s' needs a value", bad);
	} else {
		nacl_usage_error(cmd, "invalid option '%s'", bad);
	}
	return CLI_OPT_ERROR;
}

int cli_need_root(const char *cmd)
{
	if (geteuid() == 0)
		return NACL_EXIT_OK;
	pr_err("%s needs root (CAP_BPF, CAP_NET_ADMIN): run it as root", cmd);
	return NACL_EXIT_SYSTEM;
}

int cli_target_error(const char *cmd, const struct dp_error *e)
{
	if (e->exit != NACL_EXIT_SYSTEM)
		return nacl_usage_error(cmd, "%s", e->msg);
	pr_err("%s: %s", cmd, e->msg);
	return NACL_EXIT_SYSTEM;
}

int cli_cidr_opt(const char *cmd, const char *opt, const char *s,
		 struct naclemu_cidr *list, uint8_t *n)
{
	char buf[64];
	bool host;

	if (*n >= NACLEMU_MAX_CIDRS)
		return nacl_usage_error(cmd, "at most %d %s CIDRs", NACLEMU_MAX_CIDRS, opt);
	if (nacl_parse_cidr(s, &list[*n], &host))
		return nacl_usage_error(cmd, "%s '%s' is not a CIDR (e.g. 192.0.2.0/24, 2001:db8::/32)",
					opt, s);
	if (host)
		pr_warn("%s %s has host bits set: using %s", opt, s,
			nacl_cidr_str(&list[*n], buf));
	(*n)++;
	return NACL_EXIT_OK;
}

int cli_read_rules(const char *path, const struct nacl_select *sel, struct nacl_ruleset **rs)
{
	char err[NACL_MSG_LEN];

	*rs = calloc(1, sizeof(**rs));
	if (!*rs) {
		pr_err("out of memory");
		return NACL_EXIT_SYSTEM;
	}
	if (nacl_parse_file(path, sel, *rs, err)) {
		pr_err("%s", err);
		free(*rs);
		*rs = NULL;
		return NACL_EXIT_INVALID;
	}
	for (size_t i = 0; i < (*rs)->nwarnings; i++)
		pr_warn("%s", (*rs)->warnings[i]);
	return NACL_EXIT_OK;
}

/* --param values, for the one command a process runs. */
#define CLI_MAX_PARAMS 64
static const char *cli_params[CLI_MAX_PARAMS];

int cli_rules_opt(const char *cmd, int c, const char *arg, struct nacl_select *sel)
{
	switch (c) {
	case 'a':
		sel->acl_id = arg;
		return NACL_EXIT_OK;
	case 'S':
		sel->subnet_id = arg;
		return NACL_EXIT_OK;
	case 'F':
		if (nacl_format_parse(arg, &sel->format))
			return nacl_usage_error(cmd, "--format wants text, aws, terraform or "
						"cloudformation, not '%s'", arg);
		return NACL_EXIT_OK;
	default: /* 'P' */
		if (!strchr(arg, '=') || arg[0] == '=')
			return nacl_usage_error(cmd, "--param wants NAME=VALUE, not '%s'", arg);
		if (sel->nparams >= CLI_MAX_PARAMS)
			return nacl_usage_error(cmd, "at most %d --param values", CLI_MAX_PARAMS);
		cli_params[sel->nparams++] = arg;
		sel->params = cli_params;
		return NACL_EXIT_OK;
	}
}

int cli_vpc_opt(const char *cmd, const char *arg, struct naclemu_cidr *list, uint8_t *n)
{
	int exit = cli_cidr_opt(cmd, "--vpc", arg, list, n);

	if (!exit && list[*n - 1].family != 4) {
		(*n)--;
		return nacl_usage_error(cmd, "--vpc wants the VPC's IPv4 CIDR, not '%s' (the "
				       "Resolver's IPv6 address, fd00:ec2::253, is always exempt)",
					arg);
	}
	return exit;
}

int cli_extra_opt(const char *cmd, int c, const char *arg, struct cli_extra *x)
{
	switch (c) {
	case CLI_OPT_EXEMPT:
		return cli_cidr_opt(cmd, "--exempt", arg, x->exempt, &x->nexempt);
	case CLI_OPT_SUBNET:
		return cli_cidr_opt(cmd, "--subnet", arg, x->subnet, &x->nsubnet);
	case CLI_OPT_VPC:
		return cli_vpc_opt(cmd, arg, x->vpc, &x->nvpc);
	default:
		return 1;
	}
}

void cli_extra_view(const struct cli_extra *c, struct nacl_extra *x)
{
	*x = (struct nacl_extra){ c->exempt, c->nexempt, c->subnet, c->nsubnet, c->vpc, c->nvpc };
}
