// SPDX-License-Identifier: MIT
/*
 * exporter.c - `naclemu exporter`: serve what `naclemu metrics` prints at
 * /metrics over HTTP (libmicrohttpd), reading the pinned state afresh at
 * each scrape, until SIGINT or SIGTERM.
 *
 * The HTTP side is output/exporter.c; this thread serves the scrapes one
 * after another (a scrape takes a few milliseconds, Prometheus scrapes
 * every few seconds) and stops on SIGINT or SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/exporter.h"
#include "rules/model.h"

static const char exporter_usage[] =
	"Usage: naclemu exporter --listen ADDR:PORT\n"
	"\n"
	"Serve the counters of every attached interface over HTTP at /metrics,\n"
	"in the Prometheus text format (version 0.0.4), as 'naclemu metrics'\n"
	"prints them.  Each scrape reads the current state: interfaces attached\n"
	"or detached meanwhile appear or vanish.  Runs until SIGINT or SIGTERM.\n"
	"Other paths answer 404, methods other than GET and HEAD 405.\n"
	"\n"
	"Options:\n"
	"  -l, --listen ADDR:PORT  the address to listen on: IPv4 ADDR:PORT or\n"
	"                          IPv6 [ADDR]:PORT\n"
	"\n"
	"Example:\n"
	"  naclemu exporter --listen 127.0.0.1:9595\n";

/* struct exporter_req - what `exporter` asks for: the address to listen on. */
struct exporter_req {
	const char *listen;
};

int cmd_exporter(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct exporter_req req = {};
	struct sockaddr_storage addr;
	struct exporter *ex;
	struct pollfd pfd[2];
	socklen_t addrlen;
	sigset_t sigs;
	char err[NACL_MSG_LEN];
	int c, exit;

	optind = 1;
	while ((c = cli_getopt("exporter", argc, argv, "l:vh", opts)) != CLI_OPT_END) {
		switch (c) {
		case 'l': req.listen = optarg; break;
		case 'v': nacl_verbose = 1; break;
		case 'h': fputs(exporter_usage, stdout); return NACL_EXIT_OK;
		default: return NACL_EXIT_INVALID;
		}
	}
	if (optind != argc)
		return nacl_usage_error("exporter", "unexpected argument '%s'", argv[optind]);
	if (!req.listen)
		return nacl_usage_error("exporter", "--listen ADDR:PORT is required");
	if (exporter_addr_parse(req.listen, &addr, &addrlen))
		return nacl_usage_error("exporter",
					"--listen wants ADDR:PORT or [ADDR6]:PORT, PORT 1..65535, not '%s'",
					req.listen);
	exit = cli_need_root("exporter");
	if (exit)
		return exit;
	if (exporter_start(req.listen, &ex, err)) {
		pr_err("%s", err);
		return NACL_EXIT_SYSTEM;
	}
	/* SIGINT and SIGTERM end it, read from a signalfd between scrapes. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	pfd[0] = (struct pollfd){ .fd = signalfd(-1, &sigs, SFD_CLOEXEC), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = exporter_fd(ex), .events = POLLIN };
	if (pfd[0].fd < 0 || pfd[1].fd < 0) {
		pr_err("cannot wait for signals and clients: %s", strerror(errno));
		exporter_stop(ex);
		return NACL_EXIT_SYSTEM;
	}
	fprintf(stderr, "naclemu: serving metrics at http://%s/metrics\n", req.listen);
	while (!(pfd[0].revents & POLLIN)) {
		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			break;
		exporter_run(ex);
	}
	close(pfd[0].fd);
	exporter_stop(ex);
	return NACL_EXIT_OK;
}
