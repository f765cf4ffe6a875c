#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/control_race.sh - commands on one interface at the same time
# (datapath/lock.c serialises them).  Bounded: a few trials of each pair.
#
#   attach | attach    one wins, the other is "already attached" (exit 1);
#                      one pair of filters, status and detach agree
#   attach | update    whatever the order, detach afterwards removes the
#                      clsact qdisc attach created
#   update | update    two loops of updates: every one counted (generation)
#   update | stats     stats never fails while updates swap rule sets
#   attach | netns del the namespace deleted under attach: detach cleans up
#   attach | detach    two interfaces of one namespace attached and detached
#   (neighbours)       in two loops: a detach that empties the namespace's
#                      folder removes it while the other attach makes it;
#                      every command succeeds (the exact instant is hit by
#                      tests/unit/test_pins.c)
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status stats
N=$NACLEMU
TRIALS=${RACE_TRIALS:-6}
UPDATES=${RACE_UPDATES:-25}
NEIGHBOURS=${RACE_NEIGHBOURS:-$((TRIALS * 4))}

lab_init "nclt-race$$"
lab_subnet a 192.0.2.1/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
pins=/sys/fs/bpf/naclemu/$ns/$dev
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/a.nacl"
printf 'inbound\n  100 allow tcp 22 0.0.0.0/0\n  110 deny all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' \
	>"$LAB_TMP/b.nacl"

ours() { lab_our_progs "$ns" "$dev" "$1" 2>/dev/null; }
nothing_left() {
	[ -e "$pins" ] && fail "$1: pins left"
	[ "$(ours ingress)" = 0 ] || fail "$1: ingress filter left"
	[ "$(ours egress)" = 0 ] || fail "$1: egress filter left"
	tc -n "$ns" qdisc show dev "$dev" | grep -q clsact && fail "$1: clsact qdisc left"
}

# attach | attach
for i in $(seq "$TRIALS"); do
	"$N" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl" >/dev/null 2>"$LAB_TMP/e1" & p1=$!
	"$N" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl" >/dev/null 2>"$LAB_TMP/e2" & p2=$!
	wait $p1; r1=$?
	wait $p2; r2=$?
	expect_eq "$(printf '%s\n' "$r1" "$r2" | sort | tr '\n' ' ')" "0 1 " "exits of two attaches ($i)"
	grep -q "already attached" "$LAB_TMP/e1" "$LAB_TMP/e2" || fail "attach|attach $i: no 'already attached'"
	expect_eq "$(ours ingress) $(ours egress)" "1 1" "our filters after two attaches ($i)"
	expect_eq "$("$N" status -n "$ns" -i "$dev" --json | jq -r '.[0].state')" attached "status ($i)"
	expect_exit 0 "$N" detach -n "$ns" -i "$dev"
	nothing_left "attach|attach $i"
done

# attach | update
for i in $(seq "$TRIALS"); do
	"$N" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl" >/dev/null 2>&1 & p1=$!
	sleep "0.0$((RANDOM % 10))"
	"$N" update -n "$ns" -i "$dev" "$LAB_TMP/b.nacl" >/dev/null 2>"$LAB_TMP/e2"; r2=$?
	wait $p1; r1=$?
	expect_eq "$r1" 0 "attach racing an update ($i)"
	case $r2 in 0 | 1) ;; *) fail "update racing attach ($i): exit $r2: $(cat "$LAB_TMP/e2")" ;; esac
	# The record the update rewrote keeps what attach made (the qdisc on clsact).
	expect_eq "$("$N" status -n "$ns" -i "$dev" --json | jq -r '.[0] | "\(.hook) \(.created_qdisc)"')" \
		"$NACLEMU_HOOK $([ "$NACLEMU_HOOK" = clsact ] && echo true || echo false)" \
		"hook and created_qdisc after attach|update ($i)"
	expect_exit 0 "$N" detach -n "$ns" -i "$dev"
	nothing_left "attach|update $i"
done

# update | update: every update counted.
expect_exit 0 "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl"
loop() { local f=$1 k bad=0; for k in $(seq "$UPDATES"); do "$N" update -n "$ns" -i "$dev" "$f" >/dev/null 2>&1 || bad=$((bad + 1)); done; echo "$bad"; }
loop "$LAB_TMP/a.nacl" >"$LAB_TMP/bad1" & p1=$!
loop "$LAB_TMP/b.nacl" >"$LAB_TMP/bad2" & p2=$!
wait $p1 $p2
expect_eq "$(cat "$LAB_TMP/bad1") $(cat "$LAB_TMP/bad2")" "0 0" "failed updates in two parallel loops"
expect_eq "$("$N" status -n "$ns" -i "$dev" --json | jq '.[0].generation')" $((1 + 2 * UPDATES)) \
	"generation after 2 x $UPDATES parallel updates"

# update | stats: a reader never sees a half swap.
loop "$LAB_TMP/b.nacl" >/dev/null & p1=$!
bad=0 n=0
while kill -0 $p1 2>/dev/null && [ $n -lt 400 ]; do
	"$N" stats -n "$ns" -i "$dev" --json >/dev/null 2>"$LAB_TMP/se" || { bad=$((bad + 1)); cat "$LAB_TMP/se"; }
	n=$((n + 1))
done
wait $p1
expect_eq "$bad" 0 "stats failures during $n reads under updates"
[ $n -gt 5 ] || fail "only $n stats ran during the updates"
expect_exit 0 "$N" detach -n "$ns" -i "$dev"
nothing_left "update loops"

# attach | detach of a neighbour in the same namespace: no command fails.
ip -n "$ns" link add v-nb1 type veth peer name v-nb2 && ip -n "$ns" link set v-nb1 up &&
	ip -n "$ns" link set v-nb2 up || fail "cannot add the veth pair v-nb1/v-nb2 in $ns"
cycle() {
	local nb=$1 k bad=0
	for k in $(seq "$NEIGHBOURS"); do
		"$N" attach -n "$ns" -i "$nb" "$LAB_TMP/a.nacl" >/dev/null 2>>"$LAB_TMP/err-$nb" ||
			bad=$((bad + 1))
		"$N" detach -n "$ns" -i "$nb" >/dev/null 2>>"$LAB_TMP/err-$nb" || bad=$((bad + 1))
	done
	echo "$bad"
}
cycle v-nb1 >"$LAB_TMP/bad1" & p1=$!
cycle v-nb2 >"$LAB_TMP/bad2" & p2=$!
wait $p1 $p2
expect_eq "$(cat "$LAB_TMP/bad1") $(cat "$LAB_TMP/bad2")" "0 0" \
	"failed commands in two attach/detach loops of neighbours ($NEIGHBOURS rounds each)"
cat "$LAB_TMP/err-v-nb1" "$LAB_TMP/err-v-nb2" 2>/dev/null
[ -e "/sys/fs/bpf/naclemu/$ns" ] && fail "pins of $ns left after the neighbours' loops"
ip -n "$ns" link del v-nb1

# The namespace deleted under attach: whatever happened, detach cleans up.
for i in $(seq "$TRIALS"); do
	lab_host gone$i a "192.0.2.$((100 + i))/24"
	gns=$LAB-gone$i
	"$N" attach -n "$gns" -i "v-gone$i" "$LAB_TMP/a.nacl" >/dev/null 2>&1 & p1=$!
	sleep "0.$((RANDOM % 6))"
	ip netns del "$gns"
	wait $p1
	if [ -e "/sys/fs/bpf/naclemu/$gns/v-gone$i" ]; then
		expect_exit 0 "$N" detach -n "$gns" -i "v-gone$i"
		expect_in "$out" "no longer exists" "detach after the namespace went ($i)"
	fi
	[ -e "/sys/fs/bpf/naclemu/$gns" ] && fail "pins of the deleted namespace $gns left"
done

# A command that hangs holding one interface (its lock held by flock here):
# listings wait for it a short while, say it is busy, list the others.
lab_host other a 192.0.2.30/24
expect_exit 0 "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl"
expect_exit 0 "$N" attach -n "$LAB-other" -i v-other "$LAB_TMP/a.nacl"
flock "/run/naclemu/lock/$ns/$dev" sleep 8 & holder=$!
sleep 0.3
for cmd in status metrics; do
	t0=$(date +%s%N)
	expect_exit 0 "$N" $cmd
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_in "$err" "another naclemu command on $dev (netns $ns) has held its lock" "$cmd with $dev held"
	expect_in "$out" "v-other" "$cmd lists the interface that is not held"
	[ "$ms" -lt 4000 ] || fail "$cmd took $ms ms with one interface held (waits 2 s for it)"
done
# A command on the held interface itself (status -i too) waits for it.
t0=$(date +%s%N)
expect_exit 0 "$N" status -n "$ns" -i "$dev" --json
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$(jq -r '.[0].interface' <<<"$out")" "$dev" "status -i of the held interface, once free"
[ "$ms" -ge 3000 ] || fail "status -i of the held interface returned after $ms ms, before its holder let go"
expect_exit 0 "$N" stats -n "$ns" -i "$dev"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_exit 0 "$N" detach -n "$ns" -i "$dev"
expect_exit 0 "$N" detach -n "$LAB-other" -i v-other
finish
