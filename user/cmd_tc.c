// SPDX-License-Identifier: MIT
/*
 * cmd_tc.c - the commands that drive the kernel datapath: attach, update,
 * detach, status, stats (SPEC section 3).
 *
 * State of an attached interface is pinned in the caller's bpffs under
 * /sys/fs/bpf/naclemu/<netns or "root">/<ifname>/: both programs, the outer
 * rule map, the counters, the fragment memory and the attach metadata (a
 * one-element map, as bpffs holds no plain files).  With -n the netlink and
 * ifindex work happens inside the named namespace; pins never move.
 *
 * Every failure path undoes what the command did so far: an attach that
 * fails leaves no filter, no qdisc of ours and no pin.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "commands.h"
#include "compile.h"
#include "naclemu.skel.h"
#include "tc.h"

static const char *const pin_names[] = {
	TC_PIN_PROG_IN, TC_PIN_PROG_OUT, TC_PIN_RULES,
	TC_PIN_COUNTERS, TC_PIN_FRAGS, TC_PIN_META, TC_PIN_EVENTS,
};

/* Where an interface is: its namespace ("" = the caller's) and name. */
struct target {
	const char *netns;
	const char *ifname;
	char dir[PATH_MAX]; /* its pin folder */
};

/* An attached interface's pinned maps, opened. */
struct attached {
	int meta_fd, rules_fd, counters_fd;
	struct naclemu_meta meta;
	struct naclemu_rules *rules; /* the live set */
};

static const char *ns_label(const char *netns)
{
	return netns && *netns ? netns : "root";
}

/* libbpf's messages, the verifier log among them, only with -v. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!nacl_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int need_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	pr_err("%s needs root (CAP_BPF, CAP_NET_ADMIN): run it as root", cmd);
	return NACL_EXIT_SYSTEM;
}

static void join(char out[PATH_MAX], const char *dir, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static int target_init(struct target *t, const char *netns, const char *ifname)
{
	t->netns = netns ? netns : "";
	t->ifname = ifname;
	if (strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, "..") ||
	    strlen(ifname) >= 16)
		return -EINVAL;
	if (strchr(t->netns, '/'))
		return -EINVAL;
	return tc_pin_dir(t->netns, ifname, t->dir);
}

/* ifindex of the target inside its namespace, with a message on failure. */
static int target_ifindex(const struct target *t, int *ifindex, bool quiet)
{
	int saved, ret;

	ret = tc_netns_enter(t->netns, &saved);
	if (ret) {
		if (!quiet)
			pr_err("network namespace %s does not exist (%s; see 'ip netns list')",
			       t->netns, strerror(-ret));
		return ret;
	}
	ret = tc_ifindex(t->ifname, ifindex);
	tc_netns_leave(saved);
	if (ret && !quiet) {
		if (ret == -ENODEV)
			pr_err("interface %s does not exist in network namespace %s (see 'ip%s%s link')",
			       t->ifname, ns_label(t->netns), *t->netns ? " -n " : "", t->netns);
		else if (ret == -EPROTONOSUPPORT)
			pr_err("interface %s is not an Ethernet device: naclemu parses Ethernet frames only",
			       t->ifname);
		else
			pr_err("cannot look up interface %s: %s", t->ifname, strerror(-ret));
	}
	return ret;
}

/* Remove the pins of @dir and the folders left empty. */
static void unpin_all(const char *dir)
{
	char path[PATH_MAX], *slash;

	for (size_t i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		join(path, dir, pin_names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s", dir);
	/* .../naclemu/<ns>/<if>, then <ns>, then naclemu itself, if empty. */
	for (int up = 0; up < 3; up++) {
		if (rmdir(path))
			break;
		slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
}

static int mkdirs(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static void attached_close(struct attached *a)
{
	if (a->meta_fd >= 0)
		close(a->meta_fd);
	if (a->rules_fd >= 0)
		close(a->rules_fd);
	if (a->counters_fd >= 0)
		close(a->counters_fd);
	free(a->rules);
	a->meta_fd = a->rules_fd = a->counters_fd = -1;
	a->rules = NULL;
}

/* Open the pinned state in @dir: -ENOENT when nothing is attached there. */
static int attached_open(const char *dir, struct attached *a)
{
	__u32 zero = 0;
	int ret;

	memset(a, 0, sizeof(*a));
	a->rules_fd = a->counters_fd = -1;
	a->meta_fd = tc_pinned_fd(dir, TC_PIN_META);
	if (a->meta_fd < 0) {
		ret = a->meta_fd;
		a->meta_fd = -1;
		return ret;
	}
	a->rules_fd = tc_pinned_fd(dir, TC_PIN_RULES);
	a->counters_fd = tc_pinned_fd(dir, TC_PIN_COUNTERS);
	a->rules = calloc(1, sizeof(*a->rules));
	if (a->rules_fd < 0 || a->counters_fd < 0) {
		ret = a->rules_fd < 0 ? a->rules_fd : a->counters_fd;
		goto fail;
	}
	ret = -ENOMEM;
	if (!a->rules)
		goto fail;
	if (bpf_map_lookup_elem(a->meta_fd, &zero, &a->meta)) {
		ret = -errno;
		goto fail;
	}
	ret = -EUCLEAN;
	if (a->meta.magic != NACLEMU_META_MAGIC)
		goto fail;
	ret = tc_rules_read(a->rules_fd, a->rules);
	if (ret)
		goto fail;
	return 0;
fail:
	if (a->rules_fd == -ENOENT || a->counters_fd == -ENOENT)
		ret = -EUCLEAN; /* half a state: meta without maps */
	if (a->rules_fd < 0)
		a->rules_fd = -1;
	if (a->counters_fd < 0)
		a->counters_fd = -1;
	attached_close(a);
	return ret;
}

/* Open the state of @t or say why not; returns an exit status. */
static int open_or_explain(const struct target *t, struct attached *a, const char *cmd)
{
	int ret = attached_open(t->dir, a);

	if (!ret)
		return NACL_EXIT_OK;
	if (ret == -ENOENT) {
		pr_err("%s is not attached in network namespace %s (see 'naclemu status'%s)",
		       t->ifname, ns_label(t->netns),
		       !strcmp(cmd, "update") ? "; use 'naclemu attach' first" : "");
		return NACL_EXIT_INVALID;
	}
	if (ret == -EUCLEAN)
		pr_err("the pinned state in %s is incomplete: run 'naclemu detach%s%s -i %s' to clean it up",
		       t->dir, *t->netns ? " -n " : "", t->netns, t->ifname);
	else
		pr_err("cannot open the pinned state in %s: %s", t->dir, strerror(-ret));
	return NACL_EXIT_SYSTEM;
}

/* Read the rule file, printing its warnings; returns an exit status. */
static int load_rules(const char *path, const char *acl, struct nacl_ruleset *rs)
{
	struct nacl_select sel = { .acl_id = acl };
	char err[NACL_MSG_LEN];

	if (nacl_parse_file(path, acl ? &sel : NULL, rs, err)) {
		pr_err("%s", err);
		return NACL_EXIT_INVALID;
	}
	for (size_t i = 0; i < rs->nwarnings; i++)
		pr_warn("%s", rs->warnings[i]);
	return NACL_EXIT_OK;
}

static int compile_or_explain(const struct nacl_ruleset *rs, const struct compile_extra *x,
			      struct naclemu_rules *out)
{
	char err[NACL_MSG_LEN];

	if (compile_rules(rs, x, out, err)) {
		pr_err("%s", err);
		return NACL_EXIT_INVALID;
	}
	return NACL_EXIT_OK;
}

static size_t rules_in(const struct naclemu_rules *r, int dir)
{
	return r->t[dir][NACLEMU_V4].nrules + r->t[dir][NACLEMU_V6].nrules;
}

static __u64 now_s(void)
{
	return (__u64)time(NULL);
}

/* "2026-11-21T10:32:49Z" */
static const char *rfc3339(__u64 t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm))
		return "-";
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static int parse_cidr_opt(const char *cmd, const char *opt, const char *s,
			  struct nacl_cidr *list, __u8 *n)
{
	char buf[64];
	bool host;

	if (*n >= NACLEMU_MAX_CIDRS)
		return nacl_usage_error(cmd, "at most %d %s CIDRs", NACLEMU_MAX_CIDRS, opt);
	if (nacl_parse_cidr(s, &list[*n], &host))
		return nacl_usage_error(cmd, "%s '%s' is not a CIDR (e.g. 192.0.2.0/24, 2001:db8::/32)",
					opt, s);
	if (host)
		pr_warn("%s %s has host bits set: using %s", opt, s,
			nacl_cidr_str(&list[*n], buf));
	(*n)++;
	return NACL_EXIT_OK;
}

/* ---- attach ------------------------------------------------------------- */

static const char attach_usage[] =
	"Usage: naclemu attach [-n NETNS] -i IFACE RULES [--acl ID]\n"
	"                      [--subnet CIDR]... [--exempt CIDR]... [--events-rate N]\n"
	"\n"
	"Load the NACL datapath and attach it to both directions of IFACE:\n"
	"inbound rules at TC ingress, outbound rules at TC egress.  The state is\n"
	"pinned under /sys/fs/bpf/naclemu/ and outlives the command.  Other TC\n"
	"filters on IFACE keep working.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this named network namespace\n"
	"  -i, --interface IF  the interface (Ethernet, e.g. a veth)\n"
	"      --acl ID        the NetworkAclId to read from a multi-ACL JSON file\n"
	"      --subnet CIDR   the interface's subnet: traffic with peers inside it\n"
	"                      bypasses the NACL, as in AWS (repeatable, up to 16)\n"
	"      --exempt CIDR   never filter traffic with these peers (repeatable)\n"
	"      --events-rate N drop events per second and CPU, 0 = off (default 1000)\n"
	"  -v, --verbose       show libbpf messages and the verifier log\n"
	"\n"
	"Exit status: 0 attached, 1 invalid rules or arguments (or already\n"
	"attached: use update), 2 system failure (not root, no such interface,\n"
	"BPF refused).\n"
	"\n"
	"Example:\n"
	"  naclemu attach -i eth1 examples/web-server.nacl --subnet 192.0.2.0/24\n";

struct attach_args {
	const char *netns, *ifname, *path, *acl;
	struct nacl_cidr subnet[NACLEMU_MAX_CIDRS], exempt[NACLEMU_MAX_CIDRS];
	__u8 nsubnet, nexempt;
	__u32 events_rate;
};

/* @argv[0] names the command in messages: "attach", or "run" (cmd_events.c). */
static int attach_parse(int argc, char **argv, struct attach_args *a)
{
	const char *cmd = argv[0];
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interface", required_argument, NULL, 'i' },
		{ "acl", required_argument, NULL, 'a' },
		{ "subnet", required_argument, NULL, 's' },
		{ "exempt", required_argument, NULL, 'e' },
		{ "events-rate", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c, ret;

	a->events_rate = 1000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:i:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->netns = optarg; break;
		case 'i': a->ifname = optarg; break;
		case 'a': a->acl = optarg; break;
		case 'v': nacl_verbose = 1; break;
		case 's':
			ret = parse_cidr_opt(cmd, "--subnet", optarg, a->subnet, &a->nsubnet);
			if (ret)
				return ret;
			break;
		case 'e':
			ret = parse_cidr_opt(cmd, "--exempt", optarg, a->exempt, &a->nexempt);
			if (ret)
				return ret;
			break;
		case 'r':
			if (nacl_parse_u32(optarg, NACLEMU_EVENTS_RATE_MAX, &a->events_rate))
				return nacl_usage_error(cmd, "--events-rate wants 0..%d, not '%s'",
							NACLEMU_EVENTS_RATE_MAX, optarg);
			break;
		case 'h':
			fputs(attach_usage, stdout);
			return -1;
		default:
			return nacl_usage_error(cmd, "invalid option");
		}
	}
	if (!a->ifname)
		return nacl_usage_error(cmd, "-i IFACE is required");
	if (optind + 1 != argc)
		return nacl_usage_error(cmd, "expected one RULES file");
	a->path = argv[optind];
	return NACL_EXIT_OK;
}

static void meta_fill(struct naclemu_meta *m, const struct attach_args *a,
		      const struct nacl_ruleset *rs)
{
	memset(m, 0, sizeof(*m));
	m->magic = NACLEMU_META_MAGIC;
	m->handle = TC_HANDLE;
	m->priority = TC_PRIORITY;
	snprintf(m->ifname, sizeof(m->ifname), "%s", a->ifname);
	snprintf(m->netns, sizeof(m->netns), "%s", a->netns ? a->netns : "");
	snprintf(m->acl_id, sizeof(m->acl_id), "%s", rs->acl_id);
	snprintf(m->path, sizeof(m->path), "%s", a->path);
	m->nsubnet = a->nsubnet;
	m->nexempt = a->nexempt;
	m->events_rate = a->events_rate;
	for (int i = 0; i < a->nsubnet; i++)
		compile_cidr_to_shared(&a->subnet[i], &m->subnet[i]);
	for (int i = 0; i < a->nexempt; i++)
		compile_cidr_to_shared(&a->exempt[i], &m->exempt[i]);
	m->attach_time = m->update_time = now_s();
}

static int pin_everything(struct naclemu *skel, const char *dir)
{
	const struct {
		const char *name;
		int fd;
	} objs[] = {
		{ TC_PIN_PROG_IN, bpf_program__fd(skel->progs.naclemu_ingress) },
		{ TC_PIN_PROG_OUT, bpf_program__fd(skel->progs.naclemu_egress) },
		{ TC_PIN_RULES, bpf_map__fd(skel->maps.naclemu_rules) },
		{ TC_PIN_COUNTERS, bpf_map__fd(skel->maps.naclemu_counters) },
		{ TC_PIN_FRAGS, bpf_map__fd(skel->maps.naclemu_frags) },
		{ TC_PIN_META, bpf_map__fd(skel->maps.naclemu_meta) },
		{ TC_PIN_EVENTS, bpf_map__fd(skel->maps.naclemu_events) },
	};
	char path[PATH_MAX];
	int ret = mkdirs(dir);

	if (ret)
		return ret;
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		join(path, dir, objs[i].name);
		if (bpf_obj_pin(objs[i].fd, path))
			return -errno;
	}
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	return tc_attach(argc, argv, stdout);
}

int tc_attach(int argc, char **argv, FILE *out)
{
	struct attach_args a = {};
	struct compile_extra x;
	struct nacl_ruleset *rs = NULL;
	struct naclemu_rules *rules = NULL;
	struct naclemu *skel = NULL;
	struct naclemu_meta meta;
	struct target t;
	struct stat st;
	__u32 fresh[COMPILE_MAX_FRESH], zero = 0, cursor = 0;
	size_t nfresh;
	bool pinned = false, created = false;
	int ret, exit, saved, ifindex;

	exit = attach_parse(argc, argv, &a);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	if (target_init(&t, a.netns, a.ifname))
		return nacl_usage_error(argv[0], "'%s' is not an interface name", a.ifname);
	libbpf_set_print(libbpf_log);

	x = (struct compile_extra){ a.exempt, a.nexempt, a.subnet, a.nsubnet };
	rs = calloc(1, sizeof(*rs));
	rules = calloc(1, sizeof(*rules));
	exit = NACL_EXIT_SYSTEM;
	if (!rs || !rules) {
		pr_err("out of memory");
		goto out;
	}
	exit = load_rules(a.path, a.acl, rs);
	if (!exit)
		exit = compile_or_explain(rs, &x, rules);
	if (exit)
		goto out;
	exit = need_root("attach");
	if (exit)
		goto out;
	exit = NACL_EXIT_SYSTEM;
	ret = tc_bpffs_ensure();
	if (ret) {
		pr_err("bpffs is not mounted on /sys/fs/bpf and mounting it failed: %s",
		       strerror(-ret));
		goto out;
	}
	if (!stat(t.dir, &st)) {
		pr_err("%s is already attached in network namespace %s (state in %s): "
		       "use 'naclemu update' to change its rules, or 'naclemu detach' first",
		       t.ifname, ns_label(t.netns), t.dir);
		exit = NACL_EXIT_INVALID;
		goto out;
	}
	if (target_ifindex(&t, &ifindex, false))
		goto out;

	skel = naclemu__open();
	if (!skel) {
		pr_err("cannot open the BPF object: %s", strerror(errno));
		goto out;
	}
	skel->rodata->events_rate = a.events_rate;
	/* The events' coarse clock needs kernel 5.11 (bpf/events.bpf.h). */
	skel->rodata->events_coarse_clock =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_ktime_get_coarse_ns,
					NULL) == 1;
	ret = naclemu__load(skel);
	if (ret) {
		pr_err("the kernel refused the BPF program: %s%s", strerror(-ret),
		       nacl_verbose ? "" : " (run 'naclemu -v attach ...' for the verifier log)");
		goto out;
	}

	ret = compile_assign_slots(rules, NULL, &cursor, fresh, &nfresh);
	rules->generation = 1;
	if (!ret)
		ret = tc_rules_install(bpf_map__fd(skel->maps.naclemu_rules), rules);
	meta_fill(&meta, &a, rs);
	meta.ifindex = (__u32)ifindex;
	meta.next_slot = cursor;
	if (!ret && bpf_map_update_elem(bpf_map__fd(skel->maps.naclemu_meta), &zero, &meta, BPF_ANY))
		ret = -errno;
	if (ret) {
		pr_err("cannot fill the rule maps: %s", strerror(-ret));
		goto out;
	}

	pinned = true;
	ret = pin_everything(skel, t.dir);
	if (ret) {
		pr_err("cannot pin the state in %s: %s", t.dir, strerror(-ret));
		goto out;
	}

	ret = tc_netns_enter(t.netns, &saved);
	if (!ret) {
		ret = tc_filters_attach(ifindex,
					bpf_program__fd(skel->progs.naclemu_ingress),
					bpf_program__fd(skel->progs.naclemu_egress), &created);
		tc_netns_leave(saved);
	}
	if (ret == -EEXIST) {
		pr_err("%s already has a TC filter with naclemu's handle 0x%x, priority %d "
		       "(its pins were removed?): remove it with 'tc filter del dev %s ingress "
		       "prio %d handle 0x%x bpf' (and egress)",
		       t.ifname, TC_HANDLE, TC_PRIORITY, t.ifname, TC_PRIORITY, TC_HANDLE);
		goto out;
	}
	if (ret) {
		pr_err("cannot add the TC filters to %s: %s", t.ifname, strerror(-ret));
		goto out;
	}
	meta.created_qdisc = created;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.naclemu_meta), &zero, &meta, BPF_ANY)) {
		bool removed;

		ret = -errno;
		pr_err("cannot record the attach state: %s", strerror(-ret));
		if (!tc_netns_enter(t.netns, &saved)) {
			tc_filters_detach(ifindex, 0, 0, false, &removed);
			tc_netns_leave(saved);
		}
		goto out;
	}
	pinned = false;
	exit = NACL_EXIT_OK;
	fprintf(out, "attached to %s (netns %s): %zu inbound, %zu outbound rules from %s%s%s\n",
	       t.ifname, ns_label(t.netns), rules_in(rules, NACLEMU_INGRESS),
	       rules_in(rules, NACLEMU_EGRESS), a.path, rs->acl_id[0] ? ", " : "", rs->acl_id);
out:
	if (pinned)
		unpin_all(t.dir);
	naclemu__destroy(skel);
	free(rules);
	free(rs);
	return exit;
}

/* ---- update ------------------------------------------------------------- */

static const char update_usage[] =
	"Usage: naclemu update [-n NETNS] -i IFACE RULES [--acl ID]\n"
	"\n"
	"Replace the rules of an attached interface atomically: every packet is\n"
	"judged entirely by the old rules or entirely by the new ones.  Rules\n"
	"that keep their number and content keep their counters.  The --subnet\n"
	"and --exempt CIDRs of attach stay.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this named network namespace\n"
	"  -i, --interface IF  the attached interface\n"
	"      --acl ID        the NetworkAclId to read from a multi-ACL JSON file\n"
	"  -v, --verbose       show libbpf messages\n"
	"\n"
	"Exit status: 0 updated, 1 invalid rules or arguments (or not attached),\n"
	"2 system failure.\n"
	"\n"
	"Example:\n"
	"  naclemu update -i eth1 examples/web-server.nacl\n";

/* Options shared by update, detach, status and stats. */
struct common_args {
	const char *netns, *ifname, *acl, *path;
	bool json;
};

enum {
	OPT_ACL = 1,     /* takes --acl */
	OPT_JSON = 2,    /* takes --json */
	OPT_IFACE = 4,   /* -i is required; fills the target, checks root */
	OPT_RULES = 8,   /* one RULES argument (else none) */
};

/*
 * Parse the options of @cmd (@flags: OPT_*).  Returns an exit status, or -1
 * after --help.  With OPT_IFACE also fills @t and insists on root.
 */
static int common_parse(int argc, char **argv, const char *cmd, const char *usage,
			unsigned int flags, struct common_args *a, struct target *t)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "interface", required_argument, NULL, 'i' },
		{ "acl", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:i:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->netns = optarg; break;
		case 'i': a->ifname = optarg; break;
		case 'v': nacl_verbose = 1; break;
		case 'a':
			if (!(flags & OPT_ACL))
				return nacl_usage_error(cmd, "invalid option '--acl'");
			a->acl = optarg;
			break;
		case 'j':
			if (!(flags & OPT_JSON))
				return nacl_usage_error(cmd, "invalid option '--json'");
			a->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return nacl_usage_error(cmd, "invalid option");
		}
	}
	libbpf_set_print(libbpf_log);
	if (flags & OPT_RULES) {
		if (optind + 1 != argc)
			return nacl_usage_error(cmd, "expected one RULES file");
		a->path = argv[optind];
	} else if (optind != argc) {
		return nacl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	if (!(flags & OPT_IFACE))
		return NACL_EXIT_OK;
	if (!a->ifname)
		return nacl_usage_error(cmd, "-i IFACE is required");
	if (target_init(t, a->netns, a->ifname))
		return nacl_usage_error(cmd, "'%s' is not an interface name", a->ifname);
	/* A bad rule file is reported before "not root": it is checked first. */
	if (flags & OPT_RULES)
		return NACL_EXIT_OK;
	return need_root(cmd);
}

int cmd_update(int argc, char **argv)
{
	struct common_args a = {};
	struct nacl_cidr subnet[NACLEMU_MAX_CIDRS], exempt[NACLEMU_MAX_CIDRS];
	struct compile_extra x;
	struct nacl_ruleset *rs = NULL;
	struct naclemu_rules *rules = NULL;
	struct attached st = { .meta_fd = -1, .rules_fd = -1, .counters_fd = -1 };
	struct target t;
	__u32 fresh[COMPILE_MAX_FRESH], zero = 0;
	size_t nfresh, kept = 0;
	int ret, exit;

	exit = common_parse(argc, argv, "update", update_usage, OPT_ACL | OPT_IFACE | OPT_RULES,
			    &a, &t);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;

	rs = calloc(1, sizeof(*rs));
	rules = calloc(1, sizeof(*rules));
	exit = NACL_EXIT_SYSTEM;
	if (!rs || !rules) {
		pr_err("out of memory");
		goto out;
	}
	/* Check the file before anything else: a bad one changes nothing. */
	exit = load_rules(a.path, a.acl, rs);
	if (exit)
		goto out;
	exit = need_root("update");
	if (exit)
		goto out;
	exit = open_or_explain(&t, &st, "update");
	if (exit)
		goto out;

	for (int i = 0; i < st.meta.nsubnet && i < NACLEMU_MAX_CIDRS; i++)
		compile_cidr_from_shared(&st.meta.subnet[i], &subnet[i]);
	for (int i = 0; i < st.meta.nexempt && i < NACLEMU_MAX_CIDRS; i++)
		compile_cidr_from_shared(&st.meta.exempt[i], &exempt[i]);
	x = (struct compile_extra){ exempt, st.meta.nexempt, subnet, st.meta.nsubnet };
	exit = compile_or_explain(rs, &x, rules);
	if (exit)
		goto out;

	exit = NACL_EXIT_SYSTEM;
	ret = compile_assign_slots(rules, st.rules, &st.meta.next_slot, fresh, &nfresh);
	if (!ret)
		ret = tc_counters_zero(st.counters_fd, fresh, nfresh);
	rules->generation = st.rules->generation + 1;
	if (!ret)
		ret = tc_rules_install(st.rules_fd, rules);
	if (ret) {
		pr_err("cannot install the new rules on %s: %s (the old rules stay)",
		       t.ifname, strerror(-ret));
		goto out;
	}
	snprintf(st.meta.acl_id, sizeof(st.meta.acl_id), "%s", rs->acl_id);
	snprintf(st.meta.path, sizeof(st.meta.path), "%s", a.path);
	st.meta.update_time = now_s();
	if (bpf_map_update_elem(st.meta_fd, &zero, &st.meta, BPF_ANY))
		pr_warn("rules updated, but the attach record was not: %s", strerror(errno));

	kept = rules_in(rules, 0) + rules_in(rules, 1) - nfresh;
	exit = NACL_EXIT_OK;
	printf("updated %s (netns %s): %zu inbound, %zu outbound rules from %s, "
	       "generation %llu; %zu rules kept their counters, %zu new\n",
	       t.ifname, ns_label(t.netns), rules_in(rules, NACLEMU_INGRESS),
	       rules_in(rules, NACLEMU_EGRESS), a.path,
	       (unsigned long long)rules->generation, kept, nfresh);
out:
	attached_close(&st);
	free(rules);
	free(rs);
	return exit;
}

/* ---- detach ------------------------------------------------------------- */

static const char detach_usage[] =
	"Usage: naclemu detach [-n NETNS] -i IFACE\n"
	"\n"
	"Remove what attach created on IFACE: naclemu's two TC filters, the\n"
	"clsact qdisc if attach created it and nothing else uses it, and the\n"
	"pinned state.  Other filters stay.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this named network namespace\n"
	"  -i, --interface IF  the attached interface\n"
	"  -v, --verbose       show libbpf messages\n"
	"\n"
	"Exit status: 0 detached, 1 not attached or invalid arguments, 2 system\n"
	"failure.\n"
	"\n"
	"Example:\n"
	"  naclemu detach -i eth1\n";

static __u32 pinned_prog_id(const char *dir, const char *name)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = tc_pinned_fd(dir, name);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

static int detach_target(const struct target *tp, FILE *out);

int cmd_detach(int argc, char **argv)
{
	struct common_args a = {};
	struct target t;
	int exit;

	exit = common_parse(argc, argv, "detach", detach_usage, OPT_IFACE, &a, &t);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	return detach_target(&t, stdout);
}

int tc_detach(const char *netns, const char *ifname, FILE *out)
{
	struct target t;

	if (target_init(&t, netns, ifname))
		return nacl_usage_error("detach", "'%s' is not an interface name", ifname);
	return detach_target(&t, out);
}

/* detach's work, once the options are checked; the result line to @out. */
static int detach_target(const struct target *tp, FILE *out)
{
	struct naclemu_meta meta = {};
	struct target t = *tp;
	struct stat sb;
	__u32 zero = 0, id_in, id_out;
	bool removed = false, gone = false;
	int ret, saved, ifindex, fd;

	if (stat(t.dir, &sb)) {
		pr_err("%s is not attached in network namespace %s (see 'naclemu status')",
		       t.ifname, ns_label(t.netns));
		return NACL_EXIT_INVALID;
	}
	/* Whatever is pinned goes, even a half state; the filters by id. */
	fd = tc_pinned_fd(t.dir, TC_PIN_META);
	if (fd >= 0) {
		if (bpf_map_lookup_elem(fd, &zero, &meta))
			memset(&meta, 0, sizeof(meta));
		close(fd);
	}
	id_in = pinned_prog_id(t.dir, TC_PIN_PROG_IN);
	id_out = pinned_prog_id(t.dir, TC_PIN_PROG_OUT);

	ret = tc_netns_enter(t.netns, &saved);
	if (ret == -ENOENT) {
		gone = true; /* the namespace went, and the interface with it */
		ret = 0;
	} else if (!ret) {
		ret = tc_ifindex(t.ifname, &ifindex);
		if (ret == -ENODEV) {
			gone = true;
			ret = 0;
		} else if (!ret) {
			/* Same name, new device: attach's qdisc was not this one. */
			bool ours = meta.magic == NACLEMU_META_MAGIC &&
				    meta.ifindex == (__u32)ifindex && meta.created_qdisc;

			ret = tc_filters_detach(ifindex, id_in, id_out, ours, &removed);
		}
		tc_netns_leave(saved);
	}
	if (ret) {
		pr_err("cannot remove naclemu's TC filters from %s: %s (the state stays pinned in %s)",
		       t.ifname, strerror(-ret), t.dir);
		return NACL_EXIT_SYSTEM;
	}
	unpin_all(t.dir);
	if (!stat(t.dir, &sb)) {
		pr_err("cannot remove %s: something else is in it", t.dir);
		return NACL_EXIT_SYSTEM;
	}
	fprintf(out, "detached from %s (netns %s)%s%s\n", t.ifname, ns_label(t.netns),
	       removed ? ", clsact qdisc removed" : "",
	       gone ? ": the interface no longer exists, pinned state removed" : "");
	return NACL_EXIT_OK;
}

/* ---- status and stats ---------------------------------------------------- */

/* Counter totals of one attached interface. */
struct totals {
	struct naclemu_counter allowed, denied, exempt, subnet, malformed, lost;
};

static void add(struct naclemu_counter *to, const struct naclemu_counter *c)
{
	to->packets += c->packets;
	to->bytes += c->bytes;
}

static struct naclemu_counter slot_count(const struct attached *a, __u32 slot)
{
	struct naclemu_counter c = {};

	tc_counter_read(a->counters_fd, slot, &c);
	return c;
}

static void totals_read(const struct attached *a, struct totals *tot)
{
	struct naclemu_counter c;

	memset(tot, 0, sizeof(*tot));
	for (int d = 0; d < 2; d++) {
		for (int f = 0; f < 2; f++) {
			const struct naclemu_table *t = &a->rules->t[d][f];

			for (__u32 i = 0; i < t->nrules && i < NACLEMU_MAX_RULES; i++) {
				c = slot_count(a, t->slot[i]);
				add(t->info[i].allow ? &tot->allowed : &tot->denied, &c);
			}
			c = slot_count(a, t->default_slot);
			add(&tot->denied, &c);
		}
		c = slot_count(a, NACLEMU_SLOT_EXEMPT + (__u32)d);
		add(&tot->exempt, &c);
		c = slot_count(a, NACLEMU_SLOT_SUBNET + (__u32)d);
		add(&tot->subnet, &c);
		c = slot_count(a, NACLEMU_SLOT_MALFORMED + (__u32)d);
		add(&tot->malformed, &c);
	}
	tot->lost = slot_count(a, NACLEMU_SLOT_EVENTS_LOST);
}

/* Whether our filters are in place: "attached", or what is wrong. */
static const char *filter_state(const struct target *t, const char *dir,
				const struct attached *a)
{
	__u32 in = 0, out = 0;
	int saved, ifindex;

	if (tc_netns_enter(t->netns, &saved))
		return "netns-gone";
	if (tc_ifindex(t->ifname, &ifindex)) {
		tc_netns_leave(saved);
		return "iface-gone";
	}
	if ((__u32)ifindex != a->meta.ifindex) {
		tc_netns_leave(saved);
		return "iface-replaced";
	}
	tc_filters_query(ifindex, &in, &out);
	tc_netns_leave(saved);
	if (in && in == pinned_prog_id(dir, TC_PIN_PROG_IN) &&
	    out && out == pinned_prog_id(dir, TC_PIN_PROG_OUT))
		return "attached";
	return "filters-missing";
}

static json_t *counter_json(const struct naclemu_counter *c)
{
	return json_pack("{s:I,s:I}", "packets", (json_int_t)c->packets, "bytes",
			 (json_int_t)c->bytes);
}

static json_t *cidrs_json(const struct naclemu_cidr *list, int n)
{
	json_t *arr = json_array();
	struct nacl_cidr c;
	char buf[64];

	for (int i = 0; i < n && i < NACLEMU_MAX_CIDRS; i++) {
		compile_cidr_from_shared(&list[i], &c);
		json_array_append_new(arr, json_string(nacl_cidr_str(&c, buf)));
	}
	return arr;
}

static const char status_usage[] =
	"Usage: naclemu status [-n NETNS] [-i IFACE] [--json]\n"
	"\n"
	"List the attached interfaces: state of the filters, rules, and packet\n"
	"totals.  Without -n and -i, every namespace and interface; -n alone,\n"
	"that namespace; -i without -n, the caller's namespace.\n"
	"\n"
	"States: attached; filters-missing (someone removed naclemu's TC\n"
	"filters); iface-gone / netns-gone / iface-replaced (run\n"
	"'naclemu detach' to clean up the pinned state).\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   only this named network namespace\n"
	"  -i, --interface IF  only this interface\n"
	"      --json          one JSON array on stdout\n"
	"\n"
	"Example:\n"
	"  naclemu status\n";

/* Visit every attached interface that @a selects; returns how many. */
typedef void (*visit_fn)(const struct target *t, struct attached *st, void *arg);

static int for_each_attached(const struct common_args *a, visit_fn fn, void *arg)
{
	char nsdir[PATH_MAX], ifdir[PATH_MAX];
	struct dirent *ns, *ifc;
	DIR *root, *d;
	int n = 0;

	root = opendir(TC_PIN_ROOT);
	if (!root)
		return 0;
	while ((ns = readdir(root))) {
		if (ns->d_name[0] == '.')
			continue;
		if ((a->netns || a->ifname) && strcmp(ns->d_name, ns_label(a->netns)))
			continue;
		join(nsdir, TC_PIN_ROOT, ns->d_name);
		d = opendir(nsdir);
		if (!d)
			continue;
		while ((ifc = readdir(d))) {
			struct attached st;
			struct target t;

			if (ifc->d_name[0] == '.')
				continue;
			if (a->ifname && strcmp(ifc->d_name, a->ifname))
				continue;
			join(ifdir, nsdir, ifc->d_name);
			if (target_init(&t, strcmp(ns->d_name, "root") ? ns->d_name : "",
					ifc->d_name) ||
			    attached_open(ifdir, &st))
				continue;
			fn(&t, &st, arg);
			attached_close(&st);
			n++;
		}
		closedir(d);
	}
	closedir(root);
	return n;
}

struct status_ctx {
	bool json;
	json_t *arr;
	bool header;
};

static void status_one(const struct target *t, struct attached *st, void *arg)
{
	struct status_ctx *ctx = arg;
	const char *state = filter_state(t, t->dir, st);
	struct totals tot;
	char b1[32], b2[32];

	totals_read(st, &tot);
	if (ctx->json) {
		json_t *o = json_object();

		json_object_set_new(o, "interface", json_string(t->ifname));
		json_object_set_new(o, "netns", *t->netns ? json_string(t->netns) : json_null());
		json_object_set_new(o, "state", json_string(state));
		json_object_set_new(o, "ifindex", json_integer(st->meta.ifindex));
		json_object_set_new(o, "rules_file", json_string(st->meta.path));
		json_object_set_new(o, "acl", st->meta.acl_id[0] ? json_string(st->meta.acl_id) : json_null());
		json_object_set_new(o, "attached", json_string(rfc3339(st->meta.attach_time, b1)));
		json_object_set_new(o, "updated", json_string(rfc3339(st->meta.update_time, b2)));
		json_object_set_new(o, "generation", json_integer((json_int_t)st->rules->generation));
		json_object_set_new(o, "inbound_rules", json_integer((json_int_t)rules_in(st->rules, 0)));
		json_object_set_new(o, "outbound_rules", json_integer((json_int_t)rules_in(st->rules, 1)));
		json_object_set_new(o, "subnet", cidrs_json(st->meta.subnet, st->meta.nsubnet));
		json_object_set_new(o, "exempt", cidrs_json(st->meta.exempt, st->meta.nexempt));
		json_object_set_new(o, "created_qdisc", json_boolean(st->meta.created_qdisc));
		json_object_set_new(o, "pins", json_string(t->dir));
		json_object_set_new(o, "allowed", counter_json(&tot.allowed));
		json_object_set_new(o, "denied", counter_json(&tot.denied));
		json_object_set_new(o, "exempt_traffic", counter_json(&tot.exempt));
		json_object_set_new(o, "subnet_traffic", counter_json(&tot.subnet));
		json_object_set_new(o, "malformed", counter_json(&tot.malformed));
		json_object_set_new(o, "events_lost", json_integer((json_int_t)tot.lost.packets));
		json_array_append_new(ctx->arr, o);
		return;
	}
	if (!ctx->header) {
		printf("%-15s %-16s %-15s %3s %3s %10s %10s\n", "INTERFACE", "NETNS",
		       "STATE", "IN", "OUT", "ALLOWED", "DENIED");
		ctx->header = true;
	}
	printf("%-15s %-16s %-15s %3zu %3zu %10llu %10llu\n", t->ifname, ns_label(t->netns),
	       state, rules_in(st->rules, 0), rules_in(st->rules, 1),
	       (unsigned long long)tot.allowed.packets, (unsigned long long)tot.denied.packets);
	printf("  rules %s%s%s, generation %llu\n", st->meta.path,
	       st->meta.acl_id[0] ? " " : "", st->meta.acl_id,
	       (unsigned long long)st->rules->generation);
	printf("  attached %s, updated %s\n", rfc3339(st->meta.attach_time, b1),
	       rfc3339(st->meta.update_time, b2));
	printf("  exempt %llu, subnet %llu, malformed %llu, events lost %llu\n",
	       (unsigned long long)tot.exempt.packets, (unsigned long long)tot.subnet.packets,
	       (unsigned long long)tot.malformed.packets, (unsigned long long)tot.lost.packets);
}

int cmd_status(int argc, char **argv)
{
	struct common_args a = {};
	struct status_ctx ctx = {};
	int exit, n;

	exit = common_parse(argc, argv, "status", status_usage, OPT_JSON, &a, NULL);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = need_root("status");
	if (exit)
		return exit;
	ctx.json = a.json;
	ctx.arr = json_array();
	n = for_each_attached(&a, status_one, &ctx);
	if (a.ifname && !n) {
		json_decref(ctx.arr);
		pr_err("%s is not attached in network namespace %s", a.ifname, ns_label(a.netns));
		return NACL_EXIT_INVALID;
	}
	if (a.json) {
		json_dumpf(ctx.arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (!n) {
		printf("no interface is attached\n");
	}
	json_decref(ctx.arr);
	return NACL_EXIT_OK;
}

static const char stats_usage[] =
	"Usage: naclemu stats [-n NETNS] -i IFACE [--json]\n"
	"\n"
	"Packets and bytes (from the Ethernet header; a GSO packet counts as its\n"
	"segments) per direction and rule since attach, summed over CPUs; the\n"
	"default deny as rule 32767 (IPv4) and 32768 (IPv6); traffic not\n"
	"filtered (exempt), with peers inside --subnet (subnet), malformed\n"
	"packets (dropped), and the drop events not delivered (one per dropped\n"
	"skb): lost to a full ring buffer, or suppressed by --events-rate.\n"
	"Rules that kept their number and content through 'update' kept their\n"
	"counts.\n"
	"\n"
	"Options:\n"
	"  -n, --netns NETNS   IFACE is in this named network namespace\n"
	"  -i, --interface IF  the attached interface\n"
	"      --json          one JSON document on stdout\n"
	"\n"
	"Example:\n"
	"  naclemu stats -i eth1\n";

/* One row of stats: a rule (or a default deny) with its counter. */
struct row {
	struct nacl_rule rule;
	struct naclemu_counter c;
};

/* The rules of direction @d, both families, by number, then the defaults. */
static size_t stats_rows(const struct attached *st, int d, struct row *rows)
{
	const struct naclemu_table *v4 = &st->rules->t[d][NACLEMU_V4];
	const struct naclemu_table *v6 = &st->rules->t[d][NACLEMU_V6];
	__u32 i = 0, j = 0;
	size_t n = 0;

	while (i < v4->nrules || j < v6->nrules) {
		bool take4 = j >= v6->nrules ||
			     (i < v4->nrules && v4->info[i].number <= v6->info[j].number);
		const struct naclemu_table *t = take4 ? v4 : v6;
		__u32 k = take4 ? i++ : j++;

		compile_rule_from_info(&t->info[k], take4 ? 4 : 6, &rows[n].rule);
		rows[n++].c = slot_count(st, t->slot[k]);
	}
	for (int f = 0; f < 2; f++) {
		struct nacl_rule *r = &rows[n].rule;

		memset(r, 0, sizeof(*r));
		r->number = 0; /* 32767 / 32768 do not fit: rendered apart */
		r->protocol = NACL_PROTO_ALL;
		r->icmp_type = r->icmp_code = -1;
		r->port_to = 65535;
		r->cidr.family = f ? 6 : 4;
		rows[n++].c = slot_count(st, st->rules->t[d][f].default_slot);
	}
	return n;
}

static unsigned int row_number(const struct row *r)
{
	if (r->rule.number)
		return r->rule.number;
	return r->rule.cidr.family == 6 ? NACL_DEFAULT_RULE_V6 : NACL_DEFAULT_RULE_V4;
}

static void stats_text(const struct target *t, const struct attached *st)
{
	static const char *const dirs[] = { "inbound", "outbound" };
	static const char *const extra[] = { "exempt", "subnet", "malformed" };
	static const __u32 extra_slot[] = { NACLEMU_SLOT_EXEMPT, NACLEMU_SLOT_SUBNET,
					    NACLEMU_SLOT_MALFORMED };
	struct row rows[2 * NACLEMU_MAX_RULES + 2];
	char pb[8], ports[24], cidr[64];

	printf("%s (netns %s): rules %s%s%s, generation %llu\n", t->ifname, ns_label(t->netns),
	       st->meta.path, st->meta.acl_id[0] ? " " : "", st->meta.acl_id,
	       (unsigned long long)st->rules->generation);
	printf("%-8s %5s %-6s %-6s %-10s %-18s %9s %10s\n", "DIR", "RULE", "ACTION", "PROTO",
	       "PORTS", "CIDR", "PACKETS", "BYTES");
	for (int d = 0; d < 2; d++) {
		size_t n = stats_rows(st, d, rows);

		for (size_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];

			printf("%-8s %5u %-6s %-6s %-10s %-18s %9llu %10llu\n", dirs[d],
			       row_number(r), r->rule.allow ? "allow" : "deny",
			       nacl_proto_name(r->rule.protocol, pb),
			       nacl_rule_ports(&r->rule, ports), nacl_cidr_str(&r->rule.cidr, cidr),
			       (unsigned long long)r->c.packets, (unsigned long long)r->c.bytes);
		}
		for (int k = 0; k < 3; k++) {
			struct naclemu_counter c = slot_count(st, extra_slot[k] + (__u32)d);

			printf("%-8s %-49s %9llu %10llu\n", dirs[d], extra[k],
			       (unsigned long long)c.packets, (unsigned long long)c.bytes);
		}
	}
	printf("%-58s %9llu\n", "events lost",
	       (unsigned long long)slot_count(st, NACLEMU_SLOT_EVENTS_LOST).packets);
	printf("%-58s %9llu\n", "events suppressed",
	       (unsigned long long)slot_count(st, NACLEMU_SLOT_EVENTS_SUPPRESSED).packets);
}

static json_t *stats_json(const struct target *t, const struct attached *st)
{
	static const char *const dirs[] = { "inbound", "outbound" };
	struct row rows[2 * NACLEMU_MAX_RULES + 2];
	json_t *doc = json_object();
	char ports[24], cidr[64];

	json_object_set_new(doc, "interface", json_string(t->ifname));
	json_object_set_new(doc, "netns", *t->netns ? json_string(t->netns) : json_null());
	json_object_set_new(doc, "rules_file", json_string(st->meta.path));
	json_object_set_new(doc, "acl", st->meta.acl_id[0] ? json_string(st->meta.acl_id) : json_null());
	json_object_set_new(doc, "generation", json_integer((json_int_t)st->rules->generation));
	for (int d = 0; d < 2; d++) {
		json_t *dir = json_object(), *arr = json_array();
		struct naclemu_counter c;
		size_t n = stats_rows(st, d, rows);

		for (size_t i = 0; i < n; i++) {
			const struct row *r = &rows[i];
			json_t *o = json_pack("{s:i,s:s,s:i,s:s,s:s}", "rule", (int)row_number(r),
					      "action", r->rule.allow ? "allow" : "deny",
					      "protocol", (int)r->rule.protocol,
					      "ports", nacl_rule_ports(&r->rule, ports),
					      "cidr", nacl_cidr_str(&r->rule.cidr, cidr));

			json_object_set_new(o, "packets", json_integer((json_int_t)r->c.packets));
			json_object_set_new(o, "bytes", json_integer((json_int_t)r->c.bytes));
			json_array_append_new(arr, o);
		}
		json_object_set_new(dir, "rules", arr);
		c = slot_count(st, NACLEMU_SLOT_EXEMPT + (__u32)d);
		json_object_set_new(dir, "exempt", counter_json(&c));
		c = slot_count(st, NACLEMU_SLOT_SUBNET + (__u32)d);
		json_object_set_new(dir, "subnet", counter_json(&c));
		c = slot_count(st, NACLEMU_SLOT_MALFORMED + (__u32)d);
		json_object_set_new(dir, "malformed", counter_json(&c));
		json_object_set_new(doc, dirs[d], dir);
	}
	json_object_set_new(doc, "events_lost",
			    json_integer((json_int_t)slot_count(st, NACLEMU_SLOT_EVENTS_LOST).packets));
	json_object_set_new(doc, "events_suppressed",
			    json_integer((json_int_t)slot_count(st, NACLEMU_SLOT_EVENTS_SUPPRESSED).packets));
	return doc;
}

int cmd_stats(int argc, char **argv)
{
	struct common_args a = {};
	struct attached st = { .meta_fd = -1, .rules_fd = -1, .counters_fd = -1 };
	struct target t;
	int exit;

	exit = common_parse(argc, argv, "stats", stats_usage, OPT_JSON | OPT_IFACE, &a, &t);
	if (exit)
		return exit < 0 ? NACL_EXIT_OK : exit;
	exit = open_or_explain(&t, &st, "stats");
	if (exit)
		return exit;
	if (a.json) {
		json_t *doc = stats_json(&t, &st);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	} else {
		stats_text(&t, &st);
	}
	attached_close(&st);
	return NACL_EXIT_OK;
}
