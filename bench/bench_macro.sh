#!/usr/bin/env bash
# bench/bench_macro.sh - the macro part of `make bench`: real traffic over a
# veth pair between a client and a server network namespace, filtered by
#
#   none      nothing
#   tc-empty  an empty TC program (bench_empty.bpf.o: return TC_ACT_OK) on
#             the same hooks as naclemu: what any TC program costs there
#   naclemu   `naclemu attach` with 39 numbered rules per direction and
#             family (AWS's maximum), the traffic matching the last IPv4 rule
#   nftables  netdev ingress and egress chains with the same rules, in the
#             same order, stateless (no conntrack), policy drop
#   iptables  the same rules in the INPUT and OUTPUT chains (iptables as the
#             system has it, see `iptables -V`), no conntrack match, policy
#             drop
#
# Workloads, every round running every case once (rounds interleave them):
#
#   tcp    one iperf3 TCP stream client -> server, the filter on the client
#          (naclemu, nftables: both hooks of its veth, data out through
#          egress, ACKs in through ingress; iptables: OUTPUT and INPUT), TSO/GSO
#          on (the filter sees 64 KB segments) and off (every MSS packet)
#   udp    60-byte UDP frames at the highest rate trafgen (netsniff-ng,
#          PACKET_MMAP, one process) sends from the client, the filter on the
#          server (naclemu, nftables: its veth's ingress; iptables: INPUT):
#          veth hands each frame to the receive path on the sending CPU, so
#          the send rate includes the filter's cost per packet
#   flood  the same frames to a denied port, dropped by naclemu's default
#          deny on the server's ingress: drop events off (--events-rate 0),
#          on (default 1000 a second and CPU, `naclemu events` reading), and
#          every drop an event (--events-rate 1000000, read as fast as the
#          reader can; the rest is counted lost)
#
# Figures: median (min-max) over rounds; ratios are per round against the
# reference of the same round.  Prints Markdown tables on stdout.
# Knobs: BENCH_MACRO_ROUNDS (5), BENCH_MACRO_SECONDS (3 per iperf3 run),
# BENCH_MACRO_PACKETS (2000000 per trafgen run).
# Documentation addresses only; everything it makes is removed on exit.
set -eu
cd "$(dirname "$0")/.."
NACLEMU=${NACLEMU:-build/naclemu}
EMPTY_OBJ=${EMPTY_OBJ:-build/bench/bench_empty.bpf.o}
ROUNDS=${BENCH_MACRO_ROUNDS:-5}
SECS=${BENCH_MACRO_SECONDS:-3}
PACKETS=${BENCH_MACRO_PACKETS:-2000000}

for t in iperf3 nft iptables trafgen tc ethtool ip jq; do
	command -v $t >/dev/null || { echo "naclemu: bench_macro needs $t (make deps)" >&2; exit 2; }
done

C=nbm-$$-client S=nbm-$$-server
tmp=$(mktemp -d /tmp/naclemu-bench-macro.XXXXXX)
cleanup() {
	set +e
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	[ -n "${epid:-}" ] && kill "$epid" 2>/dev/null && wait "$epid" 2>/dev/null
	[ -n "${sinkpid:-}" ] && kill "$sinkpid" 2>/dev/null && wait "$sinkpid" 2>/dev/null
	"$NACLEMU" detach -n "$C" -i vc >/dev/null 2>&1 || true
	"$NACLEMU" detach -n "$S" -i vs >/dev/null 2>&1 || true
	ip netns del "$C" 2>/dev/null || true
	ip netns del "$S" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$C"
ip netns add "$S"
ip -n "$C" link add vc type veth peer name vs netns "$S"
ip -n "$C" addr add 192.0.2.1/24 dev vc
ip -n "$S" addr add 192.0.2.2/24 dev vs
ip -n "$C" link set vc up
ip -n "$S" link set vs up
ip -n "$C" link set lo up
ip -n "$S" link set lo up
# The server lives as long as every run could take, and no longer.
timeout $((ROUNDS * 8 * (SECS + 25) + 30)) ip netns exec "$S" iperf3 -s -B 192.0.2.2 -p 5201 >/dev/null 2>&1 &
spid=$!
sleep 0.5

# The rules: 37 that the traffic does not match, then the two it does
# (138: the TCP stream, 139: the UDP frames), then 39 IPv6 rules.
nacl_dir() { # $1: the ports of rule 138
	for k in $(seq 0 36); do
		echo " $((100 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 198.51.100.$((4 * k))/30"
	done
	echo " 138 allow tcp $1 192.0.2.0/24"
	echo " 139 allow udp 5201 192.0.2.0/24"
	for k in $(seq 0 38); do
		echo " $((200 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 2001:db8:$((k + 1))::/48"
	done
}
{
	echo inbound
	nacl_dir 1024-65535
	echo outbound
	nacl_dir 5201
} >"$tmp/bench.nacl"
# On the server (the udp and flood workloads) the same inbound rules judge
# the frames from 192.0.2.1: to UDP 5201 rule 139, to UDP 9 the default deny.

# The same for nftables: non-IP passes (naclemu exempts it), then the rules.
nft_rules() { # $1: saddr|daddr, $2: last TCP rule's ports
	echo "meta protocol != { ip, ip6 } accept"
	for k in $(seq 0 36); do
		echo "ip $1 198.51.100.$((4 * k))/30 tcp dport $((1000 + 10 * k))-$((1005 + 10 * k)) accept"
	done
	echo "ip $1 192.0.2.0/24 tcp dport $2 accept"
	echo "ip $1 192.0.2.0/24 udp dport 5201 accept"
	for k in $(seq 0 38); do
		echo "ip6 $1 2001:db8:$((k + 1))::/48 tcp dport $((1000 + 10 * k))-$((1005 + 10 * k)) accept"
	done
}
nft_table() { # $1: device
	echo "table netdev nbm {"
	echo "  chain in { type filter hook ingress device \"$1\" priority 0; policy drop;"
	nft_rules saddr 1024-65535 | sed 's/^/    /'
	echo "  }"
	echo "  chain out { type filter hook egress device \"$1\" priority 0; policy drop;"
	nft_rules daddr 5201 | sed 's/^/    /'
	echo "  }"
	echo "}"
}
nft_table vc >"$tmp/vc.nft"
nft_table vs >"$tmp/vs.nft"

# And for iptables (iptables-restore input; IPv4 only: the traffic is IPv4).
ipt_rules() { # $1: chain, $2: -s|-d, $3: last TCP rule's ports (a:b)
	for k in $(seq 0 36); do
		echo "-A $1 $2 198.51.100.$((4 * k))/30 -p tcp --dport $((1000 + 10 * k)):$((1005 + 10 * k)) -j ACCEPT"
	done
	echo "-A $1 $2 192.0.2.0/24 -p tcp --dport $3 -j ACCEPT"
	echo "-A $1 $2 192.0.2.0/24 -p udp --dport 5201 -j ACCEPT"
}
{
	echo "*filter"
	echo ":INPUT DROP [0:0]"
	echo ":FORWARD ACCEPT [0:0]"
	echo ":OUTPUT DROP [0:0]"
	ipt_rules INPUT -s 1024:65535
	ipt_rules OUTPUT -d 5201
	echo "COMMIT"
} >"$tmp/bench.ipt"

filter_on() { # $1: filter, $2: namespace, $3: device, $4: naclemu rules
	case $1 in
	naclemu) # (39 rules: quota warnings expected)
		"$NACLEMU" attach -n "$2" -i "$3" "$4" >/dev/null 2>"$tmp/attach.err" ||
			{ cat "$tmp/attach.err" >&2; return 1; } ;;
	tc-empty)
		ip netns exec "$2" tc qdisc add dev "$3" clsact
		for hook in ingress egress; do
			ip netns exec "$2" tc filter add dev "$3" $hook bpf da obj "$EMPTY_OBJ" sec tc
		done ;;
	nftables) ip netns exec "$2" nft -f "$tmp/$3.nft" ;;
	iptables) ip netns exec "$2" iptables-restore "$tmp/bench.ipt" ;;
	esac
}
filter_off() { # $1: filter, $2: namespace, $3: device
	case $1 in
	naclemu) "$NACLEMU" detach -n "$2" -i "$3" >/dev/null ;;
	tc-empty) ip netns exec "$2" tc qdisc del dev "$3" clsact ;;
	nftables) ip netns exec "$2" nft delete table netdev nbm ;;
	iptables) ip netns exec "$2" iptables -P INPUT ACCEPT
		  ip netns exec "$2" iptables -P OUTPUT ACCEPT
		  ip netns exec "$2" iptables -F ;;
	esac
}
offload() { # on|off
	ip netns exec "$C" ethtool -K vc tso "$1" gso "$1" >/dev/null 2>&1
	ip netns exec "$S" ethtool -K vs tso "$1" gso "$1" >/dev/null 2>&1
}

# trafgen's frames: 60 bytes (Ethernet 14, IPv4 20, UDP 8, 18 of payload).
mac_c=$(ip -n "$C" -j link show vc | jq -r '.[0].address')
mac_s=$(ip -n "$S" -j link show vs | jq -r '.[0].address')
frames() { # $1: UDP destination port
	echo "{ eth(da=$mac_s, sa=$mac_c), ipv4(saddr=192.0.2.1, daddr=192.0.2.2, ttl=64)," \
	     "udp(sport=40000, dport=$1), fill(0x41, 18) }"
}
frames 5201 >"$tmp/udp.cfg"
frames 9 >"$tmp/flood.cfg"
# A sink for the UDP frames, so that they end in a socket, not in ICMP errors.
timeout $((ROUNDS * 8 * (SECS + 25) + 30)) ip netns exec "$S" \
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 5201))
while True:
    s.recv(2048)' &
sinkpid=$!

# Packets a second of one trafgen run of $PACKETS frames from file $1, as
# trafgen reports its own sending time.
trafgen_pps() {
	ip netns exec "$C" trafgen -o vc -i "$1" -n "$PACKETS" -P 1 -q >"$tmp/trafgen.out" 2>&1 ||
		{ cat "$tmp/trafgen.out" >&2; return 1; }
	# Its last line: "\r   S sec, U usec on CPU0 (N packets)".
	tr '\r' '\n' <"$tmp/trafgen.out" |
		awk -v n="$PACKETS" '$2 == "sec," && $4 == "usec" { t = $1 + $3 / 1e6 }
			END { if (!t) exit 1; printf "%.0f\n", n / t }' ||
		{ echo "bench_macro: no time in trafgen's output:" >&2; cat "$tmp/trafgen.out" >&2; return 1; }
}
# "$@" rotated left by $1 - 1: each round starts with another case.
rotated() {
	local r=$1
	shift
	for _ in $(seq 2 "$r"); do set -- "${@:2}" "$1"; done
	echo "$@"
}

filters="none tc-empty naclemu nftables iptables"
for r in $(seq 1 "$ROUNDS"); do
	# tcp: the filter on the client.
	for tso in on off; do
		offload "$tso"
		for f in $(rotated "$r" $filters); do
			filter_on "$f" "$C" vc "$tmp/bench.nacl"
			ip netns exec "$C" timeout $((SECS + 20)) iperf3 -c 192.0.2.2 -p 5201 \
				-t "$SECS" -J >"$tmp/run.json" ||
				{ filter_off "$f" "$C" vc; echo "iperf3 failed ($f, TSO $tso)" >&2; exit 1; }
			filter_off "$f" "$C" vc
			if jq -e .error "$tmp/run.json" >/dev/null; then
				echo "iperf3 ($f, TSO $tso): $(jq -r .error "$tmp/run.json")" >&2
				exit 1
			fi
			jq -r --arg f "$f" --arg t "$tso" --arg r "$r" \
				'[$r, $t, $f, .end.sum_received.bits_per_second / 1e9,
				  .end.cpu_utilization_percent.host_total,
				  .end.cpu_utilization_percent.remote_total] | @tsv' \
				"$tmp/run.json" >>"$tmp/tcp.tsv"
		done
	done
	offload on
	# udp: the filter on the server.
	for f in $(rotated "$r" $filters); do
		filter_on "$f" "$S" vs "$tmp/bench.nacl"
		pps=$(trafgen_pps "$tmp/udp.cfg") || { filter_off "$f" "$S" vs; exit 1; }
		if [ "$f" = naclemu ]; then
			# Every frame must have been judged by rule 139, not dropped.
			n=$("$NACLEMU" stats -n "$S" -i vs --json |
			    jq '[.inbound.rules[] | select(.rule == 139) | .packets] | add')
			[ "$n" -ge "$PACKETS" ] ||
				{ echo "bench_macro: rule 139 saw $n of $PACKETS frames" >&2; exit 1; }
		fi
		filter_off "$f" "$S" vs
		printf '%s\t%s\t%s\n' "$r" "$f" "$pps" >>"$tmp/udp.tsv"
	done
	# flood: naclemu drops every frame; drop events off, on, every drop.
	for ev in $(rotated "$r" off on all); do
		case $ev in
		off) rate=0 ;; on) rate=1000 ;; all) rate=1000000 ;;
		esac
		"$NACLEMU" attach -n "$S" -i vs --events-rate "$rate" "$tmp/bench.nacl" >/dev/null 2>&1
		epid=""
		if [ "$ev" != off ]; then
			"$NACLEMU" events -n "$S" -i vs >/dev/null 2>"$tmp/events.err" &
			epid=$!
			for _ in $(seq 50); do grep -q listening "$tmp/events.err" 2>/dev/null && break; sleep 0.1; done
		fi
		pps=$(trafgen_pps "$tmp/flood.cfg") || exit 1
		"$NACLEMU" stats -n "$S" -i vs --json >"$tmp/flood.json"
		if [ -n "$epid" ]; then
			kill -INT "$epid"; wait "$epid" || true
			epid=""
		fi
		"$NACLEMU" detach -n "$S" -i vs >/dev/null
		n=$(jq '[.inbound.rules[] | select(.rule == 32767) | .packets] | add' "$tmp/flood.json")
		[ "$n" -ge "$PACKETS" ] ||
			{ echo "bench_macro: the default deny dropped $n of $PACKETS frames" >&2; exit 1; }
		jq -r --arg r "$r" --arg e "$ev" --arg p "$pps" \
			'[$r, $e, $p, .events_lost // 0, .events_suppressed // 0] | @tsv' \
			"$tmp/flood.json" >>"$tmp/flood.tsv"
	done
done

# median (min-max) of a list of numbers, printed with format fmt.
stat_awk='
function stat(list, fmt,   n, a, i, j, t, med) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return sprintf(fmt, med) " (" sprintf(fmt, a[1]) "-" sprintf(fmt, a[n]) ")"
}'

echo "### One TCP stream (iperf3, $SECS s a run)"
echo
echo "| TSO/GSO | filter | Gbit/s | x no filter | x nftables | client CPU % | server CPU % |"
echo "|---|---|---:|---:|---:|---:|---:|"
awk -F'\t' "$stat_awk"'
{ g[$1, $2, $3] = $4; c[$1, $2, $3] = $5; s[$1, $2, $3] = $6; rounds[$1] = 1 }
END {
	split("on off", T, " "); nf = split("none tc-empty naclemu nftables iptables", F, " ")
	for (ti = 1; ti <= 2; ti++) for (fi = 1; fi <= nf; fi++) {
		gl = ""; rl = ""; nl = ""; cl = ""; sl = ""
		for (r in rounds) {
			k = r SUBSEP T[ti] SUBSEP F[fi]
			gl = gl " " g[k]; cl = cl " " c[k]; sl = sl " " s[k]
			rl = rl " " g[k] / g[r, T[ti], "none"]
			nl = nl " " g[k] / g[r, T[ti], "nftables"]
		}
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", T[ti], F[fi], stat(gl, "%.2f"),
		       fi == 1 ? "1" : stat(rl, "%.3f"), F[fi] == "nftables" ? "1" : stat(nl, "%.3f"),
		       stat(cl, "%.0f"), stat(sl, "%.0f")
	}
}' "$tmp/tcp.tsv"
echo
echo "### Small UDP packets at the highest rate (trafgen, $PACKETS 60-byte frames a run)"
echo
echo "| filter | Mpackets/s | x no filter | x nftables |"
echo "|---|---:|---:|---:|"
awk -F'\t' "$stat_awk"'
{ p[$1, $2] = $3; rounds[$1] = 1 }
END {
	nf = split("none tc-empty naclemu nftables iptables", F, " ")
	for (fi = 1; fi <= nf; fi++) {
		pl = ""; rl = ""; nl = ""
		for (r in rounds) {
			pl = pl " " p[r, F[fi]] / 1e6
			rl = rl " " p[r, F[fi]] / p[r, "none"]
			nl = nl " " p[r, F[fi]] / p[r, "nftables"]
		}
		printf "| %s | %s | %s | %s |\n", F[fi], stat(pl, "%.3f"),
		       fi == 1 ? "1" : stat(rl, "%.3f"), F[fi] == "nftables" ? "1" : stat(nl, "%.3f")
	}
}' "$tmp/udp.tsv"
echo
echo "### A flood of denied packets, naclemu's default deny (trafgen, $PACKETS frames a run)"
echo
echo "| drop events | Mpackets/s dropped | x events off | events suppressed | events lost |"
echo "|---|---:|---:|---:|---:|"
awk -F'\t' "$stat_awk"'
{ p[$1, $2] = $3; l[$1, $2] = $4; s[$1, $2] = $5; rounds[$1] = 1 }
END {
	split("off on all", E, " ")
	split("off (--events-rate 0)|on (1000/s, read by naclemu events)|every drop (--events-rate 1000000, read)", N, "|")
	for (ei = 1; ei <= 3; ei++) {
		pl = ""; rl = ""; ll = ""; sl = ""
		for (r in rounds) {
			pl = pl " " p[r, E[ei]] / 1e6
			rl = rl " " p[r, E[ei]] / p[r, "off"]
			ll = ll " " l[r, E[ei]]; sl = sl " " s[r, E[ei]]
		}
		printf "| %s | %s | %s | %s | %s |\n", N[ei], stat(pl, "%.3f"),
		       ei == 1 ? "1" : stat(rl, "%.3f"), stat(sl, "%.0f"), stat(ll, "%.0f")
	}
}' "$tmp/flood.tsv"
echo
echo "Median (min-max) over $ROUNDS interleaved rounds; ratios per round.  tcp: IPv4"
echo "192.0.2.1 -> 192.0.2.2:5201, the filter on the client.  udp and flood: trafgen in"
echo "the client namespace, one process, the filter on the server's ingress; the"
echo "rate is trafgen's own (frames sent over its sending time).  $(iptables -V)."
