#!/usr/bin/env bash
# bench/bench.sh - `make bench`: what naclemu costs on this machine.
#
#   micro  build/bench_micro: ns/packet under BPF_PROG_TEST_RUN against an
#          empty TC program and the parser alone, 1..39 rules, and what a
#          drop costs against an allowed packet (see its header)
#   macro  bench/bench_macro.sh: traffic over a veth pair between two
#          network namespaces, no filter / an empty program and naclemu on
#          clsact and on tcx / nftables / iptables: an iperf3 TCP stream
#          (TSO on and off), small UDP packets at trafgen's highest rate from
#          one flow and from 65,536, and a flood of denied packets with drop
#          events off and on (BENCH_MACRO=0 skips it)
#   scale  bench/bench_scale.sh: the same NACL attached to 100 veth
#          interfaces (BENCH_SCALE_IFACES) and detached: time, BPF map
#          memory, what is left (BENCH_SCALE=0 skips it)
#
# Writes bench/results/<date>-<kernel>.md and the plot <date>-<kernel>.png.
# Knobs: BENCH_ROUNDS (21), BENCH_REPEAT (500000 runs per measurement); the
# macro and scale parts' own in their headers.
# Needs root.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
ROUNDS=${BENCH_ROUNDS:-21}
REPEAT=${BENCH_REPEAT:-500000}

if [ "$(id -u)" != 0 ]; then
	echo "naclemu: make bench needs root (BPF_PROG_TEST_RUN, network namespaces): run 'sudo make bench'" >&2
	exit 2
fi

kernel=$(uname -r)
name=$(date +%F)-$kernel
dir=bench/results
md=$dir/$name.md
png=$dir/$name.png
tmp=$(mktemp -d /tmp/naclemu-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Ctrl-C: the running part cleans up after itself, and no other part starts.
trap 'exit 130' INT TERM
mkdir -p "$dir"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
ncpu=$(nproc)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
virt=$(systemd-detect-virt 2>/dev/null || true)
jit=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo unknown)
case $jit in 0) jit="0 (off)" ;; 1) jit="1 (on)" ;; 2) jit="2 (on, debug)" ;; esac
libbpf=$(pkg-config --modversion libbpf 2>/dev/null || echo unknown)
clang=$(${CLANG:-clang} --version 2>/dev/null | head -n 1 || true)
os=$(. /etc/os-release && echo "$PRETTY_NAME")

echo "  BENCH    micro: $ROUNDS rounds x $REPEAT runs "
"$OUT"/bench_micro --rounds "$ROUNDS" --repeat "$REPEAT" --dat "$tmp/micro.dat" >"$tmp/micro.md"

macro_status="skipped (BENCH_MACRO=0)"
if [ "${BENCH_MACRO:-1}" != 0 ] && [ -x bench/bench_macro.sh ]; then
	echo "  BENCH    macro: iperf3 and trafgen over veth"
	if NACLEMU="$OUT/naclemu" EMPTY_OBJ="$OUT/bench/bench_empty.bpf.o" BENCH_TCX="$OUT/bench/bench_tcx" \
		bench/bench_macro.sh >"$tmp/macro.md" 2>"$tmp/macro.err"; then
		macro_status=ok
	else
		macro_status="failed: $(tail -n 1 "$tmp/macro.err")"
	fi
fi

scale_status="skipped (BENCH_SCALE=0)"
if [ "${BENCH_SCALE:-1}" != 0 ] && [ -x bench/bench_scale.sh ]; then
	echo "  BENCH    scale: ${BENCH_SCALE_IFACES:-100} interfaces, one NACL"
	if NACLEMU="$OUT/naclemu" BENCH_TCX="$OUT/bench/bench_tcx" bench/bench_scale.sh >"$tmp/scale.md" 2>"$tmp/scale.err"; then
		scale_status=ok
	else
		scale_status="failed: $(tail -n 1 "$tmp/scale.err")"
	fi
fi

# Cost against rule count, ingress, with min-max error bars.
gnuplot <<EOF
set terminal pngcairo size 900,560 font ",11" noenhanced
set output "$png"
set title "naclemu per-packet cost (BPF_PROG_TEST_RUN, kernel $kernel, JIT $jit)"
set xlabel "rules per direction and family"
set ylabel "ns per packet (median, bars: IQR of $ROUNDS rounds)"
set xrange [0:42]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xtics (1, 10, 20, 39)
set key outside right center box
set grid ytics
plot "$tmp/micro.dat" using 1:2 with lines dt 2 lw 2 lc rgb "#888888" title "empty program", \
     "" using 1:5 with lines dt 3 lw 2 lc rgb "#1f77b4" title "parse only, IPv4", \
     "" using 1:8 with lines dt 3 lw 2 lc rgb "#d62728" title "parse only, IPv6", \
     "" using 1:11:12:13 with yerrorlines lw 2 pt 7 lc rgb "#1f77b4" title "IPv4 first rule", \
     "" using 1:14:15:16 with yerrorlines lw 2 pt 5 lc rgb "#17becf" title "IPv4 last rule", \
     "" using 1:17:18:19 with yerrorlines lw 2 pt 9 lc rgb "#2ca02c" title "IPv4 default deny", \
     "" using 1:20:21:22 with yerrorlines lw 2 pt 7 lc rgb "#d62728" title "IPv6 first rule", \
     "" using 1:23:24:25 with yerrorlines lw 2 pt 5 lc rgb "#ff7f0e" title "IPv6 last rule", \
     "" using 1:26:27:28 with yerrorlines lw 2 pt 9 lc rgb "#9467bd" title "IPv6 default deny"
EOF

{
	echo "# naclemu benchmark, $(date +%F), kernel $kernel"
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| machine | $(hostname -s), $ncpu CPUs, $mem${virt:+, virtualisation: $virt} |"
	echo "| CPU | $cpu |"
	echo "| OS | $os |"
	echo "| kernel | $kernel |"
	echo "| JIT (net.core.bpf_jit_enable) | $jit |"
	echo "| libbpf, clang | $libbpf, $clang |"
	echo "| naclemu | $(git describe --always --dirty 2>/dev/null || echo unknown) |"
	echo
	echo "## Micro: per-packet cost under BPF_PROG_TEST_RUN"
	echo
	echo "The kernel's own timing of the test-run loop (whole nanoseconds), $REPEAT runs"
	echo "of one packet per measurement; $ROUNDS rounds, every configuration once per"
	echo "round in a shuffled order.  Figures: median [interquartile range] over"
	echo "rounds; \"x empty\" is the median [IQR] of the per-round ratio to the empty TC program"
	echo "measured in the same round.  The mix runs 256 distinct packets (both"
	echo "directions and families, TCP, UDP, ICMP, GRE, matching and not) once each,"
	echo "4 passes, so neither branch predictor nor caches hold one packet; its"
	echo "floor is the empty program on the same mix (repeat 1 adds the timer's own"
	echo "cost to every figure of those three rows)."
	echo
	cat "$tmp/micro.md"
	echo
	echo "![cost against rule count]($name.png)"
	echo
	echo "## Macro: traffic over veth"
	echo
	if [ "$macro_status" = ok ]; then
		cat "$tmp/macro.md"
	else
		echo "Not run: $macro_status."
	fi
	echo
	echo "## Scale: one NACL on many interfaces"
	echo
	if [ "$scale_status" = ok ]; then
		cat "$tmp/scale.md"
	else
		echo "Not run: $scale_status."
	fi
} >"$md"
echo "  BENCH    wrote $md and $png"
