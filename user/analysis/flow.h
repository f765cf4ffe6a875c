/* SPDX-License-Identifier: MIT */
/*
 * flow.h - judging a whole connection for `naclemu flow`: the request to
 * the server's port, and the response to every port of the client's
 * ephemeral range, by the NACL of the server's subnet or the client's.
 * NACLs are stateless (docs/semantics.md section 1): each leg needs its
 * own rule.  No output: the command renders the result.
 */
#ifndef NACLEMU_ANALYSIS_FLOW_H
#define NACLEMU_ANALYSIS_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/analysis.h"
#include "analysis/eval.h"
#include "rules/model.h"

/*
 * struct nacl_flow - a connection.
 * @family: 4 or 6, of both addresses.
 * @protocol: NACLEMU_PROTO_TCP or NACLEMU_PROTO_UDP.
 * @client, @server: addresses, network byte order (IPv4 in the first 4
 *        bytes).
 * @server_port: the request's destination port, host order.
 * @nacl_on_server: the NACL guards the server's subnet (the request comes
 *        in, judged by the inbound rules, the response goes out) rather
 *        than the client's (the request goes out, the response comes in).
 * @eph_lo, @eph_hi: the client's ephemeral range, host order, inclusive,
 *        1 <= lo <= hi (analysis.h's nacl_client_oses[], or the user's).
 */
struct nacl_flow {
	uint8_t family;
	uint8_t protocol;
	uint8_t client[16];
	uint8_t server[16];
	uint16_t server_port;
	bool nacl_on_server;
	uint16_t eph_lo, eph_hi;
};

/*
 * struct nacl_flow_result - the two legs of a connection.
 * @request: the request packet (its source port is @eph_lo; no rule looks
 *        at it); @request_verdict: how the NACL judges it.
 * @response: the response packet, from the server's port to the client;
 *        its destination port is each port of the ephemeral range in turn.
 * @segs, @nsegs: the response's verdicts over the ephemeral range, runs of
 *        ports judged alike by the same rule, ascending.
 * @request_exempt, @response_exempt: why a leg is not filtered at all
 *        (NACL_NOT_EXEMPT when it is judged): then it is allowed.
 * @total: connections, one per ephemeral port (eph_hi - eph_lo + 1).
 * @failed: how many of them fail: all when the request is denied, else
 *        those whose response port is denied.
 */
struct nacl_flow_result {
	struct nacl_packet request;
	struct nacl_verdict request_verdict;
	enum nacl_exempt_reason request_exempt, response_exempt;
	struct nacl_packet response;
	size_t nsegs;
	struct nacl_port_seg segs[NACL_MAX_SEGS];
	uint64_t total, failed;
};

/*
 * nacl_flow_judge() - judge both legs of @f by @rs, first match wins,
 * after the exemptions @x (NULL: none; a leg whose addresses and ports
 * make it exempt is allowed whatever the rules).  Pure: no I/O, no
 * allocation.
 */
void nacl_flow_judge(const struct nacl_ruleset *rs, const struct nacl_flow *f,
		     const struct nacl_extra *x, struct nacl_flow_result *res);

#endif /* NACLEMU_ANALYSIS_FLOW_H */
