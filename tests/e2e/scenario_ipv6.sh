#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scenario_ipv6: the web server of scenario_web_update over IPv6
# (examples/web-server-no-ephemeral.nacl, rules 120 for ::/0), and ICMPv6
# echo allowed by type.
#
# The responses to the client's ephemeral ports are dropped by the IPv6
# default rule (32768); the update adds the ephemeral rule for ::/0 and
# lets echo requests (type 128) in and echo replies (type 129) out.  Echo
# requests the server sends itself (type 128 outbound) stay denied.
# Neighbour discovery is never filtered, and is counted as exempt, and so
# is link-scope traffic such as MLD reports (ICMPv6 143, sent by the kernel
# when an interface joins a multicast group, at unpredictable times); the
# default-deny counters are checked as lower bounds and the drop events
# give the exact account.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update stats detach

lab_init nclt-ipv6
lab_subnet public 203.0.113.1/24 2001:db8:7::1/64
lab_subnet web 198.51.100.1/24 2001:db8:10::1/64
lab_host client public 203.0.113.7/24 2001:db8:7::7/64
lab_host server web 198.51.100.10/24 2001:db8:10::10/64
lab_exec server sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve server tcp "[2001:db8:10::10]:80"

fixed=$LAB_TMP/web-server-v6.nacl
{ cat examples/web-server-no-ephemeral.nacl
  echo "  130  allow  tcp     1024-65535  ::/0    # responses to ephemeral ports"
  echo "  140  allow  icmpv6  129         ::/0    # echo replies"
  # Inbound rules go after a second "inbound" section header.
  echo "inbound"
  echo "  140  allow  icmpv6  128         ::/0    # echo requests"
} >"$fixed"
expect_exit 0 "$NACLEMU" check "$fixed"

expect_exit 0 lab_attach server examples/web-server-no-ephemeral.nacl
lab_events_start server || fail "naclemu events did not start"
tcp=(--dst "[2001:db8:10::10]:80" --src 2001:db8:7::7 --timeout "$LAB_TIMEOUT")
out=$(lab_conns client tcp "${tcp[@]}" --count 5 --parallel 5)
expect_eq "$(conns_count timeout <<<"$out")" 5 "IPv6 connections before the update"
expect_exit 1 lab_exec client ping -6 -c 1 -W 1 2001:db8:10::10
lab_stats server
expect_eq "$(counter inbound 120)" 5 "inbound rule 120 (the SYNs arrive)"
[ "$(counter outbound 32768)" -ge 5 ] || fail "outbound IPv6 default deny: $(counter outbound 32768), want >= 5 SYN-ACKs"
expect_eq "$(counter outbound 32767)" 0 "outbound IPv4 default deny"
[ "$(counter inbound 32768)" -ge 1 ] || fail "inbound IPv6 default deny: no echo request counted"
out32768=$(counter outbound 32768)

expect_exit 0 lab_naclemu update server "$fixed"
out=$(lab_conns client tcp "${tcp[@]}" --count 10 --parallel 5)
expect_eq "$(conns_count ok <<<"$out")" 10 "IPv6 connections after the update"
expect_exit 0 lab_exec client ping -6 -c 2 -i 0.2 -W 1 2001:db8:10::10
# The server's own echo request is type 128 outbound: denied.
expect_exit 1 lab_exec server ping -6 -c 1 -W 1 2001:db8:7::7
lab_events_stop server

lab_show server
lab_stats server
expect_eq "$(counter inbound 140)" 2 "inbound rule 140 (echo requests)"
expect_eq "$(counter outbound 140)" 2 "outbound rule 140 (echo replies)"
[ "$(counter outbound 130)" -ge 10 ] || fail "outbound rule 130: $(counter outbound 130), want >= 10"
[ "$(counter outbound 32768)" -gt "$out32768" ] || fail "outbound IPv6 default deny: the server's echo request not counted"
[ "$(counter inbound exempt)" -ge 1 ] || fail "inbound exempt: no neighbour discovery counted"
[ "$(counter outbound exempt)" -ge 1 ] || fail "outbound exempt: no neighbour discovery counted"
if [ -n "$LAB_EVENTS" ]; then
	# N: ping sends its echo request again when the drop fails its
	# sendmsg() with ENOBUFS, so the server's own ping may drop twice.
	expect_eq "$(events server 'select(.protocol == 6 or .icmp_type == 128) | "\(.direction) \(.rule) \(.protocol) \(.icmp_type) \(.tcp_flags)"' | sort | uniq -c | awk '{$1=$1; print}' | sed -E 's/^[0-9]+ (egress 32768 58 128)/N \1/')" \
		"N egress 32768 58 128 null
5 egress 32768 6 null SA
1 ingress 32768 58 128 null" "IPv6 drop events"
fi
finish
