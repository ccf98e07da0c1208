/*
 * log.c: levelled logging to stderr (foreground, journald) or syslog.
 * Every message in herald goes through here, including what net-snmp,
 * libevent and libpq have to say; errno is preserved across calls.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_use_syslog;
static int	 log_timestamps = 1;
static int	 log_level = LOG_LEVEL_INFO;
static char	*log_subsystems;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(int foreground, int level, int use_syslog)
{
	log_foreground = foreground;
	log_level = level;
	log_use_syslog = use_syslog && !foreground;
	/* journald stamps every line itself. */
	log_timestamps = getenv("JOURNAL_STREAM") == NULL;
	if (log_use_syslog)
		openlog("heraldd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

void
log_setsubsystems(const char *list)
{
	free(log_subsystems);
	log_subsystems = (list && *list) ? strdup(list) : NULL;
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(*log_level_names); i++)
		if (strcmp(name, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

static int
log_subsystem_wanted(const char *sub)
{
	const char *p;
	size_t n;

	if (log_subsystems == NULL || sub == NULL)
		return 1;
	n = strlen(sub);
	for (p = log_subsystems; (p = strstr(p, sub)) != NULL; p += n)
		if ((p == log_subsystems || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

static void
log_emit(int level, const char *msg)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char stamp[32];
	struct timespec ts;
	struct tm tm;

	if (log_use_syslog) {
		syslog(prio[level], "%s", msg);
		return;
	}
	if (log_timestamps) {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s\n", stamp, ts.tv_nsec / 1000000,
		    log_level_names[level], msg);
	} else
		fprintf(stderr, "<%d>%s: %s\n", prio[level],
		    log_level_names[level], msg);
	fflush(stderr);
}

void
vlog(int level, const char *fmt, va_list ap)
{
	char msg[2048];
	int saved_errno = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, msg);
	errno = saved_errno;
}

static void
vlog_errno(int level, const char *fmt, va_list ap)
{
	char msg[2048];
	int saved_errno = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (saved_errno != 0) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved_errno));
	}
	log_emit(level, msg);
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *sub, const char *fmt, ...)
{
	char prefixed[512];
	va_list ap;

	if (log_level < LOG_LEVEL_DEBUG || !log_subsystem_wanted(sub))
		return;
	snprintf(prefixed, sizeof(prefixed), "[%s] %s", sub ? sub : "-", fmt);
	va_start(ap, fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vlog(LOG_LEVEL_DEBUG, prefixed, ap);
#pragma GCC diagnostic pop
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_ratelimit(struct log_ratelimit *rl, unsigned per_second)
{
	time_t now = time(NULL);

	if (now != rl->window) {
		if (rl->suppressed > 0)
			log_warnx("(%u similar messages suppressed)",
			    rl->suppressed);
		rl->window = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count++ < per_second)
		return 1;
	rl->suppressed++;
	return 0;
}

const char *
log_mask_phone(const char *phone, char *buf, size_t len)
{
	size_t n = phone ? strlen(phone) : 0;

	if (n < 7) {
		snprintf(buf, len, "****");
		return buf;
	}
	snprintf(buf, len, "%.3s****%s", phone, phone + n - 4);
	return buf;
}
