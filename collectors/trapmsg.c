/*
 * trapmsg.c: decode a received notification PDU into the facts herald
 * keeps. Everything here reads a PDU that arrived from the network: lengths
 * are checked before use, nothing trusts the sender.
 */
#include "config.h"

#include <arpa/inet.h>
#include <jansson.h>
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

void
trapmsg_oid_text(const oid *o, size_t len, char *buf, size_t size)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < len && off < size; i++) {
		n = snprintf(buf + off, size - off, "%s%lu", i ? "." : "",
		    (unsigned long)o[i]);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
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

static int
trapmsg_printable(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r') || s[i] == 0x7f)
			return 0;
	return 1;
}

static json_t *
trapmsg_octets(const netsnmp_variable_list *v, const char **type)
{
	char *hex;
	json_t *j;
	size_t i;

	if (v->val_len == 0) {
		*type = "string";
		return json_string("");
	}
	if (trapmsg_printable(v->val.string, v->val_len) &&
	    (j = json_stringn((const char *)v->val.string, v->val_len)) != NULL) {
		*type = "string";
		return j;
	}
	hex = xmalloc(v->val_len * 2 + 1);
	for (i = 0; i < v->val_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", v->val.string[i]);
	*type = "hex";
	j = json_string(hex);
	free(hex);
	return j;
}

static json_t *
trapmsg_value(const netsnmp_variable_list *v, const char **type)
{
	char buf[MAX_OID_LEN * 11 + 1];

	switch (v->type) {
	case ASN_INTEGER:
		*type = "integer";
		return json_integer(*v->val.integer);
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		*type = v->type == ASN_TIMETICKS ? "timeticks" :
		    v->type == ASN_COUNTER ? "counter32" : "gauge32";
		return json_integer((json_int_t)(*v->val.integer & 0xffffffffL));
	case ASN_COUNTER64:
		*type = "counter64";
		return json_integer((json_int_t)(((uint64_t)v->val.counter64->high
		    << 32) | v->val.counter64->low));
	case ASN_OCTET_STR:
	case ASN_OPAQUE:
		return trapmsg_octets(v, type);
	case ASN_IPADDRESS:
		*type = "ipaddress";
		if (v->val_len != 4)
			return json_null();
		inet_ntop(AF_INET, v->val.string, buf, sizeof(buf));
		return json_string(buf);
	case ASN_OBJECT_ID:
		*type = "oid";
		trapmsg_oid_text(v->val.objid, v->val_len / sizeof(oid), buf,
		    sizeof(buf));
		return json_string(buf);
	case SNMP_NOSUCHOBJECT:
	case SNMP_NOSUCHINSTANCE:
	case SNMP_ENDOFMIBVIEW:
	case ASN_NULL:
	default:
		*type = "null";
		return json_null();
	}
}

char *
trapmsg_varbinds_json(const netsnmp_variable_list *vars)
{
	char name[MAX_OID_LEN * 11 + 1];
	const char *type = "null";
	json_t *a = json_array(), *o, *val;
	char *s;

	for (; vars != NULL; vars = vars->next_variable) {
		/* sysUpTime.0 and snmpTrapOID.0 are in their own columns. */
		if (snmp_oid_compare(vars->name, vars->name_length,
		    trapmsg_sysuptime, OIDLEN(trapmsg_sysuptime)) == 0 ||
		    snmp_oid_compare(vars->name, vars->name_length,
		    trapmsg_snmptrapoid, OIDLEN(trapmsg_snmptrapoid)) == 0)
			continue;
		trapmsg_oid_text(vars->name, vars->name_length, name,
		    sizeof(name));
		val = trapmsg_value(vars, &type);
		o = json_object();
		json_object_set_new(o, "oid", json_string(name));
		json_object_set_new(o, "type", json_string(type));
		json_object_set_new(o, "value", val ? val : json_null());
		json_array_append_new(a, o);
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s != NULL ? s : xstrdup("[]");
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
