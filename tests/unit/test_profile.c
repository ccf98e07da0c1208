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
		cmocka_unit_test(test_huawei_run_state_ifindex),
		cmocka_unit_test(test_zte_v1_forms),
		cmocka_unit_test(test_v1_generic_link_down),
		cmocka_unit_test(test_adsl2_bits),
		cmocka_unit_test(test_unknown_trap),
		cmocka_unit_test(test_decoders),
		cmocka_unit_test(test_bad_profile),
		cmocka_unit_test(test_varbinds_text),
	};

	return cmocka_run_group_tests_name("profile", tests, setup, teardown);
}
