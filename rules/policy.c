/*
 * policy.c: rules/policy.conf, the thresholds of the rules engine.
 *
 *	hold_down = 90			# seconds, every cause
 *	cause "power_cut" { hold_down = 120 }
 *	infer { window = 120  min_onus = 4  share = 0.5  majority = 0.7 }
 *	...
 */
#include "config.h"

#include <confuse.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "policy.h"

static cfg_opt_t cause_opts[] = {
	CFG_INT("hold_down", -1, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t infer_opts[] = {
	CFG_INT("window", 120, CFGF_NONE),
	CFG_INT("min_onus", 4, CFGF_NONE),
	CFG_FLOAT("share", 0.5, CFGF_NONE),
	CFG_FLOAT("majority", 0.7, CFGF_NONE),
	CFG_INT("rollup_min", 2, CFGF_NONE),
	CFG_FLOAT("rollup_share", 0.5, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t flap_opts[] = {
	CFG_INT("count", 5, CFGF_NONE),
	CFG_INT("window", 600, CFGF_NONE),
	CFG_INT("quiet", 300, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t policy_opts[] = {
	CFG_INT("hold_down", 90, CFGF_NONE),
	CFG_SEC("cause", cause_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("infer", infer_opts, CFGF_NONE),
	CFG_FLOAT("resolve_share", 0.9, CFGF_NONE),
	CFG_INT("straggler_grace", 60, CFGF_NONE),
	CFG_INT("dying_gasp_persist", 1800, CFGF_NONE),
	CFG_INT("early_clear_window", 10, CFGF_NONE),
	CFG_INT("repeat_interval", 30, CFGF_NONE),
	CFG_SEC("flap", flap_opts, CFGF_NONE),
	CFG_END()
};

static const char *policy_path;
static int policy_errors;

static void
policy_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_warnx("%s:%d: %s", policy_path, cfg ? cfg->line : 0, msg);
	policy_errors++;
}

static int
policy_check_nonneg(cfg_t *cfg, cfg_opt_t *opt)
{
	if ((opt->type == CFGT_INT && cfg_opt_getnint(opt, 0) < 0) ||
	    (opt->type == CFGT_FLOAT && cfg_opt_getnfloat(opt, 0) < 0)) {
		cfg_error(cfg, "%s: must not be negative", opt->name);
		return -1;
	}
	return 0;
}

static int
policy_check_share(cfg_t *cfg, cfg_opt_t *opt)
{
	double v = cfg_opt_getnfloat(opt, 0);

	if (v < 0 || v > 1) {
		cfg_error(cfg, "%s: %g is not a share between 0 and 1",
		    opt->name, v);
		return -1;
	}
	return 0;
}

void
policy_defaults(struct policy *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < CAUSE_N; i++)
		p->hold_down[i] = 90;
	p->infer_window = 120;
	p->infer_min_onus = 4;
	p->infer_share = 0.5;
	p->cause_majority = 0.7;
	p->rollup_min = 2;
	p->rollup_share = 0.5;
	p->resolve_share = 0.9;
	p->straggler_grace = 60;
	p->dying_gasp_persist = 1800;
	p->early_clear_window = 10;
	p->repeat_interval = 30;
	p->flap_count = 5;
	p->flap_window = 600;
	p->flap_quiet = 300;
}

static void
policy_extract(struct policy *p, cfg_t *cfg)
{
	cfg_t *in = cfg_getsec(cfg, "infer"), *fl = cfg_getsec(cfg, "flap");
	unsigned i, n = cfg_size(cfg, "cause");
	enum incident_cause c;
	int j;

	for (j = 0; j < CAUSE_N; j++)
		p->hold_down[j] = (int)cfg_getint(cfg, "hold_down");
	for (i = 0; i < n; i++) {
		cfg_t *cs = cfg_getnsec(cfg, "cause", i);

		if (incident_cause_parse(cfg_title(cs), &c) != 0) {
			log_warnx("%s: cause \"%s\": no such cause", policy_path,
			    cfg_title(cs));
			policy_errors++;
			continue;
		}
		if (cfg_getint(cs, "hold_down") >= 0)
			p->hold_down[c] = (int)cfg_getint(cs, "hold_down");
	}
	p->infer_window = (int)cfg_getint(in, "window");
	p->infer_min_onus = (int)cfg_getint(in, "min_onus");
	p->infer_share = cfg_getfloat(in, "share");
	p->cause_majority = cfg_getfloat(in, "majority");
	p->rollup_min = (int)cfg_getint(in, "rollup_min");
	p->rollup_share = cfg_getfloat(in, "rollup_share");
	p->resolve_share = cfg_getfloat(cfg, "resolve_share");
	p->straggler_grace = (int)cfg_getint(cfg, "straggler_grace");
	p->dying_gasp_persist = (int)cfg_getint(cfg, "dying_gasp_persist");
	p->early_clear_window = (int)cfg_getint(cfg, "early_clear_window");
	p->repeat_interval = (int)cfg_getint(cfg, "repeat_interval");
	p->flap_count = (int)cfg_getint(fl, "count");
	p->flap_window = (int)cfg_getint(fl, "window");
	p->flap_quiet = (int)cfg_getint(fl, "quiet");
}

int
policy_load(struct policy *p, const char *path)
{
	static const char *const nonneg[] = {
		"hold_down", "dying_gasp_persist", "early_clear_window",
		"straggler_grace", "repeat_interval",
		"infer|window", "infer|min_onus", "infer|rollup_min",
		"flap|count", "flap|window", "flap|quiet", NULL
	};
	static const char *const shares[] = {
		"resolve_share", "infer|share", "infer|majority",
		"infer|rollup_share", NULL
	};
	struct policy tmp;
	cfg_t *cfg;
	int i, rc;

	policy_path = path;
	policy_errors = 0;
	cfg = cfg_init(policy_opts, CFGF_NONE);
	cfg_set_error_function(cfg, policy_errfunc);
	for (i = 0; nonneg[i] != NULL; i++)
		cfg_set_validate_func(cfg, nonneg[i], policy_check_nonneg);
	for (i = 0; shares[i] != NULL; i++)
		cfg_set_validate_func(cfg, shares[i], policy_check_share);
	rc = cfg_parse(cfg, path);
	if (rc == CFG_FILE_ERROR) {
		log_warn("%s", path);
		policy_errors++;
	}
	if (rc == CFG_SUCCESS) {
		policy_defaults(&tmp);
		policy_extract(&tmp, cfg);
	}
	cfg_free(cfg);
	if (rc != CFG_SUCCESS || policy_errors > 0)
		return -1;
	*p = tmp;
	return 0;
}
