/*
 * kind.c: the alarm kinds' one name table and reduction key.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "events.h"
#include "kind.h"

static const struct {
	const char	*name;
	enum kind_level	 level;
} kinds[KIND_N] = {
	[KIND_DEVICE_UNREACHABLE] = { "device.unreachable", LEVEL_DEVICE },
	[KIND_DEVICE_POWER] = { "device.power", LEVEL_DEVICE },
	[KIND_BOARD_FAULT] = { "board.fault", LEVEL_BOARD },
	[KIND_PON_LOS] = { "pon.los", LEVEL_PORT },
	[KIND_ONU_LOS] = { "onu.los", LEVEL_ONU },
	[KIND_ONU_DYING_GASP] = { "onu.dying_gasp", LEVEL_ONU },
	[KIND_ONU_OFFLINE] = { "onu.offline", LEVEL_ONU },
	[KIND_PORT_DOWN] = { "port.down", LEVEL_PORT },
	[KIND_DSL_LINE_DOWN] = { "dsl.line_down", LEVEL_LINE },
};

const char *
kind_name(enum alarm_kind k)
{
	return (unsigned)k < KIND_N ? kinds[k].name : NULL;
}

int
kind_parse(const char *s, enum alarm_kind *out)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < KIND_N; i++)
		if (strcmp(s, kinds[i].name) == 0) {
			*out = (enum alarm_kind)i;
			return 0;
		}
	return -1;
}

const char *
kind_intern(const char *s)
{
	enum alarm_kind k;

	return kind_parse(s, &k) == 0 ? kinds[k].name : NULL;
}

enum kind_level
kind_level(enum alarm_kind k)
{
	return (unsigned)k < KIND_N ? kinds[k].level : LEVEL_DEVICE;
}

int
kind_is_onu(enum alarm_kind k)
{
	return k == KIND_ONU_LOS || k == KIND_ONU_DYING_GASP ||
	    k == KIND_ONU_OFFLINE;
}

/* An unset field prints as "-", so 0/1/-/- and 0/1/0/0 differ. */
static const char *
kind_num(char *buf, size_t len, long long v)
{
	if (v == EVENT_LOC_UNSET)
		return "-";
	snprintf(buf, len, "%lld", v);
	return buf;
}

size_t
kind_reduction_key(char *buf, size_t len, int64_t device_id,
    enum alarm_kind k, const struct herald_location *l)
{
	char f[24], s[24], p[24], o[24];
	const char *name = kind_name(k) ? kind_name(k) : "?";
	int w;

	kind_num(f, sizeof(f), l->frame);
	switch (kind_level(k)) {
	case LEVEL_DEVICE:
		w = snprintf(buf, len, "%lld:%s", (long long)device_id, name);
		break;
	case LEVEL_LINE:
		w = snprintf(buf, len, "%lld:%s:line=%lld",
		    (long long)device_id, name, l->line);
		break;
	case LEVEL_BOARD:
		w = snprintf(buf, len, "%lld:%s:%s/%s", (long long)device_id,
		    name, kind_num(f, sizeof(f), l->frame),
		    kind_num(s, sizeof(s), l->slot));
		break;
	case LEVEL_PORT:
		w = snprintf(buf, len, "%lld:%s:%s/%s/%s",
		    (long long)device_id, name,
		    kind_num(f, sizeof(f), l->frame),
		    kind_num(s, sizeof(s), l->slot),
		    kind_num(p, sizeof(p), l->port));
		break;
	default:
		w = snprintf(buf, len, "%lld:%s:%s/%s/%s/%s",
		    (long long)device_id, name,
		    kind_num(f, sizeof(f), l->frame),
		    kind_num(s, sizeof(s), l->slot),
		    kind_num(p, sizeof(p), l->port),
		    kind_num(o, sizeof(o), l->onu));
		break;
	}
	if (w < 0)
		return 0;
	return (size_t)w >= len ? len - 1 : (size_t)w;
}
