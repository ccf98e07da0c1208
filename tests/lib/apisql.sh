# apisql.sh: call the API's SQL functions (schema/060_api.sql, 080_web.sql)
# as heraldd calls them, SELECT api_NAME(args::jsonb, role, actor), with the
# args passed as a psql variable (a bound value, as heraldd's $1). Needs
# $db (a conninfo); source after tap.sh.

# call FN ROLE ARGS [ACTOR]: the function's JSON, or "ERROR:  CODE: message".
call() {
	printf "SELECT api_%s(:'args'::jsonb, :'role', :'actor');\n" "$1" |
		psql -X -q -At -v VERBOSITY=verbose -v args="$3" -v role="$2" \
			-v actor="${4:-tester}" -d "$db" -f - 2>&1 |
		grep -v -E '^(CONTEXT|LOCATION|PL/pgSQL|SQL statement)' |
		sed 's/^psql:<stdin>:[0-9]*: //'
}
# code FN ROLE ARGS: "SQLSTATE message" of the refusal, or "ok".
code() {
	local out
	out=$(call "$@")
	case "$out" in
	ERROR:*) printf '%s' "$out" | head -1 | sed 's/^ERROR:  //; s/: / /' ;;
	*) echo ok ;;
	esac
}
# j JSON FILTER: jq -r, one line.
j() { printf '%s' "$1" | jq -r -c "$2" 2>&1; }
