#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/deploy_confirm.sh - `naclemu apply --confirm SECONDS` and
# `naclemu confirm` (docs/deployment.md, "Commit confirmed").  Configuration
# A puts an open NACL on a1; B a stricter one on a1 and an open one on a2.
# In order:
#   B with --confirm 2 and no confirm: the state of A is back within 3 s
#   (a1's rules, a2 detached), and `confirm` then says what happened;
#   B with --confirm 2, its process killed with SIGKILL as soon as its
#   change shows: the state of A is back all the same;
#   B with --confirm 3 and `confirm`: B stays past the deadline;
#   a second --confirm, or a plain apply, while one is pending is refused;
#   a watchdog killed is reported by confirm and blocks nothing;
#   `confirm` with nothing pending exits 1.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds apply confirm status

lab_init "nclt-cf$$"
lab_mkns host
ns=$LAB-host
ip -n "$ns" link add a1 type veth peer name b1 || exit 1
ip -n "$ns" link add a2 type veth peer name b2 || exit 1
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/open.nacl"
printf 'inbound\n  90 deny tcp 23 0.0.0.0/0\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' \
	>"$LAB_TMP/strict.nacl"
entry() { printf '  - name: %s\n    netns: %s\n    interfaces: %s\n    rules: %s\n' "$1" "$ns" "$2" "$3"; }
{ echo 'version: 1'; echo 'nacls:'; entry one a1 open.nacl; } >"$LAB_TMP/a.yaml"
{ echo 'version: 1'; echo 'nacls:'; entry one a1 strict.nacl; entry two a2 open.nacl; } >"$LAB_TMP/b.yaml"
printf 'version: 1\nnacls: []\n' >"$LAB_TMP/empty.yaml"
A=$LAB_TMP/a.yaml B=$LAB_TMP/b.yaml

# until_ok SECONDS CMD...: CMD every 50 ms until it succeeds, else 1.
until_ok() {
	local i n=$(($1 * 20))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
is_state() { "$NACLEMU" apply --dry-run "$1" | grep -q '^No changes\.'; }
attached() { "$NACLEMU" status -n "$ns" -i "$1"; }

expect_exit 0 "$NACLEMU" apply "$A"
expect_exit 1 "$NACLEMU" confirm
expect_in "$err" "no apply waits for a confirm"

# 1. No confirm: the state before comes back.
expect_exit 0 "$NACLEMU" apply --confirm 2 "$B"
expect_in "$out" "naclemu confirm"
is_state "$B" || fail "B is not in force after its apply"
until_ok 3 is_state "$A" || fail "the state of A did not come back within 3 s (--confirm 2)"
attached a2 >/dev/null 2>&1 && fail "a2 is still attached after the rollback"
expect_exit 1 "$NACLEMU" confirm
expect_in "$err" "restored the state before"

# 2. The apply process killed: the watchdog is not its child, it restores.
"$NACLEMU" apply --confirm 2 "$B" >"$LAB_TMP/apply.out" 2>&1 &
apid=$!
until_ok 10 attached a2 || fail "the apply of B did not attach a2"
kill -KILL "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
until_ok 3 is_state "$A" || fail "the state of A did not come back within 3 s after the apply was killed"

# 3. Confirmed: B stays past the deadline.
expect_exit 0 "$NACLEMU" apply --confirm 3 "$B"
expect_exit 0 "$NACLEMU" confirm
expect_in "$out" "confirmed"
sleep 4
is_state "$B" || fail "B did not stay after confirm"

# 4. One pending confirm at a time.
expect_exit 0 "$NACLEMU" apply --confirm 30 "$A"
expect_exit 1 "$NACLEMU" apply --confirm 5 "$B"
expect_in "$err" "waits for 'naclemu confirm'"
# A plain apply too: the watchdog would undo it at the deadline.
expect_exit 1 "$NACLEMU" apply "$B"
expect_in "$err" "waits for 'naclemu confirm'"
is_state "$A" || fail "a refused apply changed the state"
expect_exit 0 "$NACLEMU" confirm

# 4b. A watchdog killed: confirm says nothing will roll back, and the next
# --confirm is not blocked by its record.
expect_exit 0 "$NACLEMU" apply --confirm 30 "$B"
wd=$(pgrep -f -- "apply --confirm 30 $B" | head -n 1)
[ -n "$wd" ] || fail "no watchdog process found"
[ -n "$wd" ] && kill -KILL "$wd"
sleep 0.2
expect_exit 2 "$NACLEMU" confirm
expect_in "$err" "is gone"
expect_exit 0 "$NACLEMU" apply --confirm 30 "$A"
expect_exit 0 "$NACLEMU" confirm

# 5. Bad values of --confirm.
expect_exit 1 "$NACLEMU" apply --confirm 0 "$B"
expect_exit 1 "$NACLEMU" apply --confirm x "$B"
expect_exit 1 "$NACLEMU" confirm extra

expect_exit 0 "$NACLEMU" apply "$LAB_TMP/empty.yaml"
finish
