#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/unit_caps.sh - the capabilities of the systemd unit
# (contrib/systemd/naclemu.service, CapabilityBoundingSet=) are enough for
# what the daemon does through the library: attach, status, stats, update,
# events, metrics and detach on an interface of a named namespace, run as
# root with only those capabilities and no_new_privs (setpriv), as systemd
# runs the unit.  And the check bites: without CAP_SYS_ADMIN the same
# attach fails (setns), and on the clsact hook without CAP_NET_ADMIN too
# (rtnetlink's TC requests).  Then its file system as
# ProtectSystem=strict leaves it (in a mount namespace of the test's own:
# every mount read-only but /dev, /proc, /sys and the unit's
# ReadWritePaths= and RuntimeDirectory=): attach, update and detach work,
# and fail without /run/naclemu.  The rest of the sandbox needs systemd
# and is not checked here (docs/packaging.md).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status stats events metrics
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v capsh >/dev/null || skip "capsh (libcap2-bin) is not installed"
command -v unshare >/dev/null && command -v findmnt >/dev/null || skip "unshare or findmnt (util-linux) is not installed"
command -v jq >/dev/null || skip "jq is not installed"

unit=contrib/systemd/naclemu.service
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
_checks=$((_checks + 1))
[ -n "$caps" ] || fail "$unit has no CapabilityBoundingSet="
expect_eq "$(sed -n 's/^AmbientCapabilities=//p' "$unit")" "$caps" "AmbientCapabilities"
expect_eq "$(sed -n 's/^NoNewPrivileges=//p' "$unit")" yes "NoNewPrivileges"

# setpriv's spelling of a set: "-all,+bpf,+net_admin".
bounding() {
	local c s=-all
	for c in $1; do
		c=${c#CAP_}
		s="$s,+${c,,}"
	done
	echo "$s"
}
# as_unit CAPS CMD...: naclemu CMD as root with only CAPS.
as_unit() {
	local set
	set=$(bounding "$1")
	shift
	setpriv --no-new-privs --inh-caps=-all --bounding-set="$set" "$NACLEMU" "$@"
}
without() { tr ' ' '\n' <<<"$caps" | grep -vx "$1" | tr '\n' ' '; }

lab_init "nclt-caps$$"
lab_subnet a 192.0.2.1/24
lab_host client a 192.0.2.10/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server

# The capabilities really are limited: the bounding set that naclemu
# runs with is the unit's, no more.
expect_exit 0 setpriv --no-new-privs --inh-caps=-all --bounding-set="$(bounding "$caps")" \
	grep '^CapBnd' /proc/self/status
expect_exit 0 capsh --decode="$(awk '{print $2}' <<<"$out")"
expect_eq "$(sed 's/^.*=//' <<<"$out" | tr ',' '\n' | sort | tr '\n' ' ')" \
	"$(tr ' ' '\n' <<<"$caps" | tr 'A-Z' 'a-z' | sort | tr '\n' ' ')" "bounding set under setpriv"

# 1. Everything the daemon does, with the unit's capabilities.
expect_exit 0 as_unit "$caps" attach -n "$ns" -i "$dev" examples/web-server.nacl
expect_in "$out" "attached to $dev"
LAB_ATTACHED+=(server)
expect_exit 0 as_unit "$caps" status -n "$ns" --json
expect_eq "$(jq -r '.[0].state' <<<"$out")" attached "state under the unit's capabilities"
# Enforced: web-server.nacl lets no ICMP in, the ping is denied.
expect_exit 1 lab_exec client ping -c 1 -W 1 192.0.2.20
expect_exit 0 as_unit "$caps" stats -n "$ns" -i "$dev" --json
STATS=$out
expect_eq "$(counter inbound 32767)" 1 "inbound default deny (the ping)"
expect_exit 0 as_unit "$caps" update -n "$ns" -i "$dev" examples/web-server-no-ephemeral.nacl
expect_in "$out" "updated $dev"
expect_exit 0 as_unit "$caps" events -n "$ns" --timeout 0.3
expect_exit 0 as_unit "$caps" metrics
expect_in "$out" "interface=\"$dev\""
expect_exit 0 as_unit "$caps" detach -n "$ns" -i "$dev"
expect_in "$out" "detached from $dev"
LAB_ATTACHED=()

# 2. The check bites: one capability fewer, and attach fails, changing
# nothing.
expect_exit 2 as_unit "$(without CAP_SYS_ADMIN)" attach -n "$ns" -i "$dev" examples/web-server.nacl
expect_exit 0 "$NACLEMU" status -n "$ns" --json
expect_eq "$(jq length <<<"$out")" 0 "attached after a refused attach"
if [ "$NACLEMU_HOOK" = clsact ]; then
	expect_exit 2 as_unit "$(without CAP_NET_ADMIN)" attach -n "$ns" -i "$dev" examples/web-server.nacl
	expect_in "$err" "Operation not permitted"
	expect_exit 0 "$NACLEMU" status -n "$ns" --json
	expect_eq "$(jq length <<<"$out")" 0 "attached after a refused attach"
fi

# 3. ProtectSystem=strict: everything read-only but the API file systems
# and the folders the unit makes writable.  as_strict "RW..." ARGS...:
# naclemu ARGS with the unit's capabilities (as_unit), in a mount namespace
# of its own (slave: nothing goes back to the host).
as_strict() {
	local rw=$1
	shift
	unshare -m bash -c '
		rw=$1; shift
		mount --make-rslave / || exit 2
		for p in $rw; do mount --bind "$p" "$p" || exit 2; done
		findmnt -rno TARGET | sort -u | while read -r m; do
			case $m in /dev | /dev/* | /proc | /proc/* | /sys | /sys/*) continue ;; esac
			case " $rw " in *" $m "*) continue ;; esac
			mount -o remount,bind,ro "$m" 2>/dev/null || echo "note: $m stays writable"
		done
		touch /etc/naclemu-unit-caps 2>/dev/null && { rm -f /etc/naclemu-unit-caps; echo "/etc is writable"; exit 2; }
		"$@"' _ "$rw" setpriv --no-new-privs --inh-caps=-all --bounding-set="$(bounding "$caps")" \
		"$NACLEMU" "$@"
}
rwpaths=$(sed -n 's/^ReadWritePaths=//p' "$unit" | tr '\n' ' ')
rundir=/run/$(sed -n 's/^RuntimeDirectory=//p' "$unit")
expect_eq "$rwpaths" "/sys/fs/bpf " "ReadWritePaths"
expect_eq "$rundir" /run/naclemu "RuntimeDirectory"
mkdir -p -m 0700 "$rundir"
expect_exit 0 as_strict "$rwpaths $rundir" attach -n "$ns" -i "$dev" examples/web-server.nacl
LAB_ATTACHED+=(server)
expect_exit 0 as_strict "$rwpaths $rundir" update -n "$ns" -i "$dev" examples/quiz.nacl
expect_in "$out" "updated $dev"
expect_exit 0 as_strict "$rwpaths $rundir" detach -n "$ns" -i "$dev"
expect_in "$out" "detached from $dev"
LAB_ATTACHED=()
expect_exit 2 as_strict "$rwpaths" attach -n "$ns" -i "$dev" examples/web-server.nacl
expect_in "$err" "Read-only file system" "attach without /run/naclemu writable"

finish
