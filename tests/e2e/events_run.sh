#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/events_run.sh - `naclemu run` = attach + events + detach: it
# prints the drops while it runs and leaves nothing behind however it ends
# (SIGINT, SIGTERM, --timeout, --count, stdout closed by `| head`): no TC
# filter or tcx link of naclemu, no clsact qdisc it created, no pin, no map or program.
# It never detaches what it did not attach (an interface already attached
# stays attached, one detached under it is not detached again), and a bad
# rule file attaches nothing.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach events run
command -v bpftool >/dev/null || skip "bpftool is not installed"
command -v jq >/dev/null || skip "jq is not installed"

lab_init nclt-evr
lab_subnet a 192.0.2.1/24
lab_host client a 192.0.2.10/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
pins=/sys/fs/bpf/naclemu/$ns/$dev

# IPv6 is allowed: the host's own link-local chatter (MLD) makes no drops.
printf 'inbound\n  100 allow tcp 8080 192.0.2.0/24\n  110 allow all - ::/0\noutbound\n  100 allow all - 0.0.0.0/0\n  110 allow all - ::/0\n' \
	>"$LAB_TMP/server.nacl"

# drop PORT: one UDP datagram from the client to the server (denied).
drop() {
	lab_exec client "$PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"x", ("192.0.2.20", int(sys.argv[1])))' "$1"
}

# run_bg ARGS...: naclemu run in the background, its pid in RUN_PID;
# returns once it is attached and reading (its "listening" line).
run_bg() {
	rm -f "$LAB_TMP/run.out" "$LAB_TMP/run.err"
	"$NACLEMU" run -n "$ns" -i "$dev" "$LAB_TMP/server.nacl" "$@" \
		>"$LAB_TMP/run.out" 2>"$LAB_TMP/run.err" &
	RUN_PID=$!
	LAB_PIDS+=("$RUN_PID")
	LAB_ATTACHED+=(server) # cleanup detaches if a failed test left it
	for _ in $(seq 1 100); do
		grep -q "listening for drops on" "$LAB_TMP/run.err" 2>/dev/null && return 0
		kill -0 "$RUN_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "run did not start: $(cat "$LAB_TMP/run.err")"
}

# record_ids: the ids of the maps and programs run pinned.
record_ids() {
	local m p
	ids=""
	for m in rules counters frags meta events; do
		ids="$ids map:$(bpftool -j map show pinned "$pins/$m" | jq .id)"
	done
	for p in prog_ingress prog_egress; do
		ids="$ids prog:$(bpftool -j prog show pinned "$pins/$p" | jq .id)"
	done
	[ "$(wc -w <<<"$ids")" = 7 ] || fail "could not record the ids: $ids"
}

# check_gone WHEN: nothing of naclemu is left on the interface or in BPF.
check_gone() {
	local id
	expect_eq "$(lab_our_progs "$ns" "$dev" ingress)" 0 "naclemu programs on ingress $1"
	expect_eq "$(lab_our_progs "$ns" "$dev" egress)" 0 "naclemu programs on egress $1"
	expect_eq "$(tc -n "$ns" qdisc show dev "$dev" | grep -c clsact)" 0 "clsact qdisc $1"
	[ -e "/sys/fs/bpf/naclemu/$ns" ] && fail "pins left $1: $(ls -R "/sys/fs/bpf/naclemu/$ns")"
	# The kernel frees unpinned, unattached objects asynchronously.
	for id in $ids; do
		for _ in $(seq 1 20); do
			bpftool "${id%:*}" show id "${id#*:}" >/dev/null 2>&1 || break
			sleep 0.1
		done
		bpftool "${id%:*}" show id "${id#*:}" >/dev/null 2>&1 && fail "${id%:*} ${id#*:} still exists $1"
	done
	return 0
}

# end_by SIGNAL: run, one drop, the signal; events printed, nothing left.
end_by() {
	run_bg --json
	record_ids
	drop 7001
	sleep 0.3
	kill "-$1" "$RUN_PID"
	wait "$RUN_PID"
	expect_eq "$?" 0 "exit status of run after SIG$1"
	expect_eq "$(jq -r '"\(.rule) \(.dst_port)"' "$LAB_TMP/run.out")" "32767 7001" "events of run (SIG$1)"
	expect_in "$(cat "$LAB_TMP/run.err")" "naclemu: 1 events, 0 suppressed by the rate limit, 0 lost (ring buffer full)"
	if [ "$NACLEMU_HOOK" = clsact ]; then
		expect_in "$(cat "$LAB_TMP/run.err")" "detached from $dev (netns $ns), clsact qdisc removed"
	else
		expect_in "$(cat "$LAB_TMP/run.err")" "detached from $dev (netns $ns)"
	fi
	check_gone "after SIG$1"
}

end_by INT
end_by TERM
end_by HUP

# --timeout: it ends by itself, in about the time given.
start=$(date +%s%N)
run_bg --timeout 1
record_ids
drop 7002
wait "$RUN_PID"
expect_eq "$?" 0 "exit status of run --timeout 1"
ms=$((($(date +%s%N) - start) / 1000000))
[ "$ms" -ge 900 ] && [ "$ms" -le 5000 ] || fail "run --timeout 1 took $ms ms"
expect_eq "$(grep -c '^[0-9].* \*  *udp  *192\.0\.2\.10:[0-9]* *192\.0\.2\.20:7002 ' "$LAB_TMP/run.out")" 1 "text line of run --timeout"
check_gone "after --timeout"

# --count: it ends after that many events.
run_bg --count 2 --json
record_ids
drop 7003
drop 7004
for _ in $(seq 1 40); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.05; done
wait "$RUN_PID"
expect_eq "$?" 0 "exit status of run --count 2"
expect_eq "$(jq -r .dst_port "$LAB_TMP/run.out" | tr '\n' ' ')" "7003 7004 " "events of run --count 2"
check_gone "after --count"

# stdout closed (`| head -n 1`): the next write fails, run detaches.
rm -f "$LAB_TMP/head.out"
("$NACLEMU" run -n "$ns" -i "$dev" "$LAB_TMP/server.nacl" --json 2>"$LAB_TMP/run.err" |
	head -n 1 >"$LAB_TMP/head.out") &
PIPE_PID=$!
LAB_PIDS+=("$PIPE_PID")
for _ in $(seq 1 100); do
	grep -q "listening for drops on" "$LAB_TMP/run.err" 2>/dev/null && break
	sleep 0.05
done
record_ids
drop 7005
# Drops until run notices (its first write after head exited fails).
for i in $(seq 1 20); do
	sleep 0.2
	kill -0 "$PIPE_PID" 2>/dev/null || break
	drop $((7005 + i))
done
kill -0 "$PIPE_PID" 2>/dev/null && fail "run still runs after head exited"
wait "$PIPE_PID"
expect_eq "$(jq -r .dst_port "$LAB_TMP/head.out")" 7005 "the line head kept"
expect_in "$(cat "$LAB_TMP/run.err")" "detached from $dev"
check_gone "after stdout was closed"

# Detached under it by someone else: run ends by itself (exit 0) and does
# not try to detach again.
run_bg
record_ids
expect_exit 0 lab_naclemu detach server
for _ in $(seq 1 60); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$RUN_PID" 2>/dev/null && fail "run still runs 3 s after its interface was detached"
wait "$RUN_PID"
expect_eq "$?" 0 "exit status of run after an outside detach"
expect_in "$(cat "$LAB_TMP/run.err")" "$dev was detached: no more events from it"
expect_not_in "$(cat "$LAB_TMP/run.err")" "is not attached"
check_gone "after an outside detach"

# Already attached: run refuses (exit 1) and leaves that attachment alone.
expect_exit 0 lab_attach server "$LAB_TMP/server.nacl"
expect_exit 1 "$NACLEMU" run -n "$ns" -i "$dev" "$LAB_TMP/server.nacl" --timeout 1
expect_in "$err" "already attached"
expect_eq "$(lab_our_progs "$ns" "$dev" ingress)" 1 "the first attach's program on ingress"
[ -e "$pins/events" ] || fail "run removed the pins of an attach it did not make"
expect_exit 0 lab_naclemu detach server

# A bad rule file: exit 1, nothing attached.
printf 'inbound\n  100 allow tcp 443-80 0.0.0.0/0\n' >"$LAB_TMP/bad.nacl"
expect_exit 1 "$NACLEMU" run -n "$ns" -i "$dev" "$LAB_TMP/bad.nacl" --timeout 1
expect_in "$err" "bad.nacl:2:"
ids=""
check_gone "after a refused run"
# Options are checked before anything is attached.
expect_exit 1 "$NACLEMU" run -n "$ns" -i "$dev" "$LAB_TMP/server.nacl" --count 0
expect_in "$err" "run: --count"
expect_exit 1 "$NACLEMU" run -n "$ns" "$LAB_TMP/server.nacl"
expect_in "$err" "run: -i IFACE is required"
check_gone "after bad options"
finish
