#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/events_errors.sh - `naclemu events` refuses clearly: one line
# on stderr saying what to do, exit 2 when there is nothing to read (an
# interface that is not attached, a namespace with nothing attached, a
# ring another reader holds), exit 1 for bad arguments; and it ends by
# itself when the interface it reads is detached.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach events

lab_init nclt-eve
lab_subnet a 192.0.2.1/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
printf 'inbound\n  100 allow all - 0.0.0.0/0\n  110 allow all - ::/0\noutbound\n  100 allow all - 0.0.0.0/0\n  110 allow all - ::/0\n' \
	>"$LAB_TMP/open.nacl"

# one_line WHAT: stderr is exactly one line starting "naclemu: ".
one_line() {
	expect_eq "$(wc -l <<<"$err")" 1 "lines on stderr ($1)"
	expect_in "$err" "naclemu: " "$1"
}

# Nothing attached yet: exit 1, as for update, detach and stats.
expect_exit 1 "$NACLEMU" events -n "$ns" -i "$dev"
expect_eq "$err" "naclemu: $dev is not attached in network namespace $ns: run 'naclemu attach -n $ns -i $dev RULES' first"
one_line "not attached, -n -i"
expect_exit 1 "$NACLEMU" events -i nclt-eve-no0
expect_eq "$err" "naclemu: nclt-eve-no0 is not attached: run 'naclemu attach -i nclt-eve-no0 RULES' first"
expect_exit 1 "$NACLEMU" events -n "$ns" --json
expect_eq "$err" "naclemu: no interface is attached in network namespace $ns: run 'naclemu attach -n $ns -i IFACE RULES' first"
expect_exit 1 "$NACLEMU" events -n nclt-eve-nosuch
expect_in "$err" "no interface is attached in network namespace nclt-eve-nosuch"
expect_eq "$out" "" "stdout of a refused events"

# Bad arguments: exit 1, before anything else.
for args in "--count 0" "--count x" "--timeout 0" "--timeout -3" "--timeout 1e99" "--timeout 1s" \
	"extra" "--nosuch" "-i a/b"; do
	# shellcheck disable=SC2086
	expect_exit 1 "$NACLEMU" events -n "$ns" $args
	one_line "events $args"
done
expect_exit 0 "$NACLEMU" events --help
expect_in "$out" "Usage: naclemu events"

# One reader at a time: a second is refused, the first goes on.
expect_exit 0 lab_attach server "$LAB_TMP/open.nacl"
"$NACLEMU" events -n "$ns" -i "$dev" --timeout 20 >"$LAB_TMP/first.out" 2>"$LAB_TMP/first.err" &
first=$!
LAB_PIDS+=("$first")
for _ in $(seq 1 100); do
	grep -q "listening for drops on" "$LAB_TMP/first.err" 2>/dev/null && break
	sleep 0.05
done
expect_exit 2 "$NACLEMU" events -n "$ns" -i "$dev" --timeout 1
expect_in "$err" "are being read by another 'naclemu events' or 'naclemu run': one reader at a time"
one_line "second reader"
# Without -i, the interfaces another reader holds are skipped; none left.
expect_exit 2 "$NACLEMU" events -n "$ns" --timeout 1
expect_in "$err" "one reader at a time"
one_line "second reader without -i"

# Detach under a running reader: it says so and ends (exit 0).
expect_exit 0 lab_naclemu detach server
for _ in $(seq 1 60); do kill -0 "$first" 2>/dev/null || break; sleep 0.05; done
kill -0 "$first" 2>/dev/null && fail "events still runs 3 s after its interface was detached"
wait "$first"
expect_eq "$?" 0 "exit status of events after detach"
expect_in "$(cat "$LAB_TMP/first.err")" "naclemu: warning: $dev was detached: no more events from it"
expect_in "$(cat "$LAB_TMP/first.err")" "naclemu: 0 events, 0 suppressed by the rate limit, 0 lost (ring buffer full)"

# --events-rate 0: events run, and say that there will be none.
expect_exit 0 lab_attach server "$LAB_TMP/open.nacl" --events-rate 0
expect_exit 0 "$NACLEMU" events -n "$ns" -i "$dev" --timeout 0.2
expect_in "$err" "drop events are off on $dev (attached with --events-rate 0)"
expect_exit 1 lab_naclemu detach server --events-rate 5
expect_exit 0 lab_naclemu detach server
expect_exit 1 "$NACLEMU" attach -n "$ns" -i "$dev" "$LAB_TMP/open.nacl" --events-rate 1000001
expect_in "$err" "--events-rate wants 0..1000000"
rm -f /run/naclemu/lock/root/nclt-eve-no0 # the lock of the interface that never was
finish
