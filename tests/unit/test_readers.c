// SPDX-License-Identifier: MIT
/*
 * test_readers.c - the Terraform and CloudFormation readers
 * (user/rules/terraform*.c, cloudformation*.c, yaml.c) and the choice of a
 * reader (read.c): every error with its exact message and position, in each
 * format; warnings; selection; offline resolution of intrinsic functions;
 * YAML's short forms, aliases and their limit; and the same NACL read from
 * every format giving the same model.  Table-driven: a case is an input and
 * the expected error, or the expected warnings and rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/model.h"
#include "rules/read.h"
#include "table.h"

static struct nacl_ruleset rs;
static char err[NACL_MSG_LEN];

/*
 * struct rd_case - one input and what must come of it.
 * @file: the name in messages (its suffix may choose the reader).
 * @in: the content; in a *.json or *.tfstate file ' stands for " to keep
 *      the tables readable (no case needs a real ').
 * @format, @acl, @subnet, @params: the selection.
 * @err: the error, or NULL: then @warn are the warnings and @rules the
 *       rules (at most 11), each "in RULE" or "out RULE" in the normalised
 *       text.
 */
struct rd_case {
	const char *name;
	const char *file;
	const char *in;
	enum nacl_format format;
	const char *acl, *subnet;
	const char *params[3];
	const char *err;
	const char *warn[4];
	const char *rules[12];
};

static int parse_case(const struct rd_case *c)
{
	struct nacl_select sel = {
		.acl_id = c->acl, .subnet_id = c->subnet, .format = c->format,
		.params = c->params,
	};
	size_t n = strlen(c->in), len = strlen(c->file);
	bool json = (len > 5 && !strcmp(c->file + len - 5, ".json")) ||
		    (len > 8 && !strcmp(c->file + len - 8, ".tfstate"));
	char *buf = malloc(n ? n : 1);
	int ret;

	assert_non_null(buf);
	while (sel.nparams < 3 && c->params[sel.nparams])
		sel.nparams++;
	for (size_t i = 0; i < n; i++)
		buf[i] = json && c->in[i] == '\'' ? '"' : c->in[i];
	memset(err, 0, sizeof(err));
	/* Exactly n bytes, no NUL after them: ASan sees a read past the end. */
	ret = nacl_parse_buf(c->file, buf, n, &sel, &rs, err);
	free(buf);
	return ret;
}

/* "in 100 allow tcp 80 0.0.0.0/0": the rules of both directions in order. */
static bool rules_match(const char *name, const char *const *want)
{
	size_t k = 0;
	bool ok = true;

	for (int d = 0; d < NACLEMU_NDIRS; d++) {
		for (size_t i = 0; i < rs.count[d]; i++, k++) {
			char got[NACL_TEXT_LEN + 8];

			snprintf(got, sizeof(got), "%s %s",
				 d == NACLEMU_INGRESS ? "in" : "out",
				 rs.rules[d][i].text);
			if (!want[k] || strcmp(got, want[k])) {
				print_error("%s: rule %zu:\n   got: %s\nwanted: %s\n",
					    name, k, got, want[k] ? want[k] : "(none)");
				ok = false;
			}
		}
	}
	if (want[k]) {
		print_error("%s: missing rule %s\n", name, want[k]);
		ok = false;
	}
	return ok;
}

static void run_case(const struct rd_case *c)
{
	int ret = parse_case(c);
	size_t n = 0;

	if (c->err) {
		if (ret != -EINVAL) {
			print_error("%s: returned %d, expected -EINVAL\n", c->name, ret);
			failures++;
		} else if (strcmp(err, c->err)) {
			print_error("%s:\n   got: %s\nwanted: %s\n", c->name, err,
				    c->err);
			failures++;
		}
		return;
	}
	if (ret) {
		print_error("%s: returned %d: %s\n", c->name, ret, err);
		failures++;
		return;
	}
	for (; n < 4 && c->warn[n]; n++) {
		if (n >= rs.nwarnings || strcmp(rs.warnings[n], c->warn[n])) {
			print_error("%s: warning %zu:\n   got: %s\nwanted: %s\n",
				    c->name, n,
				    n < rs.nwarnings ? rs.warnings[n] : "(none)",
				    c->warn[n]);
			failures++;
		}
	}
	if (rs.nwarnings > n) {
		print_error("%s: %zu warnings, expected %zu; first extra: %s\n",
			    c->name, rs.nwarnings, n, rs.warnings[n]);
		failures++;
	}
	if (!rules_match(c->name, c->rules))
		failures++;
}

/* A table of cases, as a test's initial state (TABLE_TEST). */
struct rd_table {
	const struct rd_case *cases;
	size_t n;
};

#define TABLE(t) { t, sizeof(t) / sizeof(t[0]) }
#define TABLE_TEST(name, table) { name, test_table, NULL, NULL, (void *)&(table) }

static void test_table(void **state)
{
	const struct rd_table *t = *state;

	for (size_t i = 0; i < t->n; i++)
		run_case(&t->cases[i]);
	done();
}

/* ---- choosing the reader ------------------------------------------------------ */

static const struct {
	const char *file, *in;
	enum nacl_format want;
} detect[] = {
	{ "web.nacl", "inbound\n100 allow tcp 80 0.0.0.0/0\n", NACL_FORMAT_TEXT },
	{ "rules", "# a comment\noutbound\n", NACL_FORMAT_TEXT },
	{ "acls.json", "{\"NetworkAcls\": []}", NACL_FORMAT_AWS },
	{ "acl.txt", "  {\"NetworkAclId\": \"acl-1\", \"Entries\": []}", NACL_FORMAT_AWS },
	{ "e", "{\"Entries\": []}", NACL_FORMAT_AWS },
	{ "x.nacl", "[1]", NACL_FORMAT_AWS },
	{ "x.json", "{\"Acls\": []}", NACL_FORMAT_AWS },
	{ "x.json", "{\"NetworkAcls\": [,]}", NACL_FORMAT_AWS },
	{ "x.json", "inbound\n", NACL_FORMAT_AWS },
	{ "state.json", "{\"format_version\": \"1.0\", \"values\": {}}", NACL_FORMAT_TERRAFORM },
	{ "plan", "\xef\xbb\xbf{\"format_version\": \"1.2\", \"planned_values\": {}}", NACL_FORMAT_TERRAFORM },
	{ "terraform.tfstate", "{\"version\": 4, \"terraform_version\": \"1.5.7\", \"resources\": []}", NACL_FORMAT_TERRAFORM },
	{ "old.tfstate", "{\"version\": 3, \"terraform_version\": \"0.11.14\", \"modules\": []}", NACL_FORMAT_TERRAFORM },
	{ "main.tf", "# network\nlocals {\n}\n", NACL_FORMAT_TERRAFORM },
	{ "acl", "// nacl\n/* web */ resource \"aws_network_acl\" \"web\" {\n", NACL_FORMAT_TERRAFORM },
	{ "acl", "terraform {\n  required_version = \">= 1.0\"\n}\n", NACL_FORMAT_TERRAFORM },
	{ "acl", "/*/ resource \"x\" */ inbound\n", NACL_FORMAT_TEXT },
	{ "main.tf.json", "{\"resource\": {}}", NACL_FORMAT_TERRAFORM },
	{ "t.json", "{\"Resources\": {}}", NACL_FORMAT_CLOUDFORMATION },
	{ "t", "{\"AWSTemplateFormatVersion\": \"2010-09-09\"}", NACL_FORMAT_CLOUDFORMATION },
	{ "t", "---\nResources:\n  Acl:\n", NACL_FORMAT_CLOUDFORMATION },
	{ "t", "# template\n\"AWSTemplateFormatVersion\": '2010-09-09'\n", NACL_FORMAT_CLOUDFORMATION },
	{ "t", "{Resources: {}}", NACL_FORMAT_AWS },
	{ "t.yml", "Description: none\n", NACL_FORMAT_CLOUDFORMATION },
	{ "t.template", "{\"Description\": 1,}", NACL_FORMAT_CLOUDFORMATION },
	{ "t", "  Resources:\n", NACL_FORMAT_TEXT },
	{ "t", "Resources:x\n", NACL_FORMAT_TEXT },
};

static void test_detect(void **state)
{
	static const char *const names[] = { "auto", "text", "aws", "terraform",
					     "cloudformation" };
	enum nacl_format f;

	(void)state;
	for (size_t i = 0; i < sizeof(detect) / sizeof(detect[0]); i++) {
		f = nacl_detect_format(detect[i].file, detect[i].in,
				       strlen(detect[i].in));
		if (f != detect[i].want) {
			print_error("%s %s: got %s, wanted %s\n", detect[i].file,
				    detect[i].in, nacl_format_name(f),
				    nacl_format_name(detect[i].want));
			failures++;
		}
	}
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(nacl_format_parse(names[i], &f), 0);
		assert_int_equal(f, (enum nacl_format)i);
		assert_string_equal(nacl_format_name(f), names[i]);
	}
	assert_int_equal(nacl_format_parse("yaml", &f), -EINVAL);
	assert_int_equal(nacl_format_parse("Text", &f), -EINVAL);
	assert_int_equal(nacl_format_parse("", &f), -EINVAL);
	done();
}

/* What read.c refuses before any reader, and forced formats. */
static const struct rd_case choose[] = {
	{ "--acl on the text format", "web.nacl", "inbound\n", .acl = "acl-1",
	  .err = "web.nacl: --acl applies to a file that holds ACLs: AWS JSON, Terraform or CloudFormation" },
	{ "--subnet-id on the text format", "web.nacl", "inbound\n", .subnet = "subnet-1",
	  .err = "web.nacl: --subnet-id applies to a file that holds ACLs: AWS JSON, Terraform or CloudFormation" },
	{ "--param on AWS JSON", "acls.json", "{'Entries': []}", .params = { "A=1" },
	  .err = "acls.json: --param applies to CloudFormation templates only (this file is read as aws)" },
	{ "--param on the text format", "web.nacl", "inbound\n", .params = { "A=1" },
	  .err = "web.nacl: --param applies to CloudFormation templates only (this file is read as text)" },
	{ "forced text", "t.json", "{'Entries': []}", NACL_FORMAT_TEXT,
	  .err = "t.json:1:1: unexpected '{\"Entries\":': expected inbound, outbound or a rule (RULE ACTION PROTOCOL PORTS CIDR)" },
	{ "forced aws", "t.yaml", "Resources:\n", NACL_FORMAT_AWS,
	  .err = "t.yaml:1:9: invalid JSON: '[' or '{' expected near 'Resources'" },
	{ "forced terraform on text", "web.nacl", "inbound\n", NACL_FORMAT_TERRAFORM,
	  .err = "web.nacl:1:7: invalid JSON: '[' or '{' expected near 'inbound'" },
	{ "forced cloudformation on text", "web.nacl", "inbound\n", NACL_FORMAT_CLOUDFORMATION,
	  .err = "web.nacl:1:1: expected an object: a CloudFormation template, got a string" },
	{ "HCL by name", "main.tf", "inbound\n", NACL_FORMAT_TERRAFORM,
	  .err = "main.tf: Terraform HCL is not read: run 'terraform show -json' (or 'terraform show -json PLANFILE') and give naclemu its output" },
	{ "HCL by content", "acl", "\n# NACLs\nresource \"aws_network_acl\" \"web\" {\n  vpc_id = var.vpc_id\n}\n",
	  .err = "acl: Terraform HCL is not read: run 'terraform show -json' (or 'terraform show -json PLANFILE') and give naclemu its output" },
	{ "Terraform JSON configuration", "main.tf.json", "{'resource': {'aws_network_acl': {}}}",
	  .err = "main.tf.json: Terraform HCL is not read: run 'terraform show -json' (or 'terraform show -json PLANFILE') and give naclemu its output" },
	{ "unknown format", "web.nacl", "inbound\n", (enum nacl_format)9,
	  .err = "web.nacl: unknown format 9: expected text, aws, terraform or cloudformation" },
};

static const struct rd_table t_choose = TABLE(choose);

/* ---- Terraform -------------------------------------------------------------------- */

/* An inline block / aws_network_acl_rule values, as the provider stores them. */
#define BLK(no, proto, from, to, cidr, v6) \
	"{'action': 'allow', 'cidr_block': '" cidr "', 'from_port': " #from ", 'icmp_code': 0, 'icmp_type': 0, 'ipv6_cidr_block': '" v6 "', 'protocol': '" proto "', 'rule_no': " #no ", 'to_port': " #to "}"
#define RULEV(acl, no, egress, proto, from, to, cidr) \
	"'cidr_block': '" cidr "', 'egress': " egress ", 'from_port': " from ", 'icmp_code': null, 'icmp_type': null, 'id': 'nacl-1', 'ipv6_cidr_block': null, 'network_acl_id': '" acl "', 'protocol': '" proto "', 'rule_action': 'allow', 'rule_number': " #no ", 'to_port': " to
/* terraform show -json of a state: resources of the root module. */
#define STATE(res) \
	"{'format_version': '1.0', 'terraform_version': '1.5.7',\n" \
	" 'values': {'root_module': {'resources': [\n" res "]}}}"
#define RES(type, name, vals) \
	"  {'address': '" type "." name "', 'mode': 'managed', 'type': '" type "', 'name': '" name "', 'values': {" vals "}}"
#define ACL(name, id, ingress, egress) \
	RES("aws_network_acl", name, "'id': '" id "', 'subnet_ids': ['subnet-" name "'],\n   'ingress': [" ingress "],\n   'egress': [" egress "]")

#define WEB_IN BLK(100, "6", 80, 80, "0.0.0.0/0", "")
#define WEB_OUT BLK(100, "6", 1024, 65535, "0.0.0.0/0", "")

static const struct rd_case tf_state[] = {
	{ "one ACL", "s.json", STATE(ACL("web", "acl-1", WEB_IN, WEB_OUT)),
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0", "out 100 allow tcp 1024-65535 0.0.0.0/0" } },
	{ "protocol names and numbers", "s.json",
	  STATE(ACL("web", "acl-1",
		    BLK(1, "tcp", 22, 22, "192.0.2.0/24", "") ", "
		    BLK(2, "udp", 53, 53, "", "2001:db8::/32") ", "
		    BLK(3, "icmp", 0, 0, "192.0.2.0/24", "") ", "
		    BLK(4, "ipv6-icmp", 0, 0, "", "::/0") ", "
		    BLK(5, "icmpv6", 0, 0, "", "::/0") ", "
		    BLK(6, "all", 0, 0, "0.0.0.0/0", "") ", "
		    BLK(7, "-1", 0, 0, "", "::/0") ", "
		    BLK(8, "50", 0, 0, "198.51.100.0/24", ""), "")),
	  .warn = { "s.json: no outbound rules: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 1 allow tcp 22 192.0.2.0/24", "in 2 allow udp 53 2001:db8::/32",
		     "in 3 allow icmp 0/0 192.0.2.0/24", "in 4 allow icmpv6 0/0 ::/0",
		     "in 5 allow icmpv6 0/0 ::/0", "in 6 allow all - 0.0.0.0/0",
		     "in 7 allow all - ::/0", "in 8 allow 50 - 198.51.100.0/24" } },
	{ "ICMP type -1: every type and code", "s.json",
	  STATE(ACL("web", "acl-1",
		    "{'action': 'deny', 'cidr_block': '0.0.0.0/0', 'from_port': 0, 'icmp_code': 0, 'icmp_type': -1, 'ipv6_cidr_block': '', 'protocol': '1', 'rule_no': 9, 'to_port': 0}, "
		    "{'action': 'allow', 'cidr_block': '0.0.0.0/0', 'from_port': 0, 'icmp_code': 4, 'icmp_type': 3, 'ipv6_cidr_block': '', 'protocol': '1', 'rule_no': 10, 'to_port': 0}",
		    WEB_OUT)),
	  .rules = { "in 9 deny icmp all 0.0.0.0/0", "in 10 allow icmp 3/4 0.0.0.0/0",
		     "out 100 allow tcp 1024-65535 0.0.0.0/0" } },
	{ "rules grouped by network_acl_id, with the ACL's echo", "s.json",
	  STATE(ACL("web", "acl-1", "", WEB_OUT) ",\n"
		RES("aws_network_acl_rule", "out", RULEV("acl-1", 100, "true", "tcp", "1024", "65535", "0.0.0.0/0")) ",\n"
		RES("aws_network_acl_rule", "in", RULEV("acl-1", 100, "false", "6", "80", "80", "0.0.0.0/0")) ",\n"
		RES("aws_network_acl_rule", "other", RULEV("acl-2", 100, "false", "-1", "null", "null", "0.0.0.0/0"))),
	  .acl = "aws_network_acl.web",
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0", "out 100 allow tcp 1024-65535 0.0.0.0/0" } },
	{ "an ACL of another file, by its ID", "s.json",
	  STATE(ACL("web", "acl-1", WEB_IN, "") ",\n"
		RES("aws_network_acl_rule", "other", RULEV("acl-2", 7, "false", "-1", "null", "null", "0.0.0.0/0"))),
	  .acl = "acl-2",
	  .warn = { "s.json: no outbound rules: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 7 allow all - 0.0.0.0/0" } },
	{ "--subnet-id by subnet_ids", "s.json",
	  STATE(ACL("web", "acl-1", WEB_IN, WEB_OUT) ",\n" ACL("db", "acl-2", "", "")),
	  .subnet = "subnet-web",
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0", "out 100 allow tcp 1024-65535 0.0.0.0/0" } },
	{ "--subnet-id by aws_network_acl_association", "s.json",
	  STATE(ACL("web", "acl-1", WEB_IN, WEB_OUT) ",\n" ACL("db", "acl-2", "", "") ",\n"
		RES("aws_network_acl_association", "db", "'id': 'aclassoc-1', 'network_acl_id': 'acl-2', 'subnet_id': 'subnet-9'")),
	  .subnet = "subnet-9",
	  .warn = { "s.json: no inbound rules: all inbound traffic is denied (only the default rule *)",
		    "s.json: no outbound rules: all outbound traffic is denied (only the default rule *)" } },
	{ "an inline entry that no rule resource has: ignored", "s.json",
	  STATE(ACL("web", "acl-1", WEB_IN, "") ",\n"
		RES("aws_network_acl_rule", "in", RULEV("acl-1", 120, "false", "6", "443", "443", "0.0.0.0/0"))),
	  .warn = { "s.json:4:16: values.root_module.resources[0].values.ingress[0]: aws_network_acl.web: inbound rule 100 is not one of its aws_network_acl_rule resources: ignored (an ACL's entries come from its inline blocks or from rule resources, not both)",
		    "s.json: no outbound rules: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 120 allow tcp 443 0.0.0.0/0" } },
	{ "count and for_each instances, a data source", "s.json",
	  "{'format_version': '1.0', 'values': {'root_module': {'resources': [\n"
	  "  {'address': 'data.aws_network_acl.x', 'mode': 'data', 'type': 'aws_network_acl', 'name': 'x', 'values': {'id': 'acl-9'}},\n"
	  "  {'address': 'aws_network_acl.tier[0]', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'tier', 'index': 0, 'values': {'id': 'acl-1', 'ingress': [" WEB_IN "], 'egress': []}},\n"
	  "  {'address': 'aws_network_acl.tier[1]', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'tier', 'index': 1, 'values': {'id': 'acl-2', 'ingress': [], 'egress': [" WEB_OUT "]}}],\n"
	  " 'child_modules': [{'address': 'module.a[\\'x\\']', 'resources': [\n"
	  "  {'address': 'module.a[\\'x\\'].aws_default_network_acl.d', 'mode': 'managed', 'type': 'aws_default_network_acl', 'name': 'd', 'values': {'id': 'acl-3', 'ingress': [], 'egress': []}}]}]}}}",
	  .acl = "module.a[\"x\"].aws_default_network_acl.d",
	  .warn = { "s.json: no inbound rules: all inbound traffic is denied (only the default rule *)",
		    "s.json: no outbound rules: all outbound traffic is denied (only the default rule *)" } },
	{ "an empty state", "s.json", "{'format_version': '1.0'}",
	  .err = "s.json: no network ACL in this file" },
	/* selection */
	{ "two ACLs", "s.json", STATE(ACL("web", "acl-1", "", "") ",\n" ACL("db", "acl-2", "", "")),
	  .err = "s.json: 2 network ACLs in this file (aws_network_acl.web, aws_network_acl.db): choose one with --acl ID or --subnet-id ID" },
	{ "unknown --acl", "s.json", STATE(ACL("web", "acl-1", "", "") ",\n" ACL("db", "acl-2", "", "")),
	  .acl = "module.vpc.aws_network_acl.private",
	  .err = "s.json: no network ACL module.vpc.aws_network_acl.private in this file (it has aws_network_acl.web, aws_network_acl.db)" },
	{ "unknown --subnet-id", "s.json", STATE(ACL("web", "acl-1", "", "")), .subnet = "subnet-1",
	  .err = "s.json: no network ACL associated with subnet-1 in this file (it has aws_network_acl.web)" },
	/* the document */
	{ "not an object", "s.json", "[]", NACL_FORMAT_TERRAFORM,
	  .err = "s.json:1:1: expected an object: the output of 'terraform show -json' or a terraform.tfstate, got an array" },
	{ "not Terraform's", "s.json", "{'a': 1}", NACL_FORMAT_TERRAFORM,
	  .err = "s.json:1:1: expected format_version ('terraform show -json') or version (terraform.tfstate): not Terraform's JSON" },
	{ "format_version 2", "s.json", "{'format_version': '2.0', 'values': {}}",
	  .err = "s.json:1:20: format_version: format version 2.0 is not supported: expected 1.x ('terraform show -json' of Terraform 1.1 and later)" },
	{ "format_version 0.2", "s.json", "{'format_version': '0.2', 'values': {}}",
	  .err = "s.json:1:20: format_version: format version 0.2 is not supported: expected 1.x ('terraform show -json' of Terraform 1.1 and later)" },
	{ "format_version a number", "s.json", "{'format_version': 1, 'values': {}}",
	  .err = "s.json:1:20: format_version: expected a string such as \"1.0\", got 1" },
	{ "values not an object", "s.json", "{'format_version': '1.0', 'values': []}",
	  .err = "s.json:1:37: values: expected an object, got an array" },
	{ "resources not an array", "s.json", "{'format_version': '1.0', 'values': {'root_module': {'resources': {}}}}",
	  .err = "s.json:1:67: values.root_module.resources: expected an array, got an object" },
	{ "a resource not an object", "s.json", "{'format_version': '1.0', 'values': {'root_module': {'resources': [7]}}}",
	  .err = "s.json:1:68: values.root_module.resources[0]: expected an object (a resource), got 7" },
	{ "no address", "s.json", "{'format_version': '1.0', 'values': {'root_module': {'resources': [{'mode': 'managed', 'type': 'aws_network_acl', 'values': {}}]}}}",
	  .err = "s.json:1:68: values.root_module.resources[0].address: missing: expected the resource's address" },
	{ "child_modules not an array", "s.json", "{'format_version': '1.0', 'values': {'root_module': {'child_modules': 1}}}",
	  .err = "s.json:1:71: values.root_module.child_modules: expected an array, got 1" },
	{ "a child module not an object", "s.json", "{'format_version': '1.0', 'values': {'root_module': {'child_modules': [null]}}}",
	  .err = "s.json:1:72: values.root_module.child_modules[0]: expected an object (a module), got null" },
	/* inline blocks */
	{ "ingress not an array", "s.json", STATE(RES("aws_network_acl", "web", "'id': 'acl-1', 'ingress': {}")),
	  .err = "s.json:3:136: values.root_module.resources[0].values.ingress: expected an array of ingress blocks, got an object" },
	{ "to_port out of range", "s.json", STATE(ACL("web", "acl-1", WEB_IN ", " BLK(110, "6", 443, 65536, "0.0.0.0/0", ""), "")),
	  .err = "s.json:4:348: values.root_module.resources[0].values.ingress[1].to_port: expected an integer 0..65535, got 65536" },
	{ "port range reversed", "s.json", STATE(ACL("web", "acl-1", BLK(110, "6", 443, 80, "0.0.0.0/0", ""), "")),
	  .err = "s.json:4:76: values.root_module.resources[0].values.ingress[0].from_port: port range 443-80 is reversed" },
	{ "rule_no 0", "s.json", STATE(ACL("web", "acl-1", BLK(0, "6", 80, 80, "0.0.0.0/0", ""), "")),
	  .err = "s.json:4:163: values.root_module.resources[0].values.ingress[0].rule_no: expected an integer 1..32766, got 0" },
	{ "rule_no 32767", "s.json", STATE(ACL("web", "acl-1", BLK(32767, "-1", 0, 0, "0.0.0.0/0", ""), "")),
	  .err = "s.json:4:163: values.root_module.resources[0].values.ingress[0].rule_no: expected an integer 1..32766, got 32767" },
	{ "unknown protocol", "s.json", STATE(ACL("web", "acl-1", BLK(1, "tpc", 80, 80, "0.0.0.0/0", ""), "")),
	  .err = "s.json:4:147: values.root_module.resources[0].values.ingress[0].protocol: unknown protocol 'tpc': expected tcp, udp, icmp, icmpv6, all, -1 or a number 0..255" },
	{ "protocol null", "s.json", STATE(ACL("web", "acl-1", "{'rule_no': 1, 'action': 'allow', 'protocol': null}", "")),
	  .err = "s.json:4:62: values.root_module.resources[0].values.ingress[0].protocol: missing: expected a protocol such as \"tcp\", \"6\" or \"-1\"" },
	{ "unknown action", "s.json", STATE(ACL("web", "acl-1", "{'rule_no': 1, 'action': 'permit'}", "")),
	  .err = "s.json:4:41: values.root_module.resources[0].values.ingress[0].action: unknown action 'permit': expected allow or deny" },
	{ "no CIDR", "s.json", STATE(ACL("web", "acl-1", BLK(1, "-1", 0, 0, "", ""), "")),
	  .err = "s.json:4:16: values.root_module.resources[0].values.ingress[0]: missing cidr_block or ipv6_cidr_block: expected exactly one" },
	{ "two CIDRs", "s.json", STATE(ACL("web", "acl-1", BLK(1, "-1", 0, 0, "0.0.0.0/0", "::/0"), "")),
	  .err = "s.json:4:16: values.root_module.resources[0].values.ingress[0]: has both cidr_block and ipv6_cidr_block: expected exactly one" },
	{ "IPv6 in cidr_block", "s.json", STATE(ACL("web", "acl-1", BLK(1, "-1", 0, 0, "::/0", ""), "")),
	  .err = "s.json:4:50: values.root_module.resources[0].values.ingress[0].cidr_block: expected an IPv4 CIDR, got '::/0'" },
	{ "CIDR without prefix", "s.json", STATE(ACL("web", "acl-1", "", BLK(1, "-1", 0, 0, "", "2001:db8::1"))),
	  .err = "s.json:5:120: values.root_module.resources[0].values.egress[0].ipv6_cidr_block: CIDR '2001:db8::1' has no prefix length: expected 2001:db8::1/128" },
	{ "tcp without ports", "s.json", STATE(RES("aws_network_acl_rule", "r", RULEV("acl-1", 1, "false", "6", "null", "null", "0.0.0.0/0"))),
	  .err = "s.json:3:173: values.root_module.resources[0].values.from_port: missing: protocol tcp needs from_port and to_port" },
	{ "egress a string", "s.json", STATE(RES("aws_network_acl_rule", "r", RULEV("acl-1", 1, "'yes'", "-1", "null", "null", "0.0.0.0/0"))),
	  .err = "s.json:3:153: values.root_module.resources[0].values.egress: expected true (outbound) or false (inbound), got a string" },
	{ "rule_number a string of a number", "s.json", STATE(RES("aws_network_acl_rule", "r", "'cidr_block': '0.0.0.0/0', 'network_acl_id': 'acl-1', 'protocol': 'all', 'rule_action': 'deny', 'rule_number': '77'")),
	  .warn = { "s.json: no outbound rules: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 77 deny all - 0.0.0.0/0" } },
	{ "rule_number a word", "s.json", STATE(RES("aws_network_acl_rule", "r", "'network_acl_id': 'acl-1', 'rule_number': 'ten'")),
	  .err = "s.json:3:158: values.root_module.resources[0].values.rule_number: expected an integer 1..32766, got 'ten'" },
	{ "network_acl_id missing", "s.json", STATE(RES("aws_network_acl_rule", "r", "'rule_number': 1")),
	  .err = "s.json:3:115: values.root_module.resources[0].values.network_acl_id: aws_network_acl_rule.r: expected the ID of a network ACL, got nothing" },
	{ "network_acl_id empty", "s.json", STATE(RES("aws_network_acl_rule", "r", "'network_acl_id': ''")),
	  .err = "s.json:3:134: values.root_module.resources[0].values.network_acl_id: aws_network_acl_rule.r: expected the ID of a network ACL, got \"\"" },
	{ "duplicate rule number", "s.json",
	  STATE(ACL("web", "acl-1", BLK(100, "6", 80, 80, "0.0.0.0/0", "") ",\n    " BLK(100, "6", 443, 443, "", "::/0"), "")),
	  .err = "s.json:5:5: values.root_module.resources[0].values.ingress[1]: rule 100 is already defined at line 4" },
	{ "ports of protocol all: warned", "s.json", STATE(ACL("web", "acl-1", BLK(1, "-1", 1, 2, "0.0.0.0/0", ""), WEB_OUT)),
	  .warn = { "s.json:4:76: values.root_module.resources[0].values.ingress[0].from_port: ignored: protocol all has no ports" },
	  .rules = { "in 1 allow all - 0.0.0.0/0", "out 100 allow tcp 1024-65535 0.0.0.0/0" } },
	{ "host bits: warned", "s.json", STATE(ACL("web", "acl-1", BLK(1, "-1", 0, 0, "192.0.2.7/24", ""), WEB_OUT)),
	  .warn = { "s.json:4:50: values.root_module.resources[0].values.ingress[0].cidr_block: host bits set in 192.0.2.7/24: using 192.0.2.0/24" },
	  .rules = { "in 1 allow all - 192.0.2.0/24", "out 100 allow tcp 1024-65535 0.0.0.0/0" } },
};

static const struct rd_table t_tf_state = TABLE(tf_state);

/* terraform.tfstate version 4. */
#define TFSTATE(res) \
	"{'version': 4, 'terraform_version': '1.5.7', 'serial': 3, 'lineage': 'x',\n" \
	" 'resources': [\n" res "]}"
#define TFRES(mod, type, name, insts) \
	"  {" mod "'mode': 'managed', 'type': '" type "', 'name': '" name "', 'provider': 'provider[\\'registry.terraform.io/hashicorp/aws\\']',\n   'instances': [" insts "]}"

static const struct rd_case tf_tfstate[] = {
	{ "instances with index keys, in a module", "terraform.tfstate",
	  TFSTATE(TFRES("'module': 'module.vpc', ", "aws_network_acl", "tier",
			"{'index_key': 'web', 'attributes': {'id': 'acl-1', 'ingress': [" WEB_IN "], 'egress': [" WEB_OUT "]}},\n"
			"    {'index_key': 'db', 'attributes': {'id': 'acl-2', 'ingress': [], 'egress': []}},\n"
			"    {'index_key': 'db', 'deposed': 'a1b2c3d4', 'attributes': {'id': 'acl-0'}}")),
	  .acl = "module.vpc.aws_network_acl.tier[\"web\"]",
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0", "out 100 allow tcp 1024-65535 0.0.0.0/0" } },
	{ "count instances", "terraform.tfstate",
	  TFSTATE(TFRES("", "aws_network_acl", "tier",
			"{'index_key': 0, 'attributes': {'id': 'acl-1'}}, {'index_key': 1, 'attributes': {'id': 'acl-2'}}")),
	  .err = "terraform.tfstate: 2 network ACLs in this file (aws_network_acl.tier[0], aws_network_acl.tier[1]): choose one with --acl ID or --subnet-id ID" },
	{ "rules by network_acl_id", "terraform.tfstate",
	  TFSTATE(TFRES("", "aws_network_acl", "web", "{'attributes': {'id': 'acl-1', 'ingress': [], 'egress': []}}") ",\n"
		  TFRES("", "aws_network_acl_rule", "r", "{'attributes': {" RULEV("acl-1", 5, "true", "17", "53", "53", "198.51.100.0/24") "}}")),
	  .warn = { "terraform.tfstate: no inbound rules: all inbound traffic is denied (only the default rule *)" },
	  .rules = { "out 5 allow udp 53 198.51.100.0/24" } },
	{ "version 3", "terraform.tfstate", "{'version': 3, 'terraform_version': '0.11.14', 'modules': []}",
	  .err = "terraform.tfstate:1:13: version: state version 3 is not supported: expected 4 (Terraform 0.12 and later)" },
	{ "version a string", "terraform.tfstate", "{'version': '4', 'terraform_version': '1.5.7'}",
	  .err = "terraform.tfstate:1:13: version: state version 4 is not supported: expected 4 (Terraform 0.12 and later)" },
	{ "resources not an array", "terraform.tfstate", "{'version': 4, 'terraform_version': '1.5.7', 'resources': {}}",
	  .err = "terraform.tfstate:1:59: resources: expected an array, got an object" },
	{ "instances not an array", "terraform.tfstate", TFSTATE(TFRES("", "aws_network_acl", "web", "") ", {'mode': 'managed', 'type': 'aws_network_acl', 'name': 'x', 'instances': 5}"),
	  .err = "terraform.tfstate:4:95: resources[1].instances: expected an array, got 5" },
	{ "an instance not an object", "terraform.tfstate", TFSTATE(TFRES("", "aws_network_acl", "web", "[]")),
	  .err = "terraform.tfstate:4:18: resources[0].instances[0]: expected an object (a resource instance), got an array" },
	{ "no attributes", "terraform.tfstate", TFSTATE(TFRES("", "aws_network_acl", "web", "{'schema_version': 0}")),
	  .err = "terraform.tfstate:4:18: resources[0].instances[0].attributes: missing: expected the resource's attributes" },
	{ "bad to_port", "terraform.tfstate",
	  TFSTATE(TFRES("", "aws_network_acl", "web",
			"{'attributes': {'id': 'acl-1', 'egress': [],\n    'ingress': [" WEB_IN ", " BLK(110, "6", 443, -1, "0.0.0.0/0", "") "]}}")),
	  .err = "terraform.tfstate:5:349: resources[0].instances[0].attributes.ingress[1].to_port: expected an integer 0..65535, got -1" },
};

static const struct rd_table t_tf_tfstate = TABLE(tf_tfstate);

/* terraform show -json of a saved plan: planned_values, changes, configuration. */
#define PLAN(res, changes, config) \
	"{'format_version': '1.2', 'terraform_version': '1.5.7',\n" \
	" 'planned_values': {'root_module': {" res "}},\n" \
	" 'resource_changes': [" changes "],\n" \
	" 'configuration': {'root_module': {" config "}}}"
#define CHANGE(addr, unknown) \
	"{'address': '" addr "', 'change': {'actions': ['create'], 'after_unknown': {" unknown "}}}"
#define NEWACL "'resources': [\n  {'address': 'aws_network_acl.web', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'values': {'vpc_id': 'vpc-1'}}"
#define NEWRULE(name, no, egress, cidr) \
	"  {'address': 'aws_network_acl_rule." name "', 'mode': 'managed', 'type': 'aws_network_acl_rule', 'name': '" name "', 'values': {'cidr_block': '" cidr "', 'egress': " egress ", 'from_port': 443, 'icmp_code': null, 'icmp_type': null, 'ipv6_cidr_block': null, 'protocol': 'tcp', 'rule_action': 'allow', 'rule_number': " #no ", 'to_port': 443}}"
#define CFGRULE(name, refs) \
	"{'address': 'aws_network_acl_rule." name "', 'mode': 'managed', 'type': 'aws_network_acl_rule', 'name': '" name "', 'expressions': {'network_acl_id': {'references': [" refs "]}}}"
#define WEBREFS "'aws_network_acl.web.id', 'aws_network_acl.web'"

static const struct rd_case tf_plan[] = {
	{ "new ACL and rules: grouped by the configuration's references", "p.json",
	  PLAN(NEWACL ",\n" NEWRULE("https", 100, "false", "0.0.0.0/0") ",\n" NEWRULE("back", 100, "true", "192.0.2.0/24") "]",
	       CHANGE("aws_network_acl.web", "'id': true, 'ingress': true, 'egress': true") ", "
	       CHANGE("aws_network_acl_rule.https", "'id': true, 'network_acl_id': true") ", "
	       CHANGE("aws_network_acl_rule.back", "'id': true, 'network_acl_id': true"),
	       "'resources': [" CFGRULE("https", WEBREFS) ", " CFGRULE("back", WEBREFS) "]"),
	  .acl = "aws_network_acl.web",
	  .rules = { "in 100 allow tcp 443 0.0.0.0/0", "out 100 allow tcp 443 192.0.2.0/24" } },
	{ "an instance reference, in a module", "p.json",
	  "{'format_version': '1.2', 'planned_values': {'root_module': {'child_modules': [{'address': 'module.t[0]', 'resources': [\n"
	  "  {'address': 'module.t[0].aws_network_acl.web[1]', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'index': 1, 'values': {}},\n"
	  "  {'address': 'module.t[0].aws_network_acl.web[0]', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'index': 0, 'values': {}},\n"
	  "  {'address': 'module.t[0].aws_network_acl_rule.r', 'mode': 'managed', 'type': 'aws_network_acl_rule', 'name': 'r', 'values': {'cidr_block': '0.0.0.0/0', 'egress': false, 'from_port': null, 'icmp_code': null, 'icmp_type': null, 'ipv6_cidr_block': null, 'protocol': '-1', 'rule_action': 'deny', 'rule_number': 1, 'to_port': null}}]}]}},\n"
	  " 'configuration': {'root_module': {'module_calls': {'t': {'module': {'resources': [" CFGRULE("r", "'aws_network_acl.web[1].id', 'aws_network_acl.web[1]', 'aws_network_acl.web'") "]}}}}}}",
	  .acl = "module.t[0].aws_network_acl.web[1]",
	  .warn = { "p.json: no outbound rules: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 1 deny all - 0.0.0.0/0" } },
	{ "an existing ACL: rules by its known id", "p.json",
	  PLAN("'resources': [\n  {'address': 'aws_network_acl.web', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'values': {'id': 'acl-1', 'ingress': [" WEB_IN "], 'egress': []}},\n"
	       "  {'address': 'aws_network_acl_rule.r', 'mode': 'managed', 'type': 'aws_network_acl_rule', 'name': 'r', 'values': {" RULEV("acl-1", 100, "false", "6", "80", "80", "0.0.0.0/0") "}},\n"
	       "  {'address': 'aws_network_acl_rule.s', 'mode': 'managed', 'type': 'aws_network_acl_rule', 'name': 's', 'values': {" RULEV("acl-1", 101, "false", "6", "81", "81", "0.0.0.0/0") "}}]",
	       CHANGE("aws_network_acl_rule.s", "'id': true"), ""),
	  .warn = { "p.json: no outbound rules: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0", "in 101 allow tcp 81 0.0.0.0/0" } },
	{ "unknown cidr_block of an inline block", "p.json",
	  PLAN("'resources': [\n  {'address': 'aws_network_acl.web', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'values': {'id': 'acl-1', 'egress': [],\n"
	       "   'ingress': [" WEB_IN ", {'action': 'allow', 'from_port': 0, 'icmp_code': 0, 'icmp_type': 0, 'ipv6_cidr_block': '', 'protocol': '-1', 'rule_no': 200, 'to_port': 0}]}}]",
	       "{'address': 'aws_network_acl.web', 'change': {'actions': ['update'], 'after_unknown': {'ingress': [{}, {'cidr_block': true}]}}}", ""),
	  .err = "p.json:4:184: planned_values.root_module.resources[0].values.ingress[1].cidr_block: aws_network_acl.web: ingress[1].cidr_block is known only after apply: naclemu does not guess it (read the state once applied, or make the value known at plan time)" },
	{ "unknown cidr_block of a rule, present as null", "p.json",
	  PLAN(NEWACL ",\n  {'address': 'aws_network_acl_rule.r', 'mode': 'managed', 'type': 'aws_network_acl_rule', 'name': 'r', 'values': {'cidr_block': null, 'egress': false, 'protocol': '-1', 'rule_action': 'deny', 'rule_number': 1}}]",
	       CHANGE("aws_network_acl_rule.r", "'cidr_block': true, 'network_acl_id': true"),
	       "'resources': [" CFGRULE("r", WEBREFS) "]"),
	  .err = "p.json:4:130: planned_values.root_module.resources[1].values.cidr_block: aws_network_acl_rule.r: cidr_block is known only after apply: naclemu does not guess it (read the state once applied, or make the value known at plan time)" },
	{ "unknown inline blocks", "p.json",
	  PLAN(NEWACL "]", CHANGE("aws_network_acl.web", "'id': true, 'ingress': true, 'egress': true"), ""),
	  .err = "p.json:3:109: planned_values.root_module.resources[0].values.ingress: aws_network_acl.web: ingress is known only after apply: naclemu does not guess it (read the state once applied, or make the value known at plan time)" },
	{ "unknown subnet_ids, with --subnet-id", "p.json",
	  PLAN("'resources': [{'address': 'aws_network_acl.web', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'values': {'ingress': [], 'egress': []}}]",
	       CHANGE("aws_network_acl.web", "'subnet_ids': true"), ""),
	  .subnet = "subnet-1",
	  .err = "p.json:2:157: planned_values.root_module.resources[0].values.subnet_ids: aws_network_acl.web: subnet_ids is known only after apply: naclemu does not guess it (read the state once applied, or make the value known at plan time)" },
	{ "a reference to a variable", "p.json",
	  PLAN(NEWACL ",\n" NEWRULE("r", 1, "false", "0.0.0.0/0") "]",
	       CHANGE("aws_network_acl_rule.r", "'network_acl_id': true"),
	       "'resources': [" CFGRULE("r", "'var.acl_id'") "]"),
	  .err = "p.json:4:115: planned_values.root_module.resources[1].values.network_acl_id: aws_network_acl_rule.r: network_acl_id is known only after apply, and its configuration refers to no aws_network_acl of this module (var.acl_id): naclemu cannot tell which ACL the rule belongs to" },
	{ "no configuration", "p.json",
	  "{'format_version': '1.2', 'planned_values': {'root_module': {" NEWACL ",\n" NEWRULE("r", 1, "false", "0.0.0.0/0") "]}}}",
	  .err = "p.json:3:115: planned_values.root_module.resources[1].values.network_acl_id: aws_network_acl_rule.r: network_acl_id is known only after apply, and its configuration refers to no aws_network_acl of this module (no references): naclemu cannot tell which ACL the rule belongs to" },
	{ "a reference to several instances", "p.json",
	  "{'format_version': '1.2', 'planned_values': {'root_module': {'resources': [\n"
	  "  {'address': 'aws_network_acl.web[0]', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'values': {}},\n"
	  "  {'address': 'aws_network_acl.web[1]', 'mode': 'managed', 'type': 'aws_network_acl', 'name': 'web', 'values': {}},\n"
	  NEWRULE("r", 1, "false", "0.0.0.0/0") "]}},\n"
	  " 'configuration': {'root_module': {'resources': [" CFGRULE("r", "'aws_network_acl.web', 'count.index'") "]}}}",
	  .err = "p.json:4:115: planned_values.root_module.resources[2].values.network_acl_id: aws_network_acl_rule.r: network_acl_id is known only after apply and refers to aws_network_acl.web, which has 2 instances: naclemu cannot tell which one" },
	{ "resource_changes not an array", "p.json", "{'format_version': '1.2', 'planned_values': {}, 'resource_changes': {}}",
	  .err = "p.json:1:69: resource_changes: expected an array, got an object" },
};

static const struct rd_table t_tf_plan = TABLE(tf_plan);

/* ---- CloudFormation ---------------------------------------------------------------- */

#define Y_HEAD "AWSTemplateFormatVersion: '2010-09-09'\n"
#define Y_ACL(id) "  " id ":\n    Type: AWS::EC2::NetworkAcl\n    Properties:\n      VpcId: vpc-1\n"
/* An entry of WebAcl: the properties after NetworkAclId, each line indented. */
#define Y_ENTRY(id, props) \
	"  " id ":\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref WebAcl\n" props
#define Y_HTTP \
	"      RuleNumber: 100\n      Protocol: 6\n      RuleAction: allow\n" \
	"      CidrBlock: 0.0.0.0/0\n      PortRange: {From: 80, To: 80}\n"
#define Y_TPL(res) Y_HEAD "Resources:\n" Y_ACL("WebAcl") res

static const struct rd_case cfn_yaml[] = {
	{ "one ACL", "t.yaml", Y_TPL(Y_ENTRY("Http", Y_HTTP)),
	  .warn = { "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0" } },
	{ "strings for numbers and booleans, long forms", "t.yaml",
	  Y_TPL("  Out:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n"
		"      NetworkAclId: {Ref: WebAcl}\n      RuleNumber: '200'\n      Protocol: '-1'\n"
		"      RuleAction: deny\n      Egress: 'true'\n      Ipv6CidrBlock: '2001:db8::/32'\n"
		"  Icmp:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n"
		"      NetworkAclId: !Ref WebAcl\n      RuleNumber: 110\n      Protocol: \"1\"\n"
		"      RuleAction: allow\n      Egress: false\n      CidrBlock: 192.0.2.0/24\n"
		"      Icmp:\n        Code: \"-1\"\n        Type: 8\n"),
	  .rules = { "in 110 allow icmp 8 192.0.2.0/24", "out 200 deny all - 2001:db8::/32" } },
	{ "parameters: Default, --param, Sub, Join, Select, FindInMap", "t.yaml",
	  Y_HEAD "Parameters:\n  Peer:\n    Type: String\n    Default: 198.51.100.0/24\n"
	  "  Port:\n    Type: Number\n    Default: 8080\n  Prefix:\n    Type: String\n"
	  "  Nets:\n    Type: CommaDelimitedList\n    Default: 192.0.2.0/24,203.0.113.0/24\n"
	  "Mappings:\n  Ports:\n    Web:\n      Https: 443\n"
	  "Resources:\n" Y_ACL("WebAcl")
	  Y_ENTRY("A", "      RuleNumber: 1\n      Protocol: 6\n      RuleAction: allow\n      CidrBlock: !Ref Peer\n      PortRange:\n        From: !Ref Port\n        To: !Ref Port\n")
	  Y_ENTRY("B", "      RuleNumber: 2\n      Protocol: 6\n      RuleAction: allow\n      CidrBlock: !Sub '${Prefix}/16'\n      PortRange:\n        From: !FindInMap [Ports, Web, Https]\n        To: 443\n")
	  Y_ENTRY("C", "      RuleNumber: 3\n      Protocol: !Select [0, ['-1']]\n      RuleAction: deny\n      CidrBlock: !Join ['/', [!Select [1, !Ref Nets]]]\n")
	  Y_ENTRY("D", "      RuleNumber: 4\n      Protocol: -1\n      RuleAction: deny\n      CidrBlock: !Sub ['${Net}', {Net: !Select [0, !Ref Nets]}]\n      Ipv6CidrBlock: !Ref AWS::NoValue\n"),
	  .params = { "Prefix=10.1.0.0", "Port=8443" },
	  .warn = { "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 1 allow tcp 8443 198.51.100.0/24", "in 2 allow tcp 443 10.1.0.0/16",
		     "in 3 deny all - 203.0.113.0/24", "in 4 deny all - 192.0.2.0/24" } },
	{ "anchors and aliases", "t.yaml",
	  Y_TPL(Y_ENTRY("A", "      RuleNumber: 1\n      Protocol: &tcp 6\n      RuleAction: &ok allow\n      CidrBlock: &any 0.0.0.0/0\n      PortRange: &http {From: 80, To: 80}\n")
		Y_ENTRY("B", "      RuleNumber: 2\n      Protocol: *tcp\n      RuleAction: *ok\n      CidrBlock: *any\n      PortRange: *http\n      Egress: true\n")),
	  .rules = { "in 1 allow tcp 80 0.0.0.0/0", "out 2 allow tcp 80 0.0.0.0/0" } },
	{ "a Condition on an entry: read, with a warning", "t.yaml",
	  Y_TPL("  V6:\n    Type: AWS::EC2::NetworkAclEntry\n    Condition: HasIpv6\n    Properties:\n"
		"      NetworkAclId: !Ref WebAcl\n      RuleNumber: 1\n      Protocol: -1\n      RuleAction: deny\n      Ipv6CidrBlock: ::/0\n"),
	  .warn = { "t.yaml:9:16: Resources.V6.Condition: V6 exists only if condition HasIpv6 holds: read as if it does",
		    "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 1 deny all - ::/0" } },
	{ "two ACLs", "t.yaml", Y_TPL(Y_ACL("DbAcl")),
	  .err = "t.yaml: 2 network ACLs in this file (WebAcl, DbAcl): choose one with --acl ID or --subnet-id ID" },
	{ "--acl by logical ID", "t.yaml", Y_TPL(Y_ACL("DbAcl") Y_ENTRY("Http", Y_HTTP)), .acl = "WebAcl",
	  .warn = { "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0" } },
	{ "--subnet-id: literal, parameter, subnet of the template", "t.yaml",
	  Y_HEAD "Parameters:\n  Sub:\n    Type: String\n    Default: subnet-2\nResources:\n" Y_ACL("WebAcl") Y_ACL("DbAcl")
	  "  S:\n    Type: AWS::EC2::Subnet\n"
	  "  A1:\n    Type: AWS::EC2::SubnetNetworkAclAssociation\n    Properties: {NetworkAclId: !Ref DbAcl, SubnetId: subnet-1}\n"
	  "  A2:\n    Type: AWS::EC2::SubnetNetworkAclAssociation\n    Properties: {NetworkAclId: !Ref DbAcl, SubnetId: !Ref S}\n"
	  "  A3:\n    Type: AWS::EC2::SubnetNetworkAclAssociation\n    Properties: {NetworkAclId: !Ref WebAcl, SubnetId: !Ref Sub}\n"
	  Y_ENTRY("Http", Y_HTTP),
	  .subnet = "subnet-2",
	  .warn = { "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0" } },
	{ "--subnet-id: a subnet of the template by logical ID", "t.yaml",
	  Y_TPL(Y_ACL("DbAcl") "  S:\n    Type: AWS::EC2::Subnet\n"
		"  A:\n    Type: AWS::EC2::SubnetNetworkAclAssociation\n    Properties: {NetworkAclId: !Ref DbAcl, SubnetId: !Ref S}\n"),
	  .subnet = "S",
	  .warn = { "t.yaml: no inbound entries: all inbound traffic is denied (only the default rule *)",
		    "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" } },
	{ "an ACL outside the template, by ID", "t.yaml",
	  Y_HEAD "Parameters:\n  Acl: {Type: String, Default: acl-7}\nResources:\n"
	  "  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref Acl\n" Y_HTTP,
	  .acl = "acl-7",
	  .warn = { "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0" } },
	/* intrinsic functions that are not offline */
	{ "Fn::GetAtt", "t.yaml", Y_TPL(Y_ENTRY("InboundHTTP", "      RuleNumber: 100\n      Protocol: 6\n      RuleAction: allow\n      CidrBlock: !GetAtt Vpc.CidrBlock\n")),
	  .err = "t.yaml:14:18: Resources.InboundHTTP.Properties.CidrBlock: InboundHTTP's CidrBlock uses Fn::GetAtt, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter" },
	{ "Fn::ImportValue in PortRange.To", "t.yaml",
	  Y_TPL(Y_ENTRY("InboundHTTP", "      RuleNumber: 100\n      Protocol: 6\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n      PortRange:\n        From: 80\n        To: !ImportValue web-port\n")),
	  .err = "t.yaml:17:13: Resources.InboundHTTP.Properties.PortRange.To: InboundHTTP's To uses Fn::ImportValue, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter" },
	{ "Fn::Sub of a pseudo parameter", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 1\n      Protocol: -1\n      RuleAction: deny\n      CidrBlock: !Sub '${AWS::Region}'\n")),
	  .err = "t.yaml:14:18: Resources.E.Properties.CidrBlock: E's CidrBlock uses Fn::Sub with the variable ${AWS::Region}, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter" },
	{ "Ref to a pseudo parameter", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 1\n      Protocol: -1\n      RuleAction: !Ref AWS::Region\n")),
	  .err = "t.yaml:13:19: Resources.E.Properties.RuleAction: E's RuleAction uses the pseudo parameter AWS::Region, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter" },
	{ "Ref to a resource", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: !Ref WebAcl\n")),
	  .err = "t.yaml:11:19: Resources.E.Properties.RuleNumber: E's RuleNumber refers to resource WebAcl, whose ID exists only once the stack is created: naclemu cannot resolve it offline" },
	{ "Ref to nothing", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: !Ref Nope\n")),
	  .err = "t.yaml:11:19: Resources.E.Properties.RuleNumber: E's RuleNumber refers to Nope, which is neither a parameter nor a resource of this template" },
	{ "Fn::If", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 1\n      Protocol: -1\n      RuleAction: deny\n      CidrBlock: !If [V6, '::/0', 0.0.0.0/0]\n")),
	  .err = "t.yaml:14:18: Resources.E.Properties.CidrBlock: E's CidrBlock uses Fn::If, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter" },
	{ "a parameter without Default", "t.yaml",
	  Y_HEAD "Parameters:\n  Peer:\n    Type: String\nResources:\n" Y_ACL("WebAcl")
	  Y_ENTRY("E", "      RuleNumber: 1\n      Protocol: -1\n      RuleAction: deny\n      CidrBlock: !Ref Peer\n"),
	  .err = "t.yaml:17:18: Resources.E.Properties.CidrBlock: E's CidrBlock refers to parameter Peer, which has no Default: give its value with --param Peer=VALUE" },
	{ "--param of no parameter", "t.yaml", Y_TPL(""), .params = { "Peer=1" },
	  .err = "t.yaml: --param Peer: this template has no parameter Peer" },
	{ "--param without =", "t.yaml", Y_TPL(""), .params = { "Peer" },
	  .err = "t.yaml: --param 'Peer': expected NAME=VALUE" },
	{ "Fn::FindInMap of no key", "t.yaml",
	  Y_HEAD "Mappings: {M: {A: {B: 1}}}\nResources:\n" Y_ACL("WebAcl")
	  Y_ENTRY("E", "      RuleNumber: !FindInMap [M, A, C]\n"),
	  .err = "t.yaml:12:19: Resources.E.Properties.RuleNumber: E's RuleNumber: Fn::FindInMap: no Mappings.M.A.C in this template" },
	{ "Fn::Select out of the list", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: !Select [2, [1, 2]]\n")),
	  .err = "t.yaml:11:19: Resources.E.Properties.RuleNumber: E's RuleNumber: Fn::Select: no element 2 in a list of 2" },
	{ "Fn::Join of an object", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 1\n      Protocol: -1\n      RuleAction: deny\n      CidrBlock: !Join ['', [{a: 1}]]\n")),
	  .err = "t.yaml:14:18: Resources.E.Properties.CidrBlock: E's CidrBlock: Fn::Join expects strings, got an object" },
	/* entries */
	{ "PortRange.To out of range", "t.yaml",
	  Y_TPL(Y_ENTRY("InboundHTTP", "      RuleNumber: 100\n      Protocol: 6\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n      PortRange:\n        From: 80\n        To: 70000\n")),
	  .err = "t.yaml:17:13: Resources.InboundHTTP.Properties.PortRange.To: expected an integer 0..65535, got 70000" },
	{ "PortRange missing", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 100\n      Protocol: 17\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n")),
	  .err = "t.yaml:10:7: Resources.E.Properties.PortRange: missing: protocol udp needs a port range {\"From\": N, \"To\": M}" },
	{ "Icmp missing, protocol 1", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 100\n      Protocol: 1\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n")),
	  .err = "t.yaml:10:7: Resources.E.Properties: missing Icmp {\"Type\": T, \"Code\": C}: EC2 requires it for protocol 1 and for 58 with an IPv6 CIDR (use -1 for any type or code)" },
	{ "Icmp missing, protocol 58 with an IPv6 CIDR", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 100\n      Protocol: '58'\n      RuleAction: allow\n      Ipv6CidrBlock: 2001:db8::/32\n")),
	  .err = "t.yaml:10:7: Resources.E.Properties: missing Icmp {\"Type\": T, \"Code\": C}: EC2 requires it for protocol 1 and for 58 with an IPv6 CIDR (use -1 for any type or code)" },
	{ "Icmp removed by AWS::NoValue", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 100\n      Protocol: 1\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n      Icmp: !Ref AWS::NoValue\n")),
	  .err = "t.yaml:10:7: Resources.E.Properties: missing Icmp {\"Type\": T, \"Code\": C}: EC2 requires it for protocol 1 and for 58 with an IPv6 CIDR (use -1 for any type or code)" },
	{ "Icmp not needed: protocol 58 with an IPv4 CIDR", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 100\n      Protocol: 58\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n")),
	  .warn = { "t.yaml: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 100 allow icmpv6 all 0.0.0.0/0" } },
	{ "Icmp not an object", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 100\n      Protocol: 1\n      RuleAction: allow\n      CidrBlock: 0.0.0.0/0\n      Icmp: [8]\n")),
	  .err = "t.yaml:15:13: Resources.E.Properties.Icmp: expected an object {\"Type\": T, \"Code\": C}, got an array" },
	{ "Egress not a boolean", "t.yaml",
	  Y_TPL(Y_ENTRY("E", "      RuleNumber: 100\n      Egress: out\n")),
	  .err = "t.yaml:12:15: Resources.E.Properties.Egress: expected true (outbound) or false (inbound), got a string" },
	{ "RuleNumber missing", "t.yaml", Y_TPL(Y_ENTRY("E", "      Protocol: 6\n")),
	  .err = "t.yaml:10:7: Resources.E.Properties.RuleNumber: missing: expected an integer 1..32766" },
	{ "RuleNumber a fraction", "t.yaml", Y_TPL(Y_ENTRY("E", "      RuleNumber: 1.5\n")),
	  .err = "t.yaml:11:19: Resources.E.Properties.RuleNumber: expected an integer 1..32766, got a fraction" },
	{ "RuleNumber 32767", "t.yaml", Y_TPL(Y_ENTRY("E", "      RuleNumber: \"32767\"\n")),
	  .err = "t.yaml:11:19: Resources.E.Properties.RuleNumber: expected an integer 1..32766, got '32767'" },
	{ "Protocol a word", "t.yaml", Y_TPL(Y_ENTRY("E", "      RuleNumber: 1\n      RuleAction: deny\n      Protocol: ip\n")),
	  .err = "t.yaml:13:17: Resources.E.Properties.Protocol: unknown protocol 'ip': expected tcp, udp, icmp, icmpv6, all, -1 or a number 0..255" },
	{ "Protocol missing", "t.yaml", Y_TPL(Y_ENTRY("E", "      RuleNumber: 1\n      RuleAction: deny\n")),
	  .err = "t.yaml:10:7: Resources.E.Properties.Protocol: missing: expected a protocol number such as 6 or -1" },
	{ "duplicate RuleNumber", "t.yaml", Y_TPL(Y_ENTRY("A", Y_HTTP) Y_ENTRY("B", Y_HTTP)),
	  .err = "t.yaml:19:7: Resources.B.Properties: rule 100 is already defined at line 10" },
	{ "NetworkAclId missing", "t.yaml",
	  Y_TPL("  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      RuleNumber: 1\n"),
	  .err = "t.yaml:10:7: Resources.E.Properties.NetworkAclId: missing: expected {\"Ref\": \"LogicalId\"} of an AWS::EC2::NetworkAcl" },
	{ "NetworkAclId of a subnet", "t.yaml",
	  Y_TPL("  S:\n    Type: AWS::EC2::Subnet\n  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !Ref S\n"),
	  .err = "t.yaml:12:21: Resources.E.Properties.NetworkAclId: E's NetworkAclId refers to S, which is not an AWS::EC2::NetworkAcl" },
	{ "NetworkAclId of the VPC's default ACL", "t.yaml",
	  Y_TPL("  E:\n    Type: AWS::EC2::NetworkAclEntry\n    Properties:\n      NetworkAclId: !GetAtt Vpc.DefaultNetworkAcl\n"),
	  .err = "t.yaml:10:21: Resources.E.Properties.NetworkAclId: E's NetworkAclId uses Fn::GetAtt, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter" },
	{ "an entry without Properties", "t.yaml", Y_TPL("  E:\n    Type: AWS::EC2::NetworkAclEntry\n"),
	  .err = "t.yaml:8:5: Resources.E.Properties: missing: expected the resource's properties" },
	{ "a resource without Type", "t.yaml", Y_TPL("  E:\n    Properties: {}\n"),
	  .err = "t.yaml:8:5: Resources.E.Type: expected a resource type such as AWS::EC2::NetworkAcl" },
	/* the template */
	{ "no Resources", "t.yaml", Y_HEAD "Description: x\n",
	  .err = "t.yaml:1:1: Resources: missing: expected the template's resources" },
	{ "Resources a list", "t.yaml", Y_HEAD "Resources: [1]\n",
	  .err = "t.yaml:2:12: Resources: expected an object, got an array" },
	{ "AWSTemplateFormatVersion", "t.yaml", "AWSTemplateFormatVersion: 2024-01-01\nResources: {}\n",
	  .err = "t.yaml:1:27: AWSTemplateFormatVersion: expected \"2010-09-09\" (the only version), got 2024-01-01" },
	{ "no ACL", "t.yaml", Y_HEAD "Resources: {}\n", .err = "t.yaml: no network ACL in this file" },
	/* YAML itself */
	{ "syntax", "t.yaml", "Resources:\n  A: [1\n",
	  .err = "t.yaml:3:1: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence" },
	{ "a tab", "t.yaml", "Resources:\n\tA: 1\n",
	  .err = "t.yaml:2:1: invalid YAML: found character that cannot start any token while scanning for the next token" },
	{ "a NUL byte", "t.yaml", "Resources:\n  A: \x01\n",
	  .err = "t.yaml:2:6: invalid YAML: control characters are not allowed" },
	{ "duplicate key", "t.yaml", "Resources:\n  A: 1\n  A: 2\n",
	  .err = "t.yaml:3:3: invalid YAML: duplicate key 'A'" },
	{ "a key that is a list", "t.yaml", "? [a]\n: 1\n",
	  .err = "t.yaml:1:3: invalid YAML: a key must be a scalar" },
	{ "unknown tag", "t.yaml", "Resources:\n  A: !Foo x\n",
	  .err = "t.yaml:2:6: unknown YAML tag !Foo: expected a CloudFormation short form such as !Ref, !GetAtt or !Sub" },
	{ "two documents", "t.yaml", "Resources: {}\n---\nResources: {}\n",
	  .err = "t.yaml:2:1: a second YAML document: expected one template" },
	{ "empty", "t.yaml", "# nothing\n",
	  .err = "t.yaml: empty YAML document: expected a CloudFormation template" },
	{ "an alias of itself", "t.yaml", "a: &x [*x]\n",
	  .err = "t.yaml:1:4: YAML nested deeper than 64 levels (an alias to itself?): refused" },
	{ "an alias bomb", "t.yaml",
	  "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
	  .err = "t.yaml:1:35: the YAML document expands to more than 100000 values (aliases?): refused" },
};

static const struct rd_table t_cfn_yaml = TABLE(cfn_yaml);

#define J_TPL(res) \
	"{'AWSTemplateFormatVersion': '2010-09-09',\n 'Resources': {\n" \
	"  'WebAcl': {'Type': 'AWS::EC2::NetworkAcl', 'Properties': {'VpcId': 'vpc-1'}}" res "}}"
#define J_ENTRY(id, props) \
	",\n  '" id "': {'Type': 'AWS::EC2::NetworkAclEntry', 'Properties': {'NetworkAclId': {'Ref': 'WebAcl'}, " props "}}"

static const struct rd_case cfn_json[] = {
	{ "strings as in AWS's examples", "t.json",
	  J_TPL(J_ENTRY("InboundHTTP", "'RuleNumber': '100', 'Protocol': '6', 'RuleAction': 'allow', 'Egress': 'false', 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': '80', 'To': '80'}")
		J_ENTRY("Out", "'RuleNumber': 100, 'Protocol': -1, 'RuleAction': 'allow', 'Egress': true, 'CidrBlock': {'Fn::Sub': '0.0.0.0/${!x}'}")),
	  .err = "t.json:5:185: Resources.Out.Properties.CidrBlock: invalid CIDR '0.0.0.0/${x}': expected A.B.C.D/N or X:X::X/N" },
	{ "numbers and booleans", "t.json",
	  J_TPL(J_ENTRY("InboundHTTP", "'RuleNumber': '100', 'Protocol': '6', 'RuleAction': 'allow', 'Egress': 'false', 'CidrBlock': '0.0.0.0/0', 'PortRange': {'From': '80', 'To': '80'}")
		J_ENTRY("Out", "'RuleNumber': 100, 'Protocol': -1, 'RuleAction': 'allow', 'Egress': true, 'Ipv6CidrBlock': {'Fn::Join': [':', ['2001', 'db8', '', '/32']]}")),
	  .rules = { "in 100 allow tcp 80 0.0.0.0/0", "out 100 allow all - 2001:db8::/32" } },
	{ "PortRange.To out of range", "t.json",
	  J_TPL(J_ENTRY("InboundHTTP", "'RuleNumber': 100, 'Protocol': 6, 'RuleAction': 'allow', 'CidrBlock': '0.0.0.0/0',\n   'PortRange': {'From': 80, 'To': '65536'}")),
	  .err = "t.json:5:36: Resources.InboundHTTP.Properties.PortRange.To: expected an integer 0..65535, got '65536'" },
	{ "Icmp missing, protocol 1", "t.json",
	  J_TPL(J_ENTRY("Ping", "'RuleNumber': 100, 'Protocol': 1, 'RuleAction': 'allow', 'CidrBlock': '0.0.0.0/0'")),
	  .err = "t.json:4:63: Resources.Ping.Properties: missing Icmp {\"Type\": T, \"Code\": C}: EC2 requires it for protocol 1 and for 58 with an IPv6 CIDR (use -1 for any type or code)" },
	{ "Icmp with -1: any type and code", "t.json",
	  J_TPL(J_ENTRY("Ping", "'RuleNumber': 100, 'Protocol': 1, 'RuleAction': 'allow', 'CidrBlock': '0.0.0.0/0', 'Icmp': {'Code': -1, 'Type': -1}")),
	  .warn = { "t.json: no outbound entries: all outbound traffic is denied (only the default rule *)" },
	  .rules = { "in 100 allow icmp all 0.0.0.0/0" } },
	{ "Fn::GetAtt", "t.json",
	  J_TPL(J_ENTRY("InboundHTTP", "'RuleNumber': 100, 'Protocol': 6, 'RuleAction': 'allow',\n   'CidrBlock': {'Fn::GetAtt': ['Vpc', 'CidrBlock']}")),
	  .err = "t.json:5:17: Resources.InboundHTTP.Properties.CidrBlock: InboundHTTP's CidrBlock uses Fn::GetAtt, which naclemu cannot resolve offline: expected a literal, or a Ref to a template parameter" },
	{ "invalid JSON", "t.json", "{'Resources': {'A': 1,}}",
	  .err = "t.json:1:23: invalid JSON: string or '}' expected near '}'" },
	{ "duplicate key", "t.json", "{'Resources': {}, 'Resources': {}}",
	  .err = "t.json:1:29: invalid JSON: duplicate object key near '\"Resources\"'" },
	{ "YAML in flow style", "t.template", "{Resources: {WebAcl: {Type: 'AWS::EC2::NetworkAcl'}}}",
	  .warn = { "t.template: no inbound entries: all inbound traffic is denied (only the default rule *)",
		    "t.template: no outbound entries: all outbound traffic is denied (only the default rule *)" } },
	{ "a resource not an object", "t.json", "{'Resources': {'A': 1}}",
	  .err = "t.json:1:21: Resources.A: expected an object (a resource), got 1" },
	{ "not an object", "t.json", "[]", NACL_FORMAT_CLOUDFORMATION,
	  .err = "t.json:1:1: expected an object: a CloudFormation template, got an array" },
};

static const struct rd_table t_cfn_json = TABLE(cfn_json);

/* ---- the same NACL from every format -------------------------------------------------- */

/*
 * examples/web-server.nacl and examples/lb-private.nacl as
 * describe-network-acls prints them (abridged: no Tags, OwnerId).
 */
static const char aws_web_lb[] =
	"{\"NetworkAcls\": [\n"
	" {\"NetworkAclId\": \"acl-0c1d2e3f4a5b60001\", \"VpcId\": \"vpc-0c1d2e3f4a5b60000\", \"IsDefault\": false,\n"
	"  \"Associations\": [{\"NetworkAclAssociationId\": \"aclassoc-0c1d2e3f4a5b60011\", \"NetworkAclId\": \"acl-0c1d2e3f4a5b60001\", \"SubnetId\": \"subnet-0c1d2e3f4a5b60011\"}],\n"
	"  \"Entries\": [\n"
	"   {\"RuleNumber\": 100, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": true, \"CidrBlock\": \"0.0.0.0/0\", \"PortRange\": {\"From\": 1024, \"To\": 65535}},\n"
	"   {\"RuleNumber\": 110, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": true, \"Ipv6CidrBlock\": \"::/0\", \"PortRange\": {\"From\": 1024, \"To\": 65535}},\n"
	"   {\"RuleNumber\": 32767, \"Protocol\": \"-1\", \"RuleAction\": \"deny\", \"Egress\": true, \"CidrBlock\": \"0.0.0.0/0\"},\n"
	"   {\"RuleNumber\": 32768, \"Protocol\": \"-1\", \"RuleAction\": \"deny\", \"Egress\": true, \"Ipv6CidrBlock\": \"::/0\"},\n"
	"   {\"RuleNumber\": 100, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": false, \"CidrBlock\": \"0.0.0.0/0\", \"PortRange\": {\"From\": 80, \"To\": 80}},\n"
	"   {\"RuleNumber\": 110, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": false, \"CidrBlock\": \"0.0.0.0/0\", \"PortRange\": {\"From\": 443, \"To\": 443}},\n"
	"   {\"RuleNumber\": 120, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": false, \"Ipv6CidrBlock\": \"::/0\", \"PortRange\": {\"From\": 80, \"To\": 80}},\n"
	"   {\"RuleNumber\": 130, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": false, \"Ipv6CidrBlock\": \"::/0\", \"PortRange\": {\"From\": 443, \"To\": 443}},\n"
	"   {\"RuleNumber\": 32767, \"Protocol\": \"-1\", \"RuleAction\": \"deny\", \"Egress\": false, \"CidrBlock\": \"0.0.0.0/0\"},\n"
	"   {\"RuleNumber\": 32768, \"Protocol\": \"-1\", \"RuleAction\": \"deny\", \"Egress\": false, \"Ipv6CidrBlock\": \"::/0\"}]},\n"
	" {\"NetworkAclId\": \"acl-0c1d2e3f4a5b60002\", \"VpcId\": \"vpc-0c1d2e3f4a5b60000\", \"IsDefault\": false,\n"
	"  \"Associations\": [{\"NetworkAclAssociationId\": \"aclassoc-0c1d2e3f4a5b60021\", \"NetworkAclId\": \"acl-0c1d2e3f4a5b60002\", \"SubnetId\": \"subnet-0c1d2e3f4a5b60021\"}],\n"
	"  \"Entries\": [\n"
	"   {\"RuleNumber\": 100, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": true, \"CidrBlock\": \"203.0.113.0/24\", \"PortRange\": {\"From\": 1024, \"To\": 65535}},\n"
	"   {\"RuleNumber\": 32767, \"Protocol\": \"-1\", \"RuleAction\": \"deny\", \"Egress\": true, \"CidrBlock\": \"0.0.0.0/0\"},\n"
	"   {\"RuleNumber\": 100, \"Protocol\": \"6\", \"RuleAction\": \"allow\", \"Egress\": false, \"CidrBlock\": \"203.0.113.0/24\", \"PortRange\": {\"From\": 80, \"To\": 80}},\n"
	"   {\"RuleNumber\": 32767, \"Protocol\": \"-1\", \"RuleAction\": \"deny\", \"Egress\": false, \"CidrBlock\": \"0.0.0.0/0\"}]}]}\n";

/* Read @path (@sel, forced @format if not AUTO) into @out; fail the test if it fails. */
static void read_ok(const char *path, enum nacl_format format, const char *acl,
		    const char *subnet, struct nacl_ruleset *out)
{
	struct nacl_select sel = { .acl_id = acl, .subnet_id = subnet,
				   .format = format };

	if (nacl_parse_file(path, &sel, out, err))
		fail_msg("%s: %s", path, err);
}

/* The models of @want and of @got are the same but for lines, columns and texts. */
static void same_model(const char *what, const struct nacl_ruleset *want,
		       const struct nacl_ruleset *got)
{
	char a[64], b[64];

	for (int d = 0; d < NACLEMU_NDIRS; d++) {
		if (want->has_dir[d] != got->has_dir[d] ||
		    want->count[d] != got->count[d]) {
			print_error("%s: %s: %zu rules (present %d), expected %zu (present %d)\n",
				    what, nacl_dir_name(d), got->count[d],
				    got->has_dir[d], want->count[d], want->has_dir[d]);
			failures++;
			continue;
		}
		for (size_t i = 0; i < want->count[d]; i++) {
			const struct nacl_rule *w = &want->rules[d][i], *g = &got->rules[d][i];

			if (w->number != g->number || w->allow != g->allow ||
			    w->protocol != g->protocol ||
			    w->port_from != g->port_from || w->port_to != g->port_to ||
			    w->icmp_type != g->icmp_type ||
			    w->icmp_code != g->icmp_code ||
			    w->cidr.family != g->cidr.family ||
			    w->cidr.prefix_len != g->cidr.prefix_len ||
			    memcmp(w->cidr.addr, g->cidr.addr, sizeof(w->cidr.addr))) {
				print_error("%s: %s rule %zu: got %s %s, expected %s %s\n",
					    what, nacl_dir_name(d), i, g->text,
					    nacl_cidr_str(&g->cidr, a), w->text,
					    nacl_cidr_str(&w->cidr, b));
				failures++;
			}
		}
	}
}

static void test_same_model(void **state)
{
	static const struct {
		const char *path;
		enum nacl_format format;
		const char *web, *web_subnet, *lb, *lb_subnet;
	} files[] = {
		{ "examples/web-lb.tfstate.json", 0, "aws_network_acl.web", NULL,
		  "module.private_tier.aws_network_acl.private", NULL },
		{ "examples/web-lb.tfstate", 0, "acl-0c1d2e3f4a5b60001", NULL,
		  NULL, "subnet-0c1d2e3f4a5b60021" },
		{ "examples/web-lb.tfstate", NACL_FORMAT_TERRAFORM, NULL,
		  "subnet-0c1d2e3f4a5b60012", "acl-0c1d2e3f4a5b60002", NULL },
		{ "examples/web-lb.cfn.yaml", 0, "WebNetworkAcl", NULL,
		  "PrivateNetworkAcl", NULL },
		{ "examples/web-lb.cfn.json", NACL_FORMAT_CLOUDFORMATION,
		  "WebNetworkAcl", NULL, "PrivateNetworkAcl", NULL },
	};
	static struct nacl_ruleset web, lb, got;
	struct nacl_select sel = { 0 };
	char what[128];

	(void)state;
	read_ok("examples/web-server.nacl", 0, NULL, NULL, &web);
	read_ok("examples/lb-private.nacl", 0, NULL, NULL, &lb);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		read_ok(files[i].path, files[i].format, files[i].web,
			files[i].web_subnet, &got);
		snprintf(what, sizeof(what), "%s web", files[i].path);
		same_model(what, &web, &got);
		read_ok(files[i].path, files[i].format, files[i].lb,
			files[i].lb_subnet, &got);
		snprintf(what, sizeof(what), "%s lb", files[i].path);
		same_model(what, &lb, &got);
	}
	/* AWS JSON, with the default entries it lists */
	sel.acl_id = "acl-0c1d2e3f4a5b60001";
	if (nacl_parse_buf("web-lb.json", aws_web_lb, strlen(aws_web_lb), &sel,
			   &got, err))
		fail_msg("AWS JSON: %s", err);
	same_model("AWS JSON web", &web, &got);
	sel.acl_id = NULL;
	sel.subnet_id = "subnet-0c1d2e3f4a5b60021";
	if (nacl_parse_buf("web-lb.json", aws_web_lb, strlen(aws_web_lb), &sel,
			   &got, err))
		fail_msg("AWS JSON: %s", err);
	same_model("AWS JSON lb", &lb, &got);
	done();
}

/*
 * The plan: the load balancer's tier is unchanged; the web tier is
 * examples/web-server-no-ephemeral.nacl with the outbound ephemeral ports
 * added (rules 110 and 130).
 */
static void test_same_model_plan(void **state)
{
	static const char added[] =
		"outbound\n"
		"  110  allow  tcp  1024-65535   0.0.0.0/0\n"
		"  130  allow  tcp  1024-65535   ::/0\n";
	static struct nacl_ruleset want, got;
	char buf[4096];
	size_t n;
	FILE *f;

	(void)state;
	f = fopen("examples/web-server-no-ephemeral.nacl", "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - sizeof(added), f);
	fclose(f);
	memcpy(buf + n, added, sizeof(added));
	if (nacl_parse_text("web-fixed.nacl", buf, strlen(buf), &want, err))
		fail_msg("%s", err);
	read_ok("examples/web-lb.tfplan.json", 0, "aws_network_acl.web", NULL, &got);
	same_model("plan web", &want, &got);
	assert_string_equal(got.acl_id, "acl-0c1d2e3f4a5b60001");
	read_ok("examples/lb-private.nacl", 0, NULL, NULL, &want);
	read_ok("examples/web-lb.tfplan.json", 0, NULL, "subnet-0c1d2e3f4a5b60021", &got);
	same_model("plan lb", &want, &got);
	done();
}

/* The examples' other properties: ids, warnings, messages. */
static void test_examples(void **state)
{
	static const struct {
		const char *path, *acl, *subnet, *params[2];
		const char *acl_id, *err;
	} cases[] = {
		{ "examples/web-lb.tfstate.json", NULL, NULL, { NULL }, NULL,
		  "examples/web-lb.tfstate.json: 2 network ACLs in this file (aws_network_acl.web, module.private_tier.aws_network_acl.private): choose one with --acl ID or --subnet-id ID" },
		{ "examples/web-lb.tfplan.json", "acl-0c1d2e3f4a5b60002", NULL, { NULL },
		  "acl-0c1d2e3f4a5b60002", NULL },
		{ "examples/web-lb.cfn.yaml", NULL, "subnet-0c1d2e3f4a5b60011", { NULL }, NULL,
		  "examples/web-lb.cfn.yaml:110:17: Resources.WebSubnetNetworkAclAssociation.Properties.SubnetId: WebSubnetNetworkAclAssociation's SubnetId refers to parameter WebSubnetId, which has no Default: give its value with --param WebSubnetId=VALUE" },
		{ "examples/web-lb.cfn.yaml", NULL, "subnet-0c1d2e3f4a5b60011",
		  { "WebSubnetId=subnet-0c1d2e3f4a5b60011", "PrivateSubnetId=subnet-0c1d2e3f4a5b60021" },
		  "WebNetworkAcl", NULL },
		{ "examples/web-lb.cfn.json", NULL, "subnet-0c1d2e3f4a5b60021",
		  { "WebSubnetId=subnet-0c1d2e3f4a5b60011", "PrivateSubnetId=subnet-0c1d2e3f4a5b60021" },
		  "PrivateNetworkAcl", NULL },
	};
	static struct nacl_ruleset got;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nacl_select sel = { .acl_id = cases[i].acl,
					   .subnet_id = cases[i].subnet,
					   .params = cases[i].params,
					   .nparams = cases[i].params[0] ? 2 : 0 };
		int ret = nacl_parse_file(cases[i].path, &sel, &got, err);

		if (cases[i].err) {
			if (ret != -EINVAL || strcmp(err, cases[i].err)) {
				print_error("%s:\n   got: %d %s\nwanted: %s\n",
					    cases[i].path, ret, err, cases[i].err);
				failures++;
			}
		} else if (ret || strcmp(got.acl_id, cases[i].acl_id) ||
			   got.nwarnings) {
			print_error("%s: %d %s, acl %s, %zu warnings\n",
				    cases[i].path, ret, err, got.acl_id,
				    got.nwarnings);
			failures++;
		}
	}
	done();
}

/* A reader must not read past len: every prefix of the examples fails cleanly. */
static void test_bounds(void **state)
{
	static const char *const paths[] = {
		"examples/web-lb.cfn.yaml", "examples/web-lb.tfstate",
	};
	static struct nacl_ruleset got;

	(void)state;
	for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
		static char whole[65536];
		FILE *f = fopen(paths[k], "r");
		size_t len;

		assert_non_null(f);
		len = fread(whole, 1, sizeof(whole), f);
		fclose(f);
		for (size_t n = 0; n < len; n += 97) {
			/* exactly n bytes, so that ASan sees a read past the end */
			char *buf = malloc(n ? n : 1);
			struct nacl_select sel = { .acl_id = "WebNetworkAcl" };
			int ret;

			assert_non_null(buf);
			memcpy(buf, whole, n);
			ret = nacl_parse_buf(paths[k], buf, n, &sel, &got, err);
			free(buf);
			if (ret && (!err[0] || strchr(err, '\n')))
				fail_msg("%s: %zu bytes: '%s'", paths[k], n, err);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		TABLE_TEST("choose", t_choose),
		TABLE_TEST("terraform_state", t_tf_state),
		TABLE_TEST("terraform_tfstate", t_tf_tfstate),
		TABLE_TEST("terraform_plan", t_tf_plan),
		TABLE_TEST("cloudformation_yaml", t_cfn_yaml),
		TABLE_TEST("cloudformation_json", t_cfn_json),
		cmocka_unit_test(test_same_model),
		cmocka_unit_test(test_same_model_plan),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
