// SPDX-License-Identifier: MIT
/*
 * exporter.c - `naclemu exporter`: serve what `naclemu metrics` prints at
 * /metrics over HTTP (libmicrohttpd), reading the pinned state afresh at
 * each scrape, until SIGINT or SIGTERM.
 *
 * MHD runs one internal polling thread, so scrapes are served one after
 * another: a scrape takes a few milliseconds, Prometheus scrapes every few
 * seconds, and the datapath library is then never entered by two threads
 * at once.  The listening socket is ours (bound before MHD starts) so that
 * an address in use is one clear line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>

#include "cli/cli.h"
#include "output/prometheus.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

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
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* "ADDR:PORT" or "[ADDR6]:PORT" into @req's socket address. */
static int parse_listen(struct exporter_req *req)
{
	struct cli_endpoint ep;

	if (cli_parse_endpoint(req->listen, &ep) || !ep.has_port || !ep.port)
		return -EINVAL;
	memset(&req->addr, 0, sizeof(req->addr));
	if (ep.family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)&req->addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(ep.port);
		memcpy(&a->sin_addr, ep.addr, 4);
		req->addrlen = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&req->addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(ep.port);
		memcpy(&a->sin6_addr, ep.addr, 16);
		req->addrlen = sizeof(*a);
	}
	return 0;
}

/* A listening TCP socket on @req's address, or -errno. */
static int listen_on(const struct exporter_req *req)
{
	int fd, one = 1, err;

	fd = socket(req->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (req->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&req->addr, req->addrlen) ||
	    listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static MHD_RESULT reply(struct MHD_Connection *conn, unsigned int status, const char *body,
			const char *allow)
{
	struct MHD_Response *r;
	MHD_RESULT ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* MHD's access handler: one request. */
static MHD_RESULT serve(void *cls, struct MHD_Connection *conn, const char *url,
			const char *method, const char *version, const char *upload,
			size_t *upload_size, void **con_cls)
{
	struct MHD_Response *r;
	MHD_RESULT ret;
	char *buf;
	size_t len;
	int err;

	(void)cls, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
			     NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
			     "GET, HEAD");
	err = prom_text(&buf, &len, NULL);
	if (err) {
		pr_warn("exporter: cannot read the attached interfaces: %s", strerror(-err));
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "cannot read the attached interfaces\n", NULL);
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PROM_CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int cmd_exporter(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct exporter_req req = {};
	struct MHD_Daemon *d;
	unsigned int flags;
	sigset_t sigs;
	int c, exit, fd, sig;

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
	if (parse_listen(&req))
		return nacl_usage_error("exporter",
					"--listen wants ADDR:PORT or [ADDR6]:PORT, PORT 1..65535, not '%s'",
					req.listen);
	exit = cli_need_root("exporter");
	if (exit)
		return exit;

	fd = listen_on(&req);
	if (fd < 0) {
		if (fd == -EADDRINUSE)
			pr_err("cannot listen on %s: the address is in use (another exporter?)",
			       req.listen);
		else
			pr_err("cannot listen on %s: %s", req.listen, strerror(-fd));
		return NACL_EXIT_SYSTEM;
	}
	/*
	 * Block the stop signals before MHD starts its thread (it inherits the
	 * mask), then wait for them here: no handler runs inside a scrape.  A
	 * client that goes away must not kill us with SIGPIPE.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	if (req.addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, serve, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
	if (!d) {
		close(fd);
		pr_err("cannot start the HTTP server on %s", req.listen);
		return NACL_EXIT_SYSTEM;
	}
	fprintf(stderr, "naclemu: serving metrics at http://%s/metrics\n", req.listen);
	while (sigwait(&sigs, &sig))
		;
	MHD_stop_daemon(d); /* closes the listening socket too */
	return NACL_EXIT_OK;
}
