#!/bin/bash
# 32-inventory-ftp-http: imports over real FTP (Debian's vsftpd on loopback
# with a test user and password from herald.conf) and over HTTP (python's
# http.server on loopback). Credentials never show in output or records;
# a refused login and a 404 leave the inventory as it was.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/inventory.sh"
need_db
VSFTPD=$(command -v vsftpd || echo /usr/sbin/vsftpd)
[ -x "$VSFTPD" ] || skip_all "vsftpd is not installed (tools/install-deps)"
[ "$(id -u)" = 0 ] || skip_all "the FTP test user needs root"
plan 18

db=$(inv_db)
T=$TEST_TMP
mkdir -p "$T/ftp" "$T/www" "$T/empty"
inv_gen "$T/ftp" --subscribers 500 --olts 5 --gzip
inv_gen "$T/www" --subscribers 500 --olts 5 --remove-every 50 --move-every 40 --add 3
chmod -R a+rX "$T/ftp" "$T/www"

# The FTP test user: a system account without a shell, a password made up
# now, and a PAM service of our own (Debian's requires a login shell).
FTP_USER=heraldftp
FTP_PASS="pw-$RANDOM-$RANDOM-$$"
PAM_FILE=/etc/pam.d/herald-test-ftp
id "$FTP_USER" >/dev/null 2>&1 ||
	useradd -M -d "$T/ftp" -s /usr/sbin/nologin "$FTP_USER"
echo "$FTP_USER:$FTP_PASS" | chpasswd
printf 'auth required pam_unix.so\naccount required pam_unix.so\nsession required pam_permit.so\n' >"$PAM_FILE"
TEST_CLEANUP="$TEST_CLEANUP userdel $FTP_USER 2>/dev/null; rm -f $PAM_FILE;"

ftp_port=$(pg_free_port)
pasv=$(pg_free_port)
cat >"$T/vsftpd.conf" <<EOC
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$ftp_port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
local_root=$T/ftp
pam_service_name=herald-test-ftp
secure_chroot_dir=$T/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$pasv
pasv_max_port=$pasv
connect_from_port_20=NO
xferlog_enable=YES
vsftpd_log_file=$T/vsftpd.log
userlist_enable=NO
EOC
"$VSFTPD" "$T/vsftpd.conf" >"$T/vsftpd.out" 2>&1 &
TEST_PIDS="$TEST_PIDS $!"
ok "vsftpd listens on loopback" wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ftp_port"

http_port=$(pg_free_port)
python3 -m http.server "$http_port" --bind 127.0.0.1 --directory "$T/www" \
	>"$T/http.log" 2>&1 &
TEST_PIDS="$TEST_PIDS $!"
ok "the HTTP server listens on loopback" wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$http_port"

cat >"$T/h.conf" <<EOC
database {
	conninfo = "$db"
}
inventory {
	username = "$FTP_USER"
	password = "$FTP_PASS"
}
EOC
ctl() { "$HERALDCTL" -c "$T/h.conf" inventory import -q "$@" >"$T/out" 2>"$T/err"; }

# Devices with the credentials in the URL, subscribers with them from the
# configuration.
ctl -D "ftp://$FTP_USER:$FTP_PASS@127.0.0.1:$ftp_port/devices.csv"
is "the device list comes over FTP (credentials in the URL)" "$?" 0
ctl "ftp://127.0.0.1:$ftp_port/subscribers.csv.gz"
is "the gzipped subscriber file comes over FTP (credentials from herald.conf)" "$?" 0
like "and is imported" "$(cat "$T/out")" "500 rows, 500 loaded, 0 rejected; 500 added"
is "500 subscribers" "$(q "$db" "SELECT count(*) FROM subscribers")" 500
is "the sources are recorded without credentials" \
	"$(q "$db" "SELECT string_agg(source, ' ' ORDER BY id) FROM inventory_imports")" \
	"ftp://127.0.0.1:$ftp_port/devices.csv ftp://127.0.0.1:$ftp_port/subscribers.csv.gz"
is "the password is nowhere in the database" \
	"$(q "$db" "SELECT count(*) FROM inventory_imports WHERE source || coalesce(error, '') || run_by LIKE '%$FTP_PASS%'")" 0
like "vsftpd served the files to the test user" "$(cat "$T/vsftpd.log")" \
	"\\[$FTP_USER\\] OK DOWNLOAD: .*subscribers.csv.gz"

before=$(inv_state "$db")
sed -i "s/$FTP_PASS/wrong-password/" "$T/h.conf"
ctl "ftp://127.0.0.1:$ftp_port/subscribers.csv.gz"
is "a refused login fails the import" "$?" 1
like "with the server's answer" "$(cat "$T/err")" "cannot fetch ftp://127.0.0.1:$ftp_port/subscribers.csv.gz: .*(530|Access denied|Login)"
is "and leaves the inventory alone" "$(inv_state "$db")" "$before"

ctl "http://127.0.0.1:$http_port/subscribers.csv"
is "the changed file comes over HTTP" "$?" 0
like "with its diff" "$(cat "$T/out")" "3 added, 10 removed, 12 moved, 0 updated"
ctl "http://127.0.0.1:$http_port/subscribers.csv"
like "the same file over HTTP again is unchanged" "$(cat "$T/out")" "subscribers unchanged"

before=$(inv_state "$db")
ctl "http://127.0.0.1:$http_port/missing.csv"
is "a 404 fails the import" "$?" 1
like "saying so" "$(cat "$T/err")" "cannot fetch http://127.0.0.1:$http_port/missing.csv: the server answered 404"
is "and leaves the inventory alone" "$(inv_state "$db")" "$before"
