/*
 * conf.h: herald.conf, read with libconfuse. The option table in conf.c and
 * the sections that modules contribute (struct herald_module.opts) are the
 * whole configuration reference; systemd/herald.conf.example documents it.
 */
#ifndef HERALD_CONF_H
#define HERALD_CONF_H

#include <confuse.h>

#define HERALD_EX_CONFIG	78	/* sysexits.h EX_CONFIG */

struct herald_conf {
	char		*path;
	cfg_t		*cfg;		/* the whole parsed tree, for modules */

	char		*state_dir;
	char		*timezone;

	char		*db_conninfo;
	int		 db_heartbeat;		/* seconds */
	int		 db_connect_timeout;	/* seconds */
	int		 db_queue_max;		/* queued statements before refusing */
	int		 db_stall_timeout;	/* seconds without progress: reconnect */
	int		 db_stall_restart;	/* seconds stuck: stop the watchdog */

	char		*http_listen;
	char		*http_web_root;	/* the pages, web/ */

	int		 log_level;
	int		 log_syslog;
	char		*log_debug;		/* subsystems for debug output */

	/* heraldctl's API client; NULL when not set (heraldd ignores them). */
	char		*ctl_url;
	char		*ctl_token;
};

/*
 * Parse and validate a configuration file. Every problem found is logged as
 * "file:line: message"; NULL when there was any.
 */
struct herald_conf *conf_load(const char *path);
void		 conf_free(struct herald_conf *);

/* Report a problem with the option being parsed and count it as an error. */
void		 conf_error(cfg_t *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Validators for cfg_set_validate_func(); each reports through conf_error. */
int		 conf_check_positive(cfg_t *, cfg_opt_t *);
int		 conf_check_port(cfg_t *, cfg_opt_t *);
int		 conf_check_snmp_address(cfg_t *, cfg_opt_t *);
int		 conf_check_host_port(cfg_t *, cfg_opt_t *);

#endif
