#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scenario_lb: a load balancer in front of a web server, two NACLs on two
# subnets (docs/scenarios.md, "web" and "lb"): examples/lb-public.nacl
# on the LB's subnet 203.0.113.0/24, examples/lb-private.nacl on the web
# subnet 198.51.100.0/24.  A client on 192.0.2.0/24 talks to a real relay
# on the LB, which connects to the web server from its own ephemeral port.
#
# Every leg is counted where the article says: the client's request
# (public inbound 100) and its response (public outbound 200), the LB's
# request (public outbound 100, private inbound 100) and the web server's
# response (private outbound 100, public inbound 200).  The client cannot
# reach the web server directly (private inbound default deny), and
# without public inbound 200 the LB never hears back from the web server.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update stats detach

lab_init nclt-lb
lab_subnet internet 192.0.2.1/24
lab_subnet public 203.0.113.1/24
lab_subnet private 198.51.100.1/24
lab_host client internet 192.0.2.50/24
lab_host lb public 203.0.113.10/24
lab_host web private 198.51.100.10/24
lab_exec web sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve web tcp 198.51.100.10:80
lab_relay lb 203.0.113.10:80 198.51.100.10:80

expect_exit 0 lab_attach lb examples/lb-public.nacl
expect_exit 0 lab_attach web examples/lb-private.nacl
lab_events_start lb || fail "naclemu events did not start"
lab_events_start web || fail "naclemu events did not start"

# Through the load balancer: every connection gets its echo back from the
# web server.
out=$(lab_conns client tcp --dst 203.0.113.10:80 --count 20 --parallel 5 --timeout 1)
expect_eq "$(conns_count ok <<<"$out")" 20 "client -> LB -> web connections"
lab_stats lb
for leg in "inbound 100" "inbound 200" "outbound 100" "outbound 200"; do
	# shellcheck disable=SC2086
	[ "$(counter $leg)" -ge 20 ] || fail "lb-public $leg: $(counter $leg) packets, want >= 20"
done
expect_eq "$(counter inbound 32767)$(counter outbound 32767)" 00 "lb-public default deny"
lab_stats web
for leg in "inbound 100" "outbound 100"; do
	# shellcheck disable=SC2086
	[ "$(counter $leg)" -ge 20 ] || fail "lb-private $leg: $(counter $leg) packets, want >= 20"
done
expect_eq "$(counter inbound 32767)$(counter outbound 32767)" 00 "lb-private default deny"

# Straight to the web server: only the LB's subnet may reach port 80.
out=$(lab_conns client tcp --dst 198.51.100.10:80 --count 3 --timeout "$LAB_TIMEOUT")
expect_eq "$(conns_count timeout <<<"$out")" 3 "client -> web directly"
lab_stats web
expect_eq "$(counter inbound 32767)" 3 "lb-private inbound default deny (the client's SYNs)"

# Without public inbound 200 the web server's responses never reach the LB:
# the relay's connection times out, and so does the client's.
noeph=$LAB_TMP/lb-public-no-200.nacl
grep -v '^ *200 .*198.51.100.0/24' examples/lb-public.nacl >"$noeph"
expect_exit 0 lab_naclemu update lb "$noeph"
out=$(lab_conns client tcp --dst 203.0.113.10:80 --count 2 --parallel 2 --timeout 1)
expect_eq "$(conns_count timeout <<<"$out")" 2 "client -> LB -> web without public inbound 200"
lab_stats lb
[ "$(counter inbound 32767)" -ge 2 ] ||
	fail "lb-public inbound default deny: $(counter inbound 32767), want >= 2 (the web server's SYN-ACKs)"
expect_exit 0 lab_naclemu update lb examples/lb-public.nacl
out=$(lab_conns client tcp --dst 203.0.113.10:80 --count 5 --parallel 5 --timeout 1)
expect_eq "$(conns_count ok <<<"$out")" 5 "client -> LB -> web with public inbound 200 back"

lab_events_stop lb
lab_events_stop web
lab_show lb
lab_show web
if [ -n "$LAB_EVENTS" ]; then
	expect_eq "$(events web '"\(.direction) \(.rule) \(.src) \(.dst_port) \(.tcp_flags)"' | sort -u)" \
		"ingress 32767 192.0.2.50 80 S" "lb-private drop events"
	expect_eq "$(events lb '"\(.direction) \(.rule) \(.src) \(.src_port) \(.tcp_flags)"' | sort -u)" \
		"ingress 32767 198.51.100.10 80 SA" "lb-public drop events"
fi
finish
