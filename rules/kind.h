/*
 * kind.h: the normalised alarm kinds, defined once. Profiles, the poller,
 * the rules engine and the API name kinds through this table; the SQL
 * CHECK lists in schema/ are the database's own guard and must list the
 * same names.
 */
#ifndef HERALD_KIND_H
#define HERALD_KIND_H

#include <stddef.h>
#include <stdint.h>

struct herald_location;

enum alarm_kind {
	KIND_DEVICE_UNREACHABLE = 0,
	KIND_DEVICE_POWER,
	KIND_BOARD_FAULT,
	KIND_PON_LOS,
	KIND_ONU_LOS,
	KIND_ONU_DYING_GASP,
	KIND_ONU_OFFLINE,
	KIND_PORT_DOWN,
	KIND_DSL_LINE_DOWN,
	KIND_N
};

/* The level of the network an alarm of this kind names. */
enum kind_level {
	LEVEL_DEVICE = 0,
	LEVEL_BOARD,
	LEVEL_PORT,
	LEVEL_ONU,
	LEVEL_LINE,
};

/* "onu.los" ...; NULL for a value out of range. */
const char	*kind_name(enum alarm_kind);
/* 0 and *out set, or -1 for a name herald does not know. */
int		 kind_parse(const char *, enum alarm_kind *out);
/* The interned name ("onu.los" as a static string), or NULL. */
const char	*kind_intern(const char *);
enum kind_level	 kind_level(enum alarm_kind);
/* ONU kinds: an ONU that stopped working (LOS, dying gasp, offline). */
int		 kind_is_onu(enum alarm_kind);

#define KIND_KEY_MAX	96
/*
 * The reduction key of an alarm: one alarm per device, kind and place,
 * e.g. "7:onu.los:0/1/3/12", "3:dsl.line_down:line=1003", "7:pon.los:0/1/3".
 * Only the fields of the kind's level are used, so a trap and a poll that
 * name the same place (one with if_index, one without) give the same key.
 * Returns the length written (truncated at len - 1).
 */
size_t		 kind_reduction_key(char *buf, size_t len, int64_t device_id,
		    enum alarm_kind, const struct herald_location *);

#endif
