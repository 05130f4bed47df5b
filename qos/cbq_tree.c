/* CBQ class tree: the checks of a configuration, allocation of the rings,
 * and the per-class statistics. Scheduling is in cbq_sched.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qos/cbq_int.h"

#define EST_TICK_NS	125000000ULL	/* 8 ticks a second, weight 1/8 */
#define EST_IDLE_MAX	256		/* (7/8)^256: the average is 0 */

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* floor(rate * ms / 8000): the bytes a class drains in ms at rate, split
 * so that 100 Gbit/s times 2^32 ms does not overflow. */
static uint64_t
ms_to_bytes(uint64_t rate, uint32_t ms)
{
	return (rate / 8000) * ms + (rate % 8000) * ms / 8000;
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Checks what does not depend on the tree's shape. */
static int
check_class(const struct cbq_conf *conf, size_t i, char *err, size_t err_len)
{
	const struct cbq_class_conf *cc = &conf->classes[i];
	uint64_t ceil = cc->borrow ? cc->ceil : cc->rate;
	size_t j;

	if (memchr(cc->name, '\0', sizeof(cc->name)) == NULL ||
	    cc->name[0] == '\0') {
		seterr(err, err_len, "class %zu has no name", i);
		return -1;
	}
	for (j = 0; j < i; j++)
		if (strcmp(conf->classes[j].name, cc->name) == 0) {
			seterr(err, err_len, "class \"%s\" is defined twice",
			    cc->name);
			return -1;
		}
	if (cc->parent < -1 || cc->parent >= (int)conf->nclasses ||
	    cc->parent == (int)i) {
		seterr(err, err_len, "class \"%s\": parent %d does not exist",
		    cc->name, cc->parent);
		return -1;
	}
	if (cc->rate == 0) {
		seterr(err, err_len, "class \"%s\": rate must be above 0",
		    cc->name);
		return -1;
	}
	if (cc->borrow && ceil == 0)
		ceil = conf->bandwidth;
	if (ceil < cc->rate) {
		seterr(err, err_len, "class \"%s\": ceil %" PRIu64
		    " below rate %" PRIu64, cc->name, ceil, cc->rate);
		return -1;
	}
	if (ceil > conf->bandwidth) {
		seterr(err, err_len, "class \"%s\": %s %" PRIu64
		    " above the bandwidth %" PRIu64, cc->name,
		    cc->borrow ? "ceil" : "rate", ceil, conf->bandwidth);
		return -1;
	}
	if (cc->prio > CBQ_PRIO_MAX) {
		seterr(err, err_len, "class \"%s\": priority %u above %u",
		    cc->name, cc->prio, CBQ_PRIO_MAX);
		return -1;
	}
	/* Only leaves queue: an interior class's limit is not looked at. */
	for (j = 0; j < conf->nclasses; j++)
		if (conf->classes[j].parent == (int)i)
			return 0;
	if (cc->limit_kind != CBQ_LIMIT_PACKETS &&
	    cc->limit_kind != CBQ_LIMIT_BYTES && cc->limit_kind != CBQ_LIMIT_MS) {
		seterr(err, err_len, "class \"%s\": unknown limit kind",
		    cc->name);
		return -1;
	}
	if (cc->limit == 0) {
		seterr(err, err_len, "class \"%s\": limit must be above 0",
		    cc->name);
		return -1;
	}
	if (cc->limit_kind == CBQ_LIMIT_PACKETS && cc->limit > CBQ_RING_MAX) {
		seterr(err, err_len, "class \"%s\": limit %u packets above %u",
		    cc->name, cc->limit, CBQ_RING_MAX);
		return -1;
	}
	return 0;
}

/* Orders parents before children; fails on a loop. */
static int
sort_tree(const struct cbq_conf *conf, unsigned *order, char *err,
    size_t err_len)
{
	bool done[CBQ_CLASSES_MAX] = { false };
	size_t n = conf->nclasses, k = 0, i;
	bool progress = true;

	while (k < n && progress) {
		progress = false;
		for (i = 0; i < n; i++) {
			int p = conf->classes[i].parent;

			if (done[i] || (p != -1 && !done[p]))
				continue;
			done[i] = true;
			order[k++] = (unsigned)i;
			progress = true;
		}
	}
	if (k < n) {
		for (i = 0; i < n && done[i]; i++)
			;
		seterr(err, err_len, "class \"%s\": its parents form a loop",
		    conf->classes[i].name);
		return -1;
	}
	return 0;
}

/* Children's guaranteed rates must fit in their parent's (Floyd and
 * Jacobson 1995, section 2: link-sharing guidelines), top-level ones in
 * the link. */
static int
check_sums(const struct cbq_conf *conf, char *err, size_t err_len)
{
	uint64_t sum[CBQ_CLASSES_MAX] = { 0 }, top = 0;
	size_t i;

	for (i = 0; i < conf->nclasses; i++) {
		int p = conf->classes[i].parent;

		if (p == -1)
			top += conf->classes[i].rate;
		else
			sum[p] += conf->classes[i].rate;
	}
	if (top > conf->bandwidth) {
		seterr(err, err_len, "top-level classes' rates %" PRIu64
		    " exceed the bandwidth %" PRIu64, top, conf->bandwidth);
		return -1;
	}
	for (i = 0; i < conf->nclasses; i++)
		if (sum[i] > conf->classes[i].rate) {
			seterr(err, err_len, "class \"%s\": children's rates %"
			    PRIu64 " exceed its rate %" PRIu64,
			    conf->classes[i].name, sum[i],
			    conf->classes[i].rate);
			return -1;
		}
	return 0;
}

static int
check_default(const struct cbq_conf *conf, const struct cbq *q, char *err,
    size_t err_len)
{
	int def = -1;
	size_t i;

	for (i = 0; i < conf->nclasses; i++) {
		if (!conf->classes[i].is_default)
			continue;
		if (def != -1) {
			seterr(err, err_len, "classes \"%s\" and \"%s\" are "
			    "both default", conf->classes[def].name,
			    conf->classes[i].name);
			return -1;
		}
		def = (int)i;
	}
	if (def == -1) {
		seterr(err, err_len, "no default class");
		return -1;
	}
	if (!q->cls[def].leaf) {
		seterr(err, err_len, "default class \"%s\" has children; it "
		    "must be a leaf", conf->classes[def].name);
		return -1;
	}
	return 0;
}

/* Slots for the ring: the packet limit, or the byte bound divided by the
 * smallest packet, capped at CBQ_RING_MAX (a full ring drops like a full
 * limit). */
static void
size_ring(struct cbq_cls *c, const struct cbq_class_conf *cc, uint64_t ceil)
{
	uint64_t slots;

	c->limit_kind = cc->limit_kind;
	switch (cc->limit_kind) {
	case CBQ_LIMIT_PACKETS:
		c->limit = cc->limit;
		break;
	case CBQ_LIMIT_BYTES:
		c->limit = cc->limit;
		break;
	case CBQ_LIMIT_MS:
		/* What the class can drain in that time at the most it may
		 * get; the age itself is enforced at dequeue (max_age_ns). */
		c->limit = ms_to_bytes(ceil, cc->limit);
		c->max_age_ns = (uint64_t)cc->limit * 1000000ULL;
		break;
	}
	slots = c->limit;
	if (cc->limit_kind != CBQ_LIMIT_PACKETS)
		slots = c->limit / CBQ_MIN_PKT + 1;
	if (slots > CBQ_RING_MAX)
		slots = CBQ_RING_MAX;
	c->cap = (uint32_t)slots;
}

static void
init_class(struct cbq *q, unsigned i, const struct cbq_conf *conf,
    uint64_t now_ns)
{
	const struct cbq_class_conf *cc = &conf->classes[i];
	struct cbq_cls *c = &q->cls[i];
	uint64_t ceil = cc->borrow ? cc->ceil : cc->rate;

	if (cc->borrow && ceil == 0)
		ceil = conf->bandwidth;
	memcpy(c->name, cc->name, sizeof(c->name));
	c->parent = cc->parent;
	c->prio = cc->prio;
	/* Bursts of 10 ms at the rate, at least one max-size packet. */
	tb_init(&c->rb, cc->rate, max_u64(CBQ_MTU, cc->rate / 800), now_ns);
	tb_init(&c->cb, ceil, max_u64(CBQ_MTU, ceil / 800), now_ns);
	/* DRR quantum: 10 ms at the rate, at least one max-size packet, so
	 * classes of one priority share excess in proportion to rate. */
	c->quantum = (int64_t)max_u64(CBQ_MTU, cc->rate / 800);
	c->deficit = c->quantum;
	c->codel_on = cc->codel;
	codel_init(&c->cd, cc->codel_target_us, cc->codel_interval_us);
	size_ring(c, cc, ceil);
	c->est_tick = now_ns / EST_TICK_NS;
}

struct cbq *
cbq_new(const struct cbq_conf *conf, char *err, size_t err_len)
{
	struct cbq *q;
	size_t i;
	int k;

	if (conf->bandwidth == 0 || conf->bandwidth > CBQ_BW_MAX) {
		seterr(err, err_len, "bandwidth %" PRIu64 " must be between 1 "
		    "and %" PRIu64 " bit/s", conf->bandwidth,
		    (uint64_t)CBQ_BW_MAX);
		return NULL;
	}
	if (conf->nclasses == 0 || conf->nclasses > CBQ_CLASSES_MAX) {
		seterr(err, err_len, "%zu classes: there must be 1 to %d",
		    conf->nclasses, CBQ_CLASSES_MAX);
		return NULL;
	}
	for (i = 0; i < conf->nclasses; i++)
		if (check_class(conf, i, err, err_len) == -1)
			return NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		seterr(err, err_len, "out of memory");
		return NULL;
	}
	q->n = (unsigned)conf->nclasses;
	if (sort_tree(conf, q->order, err, err_len) == -1 ||
	    check_sums(conf, err, err_len) == -1)
		goto fail;
	if ((q->cls = calloc(q->n, sizeof(*q->cls))) == NULL) {
		seterr(err, err_len, "out of memory");
		goto fail;
	}
	for (i = 0; i < q->n; i++) {
		q->cls[i].leaf = true;
		q->cls[i].parent = conf->classes[i].parent;
	}
	/* Heights, children first: a leaf is 0, a parent 1 + its highest
	 * child, the link 1 + its highest class. Borrowers are served by
	 * the lowest lender first, as in HTB. */
	for (k = (int)q->n - 1; k >= 0; k--) {
		struct cbq_cls *c = &q->cls[q->order[k]];

		if (c->parent == -1) {
			if (q->link_height < c->height + 1)
				q->link_height = c->height + 1;
			continue;
		}
		q->cls[c->parent].leaf = false;
		if (q->cls[c->parent].height < c->height + 1)
			q->cls[c->parent].height = c->height + 1;
	}
	if (check_default(conf, q, err, err_len) == -1)
		goto fail;
	q->bandwidth = conf->bandwidth;
	q->blocked = -1;
	/* The link paces at bandwidth with a burst of one max-size packet
	 * (or 1 ms at high rates, so a timer that fires late loses little):
	 * vpntund is the bottleneck queue and must never exceed it. */
	tb_init(&q->link, conf->bandwidth,
	    max_u64(CBQ_MTU, conf->bandwidth / 8000), 0);
	for (i = 0; i < q->n; i++) {
		if (conf->classes[i].is_default)
			q->def = (unsigned)i;
		init_class(q, (unsigned)i, conf, 0);
		if (!q->cls[i].leaf)
			continue;
		q->cls[i].ring = calloc(q->cls[i].cap, sizeof(struct cbq_item));
		if (q->cls[i].ring == NULL) {
			seterr(err, err_len, "out of memory for class \"%s\"",
			    q->cls[i].name);
			goto fail;
		}
	}
	return q;
fail:
	cbq_free(q);
	return NULL;
}

void
cbq_free(struct cbq *q)
{
	unsigned i;

	if (q == NULL)
		return;
	if (q->cls != NULL)
		for (i = 0; i < q->n; i++)
			free(q->cls[i].ring);
	free(q->cls);
	free(q);
}

size_t
cbq_nclasses(const struct cbq *q)
{
	return q->n;
}

const char *
cbq_class_name(const struct cbq *q, unsigned cls)
{
	return cls < q->n ? q->cls[cls].name : NULL;
}

bool
cbq_class_is_leaf(const struct cbq *q, unsigned cls)
{
	return cls < q->n && q->cls[cls].leaf;
}

unsigned
cbq_default_class(const struct cbq *q)
{
	return q->def;
}

/* Closes the ticks up to now: avg += (tick_rate - avg) / 8 per tick. */
static void
est_fold(uint64_t *tick, uint64_t *bytes, uint64_t *avg, uint64_t now_ns)
{
	uint64_t t = now_ns / EST_TICK_NS, idle;

	if (t <= *tick)
		return;
	*avg = *avg - *avg / 8 + (*bytes * 8 * (CBQ_NS / EST_TICK_NS) << 8) / 8;
	idle = t - *tick - 1;
	if (idle > EST_IDLE_MAX)
		*avg = 0;
	for (; idle > 0 && *avg > 0; idle--)
		*avg -= *avg / 8;
	*tick = t;
	*bytes = 0;
}

void
cbq_est_add(struct cbq_cls *c, uint64_t now_ns, uint64_t bytes)
{
	est_fold(&c->est_tick, &c->est_bytes, &c->est_avg, now_ns);
	c->est_bytes += bytes;
}

uint64_t
cbq_est_rate(const struct cbq_cls *c, uint64_t now_ns)
{
	uint64_t tick = c->est_tick, bytes = c->est_bytes, avg = c->est_avg;

	est_fold(&tick, &bytes, &avg, now_ns);
	return avg >> 8;
}

static bool
is_under(const struct cbq *q, unsigned leaf, unsigned anc)
{
	int x;

	for (x = q->cls[leaf].parent; x != -1; x = q->cls[x].parent)
		if ((unsigned)x == anc)
			return true;
	return false;
}

/* An interior class's queue is its leaves' queues: the sum of their
 * lengths and the oldest head. */
static void
interior_queue(const struct cbq *q, unsigned cls, uint64_t now_ns,
    struct cbq_class_stats *st)
{
	unsigned i;

	for (i = 0; i < q->n; i++) {
		const struct cbq_cls *c = &q->cls[i];
		uint64_t d;

		if (!c->leaf || c->len == 0 || !is_under(q, i, cls))
			continue;
		st->qlen += c->len;
		st->qbytes += c->qbytes;
		d = now_ns > c->ring[c->head].enq_ns ?
		    now_ns - c->ring[c->head].enq_ns : 0;
		if (d > st->qdelay_ns)
			st->qdelay_ns = d;
	}
}

void
cbq_class_stats(const struct cbq *q, unsigned cls, uint64_t now_ns,
    struct cbq_class_stats *st)
{
	const struct cbq_cls *c;

	memset(st, 0, sizeof(*st));
	if (cls >= q->n)
		return;
	c = &q->cls[cls];
	if (!c->leaf) {
		interior_queue(q, cls, now_ns, st);
		c = &q->cls[cls];
	}
	st->packets = c->packets;
	st->bytes = c->bytes;
	st->drops = c->drops;
	st->drop_bytes = c->drop_bytes;
	st->marks = c->marks;
	st->borrowed = c->borrowed;
	st->rate = cbq_est_rate(c, now_ns);
	if (!c->leaf)
		return;
	st->qlen = c->len;
	st->qbytes = c->qbytes;
	if (c->len > 0 && now_ns > c->ring[c->head].enq_ns)
		st->qdelay_ns = now_ns - c->ring[c->head].enq_ns;
}
