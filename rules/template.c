/*
 * template.c: load, check and render the subscriber message templates.
 *
 * The promise: a template set that loads renders every one of its messages;
 * every mistake an operator can make in a template file (a misspelt
 * placeholder, a stray brace, a wrong encoding, a missing file) is found at
 * load time and reported as "FILE:LINE: reason", so heraldd can refuse a bad
 * reload and keep the old set. A template is compiled once into literal and
 * placeholder parts; rendering only copies.
 *
 * Time zones: times render in the zone named in the values (herald.conf
 * "timezone"), not the process's. template_time() sets TZ, calls tzset() and
 * localtime_r(), then puts TZ back as it was. That is process-global state,
 * which is safe because heraldd and heraldctl render on one thread (the
 * loop) and nothing else reads TZ in between; it handles zones with summer
 * time, which offset arithmetic would not. The swap is skipped when TZ
 * already names the zone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template.h"
#include "utf8.h"
#include "xmalloc.h"

#define TEMPLATE_MAX_FILE	65536

enum template_lang { LANG_ZH, LANG_EN, LANG_N };
enum template_kind { KIND_OUTAGE, KIND_RESTORED, KIND_UPDATE, KIND_PLANNED,
	KIND_N };
enum template_var { VAR_AREA, VAR_CAUSE, VAR_SINCE, VAR_ETA, VAR_STARTS,
	VAR_ENDS, VAR_TICKET, VAR_ACCOUNT, VAR_SIGNATURE, VAR_N };

static const char *const template_langs[LANG_N] = { "zh", "en" };
static const char *const template_kinds[KIND_N] = {
	"outage", "restored", "update", "planned"
};
/* outage and restored must exist in every language: they are always sent. */
static const int template_required[KIND_N] = { 1, 1, 0, 0 };
static const char *const template_var_names[VAR_N] = {
	"area", "cause", "since", "eta", "starts", "ends", "ticket",
	"account", "signature"
};

/* What a value renders as when it is not known, per language. */
static const char *const template_unknown[VAR_N][LANG_N] = {
	[VAR_AREA] =	  { "您所在区域", "your area" },
	[VAR_CAUSE] =	  { NULL, NULL },	/* template_cause_words("unknown") */
	[VAR_SINCE] =	  { "不久前", "a short while ago" },
	[VAR_ETA] =	  { "尽快", "as soon as possible" },
	[VAR_STARTS] =	  { "待定", "a time to be announced" },
	[VAR_ENDS] =	  { "待定", "a time to be announced" },
	[VAR_TICKET] =	  { "待生成", "to follow" },
	[VAR_ACCOUNT] =	  { "您的宽带账号", "your account" },
	[VAR_SIGNATURE] = { "", "" },
};

static const struct {
	const char	*cause;
	const char	*words[LANG_N];
} template_causes[] = {
	{ "fibre_cut",	 { "光纤中断", "a fibre cut" } },
	{ "power_cut",	 { "区域停电", "an area power cut" } },
	{ "device_down", { "设备故障", "an equipment fault" } },
	{ "board_fault", { "板卡故障", "a faulty line card" } },
	{ "port_down",	 { "端口故障", "a faulty port" } },
	{ "onu_los",	 { "光信号中断", "a loss of fibre signal" } },
	{ "onu_power",	 { "光猫断电", "a power loss at your modem" } },
	{ "onu_offline", { "光猫离线", "your modem going offline" } },
	{ "line_down",	 { "线路故障", "a line fault" } },
	{ "unknown",	 { "网络故障", "a network fault" } },
};

static const char *const template_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* One compiled part: literal text, or a placeholder (text NULL). */
struct template_part {
	int		 var;		/* enum template_var, or -1 */
	char		*text;
	size_t		 len;
};

struct template {
	struct template_part	*parts;
	size_t			 nparts;
};

struct template_set {
	struct template		*t[KIND_N][LANG_N];
};

/* A file being compiled, for the error messages. */
struct template_src {
	const char	*path;
	char		*err;
	size_t		 errlen;
};

static int
template_fail(struct template_src *src, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
template_fail(struct template_src *src, size_t line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (src->errlen > 0)
		snprintf(src->err, src->errlen, "%s:%zu: %s", src->path, line,
		    msg);
	return -1;
}

static int
template_index(const char *name, const char *const *names, int n)
{
	int i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static void
template_add(struct template *t, int var, const char *text, size_t len)
{
	struct template_part *last;

	last = t->nparts > 0 ? &t->parts[t->nparts - 1] : NULL;
	if (var < 0 && last != NULL && last->var < 0) {
		/* Adjacent literals ("{{", newlines) become one part. */
		last->text = xreallocarray(last->text, last->len + len + 1, 1);
		memcpy(last->text + last->len, text, len);
		last->len += len;
		last->text[last->len] = '\0';
		return;
	}
	t->parts = xreallocarray(t->parts, t->nparts + 1, sizeof(*t->parts));
	last = &t->parts[t->nparts++];
	last->var = var;
	last->len = len;
	last->text = NULL;
	if (var < 0) {
		last->text = xmalloc(len + 1);
		memcpy(last->text, text, len);
		last->text[len] = '\0';
	}
}

static void
template_free_one(struct template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t);
}

/* Compile one message line: literals, "{{" and "{name}". */
static int
template_line(struct template_src *src, struct template *t, const char *s,
    size_t len, size_t lineno)
{
	size_t i = 0, start, j;
	int var;

	while (i < len) {
		for (start = i; i < len && s[i] != '{'; i++)
			;
		template_add(t, -1, s + start, i - start);
		if (i == len)
			break;
		if (i + 1 < len && s[i + 1] == '{') {
			template_add(t, -1, "{", 1);
			i += 2;
			continue;
		}
		for (j = i + 1; j < len && s[j] != '}' && s[j] != '{'; j++)
			;
		if (j == len || s[j] == '{')
			return template_fail(src, lineno, "unclosed brace "
			    "(write \"{{\" for a literal \"{\")");
		for (var = 0; var < VAR_N; var++)
			if (strlen(template_var_names[var]) == j - i - 1 &&
			    memcmp(template_var_names[var], s + i + 1,
			    j - i - 1) == 0)
				break;
		if (var == VAR_N)
			return template_fail(src, lineno, "unknown placeholder "
			    "\"{%.*s}\" (known: area, cause, since, eta, starts, "
			    "ends, ticket, account, signature)",
			    (int)(j - i - 1 > 64 ? 64 : j - i - 1), s + i + 1);
		template_add(t, var, NULL, 0);
		i = j + 1;
	}
	return 0;
}

/* The line of the first byte that is not UTF-8, or 0 if all are. */
static size_t
template_bad_utf8(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, line = 1, n;
	uint32_t cp;

	while (i < len) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return line;
		if (cp == '\n')
			line++;
		i += n;
	}
	return 0;
}

static int
template_blank(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len == 0;
}

/*
 * Compile a file's text. The message lines are those not starting with '#';
 * blank ones at either end are dropped, the rest joined with "\n".
 */
static struct template *
template_compile(struct template_src *src, char *buf, size_t len)
{
	struct template *t = xcalloc(1, sizeof(*t));
	size_t nlines = 0, first = 0, last = 0, pending = 0, lineno, l;
	char *p, *end, *nl;
	size_t bad;

	if ((bad = template_bad_utf8(buf, len)) != 0) {
		template_fail(src, bad, "not valid UTF-8");
		goto bad;
	}
	if (memchr(buf, '\0', len) != NULL) {
		template_fail(src, 1, "contains a NUL byte");
		goto bad;
	}
	/* First pass: where the message starts and ends. */
	for (p = buf, lineno = 1; p < buf + len; p = end + 1, lineno++) {
		end = (nl = memchr(p, '\n', buf + len - p)) ? nl : buf + len;
		nlines = lineno;
		if (*p == '#' || template_blank(p, end - p))
			continue;
		if (first == 0)
			first = lineno;
		last = lineno;
	}
	if (first == 0) {
		template_fail(src, nlines > 0 ? nlines : 1, "empty template "
		    "(no message, only comments or blank lines)");
		goto bad;
	}
	for (p = buf, lineno = 1; lineno <= last; p = end + 1, lineno++) {
		end = (nl = memchr(p, '\n', buf + len - p)) ? nl : buf + len;
		if (lineno < first || *p == '#')
			continue;
		l = end - p;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		for (; pending > 0; pending--)
			template_add(t, -1, "\n", 1);
		if (template_line(src, t, p, l, lineno) == -1)
			goto bad;
		pending = 1;
	}
	return t;
bad:
	template_free_one(t);
	return NULL;
}

/* Read a whole (small) file; -1 with the reason in src->err. */
static int
template_read(struct template_src *src, char **bufp, size_t *lenp)
{
	FILE *f;
	char *buf;
	size_t len;
	int e;

	if ((f = fopen(src->path, "r")) == NULL) {
		/* The caller tells a missing file from an unreadable one. */
		e = errno;
		template_fail(src, 0, "cannot read: %s", strerror(e));
		errno = e;
		return -1;
	}
	buf = xmalloc(TEMPLATE_MAX_FILE + 1);
	len = fread(buf, 1, TEMPLATE_MAX_FILE + 1, f);
	if (ferror(f)) {
		template_fail(src, 0, "cannot read: %s", strerror(errno));
		goto bad;
	}
	if (len > TEMPLATE_MAX_FILE) {
		template_fail(src, 0, "larger than %d bytes",
		    TEMPLATE_MAX_FILE);
		goto bad;
	}
	fclose(f);
	*bufp = buf;
	*lenp = len;
	return 0;
bad:
	fclose(f);
	free(buf);
	return -1;
}

/* Load DIR/KIND.LANG.txt into the set; a missing optional one is fine. */
static int
template_load_one(struct template_set *set, const char *dir, int kind,
    int lang, char *err, size_t errlen)
{
	struct template_src src = { NULL, err, errlen };
	char *path, *buf;
	size_t len;
	int rc = -1;

	xasprintf(&path, "%s/%s.%s.txt", dir, template_kinds[kind],
	    template_langs[lang]);
	src.path = path;
	if (template_read(&src, &buf, &len) == -1) {
		if (errno == ENOENT && !template_required[kind])
			rc = 0;
		else if (errno == ENOENT)
			template_fail(&src, 0, "missing: the %s template is "
			    "required in every language", template_kinds[kind]);
		free(path);
		return rc;
	}
	set->t[kind][lang] = template_compile(&src, buf, len);
	rc = set->t[kind][lang] != NULL ? 0 : -1;
	free(buf);
	free(path);
	return rc;
}

/*
 * A *.txt in the folder that names no kind and language is most likely a
 * misspelt template ("outgae.zh.txt") that would otherwise be ignored.
 */
static int
template_check_names(const char *dir, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char kind[32], lang[8], junk;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s:0: cannot read the folder: %s", dir,
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 4 || strcmp(de->d_name + n - 4, ".txt") != 0)
			continue;
		if (sscanf(de->d_name, "%31[^.].%7[^.].tx%c", kind, lang,
		    &junk) == 3 && junk == 't' &&
		    template_index(kind, template_kinds, KIND_N) >= 0 &&
		    template_index(lang, template_langs, LANG_N) >= 0)
			continue;
		snprintf(err, errlen, "%s/%s:0: not a template name: expected "
		    "KIND.LANG.txt with KIND outage, restored, update or planned "
		    "and LANG zh or en", dir, de->d_name);
		rc = -1;
	}
	closedir(d);
	return rc;
}

struct template_set *
template_load(const char *dir, char *err, size_t errlen)
{
	struct template_set *set;
	int kind, lang;

	if (errlen > 0)
		err[0] = '\0';
	if (template_check_names(dir, err, errlen) == -1)
		return NULL;
	set = xcalloc(1, sizeof(*set));
	for (kind = 0; kind < KIND_N; kind++)
		for (lang = 0; lang < LANG_N; lang++)
			if (template_load_one(set, dir, kind, lang, err,
			    errlen) == -1) {
				template_free(set);
				return NULL;
			}
	return set;
}

void
template_free(struct template_set *set)
{
	int kind, lang;

	if (set == NULL)
		return;
	for (kind = 0; kind < KIND_N; kind++)
		for (lang = 0; lang < LANG_N; lang++)
			template_free_one(set->t[kind][lang]);
	free(set);
}

const char *
template_cause_words(const char *cause, const char *lang)
{
	size_t i, n = sizeof(template_causes) / sizeof(template_causes[0]);
	int l = template_index(lang, template_langs, LANG_N);

	if (l < 0)
		l = LANG_EN;
	for (i = 0; cause != NULL && i < n; i++)
		if (strcmp(template_causes[i].cause, cause) == 0)
			return template_causes[i].words[l];
	return template_causes[n - 1].words[l];
}

/* Broken-down local time in zone tz (see the top of the file). */
static int
template_localtime(long long t, const char *tz, struct tm *tm)
{
	const char *cur = getenv("TZ");
	char *saved;
	time_t tt = (time_t)t;
	int ok;

	if (tz == NULL || *tz == '\0' || (cur != NULL && strcmp(cur, tz) == 0))
		return localtime_r(&tt, tm) != NULL ? 0 : -1;
	saved = cur != NULL ? xstrdup(cur) : NULL;
	setenv("TZ", tz, 1);
	tzset();
	ok = localtime_r(&tt, tm) != NULL;
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	return ok ? 0 : -1;
}

/* zh "12月2日 18:00", en "2 Dec 18:00". */
static void
template_time(long long t, const char *tz, int lang, char *buf, size_t len)
{
	struct tm tm;

	if (template_localtime(t, tz, &tm) == -1) {
		snprintf(buf, len, "%s", template_unknown[VAR_SINCE][lang]);
		return;
	}
	if (lang == LANG_ZH)
		snprintf(buf, len, "%d月%d日 %02d:%02d", tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min);
	else
		snprintf(buf, len, "%d %s %02d:%02d", tm.tm_mday,
		    template_months[tm.tm_mon], tm.tm_hour, tm.tm_min);
}

/* The text of one placeholder; buf holds rendered times. */
static const char *
template_value(int var, int lang, const struct template_vars *v, char *buf,
    size_t len)
{
	const char *s = NULL;
	long long t = 0;

	switch (var) {
	case VAR_AREA:		s = v->area; break;
	case VAR_CAUSE:
		return template_cause_words(v->cause, template_langs[lang]);
	case VAR_SINCE:		t = v->since; break;
	case VAR_ETA:		t = v->eta; break;
	case VAR_STARTS:	t = v->starts; break;
	case VAR_ENDS:		t = v->ends; break;
	case VAR_TICKET:	s = v->ticket; break;
	case VAR_ACCOUNT:	s = v->account; break;
	case VAR_SIGNATURE:	s = v->signature; break;
	}
	if (var == VAR_SINCE || var == VAR_ETA || var == VAR_STARTS ||
	    var == VAR_ENDS) {
		if (t == 0)
			return template_unknown[var][lang];
		template_time(t, v->tz, lang, buf, len);
		return buf;
	}
	return s != NULL ? s : template_unknown[var][lang];
}

int
template_render(const struct template_set *set, const char *kind,
    const char *lang, const struct template_vars *v, char *out, size_t outlen)
{
	const struct template *t;
	const char *s;
	char tbuf[64];
	size_t i, n, used = 0;
	int k = template_index(kind, template_kinds, KIND_N);
	int l = template_index(lang, template_langs, LANG_N);

	if (set == NULL || k < 0 || l < 0 || (t = set->t[k][l]) == NULL ||
	    outlen == 0)
		return -1;
	for (i = 0; i < t->nparts; i++) {
		s = t->parts[i].var < 0 ? t->parts[i].text :
		    template_value(t->parts[i].var, l, v, tbuf, sizeof(tbuf));
		n = t->parts[i].var < 0 ? t->parts[i].len : strlen(s);
		if (n >= outlen - used) {
			out[0] = '\0';
			return -1;
		}
		memcpy(out + used, s, n);
		used += n;
	}
	out[used] = '\0';
	return 0;
}
