#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scenario_exempt: what a NACL does not filter (docs/semantics.md section 1).  The
# server's subnet gets a deny-all NACL (no rule in either direction),
# attached with --exempt 192.0.2.10/32 and --subnet 198.51.100.0/24:
#   - the exempt client 192.0.2.10: TCP, UDP and ping pass, counted exempt;
#   - another client, 192.0.2.11: TCP, UDP and ping are dropped, but a DHCP
#     datagram (UDP 68 -> 67) and its answer pass, counted exempt;
#   - a peer inside the server's own subnet (198.51.100.30) bypasses the
#     NACL, counted as subnet traffic.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach stats detach

lab_init nclt-exempt
lab_subnet clients 192.0.2.1/24
lab_subnet servers 198.51.100.1/24
lab_host client clients 192.0.2.10/24
lab_host other clients 192.0.2.11/24
lab_host peer servers 198.51.100.30/24
lab_host server servers 198.51.100.20/24
lab_serve server tcp 198.51.100.20:10001
lab_serve server udp 198.51.100.20:5353,67

denyall=$LAB_TMP/deny-all.nacl
printf '# deny everything, both ways\ninbound\noutbound\n' >"$denyall"
expect_exit 0 lab_attach server "$denyall" --exempt 192.0.2.10/32 --subnet 198.51.100.0/24
lab_events_start server || fail "naclemu events did not start"

tcp=(--dst 198.51.100.20:10001 --timeout "$LAB_TIMEOUT")
udp=(--dst 198.51.100.20:5353 --timeout "$LAB_TIMEOUT")
dhcp=(--dst 198.51.100.20:67 --ports 68 --timeout "$LAB_TIMEOUT")
for host in client peer; do
	out=$(lab_conns $host tcp "${tcp[@]}" --count 5 --parallel 5)
	expect_eq "$(conns_count ok <<<"$out")" 5 "TCP from $host"
	out=$(lab_conns $host udp "${udp[@]}" --count 3)
	expect_eq "$(conns_count ok <<<"$out")" 3 "UDP from $host"
	expect_exit 0 lab_exec $host ping -c 1 -W 1 198.51.100.20
done
out=$(lab_conns other tcp "${tcp[@]}" --count 3 --parallel 3)
expect_eq "$(conns_count timeout <<<"$out")" 3 "TCP from the other client"
out=$(lab_conns other udp "${udp[@]}" --count 2)
expect_eq "$(conns_count timeout <<<"$out")" 2 "UDP from the other client"
expect_exit 1 lab_exec other ping -c 1 -W 1 198.51.100.20
out=$(lab_conns other udp "${dhcp[@]}")
expect_eq "$(conns_count ok <<<"$out")" 1 "DHCP (UDP 68 -> 67) from the other client"
lab_events_stop server

lab_show server
lab_stats server
# The other client's TCP SYNs (3), UDP datagrams (2) and echo request (1):
# nothing else of IPv4 is denied.
expect_eq "$(counter inbound 32767)" 6 "inbound default deny"
expect_eq "$(counter outbound 32767)" 0 "outbound default deny"
for dir in inbound outbound; do
	[ "$(counter $dir exempt)" -ge 9 ] || fail "$dir exempt: $(counter $dir exempt), want >= 9 (5 TCP, 3 UDP, 1 ping, 1 DHCP)"
	[ "$(counter $dir subnet)" -ge 9 ] || fail "$dir subnet: $(counter $dir subnet), want >= 9 (5 TCP, 3 UDP, 1 ping)"
done
if [ -n "$LAB_EVENTS" ]; then
	expect_eq "$(events server 'select(.family == 4) | "\(.direction) \(.rule) \(.src) \(.protocol)"' | sort | uniq -c | awk '{$1=$1; print}')" \
		"1 ingress 32767 192.0.2.11 1
2 ingress 32767 192.0.2.11 17
3 ingress 32767 192.0.2.11 6" "drop events"
fi
finish
