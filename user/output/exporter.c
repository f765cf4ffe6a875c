// SPDX-License-Identifier: MIT
/* exporter.c - /metrics over HTTP with libmicrohttpd (see exporter.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>

#include "output/exporter.h"
#include "output/prometheus.h"
#include "rules/model.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_RESULT;
#else
typedef enum MHD_Result MHD_RESULT;
#endif

struct exporter {
	struct MHD_Daemon *mhd;
};

int exporter_addr_parse(const char *s, struct sockaddr_storage *addr, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	uint32_t port;
	size_t n;

	memset(addr, 0, sizeof(*addr));
	if (!colon || nacl_parse_u32(colon + 1, 65535, &port) || !port)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)addr;

		host[n - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)addr;

	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return -EINVAL;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*len = sizeof(*a);
	return 0;
}

/* A listening TCP socket on @addr, or -errno. */
static int listen_on(const struct sockaddr_storage *addr, socklen_t len)
{
	int fd, one = 1, err;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)addr, len) || listen(fd, 64)) {
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

int exporter_start(const char *listen, struct exporter **out, char *err)
{
	struct sockaddr_storage addr;
	struct exporter *ex;
	unsigned int flags = MHD_USE_EPOLL;
	socklen_t len;
	int fd;

	*out = NULL;
	if (exporter_addr_parse(listen, &addr, &len)) {
		snprintf(err, NACL_MSG_LEN,
			 "'%s' is not ADDR:PORT or [ADDR6]:PORT with PORT 1..65535", listen);
		return -EINVAL;
	}
	fd = listen_on(&addr, len);
	if (fd < 0) {
		snprintf(err, NACL_MSG_LEN, "cannot listen on %s: %s", listen,
			 fd == -EADDRINUSE ? "the address is in use (another exporter?)"
					   : strerror(-fd));
		return fd;
	}
	ex = calloc(1, sizeof(*ex));
	if (!ex) {
		close(fd);
		snprintf(err, NACL_MSG_LEN, "out of memory");
		return -ENOMEM;
	}
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	ex->mhd = MHD_start_daemon(flags, 0, NULL, NULL, serve, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
	if (!ex->mhd) {
		close(fd);
		free(ex);
		snprintf(err, NACL_MSG_LEN, "cannot start the HTTP server on %s", listen);
		return -EIO;
	}
	*out = ex;
	return 0;
}

int exporter_fd(const struct exporter *ex)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(ex->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

void exporter_run(struct exporter *ex)
{
	MHD_run(ex->mhd);
}

void exporter_stop(struct exporter *ex)
{
	if (!ex)
		return;
	MHD_stop_daemon(ex->mhd); /* closes the listening socket too */
	free(ex);
}
