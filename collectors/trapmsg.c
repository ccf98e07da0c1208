/*
 * trapmsg.c: decode a received notification PDU into the facts herald
 * keeps. Everything here reads a PDU that arrived from the network: lengths
 * are checked before use, nothing trusts the sender.
 */
#include "config.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trapmsg.h"
#include "xmalloc.h"

/* snmpTrapOID.0, and snmpTraps for the generic v1 traps (RFC 3584 3.1). */
static const oid trapmsg_snmptrapoid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
static const oid trapmsg_snmptraps[] = { 1, 3, 6, 1, 6, 3, 1, 1, 5 };
static const oid trapmsg_sysuptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };

#define OIDLEN(a)	(sizeof(a) / sizeof(*(a)))

/* Decimal digits of v, backwards from end; returns the first. */
static char *
trapmsg_utoa(unsigned long v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

/*
 * Hot path in a trap storm (every varbind name is printed): plain digit
 * conversion, since snprintf per sub-identifier was a third of the CPU.
 */
void
trapmsg_oid_text(const oid *o, size_t len, char *buf, size_t size)
{
	char digits[24], *d;
	size_t i, off = 0, n;

	for (i = 0; i < len; i++) {
		d = trapmsg_utoa((unsigned long)o[i], digits + sizeof(digits));
		n = (size_t)(digits + sizeof(digits) - d);
		if (off + n + (i > 0) + 1 > size)
			break;
		if (i > 0)
			buf[off++] = '.';
		memcpy(buf + off, d, n);
		off += n;
	}
	buf[off] = '\0';
}

static const char *
trapmsg_pdu_name(const netsnmp_pdu *pdu)
{
	int inform = pdu->command == SNMP_MSG_INFORM;

	switch (pdu->version) {
	case SNMP_VERSION_1:
		return "v1-trap";
	case SNMP_VERSION_2c:
		return inform ? "v2c-inform" : "v2c-trap";
	case SNMP_VERSION_3:
		return inform ? "v3-inform" : "v3-trap";
	default:
		return "unknown";
	}
}

/* RFC 3584 3.1, bounds-checked (cf. CVE-2025-68615 in snmptrapd). */
static int
trapmsg_decode_v1(const netsnmp_pdu *pdu, struct trapmsg *tm)
{
	size_t elen = pdu->enterprise_length;

	if (pdu->trap_type < 0 || pdu->trap_type > 6) {
		tm->error = "SNMPv1 generic-trap out of range";
		return -1;
	}
	if (pdu->trap_type != SNMP_TRAP_ENTERPRISESPECIFIC) {
		memcpy(tm->trap_oid, trapmsg_snmptraps, sizeof(trapmsg_snmptraps));
		tm->trap_oid[OIDLEN(trapmsg_snmptraps)] =
		    (oid)pdu->trap_type + 1;
		tm->trap_oid_len = OIDLEN(trapmsg_snmptraps) + 1;
		return 0;
	}
	if (pdu->enterprise == NULL || elen < 1 || elen > MAX_OID_LEN - 2 ||
	    pdu->specific_type < 0) {
		tm->error = "SNMPv1 trap without a usable enterprise";
		return -1;
	}
	memcpy(tm->trap_oid, pdu->enterprise, elen * sizeof(oid));
	tm->trap_oid[elen] = 0;
	tm->trap_oid[elen + 1] = (oid)pdu->specific_type;
	tm->trap_oid_len = elen + 2;
	memcpy(tm->alt_oid, pdu->enterprise, elen * sizeof(oid));
	tm->alt_oid[elen] = (oid)pdu->specific_type;
	tm->alt_oid_len = elen + 1;
	return 0;
}

/* v2c/v3: snmpTrapOID.0 is the second varbind; look further if it is not. */
static int
trapmsg_decode_v2(const netsnmp_pdu *pdu, struct trapmsg *tm)
{
	const netsnmp_variable_list *v;

	for (v = pdu->variables; v != NULL; v = v->next_variable)
		if (snmp_oid_compare(v->name, v->name_length,
		    trapmsg_snmptrapoid, OIDLEN(trapmsg_snmptrapoid)) == 0)
			break;
	if (v == NULL || v->type != ASN_OBJECT_ID || v->val.objid == NULL ||
	    v->val_len < sizeof(oid) || v->val_len / sizeof(oid) > MAX_OID_LEN) {
		tm->error = "no snmpTrapOID.0 varbind";
		return -1;
	}
	tm->trap_oid_len = v->val_len / sizeof(oid);
	memcpy(tm->trap_oid, v->val.objid, tm->trap_oid_len * sizeof(oid));
	return 0;
}

int
trapmsg_decode(const netsnmp_pdu *pdu, struct trapmsg *tm)
{
	const netsnmp_variable_list *v;
	int rc;

	memset(tm, 0, sizeof(*tm));
	tm->pdu = pdu;
	tm->pdu_name = trapmsg_pdu_name(pdu);
	if (pdu->command == SNMP_MSG_TRAP && pdu->version == SNMP_VERSION_1)
		rc = trapmsg_decode_v1(pdu, tm);
	else if (pdu->command == SNMP_MSG_TRAP2 ||
	    pdu->command == SNMP_MSG_INFORM)
		rc = trapmsg_decode_v2(pdu, tm);
	else {
		tm->error = "not a notification PDU";
		rc = -1;
	}
	if (rc != 0)
		return -1;
	tm->vars = pdu->variables;
	for (v = pdu->variables; v != NULL; v = v->next_variable)
		tm->nvars++;
	trapmsg_oid_text(tm->trap_oid, tm->trap_oid_len, tm->trap_oid_text,
	    sizeof(tm->trap_oid_text));
	return 0;
}

int
trapmsg_match(const struct trapmsg *tm, const struct profile *const *cands,
    size_t n, struct profile_match *m)
{
	if (profile_match_trap(cands, n, tm->trap_oid, tm->trap_oid_len,
	    tm->vars, m))
		return 1;
	if (tm->alt_oid_len > 0 && profile_match_trap(cands, n, tm->alt_oid,
	    tm->alt_oid_len, tm->vars, m))
		return 1;
	return 0;
}

/* Safe inside "double quotes" for snmptrap: printable, no " or \\. */
static int
trapmsg_plain(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

static void
trapmsg_add_uint(struct evbuffer *b, unsigned long long v, int neg)
{
	char buf[24], *p = trapmsg_utoa((unsigned long)v, buf + sizeof(buf));

	if (neg)
		*--p = '-';
	evbuffer_add(b, p, (size_t)(buf + sizeof(buf) - p));
}

static void
trapmsg_add_octets(struct evbuffer *b, const netsnmp_variable_list *v)
{
	static const char hex[] = "0123456789ABCDEF";
	char pair[2];
	size_t i;

	if (trapmsg_plain(v->val.string, v->val_len)) {
		evbuffer_add(b, "s \"", 3);
		evbuffer_add(b, v->val.string, v->val_len);
		evbuffer_add(b, "\"", 1);
		return;
	}
	evbuffer_add(b, "x ", 2);
	for (i = 0; i < v->val_len; i++) {
		pair[0] = hex[v->val.string[i] >> 4];
		pair[1] = hex[v->val.string[i] & 0xf];
		evbuffer_add(b, pair, 2);
	}
	if (v->val_len == 0)
		evbuffer_add(b, "\"\"", 2);
}

/* TYPE VALUE as snmptrap writes them: i u t a o s x c C n. */
static void
trapmsg_add_value(struct evbuffer *b, const netsnmp_variable_list *v)
{
	char buf[MAX_OID_LEN * 11 + 1];
	long l;

	switch (v->type) {
	case ASN_INTEGER:
		l = *v->val.integer;
		evbuffer_add(b, "i ", 2);
		trapmsg_add_uint(b, l < 0 ? -(unsigned long)l : (unsigned long)l,
		    l < 0);
		return;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		evbuffer_add(b, v->type == ASN_TIMETICKS ? "t " :
		    v->type == ASN_COUNTER ? "c " : "u ", 2);
		trapmsg_add_uint(b, (unsigned long)*v->val.integer & 0xffffffffUL,
		    0);
		return;
	case ASN_COUNTER64:
		evbuffer_add(b, "C ", 2);
		trapmsg_add_uint(b, ((unsigned long long)v->val.counter64->high
		    << 32) | v->val.counter64->low, 0);
		return;
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
		trapmsg_add_octets(b, v);
		return;
	case ASN_IPADDRESS:
		if (v->val_len == 4 && inet_ntop(AF_INET, v->val.string, buf,
		    sizeof(buf)) != NULL) {
			evbuffer_add(b, "a ", 2);
			evbuffer_add(b, buf, strlen(buf));
			return;
		}
		break;
	case ASN_OBJECT_ID:
		trapmsg_oid_text(v->val.objid, v->val_len / sizeof(oid), buf,
		    sizeof(buf));
		evbuffer_add(b, "o ", 2);
		evbuffer_add(b, buf, strlen(buf));
		return;
	}
	evbuffer_add(b, "n \"\"", 4);	/* NULL, noSuchObject, ... */
}

/*
 * The varbinds as text, one per line, in the form snmptrap takes them and
 * "heraldctl profile test --trap" reads back: OID TYPE VALUE. (JSON through
 * jansson cost a third of the CPU in a storm; this costs a few percent.)
 */
char *
trapmsg_varbinds_text(const netsnmp_variable_list *vars)
{
	char name[MAX_OID_LEN * 11 + 1];
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *s;

	for (; vars != NULL; vars = vars->next_variable) {
		/* sysUpTime.0 and snmpTrapOID.0 are in their own columns. */
		if (snmp_oid_compare(vars->name, vars->name_length,
		    trapmsg_sysuptime, OIDLEN(trapmsg_sysuptime)) == 0 ||
		    snmp_oid_compare(vars->name, vars->name_length,
		    trapmsg_snmptrapoid, OIDLEN(trapmsg_snmptrapoid)) == 0)
			continue;
		if (evbuffer_get_length(b) > 0)
			evbuffer_add(b, "\n", 1);
		trapmsg_oid_text(vars->name, vars->name_length, name,
		    sizeof(name));
		evbuffer_add(b, name, strlen(name));
		evbuffer_add(b, " ", 1);
		trapmsg_add_value(b, vars);
	}
	len = evbuffer_get_length(b);
	s = xmalloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

netsnmp_pdu *
trapmsg_parse(const unsigned char *data, size_t len, const char **err)
{
	netsnmp_session sess;
	netsnmp_pdu *pdu;
	unsigned char *copy;
	int rc;

	snmp_sess_init(&sess);
	if ((pdu = snmp_pdu_create(0)) == NULL) {
		*err = "out of memory";
		return NULL;
	}
	/* The parser works in place on some paths: give it its own copy. */
	copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	rc = snmp_parse(NULL, &sess, pdu, copy, len);
	free(copy);
	if (rc != SNMPERR_SUCCESS) {
		*err = snmp_api_errstring(rc != SNMPERR_GENERR ? rc :
		    sess.s_snmp_errno);
		snmp_free_pdu(pdu);
		return NULL;
	}
	return pdu;
}
