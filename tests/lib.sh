# tests/lib.sh - sourced by the shell tests: assertions that say what they
# expected and what they got, and a skip with a reason (exit 77).
# Each failed assertion prints "FAIL: ..." and makes the script exit 1 at
# its end (run `finish` last), so one run shows every failure.

NACLEMU=${NACLEMU:-build/naclemu}
NACLEMU_SAN=${NACLEMU_SAN:-build/naclemu-san}
_fails=0
_checks=0

fail() { echo "FAIL: $*"; _fails=$((_fails + 1)); }
skip() { echo "SKIP: $*"; exit 77; }

# expect_exit WANT CMD...: run CMD, keep stdout in $out and stderr in $err.
expect_exit() {
	local want=$1; shift
	_checks=$((_checks + 1))
	out=$("$@" 2>/tmp/naclemu-test-err.$$); rc=$?
	err=$(cat /tmp/naclemu-test-err.$$); rm -f /tmp/naclemu-test-err.$$
	if [ "$rc" != "$want" ]; then
		fail "exit $rc, want $want: $*"
		printf '  stdout: %s\n  stderr: %s\n' "$out" "$err"
	fi
}

# expect_in HAYSTACK NEEDLE [WHAT]: a fixed string must appear.
expect_in() {
	_checks=$((_checks + 1))
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output} lacks '$2'"; printf '  got: %s\n' "$1" ;;
	esac
}

expect_not_in() {
	_checks=$((_checks + 1))
	case "$1" in
	*"$2"*) fail "${3:-output} has '$2'"; printf '  got: %s\n' "$1" ;;
	esac
}

expect_eq() {
	_checks=$((_checks + 1))
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', want '$2'"
}

finish() {
	echo "$_checks checks, $_fails failed"
	[ "$_fails" = 0 ] && [ "$_checks" -gt 0 ]
	exit $?
}
