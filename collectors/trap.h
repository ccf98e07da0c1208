/*
 * trap.h: what the trap module shares with the rest of heraldd.
 */
#ifndef HERALD_TRAP_H
#define HERALD_TRAP_H

struct devindex;
struct herald;
struct profile_set;

/*
 * The vendor profiles in force (NULL if the module is not running). A
 * reload replaces them; modules after "trap" in daemon/modules.c re-read
 * them in their own reload.
 */
const struct profile_set *trap_profiles(struct herald *);

/*
 * The known devices: the devices table, kept up to date on NOTIFY
 * inventory_changed and reconnects, or the cached list while the database
 * has not answered. The watcher is called at once if a list is known, then
 * after every change; a module after "trap" in daemon/modules.c may watch.
 */
const struct devindex *trap_devices(struct herald *);
void		 trap_watch_devices(struct herald *,
		    void (*)(const struct devindex *, void *), void *);

#endif
