/*
 * ctl_time.c: times between heraldctl's user and the API. The API speaks
 * ISO 8601 with an offset; a person reads "12-02 08:15" in local time and
 * types "+2h" or "18:00". Typed times are sent with the local offset, so the
 * server's time zone never reinterprets them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/* Seconds east of UTC from "Z", "+08:00", "+0800" or "+08"; -1 if bad. */
static int
ctl_time_offset(const char *s, long *off)
{
	int h, m = 0, n = 0;

	if (strcmp(s, "Z") == 0 || *s == '\0') {
		*off = 0;
		return 0;
	}
	if ((*s != '+' && *s != '-') ||
	    (sscanf(s + 1, "%2d:%2d%n", &h, &m, &n) != 2 &&
	    sscanf(s + 1, "%2d%2d%n", &h, &m, &n) != 2 &&
	    sscanf(s + 1, "%2d%n", &h, &n) != 1) || s[1 + n] != '\0')
		return -1;
	*off = (h * 3600L + m * 60L) * (*s == '-' ? -1 : 1);
	return 0;
}

/* An API time as a time_t; -1 when it is not one. */
static time_t
ctl_time_iso(const char *s)
{
	struct tm tm;
	long off;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	s += n;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (ctl_time_offset(s, &off) != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return timegm(&tm) - off;
}

void
ctl_time_short(const char *iso, time_t now, char *buf, size_t len)
{
	struct tm tm, tnow;
	time_t t;

	if (iso == NULL || (t = ctl_time_iso(iso)) == (time_t)-1) {
		snprintf(buf, len, "%s", iso ? iso : "");
		return;
	}
	localtime_r(&t, &tm);
	localtime_r(&now, &tnow);
	strftime(buf, len, tm.tm_year == tnow.tm_year ? "%m-%d %H:%M" :
	    "%Y-%m-%d %H:%M", &tm);
}

/* "+90m", "+2h", "+1d": from now. */
static int
ctl_time_relative(const char *s, time_t now, time_t *t)
{
	char *end;
	long n;

	if (*s != '+')
		return -1;
	n = strtol(s + 1, &end, 10);
	if (end == s + 1 || n < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 'm':
		*t = now + n * 60;
		return 0;
	case 'h':
		*t = now + n * 3600;
		return 0;
	case 'd':
		*t = now + n * 86400;
		return 0;
	}
	return -1;
}

/*
 * The fields (year, month, day, hour, minute, second) of a local time in one
 * of the forms people type; what is left out is today's. A failed sscanf
 * may have written some fields, so each form starts from today again.
 */
static int
ctl_time_fields(const char *s, const struct tm *now, int f[6])
{
	int n, i;

	for (i = 0; i < 4; i++) {
		f[0] = now->tm_year + 1900;
		f[1] = now->tm_mon + 1;
		f[2] = now->tm_mday;
		f[5] = 0;
		n = -1;
		if (i == 0)
			sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d:%2d%n", &f[0],
			    &f[1], &f[2], &f[3], &f[4], &f[5], &n);
		else if (i == 1)
			sscanf(s, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &f[0], &f[1],
			    &f[2], &f[3], &f[4], &n);
		else if (i == 2)
			sscanf(s, "%2d-%2d %2d:%2d%n", &f[1], &f[2], &f[3],
			    &f[4], &n);
		else
			sscanf(s, "%2d:%2d%n", &f[3], &f[4], &n);
		if (n > 0 && s[n] == '\0')
			return 0;
	}
	return -1;
}

static int
ctl_time_local(const char *s, time_t now, time_t *t)
{
	struct tm tm;
	int f[6];

	localtime_r(&now, &tm);
	if (ctl_time_fields(s, &tm, f) != 0)
		return -1;
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	tm.tm_isdst = -1;
	*t = mktime(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

void
ctl_time_arg(const char *s, time_t now, char *buf, size_t len)
{
	char z[8];
	struct tm tm;
	time_t t;
	size_t n;

	if (ctl_time_relative(s, now, &t) != 0 &&
	    ctl_time_local(s, now, &t) != 0) {
		snprintf(buf, len, "%s", s);
		return;
	}
	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(z, sizeof(z), "%z", &tm);	/* +0800 -> +08:00 */
	snprintf(buf + n, len - n, "%.3s:%.2s", z, z + 3);
}
