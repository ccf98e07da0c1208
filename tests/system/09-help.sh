#!/bin/bash
# 09-help: -h/--help on heraldd, heraldctl (and each of its commands) and
# herald-sim; the manual pages pass mandoc's lint and name every command,
# option and configuration key.
. "${top_srcdir:-.}/tests/lib/tap.sh"
SIM="$top_builddir/herald-sim"
MAN="$top_srcdir/doc"
EXAMPLE="$top_srcdir/systemd/herald.conf.example"

# help_ok DESC REGEX COMMAND...: exits 0, usage on stdout, nothing on stderr.
help_ok() {
	local desc=$1 re=$2 rc; shift 2
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	if [ $rc = 0 ] && [ ! -s "$TEST_TMP/err" ] &&
	    grep -Eq -- "$re" "$TEST_TMP/out"; then
		pass "$desc"
	else
		fail "$desc"
		diag "command: $* (exit $rc)"
		diag "$(head -5 "$TEST_TMP/out" "$TEST_TMP/err")"
	fi
}

# usage_err DESC COMMAND...: exits 64, usage on stderr, nothing on stdout.
usage_err() {
	local desc=$1 rc; shift
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	if [ $rc = 64 ] && [ ! -s "$TEST_TMP/out" ] &&
	    grep -q usage "$TEST_TMP/err"; then
		pass "$desc"
	else
		fail "$desc"
		diag "command: $* (exit $rc)"
	fi
}

# The commands heraldctl --help lists: "name" or "name sub" (a lower-case
# second word is a sub-command; ID, KIND, [..., --... are arguments).
"$HERALDCTL" --help 2>/dev/null | sed -n 's/^  \([a-z]\)/\1/p' |
	awk '{ print ($2 ~ /^[a-z]+$/) ? $1 " " $2 : $1 }' >"$TEST_TMP/cmds"
ncmds=$(wc -l <"$TEST_TMP/cmds")

plan $((19 + 2 * ncmds))

help_ok "heraldd --help: usage and options on stdout, exit 0" \
	'^usage: heraldd .*-c file' "$HERALDD" --help
help_ok "heraldd -h too" '-n +check the configuration' "$HERALDD" -h
usage_err "heraldd with a bad option: usage on stderr, exit 64" \
	"$HERALDD" --no-such-option
help_ok "heraldctl --help lists the commands" \
	'^  db migrate.*' "$HERALDCTL" --help
help_ok "heraldctl -h too" '^  ticket ID ' "$HERALDCTL" -h
usage_err "heraldctl with a bad option: exit 64" "$HERALDCTL" --no-such-option
usage_err "heraldctl with an unknown command: exit 64" "$HERALDCTL" no-such-command
usage_err "heraldctl no-such-command --help: exit 64" \
	"$HERALDCTL" no-such-command --help
help_ok "herald-sim --help: the fleet options" '--olts N.*--vendors' \
	"$SIM" --help
help_ok "herald-sim -h too" '--write-inventory DIR' "$SIM" -h
usage_err "herald-sim with a bad option: exit 64" "$SIM" --no-such-option
is "heraldctl --help lists 20 commands or more" \
	"$([ "$ncmds" -ge 20 ] && echo yes)" yes

# Every command: its own --help (or -h after a first argument), exit 0.
while read -r cmd; do
	help_ok "heraldctl $cmd --help" "^usage: heraldctl $cmd" \
		"$HERALDCTL" $cmd --help
	name=${cmd%% *} sub=${cmd#* }
	if grep -Eq "^\.(It )?Ic $name\b" "$MAN/heraldctl.8" &&
	    { [ "$sub" = "$cmd" ] ||
	    grep -Eq "^\.(It )?Ic $name .*\b$sub\b" "$MAN/heraldctl.8"; }; then
		pass "heraldctl.8 describes $cmd"
	else
		fail "heraldctl.8 describes $cmd"
	fi
done <"$TEST_TMP/cmds"
help_ok "heraldctl db --help: every db command" \
	'^usage: heraldctl db status' "$HERALDCTL" db --help
help_ok "heraldctl ticket 7 ack -h: the ticket command's help" \
	'--note TEXT' "$HERALDCTL" ticket 7 ack -h
help_ok "heraldctl -c missing.conf tickets --help needs no configuration" \
	'--overdue' "$HERALDCTL" -c "$TEST_TMP/missing.conf" tickets --help

# The pages: mandoc finds nothing worse than style notes.
if command -v mandoc >/dev/null; then
	out=$(mandoc -T lint -W warning "$MAN/heraldd.8" "$MAN/heraldctl.8" \
		"$MAN/herald.conf.5" 2>&1)
	is "mandoc -T lint: no warnings or errors in the three pages" "$out" ""
else
	pass "# SKIP mandoc is not installed"
fi

# heraldd.8 names each of heraldd's options.
missing=""
for o in c d h n v V; do
	grep -q "^\.It Fl $o\b" "$MAN/heraldd.8" || missing="$missing -$o"
done
is "heraldd.8 describes every option" "$missing" ""

# herald.conf.5 describes every key and section of the example (the
# commented ones too), each under its own section's heading.
missing=$(python3 - "$EXAMPLE" "$MAN/herald.conf.5" <<'PY'
import re, sys
keys, stack = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    s = re.sub(r'^\s*#?\s*', '', line.rstrip())
    top = stack[0] if stack else "Top level"
    if re.match(r'^\}$', s):
        stack.pop()
    elif m := re.match(r'^([a-z_]+)\s*("[^"]*"\s*)?\{$', s):
        keys.append((top if stack else None, m.group(1)))
        stack.append(m.group(1))
    elif m := re.match(r'^([a-z_]+)\s*=', s):
        keys.append((top, m.group(1)))
page, sec = {}, None
for line in open(sys.argv[2], encoding="utf-8"):
    if line.startswith(".Ss "):
        sec = line[4:].strip()
        page[sec] = set()
    elif sec and (m := re.match(r'^\.It Ic (\S+)(.*Ic (\S+))?', line)):
        page[sec].update(g for g in (m.group(1), m.group(3)) if g)
for sec, key in keys:
    if sec is None and key not in page or sec and key not in page.get(sec, ()):
        print(f"{sec}.{key}" if sec else key)
PY
)
is "herald.conf.5 describes every key of herald.conf.example" "$missing" ""
is "and the example has keys to compare (parser sanity)" \
	"$(grep -c '^	[a-z_]* = ' "$EXAMPLE" | awk '{ print ($1 > 50) }')" 1
