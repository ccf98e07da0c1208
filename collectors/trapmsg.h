/*
 * trapmsg.h: what herald takes from one received notification PDU: its
 * trap OID (RFC 3584 for SNMPv1), its varbinds as text, and the match
 * against vendor profiles. Shared by the receiver, "heraldctl profile
 * test" and the fuzz target, so all three decode alike.
 */
#ifndef HERALD_TRAPMSG_H
#define HERALD_TRAPMSG_H

#include "profile.h"

struct trapmsg {
	const netsnmp_pdu	*pdu;
	const char		*pdu_name;	/* "v2c-trap", "v3-inform", ... */
	oid			 trap_oid[MAX_OID_LEN];
	size_t			 trap_oid_len;
	/* SNMPv1 specific traps also as enterprise.specific (ZTE style). */
	oid			 alt_oid[MAX_OID_LEN];
	size_t			 alt_oid_len;
	char			 trap_oid_text[MAX_OID_LEN * 11 + 1];
	const netsnmp_variable_list *vars;	/* the notification's objects */
	size_t			 nvars;
	const char		*error;		/* why it is not usable */
};

/* 0, or -1 with tm->error set (not a notification, no snmpTrapOID.0...). */
int	 trapmsg_decode(const netsnmp_pdu *, struct trapmsg *tm);
/* Match against the candidates: the trap OID, then the v1 alternative. */
int	 trapmsg_match(const struct trapmsg *, const struct profile *const *,
	    size_t n, struct profile_match *);
/*
 * The varbinds (without sysUpTime.0 and snmpTrapOID.0) as text, one
 * "OID TYPE VALUE" per line, types as snmptrap's (i u t c C a o s x n);
 * malloc'd.
 */
char	*trapmsg_varbinds_text(const netsnmp_variable_list *);
/*
 * Parse one SNMP message outside a session (heraldctl, fuzzing): v1/v2c
 * fully; v3 only when it is neither authenticated nor encrypted. NULL with
 * *err set when it cannot be parsed. Free with snmp_free_pdu().
 */
netsnmp_pdu *trapmsg_parse(const unsigned char *data, size_t len,
	    const char **err);
/* Numeric text of an OID. */
void	 trapmsg_oid_text(const oid *, size_t, char *buf, size_t len);

#endif
