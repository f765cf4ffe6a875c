#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/flowlog_docker.sh - `naclemu flowlog` on real traffic: the
# docker/ephemeral case (docs/scenarios.md, "docker") with the flow log on.
#
# A Linux client connects to the server's TCP 10001 from chosen ports: from
# 40000 the SYN is ACCEPTed inbound and the SYN-ACK REJECTed outbound (below
# 49152), from 50000 the connection works.  Then a UDP datagram and a ping,
# both REJECTed inbound.  The records are parsed by a reader written here
# from AWS's field list (the column order and types of Athena's table for
# flow logs), in the default format with --header and --output, and in a
# custom format of versions 3 to 5 with --field.  Checked: every field of
# every record against the traffic sent (addresses, ports, protocol,
# packets, bytes, action, tcp-flags, direction), and the sums of packets
# and bytes against the datapath's rule counters (`stats`: the same packets,
# with 14 bytes of Ethernet header each); NODATA for a window without
# traffic; a table overflow (--flow-log-entries 16, 40 flows) gives
# SKIPDATA and the lost count in stats and metrics; update keeps the flow
# log; SIGHUP reopens --output; the failure paths exit 1 or 2 with one line.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach stats detach flowlog update metrics

lab_init "nclt-flog$$"
lab_subnet clients 192.0.2.1/24
lab_subnet servers 198.51.100.1/24
lab_host client clients 192.0.2.10/24
lab_host server servers 198.51.100.20/24
ns=$LAB-server dev=v-server
# One failed connection = one SYN and one dropped SYN-ACK (as scenario_docker).
lab_exec server sysctl -qw net.ipv4.tcp_synack_retries=0
lab_serve server tcp 198.51.100.20:10001
lab_exec client sysctl -qw net.ipv4.ip_local_port_range="32768 60999"

# ---- the independent reader ----
# AWS's fields by version and the Athena column type of each (int/bigint:
# a number, or '-' for NULL; string: anything without a space).
cat >"$LAB_TMP/reader.py" <<'EOF'
import json, sys
TYPES = {
    "version": "int", "account-id": "string", "interface-id": "string",
    "srcaddr": "string", "dstaddr": "string", "srcport": "int", "dstport": "int",
    "protocol": "bigint", "packets": "bigint", "bytes": "bigint", "start": "bigint",
    "end": "bigint", "action": "string", "log-status": "string",
    "vpc-id": "string", "subnet-id": "string", "instance-id": "string",
    "tcp-flags": "int", "type": "string", "pkt-srcaddr": "string", "pkt-dstaddr": "string",
    "region": "string", "az-id": "string", "sublocation-type": "string",
    "sublocation-id": "string", "pkt-src-aws-service": "string",
    "pkt-dst-aws-service": "string", "flow-direction": "string", "traffic-path": "int",
}
DEFAULT = ["version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
           "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log-status"]
# reader.py FILE [FIELD...]: without fields, the file's first line is the
# header (as delivered to S3); prints one JSON object a record.
lines = open(sys.argv[1]).read().splitlines()
fields = sys.argv[2:] or lines.pop(0).split(" ")
for f in fields:
    if f not in TYPES:
        sys.exit("unknown field %r" % f)
for n, line in enumerate(lines, 1):
    cols = line.split(" ")
    if len(cols) != len(fields):
        sys.exit("line %d: %d columns, want %d: %r" % (n, len(cols), len(fields), line))
    rec = {}
    for f, v in zip(fields, cols):
        if v == "-":
            rec[f] = None
        elif TYPES[f] in ("int", "bigint"):
            if not v.isdigit():
                sys.exit("line %d: %s is not a number: %r" % (n, f, v))
            rec[f] = int(v)
        else:
            rec[f] = v
    print(json.dumps(rec))
EOF
read_records() { "$PYTHON" "$LAB_TMP/reader.py" "$@"; }

# flowlog_start FILE ARGS...: flowlog in the background into FILE (stdout),
# ready once it says so on stderr.
flowlog_start() {
	local file=$1 i
	shift
	"$NACLEMU" flowlog -n "$ns" -i "$dev" "$@" >"$file" 2>"$file.err" &
	FLOWLOG_PID=$!
	LAB_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		grep -q "flow log of" "$file.err" && return 0
		kill -0 "$FLOWLOG_PID" 2>/dev/null || break
		sleep 0.05
	done
	fail "naclemu flowlog did not start: $(cat "$file.err")"
	return 1
}
# flowlog_stop: SIGINT; it writes the window under way and exits 0.
flowlog_stop() {
	sleep 0.2
	kill -INT "$FLOWLOG_PID"
	wait "$FLOWLOG_PID"
	expect_eq "$?" 0 "flowlog's exit status after SIGINT"
}

# traffic SPORT_FAIL SPORT_OK: one connection that times out, one that works.
traffic() {
	local out
	out=$(lab_conns client tcp --dst 198.51.100.20:10001 --src 192.0.2.10 \
		--timeout "$LAB_TIMEOUT" --ports "$1,$2")
	expect_eq "$(awk '$1 !~ /^#/ {printf "%s ", $4}' <<<"$out")" "timeout ok " \
		"connections from $1 and $2"
}

# sum JQ-SELECT FIELD < records: the sum of FIELD over the records selected.
sum() { jq -s "[.[] | select($1) | .$2] | add // 0"; }

expect_exit 0 lab_attach server examples/docker-ephemeral.nacl --flow-log
expect_exit 0 "$NACLEMU" status -n "$ns" -i "$dev"
expect_in "$out" "flow log on (16384 entries), flows lost 0" "status with the flow log on"

# ---- default format, --header, --output ----
flowlog_start "$LAB_TMP/stdout1" --interval 1 --header --output "$LAB_TMP/flows1.log"
traffic 40000 50000
lab_conns client udp --dst 198.51.100.20:10001 --src 192.0.2.10 --timeout "$LAB_TIMEOUT" \
	--ports 40002 >/dev/null
lab_exec client ping -c 1 -W 1 198.51.100.20 >/dev/null && fail "the ping went through"
flowlog_stop
expect_eq "$(cat "$LAB_TMP/stdout1")" "" "nothing on stdout with --output"
echo "--- flows1.log"
cat "$LAB_TMP/flows1.log"
expect_eq "$(head -1 "$LAB_TMP/flows1.log")" \
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status" \
	"header line"
expect_eq "$(grep -c '^version' "$LAB_TMP/flows1.log")" 1 "one header line"
recs=$(read_records "$LAB_TMP/flows1.log") || fail "the reader refused flows1.log"
ok=$(jq -c 'select(.["log-status"] == "OK")' <<<"$recs")
expect_eq "$(jq -r '[.version, .["account-id"], .["interface-id"]] | @tsv' <<<"$recs" | sort -u)" \
	"$(printf '2\t\tv-server')" "version, account-id, interface-id of every record"
expect_eq "$(jq -r '.["log-status"]' <<<"$recs" | sort -u | tr '\n' ' ')" "NODATA OK " \
	"log-status values (windows without traffic are NODATA)"
now=$(date +%s)
bad=$(jq -c "select(.start > .end or .end > $now or .start < $now - 60)" <<<"$recs")
expect_eq "$bad" "" "start <= end, both within the last minute"

# Each flow, summed over the windows it crossed.
flow() { # SRC DST SPORT DPORT PROTO ACTION: "packets bytes"
	jq -s -r --arg s "$1" --arg d "$2" --argjson sp "$3" --argjson dp "$4" --argjson p "$5" \
		--arg a "$6" '[.[] | select(.srcaddr == $s and .dstaddr == $d and .srcport == $sp and
		.dstport == $dp and .protocol == $p and .action == $a)] |
		"\(map(.packets) | add // 0) \(map(.bytes) | add // 0)"' <<<"$ok"
}
C=192.0.2.10 S=198.51.100.20
# The failed connection: one SYN in (IP 20 + TCP 40 with options), one SYN-ACK out.
expect_eq "$(flow $C $S 40000 10001 6 ACCEPT)" "1 60" "SYN from 40000, inbound ACCEPT"
expect_eq "$(flow $S $C 10001 40000 6 REJECT)" "1 60" "SYN-ACK to 40000, outbound REJECT"
expect_eq "$(flow $S $C 10001 40000 6 ACCEPT)" "0 0" "no SYN-ACK to 40000 ACCEPTed"
# The good one: both ways ACCEPTed, at least SYN, ACK, data, FIN each way.
read -r p b <<<"$(flow $C $S 50000 10001 6 ACCEPT)"
[ "$p" -ge 4 ] || fail "inbound flow from 50000: $p packets, want >= 4"
read -r p b <<<"$(flow $S $C 10001 50000 6 ACCEPT)"
[ "$p" -ge 3 ] || fail "outbound flow to 50000: $p packets, want >= 3"
expect_eq "$(flow $S $C 10001 50000 6 REJECT)" "0 0" "nothing to 50000 REJECTed"
# UDP: IP 20 + UDP 8 + "naclemu\n"; the ping: 84 bytes, ports 0.
expect_eq "$(flow $C $S 40002 10001 17 REJECT)" "1 36" "UDP datagram, inbound REJECT"
expect_eq "$(flow $C $S 0 0 1 REJECT)" "1 84" "ping, inbound REJECT, ports 0"
expect_eq "$(jq -c "select(.srcaddr != \"$C\" and .srcaddr != \"$S\")" <<<"$ok")" "" \
	"no record of other traffic"
# Against the datapath's counters: every packet judged is in one record.
lab_stats server
for check in "inbound 100 ACCEPT $C" "outbound 100 ACCEPT $S" "outbound 32767 REJECT $S" \
	"inbound 32767 REJECT $C"; do
	read -r d rule action src <<<"$check"
	want_p=$(counter "$d" "$rule")
	want_b=$(jq -r --arg d "$d" --argjson r "$rule" \
		'[.[$d].rules[] | select(.rule == $r) | .bytes] | add // 0' <<<"$STATS")
	got_p=$(sum ".action == \"$action\" and .srcaddr == \"$src\"" packets <<<"$ok")
	got_b=$(sum ".action == \"$action\" and .srcaddr == \"$src\"" bytes <<<"$ok")
	expect_eq "$got_p" "$want_p" "$d rule $rule: packets in records = stats"
	expect_eq "$got_b" "$((want_b - 14 * want_p))" "$d rule $rule: IP bytes in records = stats - Ethernet"
done

# ---- a custom format of versions 3 to 5, --field ----
fmt='${flow-direction} ${srcaddr} ${srcport} ${dstaddr} ${dstport} ${protocol} ${packets} ${bytes} ${tcp-flags} ${type} ${action} ${log-status} ${account-id} ${version} ${vpc-id} ${traffic-path}'
fields=$(sed 's/[${}]//g' <<<"$fmt")
flowlog_start "$LAB_TMP/flows2.log" --interval 60 --format "$fmt" --field account-id=123456789012
traffic 40001 50001
flowlog_stop
echo "--- flows2.log"
cat "$LAB_TMP/flows2.log"
# shellcheck disable=SC2086
recs=$(read_records "$LAB_TMP/flows2.log" $fields) || fail "the reader refused flows2.log"
expect_eq "$(jq -r '[.version, .["account-id"], .["vpc-id"], .["traffic-path"], .type] | @tsv' <<<"$recs" | sort -u)" \
	"$(printf '5\t123456789012\t\t\tIPv4')" "version 5, --field account-id, '-' for vpc-id and traffic-path"
one() { # DIR SPORT DPORT ACTION: "packets bytes tcp-flags" of one record
	jq -r -s --arg dir "$1" --argjson sp "$2" --argjson dp "$3" --arg a "$4" \
		'[.[] | select(.["flow-direction"] == $dir and .srcport == $sp and .dstport == $dp and .action == $a)] |
		if length == 1 then .[0] | "\(.packets) \(.bytes) \(.["tcp-flags"])" else "\(length) records" end' <<<"$recs"
}
expect_eq "$(one ingress 40001 10001 ACCEPT)" "1 60 2" "SYN from 40001: ingress, SYN (2)"
expect_eq "$(one egress 10001 40001 REJECT)" "1 60 18" "SYN-ACK to 40001: egress, SYN-ACK (18)"
read -r p b f <<<"$(one ingress 50001 10001 ACCEPT)"
expect_eq "$((f & 3))" 3 "connection from 50001: SYN and FIN inbound (tcp-flags $f)"
read -r p b f <<<"$(one egress 10001 50001 ACCEPT)"
expect_eq "$((f & 19))" 19 "connection from 50001: SYN-ACK and FIN outbound (tcp-flags $f)"

# ---- NODATA: windows without traffic ----
expect_exit 0 "$NACLEMU" flowlog -n "$ns" -i "$dev" --interval 1 --count 2
expect_eq "$(awk '{print $4, $9, $13, $14}' <<<"$out" | sort -u)" "- - - NODATA" "two windows, no traffic"
expect_eq "$(wc -l <<<"$out")" 2 "one NODATA record a window"
read -r s e <<<"$(awk 'NR == 2 {print $11, $12}' <<<"$out")"
[ $((e - s)) -ge 0 ] && [ $((e - s)) -le 2 ] || fail "NODATA window $s..$e is not about 1 s"

# ---- update keeps the flow log ----
expect_exit 0 "$NACLEMU" update -n "$ns" -i "$dev" examples/docker-ephemeral.nacl
expect_exit 0 "$NACLEMU" status -n "$ns" -i "$dev" --json
expect_eq "$(jq -r '.[0].flow_log' <<<"$out")" true "flow log on after update"

# ---- SIGHUP reopens --output ----
flowlog_start "$LAB_TMP/stdout3" --interval 1 --header --output "$LAB_TMP/flows3.log"
mv "$LAB_TMP/flows3.log" "$LAB_TMP/flows3.log.1"
kill -HUP "$FLOWLOG_PID"
sleep 0.3
traffic 40003 50003
flowlog_stop
expect_eq "$(head -1 "$LAB_TMP/flows3.log")" \
	"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status" \
	"the reopened file starts with the header"
expect_in "$(cat "$LAB_TMP/flows3.log")" " 40003 10001 6 1 60 " "the SYN from 40003 in the reopened file"

# ---- failure paths ----
expect_exit 1 "$NACLEMU" flowlog -n "$ns" -i "$dev" --format '${srcaddr} ${srcadr}'
expect_eq "$err" "naclemu: flowlog: --format: column 12: unknown field 'srcadr' (the fields of flow log versions 2 to 5) (see 'naclemu flowlog --help')" "bad --format field"
expect_exit 1 "$NACLEMU" flowlog -n "$ns" -i "$dev" --field srcaddr=1.2.3.4
expect_in "$err" "--field: srcaddr is naclemu's to fill" "bad --field"
for bad in 0 3601 1.5 x; do
	expect_exit 1 "$NACLEMU" flowlog -n "$ns" -i "$dev" --interval "$bad"
	expect_in "$err" "--interval wants seconds 1..3600, not '$bad'" "--interval $bad"
done
expect_exit 1 "$NACLEMU" flowlog -n "$ns" -i v-nothere --count 1
expect_in "$err" "v-nothere is not attached in network namespace $ns" "flowlog on an interface not attached"
expect_exit 1 "$NACLEMU" attach -n "$ns" -i "$dev" examples/docker-ephemeral.nacl --flow-log-entries 15
expect_in "$err" "--flow-log-entries wants 16..1048576, not '15'" "--flow-log-entries too small"
# A second reader of the same table.
flowlog_start "$LAB_TMP/flows4.log" --interval 60
expect_exit 2 "$NACLEMU" flowlog -n "$ns" -i "$dev" --count 1
expect_in "$err" "another 'naclemu flowlog' reads the flow log of $dev" "second reader refused"
flowlog_stop
# Attached without the flow log.
expect_exit 0 "$NACLEMU" detach -n "$ns" -i "$dev"
expect_exit 0 "$NACLEMU" attach -n "$ns" -i "$dev" examples/docker-ephemeral.nacl
expect_exit 1 "$NACLEMU" flowlog -n "$ns" -i "$dev" --count 1
expect_eq "$err" "naclemu: $dev is attached without --flow-log: detach it and attach it with --flow-log ('update' keeps the setting)" \
	"flowlog on an interface attached without the flow log"
expect_exit 1 "$NACLEMU" flowlog -n "$ns" --count 1
expect_eq "$err" "naclemu: no interface of network namespace $ns is attached with --flow-log (see 'naclemu status')" \
	"flowlog without -i, no interface with the flow log"
expect_exit 0 "$NACLEMU" status -n "$ns" -i "$dev"
expect_in "$out" "flow log off" "status with the flow log off"
expect_exit 0 "$NACLEMU" detach -n "$ns" -i "$dev"

# ---- overflow: 40 flows into a table of 16 ----
expect_exit 0 "$NACLEMU" attach -n "$ns" -i "$dev" examples/docker-ephemeral.nacl \
	--flow-log-entries 16
flowlog_start "$LAB_TMP/flows5.log" --interval 60
lab_conns client udp --dst 198.51.100.20:10001 --src 192.0.2.10 --timeout 0.2 \
	--ports "$(seq -s, 41000 41039)" --parallel 40 >/dev/null
flowlog_stop
echo "--- flows5.log"
cat "$LAB_TMP/flows5.log"
recs=$(read_records "$LAB_TMP/flows5.log" version account-id interface-id srcaddr dstaddr \
	srcport dstport protocol packets bytes start end action log-status) || fail "the reader refused flows5.log"
kept=$(jq -s '[.[] | select(.["log-status"] == "OK" and .protocol == 17)] | length' <<<"$recs")
expect_eq "$(jq -r '.["log-status"]' <<<"$recs" | tail -1)" SKIPDATA "the window ends with SKIPDATA"
expect_eq "$kept" 16 "flows kept by a table of 16"
expect_exit 0 "$NACLEMU" stats -n "$ns" -i "$dev" --json
expect_eq "$(jq -r .flows_lost <<<"$out")" "$((40 - kept))" "stats: flows lost"
expect_exit 0 "$NACLEMU" stats -n "$ns" -i "$dev"
expect_in "$out" "flows lost" "stats text shows flows lost"
expect_exit 0 "$NACLEMU" metrics
expect_in "$out" "naclemu_flows_lost_total{netns=\"$ns\",interface=\"$dev\"} $((40 - kept))" \
	"metrics: naclemu_flows_lost_total"
expect_exit 0 lab_naclemu detach server
LAB_ATTACHED=()
finish
