#!/usr/bin/env python3
"""api-clients.py: hostile HTTP clients for heraldd's API (test 54).

  slow HOST:PORT N SECONDS URL TOKEN
      open N connections that each send half a request header and then
      nothing; meanwhile time well-behaved lookups (URL with TOKEN) on a
      fresh connection every 0.1 s for SECONDS. Prints
      "answered=A slowest_ms=M" for the good requests, then whether the
      slow connections were closed by the server: "closed=C of N".
  hold HOST:PORT N PATH
      open N keep-alive connections, send one full GET PATH on each, keep
      them open, print the status of each in order ("200 200 ... 503").
"""
import http.client
import socket
import sys
import time


def slow(addr, n, seconds, url, token):
    host, port = addr.rsplit(":", 1)
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, int(port)))
        s.sendall(b"GET /api/v1/lookup?account=x HTTP/1.1\r\nHost: h")
        socks.append(s)
    answered, slowest = 0, 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        c = http.client.HTTPConnection(host, int(port), timeout=5)
        c.request("GET", url, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        c.close()
        if r.status == 200:
            answered += 1
        slowest = max(slowest, time.monotonic() - t0)
        time.sleep(0.1)
    print("answered=%d slowest_ms=%d" % (answered, slowest * 1000))
    closed = 0
    time.sleep(0.5)
    for s in socks:
        s.settimeout(5)
        try:
            if s.recv(1) == b"":
                closed += 1
        except (socket.timeout, ConnectionError):
            closed += isinstance(sys.exc_info()[1], ConnectionError)
        s.close()
    print("closed=%d of %d" % (closed, n))


def hold(addr, n, path):
    host, port = addr.rsplit(":", 1)
    conns, statuses = [], []
    for _ in range(n):
        c = http.client.HTTPConnection(host, int(port), timeout=5)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        statuses.append(str(r.status))
        conns.append(c)
    print(" ".join(statuses))
    for c in conns:
        c.close()


if __name__ == "__main__":
    if sys.argv[1] == "slow":
        slow(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
             sys.argv[6])
    else:
        hold(sys.argv[2], int(sys.argv[3]), sys.argv[4])
