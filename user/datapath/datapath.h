/* SPDX-License-Identifier: MIT */
/*
 * datapath.h - the datapath library: everything that touches the kernel,
 * once, for every command, `naclemu bench`, `make bench` and the tests.
 *
 *   loading     dp_load(): open the skeleton, probe the kernel, set the
 *               read-only settings, load (verifier)
 *   rule sets   dp_rules_install() / dp_rules_read(): the atomic swap of the
 *               inner map; dp_counter_read() / dp_counters_zero()
 *   state       an attached interface's pinned state under
 *               /sys/fs/bpf/naclemu/<netns or "root">/<ifname>/, opened with
 *               its layout checked (dp_state_open), listed
 *               (dp_for_each_attached)
 *   operations  dp_attach(), dp_update(), dp_detach(): each either completes
 *               or undoes what it did (rollback), and reports failures as an
 *               exit status with one message
 *   plumbing    network namespaces, interface lookup, bpffs, TC filters
 *               (datapath/tc.c)
 *
 * Low-level calls return 0 or -errno, as libbpf does.  The operations
 * return an exit status (output/log.h) and fill a struct dp_error with the
 * one line to print: the library never prints.
 */
#ifndef NACLEMU_DATAPATH_H
#define NACLEMU_DATAPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "naclemu.h"
#include "rules/model.h"
#include "rules/read.h"

struct naclemu; /* the skeleton, naclemu.skel.h */
struct dp_target;

#define DP_PIN_ROOT "/sys/fs/bpf/naclemu"

/*
 * Our TC filters, one on each hook.  Priority 1 so ours runs before filters
 * added with tc's default priorities (a filter that returns TC_ACT_OK ends
 * the chain, and could otherwise bypass the NACL); the fixed handle names
 * ours among other filters of the same priority.
 */
#define DP_TC_PRIORITY 1
#define DP_TC_HANDLE 0x4e41

/* Names of the pinned objects in an interface's folder. */
#define DP_PIN_PROG_IN "prog_ingress"
#define DP_PIN_PROG_OUT "prog_egress"
#define DP_PIN_RULES "rules"
#define DP_PIN_COUNTERS "counters"
#define DP_PIN_FRAGS "frags"
#define DP_PIN_META "meta"
#define DP_PIN_EVENTS "events" /* the drop events ring buffer */
#define DP_PIN_LINK_IN "link_ingress"  /* tcx: our link on ingress */
#define DP_PIN_LINK_OUT "link_egress"  /* tcx: our link on egress */
#define DP_PIN_FLOWS "flows" /* the flow table's outer map, with the flow log on */

/*
 * enum dp_hook - where the programs run (--hook).  DP_HOOK_AUTO: tcx where
 * the kernel has it (6.6+), else clsact.  The attach record says which
 * (NACLEMU_META_HOOK_TCX).
 */
enum dp_hook {
	DP_HOOK_AUTO = 0,
	DP_HOOK_TCX,    /* tcx links, pinned with the state */
	DP_HOOK_CLSACT, /* classic TC filters on a clsact qdisc */
};

/* "tcx" or "clsact" (auto is never recorded). */
const char *dp_hook_name(enum dp_hook hook);
/* The hook of an attach record's head. */
enum dp_hook dp_hook_of(const struct naclemu_meta_head *head);
/* "auto", "tcx" or "clsact" to a hook; -EINVAL otherwise. */
int dp_hook_parse(const char *s, enum dp_hook *hook);

/* Longest network namespace name (as `ip netns` accepts it, NAME_MAX). */
#define DP_NETNS_MAX 63

/* ---- failures ------------------------------------------------------------ */

/*
 * struct dp_error - why an operation failed.
 * @exit: NACL_EXIT_INVALID (the request is wrong: not attached, attached
 *        twice, bad rules) or NACL_EXIT_SYSTEM (the kernel or the machine
 *        refused).
 * @err: the -errno behind it, 0 when there is none.
 * @msg: one line for "naclemu: ...", saying what failed and what to do.
 */
struct dp_error {
	int exit;
	int err;
	char msg[NACL_MSG_LEN];
};

/*
 * dp_fault() - fault injection for the rollback and crash tests: -EIO when
 * the environment variable NACLEMU_FAULT names @step ("attach.pin",
 * "update.install", ... see docs/testing.md), else 0; and SIGKILL to this
 * process when NACLEMU_CRASH names it.  Each step of dp_attach(),
 * dp_update() and dp_detach() calls it before the work it names.
 */
int dp_fault(const char *step);

/* ---- loading -------------------------------------------------------------- */

/*
 * struct dp_load_opts - the read-only settings of a load.
 * @events_rate: drop events per second and CPU, 0 = off (--events-rate).
 * @events_ring: bytes of the events ring buffer, 0 = NACLEMU_EVENTS_RING.
 * @coarse_clock: 1 or 0 forces the events' and flows' clock; -1 probes the
 *                kernel for bpf_ktime_get_coarse_ns() (5.11+), as attach does.
 * @flow_entries: the flow table's size with the flow log on
 *                (NACLEMU_FLOW_ENTRIES_MIN..NACLEMU_FLOW_ENTRIES_MAX), 0 = off
 *                (the verifier drops the accounting as dead code).
 */
struct dp_load_opts {
	__u32 events_rate;
	__u32 events_ring;
	int coarse_clock;
	__u32 flow_entries;
};

/*
 * dp_load() - open the naclemu skeleton, set @o (NULL: attach's defaults),
 * load it.  *@skel is NULL on failure.  Returns 0 or -errno (the verifier
 * log goes through libbpf's print callback: -v).
 */
int dp_load(const struct dp_load_opts *o, struct naclemu **skel);

/* dp_unload() - destroy a skeleton from dp_load() (NULL is fine). */
void dp_unload(struct naclemu *skel);

/* The program of direction @dir, the outer rule map, the counters. */
int dp_prog_fd(const struct naclemu *skel, enum naclemu_dir dir);
int dp_rules_fd(const struct naclemu *skel);
int dp_counters_fd(const struct naclemu *skel);
int dp_frags_fd(const struct naclemu *skel);
/* The outer map of the flow table (its one slot is empty until dp_flows_install()). */
int dp_flows_fd(const struct naclemu *skel);

/* ---- rule sets and counters ---------------------------------------------- */

/*
 * dp_rules_install() - make @rules the live rule set of the outer map
 * @outer_fd: a new inner map is created, filled, frozen and swapped into
 * the outer slot in one update, so every packet sees the old or the new
 * set whole.
 */
int dp_rules_install(int outer_fd, const struct naclemu_rules *rules);

/*
 * dp_rules_check() - whether the inner map @inner_fd holds a rule set of
 * this build's layout (a one-element array of struct naclemu_rules):
 * 0, or -EPROTO (another build's, which must not be read into ours).
 */
int dp_rules_check(int inner_fd);

/* dp_rules_read() - the live rule set; -ENOENT when there is none, -EPROTO another layout's. */
int dp_rules_read(int outer_fd, struct naclemu_rules *out);

/*
 * dp_rules_outer_check() - whether @outer_fd is a rule map of this build's
 * shape (a one-slot array of maps): 0, or -EPROTO.
 */
int dp_rules_outer_check(int outer_fd);

/* dp_rules_id() - the kernel id of the live rule set's inner map, 0 if none. */
__u32 dp_rules_id(int outer_fd);

/*
 * dp_rules_ids() - the rule set id of every interface pinned under the
 * state root (0 for one without a readable rule map), read without their
 * locks, as dp_rules_find() does: *@ids (malloc'ed) and *@n.  0 or -errno.
 */
int dp_rules_ids(__u32 **ids, size_t *n);

/*
 * dp_rules_use() - make the inner map @inner_fd (a frozen rule set, maybe
 * another interface's) the live rule set of @outer_fd, in one swap.
 */
int dp_rules_use(int outer_fd, int inner_fd);

/*
 * dp_rules_find() - one compiled rule set for many interfaces: the live
 * rule set of another attached interface than @self that is equal to
 * @rules byte for byte (the same tables, counter slots and generation, so
 * the same verdicts and counter slots): the fd of its inner map, or
 * -ENOENT.  Reads the other interfaces' pins without their locks: a live
 * rule set is frozen, and the kernel keeps it as long as one outer map
 * holds it, so what was compared stays true.  `update` of one of the
 * interfaces installs a new rule set for it alone (copy on write).
 */
int dp_rules_find(const struct dp_target *self, const struct naclemu_rules *rules);

/* Sum of counter @slot over all CPUs. */
int dp_counter_read(int counters_fd, __u32 slot, struct naclemu_counter *sum);

/* Reset @n counter slots to zero on every CPU. */
int dp_counters_zero(int counters_fd, const __u32 *slots, size_t n);

/* ---- where an interface is ------------------------------------------------ */

/*
 * struct dp_target - an interface: its network namespace's label ("" =
 * the caller's, a name, or "net:[INO]": dp_netns_resolve()) and name, and
 * its pin folder.
 */
struct dp_target {
	char netns[DP_NETNS_MAX + 1];
	char ifname[16];
	char dir[PATH_MAX];
};

/*
 * The folder (and label) of a namespace given by path: "net:[INO]", INO its
 * nsfs inode, as /proc/PID/ns/net reads with readlink.  The inode, not the
 * path, is the namespace's identity: /proc/PID/... changes with the PID.
 */
#define DP_NETNS_INO_PREFIX "net:["

/*
 * dp_netns_resolve() - the folder label of -n @netns (docs/design.md,
 * "Network namespaces"): "" for NULL and for a path to the caller's own
 * namespace; a name as it is (but "net:[INO]" when that namespace was
 * attached by path before it was named); for a path (it contains a '/',
 * e.g. /proc/PID/ns/net, /run/netns/NAME; followed, it is the user's): the
 * namespace's "net:[INO]" folder when it exists, else its name in
 * /run/netns when it has one, else "net:[INO]".  A "net:[INO]" label is
 * taken as it is.  Returns 0, or -errno with @e: a bad name is
 * NACL_EXIT_INVALID, a path that is no network namespace NACL_EXIT_SYSTEM.
 */
int dp_netns_resolve(const char *netns, char label[DP_NETNS_MAX + 1], struct dp_error *e);

/*
 * dp_target_init() - resolve -n @netns (dp_netns_resolve()), check the
 * interface name as `ip` does and fill @t.  @netns NULL is the caller's
 * namespace.  Returns 0, or -errno with @e saying which argument is wrong
 * (option -n or -i) and the exit status (a missing namespace path: 2).
 */
int dp_target_init(struct dp_target *t, const char *netns, const char *ifname,
		   struct dp_error *e);

/* "root" for the caller's namespace, else its label. */
const char *dp_netns_label(const char *netns);

/* Whether @s is an interface name the kernel would accept (IFNAMSIZ). */
bool dp_ifname_valid(const char *s);
/*
 * Whether @s is a network namespace name `ip netns` would accept and naclemu
 * takes: not "root", not beginning as a "net:[INO]" label.
 */
bool dp_netns_valid(const char *s);

/*
 * dp_netns_enter() - switch this thread to the network namespace of label
 * @name: /run/netns/NAME, or for "net:[INO]" the path it was last resolved
 * from, else a name or a process (/proc/PID/ns/net) with that inode; NULL
 * or "" is a no-op.  *@saved gets a handle on the
 * original namespace (or -1) for dp_netns_leave(), which must be called
 * on every path.
 */
int dp_netns_enter(const char *name, int *saved);
void dp_netns_leave(int saved);

/*
 * dp_ifindex() - ifindex of @ifname in the current namespace, checking that
 * it is an Ethernet-like device.  -ENODEV when it does not exist,
 * -EPROTONOSUPPORT for other link types (the parser expects Ethernet).
 */
int dp_ifindex(const char *ifname, int *ifindex);

/*
 * dp_target_ifindex() - ifindex of @t inside its namespace; on failure @e
 * says whether the namespace or the interface is missing.
 */
int dp_target_ifindex(const struct dp_target *t, int *ifindex, struct dp_error *e);

/* ---- the lock-out guard (datapath/route.c, docs/deployment.md) ----------- */

struct nacl_session;
struct nacl_extra;

/*
 * dp_session_carried() - whether the interface @t carries TCP session @s
 * of the host: @s's server address is local in @t's namespace and the
 * route to its client leaves by @t (rtnetlink, as `ip route get`).  No
 * route to either address is "not carried".  Returns 0 or -errno with @e
 * filled (no such namespace or interface: exit 2).
 */
int dp_session_carried(const struct dp_target *t, const struct nacl_session *s, bool *carried,
		       struct dp_error *e);

/*
 * dp_guard_check() - the lock-out guard: 0 when @s is NULL, when @t does
 * not carry it, or when @rs (with the exemptions @x) allows both of its
 * legs; else -EACCES with @e (exit 1) naming the interface, the session,
 * the direction and the rule that denies it.
 */
int dp_guard_check(const struct dp_target *t, const struct nacl_ruleset *rs,
		   const struct nacl_extra *x, const struct nacl_session *s, struct dp_error *e);
/*
 * dp_netns_ifnames() - the names of the Ethernet interfaces (those attach
 * takes) in the namespace of label @netns ("" the caller's), in ifindex
 * order: *@names (malloc'ed, IFNAMSIZ each) and *@n.  0, or -errno
 * (-ENOENT: no such namespace).
 */
int dp_netns_ifnames(const char *netns, char (**names)[16], size_t *n);

/* Mount bpffs on /sys/fs/bpf when it is not there. */
int dp_bpffs_ensure(void);

/* ---- pinned state -------------------------------------------------------- */

/*
 * struct dp_pins - an interface's pin folder, opened without following a
 * link: the state root, the namespace's folder, the interface's folder
 * (datapath/pins.c).  -1 where not open.
 */
struct dp_pins {
	int root_fd, ns_fd, if_fd;
};

/*
 * struct dp_state - an attached interface's pinned state, opened, with the
 * interface's lock held (shared) until dp_state_close().
 * @meta: the attach record; @rules: the live rule set (malloc'ed);
 * @rules_id: the kernel id of its inner map (interfaces that share the
 * rule set have the same); @events_fd: the drop events ring.
 */
struct dp_state {
	struct dp_pins pins;
	int lock_fd;
	int meta_fd, rules_fd, counters_fd, events_fd;
	struct naclemu_meta meta;
	struct naclemu_rules *rules;
	__u32 rules_id;
};

/*
 * dp_state_open() - take @t's lock (shared: other readers may run,
 * attach/update/detach wait) and open its state.  Errors: -ENOENT nothing
 * is attached; -EUCLEAN the state is incomplete; -EPROTO the state has
 * another layout (another naclemu build attached it); -EINPROGRESS a
 * command that changed it died half way; -ELOOP a symbolic link below the
 * state root.  @e says it, with what to do.
 */
int dp_state_open(const struct dp_target *t, struct dp_state *st, struct dp_error *e);
void dp_state_close(struct dp_state *st);

/* The id of the drop events ring pinned for @t now, 0 when there is none. */
__u32 dp_target_events_id(const struct dp_target *t);

/*
 * dp_for_each_attached() - call @fn for every attached interface that
 * @netns / @ifname select (NULL: any; @ifname without @netns: the caller's
 * namespace), in directory order, with its target.  Folders whose state
 * cannot be opened (incomplete, another layout) are passed with @st NULL
 * and @e saying why; empty ones are skipped.  @fn returns 0 to go on.
 * *@visited counts the calls.  Returns 0, -errno when the state root
 * cannot be read, or the first non-zero return of @fn.
 */
typedef int (*dp_visit_fn)(const struct dp_target *t, struct dp_state *st,
			   const struct dp_error *e, void *arg);
int dp_for_each_attached(const char *netns, const char *ifname, dp_visit_fn fn, void *arg,
			 size_t *visited);

/* The kernel id of the map or program behind @fd, 0 on failure. */
__u32 dp_obj_id(int fd);

/* ---- operations ----------------------------------------------------------- */

/*
 * struct attach_req - what `attach` (and `run`) asks for.
 * @netns, @ifname: the interface.  @rules_path, @select: the rule file.
 * @subnet, @exempt, @vpc: --subnet / --exempt / --vpc CIDRs.
 * @events_rate: --events-rate.
 * @hook: --hook (DP_HOOK_AUTO: probe the kernel).
 * @session: the SSH session the command runs in (SSH_CONNECTION), or NULL
 *           (none, or --force): attach refuses rules that would cut it off
 *           on the interface that carries it (dp_guard_check()).
 * @force: --force, for the command: leave @session NULL.
 * @managed: record NACLEMU_META_MANAGED (attached by `naclemu apply`).
 * @flow_entries: --flow-log-entries with --flow-log, 0 without (off).
 */
struct attach_req {
	const char *netns;
	const char *ifname;
	const char *rules_path;
	struct nacl_select select;
	struct naclemu_cidr subnet[NACLEMU_MAX_CIDRS];
	struct naclemu_cidr exempt[NACLEMU_MAX_CIDRS];
	struct naclemu_cidr vpc[NACLEMU_MAX_CIDRS];
	__u8 nsubnet, nexempt, nvpc;
	__u32 events_rate;
	enum dp_hook hook;
	const struct nacl_session *session;
	bool force;
	bool managed;
	__u32 flow_entries;
};

/*
 * struct update_req - what `update` asks for; @session as attach_req's,
 * judged with the CIDRs the interface was attached with.
 */
struct update_req {
	const char *netns;
	const char *ifname;
	const char *rules_path;
	struct nacl_select select;
	const struct nacl_session *session;
	bool force;
};

/*
 * struct dp_result - what attach or update did: the target, rules per
 * direction, the ACL read, the generation, how many rules kept their
 * counters (update) and how many are new; @shared: attach found the same
 * rule set live on another interface and shares it; @hook: where the
 * programs run;
 * @note: what it recovered first of a command that had died on the
 * interface ("" when nothing).
 */
struct dp_result {
	struct dp_target target;
	size_t rules[NACLEMU_NDIRS];
	char acl_id[64];
	__u64 generation;
	size_t kept, fresh;
	bool shared;
	enum dp_hook hook;
	char note[192];
};

/*
 * dp_attach() - load the datapath, install @rs, pin the state and add the
 * TC filters to the interface of @req.  On any failure everything done so
 * far is undone: no filter, no qdisc of ours, no pin.  Already attached is
 * NACL_EXIT_INVALID.  Returns an exit status.
 */
int dp_attach(const struct attach_req *req, const struct nacl_ruleset *rs,
	      struct dp_result *res, struct dp_error *e);

/*
 * dp_update() - replace the live rules of an attached interface with @rs
 * atomically; rules that keep number and content keep their counters.
 * On failure the old rules stay.  Returns an exit status.
 */
int dp_update(const struct update_req *req, const struct nacl_ruleset *rs,
	      struct dp_result *res, struct dp_error *e);

/*
 * struct dp_detached - what detach did: whether it removed the clsact
 * qdisc, whether the interface (or its namespace) was already gone.
 */
struct dp_detached {
	bool removed_qdisc;
	bool iface_gone;
};

/*
 * dp_detach() - remove what attach created on @t: our two filters (by the
 * ids of the pinned programs), the clsact qdisc if attach created it and
 * nothing else is on it, and the pins.  Works on a state of any layout and
 * on a half state.  Returns an exit status.
 */
int dp_detach(const struct dp_target *t, struct dp_detached *d, struct dp_error *e);

/*
 * dp_set_managed() - set or clear NACLEMU_META_MANAGED in @t's attach
 * record (apply adopts an interface attached by hand, or gives it back),
 * under its lock, after recovering what a dead command left.  Returns an
 * exit status (not attached: NACL_EXIT_INVALID).
 */
int dp_set_managed(const struct dp_target *t, bool managed, struct dp_error *e);

/*
 * dp_apply_lock() - take the lock that serialises `naclemu apply` runs (and
 * the daemon's), /run/naclemu/apply.lock (flock, dropped when the holder
 * dies), waiting up to a minute: *@lock_fd for dp_unlock().  0 or -errno
 * with @e.
 */
int dp_apply_lock(int *lock_fd, struct dp_error *e);
/* dp_unlock() - release a lock of dp_apply_lock() or dp_lock() (-1 is fine). */
void dp_unlock(int lock_fd);
/* ---- the flow log (datapath/flows.c) ------------------------------------- */

struct flowlog_flow;

/* dp_flows_create() - a new, empty flow table of @entries: its fd, or -errno. */
int dp_flows_create(__u32 entries);

/*
 * dp_flows_install() - make a new, empty flow table of @entries the live
 * one of the outer map @outer_fd (attach, and each window's swap).
 */
int dp_flows_install(int outer_fd, __u32 entries);

/*
 * dp_flows_get() - the flow table's outer map of @st: an fd, -ENOTSUP when
 * the interface was attached without --flow-log, -EUCLEAN when its pin is
 * missing.
 */
int dp_flows_get(const struct dp_state *st);

/*
 * dp_flows_lock() - become the one reader of @st's flow table: an fd
 * holding the lock (flock on the pin folder, released when closed or at
 * exit), or -EBUSY when another reader holds it.
 */
int dp_flows_lock(const struct dp_state *st);

/*
 * dp_flows_take() - end a window: swap an empty table of @entries in and
 * read the old one whole, once no program can write it any more (the
 * swap waits for them): *@flows (malloc'ed, each key once, values summed
 * over CPUs, CLOCK_MONOTONIC times), *@n.  0, or -errno (-EPROTO: the live
 * table is not of this build's shape).  On a failure after the swap the
 * old window's flows are lost: the caller reports the error (`flowlog`
 * with -i ends on it, without -i it warns and goes on).
 */
int dp_flows_take(int outer_fd, __u32 entries, struct flowlog_flow **flows, size_t *n);

/* ---- reading counters ----------------------------------------------------- */

/* Counter totals of one attached interface. */
struct dp_totals {
	struct naclemu_counter allowed, denied, exempt, subnet, malformed, lost, suppressed;
};

/* Sum of the counters of @st: allowed, denied per their rules' actions. */
void dp_totals_read(const struct dp_state *st, struct dp_totals *tot);

/* One counter of @st (zero when unreadable). */
struct naclemu_counter dp_slot_count(const struct dp_state *st, __u32 slot);

/*
 * dp_filter_state() - whether our filters are in place for @st: "attached",
 * or "netns-gone", "iface-gone", "iface-replaced", "filters-missing",
 * "links-missing".
 */
const char *dp_filter_state(const struct dp_target *t, const struct dp_state *st);

/* ---- TC filters (datapath/tc.c) ------------------------------------------- */

/*
 * tc_filters_attach() - add our two filters to @ifindex (current netns),
 * creating the clsact qdisc only when there is none (*@created_qdisc says
 * whether we did).  On failure nothing of ours is left.
 */
int tc_filters_attach(int ifindex, int prog_in_fd, int prog_out_fd, bool *created_qdisc);

/*
 * tc_filters_detach() - remove our filter from each hook where it still
 * runs our program (@prog_in_id / @prog_out_id: a filter with our handle
 * and priority running anything else is not ours and stays); then the
 * clsact qdisc if @created_qdisc and no filter at all is left on it.  A
 * missing filter is not an error.  *@removed_qdisc tells whether the qdisc
 * went.
 */
int tc_filters_detach(int ifindex, __u32 prog_in_id, __u32 prog_out_id, bool created_qdisc,
		      bool *removed_qdisc);

/* tc_clsact_exists() - whether @ifindex has a clsact qdisc (current netns). */
int tc_clsact_exists(int ifindex, bool *exists);

/* tc_filters_query() - program ids of our filters on @ifindex, 0 if missing. */
int tc_filters_query(int ifindex, __u32 *prog_in_id, __u32 *prog_out_id);

/* ---- tcx links (datapath/tcx.c), in the interface's namespace ------------- */

/* tcx_probe() - 0 when the kernel has tcx, -EOPNOTSUPP when not, or -errno. */
int tcx_probe(int ifindex);

/*
 * tcx_link_create() - attach @prog_fd to @ifindex's hook of direction @dir
 * in front of the programs there.  Returns the link's fd (the program
 * stays attached while the link is open or pinned) or -errno.
 */
int tcx_link_create(int ifindex, int prog_fd, enum naclemu_dir dir);

/* tcx_link_detach() - detach the link @link_fd now (gone already: 0). */
int tcx_link_detach(int link_fd);

/* tcx_query() - 1 when program @prog_id runs on @ifindex's hook @dir, else 0, or -errno. */
int tcx_query(int ifindex, enum naclemu_dir dir, __u32 prog_id);

/*
 * tcx_ahead() - how many programs run before program @prog_id on
 * @ifindex's tcx hook @dir (tcx runs them in order), their ids in @ids (at
 * most @max, in the order they run).  -ENOENT when @prog_id is not on the
 * hook, or -errno.  Only the first 64 programs of a hook are looked at.
 */
int tcx_ahead(int ifindex, enum naclemu_dir dir, __u32 prog_id, __u32 *ids, __u32 max);

/* How many ids of the programs ahead of ours struct dp_ahead keeps per direction. */
#define DP_AHEAD_IDS 8

/*
 * struct dp_ahead - the foreign programs in front of ours on an attached
 * interface's tcx hooks.  tcx runs a hook's programs in order, so each of
 * them sees every packet before naclemu, and one that drops, redirects or
 * ends the chain (TCX_PASS) decides before the NACL judges: attach puts
 * ours first, but a program attached later with BPF_F_BEFORE goes in
 * front.  @known: the hooks were read (tcx, and our programs are on
 * them); @n: per direction (enum naclemu_dir), how many run before ours;
 * @ids: the first DP_AHEAD_IDS of their program ids, in the order they run.
 */
struct dp_ahead {
	bool known;
	__u32 n[2];
	__u32 ids[2][DP_AHEAD_IDS];
};

/*
 * dp_ahead_read() - fill @a for @t and its open state @st.  On clsact,
 * where our TC filters have priority 1, or when the namespace, the
 * interface or one of our programs is missing (status's state says which),
 * @a->known is false.
 */
void dp_ahead_read(const struct dp_target *t, const struct dp_state *st, struct dp_ahead *a);

#endif /* NACLEMU_DATAPATH_H */
