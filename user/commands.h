/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the subcommands of the naclemu tool, their exit statuses and
 * logging.
 *
 * Every subcommand is `int cmd_NAME(int argc, char **argv)` with argv[0] the
 * subcommand's name, parses its own options with getopt_long, and returns
 * one of the exit statuses of SPEC section 3.
 */
#ifndef NACLEMU_COMMANDS_H
#define NACLEMU_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

/* SPEC section 3, "Exit status". */
enum nacl_exit {
	NACL_EXIT_OK = 0,      /* success; explain/flow: allowed */
	NACL_EXIT_INVALID = 1, /* invalid rules or arguments */
	NACL_EXIT_SYSTEM = 2,  /* not root, no such interface, BPF refused */
	NACL_EXIT_DENIED = 3,  /* explain/flow: denied */
};

/* Set by the global -v: show libbpf's and the verifier's chatter. */
extern int nacl_verbose;

/*
 * Logging, xdp-tools style: errors are one line "naclemu: ..." on stderr
 * saying what failed and what to do; data goes to stdout.
 */
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * nacl_usage_error() - report a bad option or argument of @cmd: prints
 * "naclemu: CMD: MESSAGE (see 'naclemu CMD --help')" and returns
 * NACL_EXIT_INVALID.
 */
int nacl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_flow(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/*
 * tc_attach() - attach as `naclemu attach` does, from attach's options in
 * @argv (argv[0] names the command in messages); the result line goes to
 * @out.  tc_detach() - detach IFNAME of NETNS ("" or NULL: the caller's
 * namespace) as `naclemu detach` does.  Both return an exit status.  They
 * let `run` (cmd_events.c) attach and detach exactly as the commands do.
 */
int tc_attach(int argc, char **argv, FILE *out);
int tc_detach(const char *netns, const char *ifname, FILE *out);

#endif /* NACLEMU_COMMANDS_H */
