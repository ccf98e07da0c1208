#!/usr/bin/env python3
# smsc-decode.py [--parts] < fakesmsc.log: what the fake SMSC received, one
# line per message, "TO<TAB>TEXT" with the text in UTF-8, in arrival order.
#
# Kannel 1.4.5's smsc_fake.c hands fakesmsc one line per SMS, which fakesmsc
# logs as "Got message N: <FROM TO TYPE ...>":
#   text MSG           7-bit text, raw
#   data URLENC        8-bit (URLENC: form-style, a space is '+')
#   ucs-2 URLENC       UTF-16BE bytes (coding=2)
#   udh URLENC data URLENC   one part of a concatenated message; the coding
#                      is not on the line
# The parts of a concatenated message (UDH IE 00 or 08: reference, total,
# number) are joined in order once all have arrived, so a long notice is one
# line, as the handset shows it; --parts prints each part instead. For udh
# parts the coding is guessed: printable UTF-8 is text, anything else UCS-2
# (Chinese in UTF-16BE is never valid printable UTF-8: its bytes include
# controls like 0x10 or invalid sequences).
import re
import sys
from urllib.parse import unquote_to_bytes


def unquote(s):
    # Kannel's octstr_url_encode writes a space as '+' (and '+' as %2B)
    return unquote_to_bytes(s.replace("+", " "))

LINE = re.compile(r"Got message \d+: <(\S*) (\S+) (\S+) (.*)>$")


def guess(data):
    try:
        s = data.decode("utf-8")
        if all(c.isprintable() or c in "\n\r\t" for c in s):
            return s
    except UnicodeDecodeError:
        pass
    return data.decode("utf-16-be", "replace")


def concat_info(udh):
    # UDH: length byte, then IEs; 00 = 8-bit reference, 08 = 16-bit
    i = 1
    while i + 1 < len(udh):
        iei, ln = udh[i], udh[i + 1]
        ie = udh[i + 2:i + 2 + ln]
        if iei == 0 and ln == 3:
            return ie[0], ie[1], ie[2]
        if iei == 8 and ln == 4:
            return (ie[0] << 8) | ie[1], ie[2], ie[3]
        i += 2 + ln
    return None


def main():
    parts_only = "--parts" in sys.argv[1:]
    pending = {}
    out = sys.stdout
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        m = LINE.search(line)
        if not m:
            continue
        to, kind, rest = m.group(2), m.group(3), m.group(4)
        if kind == "text":
            text = rest
        elif kind == "data":
            text = guess(unquote(rest))
        elif kind == "ucs-2":
            text = unquote(rest).decode("utf-16-be", "replace")
        elif kind == "udh":
            udh_enc, _, body = rest.partition(" data ")
            udh, data = unquote(udh_enc), unquote(body)
            info = concat_info(udh)
            if parts_only or info is None:
                text = guess(data)
            else:
                ref, total, num = info
                key = (to, ref, total)
                got = pending.setdefault(key, {})
                got[num] = data
                if len(got) < total:
                    continue
                del pending[key]
                text = guess(b"".join(got[k] for k in sorted(got)))
        else:
            continue
        out.write("%s\t%s\n" % (to, text.replace("\n", "\\n")))


if __name__ == "__main__":
    main()
