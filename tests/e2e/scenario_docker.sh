#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scenario_docker: docs/scenarios.md, "docker" on real
# traffic, examples/docker-ephemeral.nacl on the server's subnet.
#
# A Linux client (ephemeral 32768-60999) connects to service1 on TCP 10001:
# every connection from a port below 49152 times out (its SYN-ACK is dropped
# at the server's egress by the default rule), every other one works; UDP
# and ping are denied inbound.  Then the article's fix (the client's range
# set to 49152-65535): every connection works.  Stats and events must
# count exactly those drops.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach stats detach

lab_init nclt-docker
lab_subnet clients 192.0.2.1/24
lab_subnet servers 198.51.100.1/24
lab_host client clients 192.0.2.10/24
lab_host server servers 198.51.100.20/24
# One failed connection = one dropped SYN-ACK: no SYN-ACK retransmission
# (the client gives up after 0.4 s, before its own SYN retransmission).
lab_exec server sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve server tcp 198.51.100.20:10001
lab_serve server udp 198.51.100.20:10001
lab_exec client sysctl -qw net.ipv4.ip_local_port_range="32768 60999"

expect_exit 0 lab_attach server examples/docker-ephemeral.nacl --subnet 198.51.100.0/24
lab_events_start server || fail "naclemu events did not start"

# TCP from chosen ports around the boundary, then 60 from random ports of
# the client's range: ok exactly when the port is 49152 or above.
tcp=(--dst 198.51.100.20:10001 --src 192.0.2.10 --timeout "$LAB_TIMEOUT")
fixed=$(lab_conns client tcp "${tcp[@]}" --ports 32768,40000,49151,49152,55000,60999)
random=$(lab_conns client tcp "${tcp[@]}" --count 60 --parallel 10)
all=$(printf '%s\n%s\n' "$fixed" "$random")
expect_eq "$(awk '$1 !~ /^#/ {printf "%s ", $4}' <<<"$fixed")" \
	"timeout timeout timeout ok ok ok " "ports 32768 40000 49151 49152 55000 60999"
wrong=$(awk '$1 !~ /^#/ && $4 != ($3 >= 49152 ? "ok" : "timeout")' <<<"$all")
expect_eq "$wrong" "" "connections whose result does not follow their port"
timeouts=$(conns_count timeout <<<"$all")
oks=$(conns_count ok <<<"$all")
expect_eq "$((timeouts + oks))" 66 "connections that were ok or timed out (no reset)"
{ [ "$timeouts" -ge 3 ] && [ "$oks" -ge 3 ]; } || fail "only $timeouts timeouts and $oks ok"
echo "tcp: $timeouts timed out, $oks ok"

# UDP and ping: no inbound rule allows them, the request is dropped.
out=$(lab_conns client udp --dst 198.51.100.20:10001 --timeout "$LAB_TIMEOUT")
expect_eq "$(conns_count timeout <<<"$out")" 1 "UDP datagram to 10001"
expect_exit 1 lab_exec client ping -c 1 -W 1 198.51.100.20

lab_events_stop server
lab_show server
lab_stats server
expect_eq "$(counter outbound 32767)" "$timeouts" "outbound default deny (one SYN-ACK a timeout)"
expect_eq "$(counter inbound 32767)" 2 "inbound default deny (the UDP datagram and the ping)"
[ "$(counter inbound 100)" -ge 66 ] || fail "inbound rule 100: $(counter inbound 100) packets, want >= 66 SYNs"
[ "$(counter outbound 100)" -ge "$oks" ] || fail "outbound rule 100: $(counter outbound 100) packets, want >= $oks"
expect_eq "$(counter inbound malformed)" 0 "inbound malformed"
if [ -n "$LAB_EVENTS" ]; then
	# Each timed-out connection: one egress drop by rule 32767 of a SYN-ACK
	# to the client's port.
	got=$(events server 'select(.direction == "egress") | "\(.rule) \(.tcp_flags) \(.src_port) \(.dst_port)"' | sort)
	want=$(awk '$1 !~ /^#/ && $4 == "timeout" {print "32767 SA 10001 " $3}' <<<"$all" | sort)
	expect_eq "$got" "$want" "egress drop events"
	expect_eq "$(events server 'select(.direction == "ingress") | "\(.rule) \(.protocol)"' | sort | tr '\n' ' ')" \
		"32767 1 32767 17 " "ingress drop events (ping, UDP)"
fi

# The fix: the client's range inside the NACL's 49152-65535.
lab_exec client sysctl -qw net.ipv4.ip_local_port_range="49152 65535"
out=$(lab_conns client tcp "${tcp[@]}" --count 40 --parallel 10)
expect_eq "$(conns_count ok <<<"$out")" 40 "connections ok after the fix"
lab_stats server
expect_eq "$(counter outbound 32767)" "$timeouts" "outbound default deny after the fix (no new drop)"

expect_exit 0 lab_naclemu detach server
LAB_ATTACHED=()
# Detached: the old range works again everywhere.
lab_exec client sysctl -qw net.ipv4.ip_local_port_range="32768 40000"
out=$(lab_conns client tcp "${tcp[@]}" --count 5)
expect_eq "$(conns_count ok <<<"$out")" 5 "connections ok after detach"
finish
