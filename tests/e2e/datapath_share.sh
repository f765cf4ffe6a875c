#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_share.sh - one compiled rule set for many interfaces.
#
# Interfaces attached with the same rules (and the same --subnet, --exempt
# and --vpc) run one rule set: status shows the same ruleset_id and how
# many use it.  Each still counts on its own.  `update` of one gives it its
# own rule set and leaves the others' rules, generation and verdicts alone
# (copy on write); detaching one leaves the others working; other options
# make another rule set.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status stats

lab_init "nclt-shr$$"
lab_subnet a 192.0.2.1/24
lab_host client a 192.0.2.10/24
lab_host s1 a 192.0.2.21/24
lab_host s2 a 192.0.2.22/24
lab_host s3 a 192.0.2.23/24

# Requests to 8080 allowed, 8081 not; the new rules allow 8081 only.
printf 'inbound\n  100 allow tcp 8080 192.0.2.0/24\noutbound\n  100 allow tcp 1024-65535 192.0.2.0/24\n' \
	>"$LAB_TMP/old.nacl"
printf 'inbound\n  100 allow tcp 8081 192.0.2.0/24\noutbound\n  100 allow tcp 1024-65535 192.0.2.0/24\n' \
	>"$LAB_TMP/new.nacl"
for h in s1 s2 s3; do
	lab_serve "$h" tcp "192.0.2.2${h#s}:8080,8081"
done

# conn HOST PORT WANT: 2 connections from the client to HOST:PORT end WANT.
conn() {
	local got
	got=$(lab_conns client tcp --dst "192.0.2.2${1#s}:$2" --count 2 --timeout 0.5 | conns_count "$3")
	expect_eq "$got" 2 "client -> $1:$2: connections with result $3"
}
# ids: "IFACE:RULESET_ID:USERS:GENERATION ..." of the lab's interfaces.
ids() {
	local h
	for h in s1 s2 s3; do
		"$NACLEMU" status -n "$LAB-$h" --json 2>/dev/null |
			jq -r '.[] | "\(.interface):\(.ruleset_id):\(.ruleset_users):\(.generation)"'
	done
}
id_of() { "$NACLEMU" status -n "$LAB-$1" --json | jq -r '.[0].ruleset_id'; }
users_of() { "$NACLEMU" status -n "$LAB-$1" --json | jq -r '.[0].ruleset_users'; }

for h in s1 s2 s3; do
	expect_exit 0 lab_attach "$h" "$LAB_TMP/old.nacl"
done
id=$(id_of s1)
[ "$id" -gt 0 ] 2>/dev/null || fail "no ruleset_id for s1: '$id'"
expect_eq "$(id_of s2) $(id_of s3)" "$id $id" "the rule set ids of s2 and s3 (s1's is $id)"
expect_eq "$(users_of s1)" 3 "users of the shared rule set"
expect_in "$("$NACLEMU" status -n "$LAB-s2")" "(shared by 3 interfaces)" "status text of s2"
for h in s1 s2 s3; do
	conn "$h" 8080 ok
	conn "$h" 8081 timeout
done
# Counted per interface: each the same packets of its own two connections
# (a counter shared by the three would show three times as many).
counts=""
for h in s1 s2 s3; do
	lab_stats "$h"
	counts="$counts $(counter inbound 100)"
done
read -r c1 c2 c3 <<<"$counts"
[ "$c1" -ge 4 ] && [ "$c1" = "$c2" ] && [ "$c2" = "$c3" ] ||
	fail "rule 100's packets on s1, s2, s3:$counts (each its own 2 connections, alike)"

# update of s1: its own rule set; s2 and s3 keep theirs, verdicts and all.
expect_exit 0 lab_naclemu update s1 "$LAB_TMP/new.nacl"
expect_eq "$(id_of s2) $(id_of s3)" "$id $id" "s2 and s3 after s1's update"
[ "$(id_of s1)" != "$id" ] || fail "s1 still runs the shared rule set after its update"
expect_eq "$(users_of s1) $(users_of s2)" "1 2" "users after s1's update"
expect_eq "$("$NACLEMU" status -n "$LAB-s2" --json | jq .[0].generation)" 1 "s2's generation"
conn s1 8080 timeout
conn s1 8081 ok
conn s2 8080 ok
conn s2 8081 timeout

# Detaching s2 leaves s3 working on the rule set they shared.
expect_exit 0 lab_naclemu detach s2
expect_eq "$(users_of s3)" 1 "users of s3's rule set after s2 went"
expect_eq "$(id_of s3)" "$id" "s3's rule set after s2 went"
conn s3 8080 ok
conn s3 8081 timeout

# Attached again with the same rules: shared again; with --subnet: not.
expect_exit 0 lab_attach s2 "$LAB_TMP/old.nacl"
expect_eq "$(id_of s2)" "$id" "s2 attached again"
expect_exit 0 lab_naclemu detach s2
expect_exit 0 "$NACLEMU" attach -n "$LAB-s2" -i v-s2 "$LAB_TMP/old.nacl" --subnet 198.51.100.0/24
[ "$(id_of s2)" != "$id" ] || fail "s2 with --subnet shares the rule set without it"
expect_eq "$(users_of s3)" 1 "users of s3's rule set beside s2 with --subnet"
ids
finish
