#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_update.sh - `naclemu update` under continuous traffic:
# every packet is judged entirely by the old or entirely by the new rules.
#
# The two rule sets are built so that a packet judged half by one, half by
# the other would be dropped: in set A the client's echo requests match
# rule 100 (table index 0); set B puts a deny rule 50 for another network
# at index 0 and rule 100 at index 1.  A packet reading A's address word and
# B's protocol word would land on index 0 of B: deny.  Rule 100 has the
# same number and content in both sets, so its counter survives every
# update and must count every echo request, none dropped.  (Rule 102 takes
# the link-local ICMPv6 traffic, MLD reports, so that the default deny must
# stay at zero.)
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach stats

UPDATES=${UPDATES:-40}

lab_init "nclt-dpu$$"  # the pid: concurrent runs must not share namespaces
lab_subnet a 192.0.2.1/24 2001:db8:1::1/64
lab_host client a 192.0.2.10/24 2001:db8:1::10/64
lab_host server a 192.0.2.20/24 2001:db8:1::20/64

common='  100 allow icmp   all 192.0.2.10/32
  101 allow icmpv6 all 2001:db8:1::10/128
  102 allow icmpv6 all fe80::/10
outbound
  100 allow all - 0.0.0.0/0
  101 allow all - ::/0'
printf 'inbound\n%s\n' "$common" >"$LAB_TMP/a.nacl"
printf 'inbound\n  50 deny icmp all 198.51.100.0/24\n  51 deny icmpv6 all 2001:db8:9::/48\n%s\n' \
	"$common" >"$LAB_TMP/b.nacl"

expect_exit 0 lab_attach server "$LAB_TMP/a.nacl"

# Flood pings, both families, while the rules flip between A and B.
lab_bg client ping4 ping -f -c 20000 -w 60 192.0.2.20
pid4=$LAB_BG_PID
lab_bg client ping6 ping -6 -f -c 20000 -w 60 2001:db8:1::20
pid6=$LAB_BG_PID
updates=0 bad=0
for ((i = 0; i < UPDATES; i++)); do
	if ((i % 2)); then set=a; else set=b; fi
	lab_naclemu update server "$LAB_TMP/$set.nacl" >/dev/null || bad=$((bad + 1))
	updates=$((updates + 1))
done
wait "$pid4"; wait "$pid6"
expect_eq "$bad" 0 "failed updates"

sent4=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$LAB_TMP/ping4.log")
recv4=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_TMP/ping4.log")
sent6=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$LAB_TMP/ping6.log")
recv6=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_TMP/ping6.log")
echo "updates: $updates; IPv4 echo requests $sent4, replies $recv4; IPv6 $sent6, $recv6"
expect_eq "$recv4" "$sent4" "IPv4 echo replies"
expect_eq "$recv6" "$sent6" "IPv6 echo replies"

lab_stats server
expect_eq "$(counter inbound 100)" "$sent4" "inbound rule 100 (every IPv4 echo request)"
expect_eq "$(counter inbound 101)" "$sent6" "inbound rule 101 (every IPv6 echo request)"
expect_eq "$(counter inbound 32767)" 0 "inbound default deny IPv4"
expect_eq "$(counter inbound 32768)" 0 "inbound default deny IPv6"
expect_eq "$(jq .generation <<<"$STATS")" $((updates + 1)) "generation"
finish
