#!/bin/bash
# 02-config: heraldd -n accepts the example configuration and rejects broken
# ones with status 78, naming file, line and key, every error at once.
. "${top_srcdir:-.}/tests/lib/tap.sh"
plan 9

out=$("$HERALDD" -n -c "$top_srcdir/systemd/herald.conf.example" 2>&1)
rc=$?
is "the example configuration is valid" "$rc" "0"
like "and says so" "$out" "^configuration OK$"

cat >"$TEST_TMP/bad1.conf" <<'EOC'
database {
	conninfo = "dbname=x"
	heartbeat = -5
}
log {
	level = "chatty"
}
http {
	listen = "localhost:80"
}
EOC
out=$("$HERALDD" -n -c "$TEST_TMP/bad1.conf" 2>&1)
rc=$?
is "bad values exit 78 (EX_CONFIG)" "$rc" "78"
like "heartbeat error names file, line and key" "$out" "bad1.conf:3: heartbeat: must be a positive number"
like "level error names its line" "$out" "bad1.conf:6: level: \"chatty\" is not one of"
like "listen error names its line" "$out" "bad1.conf:9: listen: \"localhost:80\" is not a numeric ADDRESS:PORT"
like "all three are reported in one run" "$out" "3 errors"

printf 'database {\n\tconninfo = "x"\n}\nnosuchkey = 1\n' >"$TEST_TMP/bad2.conf"
out=$("$HERALDD" -d -c "$TEST_TMP/bad2.conf" 2>&1)
rc=$?
is "an unknown key stops heraldd with 78" "$rc" "78"
like "naming the key and line" "$out" "bad2.conf:4: .*nosuchkey"
