/* CBQ link sharing (Floyd and Jacobson 1995) with HTB's token-bucket
 * rules: a class with rate tokens sends on its own ("can send"); one
 * without, but with ceil tokens, borrows from the lowest ancestor that
 * still has rate tokens ("may borrow"), or from the link itself if it is
 * a top-level class; one without ceil tokens waits. Among the classes
 * that may send at the lowest level the lowest priority number goes
 * first, and deficit round robin shares a priority.
 *
 * The link bucket paces the whole at bandwidth, as tbf does: a packet
 * goes only when the bucket holds all of its bytes. What leaves is then
 * within (bandwidth, burst) at every moment, so a modem with a burst of
 * one packet never queues. It also moves the wait behind a big packet to
 * the big packet itself: it waits until the bucket has refilled, and a
 * voice packet that arrives just after it finds the bucket holding what
 * the big one left, and waits only for its own bytes, not for the big
 * one's 94 ms at 128 kbit/s. (HTB lets a class within its rate go past
 * the link's bucket, which gets the same effect by queueing in the modem,
 * where the classes are not known.) */
#include <stdint.h>

#include "qos/cbq_int.h"

enum mode { M_CANT, M_MAY, M_CAN };

static enum mode
mode_of(const struct cbq_cls *c)
{
	if (c->cb.tokens < 0)
		return M_CANT;
	return c->rb.tokens >= 0 ? M_CAN : M_MAY;
}

int
cbq_enqueue(struct cbq *q, unsigned cls, const struct cbq_item *it,
    uint64_t now_ns)
{
	struct cbq_cls *c;
	struct cbq_item *slot;
	bool full;

	if (cls >= q->n || !q->cls[cls].leaf)
		return -1;
	c = &q->cls[cls];
	if (it->wire_len > CBQ_WIRE_MAX)
		full = true;	/* keeps len * 8e9 within the token counts */
	else if (c->limit_kind == CBQ_LIMIT_PACKETS)
		full = c->len >= c->limit;
	else
		/* An empty queue takes one packet whatever its size, so a
		 * limit below one packet cannot black-hole the class. */
		full = c->len > 0 && c->qbytes + it->wire_len > c->limit;
	if (full || c->len >= c->cap) {
		c->drops++;
		c->drop_bytes += it->wire_len;
		return -1;
	}
	slot = &c->ring[(c->head + c->len) % c->cap];
	*slot = *it;
	slot->enq_ns = now_ns;
	c->len++;
	c->qbytes += it->wire_len;
	q->queued++;
	q->blocked = -1;	/* the newcomer may win: choose again */
	return 0;
}

static void
ring_pop(struct cbq *q, struct cbq_cls *c, struct cbq_item *out)
{
	*out = c->ring[c->head];
	c->head = (c->head + 1) % c->cap;
	c->len--;
	c->qbytes -= out->wire_len;
	q->queued--;
	if (c->len == 0) {
		/* RFC 8289 5.5: an empty queue leaves the dropping state. */
		c->cd.first_above_ns = 0;
		c->cd.dropping = false;
	}
}

bool
cbq_pop(struct cbq *q, unsigned cls, struct cbq_item *out)
{
	if (cls >= q->n || q->cls[cls].len == 0)
		return false;
	ring_pop(q, &q->cls[cls], out);
	q->blocked = -1;
	return true;
}

static void
drop_item(struct cbq_cls *c, const struct cbq_item *it, cbq_drop_cb drop_cb,
    void *arg)
{
	c->drops++;
	c->drop_bytes += it->wire_len;
	if (drop_cb != NULL)
		drop_cb(it->pkt, arg);
}

/* Pops the head and runs the RFC 8289 sojourn test on it. */
static bool
codel_pop(struct cbq *q, struct cbq_cls *c, uint64_t now_ns,
    struct cbq_item *out)
{
	uint64_t sojourn;

	ring_pop(q, c, out);
	sojourn = now_ns > out->enq_ns ? now_ns - out->enq_ns : 0;
	return codel_ok_to_drop(&c->cd, sojourn, c->qbytes, now_ns);
}

/* RFC 8289 5.5 dequeue() for one class, with ECN (section 5.1 of RFC
 * 8289 and RFC 3168): a signal on an ECT packet marks it CE and sends it;
 * on another packet drops it and considers the next. False if the class
 * ran empty. */
static bool
take(struct cbq *q, struct cbq_cls *c, uint64_t now_ns, struct cbq_item *out,
    bool *mark_ce, cbq_drop_cb drop_cb, void *arg)
{
	struct codel *cd = &c->cd;
	bool ok;

	if (!c->codel_on) {
		ring_pop(q, c, out);
		return true;
	}
	ok = codel_pop(q, c, now_ns, out);
	if (cd->dropping) {
		if (!ok)
			cd->dropping = false;
		while (cd->dropping && now_ns >= cd->drop_next_ns) {
			cd->count++;
			if (out->ect) {
				c->marks++;
				*mark_ce = true;
				cd->drop_next_ns = codel_control_law(cd,
				    cd->drop_next_ns, cd->count);
				return true;
			}
			drop_item(c, out, drop_cb, arg);
			if (c->len == 0)
				return false;
			if (!codel_pop(q, c, now_ns, out))
				cd->dropping = false;
			else
				cd->drop_next_ns = codel_control_law(cd,
				    cd->drop_next_ns, cd->count);
		}
	} else if (ok) {
		codel_start_dropping(cd, now_ns);
		if (out->ect) {
			c->marks++;
			*mark_ce = true;
			return true;
		}
		drop_item(c, out, drop_cb, arg);
		if (c->len == 0)
			return false;
		/* The RFC sends the next packet whatever its sojourn. */
		(void)codel_pop(q, c, now_ns, out);
	}
	return true;
}

/* The class a leaf would send through now: itself, a lending ancestor,
 * the link, or CBQ_NONE. Parents come first in q->order, so a class that
 * may borrow inherits its parent's answer. */
static void
find_lenders(const struct cbq *q, int *lender)
{
	unsigned k;

	for (k = 0; k < q->n; k++) {
		unsigned i = q->order[k];
		const struct cbq_cls *c = &q->cls[i];

		switch (mode_of(c)) {
		case M_CAN:
			lender[i] = (int)i;
			break;
		case M_CANT:
			lender[i] = CBQ_NONE;
			break;
		case M_MAY:
			lender[i] = c->parent == -1 ? CBQ_LINK :
			    lender[c->parent];
			break;
		}
	}
}

static unsigned
lender_height(const struct cbq *q, int lender)
{
	return lender == CBQ_LINK ? q->link_height : q->cls[lender].height;
}

/* The next class of mask after c, wrapping around. */
static unsigned
next_in(uint64_t mask, unsigned c)
{
	uint64_t above = mask & ~((2ULL << c) - 1);

	return (unsigned)__builtin_ctzll(above != 0 ? above : mask);
}

/* Picks the backlogged leaf to serve: lowest lender height (its own rate
 * is height 0), then lowest priority number, then deficit round robin. */
static int
pick(struct cbq *q, const int *lender)
{
	unsigned i, h, best_h = CBQ_LEVELS, best_p = 0, c;
	uint64_t mask = 0;

	for (i = 0; i < q->n; i++) {
		const struct cbq_cls *cl = &q->cls[i];

		if (!cl->leaf || cl->len == 0 || lender[i] == CBQ_NONE)
			continue;
		h = lender_height(q, lender[i]);
		if (h < best_h || (h == best_h && cl->prio < best_p)) {
			best_h = h;
			best_p = cl->prio;
			mask = 0;
		}
		if (h == best_h && cl->prio == best_p)
			mask |= 1ULL << i;
	}
	if (mask == 0)
		return -1;
	c = q->rr[best_h][best_p];
	if ((mask & (1ULL << c)) == 0)
		c = next_in(mask, c);
	while (q->cls[c].deficit <= 0) {
		q->cls[c].deficit += q->cls[c].quantum;
		c = next_in(mask, c);
	}
	q->rr[best_h][best_p] = c;
	return (int)c;
}

/* Classes below the lender pay only their ceil (HTB's rule): charging
 * their rate bucket too would leave a borrower so deep in debt that it
 * lost its own guarantee once the lender became busy. The lender and
 * everything above it pay both, and the link pays for everything. The
 * counters of interior classes sum their leaves'. */
static void
charge(struct cbq *q, unsigned leaf, int lender, uint64_t len,
    uint64_t now_ns)
{
	bool below = (int)leaf != lender;
	struct cbq_cls *c;
	int x;

	for (x = (int)leaf; x != -1; x = c->parent) {
		c = &q->cls[x];
		if (x == lender)
			below = false;
		tb_charge(&c->cb, len);
		if (below)
			c->borrowed += len;
		else
			tb_charge(&c->rb, len);
		c->packets++;
		c->bytes += len;
		cbq_est_add(c, now_ns, len);
	}
	tb_charge(&q->link, len);
}

/* The bytes the link bucket must hold to send a packet of len: all of
 * it, or the whole burst for a packet larger than the burst. */
static uint64_t
link_need(const struct cbq *q, uint64_t len)
{
	uint64_t burst = (uint64_t)q->link.burst / (8 * CBQ_NS);

	return len < burst ? len : burst;
}

/* `limit N ms`: a packet that has waited N ms is stale (late audio or
 * video is worse than none) and is dropped from the head before anything
 * is chosen, so the class's next packet is a fresh one. */
static void
expire(struct cbq *q, uint64_t now_ns, cbq_drop_cb drop_cb, void *arg)
{
	struct cbq_item it;
	unsigned i;

	for (i = 0; i < q->n; i++) {
		struct cbq_cls *c = &q->cls[i];

		if (c->max_age_ns == 0)
			continue;
		while (c->len > 0 && now_ns > c->ring[c->head].enq_ns &&
		    now_ns - c->ring[c->head].enq_ns > c->max_age_ns) {
			ring_pop(q, c, &it);
			drop_item(c, &it, drop_cb, arg);
		}
	}
}

bool
cbq_dequeue(struct cbq *q, uint64_t now_ns, struct cbq_item *out,
    unsigned *cls, bool *mark_ce, cbq_drop_cb drop_cb, void *arg)
{
	int lender[CBQ_CLASSES_MAX];
	struct cbq_cls *c;
	unsigned i;
	int l;

	*mark_ce = false;
	q->blocked = -1;
	expire(q, now_ns, drop_cb, arg);
	if (q->queued == 0)
		return false;
	tb_sync(&q->link, now_ns);
	for (i = 0; i < q->n; i++) {
		tb_sync(&q->cls[i].rb, now_ns);
		tb_sync(&q->cls[i].cb, now_ns);
	}
	find_lenders(q, lender);
	for (;;) {
		if ((l = pick(q, lender)) == -1)
			return false;
		c = &q->cls[l];
		/* The chosen packet waits for the link rather than letting a
		 * smaller, less urgent one through: that would starve big
		 * packets of a high-priority class. If CoDel then drops the
		 * head, the next packet may owe the link a little more than
		 * the bucket held; the long-run rate is exact all the same. */
		if (q->link.tokens < (int64_t)(link_need(q,
		    c->ring[c->head].wire_len) * 8 * CBQ_NS)) {
			q->blocked = l;
			return false;
		}
		q->blocked = -1;
		if (!take(q, c, now_ns, out, mark_ce, drop_cb, arg))
			continue;	/* CoDel dropped all it had */
		charge(q, (unsigned)l, lender[l], out->wire_len, now_ns);
		c->deficit -= (int64_t)out->wire_len;
		*cls = (unsigned)l;
		return true;
	}
}

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The first time a leaf could send: on its own tokens, or through an
 * ancestor with rate tokens when every class on the way has ceil tokens,
 * or through the link. */
static uint64_t
leaf_ready_ns(const struct cbq *q, unsigned leaf, uint64_t now_ns)
{
	const struct cbq_cls *c = &q->cls[leaf];
	uint64_t run, best, rc;
	int x;

	run = tb_ready_ns(&c->cb, now_ns);
	best = max64(run, tb_ready_ns(&c->rb, now_ns));
	for (x = c->parent; x != -1; x = q->cls[x].parent) {
		rc = tb_ready_ns(&q->cls[x].cb, now_ns);
		best = min64(best, max64(max64(run, rc),
		    tb_ready_ns(&q->cls[x].rb, now_ns)));
		run = max64(run, rc);
	}
	return min64(best, run);
}

/* When the link bucket holds what a packet of len needs. */
static uint64_t
link_ready_ns(const struct cbq *q, uint64_t len, uint64_t now_ns)
{
	struct tbucket owed = q->link;

	owed.tokens -= (int64_t)(link_need(q, len) * 8 * CBQ_NS);
	return tb_ready_ns(&owed, now_ns);
}

/* When leaf i could next change the scheduler's choice: when it may send
 * at all, if it may not now; when it can send on its own rate, if it
 * borrows now (that lowers its level, and may make it win). */
static uint64_t
leaf_change_ns(const struct cbq *q, unsigned i, uint64_t now_ns)
{
	const struct cbq_cls *c = &q->cls[i];
	uint64_t t = leaf_ready_ns(q, i, now_ns);

	if (t <= now_ns && tb_peek(&c->rb, now_ns) < 0)
		t = tb_ready_ns(&c->rb, now_ns);
	return t;
}

uint64_t
cbq_next_ns(const struct cbq *q, uint64_t now_ns)
{
	uint64_t best = UINT64_MAX, t;
	const struct cbq_cls *c;
	unsigned i;

	if (q->queued == 0)
		return UINT64_MAX;
	/* The packet chosen last waits for the link: it goes then, unless
	 * another class's change comes first and it wins. */
	if (q->blocked >= 0 && q->cls[q->blocked].len > 0) {
		c = &q->cls[q->blocked];
		best = link_ready_ns(q, c->ring[c->head].wire_len, now_ns);
	}
	for (i = 0; i < q->n; i++) {
		c = &q->cls[i];
		if (!c->leaf || c->len == 0 || (int)i == q->blocked)
			continue;
		t = q->blocked >= 0 ? leaf_change_ns(q, i, now_ns) :
		    leaf_ready_ns(q, i, now_ns);
		if (q->blocked >= 0 && t <= now_ns)
			continue;	/* lost to the blocked one, and still would */
		best = min64(best, max64(t, link_ready_ns(q,
		    c->ring[c->head].wire_len, now_ns)));
	}
	return best;
}
