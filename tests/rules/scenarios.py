#!/usr/bin/env python3
"""scenarios.py: the rules engine's table of scenarios.

    scenarios.py inventory DIR      write devices.csv and subscribers.csv
    scenarios.py list               the scenario names
    scenarios.py events NAME        the scenario's events, JSON lines
    scenarios.py expect NAME        the incidents it must give, one a line:
                                    SCOPE CAUSE STATE ACCOUNTS [planned];
                                    and "= NAME=VALUE" for a figure of the
                                    summary line (flapping=1)
    scenarios.py setup NAME         SQL to run before the replay, or nothing

The fleet: olt-1 (board 0/1: PON ports 0-3, 128 ONUs each, one account
per ONU, four splitters of 32 ONUs a port; board 0/2: ports 0-1, 16 ONUs
each), olt-2 (board 0/1, port 0, 16 ONUs) and dslam-1 (board 0/1, ports
0-23, one DSL line and account each). Device ids follow the device file's
order: olt-1 is 1, olt-2 is 2, dslam-1 is 3.
"""
import json
import os
import random
import sys

HOLD = 90        # policy.conf hold_down

def fleet():
    rows = []
    for port in range(4):
        for onu in range(128):
            rows.append(("olt-1", 0, 1, port, onu, "SP-1-%d-%d" % (port, onu // 32)))
    for port in range(2):
        for onu in range(16):
            rows.append(("olt-1", 0, 2, port, onu, "SP-2-%d" % port))
    for onu in range(16):
        rows.append(("olt-2", 0, 1, 0, onu, "SP-9"))
    for port in range(24):
        rows.append(("dslam-1", 0, 1, port, None, None))
    return rows

def inventory(out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "devices.csv"), "w") as f:
        f.write("name,kind,vendor,model,mgmt_addr\n")
        f.write("olt-1,olt,huawei,MA5800-X7,127.0.1.1\n")
        f.write("olt-2,olt,huawei,MA5800-X7,127.0.1.2\n")
        f.write("dslam-1,dslam,acme,D5000,127.0.1.3\n")
    with open(os.path.join(out, "subscribers.csv"), "w") as f:
        f.write("account,name,phones,address,region,device,frame,slot,port,"
                "onu_id,splitter,if_index\n")
        for i, (dev, fr, sl, po, onu, sp) in enumerate(fleet()):
            # DSL ports carry their ifIndex: 1000 + port.
            f.write("A%05d,User %d,1380013%04d,Road %d,Nanshan,%s,%d,%d,%d,%s,%s,%s\n"
                    % (i, i, i, i, dev, fr, sl, po,
                       "" if onu is None else onu, sp or "",
                       "" if onu is not None else 1000 + po))

def ev(t, dev, kind, action, **loc):
    e = {"t": round(t, 3), "device": dev, "kind": kind, "action": action}
    e.update(loc)
    return e

def onu(t, kind, action, port, o, slot=1, dev="olt-1", source="trap"):
    return ev(t, dev, kind, action, frame=0, slot=slot, port=port, onu=o,
              source=source)

def pon(t, action, port, slot=1, dev="olt-1", **counts):
    return ev(t, dev, "pon.los", action, frame=0, slot=slot, port=port,
              **counts)

def fibre_cut(order, drop=0.0, seed=1):
    """PON LOS on 0/1/3 and its 128 ONUs' LOS; cleared 10 minutes later."""
    rnd = random.Random(seed)
    onus = [onu(0.5 + i * 0.005, "onu.los", "raise", 3, i) for i in range(128)]
    lost = []
    if drop:
        keep = []
        for e in onus:
            (lost if rnd.random() < drop else keep).append(e)
        onus = keep
    root = pon(0.0, "raise", 3)
    if order == "first":
        evs = [root] + onus
    elif order == "last":
        evs = onus + [dict(root, t=1.2)]
    elif order == "middle":
        evs = onus[:60] + [dict(root, t=0.8)] + onus[60:]
    else:
        evs = [root] + onus
        rnd.shuffle(evs)
        for i, e in enumerate(evs):
            e["t"] = round(i * 0.004, 3)
    # The poller supplies what the traps lost, at its next read.
    evs += [dict(e, t=60 + i * 0.01, source="poll") for i, e in enumerate(lost)]
    evs += [pon(600, "clear", 3)]
    evs += [onu(601 + i * 0.01, "onu.los", "clear", 3, i) for i in range(128)]
    return evs

def power_cut():
    """90 dying gasps over 40 s on 0/1/2; power back after 20 minutes."""
    evs = [onu(i * 40.0 / 90, "onu.dying_gasp", "raise", 2, i) for i in range(90)]
    evs += [onu(1200 + i * 0.1, "onu.dying_gasp", "clear", 2, i) for i in range(90)]
    return evs

def two_pons():
    """Both PONs of board 0/2 lose their fibre: one board incident."""
    evs = []
    for port in (0, 1):
        evs.append(pon(port * 2.0, "raise", port, slot=2))
        evs += [onu(0.1 + port * 2 + i * 0.01, "onu.los", "raise", port, i,
                    slot=2) for i in range(16)]
    evs += [pon(900, "clear", p, slot=2) for p in (0, 1)]
    evs += [onu(901 + i * 0.01, "onu.los", "clear", p, i, slot=2)
            for p in (0, 1) for i in range(16)]
    return evs

def silent_olt():
    """olt-2 stops answering: every account on it."""
    return [ev(0, "olt-2", "device.unreachable", "raise", source="poll"),
            ev(1800, "olt-2", "device.unreachable", "clear", source="poll")]

def blip():
    """A PON LOS that clears after 20 s: shorter than the hold-down."""
    return [pon(0, "raise", 1)] + \
        [onu(0.2 + i * 0.01, "onu.los", "raise", 1, i) for i in range(128)] + \
        [pon(20, "clear", 1)] + \
        [onu(20.5 + i * 0.01, "onu.los", "clear", 1, i) for i in range(128)]

def flapping():
    """One ONU's LOS comes and goes every 30 s for ten minutes."""
    evs = []
    for k in range(20):
        evs.append(onu(k * 30, "onu.los", "raise", 0, 5))
        evs.append(onu(k * 30 + 10, "onu.los", "clear", 0, 5))
    return evs

def partial_restore():
    """Fibre mended, but 5 of 128 ONUs stay dark: they split off."""
    evs = [pon(0, "raise", 0)]
    evs += [onu(0.5 + i * 0.005, "onu.los", "raise", 0, i) for i in range(128)]
    evs += [pon(600, "clear", 0)]
    evs += [onu(601 + i * 0.01, "onu.los", "clear", 0, i) for i in range(5, 128)]
    return evs

def children_first():
    """The ONUs come back before the PON LOS clears."""
    evs = [pon(0, "raise", 2)]
    evs += [onu(0.5 + i * 0.005, "onu.los", "raise", 2, i) for i in range(128)]
    evs += [onu(500 + i * 0.01, "onu.los", "clear", 2, i) for i in range(128)]
    evs += [pon(700, "clear", 2)]
    return evs

def two_targets():
    """Every trap arrives twice (the OLT sends to two trap targets)."""
    evs = []
    for e in fibre_cut("first"):
        evs.append(e)
        evs.append(dict(e, t=e["t"] + 0.003))
    return evs

def clear_first():
    """An ONU's clear overtakes its raise; another ONU really goes down."""
    return [onu(0.0, "onu.los", "clear", 1, 7), onu(0.02, "onu.los", "raise", 1, 7),
            onu(5.0, "onu.los", "raise", 1, 9), onu(400, "onu.los", "clear", 1, 9)]

def maintenance():
    """A PON cut inside a maintenance window (heraldctl inserts it)."""
    return [pon(0, "raise", 1)] + \
        [onu(0.5 + i * 0.005, "onu.los", "raise", 1, i) for i in range(128)] + \
        [pon(1000, "clear", 1)] + \
        [onu(1001 + i * 0.01, "onu.los", "clear", 1, i) for i in range(128)]

def dslam_port():
    """A DSLAM port goes down: the DSL account on it."""
    return [ev(0, "dslam-1", "port.down", "raise", frame=0, slot=1, port=7),
            ev(300, "dslam-1", "port.down", "clear", frame=0, slot=1, port=7)]

def dsl_line():
    """A linkDown names DSL line 1012 by ifIndex: port 0/1/12's account."""
    return [ev(0, "dslam-1", "dsl.line_down", "raise", line=1012),
            ev(400, "dslam-1", "dsl.line_down", "clear", line=1012)]

def splitter_cut():
    """The 32 ONUs of one splitter lose light, nothing else on the port."""
    evs = [onu(i * 0.2, "onu.los", "raise", 1, i) for i in range(32, 64)]
    evs += [onu(800 + i * 0.01, "onu.los", "clear", 1, i) for i in range(32, 64)]
    return evs

def lone_los():
    """One ONU's fibre drop: an individual fault, one account."""
    return [onu(0, "onu.los", "raise", 3, 77), onu(3600, "onu.los", "clear", 3, 77)]

def lone_dying_gasp():
    """One ONU switched off for ten minutes: nothing at all."""
    return [onu(0, "onu.dying_gasp", "raise", 3, 78),
            onu(600, "onu.dying_gasp", "clear", 3, 78)]

def deactivated():
    """An ONU shut off for an unpaid bill: its trap maps to no alarm (raw)
    and the poller clears what herald held, before the hold-down ends."""
    return [onu(0, "onu.los", "raise", 2, 50),
            ev(1, "olt-1", None, "raw", frame=0, slot=1, port=2, onu=50,
               cause="deactivated"),
            dict(onu(20, "onu.los", "clear", 2, 50, source="poll"),
                 cause="poll: deactivated")]

SCENARIOS = {
    "fibre-cut-pon-first": (lambda: fibre_cut("first"),
                            ["1:p0/1/3 fibre_cut resolved 128"]),
    "fibre-cut-pon-last": (lambda: fibre_cut("last"),
                           ["1:p0/1/3 fibre_cut resolved 128"]),
    "fibre-cut-pon-middle": (lambda: fibre_cut("middle"),
                             ["1:p0/1/3 fibre_cut resolved 128"]),
    "fibre-cut-shuffled": (lambda: fibre_cut("shuffled", seed=7),
                           ["1:p0/1/3 fibre_cut resolved 128"]),
    "fibre-cut-30pct-lost": (lambda: fibre_cut("first", drop=0.3, seed=3),
                             ["1:p0/1/3 fibre_cut resolved 128"]),
    "power-cut": (power_cut, ["1:p0/1/2 power_cut resolved 90"]),
    "board-rollup": (two_pons, ["1:b0/2 fibre_cut resolved 32"]),
    "silent-olt": (silent_olt, ["2 device_down resolved 16"]),
    "blip": (blip, ["1:p0/1/1 fibre_cut transient 128"]),
    # Two blips, then it flaps: held as one fault until quiet for 300 s.
    "flapping-onu": (flapping, ["1:o0/1/0/5 onu_los transient 1",
                                "1:o0/1/0/5 onu_los transient 1",
                                "1:o0/1/0/5 onu_los resolved 1",
                                "= flapping=1"]),
    "partial-restore": (partial_restore, [
        "1:p0/1/0 fibre_cut resolved 128",
        "1:o0/1/0/0 onu_los confirmed 1", "1:o0/1/0/1 onu_los confirmed 1",
        "1:o0/1/0/2 onu_los confirmed 1", "1:o0/1/0/3 onu_los confirmed 1",
        "1:o0/1/0/4 onu_los confirmed 1"]),
    "children-clear-first": (children_first, ["1:p0/1/2 fibre_cut resolved 128"]),
    "two-trap-targets": (two_targets, ["1:p0/1/3 fibre_cut resolved 128"]),
    "clear-before-raise": (clear_first, ["1:o0/1/1/9 onu_los resolved 1"]),
    "maintenance-window": (maintenance, ["1:p0/1/1 fibre_cut resolved 128 planned"]),
    "dslam-port": (dslam_port, ["3:p0/1/7 port_down resolved 1"]),
    "dsl-line-by-ifindex": (dsl_line, ["3:l0/1/12 line_down resolved 1"]),
    "splitter-cut": (splitter_cut, ["1:s0/1/1/SP-1-1-1 fibre_cut resolved 32"]),
    "lone-los": (lone_los, ["1:o0/1/3/77 onu_los resolved 1"]),
    "lone-dying-gasp": (lone_dying_gasp, []),
    "deactivated-onu": (deactivated, ["1:o0/1/2/50 onu_los transient 1"]),
}

# The events' clock starts at the epoch: windows are placed there.
SETUP = {
    "maintenance-window":
        "INSERT INTO maintenance_windows (device_id, frame, slot, port, "
        "starts_at, ends_at, reason) VALUES (1, 0, 1, 1, "
        "'1970-01-01 00:00:00+00', '1970-01-01 01:00:00+00', 'splicing')",
}

def main(argv):
    if len(argv) == 3 and argv[1] == "inventory":
        inventory(argv[2])
    elif len(argv) == 2 and argv[1] == "list":
        print("\n".join(SCENARIOS))
    elif len(argv) == 3 and argv[1] == "events":
        for e in sorted(SCENARIOS[argv[2]][0](), key=lambda e: e["t"]):
            print(json.dumps(e))
    elif len(argv) == 3 and argv[1] == "setup":
        if argv[2] in SETUP:
            print(SETUP[argv[2]])
    elif len(argv) == 3 and argv[1] == "expect":
        for line in SCENARIOS[argv[2]][1]:
            print(line)
    else:
        sys.stderr.write(__doc__)
        return 64
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
