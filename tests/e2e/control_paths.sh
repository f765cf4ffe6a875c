#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/e2e/control_paths.sh - below the state root /sys/fs/bpf/naclemu no
# symbolic link is followed (datapath/pins.c): a planted link can neither
# make attach pin outside the tree nor make detach or stats reach someone
# else's pins.  And `run` with ordinary GNU option spellings (repeated -i,
# --opt=VALUE, -oVALUE), which once overflowed a copy of its arguments.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/e2e/lab.sh
lab_need_root
lab_need_cmds attach detach status stats run
N=$NACLEMU_SAN
[ -x "$N" ] || N=$NACLEMU

lab_init "nclt-path$$"
lab_subnet a 192.0.2.1/24
lab_host server a 192.0.2.20/24
lab_host other a 192.0.2.30/24
ns=$LAB-server dev=v-server
root=/sys/fs/bpf/naclemu
elsewhere=/sys/fs/bpf/nclt-elsewhere$$
printf 'inbound\n  100 allow all - 0.0.0.0/0\noutbound\n  100 allow all - 0.0.0.0/0\n' >"$LAB_TMP/a.nacl"
trap 'rm -rf "$elsewhere" "${root:?}/$ns" "${root:?}/$LAB-other"; rm -f /run/naclemu/lock/root/X; lab_cleanup' EXIT

# The namespace's folder is a link to a folder outside the root.
mkdir -p "$root" "$elsewhere"
ln -s "$elsewhere" "$root/$ns"
expect_exit 2 "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl"
expect_in "$err" "symbolic link" "attach through a linked namespace folder"
expect_eq "$(ls -A "$elsewhere")" "" "what attach pinned outside the root"
expect_eq "$(tc -n "$ns" filter show dev "$dev" ingress)" "" "filters after the refused attach"
rm "$root/$ns"

# An interface folder that is a link to another interface's pins.
expect_exit 0 lab_attach other "$LAB_TMP/a.nacl"
mkdir -p "$root/$ns"
ln -s "$root/$LAB-other/v-other" "$root/$ns/$dev"
for cmd in detach stats; do
	expect_exit 2 "$N" "$cmd" -n "$ns" -i "$dev"
	expect_in "$err" "symbolic link" "$cmd through a linked interface folder"
done
expect_exit 2 "$N" attach -n "$ns" -i "$dev" "$LAB_TMP/a.nacl"
expect_in "$err" "symbolic link" "attach over a link"
# 7 maps and programs, and on tcx the 2 links.
npins=7
[ "$NACLEMU_HOOK" = tcx ] && npins=9
expect_eq "$(ls "$root/$LAB-other/v-other" | wc -l)" $npins "the other interface's pins after it all"
expect_eq "$("$N" status -n "$LAB-other" -i v-other --json | jq -r '.[0].state')" attached \
	"the other interface after it all"
rm "$root/$ns/$dev"

# A pinned object replaced by a link to another interface's object.
expect_exit 0 lab_attach server "$LAB_TMP/a.nacl"
mv "$root/$ns/$dev/meta" "$elsewhere/meta"
ln -s "$root/$LAB-other/v-other/meta" "$root/$ns/$dev/meta"
expect_exit 2 "$N" stats -n "$ns" -i "$dev"
expect_in "$err" "symbolic link" "stats through a linked record"
rm "$root/$ns/$dev/meta"
mv "$elsewhere/meta" "$root/$ns/$dev/meta"
expect_exit 0 lab_naclemu detach server
expect_exit 0 lab_naclemu detach other

# run with GNU spellings: no crash (ASan build), one clear outcome.
for args in "-iX -iX" "--netns=$ns --interface=$dev" "-n$ns -i$dev" "--interface=$dev --netns $ns"; do
	# shellcheck disable=SC2086
	"$N" run $args "$LAB_TMP/a.nacl" --timeout 0.3 >/dev/null 2>"$LAB_TMP/err"
	rc=$?
	case "$rc" in 0 | 1 | 2) ;; *) fail "run $args: exit $rc: $(cat "$LAB_TMP/err")" ;; esac
	grep -q "AddressSanitizer\|corrupted" "$LAB_TMP/err" && fail "run $args: $(cat "$LAB_TMP/err")"
done
[ -e "$root/$ns/$dev" ] && fail "run left pins behind"
finish
