/* test_log.c: phone masking, level names and the rate limiter. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "log.h"

static void
test_mask_phone(void **state)
{
	char buf[32];

	assert_string_equal(log_mask_phone("13812345678", buf, sizeof(buf)),
	    "138****5678");
	assert_string_equal(log_mask_phone("12345", buf, sizeof(buf)), "****");
	assert_string_equal(log_mask_phone(NULL, buf, sizeof(buf)), "****");
}

static void
test_level_parse(void **state)
{
	assert_int_equal(log_level_parse("error"), LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("loud"), -1);
}

static void
test_ratelimit(void **state)
{
	struct log_ratelimit rl;
	int allowed = 0, i;

	memset(&rl, 0, sizeof(rl));
	log_init(1, LOG_LEVEL_ERROR, 0);
	for (i = 0; i < 100; i++)
		allowed += log_ratelimit(&rl, 5);
	/* All in one second unless the clock ticked in between. */
	assert_true(allowed >= 5 && allowed <= 10);
	assert_true(rl.suppressed > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_phone),
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
