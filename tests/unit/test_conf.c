/* test_conf.c: defaults, validators and error counting of conf_load(). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

static char *
write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/herald-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_defaults(void **state)
{
	char *p = write_tmp("");
	struct herald_conf *c = conf_load(p);

	assert_non_null(c);
	assert_string_equal(c->timezone, "Asia/Shanghai");
	assert_int_equal(c->db_heartbeat, 10);
	assert_string_equal(c->http_listen, "127.0.0.1:8080");
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	conf_free(c);
	unlink(p);
}

static void
test_values(void **state)
{
	char *p = write_tmp("timezone = \"UTC\"\n"
	    "database {\n conninfo = \"host=/tmp port=5\"\n heartbeat = 3\n}\n"
	    "http {\n listen = \"[::1]:9090\"\n}\n"
	    "log {\n level = \"debug\"\n target = \"syslog\"\n}\n");
	struct herald_conf *c = conf_load(p);

	assert_non_null(c);
	assert_string_equal(c->db_conninfo, "host=/tmp port=5");
	assert_int_equal(c->db_heartbeat, 3);
	assert_string_equal(c->http_listen, "[::1]:9090");
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c->log_syslog, 1);
	conf_free(c);
	unlink(p);
}

static void
test_rejects(void **state)
{
	static const char *const bad[] = {
		"database {\n heartbeat = 0\n}\n",
		"database {\n conninfo = \"host='unterminated\"\n}\n",
		"http {\n listen = \"example.org:80\"\n}\n",
		"http {\n listen = \"127.0.0.1:99999\"\n}\n",
		"log {\n target = \"file\"\n}\n",
		"timezone = \"Mars/Olympus\"\n",
		"snmp {\n trap_listen = {\"udp:\"}\n}\n",
		"unknown = 1\n",
		"database = 5\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *p = write_tmp(bad[i]);

		assert_null(conf_load(p));
		unlink(p);
	}
	assert_null(conf_load("/nonexistent/herald.conf"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_rejects),
	};

	log_init(1, -1, 0);	/* the rejected files are expected to complain */
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
