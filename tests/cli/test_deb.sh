#!/usr/bin/env bash
# The Debian package that `make deb` (a prerequisite of `make test-build`)
# leaves in $OUT: lintian finds no error and no warning; unpacked into a
# scratch root with `dpkg -x`, its binary runs (--version is the package's
# version, `check` reads an installed example), every man page of
# docs/man/ is there and renders, the systemd unit verifies and starts
# `naclemu daemon /etc/naclemu/naclemu.yaml`, the bash completion is there
# and completes, and the runtime Depends were computed from the binary
# (docs/packaging.md).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
OUT=${OUT:-build}
command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed (not a Debian system)"
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
arch=$(dpkg --print-architecture)
deb=$OUT/naclemu_${version}_$arch.deb
[ -f "$deb" ] || skip "$deb is not built (make deb)"
root=$(mktemp -d /tmp/naclemu-deb.XXXXXX) || exit 1
trap 'rm -rf "$root"' EXIT

# 1. lintian: no error, no warning (its info tags are in the log).
if command -v lintian >/dev/null; then
	_checks=$((_checks + 1))
	lint=$(lintian --allow-root --display-info --fail-on error,warning "$deb" 2>&1); rc=$?
	printf 'lintian:\n%s\n' "$lint"
	[ "$rc" = 0 ] || fail "lintian reports errors or warnings (exit $rc): $(grep -E '^[EW]:' <<<"$lint" | head -n 5)"
	_checks=$((_checks + 1))
	grep -qE '^[EW]:' <<<"$lint" && fail "lintian: $(grep -E '^[EW]:' <<<"$lint" | head -n 1)"
else
	fail "lintian is not installed (make deps-deb)"
fi

# 2. The control fields: the version, and Depends computed by
# dpkg-shlibdeps from the binary's libraries (libbpf, libc, ...).
expect_exit 0 dpkg-deb -f "$deb" Version
expect_eq "$out" "$version" "the package's Version"
expect_exit 0 dpkg-deb -f "$deb" Depends
expect_in "$out" "libbpf1 (>=" "Depends"
expect_in "$out" "libc6 (>=" "Depends"
expect_in "$out" "libyaml-0-2" "Depends"

# 3. Unpacked, the binary runs.
expect_exit 0 dpkg-deb -x "$deb" "$root"
N=$root/usr/sbin/naclemu
_checks=$((_checks + 1))
[ -x "$N" ] || fail "no executable usr/sbin/naclemu in $deb"
expect_exit 0 "$N" --version
expect_eq "$out" "naclemu $version" "installed naclemu --version"
expect_exit 0 "$N" check "$root/usr/share/naclemu/examples/web-server.nacl"
expect_in "$out" "inbound" "installed naclemu check"
expect_exit 1 "$N" check "$root/usr/share/naclemu/examples/no-such.nacl"
expect_in "$err" "no-such.nacl" "installed naclemu check of a missing file"

# 4. Every man page, compressed, in section 8, and it renders.
for src in docs/man/*.scd; do
	page=$root/usr/share/man/man8/$(basename "$src" .scd).gz
	_checks=$((_checks + 1))
	[ -f "$page" ] || fail "man page $(basename "$page") is not in the package"
done
if command -v man >/dev/null; then
	expect_exit 0 env MANWIDTH=80 man -l "$root/usr/share/man/man8/naclemu.8.gz"
	expect_in "$out" "NAME" "man naclemu(8) from the package"
fi

# 5. The systemd unit: where this Debian release keeps units, the command
# line of the documentation, and systemd-analyze verify without a word
# (pointed at the unpacked binary and man pages).
unit=""
for d in lib/systemd/system usr/lib/systemd/system; do
	[ -f "$root/$d/naclemu.service" ] && unit=$root/$d/naclemu.service
done
_checks=$((_checks + 1))
if [ -z "$unit" ]; then
	fail "no naclemu.service in the package"
else
	expect_eq "$(sed -n 's/^ExecStart=//p' "$unit")" "/usr/sbin/naclemu daemon /etc/naclemu/naclemu.yaml" "ExecStart"
	expect_exit 0 cmp "$unit" contrib/systemd/naclemu.service
	if command -v systemd-analyze >/dev/null; then
		mkdir "$root/verify"
		sed "s|/usr/sbin/naclemu|$N|" "$unit" >"$root/verify/naclemu.service"
		expect_exit 0 env MANPATH="$root/usr/share/man" systemd-analyze verify "$root/verify/naclemu.service"
		expect_eq "$out$err" "" "systemd-analyze verify naclemu.service"
	fi
	# Installed disabled (dh_installsystemd --no-enable): postinst enables
	# the unit again only on an upgrade of a system where it was enabled
	# (debian-installed); deb-systemd-invoke starts no disabled unit.
	expect_exit 0 dpkg-deb -e "$deb" "$root/DEBIAN"
	_checks=$((_checks + 1))
	awk '/deb-systemd-helper debian-installed .naclemu.service./ { guard = 1 }
	     /deb-systemd-helper enable/ && !guard { bad = 1 }
	     END { exit bad || !guard }' "$root/DEBIAN/postinst" ||
		fail "postinst enables naclemu.service on a first installation"
fi

# 6. The bash completion, and the example configuration when the tree
# has one.
comp=$root/usr/share/bash-completion/completions/naclemu
_checks=$((_checks + 1))
if [ ! -f "$comp" ]; then
	fail "no bash completion in the package"
else
	expect_exit 0 bash -c '. "$1"; COMP_WORDS=(naclemu at); COMP_CWORD=1; _naclemu; echo "${COMPREPLY[*]}"' _ "$comp"
	expect_eq "$out" "attach" "completion of 'naclemu at' from the package"
fi
if [ -f contrib/naclemu.yaml ]; then
	expect_exit 0 cmp contrib/naclemu.yaml "$root/usr/share/naclemu/examples/naclemu.yaml"
fi

# 7. The Debian documents.
for f in copyright changelog.gz; do
	_checks=$((_checks + 1))
	[ -f "$root/usr/share/doc/naclemu/$f" ] || fail "usr/share/doc/naclemu/$f is missing"
done
expect_in "$(cat "$root/usr/share/doc/naclemu/copyright")" "License: MIT" "copyright"

finish
