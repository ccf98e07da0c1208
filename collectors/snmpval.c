/*
 * snmpval.c: varbind values by type (integration.md §1.7: print values
 * yourself from var->type and var->val).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmpval.h"

int
snmpval_int(const netsnmp_variable_list *v, long *out)
{
	switch (v->type) {
	case ASN_INTEGER:
		*out = *v->val.integer;
		return 0;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
		*out = (long)(unsigned long)*v->val.integer;
		return 0;
	default:
		return -1;
	}
}

const char *
snmpval_oid(const oid *o, size_t n, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%lu",
		    i ? "." : "", (unsigned long)o[i]);
	return buf;
}

static int
snmpval_printable(const u_char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') || s[i] == 0x7f)
			return 0;
	return 1;
}

static void
snmpval_string(const netsnmp_variable_list *v, char *buf, size_t len)
{
	size_t i, off;

	if (snmpval_printable(v->val.string, v->val_len)) {
		snprintf(buf, len, "STRING: \"%.*s\"", (int)v->val_len,
		    (const char *)v->val.string);
		return;
	}
	off = (size_t)snprintf(buf, len, "Hex-STRING:");
	for (i = 0; i < v->val_len && off + 4 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, " %02X",
		    v->val.string[i]);
}

const char *
snmpval_format(const netsnmp_variable_list *v, char *buf, size_t len)
{
	char o[MAX_OID_LEN * 11];

	switch (v->type) {
	case ASN_INTEGER:
		snprintf(buf, len, "INTEGER: %ld", *v->val.integer);
		break;
	case ASN_COUNTER:
		snprintf(buf, len, "Counter32: %lu",
		    (unsigned long)*v->val.integer);
		break;
	case ASN_GAUGE:
		snprintf(buf, len, "Gauge32: %lu", (unsigned long)*v->val.integer);
		break;
	case ASN_TIMETICKS:
		snprintf(buf, len, "Timeticks: %lu",
		    (unsigned long)*v->val.integer);
		break;
	case ASN_OCTET_STR:
		snmpval_string(v, buf, len);
		break;
	case ASN_OBJECT_ID:
		snprintf(buf, len, "OID: %s", snmpval_oid(v->val.objid,
		    v->val_len / sizeof(oid), o, sizeof(o)));
		break;
	case ASN_IPADDRESS:
		snprintf(buf, len, "IpAddress: %u.%u.%u.%u", v->val.string[0],
		    v->val.string[1], v->val.string[2], v->val.string[3]);
		break;
	case SNMP_NOSUCHOBJECT:
		snprintf(buf, len, "No Such Object");
		break;
	case SNMP_NOSUCHINSTANCE:
		snprintf(buf, len, "No Such Instance");
		break;
	case SNMP_ENDOFMIBVIEW:
		snprintf(buf, len, "End of MIB");
		break;
	default:
		snprintf(buf, len, "type 0x%02x (%zu bytes)", v->type, v->val_len);
		break;
	}
	return buf;
}

int
snmpval_parse_oid(const char *s, oid *o, size_t *len)
{
	size_t n = MAX_OID_LEN;

	/* net-snmp's own parser; numeric OIDs need no MIB. */
	if (read_objid(s, o, &n) == 0 || n < 2)
		return -1;
	*len = n;
	return 0;
}
