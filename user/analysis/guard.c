// SPDX-License-Identifier: MIT
/* guard.c - would a NACL deny the SSH session the command runs in (guard.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analysis/guard.h"

/* One address of SSH_CONNECTION: IPv4, IPv6, or IPv4-mapped IPv6 (as IPv4). */
static int session_addr(const char *s, uint8_t *family, uint8_t *addr)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return -EINVAL;
	*family = 6;
	if (!memcmp(addr, mapped, sizeof(mapped))) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = 4;
	}
	return 0;
}

static int session_port(const char *s, uint16_t *port)
{
	uint32_t v;

	if (nacl_parse_u32(s, 65535, &v) || v == 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int nacl_session_parse(const char *s, struct nacl_session *out, char *err, size_t errlen)
{
	char f[4][INET6_ADDRSTRLEN + 1], extra[2];
	uint8_t cfam, sfam;

	memset(out, 0, sizeof(*out));
	/* Four fields of at most INET6_ADDRSTRLEN characters, nothing after. */
	if (sscanf(s, "%46s %46s %46s %46s %1s", f[0], f[1], f[2], f[3], extra) != 4) {
		snprintf(err, errlen, "'%s' is not \"CLIENT_ADDR CLIENT_PORT SERVER_ADDR SERVER_PORT\"",
			 s);
		return -EINVAL;
	}
	if (session_addr(f[0], &cfam, out->client) || session_addr(f[2], &sfam, out->server)) {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address",
			 session_addr(f[0], &cfam, out->client) ? f[0] : f[2]);
		return -EINVAL;
	}
	if (cfam != sfam) {
		snprintf(err, errlen, "'%s' and '%s' are of different address families", f[0], f[2]);
		return -EINVAL;
	}
	if (session_port(f[1], &out->client_port) || session_port(f[3], &out->server_port)) {
		snprintf(err, errlen, "'%s' is not a port (1-65535)",
			 session_port(f[1], &out->client_port) ? f[1] : f[3]);
		return -EINVAL;
	}
	out->family = cfam;
	return 0;
}

void nacl_session_str(const struct nacl_session *s, char *buf, size_t len)
{
	char c[INET6_ADDRSTRLEN], v[INET6_ADDRSTRLEN];
	int af = s->family == 4 ? AF_INET : AF_INET6;
	const char *open = s->family == 4 ? "" : "[", *close = s->family == 4 ? "" : "]";

	inet_ntop(af, s->client, c, sizeof(c));
	inet_ntop(af, s->server, v, sizeof(v));
	snprintf(buf, len, "%s%s%s:%u -> %s%s%s:%u", open, c, close, s->client_port, open, v,
		 close, s->server_port);
}

/* Judge one leg: allowed when exempt, else by the first matching rule. */
static bool leg_denied(const struct nacl_ruleset *rs, const struct nacl_extra *x,
		       const struct nacl_packet *p, struct nacl_session_verdict *v)
{
	if (nacl_exempt(p, x) != NACL_NOT_EXEMPT)
		return false;
	v->verdict = nacl_evaluate(rs, p);
	v->packet = *p;
	v->denied = !v->verdict.allow;
	return v->denied;
}

bool nacl_session_judge(const struct nacl_ruleset *rs, const struct nacl_extra *x,
			const struct nacl_session *s, struct nacl_session_verdict *v)
{
	/* The host is the server: its client's packets come in, its replies go out. */
	struct nacl_packet in = {
		.dir = NACLEMU_INGRESS,
		.family = s->family,
		.protocol = NACLEMU_PROTO_TCP,
		.l4_known = true,
		.src_port = s->client_port,
		.dst_port = s->server_port,
	}, out = in;

	memset(v, 0, sizeof(*v));
	memcpy(in.src, s->client, 16);
	memcpy(in.dst, s->server, 16);
	out.dir = NACLEMU_EGRESS;
	memcpy(out.src, s->server, 16);
	memcpy(out.dst, s->client, 16);
	out.src_port = s->server_port;
	out.dst_port = s->client_port;
	return leg_denied(rs, x, &in, v) || leg_denied(rs, x, &out, v);
}
