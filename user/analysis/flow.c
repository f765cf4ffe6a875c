// SPDX-License-Identifier: MIT
/* flow.c - a connection judged both ways for `naclemu flow` (see flow.h). */
#include <string.h>

#include "analysis/flow.h"

void nacl_flow_judge(const struct nacl_ruleset *rs, const struct nacl_flow *f,
		     const struct nacl_extra *x, struct nacl_flow_result *res)
{
	struct nacl_packet *req = &res->request, *resp = &res->response;

	memset(res, 0, sizeof(*res));
	*req = (struct nacl_packet){
		.dir = f->nacl_on_server ? NACLEMU_INGRESS : NACLEMU_EGRESS,
		.family = f->family,
		.protocol = f->protocol,
		.l4_known = true,
		.src_port = f->eph_lo,
		.dst_port = f->server_port,
	};
	memcpy(req->src, f->client, 16);
	memcpy(req->dst, f->server, 16);
	*resp = *req;
	memcpy(resp->src, req->dst, 16);
	memcpy(resp->dst, req->src, 16);
	resp->src_port = req->dst_port;
	resp->dir = f->nacl_on_server ? NACLEMU_EGRESS : NACLEMU_INGRESS;

	res->request_verdict = nacl_evaluate(rs, req);
	res->request_exempt = nacl_exempt(req, x);
	if (res->request_exempt != NACL_NOT_EXEMPT)
		res->request_verdict = (struct nacl_verdict){ .allow = true, .index = -1 };
	res->total = (uint64_t)f->eph_hi - f->eph_lo + 1;
	/* The ports of the range do not change a response's exemption (>= 1024). */
	resp->dst_port = f->eph_lo;
	res->response_exempt = nacl_exempt(resp, x);
	if (res->response_exempt != NACL_NOT_EXEMPT) {
		res->nsegs = 1;
		res->segs[0] = (struct nacl_port_seg){ f->eph_lo, f->eph_hi,
						       { .allow = true, .index = -1 } };
	} else {
		res->nsegs = nacl_port_segments(rs, resp, f->eph_lo, f->eph_hi, res->segs);
	}
	for (size_t i = 0; i < res->nsegs; i++)
		if (!res->segs[i].verdict.allow)
			res->failed += (uint64_t)res->segs[i].to - res->segs[i].from + 1;
	if (!res->request_verdict.allow)
		res->failed = res->total;
}
