#!/bin/bash
# 42-rules-replay: the rules engine's scenarios (tests/rules/scenarios.py),
# each replayed by "heraldctl replay" against the same small fleet in a
# real database, must give exactly the incidents the table expects: scope,
# cause, final state, number of accounts, planned or not.
. "${top_srcdir:-.}/tests/lib/tap.sh"
need_db
SCEN="$top_srcdir/tests/rules/scenarios.py"
names=$(python3 "$SCEN" list)
plan $(( $(echo "$names" | wc -l) + 2 ))

db=$(new_db)
"$HERALDCTL" db migrate -d "$db" >/dev/null
python3 "$SCEN" inventory "$TEST_TMP/inv"
# Fixed ids: the expected scopes name devices by id.
q "$db" "INSERT INTO devices (id, name, kind, vendor, model, mgmt_addr) VALUES
	(1, 'olt-1', 'olt', 'huawei', 'MA5800-X7', '127.0.1.1'),
	(2, 'olt-2', 'olt', 'huawei', 'MA5800-X7', '127.0.1.2'),
	(3, 'dslam-1', 'dslam', 'acme', 'D5000', '127.0.1.3')" >/dev/null
"$HERALDCTL" -c /nonexistent -d "$db" inventory import -q \
	"$TEST_TMP/inv/subscribers.csv" >"$TEST_TMP/import.out" 2>&1
is "the scenario fleet is imported" \
	"$(q "$db" "SELECT count(*) FROM subscribers")" "584"

# got OUT: the summary's incidents as "SCOPE CAUSE STATE ACCOUNTS [planned]".
got() {
	sed -n '/^incidents:/,/^events=/p' "$1" | grep '^  ' |
		awk '{ printf "%s %s %s %s%s\n", $1, $2, $3, substr($4, 10),
		    ($NF == "planned" ? " planned" : "") }'
}

for s in $names; do
	python3 "$SCEN" events "$s" >"$TEST_TMP/$s.events"
	python3 "$SCEN" expect "$s" >"$TEST_TMP/$s.expect"
	setup=$(python3 "$SCEN" setup "$s")
	[ -n "$setup" ] && q "$db" "$setup" >/dev/null
	"$HERALDCTL" -c /nonexistent -d "$db" replay -q "$TEST_TMP/$s.events" \
		>"$TEST_TMP/$s.out" 2>&1
	[ -n "$setup" ] && q "$db" "DELETE FROM maintenance_windows" >/dev/null
	want=$(grep -v '^= ' "$TEST_TMP/$s.expect")
	have=$(got "$TEST_TMP/$s.out")
	stats=$(grep '^events=' "$TEST_TMP/$s.out")
	okstats=1
	for f in $(sed -n 's/^= //p' "$TEST_TMP/$s.expect"); do
		case " $stats " in *" $f "*) ;; *) okstats=0 ;; esac
	done
	if [ "$have" = "$want" ] && [ $okstats = 1 ]; then
		pass "$s"
	else
		fail "$s"
		diag "expected:
$want
$(sed -n 's/^= //p' "$TEST_TMP/$s.expect")
got:
$have
$stats
$(tail -5 "$TEST_TMP/$s.out")"
	fi
done

# The replay prints each change as it happens, on the simulated clock.
"$HERALDCTL" -c /nonexistent -d "$db" replay "$TEST_TMP/power-cut.events" \
	>"$TEST_TMP/verbose.out" 2>&1
like "changes are printed with their time" "$(cat "$TEST_TMP/verbose.out")" \
	"\\+96\\.7s +1:p0/1/2 +confirmed +power_cut +accounts=90 +Area power cut: olt-1 0/1/2, 90 accounts"
