#!/usr/bin/env bash
# tests/run.sh - run every test of naclemu and print one closing line
# "N passed, N failed, N skipped" (what CI reads).
#
#   cmocka unit tests   build/tests/test_*      (each case counted)
#   CLI tests           tests/cli/*.sh          (exit 0 pass, 77 skip)
#   end-to-end tests    tests/e2e/*.sh          (root: netns + veth), once
#                                               per hook: tcx (where the
#                                               kernel has it) and clsact
#   fuzz smoke run      build/fuzz_parse        (FUZZ_SECONDS, default 20)
#
# A test's output goes to $OUT/test-logs/NAME.log and is shown when it fails;
# a skip prints its reason.  Usage: tests/run.sh [PATTERN] (substring of
# the test name to run only some).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
PATTERN=${1:-}
LOGS=$OUT/test-logs
mkdir -p "$LOGS"
export NACLEMU=${NACLEMU:-$PWD/$OUT/naclemu}
export NACLEMU_SAN=${NACLEMU_SAN:-$PWD/$OUT/naclemu-san}
export TCX=${TCX:-$PWD/$OUT/tests/tcx}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One run at a time on a machine: the end-to-end tests share the host's
# bpffs and TC, and two runs would see each other's namespaces and counters.
exec 9>/run/lock/naclemu-tests.lock 2>/dev/null || exec 9>/tmp/naclemu-tests.lock
if ! flock -w 900 9; then
	echo "naclemu: another test run holds the lock for 15 minutes; giving up" >&2
	exit 1
fi

passed=0 failed=0 skipped=0
failures=()

want() { [ -z "$PATTERN" ] || [[ "$1" == *"$PATTERN"* ]]; }

show_log() { sed 's/^/    | /' "$1" | tail -n 60; }

# cmocka: count the cases from its summary lines.
run_cmocka() {
	local bin=$1 name log rc p f s
	name=$(basename "$bin")
	log=$LOGS/$name.log
	"$bin" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi  # crashed or sanitizer abort
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$f" != 0 ]; then
		echo "FAIL  $name ($p passed, $f failed)"
		show_log "$log"
		failures+=("$name")
	else
		echo "ok    $name ($p passed${s:+, $s skipped})" | sed 's/, 0 skipped//'
		grep -h '^\[  SKIPPED \] [a-z]' "$log" | sed 's/^/      /'
		grep -h -i 'skip' "$log" | grep -v '^\[' | head -n 3 | sed 's/^/      /'
	fi
}

# run_script SCRIPT [HOOK]: with HOOK, the test attaches on that hook
# (NACLEMU_HOOK) and its name says so.
run_script() {
	local script=$1 hook=${2:-} name log rc
	name=$(basename "$(dirname "$script")")/$(basename "$script" .sh)${hook:+ [$hook]}
	log=$LOGS/${name//[\/ \[\]]/_}.log
	NACLEMU_HOOK=${hook:-${NACLEMU_HOOK:-}} bash "$script" >"$log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "ok    $name" ;;
	77) skipped=$((skipped + 1))
	    echo "skip  $name: $(grep -h '^SKIP' "$log" | head -n 1 | sed 's/^SKIP:* *//')" ;;
	*) failed=$((failed + 1)); failures+=("$name")
	   echo "FAIL  $name (exit $rc)"; show_log "$log" ;;
	esac
}

for bin in "$OUT"/tests/test_*; do
	[ -x "$bin" ] || continue
	want "$(basename "$bin")" && run_cmocka "$bin"
done
# The hooks of the end-to-end tests: NACLEMU_HOOK if set, else both that
# this kernel has.
if [ -n "${NACLEMU_HOOK:-}" ] && [ "$NACLEMU_HOOK" != auto ]; then
	hooks=$NACLEMU_HOOK
elif [ -x "$OUT/tests/tcx" ] && "$OUT/tests/tcx" probe 2>/dev/null; then
	hooks="tcx clsact"
else
	hooks=clsact
fi
for script in tests/cli/*.sh; do
	[ -f "$script" ] || continue
	want "$script" && run_script "$script"
done
for hook in $hooks; do
	for script in tests/e2e/*.sh; do
		[ -f "$script" ] || continue
		want "$script" && run_script "$script" "$hook"
	done
done
if want fuzz && [ -x "$OUT/fuzz_parse" ] && [ "$FUZZ_SECONDS" != 0 ]; then
	mkdir -p "$OUT/fuzz-corpus"
	cp -n examples/* tests/fuzz/corpus/* "$OUT/fuzz-corpus/" 2>/dev/null
	log=$LOGS/fuzz_parse.log
	if "$OUT/fuzz_parse" -max_total_time="$FUZZ_SECONDS" -max_len=4096 \
		"$OUT/fuzz-corpus" >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "ok    fuzz_parse ($(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}') runs in ${FUZZ_SECONDS}s)"
	else
		failed=$((failed + 1)); failures+=(fuzz_parse)
		echo "FAIL  fuzz_parse"; show_log "$log"
	fi
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ $((passed + failed)) -gt 0 ]
