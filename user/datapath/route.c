// SPDX-License-Identifier: MIT
/*
 * route.c - which interface carries a connection, asked of the kernel's
 * routing table (rtnetlink RTM_GETROUTE, as `ip route get` does), for the
 * lock-out guard (analysis/guard.h, docs/deployment.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "analysis/guard.h"
#include "datapath/datapath.h"
#include "datapath/internal.h"
#include "output/log.h"

/*
 * route_get() - the route the current network namespace would use for
 * @addr (family 4 or 6, network byte order), from the source address @src
 * (NULL: any): its type (RTN_LOCAL when the address is the host's own,
 * RTN_UNICAST, ...) and output interface (0 when none).  Returns 0,
 * -ENETUNREACH / -EHOSTUNREACH when there is no route, or another -errno.
 */
static int route_get(uint8_t family, const uint8_t *addr, const uint8_t *src, unsigned char *type,
		     int *oif)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		struct rtattr dst;
		uint8_t addr[16];
		struct rtattr src;
		uint8_t saddr[16];
	} req = {
		.nh = {
			.nlmsg_type = RTM_GETROUTE,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1,
		},
		.rt = {
			.rtm_family = family == 4 ? AF_INET : AF_INET6,
			.rtm_dst_len = family == 4 ? 32 : 128,
		},
		.dst = {
			.rta_type = RTA_DST,
			.rta_len = RTA_LENGTH(family == 4 ? 4 : 16),
		},
	};
	union {
		struct nlmsghdr nh;
		char buf[4096];
	} resp;
	struct rtattr *rta;
	ssize_t len;
	int fd, ret = -EPROTO, alen;

	memcpy(req.addr, addr, family == 4 ? 4 : 16);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)) + RTA_ALIGN(req.dst.rta_len);
	if (src) {
		/* As `ip route get ADDR from SRC`: policy routing may choose by source. */
		struct {
			struct rtattr a;
			uint8_t addr[16];
		} sa = { { .rta_type = RTA_SRC, .rta_len = RTA_LENGTH(family == 4 ? 4 : 16) } };

		memcpy(sa.addr, src, family == 4 ? 4 : 16);
		memcpy((char *)&req + req.nh.nlmsg_len, &sa, RTA_ALIGN(sa.a.rta_len));
		req.rt.rtm_src_len = family == 4 ? 32 : 128;
		req.nh.nlmsg_len += RTA_ALIGN(sa.a.rta_len);
	}
	*type = RTN_UNSPEC;
	*oif = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(fd, &resp, sizeof(resp), 0);
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	if (!NLMSG_OK(&resp.nh, (size_t)len))
		goto out;
	if (resp.nh.nlmsg_type == NLMSG_ERROR) {
		ret = ((struct nlmsgerr *)NLMSG_DATA(&resp.nh))->error;
		goto out;
	}
	if (resp.nh.nlmsg_type != RTM_NEWROUTE)
		goto out;
	*type = ((struct rtmsg *)NLMSG_DATA(&resp.nh))->rtm_type;
	alen = (int)RTM_PAYLOAD(&resp.nh);
	for (rta = RTM_RTA(NLMSG_DATA(&resp.nh)); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen))
		if (rta->rta_type == RTA_OIF && RTA_PAYLOAD(rta) >= sizeof(int))
			memcpy(oif, RTA_DATA(rta), sizeof(int));
	ret = 0;
out:
	close(fd);
	return ret;
}

int dp_session_carried(const struct dp_target *t, const struct nacl_session *s, bool *carried,
		       struct dp_error *e)
{
	unsigned char type;
	int ifindex, oif, saved = -1, ret;

	*carried = false;
	if ((ret = dp_target_ifindex(t, &ifindex, e)))
		return ret;
	ret = dp_netns_enter(t->netns, &saved);
	if (ret) {
		dp_netns_leave(saved);
		return dp_fail(e, NACL_EXIT_SYSTEM, ret, "cannot enter network namespace %s: %s",
			       dp_netns_label(t->netns), strerror(-ret));
	}
	/* The session is this namespace's when its server address is local here. */
	ret = route_get(s->family, s->server, NULL, &type, &oif);
	if (!ret && type == RTN_LOCAL) {
		ret = route_get(s->family, s->client, s->server, &type, &oif);
		*carried = !ret && oif == ifindex;
	}
	dp_netns_leave(saved);
	/* No route to an address: then no packet of the session uses IFACE. */
	if (ret == -ENETUNREACH || ret == -EHOSTUNREACH)
		ret = 0;
	if (ret)
		return dp_fail(e, NACL_EXIT_SYSTEM, ret,
			       "cannot look up the route of the SSH session in network namespace %s: %s",
			       dp_netns_label(t->netns), strerror(-ret));
	return 0;
}

int dp_guard_check(const struct dp_target *t, const struct nacl_ruleset *rs,
		   const struct nacl_extra *x, const struct nacl_session *s, struct dp_error *e)
{
	struct nacl_session_verdict v;
	const struct nacl_packet *p = &v.packet;
	char sess[128], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], rule[32];
	bool carried;
	int ret, af;

	if (!s)
		return 0;
	if ((ret = dp_session_carried(t, s, &carried, e)))
		return ret;
	if (!carried || !nacl_session_judge(rs, x, s, &v))
		return 0;
	af = p->family == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, p->src, src, sizeof(src));
	inet_ntop(af, p->dst, dst, sizeof(dst));
	nacl_session_str(s, sess, sizeof(sess));
	if (v.verdict.index < 0)
		snprintf(rule, sizeof(rule), "the default deny (*)");
	else
		snprintf(rule, sizeof(rule), "rule %u", v.verdict.rule_number);
	return dp_fail(e, NACL_EXIT_INVALID, -EACCES,
		       "%s carries the SSH session this command runs in (%s) and the rules "
		       "would cut it off: %s %s denies tcp %s%s%s:%u -> %s%s%s:%u; "
		       "--force goes ahead anyway",
		       t->ifname, sess, p->dir == NACLEMU_INGRESS ? "inbound" : "outbound", rule,
		       af == AF_INET6 ? "[" : "", src, af == AF_INET6 ? "]" : "", p->src_port,
		       af == AF_INET6 ? "[" : "", dst, af == AF_INET6 ? "]" : "", p->dst_port);
}
