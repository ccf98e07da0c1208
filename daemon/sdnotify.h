/*
 * sdnotify.h: the service manager protocol (READY, STOPPING, WATCHDOG,
 * STATUS). Without libsystemd these do nothing.
 */
#ifndef HERALD_SDNOTIFY_H
#define HERALD_SDNOTIFY_H

#include <stdint.h>

void		sdnotify(const char *state);
void		sdnotify_status(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* Watchdog interval in microseconds, 0 when no watchdog is asked for. */
uint64_t	sdnotify_watchdog_usec(void);
/* Was this descriptor handed to us by systemd (socket activation)? */
int		sdnotify_is_listen_fd(int fd);

#endif
