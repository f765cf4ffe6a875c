#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/cli/test_cli_rules.sh - every command follows the same rules
# (docs/semantics.md section 3): a bad option is one stderr line
# "naclemu: CMD: ..." and exit 1, nothing on stdout; an option without its
# value the same; a bad interface or namespace name is exit 1 naming the
# option; an interface that does not exist is exit 2 for attach and run,
# and "not attached" (exit 1) for the commands that need an attached one.
# Runs the ASan/UBSan build.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
N=$NACLEMU_SAN
[ -x "$N" ] || skip "$N is not built (make test-build)"

cmds=$("$N" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" {print $1}')
[ "$(wc -w <<<"$cmds")" -ge 11 ] || fail "naclemu --help lists only: $cmds"

# one_line WHAT: stderr is exactly one line starting "naclemu: ".
one_line() {
	expect_eq "$(printf '%s\n' "$err" | wc -l)" 1 "lines on stderr ($1)"
	expect_in "$err" "naclemu: " "$1"
	expect_eq "$out" "" "stdout ($1)"
}

for cmd in $cmds; do
	expect_exit 1 "$N" "$cmd" --bogus
	expect_eq "$err" "naclemu: $cmd: invalid option '--bogus' (see 'naclemu $cmd --help')" "$cmd --bogus"
	one_line "$cmd --bogus"
	expect_exit 1 "$N" "$cmd" -Z
	expect_eq "$err" "naclemu: $cmd: invalid option '-Z' (see 'naclemu $cmd --help')" "$cmd -Z"
	one_line "$cmd -Z"
	expect_exit 0 "$N" "$cmd" --help
	expect_in "$out" "Usage: naclemu $cmd" "$cmd --help"
done

# Options without their value, and names that are not names.
for cmd in attach update detach stats events run; do
	expect_exit 1 "$N" "$cmd" -i
	expect_eq "$err" "naclemu: $cmd: option '-i' needs a value (see 'naclemu $cmd --help')" "$cmd -i"
	one_line "$cmd -i"
	expect_exit 1 "$N" "$cmd" --interface
	expect_eq "$err" "naclemu: $cmd: option '--interface' needs a value (see 'naclemu $cmd --help')" \
		"$cmd --interface"
	rules=()
	case $cmd in attach | update | run) rules=(examples/web-server.nacl) ;; esac
	for bad in "a/b" "" "." "way-too-long-interface-name"; do
		expect_exit 1 "$N" "$cmd" -i "$bad" "${rules[@]}"
		expect_in "$err" "-i: '$bad' is not an interface name" "$cmd -i '$bad'"
		one_line "$cmd -i '$bad'"
	done
	for bad in "" ".." "$(printf 'n%.0s' $(seq 64))" "net:[12x]" "net:[0]"; do
		expect_exit 1 "$N" "$cmd" -n "$bad" -i eth9 "${rules[@]}"
		expect_in "$err" "-n: '$bad' is not a network namespace name" "$cmd -n '$bad'"
		one_line "$cmd -n '$bad'"
	done
	# With a '/', NETNS is a path: one that leads to no namespace is exit 2.
	expect_exit 2 "$N" "$cmd" -n a/b -i eth9 "${rules[@]}"
	expect_eq "$err" "naclemu: $cmd: -n: cannot open network namespace a/b: No such file or directory" \
		"$cmd -n a/b"
	expect_exit 2 "$N" "$cmd" -n /proc/self/ns/uts -i eth9 "${rules[@]}"
	expect_in "$err" "-n: /proc/self/ns/uts is not a network namespace (another kind of namespace)" \
		"$cmd -n /proc/self/ns/uts"
	one_line "$cmd -n /proc/self/ns/uts"
	# "root" is the caller's namespace's folder: a namespace of that name
	# would share its pins and locks.
	expect_exit 1 "$N" "$cmd" -n root -i eth9 "${rules[@]}"
	expect_in "$err" "-n: naclemu keeps the name 'root' for the caller's own namespace" "$cmd -n root"
	one_line "$cmd -n root"
done
# apply: its one argument, a configuration that reads (exit 1 before root).
expect_exit 1 "$N" apply
expect_eq "$err" "naclemu: apply: expected one CONFIG file (see 'naclemu apply --help')" "apply"
expect_exit 1 "$N" apply a.yaml b.yaml
one_line "apply with two files"
expect_exit 1 "$N" apply /nonexistent/naclemu.yaml
expect_eq "$err" "naclemu: /nonexistent/naclemu.yaml: cannot read the configuration: No such file or directory" \
	"apply of a missing file"
expect_exit 1 "$N" apply --dry-run examples/web-server.nacl
expect_in "$err" "naclemu: examples/web-server.nacl:" "apply of a rule file"
one_line "apply of a rule file"
expect_exit 1 "$N" status -i "a/b"
expect_in "$err" "-i: 'a/b' is not an interface name"
expect_exit 1 "$N" status -n ".."
expect_in "$err" "-n: '..' is not a network namespace name"

# The rules options, the same for every command that reads rules.
for cmd in check explain flow diff attach update run bench; do
	expect_exit 1 "$N" "$cmd" --format bogus
	expect_in "$err" "naclemu: $cmd: --format wants text, aws, terraform or cloudformation, not 'bogus'" "$cmd --format bogus"
	expect_exit 1 "$N" "$cmd" --param novalue
	expect_in "$err" "naclemu: $cmd: --param wants NAME=VALUE, not 'novalue'" "$cmd --param novalue"
done
for cmd in detach stats; do
	expect_exit 1 "$N" "$cmd" -i eth9 --format text
	expect_eq "$err" "naclemu: $cmd: invalid option '--format' (see 'naclemu $cmd --help')" "$cmd --format"
done
expect_exit 0 "$N" check examples/web-lb.cfn.yaml --acl WebNetworkAcl --format cloudformation
expect_exit 1 "$N" check examples/web-lb.cfn.yaml --acl WebNetworkAcl --format aws
expect_exit 1 "$N" check examples/web-lb.cfn.yaml --format text
expect_in "$err" "expected inbound, outbound or a rule" "a YAML template read as text"

# An interface that does not exist (root only: the rest checks root first).
if [ "$(id -u)" = 0 ]; then
	ghost=nclt-ghost$$
	expect_exit 2 "$N" attach -i "$ghost" examples/web-server.nacl
	expect_eq "$err" "naclemu: interface $ghost does not exist in network namespace root (see 'ip link')"
	expect_exit 2 "$N" run -i "$ghost" examples/web-server.nacl --timeout 1
	expect_in "$err" "interface $ghost does not exist"
	for cmd in update detach stats; do
		rules=()
		[ "$cmd" = update ] && rules=(examples/web-server.nacl)
		expect_exit 1 "$N" "$cmd" -i "$ghost" "${rules[@]}"
		expect_in "$err" "$ghost is not attached in network namespace root" "$cmd of a missing interface"
		one_line "$cmd of a missing interface"
	done
	expect_exit 1 "$N" status -i "$ghost"
	expect_in "$err" "$ghost is not attached"
	expect_exit 1 "$N" events -i "$ghost" --timeout 1
	expect_in "$err" "$ghost is not attached" "events of a missing interface"
	one_line "events of a missing interface"
	expect_exit 2 "$N" attach -n "nclt-nons$$" -i eth9 examples/web-server.nacl
	expect_in "$err" "network namespace nclt-nons$$ does not exist"
	# apply: a configuration naming a namespace that does not exist changes
	# nothing and says which entry (file:line:col).
	printf 'nacls:\n  - netns: nclt-nons%s\n    interfaces: eth9\n    rules: %s\n' "$$" \
		"$PWD/examples/web-server.nacl" >"/tmp/nclt-apply-$$.yaml"
	expect_exit 2 "$N" apply "/tmp/nclt-apply-$$.yaml"
	expect_in "$err" "naclemu: /tmp/nclt-apply-$$.yaml:2:5: entry nacls[0]: cannot list the interfaces of network namespace nclt-nons$$" \
		"apply with a missing namespace"
	one_line "apply with a missing namespace"
	rm -f "/tmp/nclt-apply-$$.yaml"
	# The locks these commands took (datapath/lock.c keeps lock files).
	rm -f "/run/naclemu/lock/root/$ghost"
	rm -rf "/run/naclemu/lock/nclt-nons$$"
else
	echo "not root: the missing-interface cases are not run"
fi
finish
