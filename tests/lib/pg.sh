# pg.sh: a private, throw-away PostgreSQL 15 server (sourced by tests/run,
# tools/demo and the tests that stop and start their own server).
#
#   pg_start DIR PORT   initdb (if needed) and start; socket in DIR
#   pg_stop DIR         stop, keep the data
#   pg_destroy DIR      stop and remove DIR
#
# initdb refuses to run as root, so as root the server runs as "postgres".

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_free_port() {
	local p
	while :; do
		# Below the kernel's ephemeral range (32768-60999): no outgoing
		# connection of another test holds these.
		p=$(( (RANDOM % 20000) + 10000 ))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo $p
			return
		fi
	done
}

pg_start() {
	local dir=$1 port=$2
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$dir"
		chmod 0755 "$dir"
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		pg_as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust \
			-E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; return 1; }
	fi
	pg_as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null || { tail -20 "$dir/server.log" >&2; return 1; }
}

pg_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pg_as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

pg_destroy() {
	local dir=$1
	pg_stop "$dir" || true
	rm -rf "$dir"
}
