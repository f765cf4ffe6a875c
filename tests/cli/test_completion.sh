#!/usr/bin/env bash
# The bash completion that `make completion` generates from the --help
# texts ($OUT/completion/naclemu): sourced in bash, its function _naclemu
# is called with COMP_WORDS and COMP_CWORD as bash would.  Every command of
# `naclemu --help` is offered, and for each command every option of its
# --help (its Usage lines and its Options list) and no other; an option
# offered as taking a value does take one (the binary says "needs a value"
# when it is last), and a long one offered without does not (it refuses
# --opt=x); values: interfaces for -i (also of the namespace of -n),
# namespaces for -n, choices (--hook tcx|clsact|auto), files for rule
# arguments, folders for --textfile.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
OUT=${OUT:-build}
N=$NACLEMU
COMP=$OUT/completion/naclemu
[ -x "$N" ] || skip "$N is not built (make)"
[ -f "$COMP" ] || skip "$COMP is not built (make completion)"
. "$COMP" || { echo "FAIL: sourcing $COMP"; exit 1; }

# complete WORD...: the replies for the last WORD, as one sorted line.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_naclemu
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# The options that a --help text lists: the Usage lines' words starting
# with '-', and the options at the start of the Options list's lines
# ("-x, --long", "--a, --b").  Prose that mentions an option is no listing.
listed_opts() {
	{
		sed -n '/^Usage:/,/^$/p' <<<"$1" | grep -oE -- '(^|[][ |])--?[a-zA-Z][a-z0-9-]*' |
			grep -oE -- '--?[a-zA-Z][a-z0-9-]*'
		grep -E '^[[:space:]]+-' <<<"$1" | sed -E 's/^[[:space:]]+//' |
			grep -oE -- '^(--?[a-zA-Z][a-z0-9-]*,? ?)+' | grep -oE -- '--?[a-zA-Z][a-z0-9-]*'
	} | sort -u
}

# 1. Commands, and the global options.
expect_exit 0 "$N" --help
top=$out
cmds=$(sed -n '/^Commands:/,/^$/p' <<<"$top" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
_checks=$((_checks + 1))
[ -n "$cmds" ] || fail "no command list in 'naclemu --help'"
expect_eq "$(complete_words naclemu '')" "$(sort -u <<<"$cmds" | tr '\n' ' ' | sed 's/ $//')" "commands offered"
for c in $cmds; do
	expect_in " $(complete_words naclemu "${c:0:2}") " " $c " "completion of '${c:0:2}'"
	expect_in " $(complete_words naclemu -v "$c") " " $c " "completion after -v"
done
expect_eq "$(complete_words naclemu --v)" "--verbose --version" "global options"

# 2. Each command's options: those its --help lists, and no other but
# -h/--help (every command takes them).
for c in $cmds; do
	expect_exit 0 "$N" "$c" --help
	want=$( (listed_opts "$out"; printf '%s\n' -h --help) | sort -u | tr '\n' ' ' | sed 's/ $//')
	got=$( (complete_words naclemu "$c" -; echo; complete_words naclemu "$c" --) | tr ' ' '\n' | sort -u |
		tr '\n' ' ' | sed 's/ $//')
	expect_eq "$got" "$want" "options offered for '$c'"

	# 3. Whether each takes a value, asked of the binary's own parser (it
	# stops at the bad option: nothing runs).
	for o in $got; do
		[ "$o" = -h ] || [ "$o" = --help ] && continue
		if [ -n "$(_naclemu_meta "$c" "$o")" ]; then
			expect_exit 1 timeout 10 "$N" "$c" "$o"
			expect_in "$err" "needs a value" "'naclemu $c $o' (offered with a value)"
		elif [[ $o == --* ]]; then
			expect_exit 1 timeout 10 "$N" "$c" "$o=x"
			expect_in "$err" "invalid option '$o=x'" "'naclemu $c $o=x' (offered without a value)"
		fi
	done
done

# 4. Values.
expect_eq "$(complete_words naclemu attach --hook '')" "auto clsact tcx" "--hook values"
expect_eq "$(complete_words naclemu attach --hook = c)" "clsact" "--hook=c split at '='"
expect_eq "$(complete_words naclemu attach --hook=c)" "--hook=clsact" "--hook=c as one word"
expect_eq "$(complete_words naclemu flow --nacl-on '')" "client server" "--nacl-on values"
expect_in " $(complete_words naclemu attach -i '') " " lo " "interfaces for -i"
expect_in " $(complete_words naclemu stats --interface l) " " lo " "interfaces for --interface"
expect_eq "$(complete_words naclemu check examples/web-server.n)" "examples/web-server.nacl" "rule file"
expect_eq "$(complete_words naclemu diff examples/web-server.nacl examples/web-server-n)" \
	"examples/web-server-no-ephemeral.nacl" "diff's NEW file"
expect_eq "$(complete_words naclemu metrics --textfile exam)" "examples" "folders for --textfile"
expect_eq "$(complete_words naclemu metrics --textfile examples/)" "" "no files for --textfile"
expect_eq "$(complete_words naclemu status '')" "" "status takes no file"
expect_eq "$(complete_words naclemu explain r --src '')" "" "no guess for an address"
expect_eq "$(complete_words naclemu frobnicate '')" "" "unknown command"

# -n: the named namespaces; -i after -n: that namespace's interfaces.
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
	ns=naclemu-comp-$$
	trap 'ip netns del "$ns" 2>/dev/null' EXIT
	if ip netns add "$ns"; then
		expect_in " $(complete_words naclemu attach -n '') " " $ns " "namespaces for -n"
		expect_in " $(complete_words naclemu attach --netns naclemu-comp-) " " $ns " "namespaces for --netns"
		ip -n "$ns" link add naclemu-cd0 type veth peer name naclemu-cd1
		expect_eq "$(complete_words naclemu detach -n "$ns" -i '')" "lo naclemu-cd0 naclemu-cd1" \
			"interfaces of -n's namespace"
		expect_eq "$(complete_words naclemu stats --netns = "$ns" -i naclemu-cd1)" "naclemu-cd1" \
			"interfaces of --netns=NS's namespace"
		expect_eq "$(complete_words naclemu detach -n "/run/netns/$ns" -i naclemu-cd0)" "naclemu-cd0" \
			"interfaces of a namespace path"
		expect_eq "$(complete_words naclemu attach -n /run/netns/naclemu-comp-$$)" "/run/netns/$ns" \
			"a namespace path"
		ip netns del "$ns"
	fi
else
	echo "note: not root: the namespace cases are not run"
fi

finish
