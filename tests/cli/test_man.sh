#!/usr/bin/env bash
# The man pages (docs/man/*.scd): each renders with scdoc and then with
# man(1) without a warning; every command that `naclemu --help` lists has a
# page, and every page is a command's; every option that a command's --help
# prints (--long, and -x in "-x," or the usage line) is in its page, and the
# global options are in naclemu(8).  Pages are written to $OUT/man/, as
# `make man` writes them.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
OUT=${OUT:-build}
N=$NACLEMU
command -v scdoc >/dev/null || skip "scdoc is not installed (apt-get install scdoc)"
[ -x "$N" ] || skip "$N is not built (make)"
# --warnings=w is groff's -ww, every warning: man's "all" would leave out
# undefined macros.
if command -v man >/dev/null && man --version >/dev/null 2>&1; then
	render() { LC_ALL=C MANWIDTH=80 man --warnings=w -l "$1"; }
elif command -v groff >/dev/null; then
	render() { LC_ALL=C groff -man -Tascii -ww "$1"; }
else
	skip "neither man nor groff is installed"
fi
mkdir -p "$OUT/man" || skip "cannot write $OUT/man"

# has_opt FILE OPT: OPT appears in FILE as a whole option, not as part of
# a longer one (--subnet is not found in --subnet-id, -n not in --netns).
has_opt() {
	grep -qE -- "(^|[^-[:alnum:]])$2([^-[:alnum:]]|\$)" "$1"
}

# The options a --help text names: every --long word, every short -x
# written as "-x," (the Options list), and those of the Usage lines
# ("[-n NETNS] -i IFACE"; not the examples, where "jq -c" is no option).
help_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' <<<"$1"
	grep -oE -- '(^|[[:space:]])-[a-zA-Z],' <<<"$1" | grep -oE -- '-[a-zA-Z]'
	sed -n '/^Usage:/,/^$/p' <<<"$1" |
		grep -oE -- '(^|[[:space:][])-[a-zA-Z]([],[:space:]]|$)' | grep -oE -- '-[a-zA-Z]'
}

# 1. Every page renders: scdoc, then man, silently.
pages=()
for src in docs/man/*.scd; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .scd)
	page=$OUT/man/$name
	pages+=("$name")
	_checks=$((_checks + 1))
	if ! scdoc <"$src" >"$page" 2>"$page.err"; then
		fail "$src: scdoc failed: $(cat "$page.err")"
	elif [ -s "$page.err" ]; then
		fail "$src: scdoc wrote to stderr: $(cat "$page.err")"
	fi
	_checks=$((_checks + 1))
	text=$(render "$page" 2>"$page.err")
	if [ -s "$page.err" ]; then
		fail "$page: man warns: $(head -n 5 "$page.err")"
	elif ! grep -q NAME <<<"$text"; then
		fail "$page: renders without a NAME section"
	fi
	rm -f "$page.err"
done
_checks=$((_checks + 1))
[ ${#pages[@]} -gt 0 ] || fail "no page in docs/man/*.scd"
_checks=$((_checks + 1))
[ -f docs/man/naclemu.8.scd ] || fail "docs/man/naclemu.8.scd is missing"

# 2. The commands of `naclemu --help` and the pages match one to one.
expect_exit 0 "$N" --help
cmds=$(sed -n '/^Commands:/,/^$/p' <<<"$out" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || fail "no command list in 'naclemu --help'"
for c in $cmds; do
	_checks=$((_checks + 1))
	[ -f "docs/man/naclemu-$c.8.scd" ] || fail "command $c has no page docs/man/naclemu-$c.8.scd"
	_checks=$((_checks + 1))
	grep -qF "*$c*" docs/man/naclemu.8.scd || fail "naclemu.8.scd does not list the command $c"
done
for src in docs/man/naclemu-*.8.scd; do
	[ -f "$src" ] || continue
	c=$(basename "$src" .8.scd)
	c=${c#naclemu-}
	_checks=$((_checks + 1))
	grep -qx "$c" <<<"$cmds" || fail "$src: '$c' is not a command of 'naclemu --help'"
done

# 3. Global options in naclemu(8), each command's options in its page.
for o in $(help_opts "$out" | sort -u); do
	_checks=$((_checks + 1))
	has_opt docs/man/naclemu.8.scd "$o" || fail "naclemu.8.scd lacks the global option $o"
done
for c in $cmds; do
	src=docs/man/naclemu-$c.8.scd
	[ -f "$src" ] || continue
	expect_exit 0 "$N" "$c" --help
	opts=$(help_opts "$out" | sort -u)
	[ -n "$opts" ] || fail "'naclemu $c --help' names no option"
	for o in $opts; do
		_checks=$((_checks + 1))
		has_opt "$src" "$o" || fail "$src lacks $o, which 'naclemu $c --help' prints"
	done
done

finish
