/*
 * test_profile.c: vendor profile loading and matching: which profiles
 * apply to a device, trap OID to alarm kind and action, locations from
 * varbinds, instances and ifIndex decoders, v1 forms, BITS, and errors
 * with file and line for a bad profile. Uses the shipped profiles.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "log.h"
#include "profile.h"
#include "snmplib.h"
#include "trapmsg.h"

static struct profile_set *shipped;

static const oid uptime[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid trapoid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

static int
setup(void **state)
{
	char dir[1024];
	const char *top = getenv("top_srcdir");
	int errors = 0;

	log_init(1, LOG_LEVEL_ERROR, 0);
	snmplib_init();
	snprintf(dir, sizeof(dir), "%s/collectors/profiles", top ? top : ".");
	shipped = profile_load_dir(dir, &errors);
	assert_int_equal(errors, 0);
	assert_true(profile_count(shipped) >= 5);
	return 0;
}

static int
teardown(void **state)
{
	profile_set_free(shipped);
	return 0;
}

static void
add(netsnmp_pdu *pdu, const char *name, char type, const char *value)
{
	oid o[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	assert_true(read_objid(name, o, &len) != 0);
	assert_int_equal(snmp_add_var(pdu, o, len, type, value), 0);
}

static netsnmp_pdu *
v2trap(const char *trap)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);

	pdu->version = SNMP_VERSION_2c;
	snmp_add_var(pdu, uptime, 9, 't', "1");
	snmp_add_var(pdu, trapoid, 11, 'o', trap);
	return pdu;
}

/* Decode and match pdu for a device; returns 1 on a rule match. */
static int
match(netsnmp_pdu *pdu, const char *kind, const char *vendor,
    const char *model, struct profile_match *m)
{
	const struct profile *c[8];
	struct profile_device d = { kind, vendor, model, NULL };
	struct trapmsg tm;
	size_t n = profile_candidates(shipped, &d, c, 8);

	assert_int_equal(trapmsg_decode(pdu, &tm), 0);
	return trapmsg_match(&tm, c, n, m);
}

static void
test_candidates_order(void **state)
{
	const struct profile *c[8];
	struct profile_device olt = { "olt", "Huawei", "MA5800-X7", NULL };
	struct profile_device dslam = { "dslam", "acme", "D1", NULL };
	size_t n;

	n = profile_candidates(shipped, &olt, c, 8);
	assert_int_equal(n, 2);
	assert_string_equal(profile_name(c[0]), "huawei-gpon");
	assert_string_equal(profile_name(c[1]), "if-mib");
	n = profile_candidates(shipped, &dslam, c, 8);
	assert_int_equal(n, 2);
	assert_string_equal(profile_name(c[0]), "dslam-adsl");
	assert_string_equal(profile_name(c[1]), "if-mib");
}

static void
test_huawei_dying_gasp(void **state)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18");
	struct profile_match m;

	add(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1.0", 'i', "0");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1.0", 'i', "1");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1.0", 'i', "3");
	add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0", 'i', "12");
	assert_true(match(pdu, "olt", "huawei", "MA5608T", &m));
	assert_string_equal(m.kind, "onu.dying_gasp");
	assert_int_equal(m.action, EVENT_RAISE);
	assert_string_equal(m.cause, "dying-gasp");
	assert_int_equal(m.loc.frame, 0);
	assert_int_equal(m.loc.slot, 1);
	assert_int_equal(m.loc.port, 3);
	assert_int_equal(m.loc.onu, 12);
	assert_int_equal(m.loc.line, EVENT_LOC_UNSET);
	snmp_free_pdu(pdu);
}

/*
 * Kinds are defined once (rules/kind.h): what a profile yields, by trap
 * or by a poll map, is the interned name itself, so the rules engine can
 * compare pointers and kind_parse() knows every kind a profile can name.
 */
static void
test_kinds_interned(void **state)
{
	const struct profile *hw = NULL;
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18");
	struct profile_match m;
	size_t i;
	enum alarm_kind k;

	add(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1.0", 'i', "0");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1.0", 'i', "1");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1.0", 'i', "3");
	add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0", 'i', "12");
	assert_true(match(pdu, "olt", "huawei", "MA5608T", &m));
	assert_ptr_equal(m.kind, kind_name(KIND_ONU_DYING_GASP));
	assert_int_equal(kind_parse(m.kind, &k), 0);
	assert_int_equal(k, KIND_ONU_DYING_GASP);
	snmp_free_pdu(pdu);
	for (i = 0; i < profile_count(shipped); i++)
		if (strcmp(profile_name(profile_at(shipped, i)),
		    "huawei-gpon") == 0)
			hw = profile_at(shipped, i);
	assert_non_null(hw);
	assert_ptr_equal(profile_map_lookup(profile_get_poll(hw)->
	    down_cause_map, 13)->kind, kind_name(KIND_ONU_DYING_GASP));
	assert_true(profile_kind_valid("dsl.line_down"));
	assert_false(profile_kind_valid("dsl.down"));
}

/* Run state in one trap: the varbind says raise or clear; ifIndex decoded. */
static void
test_huawei_run_state_ifindex(void **state)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.2011.6.128.1.1.12.3.0.100");
	struct profile_match m;

	add(pdu, "1.3.6.1.2.1.2.2.1.1.0", 'i', "4194312960");	/* 0/1/3 */
	add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.41.1.1.0", 'i', "5");
	add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.11.510.0", 'i', "1");
	assert_true(match(pdu, "olt", "huawei", "MA5800-X17", &m));
	assert_string_equal(m.kind, "onu.offline");
	assert_int_equal(m.action, EVENT_CLEAR);
	assert_int_equal(m.loc.slot, 1);
	assert_int_equal(m.loc.port, 3);
	assert_int_equal(m.loc.onu, 5);
	snmp_free_pdu(pdu);
}

/* ZTE as SNMPv1: enterprise ...3.45, specific 123, no .0 arc in the MIB. */
static void
test_zte_v1_forms(void **state)
{
	static const oid ent[] = { 1, 3, 6, 1, 4, 1, 3902, 1012, 3, 45 };
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP);
	struct profile_match m;
	struct trapmsg tm;

	pdu->version = SNMP_VERSION_1;
	pdu->trap_type = SNMP_TRAP_ENTERPRISESPECIFIC;
	pdu->specific_type = 123;
	pdu->enterprise = snmp_duplicate_objid(ent, 10);
	pdu->enterprise_length = 10;
	add(pdu, "1.3.6.1.4.1.3902.1012.3.28.1.1.2.268566784.7", 's', "onu");
	assert_int_equal(trapmsg_decode(pdu, &tm), 0);
	assert_string_equal(tm.trap_oid_text,
	    "1.3.6.1.4.1.3902.1012.3.45.0.123");
	assert_true(match(pdu, "olt", "ZTE", "C320", &m));
	assert_string_equal(m.rule, "zxGponOltDGi");
	assert_string_equal(m.kind, "onu.dying_gasp");
	assert_int_equal(m.loc.slot, 2);
	assert_int_equal(m.loc.port, 1);
	assert_int_equal(m.loc.onu, 7);
	snmp_free_pdu(pdu);
}

static void
test_v1_generic_link_down(void **state)
{
	static const oid ent[] = { 1, 3, 6, 1, 4, 1, 99 };
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP);
	struct profile_match m;

	pdu->version = SNMP_VERSION_1;
	pdu->trap_type = SNMP_TRAP_LINKDOWN;
	pdu->enterprise = snmp_duplicate_objid(ent, 7);
	pdu->enterprise_length = 7;
	add(pdu, "1.3.6.1.2.1.2.2.1.1.1001", 'i', "1001");
	assert_true(match(pdu, "dslam", "acme", "x", &m));
	assert_string_equal(m.kind, "dsl.line_down");
	assert_int_equal(m.action, EVENT_RAISE);
	assert_int_equal(m.loc.line, 1001);
	snmp_free_pdu(pdu);
}

/* Adsl2LineStatus BITS: lossOfPower(3) raises, noDefect(0) clears. */
static void
test_adsl2_bits(void **state)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.2.1.10.238.1.0.18");
	struct profile_match m;

	add(pdu, "1.3.6.1.2.1.10.238.1.1.1.1.12.1001", 'x', "10");
	assert_true(match(pdu, "dslam", "acme", "x", &m));
	assert_int_equal(m.action, EVENT_RAISE);
	assert_int_equal(m.loc.line, 1001);
	snmp_free_pdu(pdu);
	pdu = v2trap("1.3.6.1.2.1.10.238.1.0.18");
	add(pdu, "1.3.6.1.2.1.10.238.1.1.1.1.12.1001", 'x', "80");
	assert_true(match(pdu, "dslam", "acme", "x", &m));
	assert_int_equal(m.action, EVENT_CLEAR);
	snmp_free_pdu(pdu);
}

static void
test_unknown_trap(void **state)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.9999.1.2");
	struct profile_match m;

	assert_false(match(pdu, "olt", "huawei", "MA5800", &m));
	assert_null(m.kind);
	snmp_free_pdu(pdu);
}

static void
test_decoders(void **state)
{
	const struct profile *zte = NULL, *hw = NULL;
	struct herald_location loc;
	size_t i;

	for (i = 0; i < profile_count(shipped); i++) {
		if (strcmp(profile_name(profile_at(shipped, i)), "zte-gpon") == 0)
			zte = profile_at(shipped, i);
		if (strcmp(profile_name(profile_at(shipped, i)), "huawei-gpon")
		    == 0)
			hw = profile_at(shipped, i);
	}
	assert_non_null(zte);
	assert_non_null(hw);
	events_location_clear(&loc);
	assert_int_equal(profile_decode_ifindex(profile_get_decoder(hw,
	    "gpon_ifindex"), 4194346240ULL, &loc), 0);	/* 0/5/5 */
	assert_int_equal(loc.slot, 5);
	assert_int_equal(loc.port, 5);
	/* Not a GPON port ifIndex: refused, nothing filled in. */
	events_location_clear(&loc);
	assert_int_equal(profile_decode_ifindex(profile_get_decoder(hw,
	    "gpon_ifindex"), 234930176ULL, &loc), -1);
	assert_int_equal(loc.slot, EVENT_LOC_UNSET);
	events_location_clear(&loc);
	assert_int_equal(profile_decode_ifindex(profile_get_decoder(zte,
	    "layout_a"), 268501248ULL, &loc), 0);	/* gpon-olt_1/1/1 */
	assert_int_equal(loc.slot, 1);
	assert_int_equal(loc.port, 1);
	/* The poll section is there for the poller, with its map. */
	assert_non_null(profile_get_poll(hw));
	assert_int_equal(profile_map_lookup(profile_get_poll(hw)->down_cause_map,
	    13)->kind != NULL, 1);
	assert_string_equal(profile_map_lookup(
	    profile_get_poll(hw)->down_cause_map, 13)->kind, "onu.dying_gasp");
	assert_false(profile_map_lookup(profile_get_poll(hw)->down_cause_map,
	    13)->no_alarm);
	/* Deactivated by the operator: "none", not an outage. */
	assert_true(profile_map_lookup(profile_get_poll(hw)->down_cause_map,
	    8)->no_alarm);
	assert_null(profile_map_lookup(profile_get_poll(hw)->down_cause_map,
	    8)->kind);
	assert_string_equal(profile_map_lookup(
	    profile_get_poll(hw)->down_cause_map, 8)->cause, "deactivated");
}

/* A Huawei dying gasp on 0/SLOT/3, ONT 12, the slot of the given type. */
static void
hw_dg_slot(char type, const char *slot, struct profile_match *m)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.18");

	add(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1.0", 'i', "0");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1.0", type, slot);
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1.0", 'i', "3");
	add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.43.1.1.0", 'i', "12");
	assert_true(match(pdu, "olt", "huawei", "MA5608T", m));
	snmp_free_pdu(pdu);
}

/* Out of range or of type: raw (no alarm), that field unset, named. */
static void
test_location_out_of_range(void **state)
{
	static const struct {
		char		 type;
		const char	*value;
	} bad[] = {
		{ 'u', "4294967295" }, { 'u', "2147483648" },
		{ 'i', "3000000000" },	/* a 5-byte INTEGER */
		{ 'i', "-5" }, { 'i', "-1" }, { 'i', "256" },
		{ 's', "slot-one" },
	};
	struct profile_match m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		hw_dg_slot(bad[i].type, bad[i].value, &m);
		assert_int_equal(m.action, EVENT_RAW);
		assert_non_null(m.bad_field);
		assert_string_equal(m.bad_field, "slot");
		assert_int_equal(m.loc.slot, EVENT_LOC_UNSET);
		assert_int_equal(m.loc.port, 3);	/* the rest is kept */
		assert_int_equal(m.loc.onu, 12);
	}
	hw_dg_slot('u', "255", &m);		/* the largest slot is fine */
	assert_null(m.bad_field);
	assert_int_equal(m.action, EVENT_RAISE);
	assert_int_equal(m.loc.slot, 255);
}

/* ZTE: the ONU id is the instance's last sub-identifier. */
static void
test_zte_onu_instance_out_of_range(void **state)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.3902.1012.3.45.123");
	struct profile_match m;

	add(pdu, "1.3.6.1.4.1.3902.1012.3.28.1.1.2.268566784.2147483648", 's',
	    "onu");
	assert_true(match(pdu, "olt", "zte", "C320", &m));
	assert_int_equal(m.action, EVENT_RAW);
	assert_string_equal(m.bad_field, "onu");
	assert_string_equal(m.bad_value, "2147483648");
	assert_int_equal(m.loc.onu, EVENT_LOC_UNSET);
	assert_int_equal(m.loc.slot, 2);
	snmp_free_pdu(pdu);
}

/*
 * The OLT sends the PON ifIndex 0xFA002300 as a 32-bit INTEGER, i.e.
 * -100654336: it is the unsigned 4194312960. The up (a clear) has no cause.
 */
static void
test_ifindex_unsigned_clear_cause(void **state)
{
	netsnmp_pdu *pdu;
	struct profile_match m;
	const char *status[] = { "2", "1" };
	int i;

	for (i = 0; i < 2; i++) {
		pdu = v2trap("1.3.6.1.4.1.2011.6.128.1.1.12.3.0.100");
		add(pdu, "1.3.6.1.2.1.2.2.1.1.0", 'i', "-100654336");
		add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.2.41.1.1.0", 'i', "5");
		add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.11.510.0", 'i', status[i]);
		assert_true(match(pdu, "olt", "huawei", "MA5800-X17", &m));
		assert_null(m.bad_field);
		assert_int_equal(m.loc.if_index, 4194312960LL);
		assert_int_equal(m.loc.slot, 1);
		assert_int_equal(m.loc.port, 3);
		snmp_free_pdu(pdu);
		if (i == 0) {
			assert_int_equal(m.action, EVENT_RAISE);
			assert_string_equal(m.cause, "run-state-down");
		} else {
			assert_int_equal(m.action, EVENT_CLEAR);
			assert_null(m.cause);
		}
	}
}

static void
mass_power_off(const char *trap, const char *mask, struct profile_match *m)
{
	netsnmp_pdu *pdu = v2trap(trap);

	add(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1.0", 'i', "0");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1.0", 'i', "1");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1.0", 'i', "3");
	if (mask != NULL)
		add(pdu, "1.3.6.1.4.1.2011.6.128.1.1.11.2.0", 'x', mask);
	assert_true(match(pdu, "olt", "huawei", "MA5608T", m));
	snmp_free_pdu(pdu);
}

/* hwXponOntMask, BITS style: the high bit of the first octet is ONT 0. */
static void
test_mass_power_off_mask(void **state)
{
	struct profile_match m;

	mass_power_off("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.45", "C001", &m);
	assert_string_equal(m.kind, "onu.dying_gasp");
	assert_int_equal(m.action, EVENT_RAISE);
	assert_int_equal(profile_mask_next(&m, 0), 0);
	assert_int_equal(profile_mask_next(&m, 1), 1);
	assert_int_equal(profile_mask_next(&m, 2), 15);
	assert_int_equal(profile_mask_next(&m, 16), -1);
	assert_int_equal(m.loc.onu, EVENT_LOC_UNSET);
	mass_power_off("1.3.6.1.4.1.2011.6.145.3.2.1.0.7", "C001", &m);
	assert_int_equal(m.action, EVENT_CLEAR);
	assert_null(m.cause);
	assert_int_equal(profile_mask_next(&m, 2), 15);
	/* 16 octets: ONT 127 is the last of a GPON port. */
	mass_power_off("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.45",
	    "00000000000000000000000000000001", &m);
	assert_null(m.bad_field);
	assert_int_equal(profile_mask_next(&m, 0), 127);
	/* ONT 135 cannot be on the port: raw, nothing to expand. */
	mass_power_off("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.45",
	    "0000000000000000000000000000000001", &m);
	assert_int_equal(m.action, EVENT_RAW);
	assert_string_equal(m.bad_field, "onu");
	assert_int_equal(profile_mask_next(&m, 0), -1);
	/* No mask: one event for the port, as before. */
	mass_power_off("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.45", NULL, &m);
	assert_int_equal(m.action, EVENT_RAISE);
	assert_int_equal(profile_mask_next(&m, 0), -1);
	assert_int_equal(m.loc.port, 3);
}

/* hwXponOltLosAffectOntNum / DgiOntNum; -1 is "invalid". */
static void
test_pon_los_counts(void **state)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.2011.6.128.1.1.12.2.1.0.108");
	struct profile_match m;

	add(pdu, "1.3.6.1.4.1.2011.6.3.3.1.1.1.0", 'i', "0");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.2.1.1.0", 'i', "1");
	add(pdu, "1.3.6.1.4.1.2011.6.3.3.4.1.1.0", 'i', "3");
	add(pdu, "1.3.6.1.4.1.2011.6.145.2.48.0", 'i', "40");
	add(pdu, "1.3.6.1.4.1.2011.6.145.2.49.0", 'i', "-1");
	assert_true(match(pdu, "olt", "huawei", "MA5608T", &m));
	assert_string_equal(m.kind, "pon.los");
	assert_int_equal(m.affected_onus, 40);
	assert_int_equal(m.dying_gasp_onus, EVENT_LOC_UNSET);
	snmp_free_pdu(pdu);
	mass_power_off("1.3.6.1.4.1.2011.6.128.1.1.12.2.2.0.45", NULL, &m);
	assert_int_equal(m.affected_onus, EVENT_LOC_UNSET);
}

/* A decoder whose offset carries a field past its range refuses it. */
static void
test_decode_out_of_range(void **state)
{
	struct profile_set *s;
	struct herald_location loc;
	int errors = 0;

	s = profile_load_buf("off.conf",
	    "profile \"x\" {\n"
	    "  decoder \"d\" { slot = {15, 8} slot_offset = 10 port = {7, 0} }\n"
	    "}\n", &errors);
	assert_int_equal(errors, 0);
	events_location_clear(&loc);
	assert_int_equal(profile_decode_ifindex(profile_get_decoder(
	    profile_at(s, 0), "d"), 0x0501, &loc), 0);
	assert_int_equal(loc.slot, 15);
	events_location_clear(&loc);
	assert_int_equal(profile_decode_ifindex(profile_get_decoder(
	    profile_at(s, 0), "d"), 0xff01, &loc), -2);
	assert_int_equal(loc.slot, EVENT_LOC_UNSET);
	assert_int_equal(loc.port, EVENT_LOC_UNSET);
	profile_set_free(s);
	errors = 0;
	s = profile_load_buf("mask.conf",
	    "profile \"x\" {\n"
	    "  trap \"a\" { oid = \"1.3.6.1.4\" kind = \"onu.dying_gasp\"\n"
	    "    onu = \"1.3.6.1.5\" onu_mask = \"1.3.6.1.6\"\n"
	    "    onu_mask_size = 1000 }\n"
	    "}\n", &errors);
	assert_int_equal(errors, 2);
	profile_set_free(s);
}

static void
test_bad_profile(void **state)
{
	struct profile_set *s;
	int errors = 0;

	s = profile_load_buf("bad.conf",
	    "profile \"x\" {\n"
	    "  trap \"a\" {\n"
	    "    oid = \"1.3.6.x\"\n"
	    "    kind = \"onu.nonsense\"\n"
	    "    decoder = \"missing\"\n"
	    "  }\n"
	    "}\n", &errors);
	assert_true(errors >= 3);
	profile_set_free(s);
	errors = 0;
	s = profile_load_buf("syntax.conf", "profile \"x\" { trap }\n", &errors);
	assert_true(errors >= 1);
	profile_set_free(s);
	errors = 0;
	s = profile_load_buf("dupe.conf",
	    "profile \"x\" {\n"
	    "  trap \"a\" { oid = \"1.3.6.1.4\" kind = \"port.down\" }\n"
	    "  trap \"b\" { oid = \"1.3.6.1.4\" kind = \"port.down\" }\n"
	    "}\n", &errors);
	assert_int_equal(errors, 1);
	profile_set_free(s);
}

static void
test_varbinds_text(void **state)
{
	netsnmp_pdu *pdu = v2trap("1.3.6.1.4.1.1");
	struct trapmsg tm;
	char *t;

	add(pdu, "1.3.6.1.4.1.1.1.0", 'i', "-5");
	add(pdu, "1.3.6.1.4.1.1.2.0", 's', "HG8245H");
	add(pdu, "1.3.6.1.4.1.1.3.0", 's', "say \"hi\"");
	add(pdu, "1.3.6.1.4.1.1.4.0", 'a', "192.0.2.1");
	assert_int_equal(trapmsg_decode(pdu, &tm), 0);
	t = trapmsg_varbinds_text(tm.vars);
	assert_string_equal(t,
	    "1.3.6.1.4.1.1.1.0 i -5\n"
	    "1.3.6.1.4.1.1.2.0 s \"HG8245H\"\n"
	    "1.3.6.1.4.1.1.3.0 x 7361792022686922\n"
	    "1.3.6.1.4.1.1.4.0 a 192.0.2.1");
	free(t);
	snmp_free_pdu(pdu);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates_order),
		cmocka_unit_test(test_huawei_dying_gasp),
		cmocka_unit_test(test_kinds_interned),
		cmocka_unit_test(test_huawei_run_state_ifindex),
		cmocka_unit_test(test_zte_v1_forms),
		cmocka_unit_test(test_v1_generic_link_down),
		cmocka_unit_test(test_adsl2_bits),
		cmocka_unit_test(test_unknown_trap),
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_bad_profile),
		cmocka_unit_test(test_location_out_of_range),
		cmocka_unit_test(test_zte_onu_instance_out_of_range),
		cmocka_unit_test(test_ifindex_unsigned_clear_cause),
		cmocka_unit_test(test_mass_power_off_mask),
		cmocka_unit_test(test_pon_los_counts),
		cmocka_unit_test(test_decode_out_of_range),
		cmocka_unit_test(test_varbinds_text),
	};

	return cmocka_run_group_tests_name("profile", tests, setup, teardown);
}
