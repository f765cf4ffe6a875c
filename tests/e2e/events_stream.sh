#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/events_stream.sh - `naclemu events` on real traffic through a
# veth: one drop of each kind (TCP and UDP by a rule and by the default
# deny, IPv4 and IPv6, ICMP, another protocol, a malformed packet sent with
# a raw socket) comes out as one JSON line with exactly docs/semantics.md section 4\'s
# fields in order and the packet's values, or one line of the text
# columns; --count ends the stream; the rate limit holds under a flood and
# the summary line accounts for every drop: events + suppressed + lost =
# the drops that `stats` counted.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach stats events
command -v jq >/dev/null || skip "jq is not installed"

lab_init nclt-evs
lab_subnet a 192.0.2.1/24 2001:db8:1::1/64
lab_host client a 192.0.2.10/24 2001:db8:1::10/64
lab_host server a 192.0.2.20/24 2001:db8:1::20/64
ns=$LAB-server dev=v-server

# Link-local ICMPv6 (MLD reports) is allowed so that the only drops are the
# test's own packets.
cat >"$LAB_TMP/server.nacl" <<'EOF'
inbound
  100 allow tcp    8080       192.0.2.0/24
  110 deny  udp    5000-5999  0.0.0.0/0
  120 allow icmp   0          192.0.2.0/24
  130 allow icmpv6 all        fe80::/10
  140 allow icmpv6 all        ::/128
outbound
  100 allow all    -          0.0.0.0/0
  110 allow all    -          ::/0
EOF

# send.py KIND...: one packet of each KIND from the client, without
# waiting for anything: tcp4:PORT tcp6:PORT udp4:PORT udp6:PORT (from
# source port 40000 + PORT % 1000), gre4 (protocol 47), badtcp4 (an IPv4
# header and 10 bytes of TCP header: malformed), udpflood4:PORT:N.
cat >"$LAB_TMP/send.py" <<'EOF'
import socket, sys, time
S4, S6 = "192.0.2.20", "2001:db8:1::20"
for kind in sys.argv[1:]:
    what, _, arg = kind.partition(":")
    if what in ("tcp4", "tcp6"):
        fam, dst = (socket.AF_INET, S4) if what == "tcp4" else (socket.AF_INET6, S6)
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", 40000 + int(arg) % 1000))
        s.setblocking(False)
        try:
            s.connect((dst, int(arg)))
        except BlockingIOError:
            pass
        time.sleep(0.05)  # the SYN is out; closing now sends nothing more
        s.close()
    elif what in ("udp4", "udp6"):
        fam, dst = (socket.AF_INET, S4) if what == "udp4" else (socket.AF_INET6, S6)
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(("", 40000 + int(arg) % 1000))
        s.sendto(b"naclemu", (dst, int(arg)))
        s.close()
    elif what == "udpflood4":
        port, n = arg.split(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(int(n)):
            s.sendto(b"x", (S4, int(port)))
    elif what == "gre4":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
        s.sendto(b"\0\0\x08\0" + b"gre!" * 4, (S4, 0))
    elif what == "badtcp4":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        tcp = bytes([0x9c, 0x41, 0x00, 0x50]) + bytes(6)  # 10 of 20 bytes
        ip = bytes([0x45, 0, 0, 30, 0, 1, 0, 0, 64, 6, 0, 0]) + \
            socket.inet_aton("192.0.2.10") + socket.inet_aton(S4)
        s.sendto(ip + tcp, (S4, 0))
EOF
send() { lab_exec client "$PYTHON" "$LAB_TMP/send.py" "$@"; }

# events_bg ARGS...: naclemu events in the background, ready on return
# (its "listening" line is on stderr).
events_bg() {
	rm -f "$LAB_TMP/ev.out" "$LAB_TMP/ev.err"
	"$NACLEMU" events -n "$ns" -i "$dev" "$@" >"$LAB_TMP/ev.out" 2>"$LAB_TMP/ev.err" &
	EV_PID=$!
	LAB_PIDS+=("$EV_PID")
	for _ in $(seq 1 100); do
		grep -q "listening for drops on" "$LAB_TMP/ev.err" 2>/dev/null && return 0
		kill -0 "$EV_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "events did not start: $(cat "$LAB_TMP/ev.err")"
}
# events_stop: SIGINT, then its exit status in $rc.
events_stop() {
	sleep 0.3 # the last events reach the ring
	kill -INT "$EV_PID" 2>/dev/null
	wait "$EV_PID"
	rc=$?
}

expect_exit 0 lab_attach server "$LAB_TMP/server.nacl"

# ---- JSON lines ---------------------------------------------------------
events_bg --json
send tcp4:8081 tcp4:5500 udp4:5500 udp4:7000 tcp6:8081 udp6:5500 gre4 badtcp4
expect_exit 1 lab_exec client ping -c 1 -W 1 192.0.2.20
events_stop
expect_eq "$rc" 0 "exit status of events after SIGINT"
json=$(cat "$LAB_TMP/ev.out")
echo "$json"

# Every line is one JSON object with exactly the documented fields, in order.
fields='time,interface,direction,rule,action,family,protocol,src,dst,src_port,dst_port,icmp_type,icmp_code,length,tcp_flags'
expect_eq "$(jq -r 'keys_unsorted | join(",")' <<<"$json" | sort -u)" "$fields" "JSON fields"
expect_eq "$(jq -c . <<<"$json" | wc -l)" "$(wc -l <<<"$json")" "lines that are JSON"
expect_eq "$(jq -r 'select(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$") | not) | .time' <<<"$json")" "" "times not RFC 3339 UTC microseconds"
# Times within a minute of now.
now=$(date +%s)
expect_eq "$(jq -r --argjson now "$now" 'select((.time | sub("\\.[0-9]+Z$"; "Z") | fromdate) - $now | fabs > 60) | .time' <<<"$json")" "" "times far from now"
expect_eq "$(jq -r 'select(.interface != "v-server" or .direction != "ingress" or (.length | type) != "number") | .time' <<<"$json")" "" "interface, direction, length"

# The values, one line per drop (source ports are 40000 + port % 1000).
got=$(jq -r '[.rule, .action, .family, .protocol, .src, .dst, .src_port, .dst_port, .icmp_type, .icmp_code, .tcp_flags] | map(tostring) | join(" ")' <<<"$json" | sort)
want=$(sort <<'EOF'
110 deny 4 17 192.0.2.10 192.0.2.20 40500 5500 null null null
32767 deny 4 6 192.0.2.10 192.0.2.20 40081 8081 null null S
32767 deny 4 6 192.0.2.10 192.0.2.20 40500 5500 null null S
32767 deny 4 17 192.0.2.10 192.0.2.20 40000 7000 null null null
32768 deny 6 6 2001:db8:1::10 2001:db8:1::20 40081 8081 null null S
32768 deny 6 17 2001:db8:1::10 2001:db8:1::20 40500 5500 null null null
32767 deny 4 47 192.0.2.10 192.0.2.20 null null null null null
0 malformed 4 6 192.0.2.10 192.0.2.20 null null null null null
32767 deny 4 1 192.0.2.10 192.0.2.20 null null 8 0 null
EOF
)
expect_eq "$got" "$want" "drop events"
# Lengths: UDP "naclemu" over IPv4 is 14 + 20 + 8 + 7 bytes.
expect_eq "$(jq -r 'select(.protocol == 17 and .family == 4) | .length' <<<"$json" | sort -u)" 49 "IPv4 UDP length"
expect_eq "$(jq -r 'select(.action == "malformed") | .length' <<<"$json")" 44 "malformed length"
expect_in "$(cat "$LAB_TMP/ev.err")" "naclemu: 9 events, 0 suppressed by the rate limit, 0 lost (ring buffer full)"

# ---- text columns, --count ----------------------------------------------
events_bg --count 3
send udp4:5001 tcp6:22 udp4:7001
for _ in $(seq 1 40); do kill -0 "$EV_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$EV_PID" 2>/dev/null && fail "events --count 3 still runs after 3 drops"
wait "$EV_PID"
expect_eq "$?" 0 "exit status of events --count 3"
text=$(cat "$LAB_TMP/ev.out")
echo "$text"
expect_eq "$(head -n 1 <<<"$text")" "TIME            IFACE    DIR     RULE  PROTO SRC                 DST                 LEN" "text header"
expect_eq "$(wc -l <<<"$text")" 4 "text lines"
re4='^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} v-server ingress '
expect_eq "$(grep -cE "${re4}110   udp   192\.0\.2\.10:40001    192\.0\.2\.20:5001      49$" <<<"$text")" 1 "text line of rule 110"
expect_eq "$(grep -cE "${re4}\*     tcp   \[2001:db8:1::10\]:40022 \[2001:db8:1::20\]:22 +94$" <<<"$text")" 1 "text line of an IPv6 default deny"
expect_eq "$(grep -cE "${re4}\*     udp   192\.0\.2\.10:40001    192\.0\.2\.20:7001      49$" <<<"$text")" 1 "text line of an IPv4 default deny"
expect_in "$(cat "$LAB_TMP/ev.err")" "naclemu: 3 events, 0 suppressed by the rate limit, 0 lost (ring buffer full)"

# ---- the rate limit -------------------------------------------------------
# 20 events per second and CPU; 3000 datagrams in well under a second.
expect_exit 0 lab_naclemu detach server
expect_exit 0 lab_attach server "$LAB_TMP/server.nacl" --events-rate 20
events_bg --json
start=$(date +%s.%N)
send udpflood4:5002:3000
sleep 0.3
lab_stats server
drops=$(counter inbound 110)
events_stop
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
summary=$(grep '^naclemu: [0-9]* events' "$LAB_TMP/ev.err")
echo "$drops drops; $summary"
read -r n m k < <(sed -E 's/^naclemu: ([0-9]+) events, ([0-9]+) suppressed.*, ([0-9]+) lost.*/\1 \2 \3/' <<<"$summary")
expect_eq "$n" "$(grep -c '^{' "$LAB_TMP/ev.out")" "events in the summary vs lines printed"
expect_eq "$((n + m + k))" "$drops" "events + suppressed + lost vs drops in stats"
[ "$drops" -ge 1000 ] || fail "only $drops of 3000 datagrams reached the server"
cpus=$(nproc --all)
max=$(awk -v c="$cpus" -v s="$secs" 'BEGIN { printf "%d", c * 20 + 20 * s + 1 }')
[ "$n" -le "$max" ] || fail "$n events delivered, over the budget $max ($cpus CPUs, ${secs}s at 20/s)"
[ "$n" -ge 20 ] || fail "$n events delivered, fewer than one full bucket (20)"
lab_stats server
expect_eq "$(jq .events_suppressed <<<"$STATS")" "$m" "events_suppressed in stats --json"
expect_eq "$(jq .events_lost <<<"$STATS")" "$k" "events_lost in stats --json"
expect_in "$(lab_naclemu stats server)" "events suppressed"
# status shows them too, in its text and its JSON.
expect_eq "$("$NACLEMU" status -n "$LAB-server" -i v-server --json | jq '.[0].events_suppressed')" "$m" \
	"events_suppressed in status --json"
expect_in "$("$NACLEMU" status -n "$LAB-server" -i v-server)" "suppressed $m" "status text"
expect_exit 0 lab_naclemu detach server
finish
