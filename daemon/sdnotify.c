/*
 * sdnotify.c: talk to systemd when built with libsystemd; otherwise every
 * call is a no-op, so the rest of herald never needs an #ifdef.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "sdnotify.h"

void
sdnotify(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

void
sdnotify_status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "STATUS=");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	sdnotify(buf);
}

uint64_t
sdnotify_watchdog_usec(void)
{
#ifdef HAVE_LIBSYSTEMD
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) > 0)
		return usec;
#endif
	return 0;
}

int
sdnotify_is_listen_fd(int fd)
{
#ifdef HAVE_LIBSYSTEMD
	/* 0: keep LISTEN_FDS for net-snmp, which opens its sockets later. */
	int n = sd_listen_fds(0);

	return n > 0 && fd >= SD_LISTEN_FDS_START && fd < SD_LISTEN_FDS_START + n;
#else
	(void)fd;
	return 0;
#endif
}
