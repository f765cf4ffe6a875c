// SPDX-License-Identifier: MIT
/*
 * args.c - what the offline commands (check, explain, flow) share: the
 * arguments only a command line has (endpoints, a packet's protocol and
 * direction, ICMP type/code, an ephemeral range), quiet rule reading and
 * the name of a verdict's rule.  Declarations in cli/cli.h;
 * docs/semantics.md section 3 describes the arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/eval.h"
#include "cli/cli.h"
#include "rules/model.h"
#include "rules/read.h"
#include "rules/validate.h"

/*
 * Split @s into its host and the ":PORT" after it (*@colon, NULL without).
 * "[ADDR]:PORT" and "[ADDR]" are IPv6 by their brackets (*@bracket); an
 * unbracketed word with two colons or more is a bare IPv6 address.
 */
static int endpoint_split(const char *s, char host[INET6_ADDRSTRLEN + 1],
			  const char **colon, bool *bracket)
{
	const char *end;
	size_t len;

	*colon = NULL;
	*bracket = s[0] == '[';
	if (*bracket) {
		end = strchr(s, ']');
		if (!end)
			return -EINVAL;
		len = (size_t)(end - s - 1);
		if (end[1] == ':')
			*colon = end + 1;
		else if (end[1])
			return -EINVAL;
		s++;
	} else {
		*colon = strchr(s, ':');
		if (*colon && strchr(*colon + 1, ':'))
			*colon = NULL;
		len = *colon ? (size_t)(*colon - s) : strlen(s);
	}
	if (len >= INET6_ADDRSTRLEN + 1)
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	return 0;
}

int cli_parse_endpoint(const char *s, struct cli_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	bool bracket;
	uint32_t n;

	memset(ep, 0, sizeof(*ep));
	if (endpoint_split(s, host, &colon, &bracket))
		return -EINVAL;
	if (inet_pton(AF_INET, host, ep->addr) == 1)
		ep->family = 4;
	else if (inet_pton(AF_INET6, host, ep->addr) == 1)
		ep->family = 6;
	else
		return -EINVAL;
	if (bracket && ep->family != 6)
		return -EINVAL;
	if (colon) {
		if (nacl_parse_u32(colon + 1, 65535, &n))
			return -EINVAL;
		ep->port = (uint16_t)n;
		ep->has_port = true;
	}
	return 0;
}

int cli_parse_protocol(const char *s, int *proto)
{
	char msg[NACL_MSG_LEN];

	if (nacl_check_proto(s, proto, msg) || *proto == NACLEMU_PROTO_ALL)
		return -EINVAL;
	return 0;
}

int cli_parse_direction(const char *s, enum naclemu_dir *dir)
{
	if (!strcmp(s, "ingress") || !strcmp(s, "inbound"))
		*dir = NACLEMU_INGRESS;
	else if (!strcmp(s, "egress") || !strcmp(s, "outbound"))
		*dir = NACLEMU_EGRESS;
	else
		return -EINVAL;
	return 0;
}

int cli_parse_icmp(const char *s, uint8_t *type, uint8_t *code)
{
	char *buf = strdup(s), *slash;
	uint32_t t, c;
	int err = -EINVAL;

	if (!buf)
		return -ENOMEM;
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!nacl_parse_u32(buf, 255, &t) && !nacl_parse_u32(slash + 1, 255, &c)) {
			*type = (uint8_t)t;
			*code = (uint8_t)c;
			err = 0;
		}
	}
	free(buf);
	return err;
}

int cli_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	const char *dash = strchr(s, '-');
	char buf[16];
	uint32_t l, h;

	if (!dash || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%.*s", (int)(dash - s), s);
	if (nacl_parse_u32(buf, 65535, &l) || nacl_parse_u32(dash + 1, 65535, &h) || l == 0 ||
	    l > h)
		return -ERANGE;
	*lo = (uint16_t)l;
	*hi = (uint16_t)h;
	return 0;
}

int cli_read_rules_quiet(const char *path, const struct nacl_select *sel,
			 struct nacl_ruleset **rs)
{
	char err[NACL_MSG_LEN];

	*rs = calloc(1, sizeof(**rs));
	if (!*rs) {
		pr_err("out of memory");
		return NACL_EXIT_SYSTEM;
	}
	if (nacl_parse_file(path, sel, *rs, err)) {
		pr_err("%s", err);
		free(*rs);
		*rs = NULL;
		/* An unreadable file is the user's argument, not the system. */
		return NACL_EXIT_INVALID;
	}
	return NACL_EXIT_OK;
}

const char *cli_verdict_rule(const struct nacl_verdict *v, char buf[32])
{
	if (v->index < 0)
		snprintf(buf, 32, "rule * (default, %u)", v->rule_number);
	else
		snprintf(buf, 32, "rule %u", v->rule_number);
	return buf;
}
