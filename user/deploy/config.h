/* SPDX-License-Identifier: MIT */
/*
 * config.h - the host configuration that `naclemu apply` and the daemon
 * converge on (docs/config.md): YAML, read with libyaml into a typed
 * struct deploy_config whose rule files are already read, so that a
 * configuration that loads is valid everywhere.
 */
#ifndef NACLEMU_DEPLOY_CONFIG_H
#define NACLEMU_DEPLOY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "naclemu.h"
#include "datapath/datapath.h"
#include "rules/model.h"
#include "rules/read.h"

/* Most entries, interface names or patterns per entry, params per entry. */
#define DEPLOY_MAX_ENTRIES 256
#define DEPLOY_MAX_IFACES 64
#define DEPLOY_MAX_PARAMS 32
/* Warnings kept (host bits of a CIDR, the rule files' own). */
#define DEPLOY_MAX_WARNINGS 64

/*
 * struct deploy_entry - one entry of `nacls`: a NACL on some interfaces of
 * one network namespace.
 * @name: the entry's `name`, or "nacls[N]" (for messages and the plan).
 * @line, @col: where the entry starts in the configuration (1-based).
 * @netns: `netns` as written: NULL (the root namespace), a name, a path
 *        (it contains a '/') or a "net:[INODE]" label (dp_netns_resolve()).
 * @ifaces, @nifaces: `interfaces`: names, or shell patterns (fnmatch(3):
 *        `*`, `?`, `[...]`) matched against the interfaces present.
 * @rules_path: `rules`, relative to the configuration's folder when not
 *        absolute.  @select: `acl`, `subnet-id`, `format`, `params`.
 * @rs: the rule file, read and checked at load.
 * @subnet, @exempt, @vpc: `subnet`, `exempt`, `vpc` CIDRs (as attach's
 *        --subnet, --exempt, --vpc).
 * @events_rate: `events-rate` (default 1000, as attach).
 * @hook: `hook` (default auto, or the environment's NACLEMU_HOOK).
 * @flow_log: `flow-log` (as attach --flow-log).
 */
struct deploy_entry {
	char *name;
	uint32_t line, col;
	char *netns;
	char *ifaces[DEPLOY_MAX_IFACES];
	size_t nifaces;
	char *rules_path;
	struct nacl_select select;
	char *params[DEPLOY_MAX_PARAMS];
	struct nacl_ruleset *rs;
	struct naclemu_cidr subnet[NACLEMU_MAX_CIDRS];
	struct naclemu_cidr exempt[NACLEMU_MAX_CIDRS];
	struct naclemu_cidr vpc[NACLEMU_MAX_CIDRS];
	uint8_t nsubnet, nexempt, nvpc;
	uint32_t events_rate;
	enum dp_hook hook;
	bool flow_log;
};

/*
 * struct deploy_config - a whole configuration.
 * @path: the file; @entries, @n: `nacls`, in file order.
 * Top-level daemon options (NULL / 0 when not given):
 * @exporter_listen: `exporter.listen`, "ADDR:PORT" (naclemu exporter).
 * @metrics_textfile: `metrics.textfile`, a folder (naclemu metrics --textfile).
 * @flowlog_output: `flow-log.output`, a file, or "-" for standard output;
 * @flowlog_interval: `flow-log.interval`, seconds 1..86400 (default 60);
 * @flowlog_format: `flow-log.format`, a '${field} ...' format.
 * @warnings, @nwarnings: "FILE:LINE:COL: message" lines.
 */
struct deploy_config {
	char *path;
	struct deploy_entry *entries;
	size_t n;
	char *exporter_listen;
	char *metrics_textfile;
	char *flowlog_output;
	uint32_t flowlog_interval;
	char *flowlog_format;
	char warnings[DEPLOY_MAX_WARNINGS][NACL_MSG_LEN];
	size_t nwarnings;
};

/*
 * deploy_config_load() - read the configuration @path into @cfg: parse it,
 * check every key, value and CIDR, and read every entry's rule file.
 * Return: 0; -EINVAL with one line "FILE:LINE:COL: PATH: message" in @err
 * (an unknown key, a wrong type, a bad CIDR, a rule file that is missing
 * or invalid: then also the rule file's own "FILE:LINE:COL: message");
 * -errno when @path cannot be read.  @cfg is to be freed with
 * deploy_config_free() in every case.
 */
int deploy_config_load(const char *path, struct deploy_config *cfg, char err[NACL_MSG_LEN]);

/*
 * deploy_config_parse() - deploy_config_load() of the in-memory @buf
 * (@len bytes) named @name; relative rule paths are taken from @dir.
 */
int deploy_config_parse(const char *name, const char *dir, const char *buf, size_t len,
			struct deploy_config *cfg, char err[NACL_MSG_LEN]);

/* deploy_config_free() - release what @cfg holds (it may be zeroed). */
void deploy_config_free(struct deploy_config *cfg);

/* Whether @s is an interface pattern (it has a `*`, `?` or `[`). */
bool deploy_iface_is_pattern(const char *s);

/*
 * deploy_entry_matches() - whether interface @ifname is one of @e's: a
 * name given, or matched by a pattern (fnmatch(3)).  The daemon asks it of
 * an interface that appears in the entry's namespace.
 */
bool deploy_entry_matches(const struct deploy_entry *e, const char *ifname);

#endif /* NACLEMU_DEPLOY_CONFIG_H */
