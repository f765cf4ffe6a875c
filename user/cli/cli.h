/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the commands of the naclemu tool and the rules they all follow.
 *
 * A command is `int cmd_NAME(int argc, char **argv)`, argv[0] its name.  It
 * parses its options into a typed request (with cli_getopt(), so that a bad
 * option gives one "naclemu: CMD: ..." line and exit status 1 whatever the
 * command), calls one library function (rules/, analysis/, datapath/) and
 * renders the result (text or --json).  Exit statuses: output/log.h.
 */
#ifndef NACLEMU_CLI_H
#define NACLEMU_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "naclemu.h"
#include "output/log.h"

/*
 * nacl_usage_error() - report a bad option or argument of @cmd: prints
 * "naclemu: CMD: MESSAGE (see 'naclemu CMD --help')" and returns
 * NACL_EXIT_INVALID.
 */
int nacl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What cli_getopt() returns besides an option's value. */
#define CLI_OPT_END (-1)   /* no more options */
#define CLI_OPT_ERROR (-2) /* a bad option; the message is printed */

/*
 * cli_getopt() - getopt_long() with getopt's own messages off: an unknown
 * option, or one without its value, prints one usage error for @cmd and
 * returns CLI_OPT_ERROR.  @shortopts without the leading ':'.
 */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/*
 * cli_need_root() - 0 when running as root, else prints "CMD needs root"
 * and returns NACL_EXIT_SYSTEM.
 */
int cli_need_root(const char *cmd);

/*
 * cli_target_error() - report a -n / -i that dp_target_init() refused:
 * a bad name as a usage error of @cmd (1), a namespace path that leads
 * nowhere as a system failure (2).  Returns the exit status.
 */
struct dp_error;
int cli_target_error(const char *cmd, const struct dp_error *e);

/*
 * cli_cidr_opt() - parse one repeatable CIDR option (--subnet, --exempt)
 * of @cmd into @list[*@n], warning when host bits were set.  At most
 * NACLEMU_MAX_CIDRS.  Returns an exit status.
 */
int cli_cidr_opt(const char *cmd, const char *opt, const char *s,
		 struct naclemu_cidr *list, uint8_t *n);

/*
 * cli_read_rules() - read the rule file @path (selection @sel) into a
 * malloc'ed *@rs, printing its warnings, or its error.  Returns an exit
 * status.
 */
struct nacl_select;
struct nacl_ruleset;
int cli_read_rules(const char *path, const struct nacl_select *sel, struct nacl_ruleset **rs);

/* ---- what attach, update, detach, stats and run share (cli/attach.c) ---- */

struct attach_req;
struct update_req;
struct dp_target;

/*
 * The options of every command that reads rules: which ACL of the file
 * (--acl, --subnet-id), its format (--format) and CloudFormation parameter
 * values (--param NAME=VALUE, repeatable), docs/semantics.md section 2.
 */
#define CLI_RULES_OPTIONS                                           \
	{ "acl", required_argument, NULL, 'a' },                    \
	{ "subnet-id", required_argument, NULL, 'S' },              \
	{ "format", required_argument, NULL, 'F' },                 \
	{ "param", required_argument, NULL, 'P' }

/* Their lines of --help, for the usage texts. */
#define CLI_RULES_HELP                                                                  \
	"      --acl ID        the ACL to read from a file that holds several: an AWS\n"  \
	"                      acl- ID, a Terraform address or a CloudFormation ID\n"      \
	"      --subnet-id ID  or the ACL associated with this subnet\n"                   \
	"      --format F      text, aws, terraform or cloudformation (default: by\n"      \
	"                      the file's content)\n"                                      \
	"      --param N=V     a CloudFormation template parameter's value (repeatable)\n"

/* Whether option @c is one of CLI_RULES_OPTIONS. */
#define CLI_RULES_OPT(c) ((c) == 'a' || (c) == 'S' || (c) == 'F' || (c) == 'P')

/*
 * cli_rules_opt() - apply rules option @c (CLI_RULES_OPT) with value @arg
 * to @sel.  Returns an exit status (a bad --format or --param is 1).
 */
int cli_rules_opt(const char *cmd, int c, const char *arg, struct nacl_select *sel);

/*
 * The exemptions offline commands take to judge as an attached datapath
 * does (--exempt, --subnet, --vpc; docs/semantics.md section 1).
 */
#define CLI_OPT_EXEMPT 0x101
#define CLI_OPT_SUBNET 0x102
#define CLI_OPT_VPC 0x103
#define CLI_EXTRA_OPTIONS                                           \
	{ "exempt", required_argument, NULL, CLI_OPT_EXEMPT },      \
	{ "subnet", required_argument, NULL, CLI_OPT_SUBNET },      \
	{ "vpc", required_argument, NULL, CLI_OPT_VPC }
#define CLI_EXTRA_HELP                                                                  \
	"      --exempt CIDR   judge as attached with --exempt CIDR (repeatable)\n"       \
	"      --subnet CIDR   judge as attached with --subnet CIDR (repeatable)\n"       \
	"      --vpc CIDR      judge as attached with --vpc CIDR: DNS to and from its\n"  \
	"                      base + 2, the Route 53 Resolver, is not filtered\n"

/* struct cli_extra - the CIDRs of CLI_EXTRA_OPTIONS, as given. */
struct cli_extra {
	struct naclemu_cidr exempt[NACLEMU_MAX_CIDRS], subnet[NACLEMU_MAX_CIDRS];
	struct naclemu_cidr vpc[NACLEMU_MAX_CIDRS];
	uint8_t nexempt, nsubnet, nvpc;
};

/*
 * cli_extra_opt() - apply option @c of CLI_EXTRA_OPTIONS (value @arg) to
 * @x.  Returns 1 when @c is not one of them, else an exit status.
 */
int cli_extra_opt(const char *cmd, int c, const char *arg, struct cli_extra *x);

/* cli_vpc_opt() - one --vpc: an IPv4 CIDR (the IPv6 Resolver is always exempt). */
int cli_vpc_opt(const char *cmd, const char *arg, struct naclemu_cidr *list, uint8_t *n);

/* cli_extra_view() - @c as the evaluator's struct nacl_extra. */
struct nacl_extra;
void cli_extra_view(const struct cli_extra *c, struct nacl_extra *x);

/* attach's long options, for the option tables of attach and run. */
#define CLI_OPT_HOOK 0x110
#define CLI_OPT_FORCE 0x111
#define CLI_OPT_FLOW_LOG 0x113
#define CLI_OPT_FLOW_ENTRIES 0x112
#define CLI_ATTACH_OPTIONS                                          \
	{ "netns", required_argument, NULL, 'n' },                  \
	{ "interface", required_argument, NULL, 'i' },              \
	CLI_RULES_OPTIONS,                                          \
	{ "subnet", required_argument, NULL, 's' },                 \
	{ "exempt", required_argument, NULL, 'e' },                 \
	{ "vpc", required_argument, NULL, 'V' },                    \
	{ "events-rate", required_argument, NULL, 'r' },            \
	{ "hook", required_argument, NULL, CLI_OPT_HOOK },          \
	{ "flow-log", no_argument, NULL, CLI_OPT_FLOW_LOG },        \
	{ "flow-log-entries", required_argument, NULL, CLI_OPT_FLOW_ENTRIES }, \
	{ "force", no_argument, NULL, CLI_OPT_FORCE }

/* attach_req_init() - @req with attach's defaults: 1000 events per second, hook auto. */
void attach_req_init(struct attach_req *req);

/*
 * attach_req_hook_env() - after the options: when --hook was not given
 * (@hook_given false), the hook from the environment variable NACLEMU_HOOK
 * (tcx, clsact or auto; unset or empty: auto).  The option wins over the
 * environment, and --help never reads it.  Returns an exit status (a bad
 * NACLEMU_HOOK is a usage error naming the variable).
 */
int attach_req_hook_env(const char *cmd, bool hook_given, struct attach_req *req);

/*
 * attach_parse_opt() - apply option @c (value @arg) of CLI_ATTACH_OPTIONS
 * to @req.  Returns 1 when @c is not one of them, else an exit status.
 */
int attach_parse_opt(const char *cmd, int c, const char *arg, struct attach_req *req);

/* The --help line of --force (attach, update, run). */
#define CLI_FORCE_HELP                                                                  \
	"      --force         attach even rules that would cut off the SSH session\n"   \
	"                      this command runs in (the lock-out guard)\n"

/*
 * cli_session() - the lock-out guard's session: NULL in *@session with
 * @force or without SSH_CONNECTION in the environment, else SSH_CONNECTION
 * read into @buf.  Returns an exit status: a malformed SSH_CONNECTION is
 * a usage error of @cmd that names it (and --force).
 */
struct nacl_session;
int cli_session(const char *cmd, bool force, struct nacl_session *buf,
		const struct nacl_session **session);

/*
 * cli_attach() - attach @req (its @session from cli_session()) and print
 * the result line to @out.
 */
int cli_attach(const char *cmd, const struct attach_req *req, FILE *out);

/* cli_detach() - detach @t and print the result line to @out. */
int cli_detach(const struct dp_target *t, FILE *out);

/*
 * cli_iface_target() - parse -n, -i (required), and with @rules the rule
 * selection and one RULES argument, with @json (may be NULL) --json; fill
 * @t.  Returns an exit status, or -1 after --help.
 */
int cli_iface_target(const char *cmd, const char *usage, int argc, char **argv,
		     struct update_req *req, bool rules, bool *json, struct dp_target *t);

/* ---- what check, explain and flow share (cli/args.c) ---- */

struct nacl_verdict;

/*
 * struct cli_endpoint - one --src, --dst, --client or --server argument.
 * @family: 4 or 6.
 * @addr: network byte order (IPv4 in the first 4 bytes, the rest zero).
 * @port: host byte order, 0 without @has_port.
 */
struct cli_endpoint {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
	bool has_port;
};

/*
 * cli_parse_endpoint() - "ADDR" or "ADDR:PORT" (IPv4), "ADDR" or
 * "[ADDR]:PORT" (IPv6; a bare IPv6 address has no port), PORT 0..65535
 * (docs/semantics.md section 3).  Returns 0 with @ep filled, or -EINVAL.
 */
int cli_parse_endpoint(const char *s, struct cli_endpoint *ep);

/*
 * cli_parse_protocol() - a packet's protocol: tcp, udp, icmp, icmpv6 (any
 * case) or an IANA number 0..255, as in rule files (rules/validate.h) but
 * not "all" or -1: a packet has one protocol.  Returns 0 or -EINVAL.
 */
int cli_parse_protocol(const char *s, int *proto);

/*
 * cli_parse_direction() - "ingress" or "inbound" (inbound rules),
 * "egress" or "outbound" (outbound rules).  Returns 0 or -EINVAL.
 */
int cli_parse_direction(const char *s, enum naclemu_dir *dir);

/*
 * cli_parse_icmp() - "TYPE/CODE", each 0..255.  Returns 0, -EINVAL, or
 * -ENOMEM.
 */
int cli_parse_icmp(const char *s, uint8_t *type, uint8_t *code);

/*
 * cli_parse_port_range() - "LO-HI", host order, 1 <= LO <= HI <= 65535.
 * Returns 0; -EINVAL when @s is not of the form LO-HI at all (no '-', or
 * longer than 15 characters); -ERANGE when a bound is not a number in
 * range or LO > HI.
 */
int cli_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi);

/*
 * cli_read_rules_quiet() - cli_read_rules() that leaves the warnings in
 * (*@rs)->warnings for the caller to show as data (check lists them on
 * stdout).  Prints the error.  Returns an exit status.
 */
int cli_read_rules_quiet(const char *path, const struct nacl_select *sel,
			 struct nacl_ruleset **rs);

/* cli_verdict_rule() - "rule 120", or "rule * (default, 32767)". */
const char *cli_verdict_rule(const struct nacl_verdict *v, char buf[32]);

/*
 * cli_count_opt() - --count N of @cmd (N >= 1 @what, up to UINT32_MAX)
 * into @count; cli_timeout_opt() - --timeout SECONDS (a decimal > 0, at
 * most @max) into @timeout.  Both return an exit status.
 */
int cli_count_opt(const char *cmd, const char *what, const char *arg, __u64 *count);
int cli_timeout_opt(const char *cmd, const char *arg, double max, double *timeout);

int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_flow(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_exporter(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_flowlog(int argc, char **argv);

/*
 * cli_diff_regions_text() - the table of regions whose verdict changes, as
 * `diff` prints it (cli/diff.c; `apply` prints it under an update).
 */
struct nacl_diff;
void cli_diff_regions_text(const struct nacl_diff *d);

#endif /* NACLEMU_CLI_H */
