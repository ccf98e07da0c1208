/*
 * test_template.c: template_load's checks and their FILE:LINE messages,
 * rendering of every placeholder, the shipped outage texts, times in
 * Asia/Shanghai, and sms_size against the gateway's counting.
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
#include <sys/stat.h>
#include <unistd.h>

#include "template.h"

#ifndef TEMPLATE_SRCDIR
#define TEMPLATE_SRCDIR "rules/templates"
#endif

static const char *const required[] = {
	"outage.zh", "outage.en", "restored.zh", "restored.en"
};

/* A fresh folder; with the four required templates when full. */
static char *
tdir(int full)
{
	static char dir[64];
	char path[128];
	size_t i;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/herald-tpl-XXXXXX");
	assert_non_null(mkdtemp(dir));
	for (i = 0; full && i < sizeof(required) / sizeof(required[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.txt", dir, required[i]);
		assert_non_null(f = fopen(path, "w"));
		fprintf(f, "%s\n", required[i]);
		fclose(f);
	}
	return dir;
}

static void
twrite(const char *dir, const char *name, const char *text, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fwrite(text, 1, len, f);
	fclose(f);
}

static void
trm(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Load DIR with one extra file; expect failure with exactly msg. */
static void
load_fails(const char *name, const char *text, size_t len, const char *msg)
{
	char *dir = tdir(1), err[512], want[512];

	twrite(dir, name, text, len);
	assert_null(template_load(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/%s", dir, msg);
	assert_string_equal(err, want);
	trm(dir);
}

/* Load DIR with one extra (update.en) template and render it. */
static void
render_one(const char *text, const struct template_vars *v, const char *want)
{
	char *dir = tdir(1), err[512], out[1024];
	struct template_set *set;

	twrite(dir, "update.en.txt", text, strlen(text));
	set = template_load(dir, err, sizeof(err));
	if (set == NULL)
		fail_msg("%s", err);
	assert_int_equal(template_render(set, "update", "en", v, out,
	    sizeof(out)), 0);
	assert_string_equal(out, want);
	template_free(set);
	trm(dir);
}

static const struct template_vars fixed = {
	.area = "南山区 科技园",
	.cause = "fibre_cut",
	.since = 1796191500,		/* 2026-12-02 14:05 +08 */
	.eta = 1796205600,		/* 18:00 */
	.starts = 1796234400,		/* 2026-12-03 02:00 */
	.ends = 1796248800,		/* 06:00 */
	.ticket = "42",
	.account = "0755-86001234",
	.signature = "【星河宽带】",
	.tz = "Asia/Shanghai",
};

static void
test_every_placeholder(void **state)
{
	render_one("# comment\n{area}|{cause}|{since}|{eta}|{starts}|{ends}|"
	    "{ticket}|{account}|{signature}\n", &fixed,
	    "南山区 科技园|a fibre cut|2 Dec 14:05|2 Dec 18:00|3 Dec 02:00|"
	    "3 Dec 06:00|42|0755-86001234|【星河宽带】");
}

static void
test_unknown_values(void **state)
{
	struct template_vars v = { .tz = "Asia/Shanghai" };

	render_one("{area}|{cause}|{since}|{eta}|{starts}|{ticket}|{account}|"
	    "{signature}", &v, "your area|a network fault|a short while ago|"
	    "as soon as possible|a time to be announced|to follow|"
	    "your account|");
	v.cause = "no_such_cause";
	render_one("{cause}", &v, "a network fault");
}

static void
test_braces_and_lines(void **state)
{
	render_one("{{area} {{{ticket}} }\n", &fixed, "{area} {42} }");
	/* Comments anywhere, blank ends trimmed, inner newlines kept, CRLF. */
	render_one("# a\n\n  \nfirst\r\n# b\n\nthird {ticket}\n\n\n", &fixed,
	    "first\n\nthird 42");
	render_one("no newline at the end", &fixed, "no newline at the end");
}

static void
test_errors(void **state)
{
	load_fails("update.zh.txt", "# c\nok\nbad {aera} here\n", 23,
	    "update.zh.txt:3: unknown placeholder \"{aera}\" (known: area, "
	    "cause, since, eta, starts, ends, ticket, account, signature)");
	load_fails("update.zh.txt", "{}\n", 3, "update.zh.txt:1: unknown "
	    "placeholder \"{}\" (known: area, cause, since, eta, starts, ends, "
	    "ticket, account, signature)");
	load_fails("planned.en.txt", "#\nx\nthe {area\n", 14, "planned.en.txt:3: "
	    "unclosed brace (write \"{{\" for a literal \"{\")");
	load_fails("planned.en.txt", "a {are{a}}\n", 11, "planned.en.txt:1: "
	    "unclosed brace (write \"{{\" for a literal \"{\")");
	load_fails("planned.zh.txt", "ok\n\xe5\xb9\n", 6,
	    "planned.zh.txt:2: not valid UTF-8");
	load_fails("planned.zh.txt", "overlong \xc0\xaf\n", 12,
	    "planned.zh.txt:1: not valid UTF-8");
	load_fails("planned.zh.txt", "surrogate \xed\xa0\x80\n", 14,
	    "planned.zh.txt:1: not valid UTF-8");
	load_fails("update.en.txt", "# only a comment\n\n", 18,
	    "update.en.txt:2: empty template (no message, only comments or "
	    "blank lines)");
	load_fails("update.en.txt", "", 0, "update.en.txt:1: empty template "
	    "(no message, only comments or blank lines)");
	load_fails("outgae.zh.txt", "x", 1, "outgae.zh.txt:0: not a template "
	    "name: expected KIND.LANG.txt with KIND outage, restored, update "
	    "or planned and LANG zh or en");
}

static void
test_missing(void **state)
{
	char *dir = tdir(1), path[128], err[512], want[512];

	snprintf(path, sizeof(path), "%s/restored.en.txt", dir);
	unlink(path);
	assert_null(template_load(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:0: missing: the restored template is "
	    "required in every language", path);
	assert_string_equal(err, want);
	trm(dir);

	assert_null(template_load("/nonexistent/dir", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent/dir:0: cannot read the folder: "
	    "No such file or directory");
}

static void
test_unreadable(void **state)
{
	char *dir = tdir(1), path[128], err[512], want[512];

	if (geteuid() == 0) {
		/* root reads anything: a folder in place of the file. */
		snprintf(path, sizeof(path), "%s/update.zh.txt", dir);
		assert_int_equal(mkdir(path, 0755), 0);
	} else {
		twrite(dir, "update.zh.txt", "x", 1);
		snprintf(path, sizeof(path), "%s/update.zh.txt", dir);
		chmod(path, 0);
	}
	assert_null(template_load(dir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:0: cannot read: ", path);
	assert_memory_equal(err, want, strlen(want));
	trm(dir);
}

static void
test_render_limits(void **state)
{
	char *dir = tdir(1), err[512], out[64];
	struct template_set *set = template_load(dir, err, sizeof(err));

	assert_non_null(set);
	assert_int_equal(template_render(set, "outage", "zh", &fixed, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "outage.zh");
	/* Optional kinds not shipped here, unknown kinds and languages. */
	assert_int_equal(template_render(set, "update", "zh", &fixed, out,
	    sizeof(out)), -1);
	assert_int_equal(template_render(set, "outages", "zh", &fixed, out,
	    sizeof(out)), -1);
	assert_int_equal(template_render(set, "outage", "fr", &fixed, out,
	    sizeof(out)), -1);
	/* "outage.zh" is 9 bytes: needs 10. */
	assert_int_equal(template_render(set, "outage", "zh", &fixed, out, 9),
	    -1);
	assert_int_equal(template_render(set, "outage", "zh", &fixed, out, 10),
	    0);
	template_free(set);
	trm(dir);
}

/* The shipped texts, word for word, and their size at the gateway. */
static void
test_shipped_outage(void **state)
{
	char err[512], out[1024];
	struct template_set *set = template_load(TEMPLATE_SRCDIR, err,
	    sizeof(err));
	struct template_vars en = fixed;
	struct sms_size sz;

	if (set == NULL)
		fail_msg("%s", err);
	assert_int_equal(template_render(set, "outage", "zh", &fixed, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "【星河宽带】南山区 科技园因光纤中断于12月2日 "
	    "14:05断网，正抢修，预计12月2日 18:00恢复，工单42，无需报修，"
	    "敬请谅解。");
	sms_size(out, &sz);
	assert_int_equal(sz.ucs2, 1);
	assert_int_equal(sz.units, 68);
	assert_int_equal(sz.segments, 1);

	en.area = "Nanshan Science Park";
	assert_int_equal(template_render(set, "outage", "en", &en, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "Broadband outage in Nanshan Science Park "
	    "since 2 Dec 14:05 due to a fibre cut. Repair is under way, "
	    "expected back: 2 Dec 18:00. Ticket 42. No need to call us.");
	sms_size(out, &sz);
	assert_int_equal(sz.ucs2, 0);
	assert_int_equal(sz.units, 158);
	assert_int_equal(sz.segments, 1);
	template_free(set);
}

static void
test_time_zone(void **state)
{
	char *dir = tdir(1), err[512], out[256];
	struct template_set *set;
	struct template_vars v = { .tz = "Asia/Shanghai" };

	twrite(dir, "update.zh.txt", "{since}|{eta}", 13);
	twrite(dir, "update.en.txt", "{since}|{eta}", 13);
	assert_non_null(set = template_load(dir, err, sizeof(err)));
	/* 2026-12-31 16:30 UTC is already 1 January 00:30 in Shanghai. */
	v.since = 1798734600;
	v.eta = 1796205600;
	setenv("TZ", "UTC", 1);
	assert_int_equal(template_render(set, "update", "zh", &v, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "1月1日 00:30|12月2日 18:00");
	assert_int_equal(template_render(set, "update", "en", &v, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "1 Jan 00:30|2 Dec 18:00");
	/* The process's own zone is left as it was. */
	assert_string_equal(getenv("TZ"), "UTC");
	v.tz = "UTC";
	assert_int_equal(template_render(set, "update", "en", &v, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "31 Dec 16:30|2 Dec 10:00");
	unsetenv("TZ");
	v.tz = "Asia/Shanghai";
	assert_int_equal(template_render(set, "update", "en", &v, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "1 Jan 00:30|2 Dec 18:00");
	assert_null(getenv("TZ"));
	template_free(set);
	trm(dir);
}

static void
test_cause_words(void **state)
{
	assert_string_equal(template_cause_words("fibre_cut", "zh"), "光纤中断");
	assert_string_equal(template_cause_words("fibre_cut", "en"),
	    "a fibre cut");
	assert_string_equal(template_cause_words("power_cut", "zh"), "区域停电");
	assert_string_equal(template_cause_words("device_down", "en"),
	    "an equipment fault");
	assert_string_equal(template_cause_words("unknown", "zh"), "网络故障");
	assert_string_equal(template_cause_words(NULL, "en"),
	    "a network fault");
}

static char *
repeat(const char *unit, size_t n)
{
	size_t l = strlen(unit), i;
	char *s = malloc(l * n + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * l, unit, l);
	s[l * n] = '\0';
	return s;
}

/* n copies of unit, after prefix: expect encoding, units and segments. */
static void
size_is(const char *prefix, const char *unit, size_t n, int ucs2,
    size_t units, size_t segments)
{
	char *r = repeat(unit, n), *s = malloc(strlen(prefix) + strlen(r) + 1);
	struct sms_size sz;

	strcpy(s, prefix);
	strcat(s, r);
	sms_size(s, &sz);
	assert_int_equal(sz.ucs2, ucs2);
	assert_int_equal(sz.units, units);
	assert_int_equal(sz.segments, segments);
	free(r);
	free(s);
}

/* 152 septets and 66 UCS-2 units: one short of a part. */
#define A152 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define Z66 "中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中" \
	"中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中"

static void
test_sms_gsm(void **state)
{
	size_is("", "a", 160, 0, 160, 1);
	size_is("", "a", 161, 0, 161, 2);
	size_is("", "a", 306, 0, 306, 2);
	size_is("", "a", 307, 0, 307, 3);
	size_is("", "", 0, 0, 0, 1);
	/* Extension table: two septets each. */
	size_is("", "€", 80, 0, 160, 1);
	size_is("", "[", 81, 0, 162, 2);
	size_is("", "{}\\~^|]", 1, 0, 14, 1);
	/* The default alphabet beyond ASCII stays GSM. */
	size_is("", "é£¥ΔΩüß@$_", 1, 0, 10, 1);
	/* An escape pair at a part boundary moves whole to the next part:
	 * 152 + € + 152 is 306 septets, yet three parts (152, 2 + 151, 1). */
	size_is(A152, "a", 7, 0, 159, 1);
	size_is(A152 "€", "a", 152, 0, 306, 3);
	size_is(A152 "a€", "a", 151, 0, 306, 2);
}

static void
test_sms_ucs2(void **state)
{
	size_is("", "中", 70, 1, 70, 1);
	size_is("", "中", 71, 1, 71, 2);
	size_is("", "中", 134, 1, 134, 2);
	size_is("", "中", 135, 1, 135, 3);
	/* One Chinese character makes an ASCII text UCS-2. */
	size_is("中", "a", 69, 1, 70, 1);
	size_is("中", "a", 70, 1, 71, 2);
	/* An emoji is a surrogate pair, and ` has no GSM form. */
	size_is("", "😀", 1, 1, 2, 1);
	size_is("", "😀", 35, 1, 70, 1);
	size_is("", "😀", 36, 1, 72, 2);
	size_is("`", "", 0, 1, 1, 1);
	/* A pair is not split: 66 + 2 does not fit in a part of 67, so
	 * 66 + 😀 + 66 is 134 units in three parts (66, 2 + 65, 1). */
	size_is("aaaaaaaaaa", "中😀😀", 1, 1, 15, 1);
	size_is(Z66 "😀", "中", 66, 1, 134, 3);
	size_is(Z66 "中😀", "中", 65, 1, 134, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_placeholder),
		cmocka_unit_test(test_unknown_values),
		cmocka_unit_test(test_braces_and_lines),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_render_limits),
		cmocka_unit_test(test_shipped_outage),
		cmocka_unit_test(test_time_zone),
		cmocka_unit_test(test_cause_words),
		cmocka_unit_test(test_sms_gsm),
		cmocka_unit_test(test_sms_ucs2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
