# bench/stormlib.sh: the pieces bench/storm and bench/e2e share. Source
# from the top of the tree after setting tmp (the run's folder):
#
#   storm_pg_start          a private PostgreSQL in $tmp/pg, migrated; sets
#                           pgport, db (conninfo) and q() (one psql query)
#   storm_fleet_line NAME ADDR BOARDS PONS ONUS
#                           one OLT of the fleet (append to $tmp/fleet);
#                           storm_idle_fleet N adds N idle OLTs of 2x8x128
#   storm_inventory         the fleet's devices.csv and subs.csv (one
#                           account a ONU, 11-digit mobiles 138..., four
#                           splitters a port), imported with heraldctl
#   storm_heraldd CONF      start heraldd -d on CONF, log $tmp/h.log; sets
#                           hpid; waits until its inventory index is loaded
#   storm_cpu               heraldd's CPU ticks so far
#   storm_cleanup           stop heraldd and PostgreSQL, remove $tmp
#                           (KEEP=1: leave them)
#
# OLT K of a storm sends from 127.0.2.K (bench/stormblast binds there), so
# the fleet's storm OLTs are named and addressed by their K.

storm_pg_start() {
	pgport=$(pg_free_port)
	pg_start "$tmp/pg" "$pgport" >/dev/null || return 1
	db="host=$tmp/pg port=$pgport user=postgres dbname=postgres"
	./heraldctl -s schema db migrate -d "$db" >/dev/null
}

q() { psql -X -qAt -d "$db" -c "$1"; }

storm_fleet_line() {
	echo "$1 $2 $3 $4 $5" >>"$tmp/fleet"
}

storm_idle_fleet() {
	awk -v n="$1" 'BEGIN { for (k = 0; k < n; k++)
		printf "idle-%d 127.%d.%d.%d 2 8 128\n", k, 3 + int(k / 65025),
		    int(k / 255) % 255, 1 + k % 255 }' >>"$tmp/fleet"
}

storm_inventory() {
	python3 - "$tmp" <<'EOP' || return 1
import sys
out = sys.argv[1]
with open(out + "/fleet") as f, open(out + "/devices.csv", "w") as d, \
        open(out + "/subs.csv", "w") as s:
    d.write("name,kind,vendor,model,mgmt_addr\n")
    s.write("account,name,phones,address,region,device,frame,slot,port,onu_id,splitter\n")
    n = 0
    for line in f:
        name, addr, boards, pons, onus = line.split()
        boards, pons, onus = int(boards), int(pons), int(onus)
        d.write("%s,olt,huawei,MA5800-X7,%s\n" % (name, addr))
        for b in range(1, boards + 1):
            for p in range(pons):
                for o in range(onus):
                    s.write("A%07d,,1%010d,,,%s,0,%d,%d,%d,SP-%d-%d-%d\n"
                            % (n, 3800000000 + n, name, b, p, o, b, p, o // 32))
                    n += 1
EOP
	./heraldctl -c /nonexistent -d "$db" inventory import -q -D "$tmp/devices.csv" >/dev/null &&
		./heraldctl -c /nonexistent -d "$db" inventory import -q "$tmp/subs.csv" >/dev/null
}

storm_heraldd() {
	./heraldd -d -c "$1" >"$tmp/h.log" 2>&1 &
	hpid=$!
	for _ in $(seq 300); do
		grep -q "inventory: index" "$tmp/h.log" 2>/dev/null && grep -q "trap: [0-9]* devices known" "$tmp/h.log" && break
		kill -0 "$hpid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "inventory: index" "$tmp/h.log" || { echo "heraldd did not load its inventory" >&2; tail "$tmp/h.log" >&2; return 1; }
}

storm_cpu() { awk '{ print $14 + $15 }' "/proc/$hpid/stat"; }

storm_cleanup() {
	[ -n "${hpid:-}" ] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then
		echo "kept: $tmp (database on port $pgport; pg_ctl -D $tmp/pg/data stop)"
		return
	fi
	pg_destroy "$tmp/pg"
	rm -rf "$tmp"
}
