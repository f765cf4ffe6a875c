#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_traffic.sh - real TCP, UDP and ping through the TC
# datapath, IPv4 and IPv6, both directions: what the rules allow passes,
# the rest is dropped and counted on the deciding rule.  Stateless: a
# response is judged by the other direction's rules like any packet.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach stats

lab_init "nclt-dpt$$"  # the pid: concurrent runs must not share namespaces
lab_subnet a 192.0.2.1/24 2001:db8:1::1/64
lab_host client a 192.0.2.10/24 2001:db8:1::10/64
lab_host server a 192.0.2.20/24 2001:db8:1::20/64

rules=$LAB_TMP/server.nacl
cat >"$rules" <<'EOF'
inbound
  100 allow tcp    8080        192.0.2.0/24
  110 allow udp    5353        192.0.2.0/24
  120 allow icmp   8           192.0.2.0/24
  130 allow tcp    8080        2001:db8:1::/64
  140 allow udp    5353        2001:db8:1::/64
  150 allow icmpv6 128         2001:db8:1::/64
outbound
  100 allow tcp    1024-65535  192.0.2.0/24
  110 allow udp    1024-65535  192.0.2.0/24
  120 allow icmp   0           192.0.2.0/24
  130 allow tcp    1024-65535  2001:db8:1::/64
  140 allow udp    1024-65535  2001:db8:1::/64
  150 allow icmpv6 129         2001:db8:1::/64
EOF

lab_serve server tcp 192.0.2.20:8080,8081
lab_serve server tcp "[2001:db8:1::20]:8080,8081"
lab_serve server udp 192.0.2.20:5353,5354
lab_serve server udp "[2001:db8:1::20]:5353,5354"
lab_serve client tcp 192.0.2.10:9090
lab_serve client udp 192.0.2.10:999
lab_serve client tcp "[2001:db8:1::10]:9090"

expect_exit 0 lab_attach server "$rules"
expect_in "$out" "attached to v-server"

# conn HOST PROTO DST WANT: WANT ok or timeout for 3 connections.
conn() {
	local got
	got=$(lab_conns "$1" "$2" --dst "$3" --count 3 --timeout 0.5 | conns_count "$4")
	expect_eq "$got" 3 "$2 $1 -> $3: connections with result $4"
}

# Client to server: inbound rules on the request, outbound on the response.
conn client tcp 192.0.2.20:8080 ok
conn client tcp 192.0.2.20:8081 timeout
conn client udp 192.0.2.20:5353 ok
conn client udp 192.0.2.20:5354 timeout
conn client tcp "[2001:db8:1::20]:8080" ok
conn client tcp "[2001:db8:1::20]:8081" timeout
conn client udp "[2001:db8:1::20]:5353" ok
conn client udp "[2001:db8:1::20]:5354" timeout
expect_exit 0 lab_exec client ping -c 2 -i 0.2 -W 1 192.0.2.20
expect_exit 0 lab_exec client ping -6 -c 2 -i 0.2 -W 1 2001:db8:1::20

# Server to client: the request leaves by the outbound rules, and the
# response comes back to the server's ephemeral port, which no inbound rule
# allows (stateless, as in AWS).
conn server tcp 192.0.2.10:9090 timeout
conn server tcp "[2001:db8:1::10]:9090" timeout
# Egress drop: UDP to a port below 1024 is outside outbound rule 110.
conn server udp 192.0.2.10:999 timeout

lab_stats server
in100=$(counter inbound 100) in110=$(counter inbound 110) in4=$(counter inbound 32767)
in6=$(counter inbound 32768) out4=$(counter outbound 32767) out100=$(counter outbound 100)
[ "$in100" -ge 6 ] || fail "inbound 100 (tcp 8080) counted $in100, want >= 6"
[ "$in110" = 3 ] || fail "inbound 110 (udp 5353) counted $in110, want 3"
[ "$in4" -ge 9 ] || fail "inbound 32767 counted $in4, want >= 9 (8081, 5354, replies to 9090)"
[ "$in6" -ge 6 ] || fail "inbound 32768 counted $in6, want >= 6"
[ "$out4" -ge 3 ] || fail "outbound 32767 counted $out4, want >= 3 (udp 999)"
[ "$out100" -ge 6 ] || fail "outbound 100 counted $out100, want >= 6"
expect_eq "$(counter inbound 120)" 2 "inbound 120 (echo requests)"
expect_eq "$(counter inbound 150)" 2 "inbound 150 (ICMPv6 echo requests)"
expect_eq "$(counter inbound malformed)" 0 "inbound malformed"
# IPv6 neighbour discovery passed as exempt (the ping needed it).
[ "$(counter inbound exempt)" -ge 1 ] || fail "no exempt inbound packet (neighbour discovery)"

# Allow the server's ephemeral ports inbound: its connections now work.
sed -i 's/^outbound$/  160 allow tcp 32768-60999 192.0.2.0\/24\n  170 allow tcp 32768-60999 2001:db8:1::\/64\noutbound/' "$rules"
expect_exit 0 lab_naclemu update server "$rules"
conn server tcp 192.0.2.10:9090 ok
conn server tcp "[2001:db8:1::10]:9090" ok
lab_stats server
expect_eq "$(counter inbound 110)" 3 "inbound 110 kept its count through update"

expect_exit 0 lab_naclemu detach server
conn client tcp 192.0.2.20:8081 ok
finish
