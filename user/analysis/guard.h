/* SPDX-License-Identifier: MIT */
/*
 * guard.h - the lock-out guard: would a NACL deny the SSH session that the
 * command runs in?  NACLs are stateless (docs/semantics.md section 1): the
 * session lives only while its inbound packets (client to the host's SSH
 * port) and its outbound packets (the host's port back to the client's
 * ephemeral port) are both allowed.  The host is the server, so the NACL
 * is the one on the server's subnet.  Pure: no I/O, no allocation; the
 * datapath library decides which interface carries the session
 * (datapath/route.c) and calls this.
 */
#ifndef NACLEMU_ANALYSIS_GUARD_H
#define NACLEMU_ANALYSIS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/eval.h"
#include "rules/model.h"

/*
 * struct nacl_session - a TCP connection to this host, as sshd writes it
 * in SSH_CONNECTION: "CLIENT_ADDR CLIENT_PORT SERVER_ADDR SERVER_PORT".
 * @family: 4 or 6 (an IPv4-mapped IPv6 address, ::ffff:a.b.c.d, which sshd
 *          writes when it listens on a dual-stack socket, is family 4: its
 *          packets are IPv4 on the wire).
 * @client, @server: network byte order, IPv4 in the first 4 bytes.
 * @client_port, @server_port: host byte order, 1..65535.
 */
struct nacl_session {
	uint8_t family;
	uint8_t client[16];
	uint8_t server[16];
	uint16_t client_port, server_port;
};

/*
 * nacl_session_parse() - read @s, the value of SSH_CONNECTION, into @out.
 * Returns 0, or -EINVAL with a reason in @err (@errlen bytes): not four
 * fields, an address that is not IPv4 or IPv6, the two of different
 * families, a port outside 1..65535.
 */
int nacl_session_parse(const char *s, struct nacl_session *out, char *err, size_t errlen);

/* nacl_session_str() - "CLIENT:PORT -> SERVER:PORT" into @buf (IPv6 in brackets). */
void nacl_session_str(const struct nacl_session *s, char *buf, size_t len);

/*
 * struct nacl_session_verdict - how a NACL judges a session.
 * @denied: at least one leg is denied: the session would hang.
 * @packet: the first denied leg's packet (the inbound leg before the
 *          outbound one), when @denied.
 * @verdict: the deciding rule of that packet (nacl_evaluate()); its
 *          rule_number is 32767 / 32768 for the default deny.
 */
struct nacl_session_verdict {
	bool denied;
	struct nacl_packet packet;
	struct nacl_verdict verdict;
};

/*
 * nacl_session_judge() - judge both legs of TCP session @s by @rs on the
 * host's (the server's) interface, after the exemptions @x (NULL: none;
 * an exempt leg is allowed).  Returns @v->denied.
 */
bool nacl_session_judge(const struct nacl_ruleset *rs, const struct nacl_extra *x,
			const struct nacl_session *s, struct nacl_session_verdict *v);

#endif /* NACLEMU_ANALYSIS_GUARD_H */
