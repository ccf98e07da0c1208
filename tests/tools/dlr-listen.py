#!/usr/bin/env python3
# dlr-listen.py PORTFILE LOGFILE: stand in for the HTTP endpoint a gateway
# calls back with delivery reports. Listens on a free loopback port (written
# to PORTFILE once listening, so the test knows when to go on), answers every
# request 200 and logs "METHOD PATH?QUERY" one per line, flushed at once.
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile = sys.argv[1], sys.argv[2]
log = open(logfile, "a", buffering=1)


class Handler(BaseHTTPRequestHandler):
    def answer(self):
        log.write("%s %s\n" % (self.command, self.path))
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
