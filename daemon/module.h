/*
 * module.h: the parts of heraldd that start, reload and stop with it. Each
 * module exports one descriptor; daemon/modules.c lists them in start order.
 */
#ifndef HERALD_MODULE_H
#define HERALD_MODULE_H

#include <confuse.h>

struct herald;
struct herald_conf;

struct herald_module {
	const char	*name;
	/* Options of the section named after the module, or NULL. */
	cfg_opt_t	*opts;
	/* Install validators on a freshly initialised tree (before parsing). */
	void		 (*validators)(cfg_t *root);
	/* Checks across options after parsing; conf_error() for each problem. */
	void		 (*check)(cfg_t *root);
	int		 (*start)(struct herald *);
	/* The new configuration is in h->conf; old is the one it replaced. */
	void		 (*reload)(struct herald *, struct herald_conf *old);
	void		 (*stop)(struct herald *);
};

extern const struct herald_module *const herald_modules[];

#endif
