#!/bin/bash
# 18-trap-inform-repeat: a sender that missed our answer sends the same
# inform again (same source port, same request ID). Every copy is answered,
# but only the first is an event: a retransmission is not a second alarm.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/traps.sh"
need_db
PY=/usr/bin/python3
$PY -c 'import pysnmp.proto.api' 2>/dev/null || skip_all "python3-pysnmp4 is not installed"
plan 7

trap_start
# informs PORT COPIES REQID...: from 127.0.0.1, one socket, each request ID
# sent COPIES times; prints how many answers came back.
informs() {
	$PY - "$TRAP_PORT" "$@" <<'PYEOF'
import socket, sys
from pysnmp.proto import api
from pyasn1.codec.ber import encoder, decoder
port, copies = int(sys.argv[1]), int(sys.argv[2])
p = api.protoModules[api.protoVersion2c]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
answered = 0
for reqid in sys.argv[3:]:
    pdu = p.InformRequestPDU()
    p.apiTrapPDU.setDefaults(pdu)
    p.apiPDU.setRequestID(pdu, int(reqid))
    p.apiPDU.setVarBinds(pdu, [
        ("1.3.6.1.2.1.1.3.0", p.TimeTicks(100)),
        ("1.3.6.1.6.3.1.1.4.1.0", p.ObjectIdentifier("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18")),
        ("1.3.6.1.4.1.2011.6.3.3.1.1.1.0", p.Integer(0)),
        ("1.3.6.1.4.1.2011.6.3.3.2.1.1.0", p.Integer(5)),
        ("1.3.6.1.4.1.2011.6.3.3.4.1.1.0", p.Integer(2)),
        ("1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0", p.Integer(int(reqid) % 100))])
    msg = p.Message()
    p.apiMessage.setDefaults(msg)
    p.apiMessage.setCommunity(msg, "public")
    p.apiMessage.setPDU(msg, pdu)
    data = encoder.encode(msg)
    for _ in range(copies):
        s.sendto(data, ("127.0.0.1", port))
        try:
            rsp, _ = decoder.decode(s.recv(65535), asn1Spec=p.Message())
            if p.apiPDU.getRequestID(p.apiMessage.getPDU(rsp)) == int(reqid):
                answered += 1
        except socket.timeout:
            pass
print(answered)
PYEOF
}

is "three copies of one inform are all answered" "$(informs 3 4242)" "3"
ok "  and are one event" wait_rows "kind = 'onu.dying_gasp' AND slot = 5 AND onu = 42" 1
ok "  the repeats are counted as inform_duplicates" wait_stat inform_duplicates 2
ok "  and the inform as accepted once" wait_stat accepted 1

is "the same request ID from another source port is answered" "$(informs 1 4242)" "1"
is "another request ID is answered" "$(informs 2 4243)" "2"
ok "  and both are events (3 in all)" wait_rows "kind = 'onu.dying_gasp' AND slot = 5" 3
stop_heraldd
