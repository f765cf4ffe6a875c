#!/usr/bin/env bash
# bench/bench_macro.sh - the macro part of `make bench`: one iperf3 TCP
# stream from a client namespace to a server namespace over a veth pair,
# filtered on the client's veth (both hooks: data leaves through egress,
# ACKs come in through ingress) by
#
#   none     nothing
#   naclemu  `naclemu attach` with 39 numbered rules per direction and
#            family (the AWS maximum), the stream's packets matching the
#            last IPv4 rule
#   nftables netdev ingress and egress chains with the same rules, in the
#            same order, stateless (no conntrack), policy drop
#
# with TSO/GSO on (the stack hands 64 KB segments to the filter) and off
# (every MSS-sized packet is filtered).  Rounds interleave the six cases;
# figures are median (min-max) over rounds, ratios per round against
# "none" of the same round.  Prints a Markdown table on stdout.
# Knobs: BENCH_MACRO_ROUNDS (5), BENCH_MACRO_SECONDS (3 per iperf3 run).
# Documentation addresses only; everything it makes is removed on exit.
set -eu
cd "$(dirname "$0")/.."
NACLEMU=${NACLEMU:-build/naclemu}
ROUNDS=${BENCH_MACRO_ROUNDS:-5}
SECS=${BENCH_MACRO_SECONDS:-3}

for t in iperf3 nft ethtool ip jq; do
	command -v $t >/dev/null || { echo "naclemu: bench_macro needs $t (make deps)" >&2; exit 2; }
done

C=nbm-$$-client S=nbm-$$-server
tmp=$(mktemp -d /tmp/naclemu-bench-macro.XXXXXX)
cleanup() {
	set +e
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	"$NACLEMU" detach -n "$C" -i vc >/dev/null 2>&1 || true
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
timeout $((ROUNDS * 6 * (SECS + 25) + 30)) ip netns exec "$S" iperf3 -s -B 192.0.2.2 -p 5201 >/dev/null 2>&1 &
spid=$!
sleep 0.5

# The rules: 38 that the stream does not match, then the one it does.
{
	echo inbound
	for k in $(seq 0 37); do
		echo " $((100 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 198.51.100.$((4 * k))/30"
	done
	echo " 138 allow tcp 1024-65535 192.0.2.0/24"
	for k in $(seq 0 38); do
		echo " $((200 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 2001:db8:$((k + 1))::/48"
	done
	echo outbound
	for k in $(seq 0 37); do
		echo " $((100 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 198.51.100.$((4 * k))/30"
	done
	echo " 138 allow tcp 5201 192.0.2.0/24"
	for k in $(seq 0 38); do
		echo " $((200 + k)) allow tcp $((1000 + 10 * k))-$((1005 + 10 * k)) 2001:db8:$((k + 1))::/48"
	done
} >"$tmp/bench.nacl"

# The same for nftables: non-IP passes (naclemu exempts it), then the rules.
nft_rules() { # $1: saddr|daddr, $2: last rule's ports
	echo "meta protocol != { ip, ip6 } accept"
	for k in $(seq 0 37); do
		echo "ip $1 198.51.100.$((4 * k))/30 tcp dport $((1000 + 10 * k))-$((1005 + 10 * k)) accept"
	done
	echo "ip $1 192.0.2.0/24 tcp dport $2 accept"
	for k in $(seq 0 38); do
		echo "ip6 $1 2001:db8:$((k + 1))::/48 tcp dport $((1000 + 10 * k))-$((1005 + 10 * k)) accept"
	done
}
{
	echo "table netdev nbm {"
	echo "  chain in { type filter hook ingress device \"vc\" priority 0; policy drop;"
	nft_rules saddr 1024-65535 | sed 's/^/    /'
	echo "  }"
	echo "  chain out { type filter hook egress device \"vc\" priority 0; policy drop;"
	nft_rules daddr 5201 | sed 's/^/    /'
	echo "  }"
	echo "}"
} >"$tmp/bench.nft"

filter_on() {
	case $1 in
	naclemu) # (39 rules: quota warnings expected)
		"$NACLEMU" attach -n "$C" -i vc "$tmp/bench.nacl" >/dev/null 2>"$tmp/attach.err" ||
			{ cat "$tmp/attach.err" >&2; return 1; } ;;
	nftables) ip netns exec "$C" nft -f "$tmp/bench.nft" ;;
	esac
}
filter_off() {
	case $1 in
	naclemu) "$NACLEMU" detach -n "$C" -i vc >/dev/null ;;
	nftables) ip netns exec "$C" nft delete table netdev nbm ;;
	esac
}
offload() { # on|off
	ip netns exec "$C" ethtool -K vc tso "$1" gso "$1" >/dev/null 2>&1
	ip netns exec "$S" ethtool -K vs tso "$1" gso "$1" >/dev/null 2>&1
}

filters="none naclemu nftables"
for r in $(seq 1 "$ROUNDS"); do
	for tso in on off; do
		offload "$tso"
		# Rotate the order each round.
		set -- $filters
		for _ in $(seq 2 "$r"); do set -- "$2" "$3" "$1"; done
		for f in "$@"; do
			filter_on "$f"
			ip netns exec "$C" timeout $((SECS + 20)) iperf3 -c 192.0.2.2 -p 5201 \
				-t "$SECS" -J >"$tmp/run.json" || { filter_off "$f"; echo "iperf3 failed ($f, TSO $tso)" >&2; exit 1; }
			filter_off "$f"
			if jq -e .error "$tmp/run.json" >/dev/null; then
				echo "iperf3 ($f, TSO $tso): $(jq -r .error "$tmp/run.json")" >&2
				exit 1
			fi
			jq -r --arg f "$f" --arg t "$tso" --arg r "$r" \
				'[$r, $t, $f, .end.sum_received.bits_per_second / 1e9,
				  .end.cpu_utilization_percent.host_total,
				  .end.cpu_utilization_percent.remote_total] | @tsv' \
				"$tmp/run.json" >>"$tmp/all.tsv"
		done
	done
done

# median (min-max) per case, and of the per-round ratio to "none".
echo "| TSO/GSO | filter | Gbit/s | x no filter | client CPU % | server CPU % |"
echo "|---|---|---:|---:|---:|---:|"
awk -F'\t' '
function stat(list,   n, a, i, j, t, med) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return sprintf(fmt, med) " (" sprintf(fmt, a[1]) "-" sprintf(fmt, a[n]) ")"
}
{ g[$1, $2, $3] = $4; c[$1, $2, $3] = $5; s[$1, $2, $3] = $6; rounds[$1] = 1 }
END {
	split("on off", T, " "); split("none naclemu nftables", F, " ")
	for (ti = 1; ti <= 2; ti++) for (fi = 1; fi <= 3; fi++) {
		gl = ""; rl = ""; cl = ""; sl = ""
		for (r in rounds) {
			k = r SUBSEP T[ti] SUBSEP F[fi]
			gl = gl " " g[k]; cl = cl " " c[k]; sl = sl " " s[k]
			rl = rl " " g[k] / g[r, T[ti], "none"]
		}
		fmt = "%.2f"; gs = stat(gl); rs = fi == 1 ? "1" : stat(rl)
		fmt = "%.0f"; cs = stat(cl); ss = stat(sl)
		printf "| %s | %s | %s | %s | %s | %s |\n", T[ti], F[fi], gs, rs, cs, ss
	}
}' "$tmp/all.tsv"
echo
echo "Median (min-max) over $ROUNDS rounds; one TCP stream, iperf3 $SECS s a run, client namespace"
echo "filtered on both hooks of its veth; IPv4 192.0.2.1 -> 192.0.2.2:5201."
