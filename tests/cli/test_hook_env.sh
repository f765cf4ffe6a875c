#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/cli/test_hook_env.sh - the environment variable NACLEMU_HOOK is a
# default for attach's and run's --hook, nothing more: the option wins over
# it, --help works whatever it holds, and an invalid value without --hook
# is one error line naming NACLEMU_HOOK (exit 1).  Runs the ASan/UBSan
# build; the attaches aim at a network namespace that does not exist, so
# nothing is ever attached.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
N=$NACLEMU_SAN
[ -x "$N" ] || skip "$N is not built (make test-build)"

rules=examples/web-server.nacl
ns=nclt-nohook$$
[ -e "/run/netns/$ns" ] && skip "a network namespace $ns exists"
# attach takes the interface's lock before it finds the namespace missing:
# the lock folder of this namespace is ours to remove.
trap 'rm -rf "/run/naclemu/lock/$ns"' EXIT

for cmd in attach run; do
	for env in bogus tcxx " "; do
		expect_exit 0 env NACLEMU_HOOK="$env" "$N" "$cmd" --help
		expect_in "$out" "Usage: naclemu $cmd" "$cmd --help with NACLEMU_HOOK='$env'"
		expect_eq "$err" "" "stderr of $cmd --help with NACLEMU_HOOK='$env'"

		# Without --hook: a usage error naming the variable and its value.
		expect_exit 1 env NACLEMU_HOOK="$env" "$N" "$cmd" -n "$ns" -i v0 "$rules"
		expect_eq "$err" "naclemu: $cmd: NACLEMU_HOOK wants tcx, clsact or auto, not '$env' (see 'naclemu $cmd --help')" \
			"$cmd with NACLEMU_HOOK='$env'"
		expect_eq "$out" "" "stdout of $cmd with NACLEMU_HOOK='$env'"

		# With --hook, before or after the other options: the variable is
		# not read, and the command goes on to the missing namespace (or
		# to "run as root" without root), exit 2.
		for hook in clsact tcx auto; do
			expect_exit 2 env NACLEMU_HOOK="$env" "$N" "$cmd" --hook "$hook" -n "$ns" -i v0 "$rules"
			expect_not_in "$err" "NACLEMU_HOOK" "$cmd --hook $hook with NACLEMU_HOOK='$env'"
			expect_exit 2 env NACLEMU_HOOK="$env" "$N" "$cmd" -n "$ns" -i v0 "$rules" --hook="$hook"
			expect_not_in "$err" "NACLEMU_HOOK" "$cmd ... --hook=$hook with NACLEMU_HOOK='$env'"
		done
	done

	# An invalid --hook is reported as the option, whatever the variable says.
	expect_exit 1 env NACLEMU_HOOK=tcx "$N" "$cmd" --hook bogus -n "$ns" -i v0 "$rules"
	expect_eq "$err" "naclemu: $cmd: --hook wants tcx, clsact or auto, not 'bogus' (see 'naclemu $cmd --help')" \
		"$cmd --hook bogus"
	# A valid or empty variable without --hook is no error.
	for env in tcx clsact auto ""; do
		expect_exit 2 env NACLEMU_HOOK="$env" "$N" "$cmd" -n "$ns" -i v0 "$rules"
		expect_not_in "$err" "NACLEMU_HOOK" "$cmd with NACLEMU_HOOK='$env'"
	done
done
finish
