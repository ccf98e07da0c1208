#!/bin/bash
# 05-systemd: the units pass systemd-analyze verify, and make install lays
# out binaries, units, schema and example configuration.
. "${top_srcdir:-.}/tests/lib/tap.sh"
plan 4

if command -v systemd-analyze >/dev/null; then
	# verify checks that ExecStart= exists: point it at the built binary.
	mkdir -p "$TEST_TMP/units"
	sed -e "s|@sbindir@|$top_builddir|g" -e "s|@sysconfdir@|/etc|g" \
		-e "s|@pkgdatadir@|/usr/share/herald|g" \
		"$top_srcdir/systemd/heraldd.service.in" >"$TEST_TMP/units/heraldd.service"
	cp "$top_srcdir/systemd/heraldd.socket" "$TEST_TMP/units/"
	out=$(cd "$TEST_TMP/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify \
		--man=no ./heraldd.service ./heraldd.socket 2>&1 |
		grep -v -e "Failed to .*bus" -e "unit configures an IP firewall" -e "^$")
	is "systemd-analyze verify finds nothing wrong" "$out" ""
else
	pass "# SKIP systemd-analyze not installed"
fi

make -C "$top_builddir" install DESTDIR="$TEST_TMP/root" >"$TEST_TMP/install.log" 2>&1
rc=$?
is "make install DESTDIR=... works" "$rc" "0"
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
missing=""
for f in sbin/heraldd bin/heraldctl share/herald/schema/001_core.sql \
	share/herald/herald.conf.example lib/systemd/system/heraldd.service \
	lib/systemd/system/heraldd.socket lib/sysusers.d/herald.conf \
	lib/tmpfiles.d/herald.conf; do
	[ -e "$TEST_TMP/root$prefix/$f" ] || missing="$missing $f"
done
is "everything is installed" "$missing" ""
like "the installed unit runs the installed binary" \
	"$(cat "$TEST_TMP/root$prefix/lib/systemd/system/heraldd.service")" \
	"ExecStart=$prefix/sbin/heraldd -c"
