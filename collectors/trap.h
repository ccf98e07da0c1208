/*
 * trap.h: what the trap module shares with the rest of heraldd.
 */
#ifndef HERALD_TRAP_H
#define HERALD_TRAP_H

struct herald;
struct profile_set;

/*
 * The vendor profiles in force (NULL if the module is not running). A
 * reload replaces them; modules after "trap" in daemon/modules.c re-read
 * them in their own reload.
 */
const struct profile_set *trap_profiles(struct herald *);

#endif
