#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/datapath_layout.sh - pinned state of another layout is refused
# with one clear line, and detach always works.
#
# After a real attach, the attach record (the pinned map "meta") is
# replaced by one as another naclemu build would have written it: layout 1
# (naclemu 0.1.0: magic "NACL", no version, ifindex at byte 4,
# created_qdisc at byte 16), layout 2 (the versioned head, clsact only),
# layout 3 (tcx links, the large compiled rule set), layout 4 (the compact rule set, no flow log) or a future layout 6
# (the versioned head; tcx links when the head's flags say so).  update, stats, events and run refuse it naming both layouts;
# status warns and goes on; detach removes the filters or links, the qdisc
# attach created and the pins.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach update detach status stats events
command -v bpftool >/dev/null || skip "bpftool is not installed"

lab_init "nclt-lay$$"
lab_subnet a 192.0.2.1/24
lab_host server a 192.0.2.20/24
ns=$LAB-server dev=v-server
pins=/sys/fs/bpf/naclemu/$ns/$dev
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/a.nacl"

# le32 N: N as 4 little-endian bytes, in bpftool's "hex" words.
le32() { printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# fake_meta SIZE HEADBYTES...: replace the pinned record by a SIZE-byte one
# that starts with HEADBYTES (hex) and is zero after them.
fake_meta() {
	local size=$1 head n
	shift
	head=$*
	n=$(wc -w <<<"$head")
	rm -f "$pins/meta"
	bpftool map create "$pins/meta" type array key 4 value "$size" entries 1 name naclemu_meta ||
		{ fail "bpftool cannot create the fake record"; return; }
	# shellcheck disable=SC2046
	bpftool map update pinned "$pins/meta" key hex 00 00 00 00 value hex $head \
		$(for _ in $(seq $((size - n))); do printf '00 '; done) ||
		fail "bpftool cannot write the fake record"
}

ifindex=$(ip -n "$ns" -o link show "$dev" | cut -d: -f1)
ORIG_HOOK=$NACLEMU_HOOK
for layout in 1 2 3 4 6; do
	# Layouts 1 and 2 knew clsact only.
	hook=$NACLEMU_HOOK
	case $layout in 1 | 2) hook=clsact ;; esac
	expect_exit 0 env NACLEMU_HOOK="$hook" "$NACLEMU" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl"
	flags=1 # created the qdisc
	[ "$hook" = tcx ] && flags=4 # tcx links
	if [ "$layout" = 1 ]; then
		# magic "NACL" (0x4e41434c), ifindex, handle, priority, created_qdisc = 1.
		fake_meta 1032 "$(le32 0x4e41434c) $(le32 "$ifindex") $(le32 0x4e41) $(le32 1) 01"
	else
		# magic "NAME" (0x4e414d45), layout, size 2048, ifindex, flags.
		fake_meta 2048 "$(le32 0x4e414d45) 0$layout 00 00 08 $(le32 "$ifindex") $(le32 $flags)"
	fi
	want="naclemu: $dev was attached by naclemu with state layout $layout; this is layout 5: run 'naclemu detach -n $ns -i $dev' and attach again"

	expect_exit 2 "$NACLEMU" update -n "$ns" -i "$dev" "$LAB_TMP/a.nacl"
	expect_eq "$err" "$want" "update of layout $layout"
	expect_exit 2 "$NACLEMU" stats -n "$ns" -i "$dev"
	expect_eq "$err" "$want" "stats of layout $layout"
	expect_exit 2 "$NACLEMU" events -n "$ns" -i "$dev" --timeout 1
	expect_eq "$err" "$want" "events of layout $layout"
	expect_exit 1 "$NACLEMU" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl"
	expect_in "$err" "already attached" "attach over layout $layout"
	expect_exit 0 "$NACLEMU" status -n "$ns"
	expect_eq "$err" "naclemu: warning: ${want#naclemu: }" "status of layout $layout"

	expect_exit 0 "$NACLEMU" detach -n "$ns" -i "$dev"
	if [ "$hook" = clsact ]; then
		expect_in "$out" "clsact qdisc removed" "detach of layout $layout"
	else
		expect_not_in "$out" "qdisc" "detach of layout $layout on tcx"
	fi
	[ -e "$pins" ] && fail "layout $layout: pins left after detach: $(ls "$pins")"
	[ -n "$(tc -n "$ns" filter show dev "$dev" ingress)" ] && fail "layout $layout: ingress filter left"
	[ -n "$(tc -n "$ns" filter show dev "$dev" egress)" ] && fail "layout $layout: egress filter left"
	NACLEMU_HOOK=$hook
	expect_eq "$(lab_our_progs "$ns" "$dev" ingress)$(lab_our_progs "$ns" "$dev" egress)" 00 \
		"layout $layout: naclemu programs on the hooks after detach"
	NACLEMU_HOOK=$ORIG_HOOK
	tc -n "$ns" qdisc show dev "$dev" | grep -q clsact && fail "layout $layout: clsact qdisc left"
done

# A rule set of another size behind a record of this layout (a build of
# the same layout number with other tables): never read, incomplete.
expect_exit 0 lab_attach server "$LAB_TMP/a.nacl"
big=/sys/fs/bpf/nclt-lay$$-big
if bpftool map create "$big" type array key 4 value 1000000 entries 1 name naclemu_ruleset &&
	rm -f "$pins/rules" &&
	bpftool map create "$pins/rules" type array_of_maps key 4 value 4 entries 1 \
		name naclemu_rules inner_map pinned "$big" &&
	bpftool map update pinned "$pins/rules" key hex 00 00 00 00 value pinned "$big"; then
	expect_exit 2 "$NACLEMU" stats -n "$ns" -i "$dev"
	expect_in "$err" "is incomplete: run 'naclemu detach -n $ns -i $dev'" "stats over a rule set of another size"
	expect_exit 0 "$NACLEMU" status -n "$ns"
	expect_in "$err" "is incomplete" "status over a rule set of another size"
else
	fail "bpftool cannot make a rule set of another size"
fi
rm -f "$big"
expect_exit 0 "$NACLEMU" detach -n "$ns" -i "$dev"
[ -e "$pins" ] && fail "rule set of another size: pins left after detach"

# A record that is no naclemu record at all: incomplete, and detach cleans it.
expect_exit 0 lab_attach server "$LAB_TMP/a.nacl"
fake_meta 64 "de ad be ef"
expect_exit 2 "$NACLEMU" stats -n "$ns" -i "$dev"
expect_in "$err" "is incomplete: run 'naclemu detach -n $ns -i $dev'"
expect_exit 0 "$NACLEMU" detach -n "$ns" -i "$dev"
[ -e "$pins" ] && fail "foreign record: pins left after detach"
[ -n "$(tc -n "$ns" filter show dev "$dev" ingress)" ] && fail "foreign record: filter left"
finish
