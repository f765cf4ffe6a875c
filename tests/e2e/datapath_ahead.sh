#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_ahead.sh - status names the foreign programs that run
# in front of naclemu's on a tcx hook ("ahead"): tcx runs a hook's programs
# in order, so one in front sees every packet first and can drop or pass
# it before the NACL judges.  A foreign program behind ours is not ahead;
# one attached in front of ours (BPF_F_BEFORE, tests/tools/tcx.c "first")
# is, in status's text and in --json's "ahead" per direction (count and
# program ids), until it goes.  On clsact "ahead" is null.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach status
command -v clang >/dev/null || skip "clang is not installed (for the foreign program)"

lab_init "nclt-ahd$$"
lab_subnet a 192.0.2.1/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/a.nacl"

ahead() { "$NACLEMU" status -n "$ns" -i "$dev" --json | jq -c '.[0].ahead'; }
text() { "$NACLEMU" status -n "$ns" -i "$dev"; }

expect_exit 0 lab_attach server "$LAB_TMP/a.nacl"
if [ "$NACLEMU_HOOK" != tcx ]; then
	expect_eq "$(ahead)" null "ahead on clsact"
	expect_not_in "$(text)" "ahead" "status text on clsact"
	finish
fi

# A program that passes everything on (TCX_NEXT), as a foreign user's.
cat >"$LAB_TMP/foreign.c" <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("tc") int foreign(struct __sk_buff *skb) { return -1; }
char LICENSE[] SEC("license") = "GPL";
C
clang -O2 -g -target bpf -I"/usr/include/$(gcc -print-multiarch 2>/dev/null)" \
	-c "$LAB_TMP/foreign.c" -o "$LAB_TMP/foreign.o" || skip "cannot build the foreign BPF program"
pin=/sys/fs/bpf/nclt-ahead-$$
trap 'rm -f "$pin-behind" "$pin-front-in" "$pin-front-out" "$pin-front-in2"; lab_cleanup' EXIT
none='{"ingress":{"count":0,"ids":[]},"egress":{"count":0,"ids":[]}}'

expect_eq "$(ahead)" "$none" "ahead with nothing else on the hooks"
expect_not_in "$(text)" "ahead" "status text with nothing ahead"

# Behind ours (attached last): not ahead.
"$TCX" -n "$ns" attach "$dev" ingress "$LAB_TMP/foreign.o" "$pin-behind" || fail "cannot attach behind"
expect_eq "$("$TCX" -n "$ns" query "$dev" ingress | awk '{ print $2 }' | tr '\n' ' ')" \
	"naclemu_ingress foreign " "tcx ingress, in order"
expect_eq "$(ahead)" "$none" "ahead with a program behind ours"

# In front of ours at ingress: one ahead, with its id.
"$TCX" -n "$ns" attach "$dev" ingress "$LAB_TMP/foreign.o" "$pin-front-in" first ||
	fail "cannot attach in front"
expect_eq "$("$TCX" -n "$ns" query "$dev" ingress | awk '{ print $2 }' | tr '\n' ' ')" \
	"foreign naclemu_ingress foreign " "tcx ingress, in order"
front=$("$TCX" -n "$ns" query "$dev" ingress | awk 'NR == 1 { print $1 }')
expect_eq "$(ahead)" "{\"ingress\":{\"count\":1,\"ids\":[$front]},\"egress\":{\"count\":0,\"ids\":[]}}" \
	"ahead with one in front at ingress"
expect_in "$(text)" "ahead of naclemu on tcx (they see packets first): ingress 1 (id $front), egress 0" \
	"status text"
# Still attached: a program in front does not make our links missing.
expect_eq "$("$NACLEMU" status -n "$ns" -i "$dev" --json | jq -r '.[0].state')" attached "state"

# Two in front at ingress, one at egress, in the order they run.
"$TCX" -n "$ns" attach "$dev" ingress "$LAB_TMP/foreign.o" "$pin-front-in2" first ||
	fail "cannot attach a second in front"
"$TCX" -n "$ns" attach "$dev" egress "$LAB_TMP/foreign.o" "$pin-front-out" first ||
	fail "cannot attach in front at egress"
in_ids=$("$TCX" -n "$ns" query "$dev" ingress | awk '$2 == "naclemu_ingress" { exit } { print $1 }' | paste -sd,)
out_id=$("$TCX" -n "$ns" query "$dev" egress | awk 'NR == 1 { print $1 }')
expect_eq "$(ahead)" "{\"ingress\":{\"count\":2,\"ids\":[$in_ids]},\"egress\":{\"count\":1,\"ids\":[$out_id]}}" \
	"ahead with two in front at ingress and one at egress"
expect_in "$(text)" "ingress 2 (id ${in_ids/,/ }), egress 1 (id $out_id)" "status text with three"

# They go: nothing ahead any more.
rm -f "$pin-front-in" "$pin-front-in2" "$pin-front-out"
expect_eq "$(ahead)" "$none" "ahead after the programs in front went"
expect_exit 0 lab_naclemu detach server
expect_eq "$("$TCX" -n "$ns" query "$dev" ingress | awk '{ print $2 }')" foreign \
	"the program behind ours stays after detach"
rm -f "$pin-behind"
finish
