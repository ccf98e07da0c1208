/*
 * template.h: the subscriber messages (SMS) of issue 11. One template per
 * kind and language, DIR/KIND.LANG.txt; rendered with the values of one
 * incident and one account; sized as an SMS gateway counts it.
 *
 * Template syntax: "{area}", "{cause}", "{since}", "{eta}", "{starts}",
 * "{ends}", "{ticket}", "{account}", "{signature}"; "{{" is a literal "{"
 * ("}" alone is always literal). A placeholder opens and closes on one line.
 * Lines that start with "#" are comments; the message is the other lines,
 * with leading and trailing blank lines trimmed, inner newlines kept ("\r\n"
 * read as "\n").
 */
#ifndef HERALD_TEMPLATE_H
#define HERALD_TEMPLATE_H

#include <stddef.h>

struct template_set;

/*
 * Load every DIR/KIND.LANG.txt (kinds: outage, restored, update, planned;
 * langs: zh, en). NULL and "FILE:LINE: reason" in err on the first problem:
 * unknown placeholder, unclosed brace, missing required template (outage and
 * restored in zh and en), unreadable file, invalid UTF-8, empty. Problems
 * with a whole file (missing, unreadable, too large, a *.txt that names no
 * known kind and language) carry line 0.
 */
struct template_set *template_load(const char *dir, char *err, size_t errlen);
void		 template_free(struct template_set *);

/*
 * The values a message may use. NULL fields (and 0 times) render as the
 * per-language "unknown" words (e.g. ETA unknown: "尽快" / "as soon as
 * possible"). Times are epoch seconds, rendered in the configured time zone
 * (tz, e.g. "Asia/Shanghai"; NULL: the process's own) as the language likes:
 * zh "12月2日 18:00", en "2 Dec 18:00".
 */
struct template_vars {
	const char	*area;		/* e.g. "南山区 科技园" or the device/site name */
	const char	*cause;		/* engine cause name: fibre_cut, power_cut, ... */
	long long	 since;		/* 0: unknown */
	long long	 eta;		/* 0: unknown */
	long long	 starts, ends;	/* planned maintenance window, 0 if n/a */
	const char	*ticket;	/* "T20261202-0042" or "42" */
	const char	*account;
	const char	*signature;	/* the operator's, e.g. "【星河宽带】" */
	const char	*tz;
};

/*
 * Render: 0 and a NUL-terminated UTF-8 text in out (or -1: no such kind/lang,
 * or out too small).
 */
int		 template_render(const struct template_set *, const char *kind,
		    const char *lang, const struct template_vars *, char *out,
		    size_t outlen);

/* The cause in words for a language ("光纤中断" / "a fibre cut"). */
const char	*template_cause_words(const char *cause, const char *lang);

/*
 * How an SMS gateway counts it: encoding (0 GSM 7-bit default alphabet,
 * extension table chars counted as 2; 1 UCS-2), units (septets or UTF-16
 * code units), segments (160/153 for GSM, 70/67 for UCS-2; a two-septet
 * character or a surrogate pair is never split across segments).
 */
struct sms_size {
	int	 ucs2;
	size_t	 units;
	size_t	 segments;
};
void		 sms_size(const char *utf8, struct sms_size *);

#endif
