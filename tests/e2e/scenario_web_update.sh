#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scenario_web_update: the web server whose outbound rules forget the
# ephemeral range (examples/web-server-no-ephemeral.nacl, from
# docs/scenarios.md, "web" and "lb"): requests arrive (inbound rule
# 100), every response is dropped by the default rule outbound.  Then,
# while a client keeps connecting, `naclemu update` adds the ephemeral rule:
# connections started before time out, connections started after work,
# and the counters of the unchanged rules are kept.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update stats detach

lab_init nclt-web
lab_subnet public 203.0.113.1/24
lab_subnet web 198.51.100.1/24
lab_host client public 203.0.113.7/24
lab_host server web 198.51.100.10/24
lab_exec server sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve server tcp 198.51.100.10:80

fixed=$LAB_TMP/web-server-fixed.nacl
{ cat examples/web-server-no-ephemeral.nacl
  echo "  110  allow  tcp  1024-65535   0.0.0.0/0      # responses to ephemeral ports"
} >"$fixed"

expect_exit 0 lab_attach server examples/web-server-no-ephemeral.nacl
lab_events_start server || fail "naclemu events did not start"

# Requests arrive, responses do not leave.
tcp=(--dst 198.51.100.10:80 --src 203.0.113.7 --timeout "$LAB_TIMEOUT")
out=$(lab_conns client tcp "${tcp[@]}" --count 10 --parallel 5)
expect_eq "$(conns_count timeout <<<"$out")" 10 "connections timed out before the update"
lab_stats server
expect_eq "$(counter inbound 100)" 10 "inbound rule 100 (the SYNs arrive)"
expect_eq "$(counter outbound 32767)" 10 "outbound default deny (the SYN-ACKs)"
expect_eq "$(counter outbound 100)" 0 "outbound rule 100 (port 80: never a response)"
in100=$(counter inbound 100)

# Traffic runs (a connection every 50 ms for 4 s); the update lands in the
# middle.
lab_bg client traffic "$PYTHON" "$CONNS" tcp "${tcp[@]}" --duration 4 --interval 0.05 --parallel 8
traffic=$LAB_BG_PID
sleep 1.8
t_before=$(date +%s.%N)
expect_exit 0 lab_naclemu update server "$fixed"
t_after=$(date +%s.%N)
wait "$traffic"
log=$LAB_TMP/traffic.log
echo "update between $t_before and $t_after; $(tail -n 1 "$log")"
# Finished before the update started: timed out.  Started after it ended:
# ok.  In between: either.  Never a reset.
early=$(awk -v t="$t_before" '$1 !~ /^#/ && $2 + $5 / 1000 < t' "$log")
late=$(awk -v t="$t_after" '$1 !~ /^#/ && $2 > t' "$log")
echo "$(grep -c . <<<"$early") connections ended before the update, $(grep -c . <<<"$late") started after it"
[ "$(grep -c . <<<"$early")" -ge 5 ] || fail "fewer than 5 connections before the update"
[ "$(grep -c . <<<"$late")" -ge 5 ] || fail "fewer than 5 connections after the update"
expect_eq "$(awk '$4 != "timeout"' <<<"$early")" "" "connections before the update that did not time out"
expect_eq "$(awk '$4 != "ok"' <<<"$late")" "" "connections after the update that failed"
expect_eq "$(conns_count reset <"$log")" 0 "resets"

# And afterwards, every connection works.
out=$(lab_conns client tcp "${tcp[@]}" --count 20 --parallel 5)
expect_eq "$(conns_count ok <<<"$out")" 20 "connections after the update"

lab_events_stop server
lab_show server
lab_stats server
ok_total=$(( $(conns_count ok <"$log") + 20 ))
timeout_total=$(( 10 + $(conns_count timeout <"$log") ))
# Rule 100 inbound kept its meaning, so its count goes on from before.
[ "$(counter inbound 100)" -ge $((in100 + ok_total)) ] ||
	fail "inbound rule 100: $(counter inbound 100) packets, want >= $in100 + $ok_total (kept across update)"
[ "$(counter outbound 110)" -ge "$ok_total" ] ||
	fail "outbound rule 110: $(counter outbound 110) packets, want >= $ok_total responses"
expect_eq "$(counter outbound 32767)" "$timeout_total" "outbound default deny: one a timed-out connection"
if [ -n "$LAB_EVENTS" ]; then
	# One drop a timed-out connection: its SYN-ACK; or a bare ACK when its
	# SYN reused the source port of a half-open connection the server still
	# held (TCP answers such a SYN with an ACK, RFC 5961), which happens
	# now and then with random ports.
	kinds=$(events server '"\(.direction) \(.rule) \(.tcp_flags)"' | sort | uniq -c)
	expect_eq "$(awk '$2 != "egress" || $3 != 32767 || ($4 != "SA" && $4 != "A")' <<<"$kinds")" "" \
		"drop events other than the default deny of SYN-ACKs and ACKs"
	expect_eq "$(awk '{ n += $1 } END { print n + 0 }' <<<"$kinds")" "$timeout_total" \
		"drop events: one a timed-out connection"
	[ "$(awk '$4 == "SA" { print $1 }' <<<"$kinds")" -ge $((timeout_total - 3)) ] ||
		fail "drop events: fewer SYN-ACKs than timed-out connections less 3: $kinds"
fi
finish
