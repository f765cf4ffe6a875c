#!/usr/bin/env bash
# `naclemu bench`: options, exit statuses (1 invalid, 2 not root), and a
# short real run whose numbers must be sane: positive, naclemu above the
# empty program and within reason of it, the worst case found.  Needs root
# for the run (BPF_PROG_TEST_RUN); about 5 seconds.
cd "$(dirname "$0")/../.."
. tests/lib.sh
N=$NACLEMU_SAN
[ -x "$N" ] || skip "$N is not built (make test-build)"
command -v jq >/dev/null || skip "jq is not installed"

expect_exit 0 "$N" bench --help
expect_in "$out" "Usage: naclemu bench RULES"
expect_in "$out" "Example"
expect_exit 1 "$N" bench
expect_in "$err" "naclemu: bench: expected one RULES file"
expect_exit 1 "$N" bench examples/web-server.nacl --repeat 10
expect_in "$err" "--repeat wants 1000..100000000"
expect_exit 1 "$N" bench examples/web-server.nacl --rounds 0
expect_exit 1 "$N" bench /nonexistent.nacl
expect_in "$err" "/nonexistent.nacl"

[ "$(id -u)" = 0 ] || skip "the measuring part needs root"

# Not root: exit 2 and one line that says so.
if command -v setpriv >/dev/null; then
	expect_exit 2 setpriv --reuid=65534 --regid=65534 --clear-groups "$N" bench examples/web-server.nacl
	expect_eq "$err" "naclemu: bench needs root (CAP_BPF, CAP_NET_ADMIN): run it as root"
fi

tmp=$(mktemp -d /tmp/naclemu-bench-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The AWS maximum: 39 numbered rules per direction and family.
{
	echo inbound
	for k in $(seq 0 38); do
		echo " $((100 + k)) allow tcp $((1000 + 10 * k)) 198.51.100.$((4 * k))/30"
		echo " $((200 + k)) allow udp $((1000 + 10 * k)) 2001:db8:$((k + 1))::/48"
	done
	echo outbound
	echo " 100 allow all - 0.0.0.0/0"
} >"$tmp/max.nacl"

expect_exit 0 timeout 60 "$N" bench "$tmp/max.nacl" --json --repeat 20000 --rounds 3
echo "$out" >"$tmp/out.json"
j() { jq -r "$1" "$tmp/out.json"; }
expect_eq "$(j '.tables | length')" 4 "tables"
expect_eq "$(j '.rounds')" 3 "rounds"
expect_eq "$(j '[.tables[] | .rules] | join(" ")')" "39 39 1 0" "rules per table"
# Worst cases: the default deny where reachable, else the last rule that is.
expect_eq "$(j '[.tables[] | .rule] | join(" ")')" "32767 32768 100 32768" "deciding rules"
expect_eq "$(j '.tables[2].action')" allow "outbound IPv4 action"
# Sane numbers: 1 ns..10 us a packet, naclemu between 1x and 100x empty.
expect_eq "$(j '[.empty_ns.median, .tables[].ns.median] | map(. >= 1 and . < 10000) | all')" true "ns in range"
expect_eq "$(j '[.tables[].x_empty.median] | map(. >= 1 and . < 100) | all')" true "x empty in range"
expect_eq "$(j '[.tables[] | .ns.min <= .ns.median and .ns.median <= .ns.max] | all')" true "min <= median <= max"

# Text output: the table and the packets.
expect_exit 0 timeout 60 "$N" bench examples/web-server.nacl --repeat 10000 --rounds 2
expect_in "$out" "empty TC program:"
expect_in "$out" "direction  family rules  rule    ns/packet"
expect_in "$out" "inbound    IPv4       2  *"
expect_in "$out" "  inbound   IPv4  tcp 203.0.113.1 -> 192.0.2.10:1"
finish
