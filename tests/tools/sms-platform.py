#!/usr/bin/env python3
"""sms-platform.py: a stand-in for an operator's HTTP/JSON SMS platform
(test 65). POST bodies are logged one JSON object per line to LOG, with
the Authorization header the request carried; the answer follows the
first word of the CONTROL file, read per request:
  ok     200 {"code": "OK", "id": "m<n>"}      (accepted)
  reject 200 {"code": "E_TEMPLATE"}            (a refusal in the body)
  503    503                                    (not accepted)
usage: sms-platform.py PORTFILE LOG CONTROL
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile, control = sys.argv[1:4]
lock = threading.Lock()
count = [0]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            mode = open(control).read().split()[0]
        except (OSError, IndexError):
            mode = "ok"
        with lock:
            count[0] += 1
            n = count[0]
            with open(logfile, "a") as f:
                f.write(json.dumps({"mode": mode, "auth": self.headers.get(
                    "Authorization"), "body": json.loads(body)},
                    ensure_ascii=False) + "\n")
        if mode == "503":
            self.send_response(503)
            self.end_headers()
            return
        answer = {"code": "OK", "id": "m%d" % n} if mode == "ok" else \
            {"code": "E_TEMPLATE"}
        out = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
