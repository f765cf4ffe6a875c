/* SPDX-License-Identifier: MIT */
/*
 * exporter.h - the HTTP side of `naclemu exporter` and of the daemon's
 * exporter (docs/man/naclemu-exporter.8.scd): GET or HEAD /metrics answers
 * the Prometheus text of every attached interface (output/prometheus.h),
 * read afresh at each scrape; other paths 404, other methods 405.  Served
 * with libmicrohttpd, by the caller's own thread: the caller polls
 * exporter_fd() and calls exporter_run(), so that the datapath library is
 * never entered by two threads (a scrape and an attach) at once.
 */
#ifndef NACLEMU_OUTPUT_EXPORTER_H
#define NACLEMU_OUTPUT_EXPORTER_H

#include <sys/socket.h>

#include "output/log.h"
#include "rules/model.h"

struct exporter;

/*
 * exporter_addr_parse() - "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6),
 * PORT 1..65535, into @addr / @len.  Returns 0 or -EINVAL.
 */
int exporter_addr_parse(const char *s, struct sockaddr_storage *addr, socklen_t *len);

/*
 * exporter_start() - listen on @listen (exporter_addr_parse()) and be
 * ready to serve.  Returns 0, -EINVAL for a bad address, -EADDRINUSE, or
 * another -errno; @err (NACL_MSG_LEN) then says what failed.
 */
int exporter_start(const char *listen, struct exporter **ex, char *err);

/*
 * exporter_fd() - a descriptor that polls readable when a client waits
 * (libmicrohttpd's epoll descriptor): then call exporter_run().
 */
int exporter_fd(const struct exporter *ex);

/* exporter_run() - serve what is ready, without blocking. */
void exporter_run(struct exporter *ex);

/* exporter_stop() - close the listening socket and every connection; NULL is a no-op. */
void exporter_stop(struct exporter *ex);

#endif /* NACLEMU_OUTPUT_EXPORTER_H */
