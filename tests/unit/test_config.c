// SPDX-License-Identifier: MIT
/*
 * test_config.c - the host configuration of `naclemu apply`
 * (user/deploy/config.c, docs/config.md): every error with its exact
 * message and position, a configuration with every key read into the
 * typed struct, warnings, relative rule paths, the empty configuration.
 * Table-driven: a case is a YAML document and the expected error.
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
#include <unistd.h>

#include "deploy/config.h"
#include "table.h"

/* A folder with the rule files the cases name (made by setup). */
static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/naclemu-test-config.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	write_file("good.nacl", "inbound\n  100 allow tcp 22 0.0.0.0/0\noutbound\n"
				"  100 allow all - 0.0.0.0/0\n");
	write_file("bad.nacl", "inbound\n  100 allow tcp 99999 0.0.0.0/0\n");
	write_file("two.json", "{\"NetworkAcls\": [{\"NetworkAclId\": \"acl-1\", \"Entries\": []},"
			       " {\"NetworkAclId\": \"acl-2\", \"Entries\": []}]}\n");
	write_file("acl.cfn.yaml",
		   "Parameters:\n"
		   "  Cidr: {Type: String, Default: 10.0.0.0/8}\n"
		   "  Num: {Type: Number, Default: 100}\n"
		   "Resources:\n"
		   "  Acl: {Type: 'AWS::EC2::NetworkAcl', Properties: {VpcId: vpc-1}}\n"
		   "  In:\n"
		   "    Type: AWS::EC2::NetworkAclEntry\n"
		   "    Properties: {NetworkAclId: !Ref Acl, RuleNumber: !Ref Num, Protocol: -1,\n"
		   "                 RuleAction: allow, Egress: false, CidrBlock: !Ref Cidr}\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static int parse(const char *yaml, struct deploy_config *cfg, char err[NACL_MSG_LEN])
{
	memset(cfg, 0, sizeof(*cfg));
	return deploy_config_parse("cfg.yaml", dir, yaml, strlen(yaml), cfg, err);
}

/* An entry around @k: "nacls:\n  - interfaces: eth1\n    rules: good.nacl\n" + @k. */
#define ENTRY(k) "nacls:\n  - interfaces: eth1\n    rules: good.nacl\n" k

/*
 * struct cfg_case - a configuration and its error: @err is the whole
 * message, where "@" stands for the rule folder.
 */
struct cfg_case {
	const char *name;
	const char *yaml;
	const char *err;
};

static const struct cfg_case cases[] = {
	{ "invalid YAML", "nacls: [\n", "cfg.yaml:2:1: invalid YAML: did not find expected node content while parsing a flow node" },
	{ "top level a list", "- a\n", "cfg.yaml:1:1: expected the configuration (a mapping), got an array" },
	{ "unknown top key", "nacl:\n  - x\n",
	  "cfg.yaml:2:3: nacl: unknown key 'nacl' in the configuration (known: version, nacls, "
	  "exporter, metrics, flow-log)" },
	{ "version 2", "version: 2\n", "cfg.yaml:1:10: version: expected an integer 1..1, got 2" },
	{ "nacls a mapping", "nacls:\n  a: 1\n",
	  "cfg.yaml:2:3: nacls: expected a list of entries, got an object" },
	{ "entry a string", "nacls:\n  - eth1\n",
	  "cfg.yaml:2:5: nacls[0]: expected an entry of nacls (a mapping), got a string" },
	{ "unknown entry key", ENTRY("    interface: eth2\n"),
	  "cfg.yaml:4:16: nacls[0].interface: unknown key 'interface' in an entry of nacls (known: "
	  "name, netns, interfaces, rules, acl, subnet-id, format, params, subnet, exempt, vpc, "
	  "events-rate, hook, flow-log)" },
	{ "name a number", ENTRY("    name: 5\n"), "cfg.yaml:4:11: nacls[0].name: expected a non-empty string, got 5" },
	{ "name empty", ENTRY("    name: ''\n"), "cfg.yaml:4:11: nacls[0].name: expected a non-empty string, got a string" },
	{ "two entries named alike",
	  "nacls:\n  - {name: a, interfaces: eth1, rules: good.nacl}\n"
	  "  - {name: a, interfaces: eth2, rules: good.nacl}\n",
	  "cfg.yaml:3:5: nacls[1]: a second entry named 'a'" },
	{ "netns a bad label", ENTRY("    netns: 'net:[12x]'\n"),
	  "cfg.yaml:4:12: nacls[0].netns: 'net:[12x]' is not a network namespace name (as 'ip "
	  "netns list' shows them), a path or a 'net:[INODE]' label" },
	{ "netns a list", ENTRY("    netns: [a]\n"),
	  "cfg.yaml:4:12: nacls[0].netns: expected a non-empty string, got an array" },
	{ "no interfaces", "nacls:\n  - rules: good.nacl\n",
	  "cfg.yaml:2:5: nacls[0]: the entry has no 'interfaces' (names or patterns)" },
	{ "interfaces empty", "nacls:\n  - interfaces: []\n    rules: good.nacl\n",
	  "cfg.yaml:2:17: nacls[0].interfaces: no interface or pattern given" },
	{ "interfaces a mapping", "nacls:\n  - interfaces: {a: 1}\n    rules: good.nacl\n",
	  "cfg.yaml:2:17: nacls[0].interfaces: expected a string or a list of strings, got an object" },
	{ "interface a number", "nacls:\n  - interfaces: [eth1, 7]\n    rules: good.nacl\n",
	  "cfg.yaml:2:24: nacls[0].interfaces[1]: expected a string, got 7" },
	{ "interface name too long", "nacls:\n  - interfaces: abcdefghijklmnopq\n    rules: good.nacl\n",
	  "cfg.yaml:2:17: nacls[0].interfaces: 'abcdefghijklmnopq' is not an interface name (at "
	  "most 15 characters, no '/', ':' or space)" },
	{ "pattern with a slash", "nacls:\n  - interfaces: 'a/*'\n    rules: good.nacl\n",
	  "cfg.yaml:2:17: nacls[0].interfaces: 'a/*' is not an interface pattern" },
	{ "interface twice", "nacls:\n  - interfaces: [eth1, eth1]\n    rules: good.nacl\n",
	  "cfg.yaml:2:24: nacls[0].interfaces[1]: 'eth1' is listed twice" },
	{ "no rules", "nacls:\n  - interfaces: eth1\n",
	  "cfg.yaml:2:5: nacls[0]: the entry has no 'rules' (its rule file)" },
	{ "rules missing", "nacls:\n  - interfaces: eth1\n    rules: nothere.nacl\n",
	  "cfg.yaml:3:12: nacls[0].rules: @/nothere.nacl: cannot open: No such file or directory" },
	{ "rules invalid", "nacls:\n  - interfaces: eth1\n    rules: bad.nacl\n",
	  "cfg.yaml:3:12: nacls[0].rules: @/bad.nacl:2:17: port 99999 is out of range: expected 0..65535" },
	{ "rules need a selector", "nacls:\n  - interfaces: eth1\n    rules: two.json\n",
	  "cfg.yaml:3:12: nacls[0].rules: @/two.json: 2 network ACLs in this file (acl-1, "
	  "acl-2): choose one with --acl ID or --subnet-id ID" },
	{ "acl on a text file", ENTRY("    acl: acl-1\n"),
	  "cfg.yaml:3:12: nacls[0].rules: @/good.nacl: --acl applies to a file that holds ACLs: "
	  "AWS JSON, Terraform or CloudFormation" },
	{ "bad format", ENTRY("    format: hcl\n"),
	  "cfg.yaml:4:13: nacls[0].format: expected text, aws, terraform, cloudformation or "
	  "auto, not 'hcl'" },
	{ "params a list", ENTRY("    params: [a]\n"),
	  "cfg.yaml:4:13: nacls[0].params: expected a mapping NAME: VALUE, got an array" },
	{ "param a list", ENTRY("    params: {A: [1]}\n"),
	  "cfg.yaml:4:17: nacls[0].params.A: expected a string or a number, got an array" },
	{ "subnet not a CIDR", ENTRY("    subnet: 192.0.2.0/33\n"),
	  "cfg.yaml:4:13: nacls[0].subnet: '192.0.2.0/33' is not a CIDR (e.g. 192.0.2.0/24, "
	  "2001:db8::/32)" },
	{ "subnet without a length", ENTRY("    subnet: [192.0.2.1]\n"),
	  "cfg.yaml:4:14: nacls[0].subnet[0]: '192.0.2.1' is not a CIDR (e.g. 192.0.2.0/24, "
	  "2001:db8::/32)" },
	{ "exempt a mapping", ENTRY("    exempt: {a: b}\n"),
	  "cfg.yaml:4:13: nacls[0].exempt: expected a string or a list of strings, got an object" },
	{ "exempt: 17 CIDRs",
	  ENTRY("    exempt: [192.0.2.0/32, 192.0.2.1/32, 192.0.2.2/32, 192.0.2.3/32, 192.0.2.4/32,"
		" 192.0.2.5/32, 192.0.2.6/32, 192.0.2.7/32, 192.0.2.8/32, 192.0.2.9/32,"
		" 192.0.2.10/32, 192.0.2.11/32, 192.0.2.12/32, 192.0.2.13/32, 192.0.2.14/32,"
		" 192.0.2.15/32, 192.0.2.16/32]\n"),
	  "cfg.yaml:4:244: nacls[0].exempt[16]: at most 16 exempt CIDRs" },
	{ "vpc IPv6", ENTRY("    vpc: 2001:db8::/32\n"),
	  "cfg.yaml:4:10: nacls[0].vpc: '2001:db8::/32': a vpc CIDR is an IPv4 CIDR" },
	{ "events-rate too high", ENTRY("    events-rate: 1000001\n"),
	  "cfg.yaml:4:18: nacls[0].events-rate: expected an integer 0..1000000, got 1000001" },
	{ "events-rate a string", ENTRY("    events-rate: fast\n"),
	  "cfg.yaml:4:18: nacls[0].events-rate: expected an integer 0..1000000, got a string" },
	{ "bad hook", ENTRY("    hook: xdp\n"),
	  "cfg.yaml:4:11: nacls[0].hook: expected tcx, clsact or auto, not 'xdp'" },
	{ "flow-log a string", ENTRY("    flow-log: yes please\n"),
	  "cfg.yaml:4:15: nacls[0].flow-log: expected true or false, got a string" },
	{ "exporter a string", "exporter: 127.0.0.1:9818\n",
	  "cfg.yaml:1:11: exporter: expected exporter (a mapping), got a string" },
	{ "exporter unknown key", "exporter:\n  port: 9818\n",
	  "cfg.yaml:2:9: exporter.port: unknown key 'port' in exporter (known: listen)" },
	{ "exporter bad listen", "exporter:\n  listen: localhost:9818\n",
	  "cfg.yaml:2:11: exporter.listen: expected ADDR:PORT (127.0.0.1:9818, [::1]:9818), not "
	  "'localhost:9818'" },
	{ "exporter port 0", "exporter:\n  listen: '[::1]:0'\n",
	  "cfg.yaml:2:11: exporter.listen: expected ADDR:PORT (127.0.0.1:9818, [::1]:9818), not "
	  "'[::1]:0'" },
	{ "metrics unknown key", "metrics:\n  dir: /tmp\n",
	  "cfg.yaml:2:8: metrics.dir: unknown key 'dir' in metrics (known: textfile)" },
	{ "metrics textfile a number", "metrics:\n  textfile: 1\n",
	  "cfg.yaml:2:13: metrics.textfile: expected a non-empty string, got 1" },
	{ "flow-log unknown key", "flow-log:\n  file: x\n",
	  "cfg.yaml:2:9: flow-log.file: unknown key 'file' in flow-log (known: output, interval, "
	  "format)" },
	{ "flow-log interval 0", "flow-log:\n  interval: 0\n",
	  "cfg.yaml:2:13: flow-log.interval: expected an integer 1..3600, got 0" },
	{ "flow-log interval too long", "flow-log:\n  interval: 3601\n",
	  "cfg.yaml:2:13: flow-log.interval: expected an integer 0..3600, got 3601" },
	{ "flow-log format unknown field", "flow-log:\n  format: '${srcaddr} ${nope}'\n",
	  "cfg.yaml:2:11: flow-log.format: column 12: unknown field 'nope' (the fields of flow log "
	  "versions 2 to 5)" },
	{ "flow-log output a list", "flow-log:\n  output: [a]\n",
	  "cfg.yaml:2:11: flow-log.output: expected a non-empty string, got an array" },
};

static void test_errors(void **state)
{
	struct deploy_config cfg;
	char err[NACL_MSG_LEN], want[NACL_MSG_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cfg_case *c = &cases[i];
		const char *at = strchr(c->err, '@');
		int ret = parse(c->yaml, &cfg, err);

		if (at)
			snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - c->err), c->err, dir, at + 1);
		else
			snprintf(want, sizeof(want), "%s", c->err);
		if (ret != -EINVAL || strcmp(err, want)) {
			print_error("%s: got %d '%s'\n   want '%s'\n", c->name, ret, err, want);
			failures++;
		}
		deploy_config_free(&cfg);
	}
	done();
}

/* Too many entries, interfaces, params: the limits of config.h. */
static void test_limits(void **state)
{
	struct deploy_config cfg;
	char err[NACL_MSG_LEN], *y = malloc(64 * 1024);
	size_t n = 0;

	(void)state;
	assert_non_null(y);
	n += (size_t)sprintf(y + n, "nacls:\n  - rules: good.nacl\n    interfaces: [");
	for (int i = 0; i <= DEPLOY_MAX_IFACES; i++)
		n += (size_t)sprintf(y + n, "%se%d", i ? ", " : "", i);
	sprintf(y + n, "]\n");
	assert_int_equal(parse(y, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "nacls[0].interfaces[64]: at most 64 interfaces or patterns"));
	deploy_config_free(&cfg);

	n = (size_t)sprintf(y, "nacls:\n");
	for (int i = 0; i <= DEPLOY_MAX_ENTRIES; i++)
		n += (size_t)sprintf(y + n, "  - {interfaces: e%d, rules: good.nacl}\n", i);
	assert_int_equal(parse(y, &cfg, err), -EINVAL);
	assert_string_equal(err, "cfg.yaml:2:3: nacls: at most 256 entries");
	deploy_config_free(&cfg);

	n = (size_t)sprintf(y, ENTRY("    params: {"));
	for (int i = 0; i <= DEPLOY_MAX_PARAMS; i++)
		n += (size_t)sprintf(y + n, "%sP%d: v", i ? ", " : "", i);
	sprintf(y + n, "}\n");
	assert_int_equal(parse(y, &cfg, err), -EINVAL);
	assert_non_null(strstr(err, "nacls[0].params.P32: at most 32 params"));
	deploy_config_free(&cfg);
	free(y);
}

/* NACLEMU_HOOK, attach's default hook, is checked when an entry has no hook. */
static void test_hook_env(void **state)
{
	struct deploy_config cfg;
	char err[NACL_MSG_LEN];

	(void)state;
	setenv("NACLEMU_HOOK", "xdp", 1);
	assert_int_equal(parse(ENTRY(""), &cfg, err), -EINVAL);
	assert_string_equal(err, "cfg.yaml:2:5: nacls[0]: NACLEMU_HOOK wants tcx, clsact or auto, "
				 "not 'xdp'");
	deploy_config_free(&cfg);
	setenv("NACLEMU_HOOK", "clsact", 1);
	assert_int_equal(parse(ENTRY(""), &cfg, err), 0);
	assert_int_equal(cfg.entries[0].hook, DP_HOOK_CLSACT);
	deploy_config_free(&cfg);
	unsetenv("NACLEMU_HOOK");
}

/* Every key read into the typed configuration. */
static void test_full(void **state)
{
	static const char yaml[] =
		"# a host\n"
		"version: 1\n"
		"exporter: {listen: '[::1]:9818'}\n"
		"metrics: {textfile: /var/lib/node_exporter}\n"
		"flow-log: {output: '-', interval: 10, format: '${srcaddr} ${action}'}\n"
		"nacls:\n"
		"  - name: web\n"
		"    netns: /proc/1/ns/net\n"
		"    interfaces: [eth1, 'veth*']\n"
		"    rules: good.nacl\n"
		"    format: text\n"
		"    subnet: 192.0.2.1/24\n"
		"    exempt: [198.51.100.7/32, '2001:db8::/32']\n"
		"    vpc: 192.0.2.0/24\n"
		"    events-rate: 10\n"
		"    hook: clsact\n"
		"    flow-log: true\n"
		"  - interfaces: eth2\n"
		"    netns: root\n"
		"    rules: %s/acl.cfn.yaml\n"
		"    params: {Cidr: 192.0.2.0/24, Num: 120}\n"
		"    format: cloudformation\n";
	struct deploy_config cfg;
	char err[NACL_MSG_LEN], path[128], buf[64], doc[sizeof(yaml) + 64];
	const struct deploy_entry *e;

	(void)state;
	snprintf(doc, sizeof(doc), yaml, dir);
	if (parse(doc, &cfg, err))
		fail_msg("%s", err);
	assert_int_equal(cfg.n, 2);
	assert_string_equal(cfg.exporter_listen, "[::1]:9818");
	assert_string_equal(cfg.metrics_textfile, "/var/lib/node_exporter");
	assert_string_equal(cfg.flowlog_output, "-");
	assert_int_equal(cfg.flowlog_interval, 10);
	assert_string_equal(cfg.flowlog_format, "${srcaddr} ${action}");
	e = &cfg.entries[0];
	assert_string_equal(e->name, "web");
	assert_int_equal(e->line, 7);
	assert_int_equal(e->col, 5);
	assert_string_equal(e->netns, "/proc/1/ns/net");
	assert_int_equal(e->nifaces, 2);
	assert_string_equal(e->ifaces[1], "veth*");
	assert_true(deploy_iface_is_pattern(e->ifaces[1]));
	assert_false(deploy_iface_is_pattern(e->ifaces[0]));
	snprintf(path, sizeof(path), "%s/good.nacl", dir);
	assert_string_equal(e->rules_path, path);
	assert_int_equal(e->rs->count[NACLEMU_INGRESS], 1);
	assert_int_equal(e->nsubnet, 1);
	assert_string_equal(nacl_cidr_str(&e->subnet[0], buf), "192.0.2.0/24");
	assert_int_equal(e->nexempt, 2);
	assert_string_equal(nacl_cidr_str(&e->exempt[1], buf), "2001:db8::/32");
	assert_int_equal(e->nvpc, 1);
	assert_int_equal(e->events_rate, 10);
	assert_int_equal(e->hook, DP_HOOK_CLSACT);
	assert_true(e->flow_log);
	/* The host bits of subnet: a warning at the value; then the rule file's own. */
	if (cfg.nwarnings != 2)
		fail_msg("%zu warnings: %s", cfg.nwarnings, cfg.warnings[cfg.nwarnings - 1]);
	assert_non_null(strstr(cfg.warnings[1], "acl.cfn.yaml"));
	assert_string_equal(cfg.warnings[0], "cfg.yaml:12:13: nacls[0].subnet: 192.0.2.1/24 has "
					     "host bits set: using 192.0.2.0/24");
	e = &cfg.entries[1];
	assert_string_equal(e->name, "nacls[1]");
	assert_null(e->netns); /* root */
	snprintf(path, sizeof(path), "%s/acl.cfn.yaml", dir);
	assert_string_equal(e->rules_path, path); /* absolute: as written */
	assert_int_equal(e->select.nparams, 2);
	assert_string_equal(e->select.params[0], "Cidr=192.0.2.0/24");
	assert_string_equal(e->select.params[1], "Num=120");
	assert_int_equal(e->select.format, NACL_FORMAT_CLOUDFORMATION);
	assert_int_equal(e->rs->count[NACLEMU_INGRESS], 1);
	assert_int_equal(e->rs->rules[NACLEMU_INGRESS][0].number, 120);
	assert_string_equal(nacl_cidr_str(&e->rs->rules[NACLEMU_INGRESS][0].cidr, buf), "192.0.2.0/24");
	assert_int_equal(e->events_rate, 1000);
	assert_false(e->flow_log);
	deploy_config_free(&cfg);
}

/* Blank, comments only, or no nacls: a configuration with nothing to attach. */
static void test_empty(void **state)
{
	static const char *const docs[] = { "", "# nothing\n\n", "version: 1\n", "nacls:\n",
					    "nacls: []\n", "---\n" };
	struct deploy_config cfg;
	char err[NACL_MSG_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		if (parse(docs[i], &cfg, err) || cfg.n) {
			print_error("'%s': %s, %zu entries\n", docs[i], err, cfg.n);
			failures++;
		}
		deploy_config_free(&cfg);
	}
	done();
}

/* deploy_config_load(): a missing file; the contrib example stays valid. */
static void test_load(void **state)
{
	struct deploy_config cfg;
	char err[NACL_MSG_LEN];

	(void)state;
	assert_int_equal(deploy_config_load("/nonexistent/naclemu.yaml", &cfg, err), -ENOENT);
	assert_string_equal(err, "/nonexistent/naclemu.yaml: cannot read the configuration: No "
				 "such file or directory");
	deploy_config_free(&cfg);
	if (deploy_config_load("contrib/naclemu.yaml", &cfg, err))
		fail_msg("contrib/naclemu.yaml: %s", err);
	assert_true(cfg.n >= 2);
	deploy_config_free(&cfg);
}

/* Names and patterns of an entry against interface names (the daemon's question). */
static void test_matches(void **state)
{
	struct deploy_config cfg;
	char err[NACL_MSG_LEN];

	(void)state;
	if (parse("nacls:\n  - interfaces: [eth1, 'veth*', 'c[0-9]', 'x?']\n    rules: good.nacl\n",
		  &cfg, err))
		fail_msg("%s", err);
	assert_true(deploy_entry_matches(&cfg.entries[0], "eth1"));
	assert_false(deploy_entry_matches(&cfg.entries[0], "eth10"));
	assert_true(deploy_entry_matches(&cfg.entries[0], "veth"));
	assert_true(deploy_entry_matches(&cfg.entries[0], "veth1a2b"));
	assert_false(deploy_entry_matches(&cfg.entries[0], "aveth1"));
	assert_true(deploy_entry_matches(&cfg.entries[0], "c7"));
	assert_false(deploy_entry_matches(&cfg.entries[0], "ca"));
	assert_true(deploy_entry_matches(&cfg.entries[0], "xy"));
	assert_false(deploy_entry_matches(&cfg.entries[0], "xyz"));
	deploy_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hook_env), cmocka_unit_test(test_full),
		cmocka_unit_test(test_empty),	cmocka_unit_test(test_load),
		cmocka_unit_test(test_matches),
	};

	unsetenv("NACLEMU_HOOK");
	return cmocka_run_group_tests(tests, setup, teardown);
}
