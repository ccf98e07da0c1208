/*
 * test_poll.c: the poller's pure parts: ifIndex encoding (the inverse of
 * the profile decoders, for confirmation reads) against the shipped
 * profiles, and reading values out of varbinds by type.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "poll.h"
#include "profile.h"
#include "snmplib.h"
#include "snmpval.h"

static struct profile_set *
load(const char *file)
{
	char path[512];
	const char *src = getenv("top_srcdir");
	int errors = 0;
	struct profile_set *ps;

	snprintf(path, sizeof(path), "%s/collectors/profiles/%s",
	    src ? src : ".", file);
	ps = profile_load_file(path, &errors);
	assert_non_null(ps);
	assert_int_equal(errors, 0);
	return ps;
}

static const struct profile_decoder *
decoder(struct profile_set *ps, const char *vendor, const char *model)
{
	const struct profile *c[8];
	struct profile_device d = { "olt", vendor, model, NULL };

	assert_true(profile_candidates(ps, &d, c, 8) >= 1);
	assert_non_null(profile_get_poll(c[0]));
	return profile_get_poll(c[0])->decoder;
}

static void
roundtrip(const struct profile_decoder *dec, long long f, long long s,
    long long p, long long want)
{
	struct herald_location loc, back;
	long long x;

	events_location_clear(&loc);
	loc.frame = f;
	loc.slot = s;
	loc.port = p;
	assert_int_equal(poll_encode_ifindex(dec, &loc, &x), 0);
	assert_int_equal(x, want);
	events_location_clear(&back);
	assert_int_equal(profile_decode_ifindex(dec, (unsigned long long)x,
	    &back), 0);
	assert_int_equal(back.frame, f);
	assert_int_equal(back.slot, s);
	assert_int_equal(back.port, p);
}

static void
test_huawei_ifindex(void **state)
{
	struct profile_set *ps = load("huawei-gpon.conf");
	const struct profile_decoder *d = decoder(ps, "huawei", "MA5800");
	struct herald_location loc;
	long long x;

	/* pon-dslam-oids.md 1.2: 0/0/0, 0/1/3 and 0/5/5. */
	roundtrip(d, 0, 0, 0, 4194304000LL);
	roundtrip(d, 0, 1, 3, 4194312960LL);
	roundtrip(d, 0, 5, 5, 4194346240LL);
	/* A port number that does not fit its 5 bits cannot be encoded. */
	events_location_clear(&loc);
	loc.frame = 0;
	loc.slot = 1;
	loc.port = 40;
	assert_int_equal(poll_encode_ifindex(d, &loc, &x), -1);
	/* Nor can a location without a slot. */
	loc.port = 1;
	loc.slot = EVENT_LOC_UNSET;
	assert_int_equal(poll_encode_ifindex(d, &loc, &x), -1);
	profile_set_free(ps);
}

static void
test_zte_ifindex(void **state)
{
	struct profile_set *ps = load("zte-gpon.conf");
	const struct profile_decoder *d = decoder(ps, "zte", "C300");
	struct herald_location loc;
	long long x;

	/*
	 * Layout A, CLI 1/2/1 = 268566784 (pon-dslam-oids.md 2.2): the shelf
	 * bits hold shelf - 1 (frame_offset = 1 in the profile).
	 */
	roundtrip(d, 1, 2, 1, 268566784LL);
	/* A port alarm that carried its ifIndex is read back as it came. */
	events_location_clear(&loc);
	loc.if_index = 268566784LL;
	assert_int_equal(poll_encode_ifindex(d, &loc, &x), 0);
	assert_int_equal(x, 268566784LL);
	profile_set_free(ps);
}

static void
test_values(void **state)
{
	netsnmp_variable_list v;
	long i = 42, out = 0;
	oid o[MAX_OID_LEN];
	size_t len;
	char buf[128];

	memset(&v, 0, sizeof(v));
	v.type = ASN_INTEGER;
	v.val.integer = &i;
	v.val_len = sizeof(i);
	assert_int_equal(snmpval_int(&v, &out), 0);
	assert_int_equal(out, 42);
	v.type = ASN_OCTET_STR;
	v.val.string = (u_char *)"up";
	v.val_len = 2;
	assert_int_equal(snmpval_int(&v, &out), -1);
	assert_string_equal(snmpval_format(&v, buf, sizeof(buf)),
	    "STRING: \"up\"");
	assert_int_equal(snmpval_parse_oid(".1.3.6.1.2.1.1.3.0", o, &len), 0);
	assert_int_equal(len, 9);
	assert_string_equal(snmpval_oid(o, len, buf, sizeof(buf)),
	    "1.3.6.1.2.1.1.3.0");
	assert_int_equal(snmpval_parse_oid("1.3.x", o, &len), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huawei_ifindex),
		cmocka_unit_test(test_zte_ifindex),
		cmocka_unit_test(test_values),
	};

	log_init(1, LOG_LEVEL_ERROR, 0);
	snmplib_init();
	return cmocka_run_group_tests_name("poll", tests, NULL, NULL);
}
