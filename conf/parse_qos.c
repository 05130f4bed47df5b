/* The QoS parts of site.conf: the qos block (the CBQ scheduler
 * of the uplink, in the vocabulary of altq.conf and pf.conf) and the meter
 * statements of the ingress conditioner (RFC 2697 srTCM, RFC 2698 trTCM).
 * Quantities carry their unit in the word (128kbit, 300ms) or as the next
 * word (20 packets). The class tree is checked when the block closes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_int.h"

#define DESC(t, d) tok_describe((t), (d), sizeof(d))

/* k = 1000 as in pf.conf and tc; "b" is bits, as pf.conf's "Kb". */
static const struct unit rate_units[] = {
	{ "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 },
	{ "gbit", 1000000000 }, { "b", 1 }, { "kb", 1000 }, { "mb", 1000000 },
	{ "gb", 1000000000 }, { NULL, 0 }
};
static const char rate_unit_list[] =
    "bit, kbit, Mbit, Gbit, b, Kb, Mb or Gb";

static const struct unit byte_units[] = {
	{ "bytes", 1 }, { "byte", 1 }, { NULL, 0 }
};

static const struct unit time_units[] = {
	{ "ms", 1000 }, { "us", 1 }, { NULL, 0 }
};

/* Indices into limit_units are the enum cbq_limit_kind values. */
static const struct unit limit_units[] = {
	{ "packets", CBQ_LIMIT_PACKETS }, { "bytes", CBQ_LIMIT_BYTES },
	{ "ms", CBQ_LIMIT_MS }, { "packet", CBQ_LIMIT_PACKETS },
	{ "byte", CBQ_LIMIT_BYTES }, { NULL, 0 }
};

static const struct unit *
find_unit(const struct unit *units, const char *s)
{
	for (; units->name != NULL; units++)
		if (strcasecmp(units->name, s) == 0)
			return units;
	return NULL;
}

int
get_quantity(struct parser *p, const struct token *kw, const char *what,
    const struct unit *units, const char *unit_list, uint64_t *num,
    const struct unit **unit, struct token *t, char *shown, size_t shownlen)
{
	char d[CONF_TOKEN_MAX + 8], digits[32];
	const struct token *pk;
	const struct unit *u;
	struct token ut;
	const char *suffix;
	size_t n;

	*unit = NULL;
	lex_next(&p->lx, t);
	if (t->type == T_ERROR)
		return -1;
	if (t->type != T_WORD)
		goto bad;
	copy_str(shown, shownlen, t->text);
	if (t->text[0] == '0' && (t->text[1] == 'x' || t->text[1] == 'X')) {
		/* Hex has no unit: "0x10b" would be ambiguous. */
		if (parse_u64(t->text, 0, UINT64_MAX, num) == -1)
			goto bad;
		suffix = "";
	} else {
		n = strspn(t->text, "0123456789");
		if (n == 0)
			goto bad;
		suffix = t->text + n;
		if (n >= sizeof(digits))
			*num = UINT64_MAX;
		else {
			memcpy(digits, t->text, n);
			digits[n] = '\0';
			if (parse_u64(digits, 0, UINT64_MAX, num) == -1)
				*num = UINT64_MAX;
		}
	}
	if (*suffix == '\0') {
		pk = lex_peek(&p->lx);
		if (pk->type == T_WORD && (u = find_unit(units, pk->text)) !=
		    NULL) {
			lex_next(&p->lx, &ut);
			*unit = u;
			n = strlen(shown);
			snprintf(shown + n, shownlen - n, " %s", ut.text);
		}
		return 0;
	}
	if (*suffix == '.') {
		conf_errt(&p->lx, t, "%s after \"%s\" is not a whole number; "
		    "use a smaller unit", DESC(t, d), kw->text);
		return -1;
	}
	if ((u = find_unit(units, suffix)) == NULL) {
		conf_errt(&p->lx, t, "unknown unit \"%s\" in \"%s\" after \"%s\", "
		    "expected %s", suffix, t->text, kw->text, unit_list);
		return -1;
	}
	*unit = u;
	return 0;
bad:
	conf_errt(&p->lx, t, "expected %s after \"%s\", got %s", what, kw->text,
	    DESC(t, d));
	return -1;
}

const char *
rate_str(uint64_t bps, char *buf, size_t len)
{
	if (bps != 0 && bps % 1000000000 == 0)
		snprintf(buf, len, "%lluGbit",
		    (unsigned long long)(bps / 1000000000));
	else if (bps != 0 && bps % 1000000 == 0)
		snprintf(buf, len, "%lluMbit", (unsigned long long)(bps / 1000000));
	else if (bps != 0 && bps % 1000 == 0)
		snprintf(buf, len, "%llukbit", (unsigned long long)(bps / 1000));
	else
		snprintf(buf, len, "%llubit", (unsigned long long)bps);
	return buf;
}

int
get_rate(struct parser *p, const struct token *kw, uint64_t *bps)
{
	char shown[CONF_TOKEN_MAX + 16];
	const struct unit *u;
	struct token t;
	uint64_t v, mult;

	if (get_quantity(p, kw, "a rate such as 64kbit", rate_units,
	    rate_unit_list, &v, &u, &t, shown, sizeof(shown)) == -1)
		return -1;
	mult = u != NULL ? u->mult : 1;
	if (v == 0 || v > CONF_RATE_MAX / mult) {
		conf_errt(&p->lx, &t, "%s %s is out of range, expected "
		    "1bit..100Gbit", kw->text, shown);
		return -1;
	}
	*bps = v * mult;
	return 0;
}

/* A size in bytes: "3000", "3000 bytes". */
static int
get_size(struct parser *p, const struct token *kw, uint64_t min,
    uint64_t *bytes)
{
	char shown[CONF_TOKEN_MAX + 16];
	const struct unit *u;
	struct token t;
	uint64_t v;

	if (get_quantity(p, kw, "a size in bytes", byte_units, "bytes", &v, &u,
	    &t, shown, sizeof(shown)) == -1)
		return -1;
	if (v < min || v > CONF_BYTES_MAX) {
		conf_errt(&p->lx, &t, "%s %s is out of range, expected "
		    "%llu..%llu bytes", kw->text, shown, (unsigned long long)min,
		    (unsigned long long)CONF_BYTES_MAX);
		return -1;
	}
	*bytes = v;
	return 0;
}

/* A time in microseconds: "5ms", "500us", "5" (ms). */
static int
get_time_us(struct parser *p, const struct token *kw, uint32_t *us)
{
	char shown[CONF_TOKEN_MAX + 16];
	const struct unit *u;
	struct token t;
	uint64_t v, mult;

	if (get_quantity(p, kw, "a time such as 5ms", time_units, "ms or us",
	    &v, &u, &t, shown, sizeof(shown)) == -1)
		return -1;
	mult = u != NULL ? u->mult : 1000;
	if (v == 0 || v > 60000000 / mult) {
		conf_errt(&p->lx, &t, "%s %s is out of range, expected "
		    "1us..60000ms", kw->text, shown);
		return -1;
	}
	*us = (uint32_t)(v * mult);
	return 0;
}

/* RFC 2474 class selectors, RFC 2597 AFxy, RFC 3246 EF, RFC 5865 VA. */
int
get_dscp(struct parser *p, const struct token *kw, uint8_t *dscp)
{
	char d[CONF_TOKEN_MAX + 8];
	const char *s;
	struct token t;
	uint64_t v;

	lex_next(&p->lx, &t);
	if (t.type == T_ERROR)
		return -1;
	s = t.text;
	if (t.type != T_WORD)
		goto bad;
	if (parse_u64(s, 0, UINT64_MAX, &v) == 0) {
		if (v > 63) {
			conf_errt(&p->lx, &t, "%s %s is out of range, expected "
			    "0..63", kw->text, s);
			return -1;
		}
		*dscp = (uint8_t)v;
		return 0;
	}
	if (strcasecmp(s, "be") == 0 || strcasecmp(s, "default") == 0)
		*dscp = 0;
	else if (strcasecmp(s, "ef") == 0)
		*dscp = 46;
	else if (strcasecmp(s, "va") == 0)
		*dscp = 44;
	else if (strncasecmp(s, "cs", 2) == 0 && s[2] >= '0' && s[2] <= '7' &&
	    s[3] == '\0')
		*dscp = (uint8_t)((s[2] - '0') * 8);
	else if (strncasecmp(s, "af", 2) == 0 && s[2] >= '1' && s[2] <= '4' &&
	    s[3] >= '1' && s[3] <= '3' && s[4] == '\0')
		*dscp = (uint8_t)((s[2] - '0') * 8 + (s[3] - '0') * 2);
	else
		goto bad;
	return 0;
bad:
	conf_errt(&p->lx, &t, "expected a DSCP (be, cs0..cs7, af11..af43, ef, "
	    "va or 0..63) after \"%s\", got %s", kw->text, DESC(&t, d));
	return -1;
}

/* qos block */

static int
qos_bandwidth(struct parser *p, const struct token *kw)
{
	if (get_rate(p, kw, &p->cf->qos.bandwidth) == -1)
		return -1;
	p->qx.have_bandwidth = true;
	return 0;
}

static int
qos_tunnel_mtu(struct parser *p, const struct token *kw)
{
	uint64_t v;

	if (get_number(p, kw, 576, 9000, &v) == -1)
		return -1;
	p->cf->qos.tunnel_mtu = (unsigned)v;
	return 0;
}

static int
qos_mss_clamp(struct parser *p, const struct token *kw)
{
	int i;

	if (get_choice(p, kw, yesno, &i) == -1)
		return -1;
	p->cf->qos.mss_clamp = i == 1;
	p->qx.have_mss_clamp = true;
	return 0;
}

static int
class_limit(struct parser *p, const struct token *kw,
    struct cbq_class_conf *c)
{
	static const uint64_t max[] = {
		[CBQ_LIMIT_PACKETS] = CONF_LIMIT_PACKETS_MAX,
		[CBQ_LIMIT_BYTES] = CONF_BYTES_MAX,
		[CBQ_LIMIT_MS] = 60000,
	};
	static const char *const unit[] = {
		[CBQ_LIMIT_PACKETS] = "packets",
		[CBQ_LIMIT_BYTES] = "bytes",
		[CBQ_LIMIT_MS] = "ms",
	};
	char shown[CONF_TOKEN_MAX + 16];
	const struct unit *u;
	struct token t;
	uint64_t v;
	enum cbq_limit_kind k;

	if (get_quantity(p, kw, "a queue limit such as 50 packets",
	    limit_units, "packets, bytes or ms", &v, &u, &t, shown,
	    sizeof(shown)) == -1)
		return -1;
	k = u != NULL ? (enum cbq_limit_kind)u->mult : CBQ_LIMIT_PACKETS;
	if (v == 0 || v > max[k]) {
		conf_errt(&p->lx, &t, "limit %s is out of range, expected "
		    "1..%llu %s", shown, (unsigned long long)max[k], unit[k]);
		return -1;
	}
	c->limit_kind = k;
	c->limit = (uint32_t)v;
	return 0;
}

static const char *const class_opts[] = { "rate", "priority", "borrow",
    "ceil", "limit", "default", "codel", "target", "interval", "parent",
    "bridge", NULL };
enum { O_RATE, O_PRIO, O_BORROW, O_CEIL, O_LIMIT, O_DEFAULT, O_CODEL,
    O_TARGET, O_INTERVAL, O_PARENT, O_BRIDGE };

static int
class_option(struct parser *p, const struct token *t, int o,
    struct cbq_class_conf *c, struct class_extra *x)
{
	struct token name;
	uint64_t v;

	switch (o) {
	case O_RATE:
		x->have_rate = true;
		return get_rate(p, t, &c->rate);
	case O_PRIO:
		if (get_number(p, t, 0, CBQ_PRIO_MAX, &v) == -1)
			return -1;
		c->prio = (unsigned)v;
		return 0;
	case O_BORROW:
		c->borrow = true;
		return 0;
	case O_CEIL:
		c->borrow = true;
		x->have_ceil = true;
		return get_rate(p, t, &c->ceil);
	case O_LIMIT:
		return class_limit(p, t, c);
	case O_DEFAULT:
		c->is_default = true;
		x->default_line = t->line;
		return 0;
	case O_CODEL:
		c->codel = true;
		return 0;
	case O_TARGET:
		x->have_target = true;
		return get_time_us(p, t, &c->codel_target_us);
	case O_INTERVAL:
		x->have_interval = true;
		return get_time_us(p, t, &c->codel_interval_us);
	case O_PARENT:
		if (get_name(p, t, &name) == -1)
			return -1;
		copy_str(x->parent, sizeof(x->parent), name.text);
		x->parent_line = name.line;
		return 0;
	case O_BRIDGE:
		/* Checked with the tap in check_bridge.c. */
		x->bridge_line = t->line;
		return 0;
	}
	return -1;
}

static int
qos_class(struct parser *p, const struct token *kw)
{
	char d[CONF_TOKEN_MAX + 8];
	struct qos_conf *q = &p->cf->qos;
	struct cbq_class_conf *c;
	struct class_extra *x;
	struct token name, t;
	unsigned seen = 0;
	size_t i;
	int o;

	if (get_name(p, kw, &name) == -1)
		return -1;
	for (i = 0; i < q->nclasses; i++) {
		if (strcmp(q->classes[i].name, name.text) == 0) {
			conf_errt(&p->lx, &name, "class \"%s\" is defined twice, "
			    "first at %s:%d", name.text, p->qx.cls[i].file,
			    q->class_line[i]);
			return -1;
		}
	}
	if (q->nclasses == CBQ_CLASSES_MAX) {
		conf_errt(&p->lx, kw, "too many classes, at most %d",
		    CBQ_CLASSES_MAX);
		return -1;
	}
	c = &q->classes[q->nclasses];
	x = &p->qx.cls[q->nclasses];
	memset(c, 0, sizeof(*c));
	memset(x, 0, sizeof(*x));
	copy_str(c->name, sizeof(c->name), name.text);
	c->parent = -1;
	c->prio = CONF_PRIO_DEFAULT;
	c->limit_kind = CBQ_LIMIT_PACKETS;
	c->limit = CONF_LIMIT_DEFAULT;
	c->codel_target_us = 5000;          /* RFC 8289 4.3, 4.4 */
	c->codel_interval_us = 100000;
	x->file = kw->file;
	q->class_line[q->nclasses] = kw->line;
	q->nclasses++;
	while ((o = next_option(p, class_opts, &t)) != OPT_END) {
		if (o == OPT_UNKNOWN) {
			conf_errt(&p->lx, &t, "expected a class option (rate, "
			    "priority, borrow, ceil, limit, default, codel, "
			    "target, interval, parent or bridge) in class \"%s\", "
			    "got %s",
			    c->name, DESC(&t, d));
			return -1;
		}
		if (seen & (1u << o)) {
			conf_errt(&p->lx, &t, "\"%s\" given twice in class \"%s\"",
			    t.text, c->name);
			return -1;
		}
		seen |= 1u << o;
		if (class_option(p, &t, o, c, x) == -1)
			return -1;
	}
	if (!x->have_rate) {
		conf_errt(&p->lx, kw, "class \"%s\" has no rate; expected "
		    "\"rate\" and a rate such as 64kbit", c->name);
		return -1;
	}
	if ((x->have_target || x->have_interval) && !c->codel) {
		conf_errt(&p->lx, kw, "class \"%s\": \"%s\" needs \"codel\"",
		    c->name, x->have_target ? "target" : "interval");
		return -1;
	}
	if (c->codel_target_us >= c->codel_interval_us) {
		conf_errt(&p->lx, kw, "class \"%s\": codel target %uus must be "
		    "below its interval %uus", c->name, c->codel_target_us,
		    c->codel_interval_us);
		return -1;
	}
	return 0;
}

static const struct keyword qos_keywords[] = {
	{ "bandwidth",  qos_bandwidth },
	{ "class",      qos_class },
	{ "mss-clamp",  qos_mss_clamp },
	{ "tunnel-mtu", qos_tunnel_mtu },
	{ NULL,         NULL }
};

int
do_qos(struct parser *p, const struct token *kw)
{
	struct qos_conf *q = &p->cf->qos;

	if (p->qx.have_qos) {
		conf_errt(&p->lx, kw, "a second qos block; the qos block is "
		    "already defined at %s:%d", p->qx.file, q->line);
		return -1;
	}
	p->qx.have_qos = true;
	p->qx.file = kw->file;
	q->line = kw->line;
	if (parse_block(p, kw, "qos", qos_keywords) == -1)
		return -1;
	if (!p->qx.have_mss_clamp)
		q->mss_clamp = q->tunnel_mtu != 0;
	if (qos_check_classes(&p->lx, q, &p->qx) == -1)
		return -1;
	q->enabled = true;
	return 0;
}

/* meter statements */

static int
get_action(struct parser *p, const struct token *kw, struct meter_action *a)
{
	static const char *const set[] = { "pass", "drop", "mark", NULL };
	struct token t;
	int i;

	if (get_choice(p, kw, set, &i) == -1)
		return -1;
	memset(a, 0, sizeof(*a));
	if (i == 0)
		a->kind = METER_PASS;
	else if (i == 1)
		a->kind = METER_DROP;
	else {
		a->kind = METER_MARK;
		t = *kw;
		copy_str(t.text, sizeof(t.text), "mark");
		return get_dscp(p, &t, &a->dscp);
	}
	return 0;
}

static const char *const meter_opts[] = { "cir", "cbs", "ebs", "pir", "pbs",
    "green", "yellow", "red", "color-aware", "color-blind", NULL };
enum { M_CIR, M_CBS, M_EBS, M_PIR, M_PBS, M_GREEN, M_YELLOW, M_RED,
    M_AWARE, M_BLIND };

static int
meter_option(struct parser *p, const struct token *t, int o,
    struct meter_conf *m)
{
	switch (o) {
	case M_CIR:
		return get_rate(p, t, &m->cir);
	case M_CBS:
		return get_size(p, t, 1, &m->cbs);
	case M_EBS:
		return get_size(p, t, 0, &m->ebs);
	case M_PIR:
		return get_rate(p, t, &m->pir);
	case M_PBS:
		return get_size(p, t, 1, &m->pbs);
	case M_GREEN:
		return get_action(p, t, &m->action[METER_GREEN]);
	case M_YELLOW:
		return get_action(p, t, &m->action[METER_YELLOW]);
	case M_RED:
		return get_action(p, t, &m->action[METER_RED]);
	case M_AWARE:
		m->color_aware = true;
		return 0;
	case M_BLIND:
		m->color_aware = false;
		return 0;
	}
	return -1;
}

/* RFC 2697 2: CIR, CBS, EBS; RFC 2698 2: PIR >= CIR, PBS, CBS. */
static int
meter_check(struct parser *p, const struct token *kw, const char *name,
    const struct meter_conf *m, unsigned seen, int pir_line)
{
	static const int need[2][4] = {
		[METER_SRTCM] = { M_CIR, M_CBS, M_EBS, -1 },
		[METER_TRTCM] = { M_CIR, M_CBS, M_PIR, M_PBS },
	};
	static const int deny[2][2] = {
		[METER_SRTCM] = { M_PIR, M_PBS },
		[METER_TRTCM] = { M_EBS, -1 },
	};
	const char *kind = m->kind == METER_SRTCM ? "srtcm" : "trtcm";
	char a[32], b[32];
	size_t i;

	for (i = 0; i < 4; i++) {
		if (need[m->kind][i] == -1 || (seen & (1u << need[m->kind][i])))
			continue;
		conf_errt(&p->lx, kw, "meter \"%s\": %s needs \"%s\" (%s)", name,
		    kind, meter_opts[need[m->kind][i]], m->kind == METER_SRTCM ?
		    "cir, cbs and ebs, RFC 2697" : "cir, cbs, pir and pbs, "
		    "RFC 2698");
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (deny[m->kind][i] == -1 || !(seen & (1u << deny[m->kind][i])))
			continue;
		conf_errt(&p->lx, kw, "meter \"%s\": \"%s\" is not a parameter "
		    "of %s", name, meter_opts[deny[m->kind][i]], kind);
		return -1;
	}
	if (m->kind == METER_TRTCM && m->pir < m->cir) {
		conf_err(&p->lx, kw->file, pir_line, "meter \"%s\": pir %s is "
		    "below cir %s; RFC 2698 requires pir >= cir", name,
		    rate_str(m->pir, a, sizeof(a)), rate_str(m->cir, b,
		    sizeof(b)));
		return -1;
	}
	return 0;
}

int
do_meter(struct parser *p, const struct token *kw)
{
	static const char *const kinds[] = { "srtcm", "trtcm", NULL };
	char d[CONF_TOKEN_MAX + 8];
	struct config *cf = p->cf;
	struct meter_def md, *nm;
	const char **nf;
	struct token name, t;
	unsigned seen = 0;
	int o, kind, pir_line = kw->line;
	size_t i;

	if (get_name(p, kw, &name) == -1)
		return -1;
	for (i = 0; i < cf->nmeters; i++) {
		if (strcmp(cf->meters[i].name, name.text) == 0) {
			conf_errt(&p->lx, &name, "meter \"%s\" is defined twice, "
			    "first at %s:%d", name.text, p->qx.meter_files[i],
			    cf->meters[i].line);
			return -1;
		}
	}
	if (cf->nmeters >= CONF_METERS_MAX) {
		conf_errt(&p->lx, kw, "too many meters, at most %d",
		    CONF_METERS_MAX);
		return -1;
	}
	memset(&md, 0, sizeof(md));
	copy_str(md.name, sizeof(md.name), name.text);
	md.line = kw->line;
	if (get_choice(p, &name, kinds, &kind) == -1)
		return -1;
	md.conf.kind = kind == 0 ? METER_SRTCM : METER_TRTCM;
	md.conf.action[METER_GREEN].kind = METER_PASS;
	md.conf.action[METER_YELLOW].kind = METER_PASS;
	md.conf.action[METER_RED].kind = METER_DROP;
	while ((o = next_option(p, meter_opts, &t)) != OPT_END) {
		if (o == OPT_UNKNOWN) {
			conf_errt(&p->lx, &t, "expected a meter option (cir, cbs, "
			    "ebs, pir, pbs, green, yellow, red, color-aware or "
			    "color-blind) in meter \"%s\", got %s", md.name,
			    DESC(&t, d));
			return -1;
		}
		if ((seen & (1u << o)) || (o == M_AWARE &&
		    (seen & (1u << M_BLIND))) || (o == M_BLIND &&
		    (seen & (1u << M_AWARE)))) {
			conf_errt(&p->lx, &t, "\"%s\" given twice in meter \"%s\"",
			    o == M_AWARE || o == M_BLIND ? "color-aware/blind" :
			    t.text, md.name);
			return -1;
		}
		seen |= 1u << o;
		if (o == M_PIR)
			pir_line = t.line;
		if (meter_option(p, &t, o, &md.conf) == -1)
			return -1;
	}
	if (meter_check(p, kw, md.name, &md.conf, seen, pir_line) == -1)
		return -1;
	if (cf->nmeters == p->qx.meters_cap) {
		size_t cap = p->qx.meters_cap ? p->qx.meters_cap * 2 : 4;

		if ((nm = reallocarray(cf->meters, cap, sizeof(*nm))) == NULL) {
			conf_errt(&p->lx, kw, "out of memory");
			return -1;
		}
		cf->meters = nm;
		if ((nf = reallocarray(p->qx.meter_files, cap,
		    sizeof(*nf))) == NULL) {
			conf_errt(&p->lx, kw, "out of memory");
			return -1;
		}
		p->qx.meter_files = nf;
		p->qx.meters_cap = cap;
	}
	p->qx.meter_files[cf->nmeters] = kw->file;
	cf->meters[cf->nmeters++] = md;
	return 0;
}
