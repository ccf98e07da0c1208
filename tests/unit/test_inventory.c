/*
 * test_inventory.c: the pure parts of the inventory import: phone number
 * normalisation, the error threshold syntax, UTF-8 checking and the CSV
 * reader's line numbers (on files it writes itself).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "inventory_csv.h"
#include "inventory_import.h"

static void
test_phone_normalise(void **state)
{
	static const char *const good[][2] = {
		{ "13800138000", "13800138000" },
		{ "+86 138-0013-8000", "13800138000" },
		{ "008613800138000", "13800138000" },
		{ "8613800138000", "13800138000" },
		{ "0755-86001234", "075586001234" },
		{ "010 12345678", "01012345678" },
		{ "+86 10 12345678", "01012345678" },
		{ "0571-8888888", "05718888888" },
		/* A long-distance 0 before a mobile is not a fixed line. */
		{ "013800138000", "13800138000" },
		{ "0138-0013-8000", "13800138000" },
		{ "+86 013800138000", "13800138000" },
		{ "0086 013800138000", "13800138000" },
		{ "019912345678", "19912345678" },
		/* Beijing is the only area code that starts with 1. */
		{ "010-88886666", "01088886666" },
		{ "0086 10 12345678", "01012345678" },
		{ "86 755 86001234", "075586001234" },
		{ "+86 0755 86001234", "075586001234" },
		/* A fixed line's extension is dropped: the switchboard calls. */
		{ "0755-86001234 ext 801", "075586001234" },
		{ "0755-86001234\xe8\xbd\xac" "801", "075586001234" },
		{ "010-12345678#12", "01012345678" },
	};
	static const char *const bad[] = {
		"", "12345", "23800138000", "1380013800", "138001380001",
		"138OO138000", "0012345678", "+1 415 555 0100", "95588",
		"13800138000x",
		/* 01X with X not 0 is no area code; 0 + a 10-digit "mobile". */
		"01380013800", "01380013800x1", "+86 1380013800",
		"0755-86001234 ext", "0755-86001234 ext 1234567",
		/* A mobile has no extension; a dashed extension is ambiguous. */
		"13800138000 ext 1", "0755-86001234-801", "+86", "86", "0",
	};
	char out[32];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(inventory_phone_normalise(good[i][0], out,
		    sizeof(out)), 0);
		assert_string_equal(out, good[i][1]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(inventory_phone_normalise(bad[i], out,
		    sizeof(out)), -1);
}

static void
test_threshold(void **state)
{
	double v;

	assert_int_equal(inventory_parse_threshold("1%", &v), 0);
	assert_true(v > 0.0099 && v < 0.0101);
	assert_int_equal(inventory_parse_threshold("0.5 %", &v), 0);
	assert_true(v > 0.00499 && v < 0.00501);
	assert_int_equal(inventory_parse_threshold("0.02", &v), 0);
	assert_true(v > 0.0199 && v < 0.0201);
	assert_int_equal(inventory_parse_threshold("0", &v), 0);
	assert_int_equal(inventory_parse_threshold("", &v), -1);
	assert_int_equal(inventory_parse_threshold("150%", &v), -1);
	assert_int_equal(inventory_parse_threshold("-1%", &v), -1);
	assert_int_equal(inventory_parse_threshold("1%%", &v), -1);
	assert_int_equal(inventory_parse_threshold("lots", &v), -1);
}

static void
test_utf8(void **state)
{
	const char *zh = "王小明 广东省深圳市南山区";

	assert_true(inv_utf8_valid(zh, strlen(zh)));
	assert_true(inv_utf8_valid("plain", 5));
	/* GBK for 王 (cd f5), overlong '/', a surrogate, a cut sequence. */
	assert_false(inv_utf8_valid("\xcd\xf5", 2));
	assert_false(inv_utf8_valid("\xc0\xaf", 2));
	assert_false(inv_utf8_valid("\xed\xa0\x80", 3));
	assert_false(inv_utf8_valid("\xe7\x8e", 2));
	assert_false(inv_utf8_valid("a\0b", 3));
}

struct rec {
	unsigned long	lines[16];
	size_t		nfields[16];
	char		first[16][64];
	int		too_long[16];
	int		n;
	char		last[64];
};

static int
record_cb(void *arg, unsigned long line, char **f, size_t n, int too_long)
{
	struct rec *r = arg;

	if (r->n < 16) {
		r->lines[r->n] = line;
		r->nfields[r->n] = n;
		r->too_long[r->n] = too_long;
		snprintf(r->first[r->n], sizeof(r->first[0]), "%s",
		    n > 0 ? f[0] : "");
	}
	snprintf(r->last, sizeof(r->last), "%s", n > 0 ? f[0] : "");
	r->n++;
	return 0;
}

static char *
write_tmp(const char *content, size_t len)
{
	char *path = strdup("/tmp/herald-csv.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

/* A quoted field over two lines: the next record still knows its line. */
static void
test_csv_lines(void **state)
{
	static const char text[] = "a,b\n1,\"x\ny\"\n\n2,z\r\n3,w";
	struct rec r = { 0 };
	char err[256], *path = write_tmp(text, sizeof(text) - 1);

	assert_int_equal(inv_csv_read(path, record_cb, NULL, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.lines[0], 1);
	assert_int_equal(r.lines[1], 2);
	assert_int_equal(r.lines[2], 5);
	assert_int_equal(r.lines[3], 6);
	assert_string_equal(r.first[3], "3");
	assert_int_equal(r.nfields[1], 2);
	unlink(path);
	free(path);
}

/*
 * An unclosed quote is contained: the record is cut at the limit and the
 * parser starts again on the next line, so the rest of the file is still
 * read (its lines come as records of their own, to be rejected or not).
 */
static void
test_csv_runaway_quote(void **state)
{
	size_t len = INV_CSV_MAX_RECORD + 4096, i;
	char *text = malloc(len + 64), err[256], *path;
	struct rec r = { 0 };

	strcpy(text, "a\n\"");
	for (i = 3; i < len; i++)
		text[i] = (i % 80 == 0) ? '\n' : 'x';
	strcpy(text + len, "\nlast,row\n");
	path = write_tmp(text, strlen(text));
	assert_int_equal(inv_csv_read(path, record_cb, NULL, &r, err,
	    sizeof(err)), 0);
	assert_true(r.n > 3);
	assert_int_equal(r.lines[1], 2);
	assert_true(r.too_long[1]);
	assert_false(r.too_long[2]);
	assert_string_equal(r.last, "last");
	unlink(path);
	free(path);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phone_normalise),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_csv_lines),
		cmocka_unit_test(test_csv_runaway_quote),
	};

	return cmocka_run_group_tests_name("inventory", tests, NULL, NULL);
}
