/*
 * test_ctlapi.c: heraldctl's API client pieces that need no server: the
 * table renderer (exact bytes, Chinese text aligned by display width), the
 * lookup classifier, the token format and hash, times, the query options
 * and the herald.conf ctl section. Links tools/ctl_*.c with stubs for what
 * heraldctl.c provides.
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
#include <unistd.h>

#include "conf.h"
#include "ctl.h"

/* heraldctl.c's part, not under test here. */
struct herald_conf *
ctl_conf(struct ctl *ctl)
{
	return NULL;
}

PGconn *
ctl_connect(struct ctl *ctl)
{
	fail_msg("ctl_connect called");
	return NULL;
}

int
ctl_cmd_usage(const struct ctl_command *c)
{
	return CTL_USAGE;
}

void
ctl_error(const char *fmt, ...)
{
}

/* The table as printed, in a string the caller frees. */
static char *
render(const struct ctl_table *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ctl_table_print(t, f);
	fclose(f);
	return buf;
}

static void
test_table_chinese(void **state)
{
	static const char *const hdr[] = { "ID", "NAME", "PLACE", NULL };
	static const char *const r1[] = { "1", "张三", "望京", NULL };
	static const char *const r2[] = { "22", "Li Na", "A", NULL };
	struct ctl_table *t = ctl_table_new(hdr);
	char *out;

	ctl_table_add(t, r1);
	ctl_table_add(t, r2);
	assert_int_equal(ctl_table_rows(t), 2);
	out = render(t);
	/* 张三 is four columns wide: one blank pads it to "Li Na". */
	assert_string_equal(out,
	    "ID  NAME   PLACE\n"
	    "1   \xe5\xbc\xa0\xe4\xb8\x89   \xe6\x9c\x9b\xe4\xba\xac\n"
	    "22  Li Na  A\n");
	free(out);
	ctl_table_free(t);
}

static void
test_table_cut(void **state)
{
	static const char *const hdr[] = { "ADDRESS", "N", NULL };
	/* 望京西园三区312 is 15 columns; cut to 6: 望京 (4) + … (1). */
	static const char *const r1[] = { "望京西园三区312", "1", NULL };
	static const char *const r2[] = { "abcdefghij", "2", NULL };
	struct ctl_table *t = ctl_table_new(hdr);
	char *out;

	ctl_table_maxw(t, 0, 6);
	ctl_table_add(t, r1);
	ctl_table_add(t, r2);
	out = render(t);
	assert_string_equal(out,
	    "ADDRESS  N\n"
	    "望京…    1\n"
	    "abcde…   2\n");
	free(out);
	ctl_table_free(t);
}

static void
test_table_clean(void **state)
{
	static const char *const hdr[] = { "A", "B", "C", NULL };
	static const char *const r1[] = { "x\ny", NULL, "", NULL };
	struct ctl_table *t = ctl_table_new(hdr);
	char *out;

	ctl_table_add(t, r1);
	out = render(t);
	/* A newline in a cell is a blank; empty cells, no trailing blanks. */
	assert_string_equal(out, "A    B  C\nx y\n");
	free(out);
	ctl_table_free(t);
}

static void
test_text_width(void **state)
{
	char buf[64];

	assert_int_equal(ctl_text_width(""), 0);
	assert_int_equal(ctl_text_width("ab张"), 4);
	assert_int_equal(ctl_text_width("光缆中断，影响"), 14);
	ctl_text_fit("光缆中断", 5, buf, sizeof(buf));
	assert_string_equal(buf, "光缆…");
	ctl_text_fit("光缆中断", 8, buf, sizeof(buf));
	assert_string_equal(buf, "光缆中断");
	ctl_text_fit("光缆中断", 4, buf, sizeof(buf));
	assert_string_equal(buf, "光…");
}

static void
test_lookup_classify(void **state)
{
	assert_int_equal(ctl_lookup_classify("13800138000"), CTL_LOOKUP_PHONE);
	assert_int_equal(ctl_lookup_classify("010-12345678"), CTL_LOOKUP_PHONE);
	assert_int_equal(ctl_lookup_classify("01012345678"), CTL_LOOKUP_PHONE);
	assert_int_equal(ctl_lookup_classify("+8613800138000"),
	    CTL_LOOKUP_PHONE);
	assert_int_equal(ctl_lookup_classify("HWTC1A2B3C4D"),
	    CTL_LOOKUP_SERIAL);
	assert_int_equal(ctl_lookup_classify("zteg0000beef"),
	    CTL_LOOKUP_SERIAL);
	assert_int_equal(ctl_lookup_classify("A1001"), CTL_LOOKUP_ACCOUNT);
	assert_int_equal(ctl_lookup_classify("12345678"), CTL_LOOKUP_ACCOUNT);
	assert_int_equal(ctl_lookup_classify("1380013800"), CTL_LOOKUP_ACCOUNT);
	assert_int_equal(ctl_lookup_classify("HWTC1A2B3C4G"),
	    CTL_LOOKUP_ACCOUNT);
	assert_int_equal(ctl_lookup_classify("HWT11A2B3C4D"),
	    CTL_LOOKUP_ACCOUNT);
	assert_int_equal(ctl_lookup_classify("BJ-0012345"), CTL_LOOKUP_ACCOUNT);
}

static void
test_token(void **state)
{
	char a[CTL_TOKEN_LEN + 1], b[CTL_TOKEN_LEN + 1], hex[65];
	size_t i;

	assert_int_equal(ctl_token_make(a), 0);
	assert_int_equal(ctl_token_make(b), 0);
	assert_int_equal(strlen(a), 47);
	assert_memory_equal(a, "hrd_", 4);
	for (i = 4; i < 47; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
	assert_string_not_equal(a, b);
	ctl_token_hash("hrd_test", hex);
	assert_string_equal(hex, "9c562aaa06604cf26843fd6c1455a0f92e611e20"
	    "40300fda82395cf479cf7fd4");
	ctl_token_hash("", hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
	    "649b934ca495991b7852b855");
}

static void
test_time(void **state)
{
	/* 2026-12-01T16:20:00Z: 12-02 00:20 in Beijing. */
	time_t now = 1796142000;
	char buf[64];

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	ctl_time_short("2026-12-02T00:15:00.123456+00:00", now, buf,
	    sizeof(buf));
	assert_string_equal(buf, "12-02 08:15");
	ctl_time_short("2026-12-02T08:15:00+08:00", now, buf, sizeof(buf));
	assert_string_equal(buf, "12-02 08:15");
	ctl_time_short("2025-12-02T08:15:00+0800", now, buf, sizeof(buf));
	assert_string_equal(buf, "2025-12-02 08:15");
	ctl_time_short(NULL, now, buf, sizeof(buf));
	assert_string_equal(buf, "");
	ctl_time_short("soon", now, buf, sizeof(buf));
	assert_string_equal(buf, "soon");
	ctl_time_arg("+2h", now, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-02T02:20:00+08:00");
	ctl_time_arg("18:00", now, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-02T18:00:00+08:00");
	ctl_time_arg("12-03 01:30", now, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-03T01:30:00+08:00");
	ctl_time_arg("2026-12-24 09:00", now, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-24T09:00:00+08:00");
	ctl_time_arg("2026-12-24T09:00:05", now, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-24T09:00:05+08:00");
	ctl_time_arg("2026-12-24T09:00:00Z", now, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-24T09:00:00Z");
}

static void
test_opts(void **state)
{
	static const struct ctl_qopt opts[] = {
		{ "state", 1, "state", NULL, 0 },
		{ "all", 0, "state", "all", 0 },
		{ "port", 1, "port", NULL, 1 },
		{ NULL, 0, NULL, NULL, 0 }
	};
	char *argv[] = { "tickets", "12", "--state", "new", "--all", "--port",
	    "3", "--json", "--limit", "5", NULL };
	const char *q[2 * CTL_QOPT_MAX + 1];
	struct ctl ctl = { 0 };
	json_t *body;
	char *text;

	assert_int_equal(ctl_api_opts(&ctl, 10, argv, opts, q), 0);
	assert_int_equal(ctl.json, 1);
	/* getopt_long permuted the operand after the options. */
	assert_string_equal(argv[optind], "12");
	assert_string_equal(q[0], "state");
	assert_string_equal(q[1], "all");		/* the later one wins */
	assert_string_equal(ctl_api_take(q, "limit"), "5");
	assert_null(ctl_api_take(q, "limit"));
	body = ctl_api_body(q, opts);
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"port\":3,\"state\":\"all\"}");
	free(text);
	json_decref(body);
}

static void
test_conf_ctl(void **state)
{
	char path[] = "/tmp/herald-ctlapi-XXXXXX";
	struct herald_conf *c;
	FILE *f;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	f = fdopen(fd, "w");
	fputs("ctl {\n\turl = \"http://10.0.0.1:8080\"\n"
	    "\ttoken = \"hrd_x\"\n}\n", f);
	fclose(f);
	assert_non_null(c = conf_load(path));
	assert_string_equal(c->ctl_url, "http://10.0.0.1:8080");
	assert_string_equal(c->ctl_token, "hrd_x");
	conf_free(c);
	f = fopen(path, "w");
	fclose(f);
	assert_non_null(c = conf_load(path));
	assert_null(c->ctl_url);
	assert_null(c->ctl_token);
	conf_free(c);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_chinese),
		cmocka_unit_test(test_table_cut),
		cmocka_unit_test(test_table_clean),
		cmocka_unit_test(test_text_width),
		cmocka_unit_test(test_lookup_classify),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_conf_ctl),
	};

	ctl_table_locale();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
