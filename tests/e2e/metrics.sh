#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/metrics.sh - `naclemu metrics` and `naclemu exporter` on real
# traffic: the Prometheus series carry the values `stats --json` shows,
# promtool accepts them, --textfile replaces its file atomically, and the
# exporter answers /metrics (and 404, 405) while interfaces are detached
# and attached under 20 concurrent clients, without growing.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach stats metrics exporter
command -v curl >/dev/null || skip "curl is not installed"

lab_init "nclt-met$$"
lab_subnet a 192.0.2.1/24 2001:db8:1::1/64
lab_host client a 192.0.2.10/24 2001:db8:1::10/64
lab_host server a 192.0.2.20/24 2001:db8:1::20/64
lab_host other a 192.0.2.30/24
NS=$LAB-server

rules=$LAB_TMP/server.nacl
cat >"$rules" <<'EOF'
inbound
  100 allow tcp    8080        192.0.2.0/24
  120 allow icmp   8           192.0.2.0/24
  150 allow icmpv6 128         2001:db8:1::/64
outbound
  100 allow tcp    1024-65535  192.0.2.0/24
  120 allow icmp   0           192.0.2.0/24
  150 allow icmpv6 129         2001:db8:1::/64
EOF
lab_serve server tcp 192.0.2.20:8080,8081
expect_exit 0 lab_attach server "$rules"

# Allowed (8080, pings), denied (8081), exempt (IPv6 neighbour discovery).
lab_conns client tcp --dst 192.0.2.20:8080 --count 4 --timeout 0.5 >/dev/null
lab_conns client tcp --dst 192.0.2.20:8081 --count 3 --timeout 0.5 >/dev/null
expect_exit 0 lab_exec client ping -c 2 -i 0.2 -W 1 192.0.2.20
expect_exit 0 lab_exec client ping -6 -c 2 -i 0.2 -W 1 2001:db8:1::20

# metric TEXT NAME LABELS: the value of series NAME{netns,interface,LABELS}.
metric() {
	local sel="$2{netns=\"$NS\",interface=\"v-server\"${3:+,$3}}"
	awk -v s="$sel" 'index($0, s " ") == 1 { print $2; found = 1 } END { if (!found) print "none" }' <<<"$1"
}
# series TEXT: the series of TEXT without their values, sorted.
series() { grep -v -e '^#' -e '^$' <<<"$1" | sed 's/ [0-9]*$//' | sort; }

# 1. metrics against stats --json.  Counters only grow, and stray traffic
# (MLD reports, neighbour discovery) may arrive at any time: the metric
# must lie between a stats read before it and one after.
lab_stats server; before=$STATS
expect_exit 0 "$NACLEMU" metrics
m=$out
lab_stats server; after=$STATS
# between WHAT VALUE DIR KEY...: STATS before <= VALUE <= STATS after,
# where the stats value is the sum of counter DIR KEY over the KEYs.
between() {
	local what=$1 v=$2 dir=$3 lo=0 hi=0 k
	shift 3
	for k in "$@"; do
		STATS=$before; lo=$((lo + $(counter "$dir" "$k")))
		STATS=$after; hi=$((hi + $(counter "$dir" "$k")))
	done
	_checks=$((_checks + 1))
	if [ "$v" = none ] || [ "$v" -lt "$lo" ] || [ "$v" -gt "$hi" ]; then
		fail "$what: metrics says $v, stats says $lo..$hi"
	fi
}
# at_least WHAT VALUE MIN
at_least() {
	_checks=$((_checks + 1))
	if [ "$2" = none ] || [ "$2" -lt "$3" ]; then fail "$1: got $2, want >= $3"; fi
}
v=$(metric "$m" naclemu_packets_total 'direction="ingress",rule="100",action="allow"')
between "ingress rule 100 packets" "$v" inbound 100
at_least "ingress rule 100 packets" "$v" 4
v=$(metric "$m" naclemu_packets_total 'direction="egress",rule="100",action="allow"')
between "egress rule 100 packets" "$v" outbound 100
v=$(metric "$m" naclemu_packets_total 'direction="ingress",rule="120",action="allow"')
between "ingress rule 120 packets" "$v" inbound 120
v=$(metric "$m" naclemu_packets_total 'direction="ingress",rule="default",action="deny"')
between "ingress default deny (32767 + 32768)" "$v" inbound 32767 32768
at_least "ingress default deny packets" "$v" 3
v=$(metric "$m" naclemu_exempt_packets_total 'direction="ingress"')
between "ingress exempt" "$v" inbound exempt
at_least "ingress exempt packets (neighbour discovery)" "$v" 1
v=$(metric "$m" naclemu_malformed_packets_total 'direction="egress"')
between "egress malformed" "$v" outbound malformed
v=$(metric "$m" naclemu_bytes_total 'direction="ingress",rule="100",action="allow"')
STATS=$before
lo=$(jq '[.inbound.rules[] | select(.rule == 100) | .bytes] | add' <<<"$STATS")
STATS=$after
hi=$(jq '[.inbound.rules[] | select(.rule == 100) | .bytes] | add' <<<"$STATS")
_checks=$((_checks + 1))
if [ "$v" = none ] || [ "$v" -lt "$lo" ] || [ "$v" -gt "$hi" ]; then
	fail "ingress rule 100 bytes: metrics says $v, stats says $lo..$hi"
fi
expect_eq "$(metric "$m" naclemu_rules_generation)" 1 "generation"
expect_eq "$(metric "$m" naclemu_events_lost_total)" 0 "events lost"
expect_in "$m" "naclemu_attached_info{netns=\"$NS\",interface=\"v-server\",rules=\"$rules\",hook=\"$NACLEMU_HOOK\"} 1"
expect_in "$m" "naclemu_build_info{version=\"$("$NACLEMU" --version | awk '{print $2}')\"} 1"
expect_in "$m" "# TYPE naclemu_packets_total counter"
expect_in "$m" "# TYPE naclemu_rules_generation gauge"
# One HELP and one TYPE per family, and no series twice.
expect_eq "$(grep '^# TYPE' <<<"$m" | awk '{print $3}' | sort | uniq -d)" "" "families typed twice"
expect_eq "$(series "$m" | uniq -d)" "" "duplicate series"

if command -v promtool >/dev/null; then
	_checks=$((_checks + 1))
	pt=$(promtool check metrics <<<"$m" 2>&1) || fail "promtool check metrics: $pt"
else
	echo "promtool is not installed (Debian package prometheus): its check is skipped"
fi
# The sanitizer build renders the same series, without a leak or UB.
if [ -x "$NACLEMU_SAN" ]; then
	expect_exit 0 "$NACLEMU_SAN" metrics
	expect_eq "$(series "$out")" "$(series "$m")" "series of the ASan build"
fi

# An interface whose last attach died half way cannot be read: it is left
# out with a warning, and the rest is printed.
expect_exit 137 env NACLEMU_CRASH=attach.filter-egress "$NACLEMU" attach -n "$LAB-other" \
	-i v-other "$rules"
LAB_ATTACHED+=(other)
expect_exit 0 "$NACLEMU" metrics
expect_in "$err" "naclemu: warning: 1 interface left out: " "metrics with an interrupted attach"
expect_not_in "$out" "interface=\"v-other\"" "metrics with an interrupted attach"
expect_eq "$(series "$out")" "$(series "$m")" "series with an interrupted attach"

# 2. --textfile: DIR/naclemu.prom with the same series, no temporary left.
tdir=$LAB_TMP/textfile
mkdir "$tdir"
echo stale >"$tdir/naclemu.prom"
expect_exit 0 "$NACLEMU" metrics --textfile "$tdir"
expect_eq "$out" "" "stdout with --textfile"
expect_eq "$(ls -A "$tdir")" "naclemu.prom" "files in the textfile folder"
expect_eq "$(series "$(cat "$tdir/naclemu.prom")")" "$(series "$m")" "series of naclemu.prom"
expect_eq "$(stat -c %a "$tdir/naclemu.prom")" 644 "mode of naclemu.prom"
v=$(metric "$(cat "$tdir/naclemu.prom")" naclemu_rules_generation)
expect_eq "$v" 1 "generation in naclemu.prom"
expect_exit 2 "$NACLEMU" metrics --textfile "$LAB_TMP/missing"
expect_in "$err" "naclemu: --textfile: $LAB_TMP/missing is not a folder"
expect_exit 1 "$NACLEMU" metrics extra
expect_exit 1 "$NACLEMU" exporter --listen 192.0.2.1
expect_in "$err" "naclemu: exporter: --listen wants ADDR:PORT"
expect_exit 1 "$NACLEMU" exporter
expect_in "$err" "--listen ADDR:PORT is required"

# 3. The exporter, on a free port picked at random.
# exporter_start ADDR-FORMAT: start one; EXP_PID, EXP_PORT, EXP_URL.
exporter_start() {
	local fmt=$1 i
	for _ in 1 2 3 4 5 6 7 8; do
		EXP_PORT=$((20000 + RANDOM % 10000))
		# shellcheck disable=SC2059
		EXP_ADDR=$(printf "$fmt" "$EXP_PORT")
		"${EXP_BIN:-$NACLEMU}" exporter --listen "$EXP_ADDR" 2>"$LAB_TMP/exporter.err" &
		EXP_PID=$!
		LAB_PIDS+=("$EXP_PID")
		for ((i = 0; i < 400; i++)); do
			grep -q "serving metrics" "$LAB_TMP/exporter.err" && break
			kill -0 "$EXP_PID" 2>/dev/null || break
			sleep 0.05
		done
		if grep -q "serving metrics" "$LAB_TMP/exporter.err"; then
			EXP_URL="http://$EXP_ADDR"
			return 0
		fi
		# Not serving after 20 s (a loaded machine): stop it, never wait forever.
		kill "$EXP_PID" 2>/dev/null
		wait "$EXP_PID"
		grep -q "in use" "$LAB_TMP/exporter.err" || break
	done
	echo "exporter did not start: $(cat "$LAB_TMP/exporter.err")"
	return 1
}
exporter_start "127.0.0.1:%s" || { fail "exporter on 127.0.0.1"; finish; }
echo "exporter pid $EXP_PID at $EXP_URL"

# http URL [CURL-ARGS]: status code in $code, body in $body.
http() {
	local url=$1
	shift
	body=$(curl -sS -g -o - -w '\n%{http_code}' "$@" "$url" 2>&1)
	code=${body##*$'\n'}
	body=${body%$'\n'*}
}
http "$EXP_URL/metrics"
expect_eq "$code" 200 "GET /metrics"
expect_eq "$(series "$body")" "$(series "$m")" "series served at /metrics"
ctype=$(curl -sS -o /dev/null -w '%{content_type}' "$EXP_URL/metrics")
expect_eq "$ctype" "text/plain; version=0.0.4; charset=utf-8" "content type"
http "$EXP_URL/other"
expect_eq "$code" 404 "GET /other"
http "$EXP_URL/metrics" -X POST -d x=1
expect_eq "$code" 405 "POST /metrics"
http "$EXP_URL/metrics" -I
expect_eq "$code" 200 "HEAD /metrics"

# What one scrape costs, for the log (one interface attached, one skipped).
for i in $(seq 20); do curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "$EXP_URL/metrics"; done |
	awk '{ s += $1; b = $2 } END { printf "one scrape: %.2f ms on average over %d, %d bytes\n", s * 1000 / NR, NR, b }'

# The same port again: one line, exit 2.
expect_exit 2 "$NACLEMU" exporter --listen "127.0.0.1:$EXP_PORT"
expect_eq "$err" "naclemu: cannot listen on 127.0.0.1:$EXP_PORT: the address is in use (another exporter?)" \
	"port in use"

# IPv6 loopback, when the host has it.
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
	pid4=$EXP_PID url4=$EXP_URL
	if exporter_start "[::1]:%s"; then
		http "$EXP_URL/metrics"
		expect_eq "$code" 200 "GET /metrics over IPv6 ($EXP_URL)"
		kill -TERM "$EXP_PID"
		wait "$EXP_PID"
		expect_eq "$?" 0 "exit status of the IPv6 exporter after SIGTERM"
	else
		fail "exporter on [::1]"
	fi
	EXP_PID=$pid4 EXP_URL=$url4
else
	echo "no IPv6 loopback: the [::1] listener is not tested"
fi

# 4. 200 scrapes from 20 clients while the interface goes and comes back.
scrape_check() {
	"$PYTHON" - "$EXP_URL/metrics" "$1" <<'EOF'
import re, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, n = sys.argv[1], int(sys.argv[2])
line = re.compile(r'^(# (HELP|TYPE) .*|[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? [0-9]+)$')
def one(_):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            text = r.read().decode()
            if r.status != 200:
                return "status %d" % r.status
    except Exception as e:
        return "error %s" % e
    bad = [l for l in text.splitlines() if not line.match(l)]
    if bad:
        return "unparseable line %r" % bad[0]
    if "naclemu_build_info" not in text:
        return "no naclemu_build_info"
    return "ok"
with ThreadPoolExecutor(20) as ex:
    res = list(ex.map(one, range(n)))
bad = [r for r in res if r != "ok"]
print("%d scrapes, %d ok" % (n, n - len(bad)))
for r in sorted(set(bad))[:5]:
    print("  " + r)
sys.exit(1 if bad else 0)
EOF
}
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$EXP_PID/status"; }
scrape_check 100 >/dev/null # warm up: the allocator's arenas, MHD's pools
rss_before=$(rss)
(
	for ((i = 0; i < 10; i++)); do
		"$NACLEMU" detach -n "$NS" -i v-server >/dev/null || echo "detach $i failed"
		sleep 0.05
		"$NACLEMU" attach -n "$NS" -i v-server "$rules" >/dev/null || echo "attach $i failed"
		sleep 0.05
	done
) >"$LAB_TMP/cycles.log" 2>&1 &
cycles=$!
start=$(date +%s%N)
expect_exit 0 scrape_check 200
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "$out, in $elapsed ms"
wait "$cycles"
expect_eq "$(cat "$LAB_TMP/cycles.log")" "" "detach/attach cycles"
scrape_check 200 >/dev/null
rss_after=$(rss)
echo "exporter VmRSS: $rss_before kB before the cycles, $rss_after kB after 400 more scrapes"
_checks=$((_checks + 1))
[ "$rss_after" -le $((rss_before + 1024)) ] ||
	fail "exporter RSS grew from $rss_before kB to $rss_after kB"
kill -0 "$EXP_PID" 2>/dev/null || fail "the exporter died"

# Attached at the end of the cycles: the interface is there; detached: gone.
http "$EXP_URL/metrics"
expect_in "$body" "interface=\"v-server\"" "scrape after the cycles"
expect_exit 0 "$NACLEMU" detach -n "$NS" -i v-server
http "$EXP_URL/metrics"
expect_eq "$code" 200 "scrape with nothing of ours attached"
expect_not_in "$body" "interface=\"v-server\"" "scrape after detach"
expect_in "$body" "naclemu_build_info{" "scrape after detach"
expect_exit 0 "$NACLEMU" attach -n "$NS" -i v-server "$rules"
http "$EXP_URL/metrics"
expect_in "$body" "interface=\"v-server\"" "scrape after attach"

kill -TERM "$EXP_PID"
wait "$EXP_PID"
expect_eq "$?" 0 "exit status of the exporter after SIGTERM"

# Label values are escaped: a rules file whose name has a quote and a
# backslash.
odd=$LAB_TMP/'q"uote\back.nacl'
cp "$rules" "$odd"
expect_exit 0 "$NACLEMU" attach -n "$LAB-client" -i v-client "$odd"
LAB_ATTACHED+=(client)
expect_exit 0 "$NACLEMU" metrics
expect_in "$out" "interface=\"v-client\",rules=\"$LAB_TMP/q\\\"uote\\\\back.nacl\",hook=\"$NACLEMU_HOOK\"} 1" \
	"escaped rules label"
if command -v promtool >/dev/null; then
	_checks=$((_checks + 1))
	pt=$(promtool check metrics <<<"$out" 2>&1) || fail "promtool check metrics (escaped labels): $pt"
fi
expect_exit 0 "$NACLEMU" detach -n "$LAB-client" -i v-client

# The sanitizer build serves concurrent scrapes (and 404, 405) without a
# leak or undefined behaviour, and stops cleanly.
if [ -x "$NACLEMU_SAN" ]; then
	if EXP_BIN=$NACLEMU_SAN exporter_start "127.0.0.1:%s"; then
		expect_exit 0 scrape_check 40
		http "$EXP_URL/other"
		expect_eq "$code" 404 "GET /other (ASan build)"
		http "$EXP_URL/metrics" -X DELETE
		expect_eq "$code" 405 "DELETE /metrics (ASan build)"
		kill -TERM "$EXP_PID"
		wait "$EXP_PID"
		expect_eq "$?" 0 "exit status of the ASan exporter after SIGTERM"
		expect_eq "$(grep -c -i sanitizer "$LAB_TMP/exporter.err")" 0 "sanitizer reports"
	else
		fail "the ASan exporter did not start"
	fi
fi
finish
