#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/metrics_grafana.sh - the Grafana dashboard contrib/grafana/
# naclemu.json asks only for what naclemu emits: it is a Grafana dashboard
# JSON model; every metric and label its queries and variables name is in
# the output of `naclemu metrics` on a real attached interface
# (tests/tools/grafana_check.py reads the PromQL); a misspelled copy is
# caught; and, when Prometheus is installed, every query returns series
# from a Prometheus scraping `naclemu exporter`.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
DASH=contrib/grafana/naclemu.json
CHECK=tests/tools/grafana_check.py
command -v jq >/dev/null || skip "jq is not installed"

# 1. The JSON model, without root: a dashboard that imports anywhere (the
# data source is a variable), with a row repeated per interface.
expect_exit 0 jq -e . "$DASH"
[ "$rc" = 0 ] || finish
dq() { jq -r "$1" "$DASH"; }
_checks=$((_checks + 1))
[ "$(dq '.schemaVersion')" -ge 36 ] 2>/dev/null || fail "schemaVersion $(dq .schemaVersion): want a current Grafana's (36 or more)"
expect_eq "$(dq '.uid')" naclemu "uid"
expect_eq "$(dq '.id')" null "id (Grafana gives one on import)"
expect_eq "$(dq '.templating.list[] | select(.name == "datasource") | "\(.type) \(.query)"')" \
	"datasource prometheus" "the datasource variable"
# Every panel and target reads the datasource variable, none a fixed uid.
# shellcheck disable=SC2016 # ${datasource} is Grafana's, not the shell's
expect_eq "$(dq '[.panels[] | ., (.panels // [])[] | select(.type != "row") |
	.datasource, (.targets // [])[].datasource | select(. != {type: "prometheus", uid: "${datasource}"})] | length')" \
	0 "panels or targets with another datasource"
for v in netns interface; do
	expect_in "$(dq ".templating.list[] | select(.name == \"$v\") | .definition")" \
		"label_values(naclemu_" "variable $v"
done
expect_eq "$(dq '[.templating.list[] | select(.name == "interface") | .multi, .includeAll] | join(" ")')" \
	"true true" "interface variable: multi, include all"
expect_eq "$(dq '[.panels[] | select(.type == "row" and .repeat == "interface")] | length')" 1 \
	"rows repeated per interface"
expect_eq "$(dq '[.panels[] | .id] | length - (unique | length)')" 0 "panel ids used twice"
# Grafana's grid is 24 wide.
expect_eq "$(dq '[.panels[] | select(.gridPos.x + .gridPos.w > 24)] | length')" 0 \
	"panels wider than the grid"

if [ "$(id -u)" != 0 ] && [ "$_fails" != 0 ]; then finish; fi
lab_need_root
lab_need_cmds attach metrics exporter

# 2. What `naclemu metrics` prints with one interface attached, after
# allowed, denied and exempt traffic.
lab_init "nclt-graf$$"
lab_subnet a 192.0.2.1/24 2001:db8:1::1/64
lab_host client a 192.0.2.10/24 2001:db8:1::10/64
lab_host server a 192.0.2.20/24 2001:db8:1::20/64
NS=$LAB-server
rules=$LAB_TMP/server.nacl
cat >"$rules" <<'EOF'
inbound
  100 allow tcp    8080        192.0.2.0/24
  120 allow icmp   8           192.0.2.0/24
outbound
  100 allow tcp    1024-65535  192.0.2.0/24
  120 allow icmp   0           192.0.2.0/24
EOF
lab_serve server tcp 192.0.2.20:8080,8081
expect_exit 0 lab_attach server "$rules"
traffic() {
	lab_conns client tcp --dst 192.0.2.20:8080 --count 2 --timeout 0.5 >/dev/null
	lab_conns client tcp --dst 192.0.2.20:8081 --count 1 --timeout 0.5 >/dev/null
	lab_exec client ping -c 1 -W 1 192.0.2.20 >/dev/null
}
traffic
scrape=$LAB_TMP/naclemu.prom
"$NACLEMU" metrics >"$scrape" || fail "naclemu metrics: exit $?"
expect_in "$(cat "$scrape")" "interface=\"v-server\"" "naclemu metrics"

# 3. The dashboard's names against it.
expect_exit 0 "$PYTHON" "$CHECK" "$DASH" "$scrape"
echo "$out"
expect_in "$out" ": 0 problems" "grafana_check"

# 4. The check can fail: a copy with a misspelled metric, label, legend
# label, variable and label_values() label; each is named.
bad=$LAB_TMP/bad.json
jq '(.panels[] | select(.title == "Drops per rule and direction") | .targets[0]) |=
	(.expr |= sub("naclemu_packets_total"; "naclemu_packet_total"))
    | (.panels[] | select(.title == "Allowed vs denied bytes") | .targets[0]) |=
	(.expr |= sub("by \\(netns, direction, action\\)"; "by (netns, direction, verdict)")
	 | .legendFormat = "{{netns}} {{direction}} {{verdict}} on $iface")
    | (.panels[] | select(.title == "Not filtered, and malformed") | .targets[0].expr) |=
	sub("interface=~"; "ifname=~")
    | (.templating.list[] | select(.name == "interface")) |=
	(.definition |= sub(", interface\\)$"; ", ifname)"))' "$DASH" >"$bad"
expect_exit 1 "$PYTHON" "$CHECK" "$bad" "$scrape"
echo "$out"
expect_in "$out" "metric naclemu_packet_total is not emitted" "check of a misspelled metric"
expect_in "$out" "metric naclemu_bytes_total has no label verdict (in by (...))" "check of a misspelled by label"
expect_in "$out" "legend {{verdict}}: no metric of the query has label verdict" "check of a legend label"
expect_in "$out" "\$iface is not a variable of the dashboard" "check of a variable"
expect_in "$out" "metric naclemu_exempt_packets_total has no label ifname (in {...})" "check of a selector label"
expect_in "$out" "variable interface: metric naclemu_attached_info has no label ifname (in label_values)" \
	"check of label_values()"
expect_in "$out" ": 6 problems" "problems in the misspelled copy"

# 5. On a real Prometheus scraping the exporter every second: every query
# returns series of our interface, every variable lists it.
if ! command -v prometheus >/dev/null; then
	echo "prometheus is not installed (Debian package prometheus): the queries are not run"
	finish
fi
# start_on NAME PATTERN CMD...: start CMD (its listen port is $PORT,
# picked at random) until its log shows PATTERN; retries a port in use.
start_on() {
	local name=$1 pattern=$2 i
	shift 2
	for _ in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + RANDOM % 10000))
		"$@" >"$LAB_TMP/$name.log" 2>&1 &
		PID=$!
		LAB_PIDS+=("$PID")
		for ((i = 0; i < 200; i++)); do
			grep -q "$pattern" "$LAB_TMP/$name.log" && return 0
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
		grep -qi "in use" "$LAB_TMP/$name.log" || break
	done
	echo "$name did not start: $(tail -n 5 "$LAB_TMP/$name.log")"
	return 1
}
# The commands of start_on, reading $PORT when they run.
# shellcheck disable=SC2317 # called through start_on
exporter() { exec "$NACLEMU" exporter --listen "127.0.0.1:$PORT"; }
# shellcheck disable=SC2317
prom() {
	cat >"$LAB_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: naclemu
    static_configs:
      - targets: ["$EXPORTER"]
EOF
	exec prometheus --config.file="$LAB_TMP/prometheus.yml" \
		--storage.tsdb.path="$LAB_TMP/tsdb" --web.listen-address="127.0.0.1:$PORT"
}
start_on exporter "serving metrics" exporter || { fail "naclemu exporter"; finish; }
EXPORTER=127.0.0.1:$PORT
start_on prometheus "Server is ready to receive web requests" prom || { fail "prometheus"; finish; }
PROM=http://127.0.0.1:$PORT
echo "exporter at $EXPORTER, prometheus at $PROM"
# rate() wants two samples in its window: wait for 6 scrapes (at most 20 s),
# with traffic meanwhile.
for ((i = 0; i < 40; i++)); do
	n=$(curl -sS -g "$PROM/api/v1/query" --data-urlencode \
		'query=count_over_time(naclemu_build_info[1m])' 2>/dev/null |
		jq -r '.data.result[0].value[1] // 0' 2>/dev/null)
	[ "${n:-0}" -ge 6 ] && break
	traffic
	sleep 0.5
done
_checks=$((_checks + 1))
[ "${n:-0}" -ge 6 ] || fail "prometheus scraped the exporter $n times in 20 s"
# $__rate_interval is 4 scrape intervals in Grafana, at least.
expect_exit 0 "$PYTHON" "$CHECK" "$DASH" "$scrape" --prometheus "$PROM" --rate-interval 5s \
	--var "instance=$EXPORTER" --var "netns=$NS" --var interface=v-server
echo "$out"
finish
