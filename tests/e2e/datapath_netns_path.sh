#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_netns_path.sh - `-n` takes a namespace path as well as a
# name (docs/design.md, "Network namespaces").
#
# A named namespace reached by /proc/PID/ns/net of a process inside it keeps
# its name's folder: attach by the path, status by the name and by
# /run/netns/NAME, detach by /run/netns/NAME.  An unnamed namespace (a
# process's, as a container's) gets the folder net:[INODE]: attach by
# /proc/PID/ns/net, status and detach by another path to it
# (/proc/PID/task/TID/ns/net) and by the label status shows; attaching it
# again by the other path is "already attached"; after the namespace is gone
# its state is still detached by the label.  Bad paths: exit 2, one line.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach status
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"

lab_init "nclt-np$$"
lab_subnet a 192.0.2.1/24
lab_host srv a 192.0.2.20/24
ns=$LAB-srv
pins=$LAB_PIN_ROOT

printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/a.nacl"

# A process inside the named namespace.
lab_bg srv sleeper sleep 120
named_pid=$LAB_BG_PID
lab_wait_file "/proc/$named_pid/ns/net" 2
# ip netns exec execs sleep: wait until the pid is in the namespace.
for _ in $(seq 50); do
	[ "$(stat -L -c %i "/proc/$named_pid/ns/net")" = "$(stat -L -c %i "/run/netns/$ns")" ] && break
	sleep 0.05
done

# ---- a named namespace by path ----
expect_exit 0 "$NACLEMU" attach -n "/proc/$named_pid/ns/net" -i v-srv "$LAB_TMP/a.nacl"
expect_in "$out" "netns $ns" "attach by /proc/PID/ns/net"
[ -d "$pins/$ns/v-srv" ] || fail "the named namespace's folder $pins/$ns/v-srv is missing"
expect_eq "$(lab_our_progs "$ns" v-srv ingress)$(lab_our_progs "$ns" v-srv egress)" 11 \
	"our programs on v-srv after attach by path"
expect_exit 0 "$NACLEMU" status -n "/run/netns/$ns" -i v-srv
expect_in "$out" "$ns" "status by /run/netns/NAME"
expect_exit 0 "$NACLEMU" status -n "$ns" -i v-srv --json
expect_eq "$(jq -r '.[0].state // .state' <<<"$out")" attached "status -n NAME state"
expect_exit 1 "$NACLEMU" attach -n "$ns" -i v-srv "$LAB_TMP/a.nacl"
expect_in "$err" "already attached" "attach by name after attach by path"
expect_exit 0 "$NACLEMU" detach -n "/run/netns/$ns" -i v-srv
[ -e "$pins/$ns" ] && fail "detach by /run/netns/NAME left $pins/$ns"
expect_eq "$(lab_our_progs "$ns" v-srv ingress)$(lab_our_progs "$ns" v-srv egress)" 00 \
	"our programs on v-srv after detach by path"

# ---- an unnamed namespace ----
unshare --net -- sleep 120 &
anon_pid=$!
LAB_PIDS+=("$anon_pid")
for _ in $(seq 50); do
	[ "$(stat -L -c %i "/proc/$anon_pid/ns/net")" != "$(stat -L -c %i /proc/self/ns/net)" ] && break
	sleep 0.05
done
ino=$(stat -L -c %i "/proc/$anon_pid/ns/net")
label="net:[$ino]"
# Its veth is made in the lab's router, the peer moved straight into it.
ip -n "$LAB-router" link add "u-$$" type veth peer name anon0 netns "$anon_pid" ||
	fail "cannot make a veth into the unnamed namespace"
cleanup_anon() {
	"$NACLEMU" detach -n "$label" -i anon0 >/dev/null 2>&1
	rm -rf "${pins:?}/$label" "/run/naclemu/lock/$label"
	lab_cleanup
}
trap cleanup_anon EXIT

expect_exit 0 "$NACLEMU" attach -n "/proc/$anon_pid/ns/net" -i anon0 "$LAB_TMP/a.nacl"
expect_in "$out" "netns $label" "attach in an unnamed namespace"
[ -d "$pins/$label/anon0" ] || fail "the folder $pins/$label/anon0 is missing"
expect_exit 0 "$NACLEMU" status
expect_in "$out" "$label" "status lists the unnamed namespace by its label"
other="/proc/$anon_pid/task/$anon_pid/ns/net"
expect_exit 0 "$NACLEMU" status -n "$other" -i anon0 --json
expect_eq "$(jq -r '.[0].state // .state' <<<"$out")" attached "status by another path: state"
expect_eq "$(jq -r '.[0].netns // .netns' <<<"$out")" "$label" "status by another path: netns"
expect_exit 0 "$NACLEMU" status -n "$label" -i anon0
expect_exit 1 "$NACLEMU" attach -n "$other" -i anon0 "$LAB_TMP/a.nacl"
expect_in "$err" "already attached" "attach again by another path"
expect_exit 0 "$NACLEMU" detach -n "$other" -i anon0
[ -e "$pins/$label" ] && fail "detach by another path left $pins/$label"

# Attached, then the namespace goes: the label still detaches it.
expect_exit 0 "$NACLEMU" attach -n "/proc/$anon_pid/ns/net" -i anon0 "$LAB_TMP/a.nacl"
kill "$anon_pid"
wait "$anon_pid" 2>/dev/null
expect_exit 0 "$NACLEMU" status -n "$label" -i anon0 --json
expect_eq "$(jq -r '.[0].state // .state' <<<"$out")" netns-gone "status after the namespace went"
expect_exit 2 "$NACLEMU" status -n "/proc/$anon_pid/ns/net" -i anon0
expect_in "$err" "cannot open network namespace /proc/$anon_pid/ns/net" "a dead process's path"
expect_exit 0 "$NACLEMU" detach -n "$label" -i anon0
[ -e "$pins/$label" ] && fail "detach by label left $pins/$label"

# ---- bad paths and labels ----
expect_exit 2 "$NACLEMU" status -n /nonexistent/ns -i v-srv
expect_in "$err" "naclemu: status: -n: cannot open network namespace /nonexistent/ns" "a missing path"
expect_exit 2 "$NACLEMU" attach -n /etc/hostname -i v-srv "$LAB_TMP/a.nacl"
expect_in "$err" "is not a network namespace (not an nsfs file)" "a plain file"
expect_exit 2 "$NACLEMU" detach -n /proc/self/ns/uts -i v-srv
expect_in "$err" "another kind of namespace" "a UTS namespace"
expect_exit 1 "$NACLEMU" status -n 'net:[12x]' -i v-srv
expect_in "$err" "is not a network namespace name" "a malformed label"
# The caller's own namespace by path is the "root" folder.
expect_exit 1 "$NACLEMU" status -n /proc/self/ns/net -i nclt-none0
expect_in "$err" "not attached in network namespace root" "the caller's namespace by path"
[ -z "$(ls -A "$pins" 2>/dev/null | grep -F "$LAB")" ] || fail "state left: $(ls "$pins")"
finish
