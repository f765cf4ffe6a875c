#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_detach.sh - naclemu touches only what it created.
#
# A foreign program (BPF, compiled here, that drops UDP to port 7777 and
# counts what it sees) on the same ingress, as a TC filter and, on tcx, as
# a tcx link, keeps working through attach, update and detach: naclemu
# passes allowed packets on (TC_ACT_UNSPEC, which is tcx's TCX_NEXT)
# instead of ending the chain.  Detach leaves no filter or link of ours, no
# pin and no map or program behind, keeps a clsact qdisc it did not create
# (or that has other filters), and removes the one it created when nothing
# else uses it; on tcx, attach creates no qdisc at all.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status stats
command -v bpftool >/dev/null || skip "bpftool is not installed"
command -v clang >/dev/null || skip "clang is not installed (for the foreign filter)"

lab_init "nclt-dpd$$"  # the pid: concurrent runs must not share namespaces
lab_subnet a 192.0.2.1/24
lab_host client a 192.0.2.10/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
pins=/sys/fs/bpf/naclemu/$ns/$dev

printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' \
	>"$LAB_TMP/open.nacl"
printf 'inbound\n  100 allow udp all 0.0.0.0/0\n  110 allow icmp all 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' \
	>"$LAB_TMP/udp.nacl"
lab_serve server udp 192.0.2.20:7777,7778

# The foreign program: untagged IPv4 UDP to port 7777 is dropped; every
# packet it sees is counted in its .bss (seen).
cat >"$LAB_TMP/foreign.c" <<'C'
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
unsigned long long seen;
SEC("tc") int foreign(struct __sk_buff *skb)
{
	unsigned char h[38];

	__sync_fetch_and_add(&seen, 1);
	if (bpf_skb_load_bytes(skb, 0, h, sizeof(h)))
		return TC_ACT_UNSPEC;
	if (h[12] == 0x08 && h[13] == 0x00 && h[14] == 0x45 && h[23] == 17 &&
	    h[36] == 0x1e && h[37] == 0x61)
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}
char LICENSE[] SEC("license") = "GPL";
C
clang -O2 -g -target bpf -I"/usr/include/$(gcc -print-multiarch 2>/dev/null)" \
	-c "$LAB_TMP/foreign.c" -o "$LAB_TMP/foreign.o" || skip "cannot build the foreign BPF filter"
add_foreign() {
	tc -n "$ns" filter add dev "$dev" ingress prio 200 handle 7 bpf da \
		obj "$LAB_TMP/foreign.o" sec tc || fail "cannot add the foreign filter"
}

# The foreign program as a tcx link, after ours (tcx only).
foreign_pin=/sys/fs/bpf/nclt-foreign-$$
add_foreign_tcx() {
	"$TCX" -n "$ns" attach "$dev" ingress "$LAB_TMP/foreign.o" "$foreign_pin" ||
		fail "cannot attach the foreign tcx program"
}
trap 'rm -f "$foreign_pin"; lab_cleanup' EXIT

udp_result() { lab_conns client udp --dst "192.0.2.20:$1" --count 2 --timeout 0.4 | conns_count ok; }
foreign_hits() {
	local id
	if [ -e "$foreign_pin" ]; then
		id=$("$TCX" -n "$ns" query "$dev" ingress | awk '$2 == "foreign" { print $1 }')
	else
		id=$(tc -n "$ns" -j filter show dev "$dev" ingress |
			jq '[.[] | select(.options.handle == "0x7") | .options.prog.id][0] // empty')
	fi
	[ -n "$id" ] || { echo 0; return; }
	id=$(bpftool -j prog show id "$id" | jq '.map_ids[0]')
	bpftool -j map dump id "$id" | jq '.[0].formatted.value[".bss"][0].seen // 0'
}
our_filters() { lab_our_progs "$ns" "$dev" "$1"; }
has_clsact() { tc -n "$ns" qdisc show dev "$dev" | grep -c clsact; }

# check_foreign WHEN: the foreign filter still drops 7777, 7778 still passes.
check_foreign() {
	local before after
	before=$(foreign_hits)
	expect_eq "$(udp_result 7777)" 0 "UDP 7777 answered $1 (the foreign filter drops it)"
	expect_eq "$(udp_result 7778)" 2 "UDP 7778 answered $1"
	after=$(foreign_hits)
	[ "$after" -ge $((before + 2)) ] || fail "foreign filter hits $before -> $after $1"
}

# check_gone: nothing of naclemu on the interface or in bpffs.
check_gone() {
	local id
	expect_eq "$(our_filters ingress)" 0 "our ingress filters after detach"
	expect_eq "$(our_filters egress)" 0 "our egress filters after detach"
	[ -e "$pins" ] && fail "pins left in $pins"
	[ -e "/sys/fs/bpf/naclemu/$ns" ] && fail "folder left: /sys/fs/bpf/naclemu/$ns"
	# The maps and programs are freed once unpinned and unattached (the
	# kernel frees them asynchronously: wait a little).
	for id in $ids; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			bpftool "${id%:*}" show id "${id#*:}" >/dev/null 2>&1 || break
			sleep 0.2
		done
		bpftool "${id%:*}" show id "${id#*:}" >/dev/null 2>&1 && fail "${id%:*} ${id#*:} still exists"
	done
}
record_ids() {
	ids=""
	for m in rules counters frags meta; do
		ids="$ids map:$(bpftool -j map show pinned "$pins/$m" | jq .id)"
	done
	for p in prog_ingress prog_egress; do
		ids="$ids prog:$(bpftool -j prog show pinned "$pins/$p" | jq .id)"
	done
}

# 1. A foreign clsact and filter were there first.
tc -n "$ns" qdisc add dev "$dev" clsact
add_foreign
check_foreign "before attach"
expect_exit 0 lab_attach server "$LAB_TMP/open.nacl"
expect_eq "$(our_filters ingress)" 1 "our ingress filter"
expect_eq "$(our_filters egress)" 1 "our egress filter"
check_foreign "after attach"
expect_exit 0 lab_naclemu update server "$LAB_TMP/udp.nacl"
check_foreign "after update"
lab_stats server
[ "$(counter inbound 100)" -ge 4 ] || fail "naclemu did not judge the UDP datagrams"
record_ids
expect_exit 0 lab_naclemu detach server
expect_not_in "$out" "qdisc removed"
check_gone
expect_eq "$(has_clsact)" 1 "the foreign clsact qdisc after detach"
check_foreign "after detach"

tc -n "$ns" qdisc del dev "$dev" clsact
if [ "$NACLEMU_HOOK" = tcx ]; then
	# 1b. A foreign tcx program was there first: ours runs before it, it
	# keeps working, and it stays after detach.
	add_foreign_tcx
	check_foreign "before attach (tcx)"
	expect_exit 0 lab_attach server "$LAB_TMP/open.nacl"
	expect_in "$out" "tcx" "attach's line"
	expect_eq "$("$TCX" -n "$ns" query "$dev" ingress | awk '{ print $2 }' | tr '\n' ' ')" \
		"naclemu_ingress foreign " "the programs on tcx ingress, in order"
	expect_eq "$(has_clsact)" 0 "a clsact qdisc made by attach on tcx"
	check_foreign "after attach (tcx)"
	expect_exit 0 lab_naclemu update server "$LAB_TMP/udp.nacl"
	check_foreign "after update (tcx)"
	record_ids
	expect_exit 0 lab_naclemu detach server
	check_gone
	expect_eq "$("$TCX" -n "$ns" query "$dev" ingress | awk '{ print $2 }')" foreign \
		"the programs on tcx ingress after detach"
	check_foreign "after detach (tcx)"
	rm -f "$foreign_pin"
	# On tcx, no qdisc is made or removed.
	expect_exit 0 lab_attach server "$LAB_TMP/open.nacl"
	expect_eq "$(has_clsact)" 0 "clsact after attach on tcx"
	record_ids
	expect_exit 0 lab_naclemu detach server
	expect_not_in "$out" "qdisc"
	check_gone
else
# 2. naclemu creates clsact; a foreign filter joins later: the qdisc stays.
expect_exit 0 lab_attach server "$LAB_TMP/open.nacl"
expect_eq "$(has_clsact)" 1 "clsact created by attach"
add_foreign
check_foreign "with naclemu's qdisc"
record_ids
expect_exit 0 lab_naclemu detach server
expect_not_in "$out" "qdisc removed"
check_gone
expect_eq "$(has_clsact)" 1 "clsact still used by the foreign filter"
check_foreign "after detach from naclemu's qdisc"

# 3. naclemu alone: detach removes the qdisc it created.
tc -n "$ns" qdisc del dev "$dev" clsact
expect_exit 0 lab_attach server "$LAB_TMP/open.nacl"
record_ids
expect_exit 0 lab_naclemu detach server
expect_in "$out" "clsact qdisc removed"
check_gone
expect_eq "$(has_clsact)" 0 "clsact after detach"
fi

# Errors: one line, the right exit status, nothing half-attached.
expect_exit 1 lab_naclemu detach server
expect_in "$err" "is not attached"
expect_exit 0 lab_attach server "$LAB_TMP/open.nacl"
expect_exit 1 lab_attach server "$LAB_TMP/open.nacl"
expect_in "$err" "use 'naclemu update'"
printf 'inbound\n  100 allow tcp 443-80 0.0.0.0/0\n' >"$LAB_TMP/bad.nacl"
expect_exit 1 lab_naclemu update server "$LAB_TMP/bad.nacl"
expect_in "$err" "bad.nacl:2:"
lab_stats server
expect_eq "$(jq .generation <<<"$STATS")" 1 "generation after a refused update"
expect_exit 0 lab_naclemu detach server
expect_exit 2 "$NACLEMU" attach -n "$ns" -i nosuch0 "$LAB_TMP/open.nacl"
expect_in "$err" "interface nosuch0 does not exist"
expect_exit 2 "$NACLEMU" attach -n nclt-nosuch-$$ -i "$dev" "$LAB_TMP/open.nacl"
expect_in "$err" "network namespace nclt-nosuch-$$ does not exist"
expect_exit 1 lab_attach server "$LAB_TMP/bad.nacl"
expect_eq "$(has_clsact)" 0 "clsact after a refused attach"
[ -e "$pins" ] && fail "pins after a refused attach"

# A namespace deleted under an attached interface: detach still removes
# the pinned state (the filters went with the namespace), once.
gns=nclt-dpdgone$$
ip netns add "$gns" && ip link add gone0 netns "$gns" type veth peer name gone1 netns "$gns"
expect_exit 0 "$NACLEMU" attach -n "$gns" -i gone0 "$LAB_TMP/open.nacl"
ip netns del "$gns"
expect_exit 0 "$NACLEMU" detach -n "$gns" -i gone0
expect_in "$out" "the interface no longer exists, pinned state removed"
[ -e "/sys/fs/bpf/naclemu/$gns" ] && { fail "pins left after detach of a deleted namespace"; rm -rf "/sys/fs/bpf/naclemu/$gns"; }
expect_exit 1 "$NACLEMU" detach -n "$gns" -i gone0
# The locks of the namespaces that are not the lab's (datapath/lock.c).
rm -rf "/run/naclemu/lock/$gns" "/run/naclemu/lock/nclt-nosuch-$$"
finish
