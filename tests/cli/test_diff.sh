#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `naclemu diff OLD NEW`: exit statuses (0 no verdict changes, 3 some
# change, 1 invalid input), the text and --json renderings, the selection
# of one ACL in both files, files of different formats, and errors
# (docs/semantics.md section 3).  Runs the ASan/UBSan build of the tool.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
N=$NACLEMU_SAN
[ -x "$N" ] || skip "$N is not built (make test-build)"
"$N" diff --help >/dev/null 2>&1 || skip "$N has no diff command"
command -v jq >/dev/null || skip "jq is not installed"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

OLD=examples/web-server-no-ephemeral.nacl
NEW=examples/web-server.nacl

# --help: usage, options, an example.
expect_exit 0 "$N" diff --help
expect_in "$out" "Usage: naclemu diff OLD NEW"
expect_in "$out" "--subnet-id"
expect_in "$out" "Example:"

# The web server's missing outbound ephemeral rule, added.
expect_exit 3 "$N" diff $OLD $NEW
expect_in "$out" "naclemu diff $OLD -> $NEW: 6 regions of traffic change verdict"
expect_in "$out" "DIRECTION FAM  PROTO  PORTS/ICMP      OLD         NEW         PEER"
expect_in "$out" "inbound   IPv4 tcp    443             deny *      allow 110   0.0.0.0/0"
expect_in "$out" "inbound   IPv6 tcp    443             deny *      allow 130   ::/0"
expect_in "$out" "outbound  IPv4 tcp    80              allow 100   deny *      0.0.0.0/0"
expect_in "$out" "outbound  IPv4 tcp    1024-65535      deny *      allow 100   0.0.0.0/0"
expect_in "$out" "outbound  IPv6 tcp    1024-65535      deny *      allow 110   ::/0"
expect_in "$out" "  outbound  linux          closed -> open             0.0.0.0/0"
expect_in "$out" "  outbound  elb/nat        closed -> open             ::/0"
expect_not_in "$out" "  inbound   linux" "unchanged ephemeral rows"
expect_eq "$(grep -c '^[a-z]*bound  *IPv' <<<"$out")" 6 "region lines"
expect_eq "$err" "" "stderr"
# Lines stay within about 100 columns.
expect_eq "$(awk 'length > 100' <<<"$(sed 1d <<<"$out")")" "" "long lines"

# The other way round: the same regions, verdicts swapped.
expect_exit 3 "$N" diff $NEW $OLD
expect_in "$out" "outbound  IPv4 tcp    1024-65535      allow 100   deny *      0.0.0.0/0"
expect_in "$out" "  outbound  linux          open -> closed             0.0.0.0/0"

# The same file, and the same rules renumbered and reordered: no difference.
expect_exit 0 "$N" diff $NEW $NEW
expect_eq "$out" "naclemu diff $NEW -> $NEW: no difference in any verdict

ephemeral ports: no change for TCP responses to clients' ephemeral ports" "identical"
cat >"$tmp/renumbered.nacl" <<'EOF'
outbound
  7    allow  tcp  1024-65535   ::/0
  5    allow  tcp  1024-32767   0.0.0.0/0
  6    allow  tcp  32768-65535  0.0.0.0/0
inbound
  1    allow  tcp  80           0.0.0.0/0
  2    allow  tcp  80           ::/0
  3    allow  tcp  443          ::/0
  4    allow  tcp  443          0.0.0.0/0
EOF
expect_exit 0 "$N" diff $NEW "$tmp/renumbered.nacl"
expect_in "$out" "no difference in any verdict"

# The same NACL as AWS JSON: formats do not matter, only meaning.
cat >"$tmp/web.json" <<'EOF'
{"Entries": [
 {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 80, "To": 80}},
 {"RuleNumber": 110, "Protocol": "6", "RuleAction": "allow", "Egress": false, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 443, "To": 443}},
 {"RuleNumber": 120, "Protocol": "6", "RuleAction": "allow", "Egress": false, "Ipv6CidrBlock": "::/0", "PortRange": {"From": 80, "To": 80}},
 {"RuleNumber": 130, "Protocol": "6", "RuleAction": "allow", "Egress": false, "Ipv6CidrBlock": "::/0", "PortRange": {"From": 443, "To": 443}},
 {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": true, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 1024, "To": 65535}},
 {"RuleNumber": 110, "Protocol": "6", "RuleAction": "allow", "Egress": true, "Ipv6CidrBlock": "::/0", "PortRange": {"From": 1024, "To": 65535}},
 {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": false, "CidrBlock": "0.0.0.0/0"},
 {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": true, "CidrBlock": "0.0.0.0/0"}
]}
EOF
expect_exit 0 "$N" diff "$tmp/web.json" $NEW
expect_in "$out" "no difference in any verdict"
expect_exit 3 "$N" diff $OLD "$tmp/web.json"

# --json: one document a script can rely on.
expect_exit 3 "$N" diff --json $OLD $NEW
expect_eq "$(jq -r '.changed' <<<"$out")" "true" "json changed"
expect_eq "$(jq -r '.old + " " + .new' <<<"$out")" "$OLD $NEW" "json files"
expect_eq "$(jq '.regions | length' <<<"$out")" 6 "json regions"
expect_eq "$(jq -c '.regions[3]' <<<"$out")" \
	'{"direction":"outbound","family":4,"protocol":6,"protocol_name":"tcp","except":[],"ports":{"from":1024,"to":65535},"icmp":null,"fragments":false,"cidrs":["0.0.0.0/0"],"old":{"action":"deny","rule":32767},"new":{"action":"allow","rule":100}}' \
	"json region"
expect_eq "$(jq -c '[.regions[] | select(.family == 6) | .old.rule] | unique' <<<"$out")" '[120,32768]' \
	"json IPv6 old rules"
expect_eq "$(jq -c '[.ephemeral[] | select(.changed) | .direction] | unique' <<<"$out")" '["outbound"]' \
	"json ephemeral changed"
expect_eq "$(jq -c '[.ephemeral[] | select(.direction == "outbound" and .family == 4 and .client == "linux")][0] | [.old.closed_ports, .new.open]' <<<"$out")" \
	'[28232,true]' "json ephemeral linux"
expect_eq "$(jq -c '[.shadowed, .unshadowed]' <<<"$out")" '[[],[]]' "json shadows"
expect_exit 0 "$N" diff $NEW $NEW --json
expect_eq "$(jq -c '[.changed, .regions]' <<<"$out")" '[false,[]]' "json no difference"

# ICMP, later fragments, every other protocol, several CIDRs.
cat >"$tmp/a.nacl" <<'EOF'
inbound
  100  allow  all   -    0.0.0.0/0
  110  allow  icmp  all  ::/0
outbound
  100  allow  tcp   all  192.0.2.0/24
EOF
cat >"$tmp/b.nacl" <<'EOF'
inbound
  100  allow  tcp   all  0.0.0.0/0
  110  allow  icmp  3/4  ::/0
outbound
  90   deny   tcp   all  192.0.2.64/26
  100  allow  tcp   0-1023  192.0.2.0/24
EOF
expect_exit 3 "$N" diff "$tmp/a.nacl" "$tmp/b.nacl"
expect_in "$out" "inbound   IPv4 other  all             allow 100   deny *      0.0.0.0/0"
expect_in "$out" "other: every protocol but tcp (inbound IPv4)"
expect_in "$out" "inbound   IPv6 icmp   0/0-3/3         allow 110   deny *      ::/0"
expect_in "$out" "inbound   IPv6 icmp   3/5-255/255     allow 110   deny *      ::/0"
expect_in "$out" "inbound   IPv6 icmp   fragments       allow 110   deny *      ::/0"
expect_in "$out" "outbound  IPv4 tcp    fragments       allow 100   deny *      192.0.2.0/26, 192.0.2.128/25"
expect_in "$out" "outbound  IPv4 tcp    all             allow 100   deny 90     192.0.2.64/26"
expect_exit 3 "$N" diff --json "$tmp/a.nacl" "$tmp/b.nacl"
expect_eq "$(jq -c '.regions[] | select(.protocol == -1) | [.protocol_name, .except, .ports, .fragments]' <<<"$out")" \
	'["other",[6],null,true]' "json other"
expect_eq "$(jq -c '[.regions[] | select(.icmp != null)][1].icmp' <<<"$out")" \
	'{"from":{"type":3,"code":5},"to":{"type":255,"code":255}}' "json icmp"
expect_eq "$(jq -c '.regions[] | select(.direction == "outbound" and .ports == null) | .cidrs' <<<"$out")" \
	'["192.0.2.0/26","192.0.2.128/25"]' "json fragments cidrs"

# Renumbering that hides a rule: no verdict changes, the rule is shadowed.
printf 'inbound\n 100 allow tcp 80 0.0.0.0/0\n 200 allow all - 0.0.0.0/0\n' >"$tmp/s1.nacl"
printf 'inbound\n 100 allow all - 0.0.0.0/0\n 200 allow tcp 80 0.0.0.0/0\n' >"$tmp/s2.nacl"
expect_exit 0 "$N" diff "$tmp/s1.nacl" "$tmp/s2.nacl"
expect_in "$out" "no difference in any verdict"
expect_in "$out" "newly never reached in NEW"
expect_in "$out" "inbound   200 allow tcp 80 0.0.0.0/0: rule 100 before it matches all it matches"
expect_exit 0 "$N" diff --json "$tmp/s1.nacl" "$tmp/s2.nacl"
expect_eq "$(jq -c '.shadowed' <<<"$out")" \
	'[{"direction":"inbound","family":4,"rule":200,"old_rule":100,"text":"200 allow tcp 80 0.0.0.0/0","by":[100]}]' \
	"json shadowed"
expect_exit 0 "$N" diff "$tmp/s2.nacl" "$tmp/s1.nacl"
expect_in "$out" "reached again in NEW (never reached in OLD):"
expect_in "$out" "inbound   100 allow tcp 80 0.0.0.0/0 (in OLD, rule 100 before it matched all it matches)"

# Selecting one ACL of a multi-ACL file applies to both files.
J=examples/describe-network-acls.json
jq '(.NetworkAcls[0].Entries[] | select(.RuleNumber == 100 and .Egress == false) | .RuleAction) = "deny"' \
	$J >"$tmp/acls.json"
expect_exit 3 "$N" diff $J "$tmp/acls.json" --acl acl-0a1b2c3d4e5f60001
expect_in "$out" "allow 100   deny 100"
expect_exit 0 "$N" diff $J "$tmp/acls.json" --acl acl-0a1b2c3d4e5f60002
expect_exit 3 "$N" diff --subnet-id subnet-0aaaa1111bbbb2222 $J "$tmp/acls.json"
expect_exit 1 "$N" diff $J "$tmp/acls.json"
expect_in "$err" "choose one with --acl ID or --subnet-id ID"
expect_exit 1 "$N" diff $J "$tmp/acls.json" --acl acl-nope
expect_in "$err" "acl-nope"
expect_eq "$out" "" "stdout on error"
expect_exit 1 "$N" diff $J $NEW --acl acl-0a1b2c3d4e5f60001
expect_eq "$err" "naclemu: $NEW: --acl applies to a file that holds ACLs: AWS JSON, Terraform or CloudFormation"

# Errors: one line on stderr, nothing on stdout, exit 1.
expect_exit 1 "$N" diff $OLD
expect_eq "$err" "naclemu: diff: expected two rule files, OLD and NEW (see 'naclemu diff --help')"
expect_exit 1 "$N" diff $OLD $NEW $NEW
expect_in "$err" "expected two rule files"
expect_exit 1 "$N" diff --bogus $OLD $NEW
expect_eq "$err" "naclemu: diff: invalid option '--bogus' (see 'naclemu diff --help')"
expect_eq "$out" "" "stdout on a bad option"
expect_exit 1 "$N" diff $OLD $NEW --acl
expect_eq "$err" "naclemu: diff: option '--acl' needs a value (see 'naclemu diff --help')"
expect_exit 1 "$N" diff $OLD /nonexistent.nacl
expect_eq "$err" "naclemu: /nonexistent.nacl: cannot open: No such file or directory"
expect_eq "$out" "" "stdout on a missing file"
printf 'inbound\n  100 allow tcp 443-80 0.0.0.0/0\n' >"$tmp/bad.nacl"
expect_exit 1 "$N" diff --json "$tmp/bad.nacl" $NEW
expect_eq "$err" "naclemu: $tmp/bad.nacl:2:17: port range 443-80 is reversed"
expect_eq "$out" "" "stdout on invalid rules"

# A Terraform plan against the state it starts from: the web tier's
# missing ephemeral rules are the only change.
expect_exit 3 "$N" diff examples/web-lb.before.tfstate.json examples/web-lb.tfplan.json --acl aws_network_acl.web --json
expect_eq "$(jq -c '[.regions[] | [.direction, .family, .protocol, .ports.from, .ports.to, .old.action, .new.action]]' <<<"$out")" \
	'[["outbound",4,6,1024,65535,"deny","allow"],["outbound",6,6,1024,65535,"deny","allow"]]' \
	"regions of the Terraform plan"

finish
