/* SPDX-License-Identifier: MIT */
/*
 * log.h - how naclemu talks to people (xdp-tools style): one line per
 * diagnostic on stderr, starting "naclemu: ", saying what failed and what
 * to do; data goes to stdout.  And the exit statuses every command shares
 * (docs/semantics.md section 3).
 */
#ifndef NACLEMU_OUTPUT_LOG_H
#define NACLEMU_OUTPUT_LOG_H

/* Exit statuses, one per situation, the same for every command. */
enum nacl_exit {
	NACL_EXIT_OK = 0,      /* success; explain/flow: allowed */
	NACL_EXIT_INVALID = 1, /* invalid rules or arguments, not attached, attached twice */
	NACL_EXIT_SYSTEM = 2,  /* not root, no such interface or namespace, BPF refused */
	NACL_EXIT_DENIED = 3,  /* explain/flow: denied */
};

/* Set by the global -v: show libbpf's and the verifier's chatter. */
extern int nacl_verbose;

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * nacl_log_libbpf() - route libbpf's messages (the verifier log among them)
 * to stderr only with -v.  Called once by main(), before any command.
 */
void nacl_log_libbpf(void);

#endif /* NACLEMU_OUTPUT_LOG_H */
