#!/usr/bin/python3
# pysnmp-send.py: send one trap or inform with pysnmp (a second SNMP
# implementation, Debian's python3-pysnmp4), from a chosen source address.
#
#   pysnmp-send.py FROM HOST:PORT {v1|v2c|v3} {trap|inform} TRAPOID [OID=TYPE:VALUE]...
#   v1: --enterprise OID --generic N --specific N instead of TRAPOID (give "-")
#   v3: --user U --auth-proto SHA|MD5 --auth KEY [--priv-proto AES|DES --priv KEY]
#       [--engine 0x...] (the sender's engine ID, for traps)
#   community: --community C (default public)
# TYPE: i (Integer32), u (Unsigned32), s (OctetString), x (hex OctetString), o (OID)
# Exit status 0 when sent (for informs: when acknowledged).
import argparse
import sys

from pysnmp.hlapi import (SnmpEngine, CommunityData, UsmUserData,
    UdpTransportTarget, ContextData, NotificationType, ObjectIdentity,
    ObjectType, sendNotification, OctetString, Integer32, Unsigned32,
    usmHMACMD5AuthProtocol, usmHMACSHAAuthProtocol, usmDESPrivProtocol,
    usmAesCfb128Protocol, usmNoPrivProtocol, usmNoAuthProtocol)
from pysnmp.proto.rfc1902 import ObjectName
from pysnmp.proto import rfc1902

def value(spec):
    oid, tv = spec.split('=', 1)
    t, v = tv.split(':', 1)
    if t == 'i':
        val = Integer32(int(v))
    elif t == 'u':
        val = Unsigned32(int(v))
    elif t == 's':
        val = OctetString(v)
    elif t == 'x':
        val = OctetString(hexValue=v)
    elif t == 'o':
        val = ObjectName(v)
    else:
        raise SystemExit('bad type ' + t)
    return ObjectType(ObjectIdentity(oid), val)

p = argparse.ArgumentParser()
p.add_argument('src'); p.add_argument('dst'); p.add_argument('version')
p.add_argument('kind'); p.add_argument('trapoid'); p.add_argument('vars', nargs='*')
p.add_argument('--community', default='public')
p.add_argument('--enterprise'); p.add_argument('--generic', type=int, default=6)
p.add_argument('--specific', type=int, default=0)
p.add_argument('--user'); p.add_argument('--auth'); p.add_argument('--priv')
p.add_argument('--auth-proto', default='SHA'); p.add_argument('--priv-proto', default='AES')
p.add_argument('--engine')
a = p.parse_intermixed_args()

host, port = a.dst.rsplit(':', 1)
engine = SnmpEngine(OctetString(hexValue=a.engine[2:])) if a.engine else SnmpEngine()
if a.version == 'v3':
    auth = {'SHA': usmHMACSHAAuthProtocol, 'MD5': usmHMACMD5AuthProtocol}[a.auth_proto]
    priv = {'AES': usmAesCfb128Protocol, 'DES': usmDESPrivProtocol}[a.priv_proto] if a.priv else usmNoPrivProtocol
    cred = UsmUserData(a.user, a.auth, a.priv, authProtocol=auth, privProtocol=priv)
else:
    cred = CommunityData(a.community, mpModel=0 if a.version == 'v1' else 1)
target = UdpTransportTarget((host, int(port)), timeout=1, retries=2)
target.setLocalAddress((a.src, 0))
if a.version == 'v1' and a.enterprise:
    # RFC 3584: generic 6 = enterprise.0.specific; pysnmp converts back.
    if a.generic == 6:
        oid = a.enterprise + '.0.' + str(a.specific)
    else:
        oid = '1.3.6.1.6.3.1.1.5.' + str(a.generic + 1)
    ntf = NotificationType(ObjectIdentity(oid)).addVarBinds(
        ObjectType(ObjectIdentity('1.3.6.1.6.3.1.1.4.3.0'), ObjectName(a.enterprise)),
        *[value(v) for v in a.vars])
else:
    ntf = NotificationType(ObjectIdentity(a.trapoid)).addVarBinds(*[value(v) for v in a.vars])
err, status, index, binds = next(sendNotification(engine, cred, target,
    ContextData(), a.kind, ntf))
if err or status:
    print('error:', err or status.prettyPrint(), file=sys.stderr)
    sys.exit(1)
sys.exit(0)
