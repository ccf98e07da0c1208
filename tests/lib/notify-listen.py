#!/usr/bin/env python3
# notify-listen.py SOCKET OUTFILE: stand in for systemd's notify socket and
# write every sd_notify() message to OUTFILE, one line per field.
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    while True:
        data = s.recv(4096)
        for line in data.decode("utf-8", "replace").splitlines():
            f.write(line + "\n")
