/*
 * ctl_table.c: heraldctl's tables for people at a terminal. Columns line up
 * by display width, not bytes or characters, so that a Chinese name (two
 * columns a character) sits under its header like an ASCII one; a cell
 * wider than its column's cap is cut with "…". Control characters in cells
 * become spaces: the data comes from the network and should not move the
 * cursor.
 */
#include "config.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ctl.h"
#include "xmalloc.h"

#define CTL_TABLE_GAP	"  "
#define CTL_ELLIPSIS	"\xe2\x80\xa6"	/* U+2026, one column */

struct ctl_table {
	size_t	  ncols;
	size_t	  nrows;	/* the header is row 0 */
	char	**cells;	/* nrows * ncols */
	size_t	 *maxw;
};

void
ctl_table_locale(void)
{
	const char *l = setlocale(LC_CTYPE, "");

	/* The API speaks UTF-8 whatever the terminal's locale claims. */
	if (l == NULL || strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

/* One character at s: its length in bytes and display width. */
static size_t
ctl_text_char(const char *s, size_t *width)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int w;

	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*width = 1;	/* a broken byte: most terminals show one box */
		return 1;
	}
	w = wcwidth(wc);
	*width = w < 0 ? 0 : (size_t)w;
	return n;
}

size_t
ctl_text_width(const char *s)
{
	size_t total = 0, w;

	while (*s != '\0') {
		s += ctl_text_char(s, &w);
		total += w;
	}
	return total;
}

void
ctl_text_fit(const char *s, size_t maxw, char *buf, size_t len)
{
	size_t used = 0, out = 0, n, w;
	const char *p;

	if (len == 0)
		return;
	if (ctl_text_width(s) <= maxw) {
		snprintf(buf, len, "%s", s);
		return;
	}
	/* Leave one column (and three bytes) for the ellipsis. */
	for (p = s; *p != '\0'; p += n) {
		n = ctl_text_char(p, &w);
		if (used + w > maxw - 1 || out + n + sizeof(CTL_ELLIPSIS) > len)
			break;
		memcpy(buf + out, p, n);
		out += n;
		used += w;
	}
	memcpy(buf + out, CTL_ELLIPSIS, sizeof(CTL_ELLIPSIS));
}

static char *
ctl_table_clean(const char *s)
{
	char *c = xstrdup(s ? s : ""), *p;

	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

struct ctl_table *
ctl_table_new(const char *const *headers)
{
	struct ctl_table *t = xcalloc(1, sizeof(*t));
	size_t i;

	while (headers[t->ncols] != NULL)
		t->ncols++;
	t->maxw = xcalloc(t->ncols, sizeof(*t->maxw));
	for (i = 0; i < t->ncols; i++)
		t->maxw[i] = CTL_TABLE_MAXW;
	ctl_table_add(t, headers);
	return t;
}

void
ctl_table_maxw(struct ctl_table *t, size_t col, size_t w)
{
	if (col < t->ncols)
		t->maxw[col] = w < 2 ? 2 : w;
}

void
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	size_t i;

	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = ctl_table_clean(cells[i]);
	t->nrows++;
}

size_t
ctl_table_rows(const struct ctl_table *t)
{
	return t->nrows - 1;
}

/* Cut the cells to their column's cap, then measure the columns. */
static void
ctl_table_measure(const struct ctl_table *t, size_t *width)
{
	char buf[1024];
	size_t r, c, w;

	for (c = 0; c < t->ncols; c++)
		width[c] = 0;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			char **cell = &t->cells[r * t->ncols + c];

			/* A header is never cut: it names the column. */
			if (r > 0 && ctl_text_width(*cell) > t->maxw[c]) {
				ctl_text_fit(*cell, t->maxw[c], buf,
				    sizeof(buf));
				free(*cell);
				*cell = xstrdup(buf);
			}
			if ((w = ctl_text_width(*cell)) > width[c])
				width[c] = w;
		}
}

void
ctl_table_print(const struct ctl_table *t, FILE *f)
{
	size_t *width = xcalloc(t->ncols, sizeof(*width));
	size_t r, c, last, pad;

	ctl_table_measure(t, width);
	for (r = 0; r < t->nrows; r++) {
		/* No trailing blanks: stop after the last cell with text. */
		for (last = t->ncols; last > 1; last--)
			if (t->cells[r * t->ncols + last - 1][0] != '\0')
				break;
		for (c = 0; c < last; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, f);
			if (c + 1 == last)
				break;
			for (pad = ctl_text_width(cell); pad < width[c]; pad++)
				fputc(' ', f);
			fputs(CTL_TABLE_GAP, f);
		}
		fputc('\n', f);
	}
	free(width);
}

void
ctl_table_free(struct ctl_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->maxw);
	free(t);
}
