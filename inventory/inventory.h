/*
 * inventory.h: the in-memory topology index, device -> board -> port ->
 * splitter -> ONU -> accounts and DSLAM -> board -> port -> accounts, and
 * the heraldd module that keeps it current.
 *
 * Part of the inventory library (inventory/, see doc/inventory.md) that
 * heraldd, heraldctl and the benches link; the module is inventory_module.c.
 *
 * The accounts of the index are sorted by place, so every scope (a device,
 * a board, a port, a splitter, an ONU, a DSL line) owns one contiguous run
 * of them: "accounts under this scope" is a slice, found in time that does
 * not depend on the inventory's size, and "which scope is this account in"
 * follows parent indexes in constant time.
 *
 * Threads: an index is immutable once built. heraldd builds a new one in
 * its inventory worker thread and swaps it in on the loop; callers on the
 * loop get the current one from inventory_current() and must not keep
 * pointers into it past the callback they are in (the next swap frees it).
 * Scopes with no accounts (an empty PON port) are not in the index: for
 * them inventory_find() returns -1, which means "nobody is behind it".
 */
#ifndef HERALD_INVENTORY_H
#define HERALD_INVENTORY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct inventory;		/* the heraldd module */
struct inventory_index;		/* one immutable index */

enum inventory_scope_kind {
	INVENTORY_DEVICE = 0,
	INVENTORY_BOARD,		/* device + frame + slot */
	INVENTORY_PORT,			/* ... + port (PON or DSL port) */
	INVENTORY_SPLITTER,		/* ... + splitter name */
	INVENTORY_ONU,			/* ... + ONU id, or by serial */
	INVENTORY_LINE,			/* a DSL line: DSLAM + frame/slot/port */
};

/*
 * A place in the network. To look one up, fill kind, device_id (or device
 * name) and the numbers the kind needs; inventory_find() fills the rest.
 */
struct inventory_scope {
	enum inventory_scope_kind kind;
	int64_t		 device_id;	/* devices.id (or 0 and device set) */
	const char	*device;	/* devices.name */
	int		 frame, slot, port;
	int		 onu;		/* ONU id on its PON port */
	const char	*splitter;	/* splitter name */
	const char	*serial;	/* ONU serial (filled for ONUs) */
	/* Filled by the lookup: */
	int64_t		 id;		/* the row: boards.id, ports.id, ... */
	uint32_t	 first;		/* the scope's accounts: [first, */
	uint32_t	 count;		/*  first + count) */
};

struct inventory_account {
	int64_t		 id;		/* subscribers.id */
	const char	*account;
	/*
	 * Normalised numbers, each NUL-terminated, the list ended by an
	 * empty string: "13800138000\0" "075512345678\0" "\0". Walk them
	 * with INVENTORY_FOREACH_PHONE.
	 */
	const char	*phones;
	uint32_t	 leaf;		/* internal: its ONU or DSL line */
	uint8_t		 language;	/* 0 zh, 1 en */
	uint8_t		 contact;	/* 0 sms, 1 voice, 2 none */
	uint8_t		 sms_opt_out;
	uint8_t		 is_line;	/* internal: leaf is a DSL line */
};

#define INVENTORY_FOREACH_PHONE(p, a) \
	for ((p) = (a)->phones; *(p) != '\0'; (p) += strlen(p) + 1)
/* Only the first few numbers of an account are indexed for lookups. */
#define INVENTORY_PHONES_INDEXED	4

struct inventory_stats {
	size_t		 devices, boards, ports, splitters, onus, lines;
	size_t		 accounts, phones;
	size_t		 bytes;		/* memory the index holds */
	int64_t		 import_id;	/* last import it reflects */
	double		 build_seconds;
};

/*
 * Build an index from the database (blocking: the worker thread and the
 * tests call it). NULL with a message in err on failure.
 */
struct inventory_index *inventory_index_load(PGconn *, char *err, size_t);
void		 inventory_index_free(struct inventory_index *);
void		 inventory_index_stats(const struct inventory_index *,
		    struct inventory_stats *);

/* Find a scope; 0 and the scope filled in, or -1 (unknown or no accounts). */
int		 inventory_find(const struct inventory_index *,
		    struct inventory_scope *);
/* The accounts under a found scope (a slice of *n accounts). */
const struct inventory_account *inventory_accounts(
		    const struct inventory_index *,
		    const struct inventory_scope *, size_t *n);
const struct inventory_account *inventory_account_at(
		    const struct inventory_index *, uint32_t);
const struct inventory_account *inventory_by_account(
		    const struct inventory_index *, const char *account);
/* Accounts with this phone number (normalised first); up to max in out. */
size_t		 inventory_by_phone(const struct inventory_index *,
		    const char *phone, const struct inventory_account **out,
		    size_t max);
/* The ONU with this serial, as a scope. */
int		 inventory_by_serial(const struct inventory_index *,
		    const char *serial, struct inventory_scope *);
/*
 * The DSL line (INVENTORY_LINE) whose port has this ifIndex on this
 * device, or the port (INVENTORY_PORT) when no DSL line hangs off it: what
 * a linkDown or dsl.line_down names. 0 and the scope filled in, or -1.
 * The ifIndex comes from the subscriber file's if_index column
 * (ports.if_index); see doc/inventory.md.
 */
int		 inventory_by_ifindex(const struct inventory_index *,
		    int64_t device_id, long long if_index,
		    struct inventory_scope *out);
/*
 * The scope of the given kind that holds an account (its device, board,
 * port, splitter, ONU or line). -1 when the account has no such level (a
 * DSL account has no ONU; an ONU may have no splitter).
 */
int		 inventory_scope_of(const struct inventory_index *,
		    const struct inventory_account *,
		    enum inventory_scope_kind, struct inventory_scope *);

/* heraldd: the index in force, or NULL before the first load. */
const struct inventory_index *inventory_current(const struct inventory *);

#endif
