/* CBQ scheduler on a simulated clock: pacing accuracy, rates, borrowing,
 * priorities, limits, the hierarchy checks, CoDel, stats. The clock jumps
 * to cbq_next_ns each time nothing may be sent, as the daemon's timer
 * would, so a minute of traffic takes milliseconds. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qos/cbq.h"

#define NS	1000000000ULL
#define MS	1000000ULL
#define LINK_BURST	1600	/* bytes, qos/cbq_int.h CBQ_MTU */

struct sim {
	struct cbq *q;
	uint64_t    bw;
	uint64_t    now;
	uint64_t    start;                 /* of the current measurement */
	uint64_t    total;                 /* bytes sent since t = 0 */
	uint64_t    sent[CBQ_CLASSES_MAX]; /* bytes since start */
	uint64_t    npkts[CBQ_CLASSES_MAX];
	size_t      wire[CBQ_CLASSES_MAX]; /* packet size of a greedy class */
	bool        greedy[CBQ_CLASSES_MAX];
	bool        ect[CBQ_CLASSES_MAX];
	uint64_t    seq;
	uint64_t    marks, cb_drops;
	uint64_t    first_mark_ns;
	uint64_t    first_above_ns;        /* first dequeue with sojourn >= 5 ms */
	uint64_t    steps, early;          /* cbq_next_ns calls; early ones */
};

static void
drop_cb(void *pkt, void *arg)
{
	struct sim *s = arg;

	assert_non_null(pkt);
	s->cb_drops++;
}

static struct cbq_class_conf
cls(const char *name, int parent, uint64_t rate, uint64_t ceil, unsigned prio)
{
	struct cbq_class_conf c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.parent = parent;
	c.rate = rate;
	c.ceil = ceil;
	c.borrow = ceil > rate;
	c.prio = prio;
	c.limit_kind = CBQ_LIMIT_PACKETS;
	c.limit = 1000;
	return c;
}

static struct cbq *
mk(uint64_t bw, struct cbq_class_conf *cc, size_t n)
{
	struct cbq_conf conf = { bw, cc, n };
	char err[256] = "";
	struct cbq *q = cbq_new(&conf, err, sizeof(err));

	if (q == NULL)
		fail_msg("cbq_new: %s", err);
	return q;
}

static void
sim_init(struct sim *s, struct cbq *q, uint64_t bw)
{
	memset(s, 0, sizeof(*s));
	s->q = q;
	s->bw = bw;
}

/* Early wakes cost a scheduler pass each: they must stay rare. */
static void
sim_done(struct sim *s)
{
	print_message("%" PRIu64 " of %" PRIu64 " wakes early\n", s->early,
	    s->steps);
	assert_true(s->early * 20 <= s->steps);
	cbq_free(s->q);
}

static void
enq(struct sim *s, unsigned c, size_t len, bool ect)
{
	struct cbq_item it = { (void *)(uintptr_t)++s->seq, len, ect, 0 };

	assert_int_equal(cbq_enqueue(s->q, c, &it, s->now), 0);
}

static void
top_up(struct sim *s)
{
	struct cbq_class_stats st;
	unsigned c;

	for (c = 0; c < cbq_nclasses(s->q); c++) {
		if (!s->greedy[c])
			continue;
		cbq_class_stats(s->q, c, s->now, &st);
		for (; st.qlen < 8; st.qlen++)
			enq(s, c, s->wire[c], s->ect[c]);
	}
}

/* Sends everything that may go now; the link must never be ahead of
 * bandwidth by more than its burst. */
static void
drain_now(struct sim *s)
{
	struct cbq_item it;
	unsigned c;
	bool ce;

	top_up(s);
	while (cbq_dequeue(s->q, s->now, &it, &c, &ce, drop_cb, s)) {
		assert_true(c < cbq_nclasses(s->q));
		assert_true(cbq_class_is_leaf(s->q, c));
		s->sent[c] += it.wire_len;
		s->npkts[c]++;
		s->total += it.wire_len;
		if (ce) {
			assert_true(it.ect);
			if (s->marks++ == 0)
				s->first_mark_ns = s->now;
		}
		if (s->first_above_ns == 0 && s->now - it.enq_ns >= 5 * MS)
			s->first_above_ns = s->now;
		/* A packet goes only when the link bucket holds all of it:
		 * bytes * 8 * 1e9 <= bw * t + burst (in nanobits), the
		 * packet just sent included. */
		assert_true((double)s->total * 8 * NS <=
		    (double)s->bw * s->now + (double)LINK_BURST * 8 * NS);
		top_up(s);
	}
}

static void
run_until(struct sim *s, uint64_t end)
{
	uint64_t next, total, drops;
	bool stepped = false;
	unsigned early_run = 0;

	for (;;) {
		total = s->total;
		drops = s->cb_drops;
		drain_now(s);
		/* cbq_next_ns may be early when a class it expected to win
		 * the next choice does not (deficit round robin gives the
		 * turn to another, which then waits for the link): the call
		 * then finds nothing to send. Rare, and never a spin. */
		if (stepped && s->total == total && s->cb_drops == drops) {
			s->early++;
			assert_true(++early_run <= 3);
		} else {
			early_run = 0;
		}
		next = cbq_next_ns(s->q, s->now);
		if (next != UINT64_MAX)
			assert_true(next > s->now);
		if (next >= end) {
			s->now = end;
			return;
		}
		s->now = next;
		s->steps++;
		stepped = true;
	}
}

static void
measure(struct sim *s)
{
	memset(s->sent, 0, sizeof(s->sent));
	memset(s->npkts, 0, sizeof(s->npkts));
	s->start = s->now;
}

/* bit/s of class c since measure() */
static double
rate_of(const struct sim *s, unsigned c)
{
	return (double)s->sent[c] * 8 * NS / (double)(s->now - s->start);
}

static void
assert_near(double got, double want, double tol, const char *what)
{
	double err = (got - want) / want;

	print_message("%-34s %12.1f bit/s (want %.0f, %+.3f%%)\n", what, got,
	    want, err * 100);
	if (err > tol || err < -tol)
		fail_msg("%s: %.1f not within %.1f%% of %.0f", what, got,
		    tol * 100, want);
}

/* (a) One greedy class of 1500-byte packets: output paced at bandwidth. */
static void
pacing_at(uint64_t bw)
{
	struct cbq_class_conf cc[1] = { cls("all", -1, bw, bw, 0) };
	struct sim s;
	char what[64];

	cc[0].is_default = true;
	sim_init(&s, mk(bw, cc, 1), bw);
	s.greedy[0] = true;
	s.wire[0] = 1500;
	run_until(&s, 60 * NS);
	snprintf(what, sizeof(what), "pacing at %" PRIu64 " bit/s", bw);
	assert_near(rate_of(&s, 0), (double)bw, 0.01, what);
	/* Past the initial burst the rate is exact to one packet. */
	measure(&s);
	run_until(&s, 120 * NS);
	snprintf(what, sizeof(what), "steady pacing at %" PRIu64, bw);
	assert_near(rate_of(&s, 0), (double)bw, 0.0002, what);
	sim_done(&s);
}

static void
test_pacing(void **state)
{
	(void)state;
	pacing_at(128000);
	pacing_at(2000000);
	pacing_at(10000000);
}

/* (b) Two classes without borrowing each get their rate. */
static void
test_rates(void **state)
{
	struct cbq_class_conf cc[2] = {
		cls("a", -1, 64000, 0, 1), cls("b", -1, 32000, 0, 1) };
	struct sim s;

	(void)state;
	cc[0].is_default = true;
	sim_init(&s, mk(128000, cc, 2), 128000);
	s.greedy[0] = s.greedy[1] = true;
	s.wire[0] = 1500;
	s.wire[1] = 1000;
	run_until(&s, 2 * NS);
	measure(&s);
	run_until(&s, 62 * NS);
	assert_near(rate_of(&s, 0), 64000, 0.015, "rate a (64k, no borrow)");
	assert_near(rate_of(&s, 1), 32000, 0.015, "rate b (32k, no borrow)");
	assert_true(rate_of(&s, 0) + rate_of(&s, 1) <= 128000);
	sim_done(&s);
}

/* The paper's uplink: audio 64k, camera 10k, web 10k, video 20k that may
 * borrow up to the whole link. */
enum { AUDIO, CAMERA, WEB, VIDEO };

static struct cbq *
telemed(struct cbq_class_conf *cc)
{
	cc[AUDIO] = cls("audio", -1, 64000, 0, 1);
	cc[CAMERA] = cls("camera", -1, 10000, 0, 0);
	cc[WEB] = cls("web", -1, 10000, 0, 2);
	cc[VIDEO] = cls("video", -1, 20000, 128000, 3);
	cc[WEB].is_default = true;
	return mk(128000, cc, 4);
}

/* (c) and (i): video borrows what audio leaves, and the whole link once
 * audio stops; borrowed bytes are what it sent above its rate. */
static void
test_borrow(void **state)
{
	struct cbq_class_conf cc[4];
	struct cbq_class_stats st;
	struct sim s;
	uint64_t borrowed0;

	(void)state;
	sim_init(&s, telemed(cc), 128000);
	s.greedy[AUDIO] = s.greedy[VIDEO] = true;
	s.wire[AUDIO] = 200;
	s.wire[VIDEO] = 1500;
	run_until(&s, 2 * NS);
	measure(&s);
	cbq_class_stats(s.q, VIDEO, s.now, &st);
	borrowed0 = st.borrowed;
	run_until(&s, 62 * NS);
	assert_near(rate_of(&s, AUDIO), 64000, 0.02, "audio with video");
	assert_near(rate_of(&s, VIDEO), 64000, 0.02, "video with audio");
	assert_true(rate_of(&s, AUDIO) + rate_of(&s, VIDEO) <= 128000 * 1.001);

	/* Borrowed: what video sent above its 20 kbit/s. */
	cbq_class_stats(s.q, VIDEO, s.now, &st);
	assert_near((double)(st.borrowed - borrowed0) * 8 / 60,
	    rate_of(&s, VIDEO) - 20000, 0.03, "video borrowed");
	/* (i) the estimator agrees with what was sent. */
	assert_near((double)st.rate, rate_of(&s, VIDEO), 0.1,
	    "video rate estimate");
	cbq_class_stats(s.q, AUDIO, s.now, &st);
	assert_int_equal(st.borrowed, 0);
	assert_near((double)st.rate, rate_of(&s, AUDIO), 0.1,
	    "audio rate estimate");
	assert_int_equal(st.qlen, 8);
	assert_int_equal(st.qbytes, 8 * 200);

	s.greedy[AUDIO] = false;
	run_until(&s, 64 * NS);
	measure(&s);
	run_until(&s, 124 * NS);
	assert_int_equal(s.sent[AUDIO], 0);
	assert_near(rate_of(&s, VIDEO), 128000, 0.01, "video alone");
	sim_done(&s);
}

/* (d) A single audio packet arriving while video is backlogged waits at
 * most for its own bytes at the link rate: a 1500-byte video packet goes
 * only once the link bucket holds all of it, so it has paid for its 94 ms
 * before it leaves, and the audio packet finds what it left. (Before, the
 * link was allowed into debt by one packet and audio waited out the
 * whole 1500-byte serialization.) */
static void
test_priority_latency(void **state)
{
	struct cbq_class_conf cc[4];
	struct cbq_item it;
	struct sim s;
	uint64_t worst = 0, t_enq, bound;
	unsigned c, i;
	bool ce;

	(void)state;
	sim_init(&s, telemed(cc), 128000);
	s.greedy[VIDEO] = true;
	s.wire[VIDEO] = 1500;
	run_until(&s, 5 * NS);
	for (i = 0; i < 200; i++) {
		/* arrive at odd offsets within a packet time */
		run_until(&s, s.now + 37 * MS + (i * 7919 % 1000) * MS / 10);
		t_enq = s.now;
		enq(&s, AUDIO, 200, false);
		for (;;) {
			if (cbq_dequeue(s.q, s.now, &it, &c, &ce, drop_cb, &s)) {
				s.total += it.wire_len;
				if (c == AUDIO)
					break;
				continue;
			}
			s.now = cbq_next_ns(s.q, s.now);
		}
		if (s.now - t_enq > worst)
			worst = s.now - t_enq;
	}
	bound = 200 * 8 * NS / 128000;
	print_message("audio worst wait %.2f ms (bound %.2f ms)\n",
	    (double)worst / MS, (double)bound / MS);
	assert_true(worst <= bound);
	assert_true(worst > bound / 2);	/* the test did hit busy moments */
	sim_done(&s);
}

/* (d) Among classes that can send, prio 0 goes before prio 2. */
static void
test_priority_order(void **state)
{
	struct cbq_class_conf cc[2] = {
		cls("low", -1, 4000000, 0, 2), cls("high", -1, 4000000, 0, 0) };
	struct cbq_item it;
	struct sim s;
	unsigned c, i, order[6];
	bool ce;

	(void)state;
	cc[0].is_default = true;
	sim_init(&s, mk(10000000, cc, 2), 10000000);
	for (i = 0; i < 3; i++) {
		enq(&s, 0, 1000, false);
		enq(&s, 1, 1000, false);
	}
	for (i = 0; i < 6; i++) {
		while (!cbq_dequeue(s.q, s.now, &it, &c, &ce, NULL, NULL))
			s.now = cbq_next_ns(s.q, s.now);
		order[i] = c;
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(order[i], 1);
		assert_int_equal(order[i + 3], 0);
	}
	assert_int_equal(cbq_next_ns(s.q, s.now), UINT64_MAX);
	sim_done(&s);
}

/* (e) `limit N ms`: the queue holds what the class could send in N ms at
 * its ceiling, and a packet that has waited N ms is dropped (through the
 * drop callback, counted) instead of sent late. */
static void
test_limit_age(void **state)
{
	struct cbq_class_conf cc[2] = {
		cls("hi", -1, 64000, 0, 0), cls("v", -1, 8000, 128000, 3) };
	struct cbq_class_stats st;
	struct cbq_item it;
	struct sim s;
	unsigned c, i;
	bool ce;

	(void)state;
	cc[0].is_default = true;
	cc[1].limit_kind = CBQ_LIMIT_MS;
	cc[1].limit = 100;		/* 128 kbit/s * 100 ms = 1600 bytes */
	sim_init(&s, mk(128000, cc, 2), 128000);
	for (i = 0; i < 3; i++)
		enq(&s, 1, 500, false);
	it = (struct cbq_item){ NULL, 500, false, 0 };
	assert_int_equal(cbq_enqueue(s.q, 1, &it, 0), -1);
	assert_true(cbq_dequeue(s.q, 0, &it, &c, &ce, drop_cb, &s));
	assert_int_equal(c, 1);
	assert_ptr_equal(it.pkt, (void *)(uintptr_t)1);

	/* 100 ms old: still sent; 100 ms and 1 ns: stale */
	s.now = 100 * MS;
	assert_true(cbq_dequeue(s.q, s.now, &it, &c, &ce, drop_cb, &s));
	assert_ptr_equal(it.pkt, (void *)(uintptr_t)2);
	s.now = 100 * MS + 1;
	assert_false(cbq_dequeue(s.q, s.now, &it, &c, &ce, drop_cb, &s));
	assert_int_equal(s.cb_drops, 1);
	cbq_class_stats(s.q, 1, s.now, &st);
	assert_int_equal(st.qlen, 0);
	assert_int_equal(st.drops, 2);		/* the limit, and the stale one */
	assert_int_equal(st.drop_bytes, 1000);
	assert_int_equal(cbq_next_ns(s.q, s.now), UINT64_MAX);

	/* a fresh packet goes */
	enq(&s, 1, 500, false);
	assert_true(cbq_dequeue(s.q, s.now, &it, &c, &ce, drop_cb, &s));
	assert_ptr_equal(it.pkt, (void *)(uintptr_t)4);
	sim_done(&s);
}

/* (e) Limits drop at the boundary and count what they drop. */
static void
test_limits(void **state)
{
	struct cbq_class_conf cc[4] = {
		cls("pk", -1, 64000, 0, 0), cls("by", -1, 32000, 0, 0),
		cls("ms", -1, 16000, 0, 0), cls("tiny", -1, 8000, 0, 0) };
	struct cbq_class_stats st;
	struct cbq_item it = { NULL, 0, false, 0 };
	struct cbq *q;
	unsigned i;

	(void)state;
	cc[0].limit = 5;
	cc[1].limit_kind = CBQ_LIMIT_BYTES;
	cc[1].limit = 3000;
	cc[2].limit_kind = CBQ_LIMIT_MS;
	cc[2].limit = 400;		/* 16 kbit/s * 400 ms = 800 bytes */
	cc[3].limit_kind = CBQ_LIMIT_BYTES;
	cc[3].limit = 640;		/* ten 64-byte packets */
	cc[0].is_default = true;
	q = mk(128000, cc, 4);

	it.wire_len = 100;
	for (i = 0; i < 5; i++)
		assert_int_equal(cbq_enqueue(q, 0, &it, 0), 0);
	assert_int_equal(cbq_enqueue(q, 0, &it, 0), -1);
	cbq_class_stats(q, 0, 0, &st);
	assert_int_equal(st.qlen, 5);
	assert_int_equal(st.drops, 1);
	assert_int_equal(st.drop_bytes, 100);

	it.wire_len = 1000;
	for (i = 0; i < 3; i++)
		assert_int_equal(cbq_enqueue(q, 1, &it, 0), 0);
	it.wire_len = 1;
	assert_int_equal(cbq_enqueue(q, 1, &it, 0), -1);
	cbq_class_stats(q, 1, 0, &st);
	assert_int_equal(st.qbytes, 3000);
	assert_int_equal(st.drops, 1);
	assert_int_equal(st.drop_bytes, 1);

	it.wire_len = 400;
	assert_int_equal(cbq_enqueue(q, 2, &it, 0), 0);
	assert_int_equal(cbq_enqueue(q, 2, &it, 0), 0);
	it.wire_len = 1;
	assert_int_equal(cbq_enqueue(q, 2, &it, 0), -1);
	cbq_class_stats(q, 2, 0, &st);
	assert_int_equal(st.qbytes, 800);
	assert_int_equal(st.drops, 1);

	/* the ring holds limit / 64 + 1 slots */
	it.wire_len = 64;
	for (i = 0; i < 10; i++)
		assert_int_equal(cbq_enqueue(q, 3, &it, 0), 0);
	assert_int_equal(cbq_enqueue(q, 3, &it, 0), -1);
	/* an empty queue takes one packet even above a byte limit */
	cbq_free(q);
	cc[3].limit = 100;
	q = mk(128000, cc, 4);
	it.wire_len = 1500;
	assert_int_equal(cbq_enqueue(q, 3, &it, 0), 0);
	assert_int_equal(cbq_enqueue(q, 3, &it, 0), -1);
	/* a large byte limit is bounded by the ring's 16384 slots */
	cbq_free(q);
	cc[3].limit = 10000000;
	q = mk(128000, cc, 4);
	it.wire_len = 64;
	for (i = 0; i < 16384; i++)
		assert_int_equal(cbq_enqueue(q, 3, &it, 0), 0);
	assert_int_equal(cbq_enqueue(q, 3, &it, 0), -1);
	cbq_class_stats(q, 3, 0, &st);
	assert_int_equal(st.qlen, 16384);
	assert_int_equal(st.drops, 1);
	/* no such class; an absurd size */
	assert_int_equal(cbq_enqueue(q, 4, &it, 0), -1);
	it.wire_len = (size_t)1 << 21;
	assert_int_equal(cbq_enqueue(q, 0, &it, 0), -1);
	cbq_free(q);
}

/* (e) An interior class holds nothing. */
static void
test_interior(void **state)
{
	struct cbq_class_conf cc[3] = {
		cls("site", -1, 100000, 0, 0), cls("a", 0, 50000, 100000, 0),
		cls("b", 0, 50000, 0, 1) };
	struct cbq_item it = { NULL, 100, false, 0 };
	struct cbq *q;

	(void)state;
	cc[2].is_default = true;
	q = mk(128000, cc, 3);
	assert_false(cbq_class_is_leaf(q, 0));
	assert_true(cbq_class_is_leaf(q, 1));
	assert_int_equal(cbq_enqueue(q, 0, &it, 0), -1);
	assert_int_equal(cbq_default_class(q), 2);
	assert_string_equal(cbq_class_name(q, 1), "a");
	cbq_free(q);
}

/* Borrowing in a hierarchy: a child borrows from its parent before the
 * link, and the parent's ceil bounds both children. */
static void
test_borrow_parent(void **state)
{
	struct cbq_class_conf cc[4] = {
		cls("site", -1, 64000, 96000, 0), cls("a", 0, 32000, 96000, 0),
		cls("b", 0, 32000, 0, 0), cls("other", -1, 32000, 0, 0) };
	struct cbq_class_stats st, sa;
	struct sim s;

	(void)state;
	cc[3].is_default = true;
	sim_init(&s, mk(128000, cc, 4), 128000);
	s.greedy[1] = s.greedy[3] = true;
	s.wire[1] = s.wire[3] = 1000;
	run_until(&s, 2 * NS);
	measure(&s);
	run_until(&s, 62 * NS);
	/* a takes b's unused share and the link's spare, up to site's ceil */
	assert_near(rate_of(&s, 1), 96000, 0.02, "child up to parent ceil");
	assert_near(rate_of(&s, 3), 32000, 0.02, "sibling of parent");
	/* the parent's counters are its leaves' */
	cbq_class_stats(s.q, 0, s.now, &st);
	cbq_class_stats(s.q, 1, s.now, &sa);
	assert_int_equal(st.packets, sa.packets);
	assert_int_equal(st.bytes, sa.bytes);
	assert_int_equal(st.qlen, sa.qlen);
	assert_int_equal(st.qbytes, sa.qbytes);
	assert_int_equal(st.qdelay_ns, sa.qdelay_ns);
	assert_true(sa.borrowed > 0);
	/* a borrows from the link (site is over its rate) and from site */
	assert_true(st.borrowed > 0 && st.borrowed < sa.borrowed);
	sim_done(&s);
}

/* Deficit round robin shares the excess by bytes among borrowers of one
 * priority, whatever their packet sizes; a lower priority number borrows
 * first. */
static void
test_borrow_drr(void **state)
{
	struct cbq_class_conf cc[3] = {
		cls("a", -1, 16000, 128000, 1), cls("b", -1, 16000, 128000, 1),
		cls("c", -1, 16000, 0, 1) };
	struct sim s;

	(void)state;
	cc[2].is_default = true;
	sim_init(&s, mk(128000, cc, 3), 128000);
	s.greedy[0] = s.greedy[1] = true;
	s.wire[0] = 1500;
	s.wire[1] = 200;
	run_until(&s, 2 * NS);
	measure(&s);
	run_until(&s, 62 * NS);
	assert_near(rate_of(&s, 0), 64000, 0.02, "DRR borrower, 1500 B");
	assert_near(rate_of(&s, 1), 64000, 0.02, "DRR borrower, 200 B");
	sim_done(&s);

	cc[0].prio = 0;
	sim_init(&s, mk(128000, cc, 3), 128000);
	s.greedy[0] = s.greedy[1] = true;
	s.wire[0] = 1500;
	s.wire[1] = 200;
	run_until(&s, 2 * NS);
	measure(&s);
	run_until(&s, 62 * NS);
	assert_near(rate_of(&s, 0), 112000, 0.02, "prio 0 borrower");
	assert_near(rate_of(&s, 1), 16000, 0.02, "prio 1 borrower (its rate)");
	sim_done(&s);
}

/* (f) The checks and their messages. */
struct bad {
	const char *msg;
	uint64_t    bw;
	void      (*edit)(struct cbq_class_conf *);
	size_t      n;
};

static void
e_none(struct cbq_class_conf *c)
{
	(void)c;
}
static void
e_noname(struct cbq_class_conf *c)
{
	c[1].name[0] = '\0';
}
static void
e_dup(struct cbq_class_conf *c)
{
	strcpy(c[2].name, "video");
}
static void
e_parent(struct cbq_class_conf *c)
{
	c[1].parent = 7;
}
static void
e_self(struct cbq_class_conf *c)
{
	c[1].parent = 1;
}
static void
e_loop(struct cbq_class_conf *c)
{
	c[0].parent = 1;
	c[1].parent = 2;
}
static void
e_rate(struct cbq_class_conf *c)
{
	c[1].rate = 0;
}
static void
e_ceil(struct cbq_class_conf *c)
{
	c[1].rate = 128000;
	c[1].ceil = 64000;
	c[1].borrow = true;
}
static void
e_ceilbw(struct cbq_class_conf *c)
{
	c[1].ceil = 256000;
}
static void
e_ratebw(struct cbq_class_conf *c)
{
	c[2].rate = 200000;
	c[2].borrow = false;
}
static void
e_prio(struct cbq_class_conf *c)
{
	c[2].prio = 8;
}
static void
e_limit(struct cbq_class_conf *c)
{
	c[2].limit = 0;
}
static void
e_ring(struct cbq_class_conf *c)
{
	c[2].limit = 20000;
}
static void
e_kind(struct cbq_class_conf *c)
{
	c[2].limit_kind = (enum cbq_limit_kind)7;
}
static void
e_sum(struct cbq_class_conf *c)
{
	c[2].rate = 40000;
}
static void
e_top(struct cbq_class_conf *c)
{
	c[0].rate = 120000;
	c[3].rate = 20000;
}
static void
e_nodef(struct cbq_class_conf *c)
{
	c[2].is_default = false;
}
static void
e_twodef(struct cbq_class_conf *c)
{
	c[1].is_default = true;
}
static void
e_defint(struct cbq_class_conf *c)
{
	c[2].is_default = false;
	c[0].is_default = true;
}

static void
e_intlimit(struct cbq_class_conf *c)
{
	c[0].limit = 0;		/* an interior class queues nothing */
	c[0].limit_kind = (enum cbq_limit_kind)7;
}

/* site(0) { video(1), web(2) }, audio(3) */
static void
base(struct cbq_class_conf *c)
{
	c[0] = cls("site", -1, 64000, 0, 0);
	c[1] = cls("video", 0, 32000, 128000, 3);
	c[2] = cls("web", 0, 32000, 0, 2);
	c[3] = cls("audio", -1, 64000, 0, 1);
	c[2].is_default = true;
}

static void
test_checks(void **state)
{
	static const struct bad bads[] = {
		{ NULL, 128000, e_none, 4 },
		{ NULL, 128000, e_intlimit, 4 },
		{ "bandwidth 0 must be between 1 and 100000000000 bit/s", 0, e_none, 4 },
		{ "0 classes: there must be 1 to 64", 128000, e_none, 0 },
		{ "65 classes: there must be 1 to 64", 128000, e_none, 65 },
		{ "class 1 has no name", 128000, e_noname, 4 },
		{ "class \"video\" is defined twice", 128000, e_dup, 4 },
		{ "class \"video\": parent 7 does not exist", 128000, e_parent, 4 },
		{ "class \"video\": parent 1 does not exist", 128000, e_self, 4 },
		{ "class \"site\": its parents form a loop", 128000, e_loop, 4 },
		{ "class \"video\": rate must be above 0", 128000, e_rate, 4 },
		{ "class \"video\": ceil 64000 below rate 128000", 128000, e_ceil, 4 },
		{ "class \"video\": ceil 256000 above the bandwidth 128000", 128000, e_ceilbw, 4 },
		{ "class \"web\": rate 200000 above the bandwidth 128000", 128000, e_ratebw, 4 },
		{ "class \"web\": priority 8 above 7", 128000, e_prio, 4 },
		{ "class \"web\": limit must be above 0", 128000, e_limit, 4 },
		{ "class \"web\": limit 20000 packets above 16384", 128000, e_ring, 4 },
		{ "class \"web\": unknown limit kind", 128000, e_kind, 4 },
		{ "class \"site\": children's rates 72000 exceed its rate 64000", 128000, e_sum, 4 },
		{ "top-level classes' rates 140000 exceed the bandwidth 128000", 128000, e_top, 4 },
		{ "no default class", 128000, e_nodef, 4 },
		{ "classes \"video\" and \"web\" are both default", 128000, e_twodef, 4 },
		{ "default class \"site\" has children; it must be a leaf", 128000, e_defint, 4 },
	};
	struct cbq_class_conf cc[CBQ_CLASSES_MAX + 1];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct cbq_conf conf = { bads[i].bw, cc, bads[i].n };
		char err[256] = "";
		struct cbq *q;

		for (j = 0; j < CBQ_CLASSES_MAX + 1; j++) {
			cc[j] = cls("x", -1, 1000, 0, 0);
			snprintf(cc[j].name, sizeof(cc[j].name), "x%zu", j);
		}
		base(cc);
		bads[i].edit(cc);
		q = cbq_new(&conf, err, sizeof(err));
		if (bads[i].msg == NULL) {
			assert_non_null(q);
			cbq_free(q);
			continue;
		}
		assert_null(q);
		assert_string_equal(err, bads[i].msg);
	}
}

/* (h) The default class is the one marked so, wherever it is. */
static void
test_default(void **state)
{
	struct cbq_class_conf cc[4];
	struct cbq *q;

	(void)state;
	base(cc);
	q = mk(128000, cc, 4);
	assert_int_equal(cbq_default_class(q), 2);
	assert_true(cbq_class_is_leaf(q, cbq_default_class(q)));
	assert_string_equal(cbq_class_name(q, cbq_default_class(q)), "web");
	assert_int_equal(cbq_nclasses(q), 4);
	assert_null(cbq_class_name(q, 4));
	cbq_free(q);
	/* borrow with no ceil borrows up to the link */
	cc[2].is_default = false;
	cc[3].is_default = true;
	cc[3].borrow = true;
	cc[3].ceil = 0;
	q = mk(128000, cc, 4);
	assert_int_equal(cbq_default_class(q), 3);
	cbq_free(q);
}

/* (g) CoDel on a class with a standing queue. */
static struct cbq *
codel_q(void)
{
	struct cbq_class_conf cc[1] = { cls("video", -1, 128000, 0, 0) };

	cc[0].is_default = true;
	cc[0].codel = true;
	cc[0].codel_target_us = 5000;
	cc[0].codel_interval_us = 100000;
	return mk(1000000, cc, 1);
}

/* Offers 1000-byte packets every 40 ms (200 kbit/s) to a 128 kbit/s
 * class for 10 s. */
static void
codel_run(struct sim *s, bool ect)
{
	uint64_t t;

	for (t = 0; t < 10 * NS; t += 40 * MS) {
		run_until(s, t);
		if (cbq_enqueue(s->q, 0, &(struct cbq_item){
		    (void *)(uintptr_t)++s->seq, 1000, ect, 0 }, t) != 0)
			fail_msg("tail drop at %" PRIu64, t);
	}
	run_until(s, 10 * NS);
}

static void
test_codel_ect(void **state)
{
	struct cbq_class_stats st;
	struct sim s;

	(void)state;
	sim_init(&s, codel_q(), 1000000);
	codel_run(&s, true);
	cbq_class_stats(s.q, 0, s.now, &st);
	print_message("codel ECT: first sojourn >= target at %.1f ms, first "
	    "mark at %.1f ms, %" PRIu64 " marks\n",
	    (double)s.first_above_ns / MS, (double)s.first_mark_ns / MS,
	    s.marks);
	assert_true(s.first_above_ns > 0);
	assert_true(s.marks > 10);
	assert_int_equal(st.marks, s.marks);
	assert_int_equal(st.drops, 0);
	assert_int_equal(s.cb_drops, 0);
	assert_true(s.first_mark_ns >= s.first_above_ns + 100 * MS);
	/* every packet offered was sent or is queued */
	assert_int_equal(s.npkts[0] + st.qlen, s.seq);
	sim_done(&s);
}

static void
test_codel_drop(void **state)
{
	struct cbq_class_stats st;
	struct sim s;

	(void)state;
	sim_init(&s, codel_q(), 1000000);
	codel_run(&s, false);
	cbq_class_stats(s.q, 0, s.now, &st);
	print_message("codel non-ECT: %" PRIu64 " drops, %" PRIu64 " sent, "
	    "queue %.1f ms\n", s.cb_drops, s.npkts[0],
	    (double)st.qdelay_ns / MS);
	assert_int_equal(s.marks, 0);
	assert_true(s.cb_drops > 10);
	assert_int_equal(st.drops, s.cb_drops);
	assert_int_equal(st.drop_bytes, s.cb_drops * 1000);
	assert_int_equal(s.npkts[0] + s.cb_drops + st.qlen, s.seq);
	/* the standing queue is kept near target, not at the offered load */
	assert_true(st.qdelay_ns < 500 * MS);
	sim_done(&s);
}

/* A burst that drains within target is never signalled. */
static void
test_codel_burst(void **state)
{
	struct cbq_class_conf cc[1] = { cls("video", -1, 10000000, 0, 0) };
	struct cbq_class_stats st;
	struct sim s;
	unsigned b, i;

	(void)state;
	cc[0].is_default = true;
	cc[0].codel = true;
	sim_init(&s, mk(10000000, cc, 1), 10000000);
	for (b = 0; b < 50; b++) {
		run_until(&s, b * 200 * MS);
		for (i = 0; i < 5; i++)
			enq(&s, 0, 1000, true);
	}
	run_until(&s, 11 * NS);
	cbq_class_stats(s.q, 0, s.now, &st);
	assert_int_equal(s.npkts[0], 250);
	assert_int_equal(st.marks, 0);
	assert_int_equal(st.drops, 0);
	assert_int_equal(st.qlen, 0);
	assert_int_equal(st.qdelay_ns, 0);
	sim_done(&s);
}

/* (i) Queue stats: qlen, qbytes, and qdelay of the head. */
static void
test_stats(void **state)
{
	struct cbq_class_conf cc[1] = { cls("a", -1, 64000, 0, 0) };
	struct cbq_class_stats st;
	struct cbq_item it = { NULL, 700, false, 0 };
	struct cbq *q;

	(void)state;
	cc[0].is_default = true;
	q = mk(128000, cc, 1);
	assert_int_equal(cbq_next_ns(q, 0), UINT64_MAX);
	assert_int_equal(cbq_enqueue(q, 0, &it, 10 * MS), 0);
	assert_int_equal(cbq_enqueue(q, 0, &it, 20 * MS), 0);
	cbq_class_stats(q, 0, 50 * MS, &st);
	assert_int_equal(st.qlen, 2);
	assert_int_equal(st.qbytes, 1400);
	assert_int_equal(st.qdelay_ns, 40 * MS);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.rate, 0);
	assert_int_equal(cbq_next_ns(q, 50 * MS), 50 * MS);
	cbq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pacing),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_borrow),
		cmocka_unit_test(test_borrow_parent),
		cmocka_unit_test(test_borrow_drr),
		cmocka_unit_test(test_priority_latency),
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_limit_age),
		cmocka_unit_test(test_interior),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_codel_ect),
		cmocka_unit_test(test_codel_drop),
		cmocka_unit_test(test_codel_burst),
		cmocka_unit_test(test_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
