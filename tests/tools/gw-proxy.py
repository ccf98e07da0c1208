#!/usr/bin/env python3
# gw-proxy.py: an HTTP proxy in front of Kannel's sendsms that misbehaves
# on request, for the faults Kannel itself cannot produce (5xx, hangs, slow
# answers). The mode is the first line of the --control file, read on every
# request so a test changes it by rewriting the file (atomically: write and
# rename):
#   pass        forward to --upstream and relay the answer
#   503         answer 503 without forwarding (Kannel never saw it)
#   hang        read the request, never answer; the connection is closed
#               when the client gives up or the mode changes
#   reset       close the connection without an answer
#   delay MS    wait MS milliseconds, then forward
#   garbage     answer 200 with 64 random bytes (not UTF-8, NULs, no
#               "0: Accepted"), without forwarding: a broken gateway or a
#               captive portal; nothing reached Kannel
# Every request is logged to --log as "MODE<TAB>METHOD<TAB>PATH<TAB>STATUS"
# when it ends (STATUS "-" when nothing was answered); the log is how a test
# knows whether a retry reached the gateway. There is no signal to send:
# the file is read per request (SIGHUP is ignored rather than fatal).
import argparse
import http.client
import os
import select
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--upstream", required=True, help="http://HOST:PORT")
ap.add_argument("--control", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--listen", default="127.0.0.1:0")
ap.add_argument("--port-file")
args = ap.parse_args()

up_host, _, up_port = args.upstream.split("//", 1)[1].rstrip("/").partition(":")
log = open(args.log, "a", buffering=1)
log_lock = threading.Lock()


def mode():
    try:
        with open(args.control) as f:
            return (f.readline().split() or ["pass"])
    except OSError:
        return ["pass"]


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def record(self, m, status):
        with log_lock:
            log.write("%s\t%s\t%s\t%s\n" % (" ".join(m), self.command,
                                            self.path, status))

    def client_gone(self):
        r, _, _ = select.select([self.connection], [], [], 0.1)
        if not r:
            return False
        try:
            return self.connection.recv(1, 0x02) == b""  # MSG_PEEK
        except OSError:
            return True

    def forward(self, body):
        conn = http.client.HTTPConnection(up_host, int(up_port), timeout=60)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body, headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding",
                                 "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()
        return r.status

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        m = mode()
        if m[0] == "503":
            msg = b"gw-proxy: 503\n"
            self.send_response(503)
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            self.record(m, 503)
        elif m[0] == "garbage":
            # never a prefix Kannel's answers start with ("0:", "3:",
            # "Accepted", "Queued"): the first byte is above 0x7f
            msg = bytes([0x80 | os.urandom(1)[0]]) + os.urandom(63)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            self.record(m, 200)
        elif m[0] == "hang":
            while mode()[0] == "hang" and not self.client_gone():
                pass
            self.record(m, "-")
            self.close_connection = True
        elif m[0] == "reset":
            self.record(m, "-")
            self.close_connection = True
        else:
            if m[0] == "delay" and len(m) > 1:
                time.sleep(int(m[1]) / 1000.0)
            try:
                status = self.forward(body)
            except OSError as e:
                status = "upstream:%s" % e.__class__.__name__
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
            self.record(m, status)

    do_GET = do_POST = handle_one

    def log_message(self, *a):
        pass


signal.signal(signal.SIGHUP, lambda *a: None)
host, _, port = args.listen.rpartition(":")
ThreadingHTTPServer.daemon_threads = True
srv = ThreadingHTTPServer((host, int(port)), Proxy)
if args.port_file:
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
print("gw-proxy: listening on %s:%d" % srv.server_address[:2], file=sys.stderr)
srv.serve_forever()
