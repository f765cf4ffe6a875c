#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scenario_quiz: the quiz of docs/scenarios.md, "quiz"
# (examples/quiz.nacl on the server's subnet 192.0.2.0/24): HTTPS, SSH and
# HTTP from the client 198.51.100.148 all fail, each where the article
# says:
#   SSH   request dropped inbound by rule 200 (deny tcp 22)
#   HTTP  request allowed inbound by rule 300, response dropped outbound by
#         the default rule (nothing allows the client's ephemeral port)
#   HTTPS request allowed inbound by rule 100, response dropped outbound by
#         the default rule (rule 200 allows port 443, not the client's port)
# Before the NACL is attached, all three work (the servers are real).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach stats detach

lab_init nclt-quiz
lab_subnet clients 198.51.100.1/24
lab_subnet servers 192.0.2.1/24
lab_host client clients 198.51.100.148/24
lab_host server servers 192.0.2.10/24
lab_exec server sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve server tcp 192.0.2.10:443,22,80

N=3
for port in 443 22 80; do
	out=$(lab_conns client tcp --dst 192.0.2.10:$port --count $N --parallel $N --timeout "$LAB_TIMEOUT")
	expect_eq "$(conns_count ok <<<"$out")" $N "port $port without the NACL"
done

expect_exit 0 lab_attach server examples/quiz.nacl
lab_events_start server || fail "naclemu events did not start"
for port in 443 22 80; do
	out=$(lab_conns client tcp --dst 192.0.2.10:$port --count $N --parallel $N --timeout "$LAB_TIMEOUT")
	expect_eq "$(conns_count timeout <<<"$out")" $N "port $port with the NACL: timed out"
done
lab_events_stop server

lab_show server
lab_stats server
expect_eq "$(counter inbound 100)" $N "inbound rule 100 (HTTPS requests allowed)"
expect_eq "$(counter inbound 200)" $N "inbound rule 200 (SSH requests denied)"
expect_eq "$(counter inbound 300)" $N "inbound rule 300 (HTTP requests allowed)"
expect_eq "$(counter inbound 32767)" 0 "inbound default deny"
expect_eq "$(counter outbound 200)" 0 "outbound rule 200 (allows 443: no response goes there)"
expect_eq "$(counter outbound 32767)" $((2 * N)) "outbound default deny (HTTPS and HTTP responses)"
if [ -n "$LAB_EVENTS" ]; then
	expect_eq "$(events server '"\(.direction) \(.rule) \(.tcp_flags) \(if .direction == "ingress" then .dst_port else .src_port end)"' | sort | uniq -c | awk '{$1=$1; print}')" \
		"$N egress 32767 SA 443
$N egress 32767 SA 80
$N ingress 200 S 22" "drop events"
fi
finish
