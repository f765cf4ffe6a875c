#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/deploy_daemon.sh - `naclemu daemon CONFIG` (docs/deployment.md)
# in network namespaces.  The configuration names the pattern "d*" in the
# namespace "host" and "v-late" in a namespace "late" that does not exist
# when the daemon starts.  In order:
#   50 veth pairs are made in "host" one after the other (a bounded loop):
#   the d* end of each must be attached (managed) within a second, and its
#   pinned state gone within a second of the pair's deletion;
#   "late" is made, then v-late in it: attached within a second;
#   the exporter answers while all this happens;
#   SIGHUP after the rule file changed updates the attached interfaces;
#   the metrics textfile and the flow log (NODATA of an idle interface) are written;
#   SIGTERM stops the daemon with exit 0 and leaves them attached.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds daemon status detach
command -v curl >/dev/null || skip "curl is not installed"

lab_init "nclt-dm$$"
lab_mkns host
lab_mkns late
hostns=$LAB-host latens=$LAB-late
# "late" must not exist yet when the daemon starts.
ip netns del "$latens"
port=$((20000 + $$ % 20000))

rules=$LAB_TMP/rules.nacl
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$rules"
cfg=$LAB_TMP/host.yaml
cat >"$cfg" <<EOF2
version: 1
nacls:
  - name: containers
    netns: $hostns
    interfaces: "d*"
    rules: rules.nacl
    flow-log: true
  - name: late
    netns: $latens
    interfaces: v-late
    rules: rules.nacl
exporter:
  listen: 127.0.0.1:$port
metrics:
  textfile: $LAB_TMP/prom
flow-log:
  output: $LAB_TMP/flows.log
  interval: 1
EOF2
mkdir -p "$LAB_TMP/prom"

log=$LAB_TMP/daemon.log
"$NACLEMU" daemon "$cfg" 2>"$log" &
dpid=$!
LAB_PIDS+=("$dpid")
lab_wait_file_grep() { # FILE TEXT SECONDS
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -- "$2" "$1" && return 0
		sleep 0.05
	done
	return 1
}
lab_wait_file_grep "$log" "started" 5 || fail "the daemon did not start: $(cat "$log")"

# until_s SECONDS CMD...: run CMD every 20 ms until it succeeds; the
# seconds it took on stdout, or exit 1 after SECONDS.
until_s() {
	local limit=$1 start now
	shift
	start=$(date +%s.%N)
	while :; do
		"$@" >/dev/null 2>&1 && break
		now=$(date +%s.%N)
		if awk -v a="$start" -v b="$now" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
			return 1
		fi
		sleep 0.02
	done
	now=$(date +%s.%N)
	awk -v a="$start" -v b="$now" 'BEGIN { printf "%.3f\n", b - a }'
}
attached() { "$NACLEMU" status -n "$1" -i "$2"; }
gone() { [ ! -e "$LAB_PIN_ROOT/$1/$2" ]; }

slow=0 late=0 stale=0 worst=0
for i in $(seq 1 50); do
	ip -n "$hostns" link add "d$i" type veth peer name "p$i" || { fail "veth d$i"; break; }
	if t=$(until_s 1 attached "$hostns" "d$i"); then
		worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
	else
		slow=$((slow + 1))
		until_s 5 attached "$hostns" "d$i" >/dev/null || late=$((late + 1))
	fi
	# The p* end is not named: never attached.
	attached "$hostns" "p$i" >/dev/null 2>&1 && fail "p$i was attached"
	# The exporter keeps answering.
	[ $((i % 10)) = 0 ] && { curl -fsS "http://127.0.0.1:$port/metrics" | grep -q "interface=\"d$i\"" ||
		fail "the exporter does not show d$i"; }
	ip -n "$hostns" link del "d$i"
	until_s 1 gone "$hostns" "d$i" >/dev/null || stale=$((stale + 1))
done
echo "50 veth pairs: slowest attach ${worst}s; $slow over a second, $late over 5 s; $stale states not removed within a second"
expect_eq "$slow" 0 "interfaces not attached within a second"
expect_eq "$stale" 0 "states not removed within a second of the interface's deletion"
# Nothing of the 50 is left.
left=$(ls "$LAB_PIN_ROOT/$hostns" 2>/dev/null | grep -c '^d' || true)
expect_eq "$left" 0 "pinned states of d* left"

# A namespace made after the daemon started, then its interface.
ip netns add "$latens" && LAB_NETNS+=("$latens")
ip -n "$latens" link add v-late type veth peer name v-peer || fail "veth v-late"
until_s 1 attached "$latens" v-late >/dev/null || fail "v-late not attached within a second"

# The metrics textfile and the flow log writer (an idle interface: NODATA records).
has_series() { grep -q "interface=\"dkeep\"" "$LAB_TMP/prom/naclemu.prom"; }
has_nodata() { grep -q ' dkeep .* NODATA$' "$LAB_TMP/flows.log"; }

# SIGHUP with changed rules: an update.
ip -n "$hostns" link add dkeep type veth peer name pkeep
until_s 1 attached "$hostns" dkeep >/dev/null || fail "dkeep not attached within a second"
gen=$("$NACLEMU" status -n "$hostns" -i dkeep --json | jq '.[0].generation')
printf 'inbound\n  100 allow all - 0.0.0.0/0\n  200 deny tcp 22 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$rules"
kill -HUP "$dpid"
newgen() { [ "$("$NACLEMU" status -n "$hostns" -i dkeep --json | jq '.[0].generation')" != "$gen" ]; }
until_s 3 newgen >/dev/null || fail "SIGHUP did not update dkeep (generation $gen)"
expect_in "$(cat "$log")" "update dkeep"
until_s 20 has_series >/dev/null || fail "the metrics textfile has no series of dkeep"
until_s 5 has_nodata >/dev/null || fail "the flow log has no NODATA record of dkeep: $(tail -3 "$LAB_TMP/flows.log" 2>&1)"

# SIGTERM: exit 0, enforcement stays.
kill -TERM "$dpid"
wait "$dpid"
expect_eq "$?" 0 "the daemon's exit status after SIGTERM"
expect_exit 0 "$NACLEMU" status -n "$hostns" -i dkeep
expect_exit 0 "$NACLEMU" status -n "$latens" -i v-late
expect_in "$(cat "$log")" "what is attached stays attached"
sed 's/^/  | /' "$log" | tail -n 8

"$NACLEMU" detach -n "$hostns" -i dkeep >/dev/null
"$NACLEMU" detach -n "$latens" -i v-late >/dev/null
finish
