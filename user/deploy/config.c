// SPDX-License-Identifier: MIT
/*
 * config.c - the host configuration (config.h, docs/config.md).
 *
 * The YAML is loaded by the CloudFormation reader's loader (rules/yaml.c:
 * libyaml's document loader into a jansson tree that keeps every value's
 * line and column), so that the configuration and the rule files share one
 * YAML reading and one way of naming a position (rules/jdoc.h).  Every key
 * is checked against the table of its mapping: an unknown key, a value of
 * the wrong type, a bad CIDR, a rule file that is missing or invalid stops
 * the load with one message at the value.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deploy/config.h"
#include "output/flowlog_run.h"
#include "rules/jdoc.h"
#include "rules/yaml.h"

/* The largest configuration read (far above any host's). */
#define DEPLOY_MAX_BYTES (4 << 20)

/* A configuration being read: the document, where the result goes. */
struct cload {
	struct nacl_jdoc d;
	struct nacl_marks marks;
	const char *dir; /* relative rule paths start here */
	struct deploy_config *cfg;
};

bool deploy_iface_is_pattern(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

bool deploy_entry_matches(const struct deploy_entry *e, const char *ifname)
{
	for (size_t i = 0; i < e->nifaces; i++)
		if (deploy_iface_is_pattern(e->ifaces[i]) ? !fnmatch(e->ifaces[i], ifname, 0) :
							    !strcmp(e->ifaces[i], ifname))
			return true;
	return false;
}

/* A warning "FILE:LINE:COL: PATH: message" at @p into the configuration. */
static void cwarn(struct cload *c, const struct nacl_jpath *p, const char *fmt, const char *a,
		  const char *b)
{
	char where[NACL_JPATH_LEN];
	uint32_t line, col;
	struct deploy_config *cfg = c->cfg;

	if (cfg->nwarnings >= DEPLOY_MAX_WARNINGS)
		return;
	nacl_jp_str(p, where, sizeof(where));
	nacl_jpos(&c->d, p, &line, &col);
	snprintf(cfg->warnings[cfg->nwarnings], NACL_MSG_LEN, "%s:%u:%u: %s: ", c->d.name, line, col,
		 where);
	snprintf(cfg->warnings[cfg->nwarnings] + strlen(cfg->warnings[cfg->nwarnings]),
		 NACL_MSG_LEN - strlen(cfg->warnings[cfg->nwarnings]), fmt, a, b);
	cfg->nwarnings++;
}

/*
 * Every key of mapping @obj at @p must be one of @keys (NULL-terminated);
 * @obj must be a mapping (@what says of what, for the message).
 */
static int check_keys(struct cload *c, const json_t *obj, const struct nacl_jpath *p,
		      const char *what, const char *const *keys)
{
	const char *key;
	json_t *v;
	char tbuf[32];

	if (!json_is_object(obj))
		return nacl_jfail(&c->d, p, "expected %s (a mapping), got %s", what,
				  nacl_jtype(obj, tbuf));
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		char list[256] = "";

		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (keys[i])
			continue;
		for (i = 0; keys[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
				 keys[i]);
		struct nacl_jpath kp = nacl_jp_key(p, key);
		return nacl_jfail(&c->d, &kp, "unknown key '%s' in %s (known: %s)", key, what, list);
	}
	return 0;
}

/* @obj's member @key as a new string in *@out (NULL when absent); not empty. */
static int get_str(struct cload *c, const json_t *obj, const struct nacl_jpath *p, const char *key,
		   char **out)
{
	json_t *v = json_object_get(obj, key);
	struct nacl_jpath kp = nacl_jp_key(p, key);
	char tbuf[32];

	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v))
		return nacl_jfail(&c->d, &kp, "expected a non-empty string, got %s",
				  nacl_jtype(v, tbuf));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return nacl_jfail(&c->d, &kp, "a NUL character in the string");
	*out = strdup(json_string_value(v));
	return *out ? 0 : nacl_jfail(&c->d, &kp, "out of memory");
}

/*
 * @obj's member @key as a list of strings: one string, or a sequence of
 * them.  @fn checks each (0 or -EINVAL after nacl_jfail); NULL when absent.
 */
typedef int (*str_fn)(struct cload *c, const struct nacl_jpath *p, const char *s, void *arg);

static int get_list(struct cload *c, const json_t *obj, const struct nacl_jpath *p, const char *key,
		    str_fn fn, void *arg)
{
	json_t *v = json_object_get(obj, key), *item;
	struct nacl_jpath kp = nacl_jp_key(p, key), ip;
	char tbuf[32];
	size_t i;
	int ret;

	if (!v)
		return 0;
	if (json_is_string(v))
		return fn(c, &kp, json_string_value(v), arg);
	if (!json_is_array(v))
		return nacl_jfail(&c->d, &kp, "expected a string or a list of strings, got %s",
				  nacl_jtype(v, tbuf));
	json_array_foreach(v, i, item) {
		ip = nacl_jp_idx(&kp, i);
		if (!json_is_string(item))
			return nacl_jfail(&c->d, &ip, "expected a string, got %s",
					  nacl_jtype(item, tbuf));
		if ((ret = fn(c, &ip, json_string_value(item), arg)))
			return ret;
	}
	return 0;
}

/* @obj's integer member @key in [@min, @max] into *@out (kept when absent). */
static int get_uint(struct cload *c, const json_t *obj, const struct nacl_jpath *p, const char *key,
		    long max, uint32_t *out)
{
	long v;
	int ret = nacl_jint(&c->d, obj, p, key, 0, max, false, (long)*out, &v);

	if (!ret)
		*out = (uint32_t)v;
	return ret;
}

/* ---- entries ---- */

struct cidr_list {
	struct naclemu_cidr *list;
	uint8_t *n;
	const char *key;
};

static int add_cidr(struct cload *c, const struct nacl_jpath *p, const char *s, void *arg)
{
	struct cidr_list *l = arg;
	char buf[64];
	bool host;

	if (*l->n >= NACLEMU_MAX_CIDRS)
		return nacl_jfail(&c->d, p, "at most %d %s CIDRs", NACLEMU_MAX_CIDRS, l->key);
	if (nacl_parse_cidr(s, &l->list[*l->n], &host) || !strchr(s, '/'))
		return nacl_jfail(&c->d, p, "'%.80s' is not a CIDR (e.g. 192.0.2.0/24, 2001:db8::/32)",
				  s);
	/* As attach --vpc: the Resolver at base + 2 is an IPv4 address. */
	if (!strcmp(l->key, "vpc") && l->list[*l->n].family != 4)
		return nacl_jfail(&c->d, p, "'%.80s': a vpc CIDR is an IPv4 CIDR", s);
	if (host)
		cwarn(c, p, "%s has host bits set: using %s", s, nacl_cidr_str(&l->list[*l->n], buf));
	(*l->n)++;
	return 0;
}

static int add_iface(struct cload *c, const struct nacl_jpath *p, const char *s, void *arg)
{
	struct deploy_entry *e = arg;

	if (e->nifaces >= DEPLOY_MAX_IFACES)
		return nacl_jfail(&c->d, p, "at most %d interfaces or patterns", DEPLOY_MAX_IFACES);
	if (deploy_iface_is_pattern(s)) {
		/* Characters no interface name has could never match. */
		if (strlen(s) > 64 || strpbrk(s, "/: \t"))
			return nacl_jfail(&c->d, p, "'%.80s' is not an interface pattern", s);
	} else if (!dp_ifname_valid(s)) {
		return nacl_jfail(&c->d, p, "'%.80s' is not an interface name (at most %d "
				  "characters, no '/', ':' or space)", s, 15);
	}
	for (size_t i = 0; i < e->nifaces; i++)
		if (!strcmp(e->ifaces[i], s))
			return nacl_jfail(&c->d, p, "'%.80s' is listed twice", s);
	e->ifaces[e->nifaces] = strdup(s);
	if (!e->ifaces[e->nifaces])
		return nacl_jfail(&c->d, p, "out of memory");
	e->nifaces++;
	return 0;
}

/* `params`: a mapping NAME: VALUE (a scalar), as --param NAME=VALUE. */
static int get_params(struct cload *c, const json_t *obj, const struct nacl_jpath *p,
		      struct deploy_entry *e)
{
	json_t *v = json_object_get(obj, "params"), *val;
	struct nacl_jpath kp = nacl_jp_key(p, "params"), vp;
	const char *key;
	char tbuf[32], num[32];
	const char *s;

	if (!v)
		return 0;
	if (!json_is_object(v))
		return nacl_jfail(&c->d, &kp, "expected a mapping NAME: VALUE, got %s",
				  nacl_jtype(v, tbuf));
	json_object_foreach(v, key, val) {
		vp = nacl_jp_key(&kp, key);
		if (e->select.nparams >= DEPLOY_MAX_PARAMS)
			return nacl_jfail(&c->d, &vp, "at most %d params", DEPLOY_MAX_PARAMS);
		if (json_is_string(val))
			s = json_string_value(val);
		else if (json_is_integer(val))
			s = (snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val)), num);
		else
			return nacl_jfail(&c->d, &vp, "expected a string or a number, got %s",
					  nacl_jtype(val, tbuf));
		if (asprintf(&e->params[e->select.nparams], "%s=%s", key, s) < 0) {
			e->params[e->select.nparams] = NULL;
			return nacl_jfail(&c->d, &vp, "out of memory");
		}
		e->select.nparams++;
	}
	e->select.params = (const char *const *)e->params;
	return 0;
}

/* `rules` (required): read now, relative to the configuration's folder. */
static int get_rules(struct cload *c, const json_t *obj, const struct nacl_jpath *p,
		     struct deploy_entry *e)
{
	struct nacl_jpath kp = nacl_jp_key(p, "rules");
	char *given = NULL, rerr[NACL_MSG_LEN];
	int ret = get_str(c, obj, p, "rules", &given);

	if (ret)
		return ret;
	if (!given)
		return nacl_jfail(&c->d, p, "the entry has no 'rules' (its rule file)");
	if (given[0] == '/' || !c->dir)
		e->rules_path = given;
	else if (asprintf(&e->rules_path, "%s/%s", c->dir, given) < 0)
		e->rules_path = NULL;
	if (e->rules_path != given)
		free(given);
	if (!e->rules_path)
		return nacl_jfail(&c->d, &kp, "out of memory");
	e->rs = calloc(1, sizeof(*e->rs));
	if (!e->rs)
		return nacl_jfail(&c->d, &kp, "out of memory");
	if (nacl_parse_file(e->rules_path, &e->select, e->rs, rerr))
		return nacl_jfail(&c->d, &kp, "%s", rerr);
	for (size_t i = 0; i < e->rs->nwarnings && c->cfg->nwarnings < DEPLOY_MAX_WARNINGS; i++)
		snprintf(c->cfg->warnings[c->cfg->nwarnings++], NACL_MSG_LEN, "%s",
			 e->rs->warnings[i]);
	return 0;
}

static int netns_check(struct cload *c, const struct nacl_jpath *p, const char *s)
{
	char label[DP_NETNS_MAX + 1];
	struct dp_error e;

	/* A path is checked when apply resolves it (it may come and go). */
	if (strchr(s, '/')) {
		if (strlen(s) >= PATH_MAX)
			return nacl_jfail(&c->d, p, "the namespace path is too long");
		return 0;
	}
	if (!strcmp(s, "root"))
		return 0; /* the root namespace, spelt out */
	if (dp_netns_resolve(s, label, &e))
		return nacl_jfail(&c->d, p, "'%.80s' is not a network namespace name (as 'ip netns "
				  "list' shows them), a path or a 'net:[INODE]' label", s);
	return 0;
}

static int read_entry(struct cload *c, const json_t *obj, const struct nacl_jpath *p, size_t idx,
		      struct deploy_entry *e)
{
	static const char *const keys[] = { "name", "netns", "interfaces", "rules", "acl",
					    "subnet-id", "format", "params", "subnet", "exempt",
					    "vpc", "events-rate", "hook", "flow-log", NULL };
	struct cidr_list subnet = { e->subnet, &e->nsubnet, "subnet" };
	struct cidr_list exempt = { e->exempt, &e->nexempt, "exempt" };
	struct cidr_list vpc = { e->vpc, &e->nvpc, "vpc" };
	struct nacl_jpath kp;
	char *s = NULL, tbuf[32];
	json_t *v;
	int ret;

	e->events_rate = 1000;
	nacl_jpos(&c->d, p, &e->line, &e->col);
	if ((ret = check_keys(c, obj, p, "an entry of nacls", keys)) ||
	    (ret = get_str(c, obj, p, "name", &e->name)))
		return ret;
	if (!e->name && asprintf(&e->name, "nacls[%zu]", idx) < 0) {
		e->name = NULL;
		return nacl_jfail(&c->d, p, "out of memory");
	}
	if ((ret = get_str(c, obj, p, "netns", &e->netns)))
		return ret;
	kp = nacl_jp_key(p, "netns");
	if (e->netns && (ret = netns_check(c, &kp, e->netns)))
		return ret;
	if (e->netns && !strcmp(e->netns, "root")) {
		free(e->netns);
		e->netns = NULL;
	}
	if (!json_object_get(obj, "interfaces"))
		return nacl_jfail(&c->d, p, "the entry has no 'interfaces' (names or patterns)");
	if ((ret = get_list(c, obj, p, "interfaces", add_iface, e)))
		return ret;
	kp = nacl_jp_key(p, "interfaces");
	if (!e->nifaces)
		return nacl_jfail(&c->d, &kp, "no interface or pattern given");
	if ((ret = get_str(c, obj, p, "acl", (char **)&e->select.acl_id)) ||
	    (ret = get_str(c, obj, p, "subnet-id", (char **)&e->select.subnet_id)) ||
	    (ret = get_str(c, obj, p, "format", &s)))
		return ret;
	kp = nacl_jp_key(p, "format");
	if (s && nacl_format_parse(s, &e->select.format)) {
		ret = nacl_jfail(&c->d, &kp, "expected text, aws, terraform, cloudformation or auto, "
				 "not '%.40s'", s);
		free(s);
		return ret;
	}
	free(s);
	s = NULL;
	if ((ret = get_params(c, obj, p, e)) ||
	    (ret = get_list(c, obj, p, "subnet", add_cidr, &subnet)) ||
	    (ret = get_list(c, obj, p, "exempt", add_cidr, &exempt)) ||
	    (ret = get_list(c, obj, p, "vpc", add_cidr, &vpc)) ||
	    (ret = get_uint(c, obj, p, "events-rate", NACLEMU_EVENTS_RATE_MAX, &e->events_rate)))
		return ret;
	if ((ret = get_str(c, obj, p, "hook", &s)))
		return ret;
	kp = nacl_jp_key(p, "hook");
	if (s && dp_hook_parse(s, &e->hook)) {
		ret = nacl_jfail(&c->d, &kp, "expected tcx, clsact or auto, not '%.40s'", s);
		free(s);
		return ret;
	}
	free(s);
	if (!json_object_get(obj, "hook")) {
		const char *env = getenv("NACLEMU_HOOK");

		if (env && *env && dp_hook_parse(env, &e->hook))
			return nacl_jfail(&c->d, p, "NACLEMU_HOOK wants tcx, clsact or auto, not '%.40s'",
					  env);
	}
	v = json_object_get(obj, "flow-log");
	kp = nacl_jp_key(p, "flow-log");
	if (v && !json_is_boolean(v))
		return nacl_jfail(&c->d, &kp, "expected true or false, got %s", nacl_jtype(v, tbuf));
	e->flow_log = v && json_is_true(v);
	return get_rules(c, obj, p, e);
}

/* ---- the top level ---- */

/* "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6), PORT 1..65535. */
static bool listen_valid(const char *s)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned char addr[16];
	uint32_t port;
	size_t n;

	if (!colon || nacl_parse_u32(colon + 1, 65535, &port) || !port)
		return false;
	n = (size_t)(colon - s);
	if (n >= sizeof(host))
		return false;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return false;
		memcpy(host, s + 1, n - 2);
		host[n - 2] = '\0';
		return inet_pton(AF_INET6, host, addr) == 1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, addr) == 1;
}

static int read_daemon_options(struct cload *c, const json_t *root, const struct nacl_jpath *top)
{
	static const char *const exporter_keys[] = { "listen", NULL };
	static const char *const metrics_keys[] = { "textfile", NULL };
	static const char *const flowlog_keys[] = { "output", "interval", "format", NULL };
	struct deploy_config *cfg = c->cfg;
	struct nacl_jpath p;
	json_t *v;
	int ret;

	cfg->flowlog_interval = 60;
	if ((v = json_object_get(root, "exporter"))) {
		p = nacl_jp_key(top, "exporter");
		if ((ret = check_keys(c, v, &p, "exporter", exporter_keys)) ||
		    (ret = get_str(c, v, &p, "listen", &cfg->exporter_listen)))
			return ret;
		p = nacl_jp_key(&p, "listen");
		if (cfg->exporter_listen && !listen_valid(cfg->exporter_listen))
			return nacl_jfail(&c->d, &p, "expected ADDR:PORT (127.0.0.1:9818, "
					  "[::1]:9818), not '%.80s'", cfg->exporter_listen);
	}
	if ((v = json_object_get(root, "metrics"))) {
		p = nacl_jp_key(top, "metrics");
		if ((ret = check_keys(c, v, &p, "metrics", metrics_keys)) ||
		    (ret = get_str(c, v, &p, "textfile", &cfg->metrics_textfile)))
			return ret;
	}
	if ((v = json_object_get(root, "flow-log"))) {
		p = nacl_jp_key(top, "flow-log");
		if ((ret = check_keys(c, v, &p, "flow-log", flowlog_keys)) ||
		    (ret = get_str(c, v, &p, "output", &cfg->flowlog_output)) ||
		    (ret = get_str(c, v, &p, "format", &cfg->flowlog_format)))
			return ret;
		if (cfg->flowlog_format) {
			struct flowlog_spec spec;
			char err[FLOWLOG_ERR_LEN];
			struct nacl_jpath fp = nacl_jp_key(&p, "format");

			flowlog_spec_init(&spec);
			/* The library speaks of the option; here it is this key. */
			if (flowlog_spec_format(&spec, cfg->flowlog_format, err))
				return nacl_jfail(&c->d, &fp, "%s",
						  strncmp(err, "--format: ", 10) ? err : err + 10);
		}
		if (!json_object_get(v, "interval"))
			return 0;
		ret = get_uint(c, v, &p, "interval", FLOWLOG_INTERVAL_MAX, &cfg->flowlog_interval);
		if (!ret && !cfg->flowlog_interval) {
			p = nacl_jp_key(&p, "interval");
			return nacl_jfail(&c->d, &p, "expected an integer 1..%d, got 0",
					  FLOWLOG_INTERVAL_MAX);
		}
		return ret;
	}
	return 0;
}

static int read_config(struct cload *c, const json_t *root)
{
	static const char *const keys[] = { "version", "nacls", "exporter", "metrics", "flow-log",
					    NULL };
	struct nacl_jpath top = { 0 }, p, ep;
	struct deploy_config *cfg = c->cfg;
	json_t *nacls, *item;
	char tbuf[32];
	long version;
	size_t i;
	int ret;

	if (json_is_null(root))
		return 0; /* an empty file: nothing is to be attached */
	if ((ret = check_keys(c, root, &top, "the configuration", keys)) ||
	    (ret = nacl_jint(&c->d, root, &top, "version", 1, 1, false, 1, &version)) ||
	    (ret = read_daemon_options(c, root, &top)))
		return ret;
	nacls = json_object_get(root, "nacls");
	if (!nacls || json_is_null(nacls))
		return 0;
	p = nacl_jp_key(&top, "nacls");
	if (!json_is_array(nacls))
		return nacl_jfail(&c->d, &p, "expected a list of entries, got %s",
				  nacl_jtype(nacls, tbuf));
	if (json_array_size(nacls) > DEPLOY_MAX_ENTRIES)
		return nacl_jfail(&c->d, &p, "at most %d entries", DEPLOY_MAX_ENTRIES);
	cfg->entries = calloc(json_array_size(nacls) + 1, sizeof(*cfg->entries));
	if (!cfg->entries)
		return nacl_jfail(&c->d, &p, "out of memory");
	json_array_foreach(nacls, i, item) {
		ep = nacl_jp_idx(&p, i);
		cfg->n = i + 1;
		if ((ret = read_entry(c, item, &ep, i, &cfg->entries[i])))
			return ret;
		for (size_t k = 0; k < i; k++)
			if (cfg->entries[k].name && !strcmp(cfg->entries[k].name, cfg->entries[i].name))
				return nacl_jfail(&c->d, &ep, "a second entry named '%.60s'",
						  cfg->entries[i].name);
	}
	return 0;
}

/* Whether @buf holds no YAML node: blanks and comments only. */
static bool yaml_blank(const char *buf, size_t len)
{
	bool comment = false;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			comment = false;
		else if (buf[i] == '#')
			comment = true;
		else if (!comment && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r')
			return false;
	}
	return true;
}

int deploy_config_parse(const char *name, const char *dir, const char *buf, size_t len,
			struct deploy_config *cfg, char err[NACL_MSG_LEN])
{
	struct cload c = { .dir = dir, .cfg = cfg };
	int ret;

	err[0] = '\0';
	c.d.name = name;
	c.d.err = err;
	if (!cfg->path && !(cfg->path = strdup(name)))
		return -ENOMEM;
	if (yaml_blank(buf, len))
		return 0;
	ret = nacl_yaml_load(name, buf, len, &c.marks, &c.d.root, err);
	if (!ret) {
		c.d.marks = &c.marks;
		ret = read_config(&c, c.d.root);
	}
	json_decref(c.d.root);
	nacl_marks_free(&c.marks);
	return ret;
}

int deploy_config_load(const char *path, struct deploy_config *cfg, char err[NACL_MSG_LEN])
{
	char *buf = NULL, *copy = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, NACL_MSG_LEN, "%s: cannot read the configuration: %s", path,
			 strerror(errno));
		return ret;
	}
	buf = malloc(DEPLOY_MAX_BYTES + 1);
	if (buf)
		len = fread(buf, 1, DEPLOY_MAX_BYTES + 1, f);
	ret = !buf ? -ENOMEM : ferror(f) ? -EIO : len > DEPLOY_MAX_BYTES ? -EFBIG : 0;
	fclose(f);
	if (ret) {
		snprintf(err, NACL_MSG_LEN, "%s: cannot read the configuration: %s", path,
			 ret == -EFBIG ? "larger than 4 MiB" : strerror(-ret));
		free(buf);
		return ret;
	}
	/* Rule paths are recorded absolute: the record outlives this folder's name. */
	copy = realpath(path, NULL);
	if (!copy)
		copy = strdup(path);
	if (!copy) {
		free(buf);
		snprintf(err, NACL_MSG_LEN, "out of memory");
		return -ENOMEM;
	}
	ret = deploy_config_parse(path, dirname(copy), buf, len, cfg, err);
	free(copy);
	free(buf);
	return ret;
}

void deploy_config_free(struct deploy_config *cfg)
{
	for (size_t i = 0; cfg->entries && i < cfg->n; i++) {
		struct deploy_entry *e = &cfg->entries[i];

		free(e->name);
		free(e->netns);
		for (size_t k = 0; k < e->nifaces; k++)
			free(e->ifaces[k]);
		for (size_t k = 0; k < e->select.nparams; k++)
			free(e->params[k]);
		free(e->rules_path);
		free((char *)e->select.acl_id);
		free((char *)e->select.subnet_id);
		free(e->rs);
	}
	free(cfg->entries);
	free(cfg->path);
	free(cfg->exporter_listen);
	free(cfg->metrics_textfile);
	free(cfg->flowlog_output);
	free(cfg->flowlog_format);
	memset(cfg, 0, sizeof(*cfg));
}
