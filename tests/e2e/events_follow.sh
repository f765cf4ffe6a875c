#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/events_follow.sh - `naclemu events` without -i follows the
# interfaces attached after it started: a drop on an interface attached
# later comes out as an event, labelled with its namespace, and its
# detach does not end the stream (with -i it does: events_errors.sh).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach events

lab_init "nclt-evf$$"
lab_subnet a 192.0.2.1/24
lab_host first a 192.0.2.10/24
lab_host later a 192.0.2.20/24
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/open.nacl"
printf 'inbound\n  100 allow tcp all 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/noping.nacl"

expect_exit 0 lab_attach first "$LAB_TMP/open.nacl"
"$NACLEMU" events --json --timeout 20 >"$LAB_TMP/ev.json" 2>"$LAB_TMP/ev.err" &
ev=$!
LAB_PIDS+=("$ev")
for _ in $(seq 1 100); do
	grep -q "listening for drops on" "$LAB_TMP/ev.err" 2>/dev/null && break
	sleep 0.05
done
expect_in "$(cat "$LAB_TMP/ev.err")" "listening for drops on" "events started"

# Attached after events started: denies ping inbound.
expect_exit 0 lab_attach later "$LAB_TMP/noping.nacl"
for _ in $(seq 1 60); do
	grep -q "listening for drops on .*v-later too" "$LAB_TMP/ev.err" && break
	sleep 0.1
done
expect_in "$(cat "$LAB_TMP/ev.err")" "v-later too" "events says it follows the new interface"
lab_exec first ping -c 3 -i 0.2 -W 1 192.0.2.20 >/dev/null 2>&1
for _ in $(seq 1 40); do
	grep -q '"icmp_type":8' "$LAB_TMP/ev.json" 2>/dev/null && break
	sleep 0.1
done
line=$(grep -m1 '"icmp_type":8' "$LAB_TMP/ev.json")
expect_in "$line" "\"interface\":\"$LAB-later/v-later\"" "the later interface's drop event"
expect_in "$line" '"direction":"ingress"' "its direction"
expect_in "$line" '"rule":32767' "its rule"

# Its detach does not end a stream that follows.
expect_exit 0 lab_naclemu detach later
sleep 1.5
kill -0 "$ev" 2>/dev/null || fail "events ended when a followed interface was detached"
kill -INT "$ev"
wait "$ev"
expect_eq "$?" 0 "events' exit after SIGINT"
expect_exit 0 lab_naclemu detach first
finish
