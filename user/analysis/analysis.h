/* SPDX-License-Identifier: MIT */
/*
 * analysis.h - questions about a whole rule set, answered with the offline
 * evaluator: which rules can never be reached (shadowed), and how a range
 * of destination ports (a client's ephemeral range) fares.
 */
#ifndef NACLEMU_ANALYZE_H
#define NACLEMU_ANALYZE_H

#include "rules/model.h"
#include "analysis/eval.h"

/*
 * struct nacl_client_os - a client's ephemeral port range (host order,
 * inclusive).  Sources: the Linux default net.ipv4.ip_local_port_range,
 * IANA/Windows Server 2008+, macOS, and AWS's documented 1024-65535 for
 * Elastic Load Balancing and NAT gateways (vpc-network-acls, "Ephemeral
 * ports").
 */
struct nacl_client_os {
	const char *name;
	uint16_t lo, hi;
};

extern const struct nacl_client_os nacl_client_oses[];
extern const size_t nacl_nclient_oses;

/* Find a client OS by name ("linux", "windows", "macos", "elb", "nat"). */
const struct nacl_client_os *nacl_client_os_find(const char *name);

/*
 * nacl_shadowed() - whether rule @i of direction @dir can never decide a
 * packet, because the earlier rules of its family together match every
 * packet it matches (as AWS evaluates them, docs/semantics.md section 1; non-first
 * fragments with unknown ports included).
 * @by, @max_by, @nby: filled with the indexes (into rs->rules[dir]) of the
 * earlier rules that cover it, at most @max_by of them.
 */
bool nacl_shadowed(const struct nacl_ruleset *rs, enum naclemu_dir dir, size_t i,
		   size_t *by, size_t max_by, size_t *nby);

/*
 * struct nacl_port_seg - consecutive destination ports judged alike.
 * @from, @to: inclusive, host order.
 * @verdict: how every port in [from, to] is judged.
 */
struct nacl_port_seg {
	uint16_t from, to;
	struct nacl_verdict verdict;
};

#define NACL_MAX_SEGS 512

/*
 * nacl_port_segments() - judge packet @tmpl for every destination port in
 * [@lo, @hi] (tmpl->protocol must be TCP or UDP; its dst_port is ignored)
 * and return the runs of ports with the same verdict and deciding rule,
 * in ascending order, in @segs (at most NACL_MAX_SEGS; enough for any rule
 * set the parsers accept).  Returns the number of runs.
 */
size_t nacl_port_segments(const struct nacl_ruleset *rs,
			  const struct nacl_packet *tmpl, uint16_t lo,
			  uint16_t hi, struct nacl_port_seg *segs);

/*
 * nacl_cidr_uncovered() - find an address in @target that no CIDR of
 * @list (of the same family) contains.  Returns true and sets @addr
 * (network byte order) when there is one, false when @list covers @target.
 */
bool nacl_cidr_uncovered(const struct naclemu_cidr *target,
			 const struct naclemu_cidr *const *list, size_t n,
			 uint8_t addr[16]);

/* Percentage of @part in @whole for people: 0, "<1", 1..99, ">99", 100. */
const char *nacl_percent(uint64_t part, uint64_t whole, char buf[8]);

#endif /* NACLEMU_ANALYZE_H */
