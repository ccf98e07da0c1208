/*
 * log.h: the one logging API of herald (OpenBSD log.c style, with lldpd's
 * subsystem token for debug messages).
 */
#ifndef HERALD_LOG_H
#define HERALD_LOG_H

#include <stdarg.h>
#include <time.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Rate limit state for one noisy message source (see log_ratelimit()). */
struct log_ratelimit {
	time_t		window;
	unsigned	count;
	unsigned	suppressed;
};

/* Start logging: to stderr when foreground, else syslog (or stderr under journald). */
void	log_init(int foreground, int level, int use_syslog);
void	log_setlevel(int level);
int	log_getlevel(void);
/* Limit debug output to these comma separated subsystems ("" or NULL: all). */
void	log_setsubsystems(const char *);
/* Parse "error", "warning", "info", "debug"; -1 when unknown. */
int	log_level_parse(const char *);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *sub, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
void	fatalx(const char *, ...) __attribute__((noreturn, format(printf, 1, 2)));
void	vlog(int level, const char *, va_list) __attribute__((format(printf, 2, 0)));

/*
 * True when a message from this source may be logged now: at most
 * per_second messages each second; the number suppressed is reported with
 * the next one that gets through.
 */
int	log_ratelimit(struct log_ratelimit *, unsigned per_second);

/* Mask a phone number for logs: 13812345678 -> 138****5678. */
const char *log_mask_phone(const char *phone, char *buf, size_t len);

#endif
