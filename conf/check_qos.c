/* The QoS checks: the class tree when the qos block closes (each error at
 * the line of the class it is about), then cbq_new() itself, so that what
 * loads is what the scheduler accepts; and, once the whole file is read,
 * the queue and meter names of the rules. */
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

static int
find_class(const struct qos_conf *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->nclasses; i++)
		if (strcmp(q->classes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
resolve_parents(struct lexer *lx, struct qos_conf *q, struct qos_extra *qx)
{
	size_t i;
	int j;

	for (i = 0; i < q->nclasses; i++) {
		struct class_extra *x = &qx->cls[i];

		if (x->parent[0] == '\0')
			continue;
		j = find_class(q, x->parent);
		if (j == -1) {
			conf_err(lx, x->file, x->parent_line, "class \"%s\": "
			    "unknown parent \"%s\"", q->classes[i].name,
			    x->parent);
			return -1;
		}
		if (j >= (int)i) {
			conf_err(lx, x->file, x->parent_line, "class \"%s\": "
			    "parent \"%s\" must be declared before its children "
			    "(it is at line %d)", q->classes[i].name, x->parent,
			    q->class_line[j]);
			return -1;
		}
		q->classes[i].parent = j;
	}
	return 0;
}

/* Parents come first, so a borrowing child finds its parent's ceil set. */
static int
check_ceilings(struct lexer *lx, struct qos_conf *q, struct qos_extra *qx)
{
	char a[32], b[32];
	size_t i;

	for (i = 0; i < q->nclasses; i++) {
		struct cbq_class_conf *c = &q->classes[i];
		const char *f = qx->cls[i].file;
		int line = q->class_line[i];
		uint64_t limit = c->parent == -1 ? q->bandwidth :
		    q->classes[c->parent].ceil;

		if (c->rate > q->bandwidth) {
			conf_err(lx, f, line, "class \"%s\": rate %s is above "
			    "the bandwidth %s", c->name, rate_str(c->rate, a,
			    sizeof(a)), rate_str(q->bandwidth, b, sizeof(b)));
			return -1;
		}
		if (!c->borrow)
			c->ceil = c->rate;
		else if (!qx->cls[i].have_ceil)
			c->ceil = limit;
		if (c->ceil < c->rate) {
			conf_err(lx, f, line, "class \"%s\": ceil %s is below "
			    "its rate %s", c->name, rate_str(c->ceil, a,
			    sizeof(a)), rate_str(c->rate, b, sizeof(b)));
			return -1;
		}
		if (c->ceil > limit) {
			if (c->parent == -1)
				conf_err(lx, f, line, "class \"%s\": ceil %s is "
				    "above the bandwidth %s", c->name,
				    rate_str(c->ceil, a, sizeof(a)),
				    rate_str(limit, b, sizeof(b)));
			else
				conf_err(lx, f, line, "class \"%s\": ceil %s is "
				    "above the ceil %s of its parent \"%s\"",
				    c->name, rate_str(c->ceil, a, sizeof(a)),
				    rate_str(limit, b, sizeof(b)),
				    q->classes[c->parent].name);
			return -1;
		}
	}
	return 0;
}

/* Floyd and Jacobson 1995: the guaranteed rates of a class's children fit
 * in its own rate, those of the top-level classes in the link. */
static int
check_sums(struct lexer *lx, const struct qos_conf *q,
    const struct qos_extra *qx)
{
	uint64_t sum[CBQ_CLASSES_MAX] = { 0 }, top = 0, *s, cap;
	char a[32], b[32];
	size_t i;

	for (i = 0; i < q->nclasses; i++) {
		const struct cbq_class_conf *c = &q->classes[i];

		s = c->parent == -1 ? &top : &sum[c->parent];
		cap = c->parent == -1 ? q->bandwidth :
		    q->classes[c->parent].rate;
		*s += c->rate;
		if (*s <= cap)
			continue;
		if (c->parent == -1)
			conf_err(lx, qx->cls[i].file, q->class_line[i], "class "
			    "\"%s\": the rates of the top-level classes add up "
			    "to %s, above the bandwidth %s", c->name,
			    rate_str(*s, a, sizeof(a)), rate_str(cap, b,
			    sizeof(b)));
		else
			conf_err(lx, qx->cls[i].file, q->class_line[i], "class "
			    "\"%s\": the rates of the children of \"%s\" add up "
			    "to %s, above its rate %s", c->name,
			    q->classes[c->parent].name, rate_str(*s, a,
			    sizeof(a)), rate_str(cap, b, sizeof(b)));
		return -1;
	}
	return 0;
}

static int
check_default(struct lexer *lx, const struct qos_conf *q,
    const struct qos_extra *qx, const bool *leaf)
{
	int def = -1;
	size_t i;

	for (i = 0; i < q->nclasses; i++) {
		if (!q->classes[i].is_default)
			continue;
		if (def != -1) {
			conf_err(lx, qx->cls[i].file, qx->cls[i].default_line,
			    "class \"%s\" is a second default class; \"%s\" "
			    "(line %d) is the default already", q->classes[i].name,
			    q->classes[def].name, q->class_line[def]);
			return -1;
		}
		if (!leaf[i]) {
			conf_err(lx, qx->cls[i].file, qx->cls[i].default_line,
			    "default class \"%s\" has children; the default "
			    "must be a leaf class", q->classes[i].name);
			return -1;
		}
		def = (int)i;
	}
	if (def == -1) {
		conf_err(lx, qx->file, q->line, "the qos block has no default "
		    "class; mark one leaf class \"default\"");
		return -1;
	}
	return 0;
}

/* cbq_new names the class a message is about in quotes: report it at
 * that class's line, anything else at the qos block. */
static void
cbq_error(struct lexer *lx, const struct qos_conf *q,
    const struct qos_extra *qx, const char *msg)
{
	char name[CBQ_NAME_MAX];
	const char *s, *e;
	int i;

	if ((s = strchr(msg, '"')) != NULL && (e = strchr(s + 1, '"')) != NULL &&
	    (size_t)(e - s - 1) < sizeof(name)) {
		memcpy(name, s + 1, (size_t)(e - s - 1));
		name[e - s - 1] = '\0';
		if ((i = find_class(q, name)) != -1) {
			conf_err(lx, qx->cls[i].file, q->class_line[i], "%s", msg);
			return;
		}
	}
	conf_err(lx, qx->file, q->line, "%s", msg);
}

int
qos_check_classes(struct lexer *lx, struct qos_conf *q, struct qos_extra *qx)
{
	bool leaf[CBQ_CLASSES_MAX];
	struct cbq_conf cc;
	struct cbq *sched;
	char err[CONF_ERR_MAX / 2];
	size_t i;

	if (!qx->have_bandwidth) {
		conf_err(lx, qx->file, q->line, "the qos block has no "
		    "bandwidth; expected \"bandwidth\" and the uplink's rate, "
		    "such as 128kbit");
		return -1;
	}
	if (q->nclasses == 0) {
		conf_err(lx, qx->file, q->line, "the qos block has no class; "
		    "expected at least one \"class\" statement");
		return -1;
	}
	if (resolve_parents(lx, q, qx) == -1 ||
	    check_ceilings(lx, q, qx) == -1 || check_sums(lx, q, qx) == -1)
		return -1;
	for (i = 0; i < q->nclasses; i++)
		leaf[i] = true;
	for (i = 0; i < q->nclasses; i++)
		if (q->classes[i].parent != -1)
			leaf[q->classes[i].parent] = false;
	if (check_default(lx, q, qx, leaf) == -1)
		return -1;
	/* The scheduler's own checks are the last word. */
	cc.bandwidth = q->bandwidth;
	cc.classes = q->classes;
	cc.nclasses = q->nclasses;
	err[0] = '\0';
	if ((sched = cbq_new(&cc, err, sizeof(err))) == NULL) {
		cbq_error(lx, q, qx, err[0] != '\0' ? err :
		    "the scheduler refused the classes");
		return -1;
	}
	cbq_free(sched);
	return 0;
}

static int
resolve_rule(struct lexer *lx, struct config *cf, const struct qos_extra *qx,
    size_t i)
{
	struct rule_conf *r = &cf->rules[i];
	const struct rule_extra *x = &qx->rules[i];
	const struct qos_conf *q = &cf->qos;
	size_t j;
	int c;

	if (x->queue[0] != '\0') {
		if (!q->enabled) {
			conf_err(lx, x->file, x->queue_line, "queue \"%s\" needs "
			    "a qos block, and there is none", x->queue);
			return -1;
		}
		if ((c = find_class(q, x->queue)) == -1) {
			conf_err(lx, x->file, x->queue_line, "unknown queue "
			    "\"%s\"; the qos block at %s:%d has no such class",
			    x->queue, qx->file, q->line);
			return -1;
		}
		for (j = 0; j < q->nclasses; j++) {
			if (q->classes[j].parent != c)
				continue;
			conf_err(lx, x->file, x->queue_line, "queue \"%s\" is "
			    "not a leaf class (\"%s\" is its child); packets "
			    "are queued in leaf classes only", x->queue,
			    q->classes[j].name);
			return -1;
		}
		r->queue = c;
	}
	if (x->meter[0] != '\0') {
		for (j = 0; j < cf->nmeters; j++)
			if (strcmp(cf->meters[j].name, x->meter) == 0)
				break;
		if (j == cf->nmeters) {
			conf_err(lx, x->file, x->meter_line, "unknown meter "
			    "\"%s\"; no meter statement defines it", x->meter);
			return -1;
		}
		r->meter = (int)j;
	}
	return 0;
}

int
qos_finish(struct lexer *lx, struct config *cf, struct qos_extra *qx)
{
	const struct qos_conf *q = &cf->qos;
	size_t i;

	/* tunnel-mtu only ever lowers the tun MTU. */
	if (q->enabled && q->tunnel_mtu != 0 && cf->site.mtu != 0 &&
	    q->tunnel_mtu > cf->site.mtu) {
		conf_err(lx, qx->file, q->line, "tunnel-mtu %u is above the "
		    "site's mtu %u; it can only lower it", q->tunnel_mtu,
		    cf->site.mtu);
		return -1;
	}
	for (i = 0; i < cf->nrules; i++)
		if (resolve_rule(lx, cf, qx, i) == -1)
			return -1;
	return 0;
}
