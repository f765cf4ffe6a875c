#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_rollback.sh - a failed attach leaves nothing behind, a
# failed update leaves the old rules live.  The failing attaches have the
# flow log on, so that its step (attach.flows) and pin are covered too.
#
# NACLEMU_FAULT=STEP makes the datapath library fail at that step
# (datapath/ops.c calls dp_fault() before each).  For every step of attach:
# the command fails with exit 2 naming the step, and then there is no pin,
# no filter or tcx link on either hook, no clsact qdisc if there was none before, a
# foreign qdisc and filter untouched if there were, no program of the
# test's attaches left loaded, and a plain attach works.  For every step of update: exit 2, and
# the rules, generation and record are those from before.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status
command -v bpftool >/dev/null || skip "bpftool is not installed"

ATTACH_STEPS="attach.bpffs attach.load attach.rules attach.flows attach.meta attach.pin attach.filters attach.intent attach.filter-egress attach.record"
UPDATE_STEPS="update.slots update.counters update.intent update.install update.record"
# On tcx there is no qdisc, so no intent to create one.
[ "$NACLEMU_HOOK" = tcx ] && ATTACH_STEPS=${ATTACH_STEPS/attach.intent /}

lab_init "nclt-rb$$"
lab_subnet a 192.0.2.1/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
pins=/sys/fs/bpf/naclemu/$ns/$dev

printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/a.nacl"
printf 'inbound\n  100 allow tcp 22 0.0.0.0/0\n  110 deny all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' \
	>"$LAB_TMP/b.nacl"

# Every attach of this test gets --events-rate MARK, which its programs'
# read-only data (.rodata) holds: the programs of other naclemu users
# running meanwhile (other tests, benchmarks) have another value and are
# never counted, so they cannot make the check fail.
MARK=$((500000 + $$ % 400000))
# our_progs: the ids of loaded naclemu programs with our MARK.
our_progs() {
	local rodata id maps m
	rodata=" $(bpftool -j map show 2>/dev/null |
		jq -r '[.[] | select(.name == "naclemu.rodata") | .id] | join(" ")') "
	bpftool -j prog show 2>/dev/null |
		jq -r '.[] | select(.name == "naclemu_ingress" or .name == "naclemu_egress") |
			"\(.id) \((.map_ids // []) | join(" "))"' |
		while read -r id maps; do
			for m in $maps; do
				[[ $rodata == *" $m "* ]] || continue
				bpftool -j map dump id "$m" 2>/dev/null | jq -e --argjson r "$MARK" \
					'any(.[0].formatted.value[".rodata"][]; .events_rate? == $r)' >/dev/null &&
					echo "$id"
			done
		done | sort -n
}
filters() { tc -n "$ns" filter show dev "$dev" "$1"; }
has_clsact() { tc -n "$ns" qdisc show dev "$dev" | grep -q clsact; }

# nothing_left STEP: the interface is as before the failed attach.
nothing_left() {
	local step=$1
	[ -e "$pins" ] && fail "$step: pins left in $pins: $(ls "$pins")"
	[ -n "$(filters ingress)" ] && fail "$step: ingress filter left: $(filters ingress)"
	[ -n "$(filters egress)" ] && fail "$step: egress filter left: $(filters egress)"
	[ "$(lab_our_progs "$ns" "$dev" ingress)$(lab_our_progs "$ns" "$dev" egress)" = 00 ] ||
		fail "$step: a naclemu program is left on a hook"
	# The kernel frees unpinned links and programs asynchronously.
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(our_progs)" ] && break; sleep 0.2; done
	[ -z "$(our_progs)" ] || fail "$step: naclemu programs left loaded: $(our_progs)"
}

[ -z "$(our_progs)" ] || skip "naclemu programs with --events-rate $MARK are loaded already"
for step in $ATTACH_STEPS; do
	expect_exit 2 env NACLEMU_FAULT="$step" "$NACLEMU" attach -n "$ns" -i "$dev" --events-rate "$MARK" \
		"$LAB_TMP/a.nacl" --flow-log
	case $step in
	attach.filter-egress)
		if [ "$NACLEMU_HOOK" = tcx ]; then
			expect_in "$err" "cannot attach the tcx links" "attach with $step failing"
		else
			expect_in "$err" "cannot add the TC filters" "attach with $step failing"
		fi ;;
	*) expect_in "$err" "$step failed" "attach with $step failing" ;;
	esac
	nothing_left "$step"
	has_clsact && fail "$step: clsact qdisc left although there was none"
done

# With a foreign qdisc and filter: both stay through every failure.
tc -n "$ns" qdisc add dev "$dev" clsact
# A classic-BPF filter that matches nothing: present, harmless.
tc -n "$ns" filter add dev "$dev" ingress prio 300 handle 9 bpf bytecode '1,6 0 0 0,' ||
	fail "cannot add the foreign filter"
foreign=$(filters ingress)
for step in $ATTACH_STEPS; do
	# With a qdisc there, attach records no intent to create one.
	[ "$step" = attach.intent ] && continue
	expect_exit 2 env NACLEMU_FAULT="$step" "$NACLEMU" attach -n "$ns" -i "$dev" --events-rate "$MARK" \
		"$LAB_TMP/a.nacl" --flow-log
	[ -e "$pins" ] && fail "$step (foreign qdisc): pins left"
	has_clsact || fail "$step: the foreign clsact qdisc was removed"
	expect_eq "$(filters ingress)" "$foreign" "ingress filters after $step (foreign qdisc)"
	[ -n "$(filters egress)" ] && fail "$step (foreign qdisc): egress filter left"
done
tc -n "$ns" qdisc del dev "$dev" clsact

# After all that, a plain attach works (nothing orphaned is in its way).
expect_exit 0 lab_attach server "$LAB_TMP/a.nacl" --events-rate "$MARK"
# The check finds our programs when they are there: it can fail.
expect_eq "$(our_progs | wc -l)" 2 "programs with our mark after attach (ingress, egress)"
status=$("$NACLEMU" status -n "$ns" -i "$dev" --json)
gen=$(jq '.[0].generation' <<<"$status")
file=$(jq -r '.[0].rules_file' <<<"$status")
expect_eq "$gen" 1 "generation after attach"

for step in $UPDATE_STEPS; do
	expect_exit 2 env NACLEMU_FAULT="$step" "$NACLEMU" update -n "$ns" -i "$dev" "$LAB_TMP/b.nacl"
	expect_in "$err" "$step failed" "update with $step failing"
	status=$("$NACLEMU" status -n "$ns" -i "$dev" --json)
	expect_eq "$(jq '.[0].generation' <<<"$status")" 1 "generation after failed $step"
	expect_eq "$(jq -r '.[0].rules_file' <<<"$status")" "$file" "rules file after failed $step"
	expect_eq "$(jq '.[0].inbound_rules' <<<"$status")" 1 "inbound rules after failed $step"
	expect_eq "$(jq -r '.[0].state' <<<"$status")" attached "state after failed $step"
done
expect_in "$err" "the old rules are live again" "update.record's message"

# And the update itself works afterwards.
expect_exit 0 "$NACLEMU" update -n "$ns" -i "$dev" "$LAB_TMP/b.nacl"
expect_eq "$("$NACLEMU" status -n "$ns" -i "$dev" --json | jq '.[0].inbound_rules')" 2 \
	"inbound rules after the update"
expect_exit 0 lab_naclemu detach server
nothing_left "detach"
finish
