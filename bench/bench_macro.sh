#!/usr/bin/env bash
# bench/bench_macro.sh - the macro part of `make bench`: real traffic over a
# veth pair between a client and a server network namespace, filtered by
#
#   none            nothing
#   tc-empty        an empty TC program (bench_empty.bpf.o: return TC_ACT_OK)
#                   as clsact filters on both hooks: what any TC program
#                   costs there
#   tcx-empty       the same program on both tcx hooks (bench_tcx, links
#                   pinned for the run; Linux 6.6+)
#   naclemu-clsact  `naclemu attach --hook clsact` with 39 numbered rules per
#                   direction and family (AWS's maximum), the traffic
#                   matching the last IPv4 rule
#   naclemu-tcx     the same with `--hook tcx` (Linux 6.6+)
#   naclemu-flow-tcx  naclemu-tcx with the flow log on (`--flow-log
#                   --flow-log-entries 131072`, room for the 65,536 flows of
#                   the many-flow workload; no reader swaps the table during a
#                   run); naclemu-flow-clsact without tcx
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
#          the send rate includes the filter's cost per packet.  Twice: one
#          flow (192.0.2.1:40000), and many flows, a random source address
#          in 192.0.2.0/24 and port in 40000-40255 drawn by trafgen for every
#          frame (65,536 flows, so caches and branch predictors see varied
#          traffic); both are judged by the same rule 139
#   flood  the same single-flow frames to a denied port, dropped by
#          naclemu's default deny on the server's ingress, on each hook:
#          drop events off (--events-rate 0), on (default 1000 a second and
#          CPU, `naclemu events` reading), and every drop an event
#          (--events-rate 1000000, read as fast as the reader can; the rest
#          is counted lost)
#
# Without tcx in the kernel the tcx cases are left out (and said so).
#
# Figures: median (min-max) over rounds; ratios are per round against the
# reference of the same round.  Prints Markdown tables on stdout.
# Knobs: BENCH_MACRO_ROUNDS (5), BENCH_MACRO_SECONDS (3 per iperf3 run),
# BENCH_MACRO_PACKETS (2000000 per trafgen run); BENCH_MACRO_FLOWLOG=1 runs
# only the flow log's rows (the udp workloads without a filter, with naclemu
# and with naclemu + flow log) and prints only their table.
# Documentation addresses only; everything it makes is removed on exit.
set -eu
cd "$(dirname "$0")/.."
NACLEMU=${NACLEMU:-build/naclemu}
EMPTY_OBJ=${EMPTY_OBJ:-build/bench/bench_empty.bpf.o}
BENCH_TCX=${BENCH_TCX:-build/bench/bench_tcx}
ROUNDS=${BENCH_MACRO_ROUNDS:-5}
SECS=${BENCH_MACRO_SECONDS:-3}
PACKETS=${BENCH_MACRO_PACKETS:-2000000}

for t in iperf3 nft iptables trafgen tc ethtool ip jq; do
	command -v $t >/dev/null || { echo "naclemu: bench_macro needs $t (make deps)" >&2; exit 2; }
done
# Without it the tcx cases would be taken for a kernel without tcx.
[ -x "$BENCH_TCX" ] || { echo "naclemu: bench_macro needs $BENCH_TCX (make bench builds it)" >&2; exit 2; }

C=nbm-$$-client S=nbm-$$-server
# Where the tcx-empty case pins its two links (in the caller's BPF file
# system: bench_tcx enters the namespace for the attach only).
TCX_PINS=/sys/fs/bpf/nbm-$$-tcx-empty
tmp=$(mktemp -d /tmp/naclemu-bench-macro.XXXXXX)
cleanup() {
	set +e
	rm -rf "$TCX_PINS"
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	[ -n "${epid:-}" ] && kill "$epid" 2>/dev/null && wait "$epid" 2>/dev/null
	[ -n "${sinkpid:-}" ] && kill "$sinkpid" 2>/dev/null && wait "$sinkpid" 2>/dev/null
	"$NACLEMU" detach -n "$C" -i vc >/dev/null 2>&1 || true
	"$NACLEMU" detach -n "$S" -i vs >/dev/null 2>&1 || true
	ip netns del "$C" 2>/dev/null || true
	ip netns del "$S" 2>/dev/null || true
	# naclemu's interface locks of these namespaces (no command runs any more).
	rm -rf "/run/naclemu/lock/$C" "/run/naclemu/lock/$S"
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
# The many-flow frames come from every address of 192.0.2.0/24, the
# server's own 192.0.2.2 included: take those too, not as martians.
ip netns exec "$S" sysctl -qw net.ipv4.conf.vs.accept_local=1

filters="none tc-empty naclemu-clsact naclemu-flow-clsact nftables iptables"
hooks=clsact
flowhook=clsact
if "$BENCH_TCX" probe 2>/dev/null; then
	filters="none tc-empty tcx-empty naclemu-clsact naclemu-tcx naclemu-flow-tcx nftables iptables"
	hooks="clsact tcx"
	flowhook=tcx
fi
workloads="tcp udp flood"
if [ "${BENCH_MACRO_FLOWLOG:-0}" = 1 ]; then
	filters="none naclemu-$flowhook naclemu-flow-$flowhook"
	workloads=udp
fi
nfilters=$(wc -w <<<"$filters")
# The server and the sink live as long as every run could take, and no
# longer: per round, 2 iperf3 runs and 2 trafgen runs per filter, 6 floods.
lifetime=$((ROUNDS * nfilters * (2 * (SECS + 25) + 2 * 60) + ROUNDS * 6 * 60 + 60))
timeout "$lifetime" ip netns exec "$S" iperf3 -s -B 192.0.2.2 -p 5201 >/dev/null 2>&1 &
spid=$!
sleep 0.5

# The rules (bench_nacl.sh): 37 that the traffic does not match, then the
# two it does (138: the TCP stream, 139: the UDP frames), then 39 IPv6 rules.
bench/bench_nacl.sh >"$tmp/bench.nacl"
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
	naclemu-flow-*)
		"$NACLEMU" attach -n "$2" -i "$3" --hook "${1#naclemu-flow-}" --flow-log \
			--flow-log-entries 131072 "$4" >/dev/null 2>"$tmp/attach.err" ||
			{ cat "$tmp/attach.err" >&2; return 1; } ;;
	naclemu-*) # (39 rules: quota warnings expected)
		"$NACLEMU" attach -n "$2" -i "$3" --hook "${1#naclemu-}" "$4" >/dev/null 2>"$tmp/attach.err" ||
			{ cat "$tmp/attach.err" >&2; return 1; } ;;
	tc-empty)
		ip netns exec "$2" tc qdisc add dev "$3" clsact
		for hook in ingress egress; do
			ip netns exec "$2" tc filter add dev "$3" $hook bpf da obj "$EMPTY_OBJ" sec tc
		done ;;
	tcx-empty) "$BENCH_TCX" -n "$2" attach "$3" "$EMPTY_OBJ" "$TCX_PINS" ;;
	nftables) ip netns exec "$2" nft -f "$tmp/$3.nft" ;;
	iptables) ip netns exec "$2" iptables-restore "$tmp/bench.ipt" ;;
	esac
}
filter_off() { # $1: filter, $2: namespace, $3: device
	case $1 in
	naclemu-*) "$NACLEMU" detach -n "$2" -i "$3" >/dev/null ;;
	tc-empty) ip netns exec "$2" tc qdisc del dev "$3" clsact ;;
	tcx-empty) rm -r "$TCX_PINS" ;;
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
# Many flows: trafgen draws the last byte of the source address (256
# addresses of 192.0.2.0/24) and the source port (256 ports) for every
# frame, and computes both checksums again.
echo "{ eth(da=$mac_s, sa=$mac_c), ipv4(saddr=192.0.2.0, saddr[3]=drnd(), daddr=192.0.2.2, ttl=64)," \
     "udp(sport=drnd(40000, 40255), dport=5201), fill(0x41, 18) }" >"$tmp/udp-many.cfg"
# A sink for the UDP frames, so that they end in a socket, not in ICMP errors.
timeout "$lifetime" ip netns exec "$S" \
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

# Every frame of a naclemu run must have been judged by inbound rule $1.
check_rule() { # $1: rule, $2: the run, for the message
	local n
	n=$("$NACLEMU" stats -n "$S" -i vs --json |
	    jq --argjson rule "$1" '[.inbound.rules[] | select(.rule == $rule) | .packets] | add // 0')
	[ "$n" -ge "$PACKETS" ] ||
		{ echo "bench_macro: rule $1 saw $n of $PACKETS frames ($2)" >&2; return 1; }
}

floods=""
for h in $hooks; do floods="$floods $h/off $h/on $h/all"; done
for r in $(seq 1 "$ROUNDS"); do
	# tcp: the filter on the client.
	for tso in on off; do
		[[ " $workloads " == *" tcp "* ]] || break
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
	# udp, one flow then many: the filter on the server.
	for w in udp udp-many; do
		for f in $(rotated "$r" $filters); do
			filter_on "$f" "$S" vs "$tmp/bench.nacl"
			pps=$(trafgen_pps "$tmp/$w.cfg") || { filter_off "$f" "$S" vs; exit 1; }
			case $f in
			naclemu-*) check_rule 139 "$w, $f" || exit 1 ;;
			esac
			# The flow log's table held every flow: its cost, not its overflow's.
			case $f in
			naclemu-flow-*)
				lost=$("$NACLEMU" stats -n "$S" -i vs --json | jq .flows_lost)
				[ "$lost" = 0 ] ||
					{ echo "bench_macro: $lost packets' flows lost ($w, $f)" >&2; exit 1; } ;;
			esac
			filter_off "$f" "$S" vs
			printf '%s\t%s\t%s\t%s\n' "$r" "$w" "$f" "$pps" >>"$tmp/udp.tsv"
		done
	done
	# flood: naclemu drops every frame; each hook, drop events off, on,
	# every drop.
	for c in $(rotated "$r" $floods); do
		[[ " $workloads " == *" flood "* ]] || break
		hook=${c%/*} ev=${c#*/}
		case $ev in
		off) rate=0 ;; on) rate=1000 ;; all) rate=1000000 ;;
		esac
		"$NACLEMU" attach -n "$S" -i vs --hook "$hook" --events-rate "$rate" "$tmp/bench.nacl" >/dev/null 2>&1
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
			{ echo "bench_macro: the default deny dropped $n of $PACKETS frames ($hook)" >&2; exit 1; }
		jq -r --arg r "$r" --arg h "$hook" --arg e "$ev" --arg p "$pps" \
			'[$r, $h, $e, $p, .events_lost // 0, .events_suppressed // 0] | @tsv' \
			"$tmp/flood.json" >>"$tmp/flood.tsv"
	done
done

# median (min-max) of a list of numbers, printed with format fmt; med()
# the median alone.  label[] names the filters in the tables, empty_of[]
# the empty program on the same hook as a naclemu case.
stat_awk='
function med(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function stat(list, fmt,   n, a, i, j, t, m) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return sprintf(fmt, m) " (" sprintf(fmt, a[1]) "-" sprintf(fmt, a[n]) ")"
}
BEGIN {
	label["none"] = "none"; label["tc-empty"] = "empty TC program, clsact"
	label["tcx-empty"] = "empty TC program, tcx"
	label["naclemu-clsact"] = "naclemu, clsact"; label["naclemu-tcx"] = "naclemu, tcx"
	label["naclemu-flow-clsact"] = "naclemu + flow log, clsact"
	label["naclemu-flow-tcx"] = "naclemu + flow log, tcx"
	label["nftables"] = "nftables"; label["iptables"] = "iptables"
	empty_of["naclemu-clsact"] = "tc-empty"; empty_of["naclemu-tcx"] = "tcx-empty"
	empty_of["naclemu-flow-clsact"] = "tc-empty"; empty_of["naclemu-flow-tcx"] = "tcx-empty"
}'

# The flow log's cost: naclemu with it on against naclemu with it off, on
# the hook of the flow log case, small UDP frames, one flow and many.
flowlog_table() {
	echo "### The flow log's cost (trafgen, $PACKETS 60-byte frames a run, $flowhook)"
	echo
	echo "| flows | naclemu, Mpackets/s | + flow log, Mpackets/s | flow log on x off | on x no filter | limit | met |"
	echo "|---|---:|---:|---:|---:|---:|---|"
	awk -F'\t' -v on="naclemu-flow-$flowhook" -v off="naclemu-$flowhook" "$stat_awk"'
	{ p[$1, $2, $3] = $4; rounds[$1] = 1 }
	END {
		split("udp udp-many", W, " "); split("one|65,536", WN, "|")
		for (wi = 1; wi <= 2; wi++) {
			w = W[wi]; fl = ""; ol = ""; rl = ""; nl = ""
			for (r in rounds) {
				ol = ol " " p[r, w, off] / 1e6; fl = fl " " p[r, w, on] / 1e6
				rl = rl " " p[r, w, on] / p[r, w, off]; nl = nl " " p[r, w, on] / p[r, w, "none"]
			}
			printf "| %s | %s | %s | %s | %s | >= 0.95 | %s |\n", WN[wi], stat(ol, "%.3f"),
			       stat(fl, "%.3f"), stat(rl, "%.3f"), stat(nl, "%.3f"),
			       (med(rl) >= 0.95 ? "yes" : "no")
		}
	}' "$tmp/udp.tsv"
	echo
}
if [ "$workloads" = udp ]; then
	flowlog_table
	echo "Median (min-max) over $ROUNDS interleaved rounds; ratios per round."
	exit 0
fi

echo "### One TCP stream (iperf3, $SECS s a run)"
echo
echo "| TSO/GSO | filter | Gbit/s | x no filter | x nftables | x empty, same hook | client CPU % | server CPU % |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
awk -F'\t' -v filters="$filters" "$stat_awk"'
{ g[$1, $2, $3] = $4; c[$1, $2, $3] = $5; s[$1, $2, $3] = $6; rounds[$1] = 1 }
END {
	split("on off", T, " "); nf = split(filters, F, " ")
	for (ti = 1; ti <= 2; ti++) for (fi = 1; fi <= nf; fi++) {
		f = F[fi]; e = empty_of[f]
		gl = ""; rl = ""; nl = ""; el = ""; cl = ""; sl = ""
		for (r in rounds) {
			k = r SUBSEP T[ti] SUBSEP f
			gl = gl " " g[k]; cl = cl " " c[k]; sl = sl " " s[k]
			rl = rl " " g[k] / g[r, T[ti], "none"]
			nl = nl " " g[k] / g[r, T[ti], "nftables"]
			if (e != "") el = el " " g[k] / g[r, T[ti], e]
		}
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", T[ti], label[f], stat(gl, "%.2f"),
		       f == "none" ? "1" : stat(rl, "%.3f"), f == "nftables" ? "1" : stat(nl, "%.3f"),
		       e == "" ? "-" : stat(el, "%.3f"), stat(cl, "%.0f"), stat(sl, "%.0f")
	}
}' "$tmp/tcp.tsv"
echo
echo "### Small UDP packets at the highest rate (trafgen, $PACKETS 60-byte frames a run)"
echo
echo "One flow: 192.0.2.1:40000 -> 192.0.2.2:5201.  Many flows: a random source in"
echo "192.0.2.0/24 and port in 40000-40255 for every frame (65,536 flows), drawn by"
echo "trafgen, which also computes the checksums again (its own cost, in every"
echo "row of that workload).  naclemu's rule 139 judged every frame of both (checked"
echo "on its counters in every run)."
echo
echo "| flows | filter | Mpackets/s | x no filter | x nftables | x empty, same hook |"
echo "|---|---|---:|---:|---:|---:|"
awk -F'\t' -v filters="$filters" "$stat_awk"'
{ p[$1, $2, $3] = $4; rounds[$1] = 1 }
END {
	split("udp udp-many", W, " "); split("one|65,536", WN, "|"); nf = split(filters, F, " ")
	for (wi = 1; wi <= 2; wi++) for (fi = 1; fi <= nf; fi++) {
		w = W[wi]; f = F[fi]; e = empty_of[f]
		pl = ""; rl = ""; nl = ""; el = ""
		for (r in rounds) {
			pl = pl " " p[r, w, f] / 1e6
			rl = rl " " p[r, w, f] / p[r, w, "none"]
			nl = nl " " p[r, w, f] / p[r, w, "nftables"]
			if (e != "") el = el " " p[r, w, f] / p[r, w, e]
		}
		printf "| %s | %s | %s | %s | %s | %s |\n", WN[wi], label[f], stat(pl, "%.3f"),
		       f == "none" ? "1" : stat(rl, "%.3f"), f == "nftables" ? "1" : stat(nl, "%.3f"),
		       e == "" ? "-" : stat(el, "%.3f")
	}
}' "$tmp/udp.tsv"
echo
echo "### A flood of denied packets, naclemu's default deny (trafgen, $PACKETS frames a run)"
echo
echo "| hook | drop events | Mpackets/s dropped | x events off | x clsact | events suppressed | events lost |"
echo "|---|---|---:|---:|---:|---:|---:|"
awk -F'\t' -v hooks="$hooks" "$stat_awk"'
{ p[$1, $2, $3] = $4; l[$1, $2, $3] = $5; s[$1, $2, $3] = $6; rounds[$1] = 1 }
END {
	nh = split(hooks, H, " "); split("off on all", E, " ")
	split("off (--events-rate 0)|on (1000/s, read by naclemu events)|every drop (--events-rate 1000000, read)", N, "|")
	for (hi = 1; hi <= nh; hi++) for (ei = 1; ei <= 3; ei++) {
		h = H[hi]; e = E[ei]
		pl = ""; rl = ""; cl = ""; ll = ""; sl = ""
		for (r in rounds) {
			pl = pl " " p[r, h, e] / 1e6
			rl = rl " " p[r, h, e] / p[r, h, "off"]
			cl = cl " " p[r, h, e] / p[r, "clsact", e]
			ll = ll " " l[r, h, e]; sl = sl " " s[r, h, e]
		}
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", h, N[ei], stat(pl, "%.3f"),
		       e == "off" ? "1" : stat(rl, "%.3f"), h == "clsact" ? "1" : stat(cl, "%.3f"),
		       stat(sl, "%.0f"), stat(ll, "%.0f")
	}
}' "$tmp/flood.tsv"
echo
if [[ " $filters " == *" naclemu-tcx "* ]]; then
	target=naclemu-tcx
else
	target=naclemu-clsact
	echo "This kernel has no tcx: the tcx cases were not run, and the targets below"
	echo "are checked on clsact."
	echo
fi
flowlog_table
echo "### Against the targets"
echo
echo "Ratios of naclemu on ${target#naclemu-} in this run: median (min-max) of the per-round"
echo "ratios; \"met\" goes by the median."
echo
echo "| target | measured | limit | met |"
echo "|---|---:|---:|---|"
awk -F'\t' -v f="$target" "$stat_awk"'
function row(what, list, limit, above) {
	m = med(list)
	printf "| %s | %s | %s %s | %s |\n", what, stat(list, "%.3f"), above ? ">" : ">=",
	       limit, (above ? m > limit : m >= limit) ? "yes" : "no"
}
FILENAME ~ /udp\.tsv$/ { p[$1, $2, $3] = $4; ur[$1] = 1; next }
{ g[$1, $2, $3] = $4; tr[$1] = 1 }
END {
	split("udp udp-many", W, " "); split("one flow|65,536 flows", WN, "|")
	for (wi = 1; wi <= 2; wi++) {
		rl = ""; nl = ""
		for (r in ur) {
			rl = rl " " p[r, W[wi], f] / p[r, W[wi], "none"]
			nl = nl " " p[r, W[wi], f] / p[r, W[wi], "nftables"]
		}
		row("small UDP, " WN[wi] ": x no filter", rl, "0.95", 0)
		row("small UDP, " WN[wi] ": x nftables", nl, "1", 1)
	}
	split("on off", T, " ")
	for (ti = 1; ti <= 2; ti++) {
		rl = ""
		for (r in tr) rl = rl " " g[r, T[ti], f] / g[r, T[ti], "none"]
		row("TCP stream, TSO/GSO " T[ti] ": x no filter", rl, "0.98", 0)
	}
}' "$tmp/tcp.tsv" "$tmp/udp.tsv"
echo
echo "Median (min-max) over $ROUNDS interleaved rounds; ratios per round.  tcp: IPv4"
echo "192.0.2.1 -> 192.0.2.2:5201, the filter on the client.  udp and flood: trafgen in"
echo "the client namespace, one process, the filter on the server's ingress; the"
echo "rate is trafgen's own (frames sent over its sending time).  $(iptables -V)."
