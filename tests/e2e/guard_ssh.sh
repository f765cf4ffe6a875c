#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# guard_ssh: the lock-out guard (docs/deployment.md).  In an SSH session
# (SSH_CONNECTION), attach and update refuse rules that would deny the
# session's own packets on the interface that carries it, naming the rule,
# and change nothing; --force goes ahead.  The "server" namespace plays
# the host: v-server (198.51.100.20) carries its default route, v-mgmt
# (203.0.113.20) a management subnet; which interface carries a session is
# the route to its client.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status

lab_init nclt-guard
lab_subnet servers 198.51.100.1/24
lab_host server servers 198.51.100.20/24
ns=$(lab_ns server)
ip -n "$ns" link add v-mgmt type veth peer name r-mgmt netns "$LAB-router" || exit 1
ip -n "$ns" addr add 203.0.113.20/24 dev v-mgmt
ip -n "$ns" link set v-mgmt up
ip -n "$LAB-router" link set r-mgmt up

# Inbound SSH only from 192.0.2.0/25; outbound only to ports 1024-49151.
narrow=$LAB_TMP/narrow.nacl
cat >"$narrow" <<'R'
inbound
100 allow tcp 22 192.0.2.0/25
outbound
100 allow tcp 1024-49151 0.0.0.0/0
R
open=$LAB_TMP/open.nacl
printf 'inbound\n100 allow all - 0.0.0.0/0\noutbound\n100 allow all - 0.0.0.0/0\n' >"$open"

attached() { "$NACLEMU" status -n "$ns" -i "$1" >/dev/null 2>&1; }

# 1. A session from 192.0.2.10:40000 through v-server: allowed both ways.
export SSH_CONNECTION="192.0.2.10 40000 198.51.100.20 22"
expect_exit 0 "$NACLEMU" attach -n "$ns" -i v-server "$narrow"
expect_exit 0 "$NACLEMU" detach -n "$ns" -i v-server

# 2. From port 50000: the reply to it falls to the outbound default deny.
export SSH_CONNECTION="192.0.2.10 50000 198.51.100.20 22"
expect_exit 1 "$NACLEMU" attach -n "$ns" -i v-server "$narrow"
expect_in "$err" "v-server carries the SSH session this command runs in (192.0.2.10:50000 -> 198.51.100.20:22)"
expect_in "$err" "outbound the default deny (*) denies tcp 198.51.100.20:22 -> 192.0.2.10:50000"
expect_in "$err" "--force"
attached v-server && fail "a refused attach left v-server attached"
expect_eq "$(lab_our_progs "$ns" v-server ingress)" 0 "programs on v-server ingress after the refusal"
expect_eq "$(lab_our_progs "$ns" v-server egress)" 0 "programs on v-server egress after the refusal"
[ -e "$LAB_PIN_ROOT/$ns/v-server" ] && fail "a refused attach left pinned state"

# 3. From outside 192.0.2.0/25: the inbound leg is denied, by the default deny.
export SSH_CONNECTION="192.0.2.200 40000 198.51.100.20 22"
expect_exit 1 "$NACLEMU" attach -n "$ns" -i v-server "$narrow"
expect_in "$err" "inbound the default deny (*) denies tcp 192.0.2.200:40000 -> 198.51.100.20:22"

# 4. A named rule that denies: inbound 50 deny from the session's client.
deny=$LAB_TMP/deny.nacl
printf 'inbound\n50 deny tcp 22 192.0.2.10/32\n100 allow all - 0.0.0.0/0\noutbound\n100 allow all - 0.0.0.0/0\n' >"$deny"
export SSH_CONNECTION="192.0.2.10 40000 198.51.100.20 22"
expect_exit 1 "$NACLEMU" attach -n "$ns" -i v-server "$deny"
expect_in "$err" "inbound rule 50 denies tcp 192.0.2.10:40000 -> 198.51.100.20:22"

# 5. --exempt of the client's address: nothing of the session is judged.
expect_exit 0 "$NACLEMU" attach -n "$ns" -i v-server "$deny" --exempt 192.0.2.10/32
expect_exit 0 "$NACLEMU" detach -n "$ns" -i v-server

# 6. --force attaches anyway.
expect_exit 0 "$NACLEMU" attach -n "$ns" -i v-server "$deny" --force
attached v-server || fail "--force did not attach"

# 7. update: refused with the interface's own CIDRs, the rules stay.
expect_exit 0 "$NACLEMU" update -n "$ns" -i v-server "$open" --force
gen=$("$NACLEMU" status -n "$ns" -i v-server --json | jq '.[0].generation')
expect_exit 1 "$NACLEMU" update -n "$ns" -i v-server "$deny"
expect_in "$err" "inbound rule 50 denies tcp 192.0.2.10:40000 -> 198.51.100.20:22"
expect_eq "$("$NACLEMU" status -n "$ns" -i v-server --json | jq '.[0].generation')" "$gen" \
	"generation after a refused update"
expect_exit 0 "$NACLEMU" update -n "$ns" -i v-server "$deny" --force
expect_exit 0 "$NACLEMU" detach -n "$ns" -i v-server

# 8. Which interface carries it: a client on the management subnet is
# reached by v-mgmt, so rules on v-server cannot cut it off.
export SSH_CONNECTION="203.0.113.5 40000 198.51.100.20 22"
expect_exit 0 "$NACLEMU" attach -n "$ns" -i v-server "$deny"
expect_exit 0 "$NACLEMU" detach -n "$ns" -i v-server
expect_exit 1 "$NACLEMU" attach -n "$ns" -i v-mgmt "$narrow"
expect_in "$err" "v-mgmt carries the SSH session"

# 9. A session of another host (its server address is not local here).
export SSH_CONNECTION="192.0.2.10 50000 192.0.2.1 22"
expect_exit 0 "$NACLEMU" attach -n "$ns" -i v-server "$narrow"
expect_exit 0 "$NACLEMU" detach -n "$ns" -i v-server

# 10. IPv4-mapped addresses (sshd on a dual-stack socket) are IPv4.
export SSH_CONNECTION="::ffff:192.0.2.10 50000 ::ffff:198.51.100.20 22"
expect_exit 1 "$NACLEMU" attach -n "$ns" -i v-server "$narrow"
expect_in "$err" "(192.0.2.10:50000 -> 198.51.100.20:22)"

# 11. A malformed SSH_CONNECTION is an error that names it; --force skips it.
export SSH_CONNECTION="192.0.2.10 50000 198.51.100.20"
expect_exit 1 "$NACLEMU" attach -n "$ns" -i v-server "$open"
expect_in "$err" "SSH_CONNECTION"
attached v-server && fail "attach with a malformed SSH_CONNECTION attached"
expect_exit 0 "$NACLEMU" attach -n "$ns" -i v-server "$open" --force
expect_exit 0 "$NACLEMU" detach -n "$ns" -i v-server
unset SSH_CONNECTION

# 12. run takes --force too (and refuses without it).
export SSH_CONNECTION="192.0.2.10 50000 198.51.100.20 22"
expect_exit 1 "$NACLEMU" run -n "$ns" -i v-server "$narrow" --timeout 1
expect_in "$err" "carries the SSH session"
expect_exit 0 "$NACLEMU" run -n "$ns" -i v-server "$narrow" --timeout 1 --force
attached v-server && fail "run left v-server attached"
unset SSH_CONNECTION

# 13. apply: the guard on every step that makes rules live, before any
# change; --dry-run says so too; --force goes ahead.
if lab_has_cmd apply; then
	cfg=$LAB_TMP/host.yaml
	printf 'version: 1\nnacls:\n  - name: uplink\n    netns: %s\n    interfaces: v-server\n    rules: narrow.nacl\n' \
		"$ns" >"$cfg"
	export SSH_CONNECTION="192.0.2.10 50000 198.51.100.20 22"
	expect_exit 1 "$NACLEMU" apply "$cfg"
	expect_in "$err" "entry uplink"
	expect_in "$err" "outbound the default deny (*) denies tcp 198.51.100.20:22 -> 192.0.2.10:50000"
	attached v-server && fail "a refused apply attached v-server"
	expect_exit 1 "$NACLEMU" apply --dry-run "$cfg"
	expect_in "$err" "carries the SSH session"
	export SSH_CONNECTION="192.0.2.10 40000 198.51.100.20 22"
	expect_exit 0 "$NACLEMU" apply "$cfg"
	export SSH_CONNECTION="192.0.2.10 50000 198.51.100.20 22"
	expect_exit 0 "$NACLEMU" apply "$cfg"  # nothing changes: nothing to refuse
	printf 'inbound\noutbound\n' >"$LAB_TMP/narrow.nacl"
	expect_exit 1 "$NACLEMU" apply "$cfg"
	expect_in "$err" "inbound the default deny (*)"
	expect_exit 0 "$NACLEMU" apply --force "$cfg"
	unset SSH_CONNECTION
	printf 'version: 1\nnacls: []\n' >"$cfg"
	expect_exit 0 "$NACLEMU" apply "$cfg"
fi

finish
