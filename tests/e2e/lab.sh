#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/lab.sh - network namespaces for the end-to-end scenarios and the
# demo: a router namespace joining subnets, and one namespace per host.
#
#   . tests/e2e/lab.sh
#   lab_init nclt-web                    # names: nclt-web-router, nclt-web-HOST
#   lab_subnet web 198.51.100.1/24 2001:db8:2::1/64
#   lab_host server web 198.51.100.10/24 2001:db8:2::10/64
#   lab_serve server tcp 198.51.100.10:80
#   lab_attach server examples/web-server.nacl
#   lab_exec client "$PYTHON" "$CONNS" tcp --dst 198.51.100.10:80 ...
#
# Each subnet is a Linux bridge in the router with the gateway address on
# it, so hosts of one subnet talk directly and other subnets are routed, as
# in a VPC.  A host is plugged in by a veth pair created straight inside the
# two namespaces: nothing is ever created in (or read from) the caller's
# namespace.  The host's interface is v-HOST, the router's end r-HOST.
#
# lab_init sets a trap: on exit, Ctrl-C or TERM, lab_cleanup stops the
# processes started with lab_bg/lab_serve, detaches what lab_attach
# attached, deletes the namespaces (and so the veth pairs and bridges), and
# removes pinned state left under /sys/fs/bpf/naclemu/ for its namespaces.
#
# Run directly (bash tests/e2e/lab.sh), it tests itself: two subnets,
# ping and TCP across the router, and nothing left behind.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NACLEMU=${NACLEMU:-$LAB_ROOT/build/naclemu}
CONNS=${CONNS:-$LAB_ROOT/tests/tools/conns.py}
if [ -z "${PYTHON:-}" ]; then
	# Debian's python3 starts faster than a version manager's shim.
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
LAB_PIN_ROOT=/sys/fs/bpf/naclemu
TCX=${TCX:-$LAB_ROOT/build/tests/tcx}
# The hook every attach of the test uses (naclemu reads NACLEMU_HOOK):
# tests/run.sh runs the end-to-end tests once on tcx (where the kernel has
# it) and once on clsact; run alone, a test takes the kernel's default.
if [ -z "${NACLEMU_HOOK:-}" ] || [ "$NACLEMU_HOOK" = auto ]; then
	if "$TCX" probe 2>/dev/null; then NACLEMU_HOOK=tcx; else NACLEMU_HOOK=clsact; fi
fi
export NACLEMU_HOOK
# Connect timeout of the scenarios' clients (seconds): ample on a loaded
# machine, and shorter than TCP's first SYN retransmission (1 s), so a
# failed connection sends one SYN and gets at most one SYN-ACK.
export LAB_TIMEOUT=0.7

LAB=
LAB_TMP=
LAB_NETNS=()
LAB_PIDS=()
LAB_ATTACHED=()
declare -A LAB_GW4 LAB_GW6

lab_log() { [ -n "${LAB_QUIET:-}" ] || echo "lab: $*"; }

# lab_need_root, lab_need_cmds CMD...: skip (exit 77) with the reason.
lab_need_root() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces, BPF)"; exit 77; }
	command -v ip >/dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
	"$PYTHON" -c 'import socket' 2>/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
}

lab_need_cmds() {
	local cmd help
	[ -x "$NACLEMU" ] || { echo "SKIP: $NACLEMU is not built (make)"; exit 77; }
	help=$("$NACLEMU" --help 2>&1)
	for cmd in "$@"; do
		grep -qE "^  $cmd( |$)" <<<"$help" ||
			{ echo "SKIP: $NACLEMU has no '$cmd' command yet"; exit 77; }
	done
}

lab_has_cmd() { "$NACLEMU" --help 2>&1 | grep -qE "^  $1( |$)"; }

lab_ns() { echo "$LAB-$1"; }
lab_if() { echo "v-$1"; }
lab_exec() { local h=$1; shift; ip netns exec "$LAB-$h" "$@"; }

# lab_init PREFIX: start a lab whose namespaces are PREFIX-*.
lab_init() {
	LAB=$1
	LAB_TMP=$(mktemp -d "/tmp/$LAB.XXXXXX")
	trap lab_cleanup EXIT
	trap 'echo "lab: interrupted, removing the lab" >&2; exit 130' INT
	trap 'echo "lab: terminated, removing the lab" >&2; exit 143' TERM
	lab_mkns router || return 1
	ip netns exec "$LAB-router" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
}

# lab_mkns HOST: the namespace PREFIX-HOST.  A leftover of the same name
# (from a killed run) is removed first, with its pinned state.
lab_mkns() {
	local ns=$LAB-$1
	if [ -e "/run/netns/$ns" ]; then
		lab_log "removing $ns, left over from an earlier run"
		[ -d "$LAB_PIN_ROOT/$ns" ] && rm -rf "${LAB_PIN_ROOT:?}/$ns"
		ip netns del "$ns"
	fi
	ip netns add "$ns" || return 1
	LAB_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	# No duplicate address detection: addresses are usable at once.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# lab_subnet NAME GW4/LEN [GW6/LEN]: a subnet, its gateway in the router.
lab_subnet() {
	local name=$1 gw4=$2 gw6=${3:-} r=$LAB-router
	ip -n "$r" link add "br-$name" type bridge stp_state 0 mcast_snooping 0 || return 1
	ip -n "$r" addr add "$gw4" dev "br-$name"
	[ -z "$gw6" ] || ip -n "$r" addr add "$gw6" dev "br-$name" nodad
	ip -n "$r" link set "br-$name" up
	LAB_GW4[$name]=${gw4%/*}
	LAB_GW6[$name]=${gw6%/*}
}

# lab_host HOST SUBNET ADDR4/LEN [ADDR6/LEN]...: a host namespace on SUBNET.
# More addresses of either family may follow (the first of each family is
# the one the default route uses).
lab_host() {
	local host=$1 subnet=$2 ns=$LAB-$1 a v6=
	shift 2
	lab_mkns "$host" || return 1
	ip -n "$ns" link add "v-$host" type veth peer name "r-$host" netns "$LAB-router" || return 1
	ip -n "$LAB-router" link set "r-$host" master "br-$subnet" up
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "v-$host" nodad; v6=1 ;;
		*) ip -n "$ns" addr add "$a" dev "v-$host" ;;
		esac
	done
	ip -n "$ns" link set "v-$host" up
	ip -n "$ns" route add default via "${LAB_GW4[$subnet]}"
	[ -z "$v6" ] || ip -n "$ns" -6 route add default via "${LAB_GW6[$subnet]}"
}

# lab_bg HOST NAME CMD...: run CMD in HOST's namespace in the background,
# output to $LAB_TMP/NAME.log; $LAB_BG_PID is its pid (ip netns exec
# execs the command, so the pid is the command's).
lab_bg() {
	local host=$1 name=$2
	shift 2
	ip netns exec "$LAB-$host" "$@" >"$LAB_TMP/$name.log" 2>&1 &
	LAB_BG_PID=$!
	LAB_PIDS+=("$LAB_BG_PID")
}

# lab_wait_file FILE [SECONDS]: wait (bounded) until FILE exists.
lab_wait_file() {
	local f=$1 i n=$(( ${2:-5} * 20 ))
	for ((i = 0; i < n; i++)); do
		[ -e "$f" ] && return 0
		sleep 0.05
	done
	echo "lab: timed out waiting for $f" >&2
	return 1
}

# lab_serve HOST tcp|udp ADDR:PORT[,PORT...]: an echo server, ready on return.
lab_serve() {
	local host=$1 proto=$2 listen=$3 name
	name=serve-$host-$proto-${listen//[^0-9a-f]/_}
	rm -f "$LAB_TMP/$name.ready"
	lab_bg "$host" "$name" "$PYTHON" "$CONNS" serve "$proto" --listen "$listen" \
		--ready "$LAB_TMP/$name.ready"
	lab_wait_file "$LAB_TMP/$name.ready" 5 || { cat "$LAB_TMP/$name.log" >&2; return 1; }
}

# lab_relay HOST LISTEN TO: a TCP relay (a load balancer), ready on return.
lab_relay() {
	local host=$1 name=relay-$1
	rm -f "$LAB_TMP/$name.ready"
	lab_bg "$host" "$name" "$PYTHON" "$CONNS" relay --listen "$2" --to "$3" \
		--ready "$LAB_TMP/$name.ready"
	lab_wait_file "$LAB_TMP/$name.ready" 5 || { cat "$LAB_TMP/$name.log" >&2; return 1; }
}

# lab_attach HOST RULES [OPTIONS]: naclemu attach on HOST's interface (the
# NACL of HOST's subnet, as seen from HOST).
lab_attach() {
	local host=$1
	shift
	"$NACLEMU" attach -n "$LAB-$host" -i "v-$host" "$@" || return
	LAB_ATTACHED+=("$host")
}

# lab_naclemu CMD HOST [ARGS]: naclemu CMD -n NETNS -i IFACE ARGS.
lab_naclemu() {
	local cmd=$1 host=$2
	shift 2
	"$NACLEMU" "$cmd" -n "$LAB-$host" -i "v-$host" "$@"
}

# lab_stats HOST: read `naclemu stats --json` of HOST's interface into
# $STATS; then counter DIR WHAT prints a packet count of it: DIR is inbound
# or outbound, WHAT a rule number (32767/32768 for the default deny),
# exempt, subnet or malformed.
lab_stats() { STATS=$(lab_naclemu stats "$1" --json); }
# lab_show HOST: the stats table, for the log.
lab_show() { echo "\$ naclemu stats -n $LAB-$1 -i v-$1"; lab_naclemu stats "$1"; }
counter() {
	jq -r --arg d "$1" --arg w "$2" '
		if ($w | test("^[0-9]+$")) then
			[.[$d].rules[] | select(.rule == ($w | tonumber)) | .packets] | add // 0
		else .[$d][$w].packets end' <<<"$STATS"
}

# lab_events_start HOST: `naclemu events --json` on HOST's interface in the
# background (when the build has it; otherwise LAB_EVENTS is empty);
# lab_events_stop HOST stops it (SIGINT) and leaves the events, one JSON
# object a line, in $LAB_TMP/events-HOST.
declare -A LAB_EVENTS_PID
LAB_EVENTS= # set when events are being recorded (read by the scripts)
export LAB_EVENTS
lab_events_start() {
	local host=$1 i
	lab_has_cmd events || return 0
	LAB_EVENTS=1
	: >"$LAB_TMP/events-$host"
	"$NACLEMU" events -n "$LAB-$host" -i "v-$host" --json --timeout 120 \
		>"$LAB_TMP/events-$host" 2>"$LAB_TMP/events-$host.err" &
	LAB_EVENTS_PID[$host]=$!
	LAB_PIDS+=("$!")
	# Ready once it says "listening for drops on" (stderr), as tcpdump.
	for ((i = 0; i < 100; i++)); do
		grep -q "listening for drops on" "$LAB_TMP/events-$host.err" && return 0
		kill -0 "${LAB_EVENTS_PID[$host]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "lab: naclemu events did not start: $(cat "$LAB_TMP/events-$host.err")" >&2
	return 1
}
lab_events_stop() {
	local host=$1 pid=${LAB_EVENTS_PID[$1]:-}
	[ -n "$pid" ] || return 0
	sleep 0.2 # let the last events of the traffic arrive
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	LAB_EVENTS_PID[$host]=
	# Its summary line (events printed, suppressed, lost), for the log.
	grep -v "listening for drops on" "$LAB_TMP/events-$host.err"
}
# events HOST JQ-FILTER: apply a jq filter to the JSON lines of HOST.  MLD
# (ICMPv6 130-132, 143) is left out: every host sends MLD reports on its
# own when its addresses come up, and the rules drop them (docs/semantics.md section 1, exempts
# only neighbour discovery) at moments no scenario controls.
events() {
	grep '^{' "$LAB_TMP/events-$1" |
		jq -r 'select(.protocol != 58 or (.icmp_type | IN(130, 131, 132, 143) | not)) | '"$2"
}

# lab_conns HOST tcp|udp ARGS...: conns.py client in HOST; its lines on stdout.
lab_conns() {
	local host=$1
	shift
	ip netns exec "$LAB-$host" "$PYTHON" "$CONNS" "$@"
}

# lab_our_progs NETNS DEV ingress|egress: how many naclemu programs run on
# that hook of DEV (its TC filters with our handle, or its tcx programs).
lab_our_progs() {
	local progs
	if [ "$NACLEMU_HOOK" = tcx ]; then
		# A query that fails is no "0": it would make every check pass.
		progs=$("$TCX" -n "$1" query "$2" "$3") || { echo "tcx-query-failed"; return 1; }
		grep -c ' naclemu_' <<<"$progs"
	else
		tc -n "$1" filter show dev "$2" "$3" | grep -c 'handle 0x4e41'
	fi
}

# conns_count RESULT < conns output: how many lines have that result.
conns_count() { awk -v r="$1" '$1 !~ /^#/ && $4 == r { n++ } END { print n + 0 }'; }

# lab_leftovers: print what of this lab is still there (nothing when clean).
lab_leftovers() {
	local ns
	for ns in "${LAB_NETNS[@]}"; do
		[ -e "/run/netns/$ns" ] && echo "netns $ns"
		[ -e "$LAB_PIN_ROOT/$ns" ] && echo "pinned state $LAB_PIN_ROOT/$ns"
	done
	return 0
}

lab_cleanup() {
	local rc=$? pid host ns
	trap - EXIT INT TERM
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for host in "${LAB_ATTACHED[@]}"; do
		"$NACLEMU" detach -n "$LAB-$host" -i "v-$host" >/dev/null 2>&1
	done
	for ns in "${LAB_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
		# State that a failed detach left (our own namespaces' only), and
		# the interface locks of our namespaces (no command runs any more).
		[ -e "$LAB_PIN_ROOT/$ns" ] && rm -rf "${LAB_PIN_ROOT:?}/$ns"
		rm -rf "/run/naclemu/lock/$ns"
	done
	rmdir "$LAB_PIN_ROOT" 2>/dev/null
	[ -z "$LAB_TMP" ] || rm -rf "$LAB_TMP"
	LAB_PIDS=() LAB_ATTACHED=() LAB_TMP=
	return $rc
}

# ---- self-test -------------------------------------------------------------
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	cd "$LAB_ROOT" || exit 1
	. tests/lib.sh
	lab_need_root
	lab_init nclt-lab
	lab_subnet a 192.0.2.1/24 2001:db8:1::1/64
	lab_subnet b 198.51.100.1/24 2001:db8:2::1/64
	lab_host client a 192.0.2.10/24 2001:db8:1::10/64
	lab_host peer a 192.0.2.11/24
	lab_host server b 198.51.100.20/24 2001:db8:2::20/64
	lab_serve server tcp 198.51.100.20:10001
	lab_serve server tcp "[2001:db8:2::20]:10001"
	lab_serve server udp 198.51.100.20:5353

	expect_exit 0 lab_exec client ping -c 1 -W 2 198.51.100.20
	expect_exit 0 lab_exec client ping -c 1 -W 2 2001:db8:2::20
	expect_exit 0 lab_exec peer ping -c 1 -W 2 192.0.2.10
	out=$(lab_conns client tcp --dst 198.51.100.20:10001 --count 20 --parallel 4)
	expect_eq "$(conns_count ok <<<"$out")" 20 "TCP connections ok"
	out=$(lab_conns client tcp --dst "[2001:db8:2::20]:10001" --count 5)
	expect_eq "$(conns_count ok <<<"$out")" 5 "TCP over IPv6 ok"
	out=$(lab_conns client udp --dst 198.51.100.20:5353 --count 5)
	expect_eq "$(conns_count ok <<<"$out")" 5 "UDP echoes ok"
	# Nothing listens on 10002: refused, which the tool calls a reset.
	out=$(lab_conns client tcp --dst 198.51.100.20:10002 --count 2)
	expect_eq "$(conns_count reset <<<"$out")" 2 "refused connections"
	# Explicit source ports are used as given.
	out=$(lab_conns client tcp --dst 198.51.100.20:10001 --ports 40001,50001)
	expect_eq "$(awk '$1 !~ /^#/ {print $3}' <<<"$out" | tr '\n' ' ')" "40001 50001 " "source ports"

	lab_cleanup
	expect_eq "$(lab_leftovers)" "" "left behind after cleanup"
	finish
fi
