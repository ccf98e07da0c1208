#!/usr/bin/env python3
# vip-proxy.py: a TCP front for several heraldd instances, standing in for
# the virtual IP or load balancer an operator puts in front of a cluster
# (keepalived, HAProxy). Each connection goes to the first backend that
# accepts it, in the order given; a dead instance is skipped. The SMS
# gateway's delivery reports (notify.dlr_url) go through it, so a report for
# a message sent by an instance that died reaches one that lives.
#   vip-proxy.py --listen 127.0.0.1:PORT --backend 127.0.0.1:P1 \
#       --backend 127.0.0.1:P2 ...
# Each connection is logged to stderr as "BACKEND" or "none".
import argparse
import asyncio
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--listen", required=True)
ap.add_argument("--backend", action="append", required=True)
args = ap.parse_args()


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


async def pipe(r, w):
    try:
        while True:
            b = await r.read(65536)
            if not b:
                break
            w.write(b)
            await w.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            w.close()
        except Exception:
            pass


async def handle(cr, cw):
    for b in args.backend:
        try:
            br, bw = await asyncio.wait_for(
                asyncio.open_connection(*hostport(b)), 1.0)
        except (OSError, asyncio.TimeoutError):
            continue
        print(b, file=sys.stderr, flush=True)
        await asyncio.gather(pipe(cr, bw), pipe(br, cw))
        return
    print("none", file=sys.stderr, flush=True)
    cw.close()


async def main():
    h, p = hostport(args.listen)
    srv = await asyncio.start_server(handle, h, p)
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
