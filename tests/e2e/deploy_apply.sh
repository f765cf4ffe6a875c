#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/deploy_apply.sh - `naclemu apply CONFIG` (docs/config.md) in
# network namespaces.
#
# Two host namespaces, four interfaces: v-one in one, v-two and the pattern
# vx-* (vx-1, vx-2) in two.  hand0 in one is attached by hand; v-one carries
# a foreign TC filter or tcx program.  In order:
#   --dry-run prints the plan (+ attach x4) and changes nothing;
#   apply attaches the four, managed; the second apply says "No changes.";
#   editing one rule file updates only v-one, its unrelated counters kept;
#   an invalid configuration (bad CIDR, missing interface, missing rule
#   file) changes nothing anywhere;
#   a failure injected part-way (NACLEMU_FAULT=apply.update.vx-2) rolls the
#   attach and updates before it back: the configuration of before is "No changes.";
#   removing the second entry detaches exactly v-two, vx-1, vx-2 (first
#   with the last detach failing: the two before it are attached again);
#   a configuration that names hand0 adopts it; the empty configuration
#   detaches everything apply manages.
# The foreign program and hand0 (until adopted) are checked after every step.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach status stats apply
command -v clang >/dev/null || skip "clang is not installed (for the foreign program)"

lab_init "nclt-ap$$"
lab_subnet a 192.0.2.1/24
lab_host one a 192.0.2.10/24
lab_host two a 192.0.2.20/24
ns1=$LAB-one ns2=$LAB-two
for i in 1 2; do
	ip -n "$ns2" link add "vx-$i" type veth peer name "vy-$i" || fail "veth vx-$i"
	ip -n "$ns2" link set "vx-$i" up
done
ip -n "$ns1" link add hand0 type veth peer name hand1 || fail "veth hand0"
ip -n "$ns1" link add vz-1 type veth peer name vz-2 || fail "veth vz-1"

cfg=$LAB_TMP/host.yaml
mkdir -p "$LAB_TMP/rules"
printf 'inbound\n  100 allow icmp all 0.0.0.0/0\n  200 allow all - 0.0.0.0/0\noutbound\n  100 allow icmp all 0.0.0.0/0\n  200 allow all - 0.0.0.0/0\n' \
	>"$LAB_TMP/rules/one.nacl"
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/rules/two.nacl"
cp "$LAB_TMP/rules/two.nacl" "$LAB_TMP/hand.nacl"

# entry_one: the configuration's start and its entry one; write_config
# [EXTRA-ENTRY-YAML]: entries one and two (rules relative to the file).
entry_one() {
	cat <<EOF
version: 1
nacls:
  - name: one
    netns: $ns1
    interfaces: v-one
    rules: rules/one.nacl
    subnet: 198.51.100.0/24
EOF
}
write_config() {
	{
		entry_one
		cat <<EOF
  - name: two
    netns: /run/netns/$ns2
    interfaces: [v-two, "vx-*"]
    rules: rules/two.nacl
$1
EOF
	} >"$cfg"
}

# The foreign program on v-one's ingress: a tcx link or a TC filter.
cat >"$LAB_TMP/foreign.c" <<'C'
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
SEC("tc") int foreign(struct __sk_buff *skb) { return TC_ACT_UNSPEC; }
char LICENSE[] SEC("license") = "GPL";
C
clang -O2 -g -target bpf -I"/usr/include/$(gcc -print-multiarch 2>/dev/null)" \
	-c "$LAB_TMP/foreign.c" -o "$LAB_TMP/foreign.o" || skip "cannot build the foreign BPF program"
foreign_pin=/sys/fs/bpf/nclt-apforeign-$$
trap 'rm -f "$foreign_pin"; lab_cleanup' EXIT
if [ "$NACLEMU_HOOK" = tcx ]; then
	"$TCX" -n "$ns1" attach v-one ingress "$LAB_TMP/foreign.o" "$foreign_pin" ||
		fail "cannot attach the foreign tcx program"
	foreign_there() { "$TCX" -n "$ns1" query v-one ingress | grep -qw foreign; }
else
	tc -n "$ns1" qdisc add dev v-one clsact
	tc -n "$ns1" filter add dev v-one ingress prio 200 handle 7 bpf da obj "$LAB_TMP/foreign.o" \
		sec tc || fail "cannot add the foreign filter"
	foreign_there() { tc -n "$ns1" filter show dev v-one ingress | grep -q 'handle 0x7'; }
fi

# attached: "netns/iface:generation:managed" of our namespaces, sorted.
attached() {
	"$NACLEMU" status --json | jq -r --arg lab "$LAB" \
		'.[] | select((.netns // "") | startswith($lab)) |
		 "\(.netns)/\(.interface):\(.generation):\(.managed)"' | sort | tr '\n' ' '
}
# check STEP: the foreign program and the hand-attached hand0 are still there.
check() {
	foreign_there || fail "$1: the foreign program on v-one is gone"
	case $(attached) in
	*"$ns1/hand0:1:false"*) ;;
	*) fail "$1: hand0 (attached by hand) was touched: $(attached)" ;;
	esac
}

expect_exit 0 "$NACLEMU" attach -n "$ns1" -i hand0 "$LAB_TMP/hand.nacl"
write_config

# ---- dry run: the plan, nothing changed ----
expect_exit 0 "$NACLEMU" apply --dry-run "$cfg"
for i in "$ns1):" "$ns2):"; do expect_in "$out" "$i" "the plan"; done
expect_in "$out" "+   attach  v-one (netns $ns1): $LAB_TMP/rules/one.nacl, entry one" "dry-run plan"
expect_in "$out" "+   attach  vx-2 (netns $ns2)" "dry-run plan (pattern)"
expect_in "$out" "Plan: 4 to attach, 0 to update, 0 to replace, 0 to adopt, 0 to detach; 0 unchanged." \
	"dry-run summary"
expect_not_in "$out" "hand0" "dry-run plan"
expect_eq "$(attached)" "$ns1/hand0:1:false " "attached after --dry-run"
check "dry-run"

# ---- first apply ----
expect_exit 0 "$NACLEMU" apply "$cfg"
expect_in "$out" "Apply complete: 4 changes." "first apply"
expect_eq "$(attached)" \
	"$ns1/hand0:1:false $ns1/v-one:1:true $ns2/v-two:1:true $ns2/vx-1:1:true $ns2/vx-2:1:true " \
	"attached after the first apply"
expect_eq "$(lab_our_progs "$ns2" vx-1 ingress)$(lab_our_progs "$ns2" vx-1 egress)" 11 "vx-1 hooks"
check "first apply"

# ---- second apply: nothing ----
expect_exit 0 "$NACLEMU" apply "$cfg"
expect_eq "$out" "No changes. 4 interfaces match $cfg." "second apply"
check "second apply"

# ---- traffic, then one rule file edited: only v-one is updated ----
expect_exit 0 lab_exec one ping -c 3 -i 0.2 -W 2 192.0.2.1
lab_stats one
ping_in=$(counter inbound 100)
[ "$ping_in" -ge 3 ] || fail "v-one inbound rule 100 counted $ping_in pings, want >= 3"
printf 'inbound\n  100 allow icmp all 0.0.0.0/0\n  150 deny udp 9 0.0.0.0/0\n  200 allow all - 0.0.0.0/0\noutbound\n  100 allow icmp all 0.0.0.0/0\n  200 allow all - 0.0.0.0/0\n' \
	>"$LAB_TMP/rules/one.nacl"
expect_exit 0 "$NACLEMU" apply --dry-run "$cfg"
expect_in "$out" "~   update  v-one (netns $ns1)" "plan after an edit"
expect_in "$out" "region of traffic change verdict" "the update's diff"
expect_in "$out" "deny 150" "the update's diff names the new rule"
expect_in "$out" "Plan: 0 to attach, 1 to update, 0 to replace, 0 to adopt, 0 to detach; 3 unchanged." \
	"plan after an edit"
expect_exit 0 "$NACLEMU" apply "$cfg"
expect_eq "$(attached)" \
	"$ns1/hand0:1:false $ns1/v-one:2:true $ns2/v-two:1:true $ns2/vx-1:1:true $ns2/vx-2:1:true " \
	"after the update"
lab_stats one
[ "$(counter inbound 100)" -ge "$ping_in" ] ||
	fail "v-one rule 100 lost its counts in the update: $ping_in -> $(counter inbound 100)"
check "update"
before=$(attached)

# ---- invalid configurations change nothing anywhere ----
cp "$cfg" "$LAB_TMP/good.yaml"
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n' >"$LAB_TMP/rules/two.nacl" # a change...
write_config "  - name: bad
    netns: $ns1
    interfaces: hand1
    rules: rules/two.nacl
    exempt: [192.0.2.0/33]"
expect_exit 1 "$NACLEMU" apply "$cfg"
expect_in "$err" "naclemu: $cfg:16:14: nacls[2].exempt[0]: '192.0.2.0/33' is not a CIDR" "bad CIDR"
expect_eq "$(attached)" "$before" "after an invalid CIDR"
write_config "  - name: gone
    netns: $ns1
    interfaces: nosuch0
    rules: rules/two.nacl"
expect_exit 2 "$NACLEMU" apply "$cfg"
expect_in "$err" "$cfg:12:5: entry gone: interface nosuch0 does not exist in network namespace $ns1" \
	"a missing interface"
expect_eq "$(attached)" "$before" "after a missing interface"
write_config "  - name: norules
    netns: $ns1
    interfaces: hand1
    rules: rules/nothere.nacl"
expect_exit 1 "$NACLEMU" apply "$cfg"
expect_in "$err" "$cfg:15:12: nacls[2].rules: $LAB_TMP/rules/nothere.nacl: cannot open" "a missing rule file"
expect_eq "$(attached)" "$before" "after a missing rule file"
check "invalid configurations"
cp "$LAB_TMP/rules/one.nacl" "$LAB_TMP/one.kept"

# ---- a failure part-way is rolled back ----
# two.nacl changed above (an update of v-two, vx-1, vx-2), and a new entry
# attaches vz-1 (first: namespace one sorts first).  The update of vx-2,
# the last step, fails: the attach and the two updates before it are undone.
write_config "  - name: z
    netns: $ns1
    interfaces: vz-1
    rules: rules/two.nacl"
expect_exit 2 env NACLEMU_FAULT=apply.update.vx-2 "$NACLEMU" apply "$cfg"
expect_in "$err" "apply failed at update vx-2 (netns $ns2): apply.update.vx-2 failed" "injected failure"
expect_in "$err" "rolled back: the 3 steps done before are undone" "rollback"
case $(attached) in *vz-1*) fail "vz-1 attached after the rollback: $(attached)" ;; esac
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/rules/two.nacl"
expect_exit 0 "$NACLEMU" apply --dry-run "$LAB_TMP/good.yaml"
expect_eq "$out" "No changes. 4 interfaces match $LAB_TMP/good.yaml." "the state after the rollback"
lab_stats one
[ "$(counter inbound 100)" -ge "$ping_in" ] || fail "v-one rule 100 counts lost in the rollback"
check "rollback"

# ---- removing an entry detaches exactly its interfaces ----
entry_one >"$cfg"
# First with the last detach failing: the two before it are attached again
# from their snapshots (rules, options, the managed mark).
expect_exit 2 env NACLEMU_FAULT=apply.detach.vx-2 "$NACLEMU" apply "$cfg"
expect_in "$err" "rolled back: the 2 steps done before are undone" "rollback of detaches"
expect_exit 0 "$NACLEMU" apply --dry-run "$LAB_TMP/good.yaml"
expect_eq "$out" "No changes. 4 interfaces match $LAB_TMP/good.yaml." "after the detaches' rollback"
expect_eq "$(lab_our_progs "$ns2" vx-1 ingress)$(lab_our_progs "$ns2" vx-1 egress)" 11 \
	"vx-1 hooks after the detaches' rollback"
check "rollback of detaches"
expect_exit 0 "$NACLEMU" apply "$cfg"
for i in v-two vx-1 vx-2; do expect_in "$out" "-   detach  $i (netns $ns2)" "removing an entry"; done
expect_in "$out" "Plan: 0 to attach, 0 to update, 0 to replace, 0 to adopt, 3 to detach; 1 unchanged." \
	"removing an entry"
expect_eq "$(attached)" "$ns1/hand0:1:false $ns1/v-one:2:true " "after removing an entry"
expect_eq "$(lab_our_progs "$ns2" vx-1 ingress)$(lab_our_progs "$ns2" vx-1 egress)" 00 "vx-1 hooks"
check "removing an entry"

# ---- an option fixed at attach: replace ----
sed -i 's|subnet: 198.51.100.0/24|subnet: 203.0.113.0/24|' "$cfg"
expect_exit 0 "$NACLEMU" apply "$cfg"
expect_in "$out" "-/+ replace v-one (netns $ns1)" "a changed subnet"
expect_in "$out" "      subnet" "the replace says why"
expect_eq "$(attached)" "$ns1/hand0:1:false $ns1/v-one:1:true " "after the replace"
check "replace"

# ---- naming the hand-attached interface adopts it ----
cat >>"$cfg" <<EOF
  - name: hand
    netns: $ns1
    interfaces: hand0
    rules: $LAB_TMP/hand.nacl
EOF
expect_exit 0 "$NACLEMU" apply "$cfg"
expect_in "$out" "~   adopt   hand0 (netns $ns1)" "adoption"
expect_eq "$(attached)" "$ns1/hand0:1:true $ns1/v-one:1:true " "after the adoption"
foreign_there || fail "adoption: the foreign program is gone"

# ---- the empty configuration removes what apply manages ----
: >"$cfg"
expect_exit 0 "$NACLEMU" apply "$cfg"
expect_in "$out" "2 to detach" "the empty configuration"
expect_eq "$(attached)" "" "after the empty configuration"
foreign_there || fail "empty configuration: the foreign program is gone"
expect_exit 0 "$NACLEMU" apply "$cfg"
expect_eq "$out" "No changes. 0 interfaces match $cfg." "the empty configuration again"
finish
