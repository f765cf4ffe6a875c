#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo/demo.sh - `sudo make demo`: the case of
# docs/scenarios.md, "docker" on real traffic.
#
# A client subnet (192.0.2.0/24) and a server subnet (198.51.100.0/24)
# joined by a router, each host in its own network namespace.  The server
# subnet's NACL is examples/docker-ephemeral.nacl: responses may go only to
# ports 49152-65535, while a Linux client picks its source port from
# 32768-60999.  The demo predicts the share of failing connections with
# `naclemu flow`, opens 200 real connections and counts, shows the drops,
# shows why plain connect() makes it look random (one container works,
# another fails), applies the article's fix and opens 200 more, then
# removes everything
# (also on Ctrl-C).  A few seconds.
set -u
cd "$(dirname "$0")/.." || exit 1
export NACLEMU=${NACLEMU:-$PWD/build/naclemu}
N=$NACLEMU
RULES=examples/docker-ephemeral.nacl
CLIENT=192.0.2.10
SERVER=198.51.100.20
PORT=10001
COUNT=200
PARALLEL=20
TIMEOUT=0.4

die() { echo "naclemu demo: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, BPF): run 'sudo make demo'"
[ -x "$N" ] || die "$N is not built: run 'make'"

. tests/e2e/lab.sh
for cmd in flow attach stats detach; do
	lab_has_cmd "$cmd" || die "this build of naclemu has no '$cmd' command yet"
done

# show CMD...: print the command as a user would type it, then run it.
show() {
	local a line="$"
	for a in "$@"; do
		case $a in *[\ \"]*) line+=" '$a'" ;; *) line+=" ${a/#$N/naclemu}" ;; esac
	done
	echo "$line"
	"$@"
}
section() { printf '\n== %s\n' "$*"; }

# run_conns LABEL: COUNT connections from the client; sets ok, timeout,
# reset, other, and keeps the per-connection lines in $LAB_TMP/LABEL.
run_conns() {
	local f=$LAB_TMP/$1
	lab_conns client tcp --dst "$SERVER:$PORT" --src "$CLIENT" --count "$COUNT" \
		--parallel "$PARALLEL" --timeout "$TIMEOUT" >"$f" ||
		die "the client tool failed"
	ok=$(conns_count ok <"$f")
	timeout=$(conns_count timeout <"$f")
	reset=$(conns_count reset <"$f")
	other=$((COUNT - ok - timeout - reset))
}

# ports RESULT FILE: "lowest-highest" source port of the connections with
# that result.
ports() {
	awk -v r="$1" '$1 !~ /^#/ && $4 == r { if (!n++ || $3 < lo) lo = $3; if ($3 > hi) hi = $3 }
		END { if (n) printf "%d-%d", lo, hi; else printf "none" }' "$2"
}

echo "naclemu demo: AWS NACLs and ephemeral ports (docs/scenarios.md, "docker")"

section "lab"
lab_init naclemu || die "could not create the lab"
lab_subnet clients 192.0.2.1/24 || die "could not create the lab"
lab_subnet servers 198.51.100.1/24 || die "could not create the lab"
# .11-.15: more sources on the client, as more containers would be.
lab_host client clients "$CLIENT/24" 192.0.2.11/24 192.0.2.12/24 192.0.2.13/24 \
	192.0.2.14/24 192.0.2.15/24 || die "could not create the lab"
lab_host server servers "$SERVER/24" || die "could not create the lab"
# One failed connection = one dropped SYN-ACK: the server does not
# retransmit it (the client gives up after ${TIMEOUT}s anyway).
lab_exec server sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve server tcp "$SERVER:$PORT" || die "the server did not start"
echo "client  $CLIENT  netns naclemu-client  (subnet 192.0.2.0/24)"
echo "server  $SERVER  netns naclemu-server  (subnet 198.51.100.0/24), service1 on TCP $PORT"
echo "router  netns naclemu-router, gateways 192.0.2.1 and 198.51.100.1"
echo
sed -n '/^inbound/,$p' "$RULES"
echo
show "$N" attach -n naclemu-server -i v-server "$RULES" --subnet 198.51.100.0/24 ||
	die "attach failed"
LAB_ATTACHED+=(server) # detached by lab_cleanup if interrupted

section "1. prediction"
show "$N" flow "$RULES" --client "$CLIENT" --server "$SERVER:$PORT" >"$LAB_TMP/flow"
cat "$LAB_TMP/flow"
predicted=$(sed -n 's/.* fails \([0-9]*\)% of connections.*/\1/p' "$LAB_TMP/flow")
predicted=${predicted:-?}

section "2. $COUNT real connections, client ephemeral range 32768-60999 (Linux default)"
show ip netns exec naclemu-client sysctl -w net.ipv4.ip_local_port_range="32768 60999"
events_pid=
if lab_has_cmd events; then
	# The drops, streamed while the connections run (ready once it says
	# "listening for drops on").
	"$N" events -n naclemu-server -i v-server --timeout 60 \
		>"$LAB_TMP/events" 2>"$LAB_TMP/events.err" &
	events_pid=$!
	LAB_PIDS+=("$events_pid")
	for ((i = 0; i < 100; i++)); do
		grep -q "listening for drops on" "$LAB_TMP/events.err" && break
		sleep 0.05
	done
fi
echo "Each connection's source port is a random port of that range, chosen by"
echo "the kernel (bind to port 0); connect timeout ${TIMEOUT}s, $PARALLEL at a time."
run_conns before
printf 'measured:  %d of %d connections failed (%d%%): %d timed out, %d reset, %d other\n' \
	$((timeout + reset + other)) "$COUNT" $(((timeout + reset + other) * 100 / COUNT)) \
	"$timeout" "$reset" "$other"
printf 'predicted: %s%% (naclemu flow); 200 random ports put the measured share\n' "$predicted"
echo "           within about 7 points of it (95% of runs)"
echo "source ports that timed out: $(ports timeout "$LAB_TMP/before")"
echo "source ports that worked:    $(ports ok "$LAB_TMP/before")"
awk '$1 !~ /^#/' "$LAB_TMP/before" | sort -k4,4r -k3,3n | awk '
	$4 != last { shown = 0; last = $4 }
	shown++ < 2 { printf "  connection %-3d from port %d: %s after %d ms\n", $1, $3, $4, $5 }'

section "3. the drops"
if [ -n "$events_pid" ]; then
	sleep 0.3 # the last drops reach the reader
	kill -INT "$events_pid" 2>/dev/null
	wait "$events_pid" 2>/dev/null
	echo "$ naclemu events -n naclemu-server -i v-server   (the first 5 drops)"
	head -n 6 "$LAB_TMP/events"
	echo "..."
	grep -v "listening for drops on" "$LAB_TMP/events.err"
	# DST is CLIENT:PORT: the ports the dropped SYN-ACKs went to.
	awk 'NR > 1 && $3 == "egress" && $5 == "tcp" { split($7, a, ":"); p = a[2] + 0; n++
			if (!lo || p < lo) lo = p; if (p > hi) hi = p }
		END { if (n) printf "%d TCP drops at egress (the SYN-ACKs), to client ports %d-%d\n", n, lo, hi }' \
		"$LAB_TMP/events"
else
	echo "(this build of naclemu has no 'events' command yet: the counters tell the story)"
fi
show "$N" stats -n naclemu-server -i v-server
json=$("$N" stats -n naclemu-server -i v-server --json 2>/dev/null)
drops=$(jq '[.outbound.rules[] | select(.rule == 32767) | .packets] | add' <<<"$json" 2>/dev/null)
v6=$(jq '[.inbound.rules[], .outbound.rules[] | select(.rule == 32768) | .packets] | add' <<<"$json" 2>/dev/null)
echo "The SYNs reached service1 (inbound rule 100); the SYN-ACKs to the ports"
echo "below 49152 matched no outbound rule: the default rule * (32767) dropped"
if [ "${drops:-x}" = "$timeout" ]; then
	echo "$drops of them, one for each timed-out connection."
else
	echo "${drops:-?} of them, for $timeout timed-out connections."
fi
if [ "${v6:-0}" -gt 0 ] 2>/dev/null; then
	echo "The $v6 IPv6 packets denied by 32768 are the kernel's own multicast listener"
	echo "reports (MLD): the lab has no IPv6 rule."
fi

section "4. why it looks random: one container works, another fails"
echo "Plain connect() does not pick a random port: the kernel starts at an offset"
echo "hashed from (source address, server, port) and steps a few ports up each"
echo "time.  Six sources (as six containers would be), 40 connections each:"
for src in "$CLIENT" 192.0.2.11 192.0.2.12 192.0.2.13 192.0.2.14 192.0.2.15; do
	f=$LAB_TMP/connect-$src
	lab_conns client tcp --dst "$SERVER:$PORT" --src "$src" --ports connect --count 40 \
		--parallel 10 --timeout "$TIMEOUT" >"$f" || die "the client tool failed"
	printf '  %-12s ports %-11s %2d ok, %2d timed out\n' "$src" \
		"$(awk '$1 !~ /^#/ {print $3}' "$f" | sort -n | sed -n '1p;$p' | paste -sd-)" \
		"$(conns_count ok <"$f")" "$(conns_count timeout <"$f")"
done

section "5. the fix: the client's ephemeral range inside the NACL's"
show ip netns exec naclemu-client sysctl -w net.ipv4.ip_local_port_range="49152 65535"
run_conns after
printf 'measured:  %d of %d connections worked: %d timed out, %d reset, %d other\n' \
	"$ok" "$COUNT" "$timeout" "$reset" "$other"
echo "source ports: $(ports ok "$LAB_TMP/after")"
fixed=$ok

section "6. teardown"
show "$N" detach -n naclemu-server -i v-server
LAB_ATTACHED=()
lab_cleanup
left=$(lab_leftovers)
if [ -z "$left" ]; then
	echo "lab removed: no namespace, veth, TC filter or pinned state left"
else
	echo "left behind:"; echo "$left"
fi
[ "$fixed" = "$COUNT" ] && [ -z "$left" ]
