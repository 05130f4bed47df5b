/* Reloading the configuration (SIGHUP, `vpntunctl reload`): the rules,
 * meters, qos block, log level and socket-filter of a new site.conf take
 * effect (the level as the daemon's loader raised it for -v); the
 * tunnels go on untouched, their SAs, sequence numbers and replay
 * windows included.
 * Anything else that changed refuses the whole file (conf/reload.c says
 * why), as does any error in it: the daemon keeps what it runs. */
#include "src/engine/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/datapath/qos.h"

void
engine_set_loader(struct engine *e, engine_loader load, void *arg)
{
	e->load = load;
	e->load_arg = arg;
}

static int
refused(struct engine *e, const char *why, char *msg, size_t len)
{
	e->reloads_failed++;
	snprintf(e->reload_last, sizeof(e->reload_last), "%s", why);
	snprintf(msg, len, "%s", why);
	log_warnx("reload refused, the running configuration stays: %s", why);
	return -1;
}

/* The reloadable parts of ncf become e->cf's; ncf gets the old ones, to
 * be freed with it. */
static void
swap_parts(struct config *cf, struct config *ncf)
{
	struct rule_conf *r = cf->rules;
	struct meter_def *m = cf->meters;
	struct qos_conf q = cf->qos;
	size_t nr = cf->nrules, nm = cf->nmeters;

	cf->rules = ncf->rules;
	cf->nrules = ncf->nrules;
	cf->meters = ncf->meters;
	cf->nmeters = ncf->nmeters;
	cf->qos = ncf->qos;
	ncf->rules = r;
	ncf->nrules = nr;
	ncf->meters = m;
	ncf->nmeters = nm;
	ncf->qos = q;
}

int
engine_reload(struct engine *e, char *msg, size_t len)
{
	struct conf_error err;
	struct config *ncf;
	struct qos_moved mv;
	size_t n;

	if (e->load == NULL)
		return refused(e, "this daemon cannot read its configuration "
		    "again", msg, len);
	if ((ncf = calloc(1, sizeof(*ncf))) == NULL)
		return refused(e, "out of memory", msg, len);
	if (e->load(ncf, &err, e->load_arg) == -1) {
		free(ncf);
		return refused(e, err.msg, msg, len);
	}
	if (config_reload_check(e->cf, ncf, &err) == -1) {
		config_free(ncf);
		free(ncf);
		return refused(e, err.msg, msg, len);
	}
	if (qos_reload(e, ncf, &mv) == -1) {
		config_free(ncf);
		free(ncf);
		return refused(e, "out of memory compiling the new rules",
		    msg, len);
	}
	swap_parts(e->cf, ncf);
	if (ncf->site.log_level != e->cf->site.log_level) {
		e->cf->site.log_level = ncf->site.log_level;
		log_set_level((enum log_level)e->cf->site.log_level);
	}
	/* The peers, and so the sources a filter lists, cannot change
	 * here (conf/reload.c): only whether there are filters. */
	if (ncf->site.socket_filter != e->cf->site.socket_filter) {
		e->cf->site.socket_filter = ncf->site.socket_filter;
		outer_filter_all(e);
	}
	config_free(ncf);
	free(ncf);
	/* Frames without IP match the first rule that names no IP field:
	 * that may be another one now. */
	if (e->br != NULL)
		e->br->nonip_rule = qos_nonip_rule(e->cf);
	e->reloads_done++;
	snprintf(e->reload_last, sizeof(e->reload_last), "ok");
	if (e->cf->qos.enabled)
		snprintf(msg, len, "reloaded: %zu rules, %zu meters, qos of %zu "
		    "classes", e->cf->nrules, e->cf->nmeters,
		    e->cf->qos.nclasses);
	else
		snprintf(msg, len, "reloaded: %zu rules, %zu meters, no qos",
		    e->cf->nrules, e->cf->nmeters);
	/* What the queues held when the scheduler was replaced. */
	n = strlen(msg);
	if (mv.moved + mv.dropped > 0 && n < len)
		snprintf(msg + n, len - n, "; %zu queued packets moved, %zu "
		    "dropped (no room)", mv.moved, mv.dropped);
	else if (mv.sent > 0 && n < len)
		snprintf(msg + n, len - n, "; %zu queued packets sent at once",
		    mv.sent);
	log_info("%s", msg);
	/* Packets moved to a new scheduler wait for its pacing timer. */
	if (e->qos != NULL)
		qos_run(e);
	return 0;
}
