// SPDX-License-Identifier: MIT
/*
 * fuzz_parse.c - libFuzzer target for the rule-file readers.
 *
 * Every input goes to the text reader and to the AWS JSON reader (with no
 * selection, and with --acl / --subnet-id), then through the choice by
 * content (nacl_parse_buf, as nacl_parse_file does it), and to the
 * Terraform and CloudFormation readers forced, each with the selections
 * and parameters those formats take.  Beyond the sanitizers' checks (leaks
 * included), each result must keep the model's invariants: a one-line
 * error on failure; on success, rules within range and sorted, counts
 * within the quota.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/model.h"
#include "rules/read.h"
#include "analysis/eval.h"

/* Too large for the stack of a fuzzer thread: one static copy. */
static struct nacl_ruleset rs;

static void check_invariants(int ret, const char *err)
{
	if (ret) {
		if (!memchr(err, '\0', NACL_MSG_LEN) || !err[0] ||
		    strchr(err, '\n'))
			abort();
		return;
	}
	for (int d = 0; d < NACLEMU_NDIRS; d++) {
		size_t fam[2] = { 0, 0 };

		if (rs.count[d] > NACL_MAX_RULES)
			abort();
		for (size_t i = 0; i < rs.count[d]; i++) {
			const struct nacl_rule *r = &rs.rules[d][i];

			if (r->number < NACLEMU_RULE_MIN ||
			    r->number > NACLEMU_RULE_MAX)
				abort();
			if (i && r->number <= rs.rules[d][i - 1].number)
				abort();
			if (r->cidr.family != 4 && r->cidr.family != 6)
				abort();
			if (r->protocol < -1 || r->protocol > 255 ||
			    r->port_from > r->port_to ||
			    r->icmp_type < -1 || r->icmp_type > 255 ||
			    r->icmp_code < -1 || r->icmp_code > 255)
				abort();
			if (!memchr(r->text, '\0', sizeof(r->text)))
				abort();
			if (++fam[r->cidr.family == 6] > NACL_QUOTA_MAX)
				abort();
		}
	}
	if (rs.nwarnings > NACL_MAX_WARNINGS)
		abort();
}

/* Only a document that parses is worth another selection. */
static bool syntax_error(const char *err)
{
	return strstr(err, ": invalid JSON: ") || strstr(err, ": invalid YAML: ") ||
	       strstr(err, ": Terraform HCL is not read");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nacl_select sels[] = {
		{ NULL, NULL },
		{ "acl-1", NULL },
		{ NULL, "subnet-1" },
	};
	static const char *const params[] = { "Peer=192.0.2.0/24", "Port=80" };
	static const struct nacl_select more[] = {
		{ NULL, NULL },
		{ "aws_network_acl.web", NULL },
		{ "WebAcl", "subnet-1" },
		{ NULL, "subnet-1", .params = params, .nparams = 2 },
	};
	static const enum nacl_format formats[] = {
		NACL_FORMAT_AUTO, NACL_FORMAT_TERRAFORM, NACL_FORMAT_CLOUDFORMATION,
	};
	const char *buf = (const char *)data;
	char err[NACL_MSG_LEN];
	int ret;

	/* Poison err: a parser must write a message whenever it fails. */
	memset(err, 'x', sizeof(err));
	ret = nacl_parse_text("fuzz.nacl", buf, size, &rs, err);
	check_invariants(ret, err);
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		memset(err, 'x', sizeof(err));
		ret = nacl_parse_json("fuzz.json", buf, size, &sels[i], &rs, err);
		check_invariants(ret, err);
		if (ret && syntax_error(err))
			break;
	}
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
			struct nacl_select sel = more[i];

			sel.format = formats[f];
			memset(err, 'x', sizeof(err));
			ret = nacl_parse_buf("fuzz", buf, size, &sel, &rs, err);
			check_invariants(ret, err);
			if (ret && syntax_error(err))
				break;
		}
	}
	return 0;
}
