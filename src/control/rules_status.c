/* The rules in the control socket's answers: "rules" and "rules json",
 * one entry per rule statement in force, in the order of site.conf, with
 * what it decided (docs/vpntunctl.8.md): an operator's way to see which
 * rule a flow hits, as pfctl -vsr or iptables -L -v show. */
#include "src/control/control.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>

#include "src/datapath/qos.h"
#include "util/json.h"

#define RULES_JSON_BASE 64
#define RULES_JSON_RULE (160 + 2 * 6 * CONF_NAME_MAX)  /* names escaped */

static const char *
action_name(const struct rule_conf *r)
{
	return r->action == RULE_BLOCK ? "block" : "pass";
}

static const char *
dir_name(const struct rule_conf *r)
{
	return r->dir == RULE_DIR_IN ? "in" : r->dir == RULE_DIR_OUT ? "out" :
	    "any";
}

static const char *
or_dash(const char *name)
{
	return name != NULL ? name : "-";
}

/* The class a rule queues into and its meter, or NULL. */
static const char *
queue_name(const struct config *cf, const struct rule_conf *r)
{
	return r->queue >= 0 ? cf->qos.classes[r->queue].name : NULL;
}

static const char *
meter_name(const struct config *cf, const struct rule_conf *r)
{
	return r->meter >= 0 ? cf->meters[r->meter].name : NULL;
}

static struct rule_hits
hits_of(const struct engine *e, size_t i)
{
	struct rule_hits none = { 0, 0 };

	return e->qos != NULL && e->qos->hits != NULL ? e->qos->hits[i] : none;
}

int
rules_text(struct engine *e, struct evbuffer *out)
{
	const struct config *cf = e->cf;
	const struct rule_conf *r;
	struct rule_hits h;
	size_t i;

	evbuffer_add_printf(out, "%6s %-6s %-4s %-16s %-16s %12s %14s\n", "LINE",
	    "ACTION", "DIR", "QUEUE", "METER", "PACKETS", "BYTES");
	for (i = 0; i < cf->nrules; i++) {
		r = &cf->rules[i];
		h = hits_of(e, i);
		evbuffer_add_printf(out, "%6d %-6s %-4s %-16s %-16s %12llu "
		    "%14llu\n", r->line, action_name(r), dir_name(r),
		    or_dash(queue_name(cf, r)), or_dash(meter_name(cf, r)),
		    (unsigned long long)h.packets,
		    (unsigned long long)h.bytes);
	}
	return 0;
}

static void
json_name(struct json *j, const char *key, const char *name)
{
	if (name != NULL)
		json_string(j, key, name);
	else
		json_null(j, key);
}

int
rules_json(struct engine *e, struct evbuffer *out)
{
	const struct config *cf = e->cf;
	const struct rule_conf *r;
	size_t cap = RULES_JSON_BASE + cf->nrules * RULES_JSON_RULE, i;
	struct rule_hits h;
	struct json j;
	char *buf;

	if ((buf = malloc(cap)) == NULL) {
		evbuffer_add_printf(out, "error: out of memory\n");
		return 0;
	}
	json_init(&j, buf, cap);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "rules");
	for (i = 0; i < cf->nrules; i++) {
		r = &cf->rules[i];
		h = hits_of(e, i);
		json_object_begin(&j, NULL);
		json_uint(&j, "line", (uint64_t)r->line);
		json_string(&j, "action", action_name(r));
		json_string(&j, "dir", dir_name(r));
		json_name(&j, "queue", queue_name(cf, r));
		json_name(&j, "meter", meter_name(cf, r));
		json_uint(&j, "packets", h.packets);
		json_uint(&j, "bytes", h.bytes);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	status_json_send(&j, buf, out, "rules");
	return 0;
}
