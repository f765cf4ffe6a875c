#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/control_kill.sh - a command killed at any instant leaves a
# state that naclemu reports truthfully and that the next command finishes
# or undoes (datapath/recover.c).
#
# Two ways to kill: NACLEMU_CRASH=STEP makes the command SIGKILL itself
# right before that step (every step of attach, update and detach, so
# every window is hit), and kill -9 from outside at a random instant of the
# command's run (KILL_TRIALS times each, default 12); attach with the flow
# log on, so that its table and pin are covered.  After each kill:
#   - no pins: none of our filters or tcx links and no clsact qdisc of ours;
#   - pins: status either lists the interface "attached" with both our
#     filters in place, or lists nothing and says "interrupted" or
#     "incomplete"; a rules file it names is the one whose rules are live;
#   - the next command succeeds: attach (unless it was complete), update,
#     detach; and detach leaves nothing behind.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status
N=$NACLEMU
TRIALS=${KILL_TRIALS:-12}
ATTACH_STEPS="attach.bpffs attach.load attach.rules attach.flows attach.meta attach.pin attach.filters attach.intent attach.filter-egress attach.record"
UPDATE_STEPS="update.slots update.counters update.intent update.install update.record"
DETACH_STEPS="detach.unhook detach.unpin"
# On tcx there is no qdisc, so no intent to create one.
[ "$NACLEMU_HOOK" = tcx ] && ATTACH_STEPS=${ATTACH_STEPS/attach.intent /}

lab_init "nclt-kill$$"
lab_subnet a 192.0.2.1/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
pins=/sys/fs/bpf/naclemu/$ns/$dev
for k in 1 2 3; do
	{
		echo inbound
		for r in $(seq "$k"); do echo "  $((100 * r)) allow tcp $((20 + r)) 0.0.0.0/0"; done
		echo outbound
		echo "  100 allow all - 0.0.0.0/0"
	} >"$LAB_TMP/r$k.nacl"
done

ours() { lab_our_progs "$ns" "$dev" "$1" 2>/dev/null; }
has_clsact() { tc -n "$ns" qdisc show dev "$dev" | grep -q clsact; }

# check_state WHAT: what status says is what the kernel has.  Sets $listed.
check_state() {
	local what=$1 st state file
	st=$("$N" status -n "$ns" -i "$dev" --json 2>"$LAB_TMP/status.err")
	state=$(jq -r '.[0].state // "none"' <<<"$st")
	[ -n "$state" ] || state=none
	listed=$state
	if [ ! -e "$pins" ]; then
		[ "$(ours ingress)$(ours egress)" = 00 ] || fail "$what: our filters without pinned state"
		[ "$state" = none ] || fail "$what: status says $state without pinned state"
		return
	fi
	case $state in
	attached)
		[ "$(ours ingress) $(ours egress)" = "1 1" ] ||
			fail "$what: status says attached, our filters are $(ours ingress) $(ours egress)"
		file=$(jq -r '.[0].rules_file' <<<"$st")
		expect_eq "$(jq '.[0].inbound_rules' <<<"$st")" "$(($(grep -c allow "$file") - 1))" \
			"$what: rules live vs the file status names ($file)"
		;;
	none)
		grep -qE "interrupted|incomplete" "$LAB_TMP/status.err" ||
			fail "$what: pins, but status neither lists them nor says why: $(cat "$LAB_TMP/status.err")"
		;;
	*) fail "$what: status says '$state' of a killed command's state" ;;
	esac
}

# after_attach WHAT: the next attach, then detach, clean up.
after_attach() {
	local what=$1 rc
	"$N" attach -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl" --flow-log >/dev/null 2>"$LAB_TMP/err"
	rc=$?
	if [ "$listed" = attached ]; then
		[ "$rc" = 1 ] || fail "$what: attach over a complete attach: exit $rc"
	else
		[ "$rc" = 0 ] || fail "$what: attach after the kill: exit $rc: $(cat "$LAB_TMP/err")"
	fi
	expect_exit 0 "$N" detach -n "$ns" -i "$dev"
	[ -e "$pins" ] && fail "$what: pins left after detach"
	[ "$(ours ingress)$(ours egress)" = 00 ] || fail "$what: filters left after detach"
	has_clsact && fail "$what: clsact qdisc left after detach"
}

# took CMD...: milliseconds CMD takes.
took() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# kill_at MS CMD...: kill -9 CMD after a random 0 .. MS*1.1 milliseconds
# (a short one by a busy loop: sleep(1) alone takes longer than update);
# counts in $landed the kills that found it running.
landed=0
kill_at() {
	local ms=$1 pid j n
	shift
	"$@" >/dev/null 2>&1 &
	pid=$!
	if [ "$ms" -gt 100 ]; then
		sleep "$(awk -v r="$RANDOM" -v m="$ms" 'BEGIN { printf "%.3f", (r % (m * 1.1 + 1)) / 1000 }')"
	else
		n=$((RANDOM % (ms * 300 + 1)))
		for ((j = 0; j < n; j++)); do :; done
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? = 137 ] && landed=$((landed + 1))
}

# ---- attach ----
for step in $ATTACH_STEPS; do
	expect_exit 137 env NACLEMU_CRASH="$step" "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl" --flow-log
	check_state "crash at $step"
	after_attach "crash at $step"
done
T=$(took "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl" --flow-log)
expect_exit 0 "$N" detach -n "$ns" -i "$dev"
for i in $(seq "$TRIALS"); do
	kill_at "$T" "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl" --flow-log
	check_state "attach killed ($i)"
	after_attach "attach killed ($i)"
done
echo "attach ($T ms): $TRIALS kills from outside, $landed while it ran"

# ---- update ----
expect_exit 0 "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl" --flow-log
for step in $UPDATE_STEPS; do
	expect_exit 137 env NACLEMU_CRASH="$step" "$N" update -n "$ns" -i "$dev" "$LAB_TMP/r2.nacl"
	check_state "crash at $step"
	expect_exit 0 "$N" update -n "$ns" -i "$dev" "$LAB_TMP/r3.nacl"
	check_state "update after a crash at $step"
	expect_eq "$("$N" status -n "$ns" -i "$dev" --json | jq -r '.[0].rules_file')" "$LAB_TMP/r3.nacl" \
		"rules file after the update that followed a crash at $step"
done
T=$(took "$N" update -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl")
landed=0
for i in $(seq "$TRIALS"); do
	kill_at "$T" "$N" update -n "$ns" -i "$dev" "$LAB_TMP/r$((i % 2 + 2)).nacl"
	check_state "update killed ($i)"
	expect_exit 0 "$N" update -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl"
	check_state "update after update killed ($i)"
done
echo "update ($T ms): $TRIALS kills from outside, $landed while it ran"

# ---- detach ----
for step in $DETACH_STEPS; do
	expect_exit 137 env NACLEMU_CRASH="$step" "$N" detach -n "$ns" -i "$dev"
	check_state "crash at $step"
	expect_exit 0 "$N" detach -n "$ns" -i "$dev"
	[ -e "$pins" ] && fail "crash at $step: pins left after the next detach"
	has_clsact && fail "crash at $step: clsact left after the next detach"
	expect_exit 0 "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/r1.nacl" --flow-log
done
expect_exit 0 "$N" detach -n "$ns" -i "$dev"
finish
