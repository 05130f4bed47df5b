/* The central router's learning bridge: learning, lookup, ageing at the
 * boundary, moving MACs, split horizon, flood sets, a full table, the
 * broadcast rate limit on a simulated clock, iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipx/bridge.h"

#define NS	1000000000ULL
#define LOCAL	BRIDGE_PORT_LOCAL
#define FLOOD	BRIDGE_PORT_FLOOD

static void
mac_of(uint8_t *m, uint32_t i)
{
	m[0] = 0x02;
	m[1] = 0x00;
	m[2] = (uint8_t)(i >> 24);
	m[3] = (uint8_t)(i >> 16);
	m[4] = (uint8_t)(i >> 8);
	m[5] = (uint8_t)i;
}

static struct bridge *
mk(size_t npeers, size_t cap)
{
	struct bridge_conf c;
	struct bridge *b;

	bridge_conf_defaults(&c, npeers);
	if (cap)
		c.capacity = cap;
	c.seed = 0x1234567890abcdefULL;
	b = bridge_new(&c);
	assert_non_null(b);
	return b;
}

static void
fi_to(struct frame_info *fi, const uint8_t *dst)
{
	memset(fi, 0, sizeof(*fi));
	memcpy(fi->dst, dst, 6);
	fi->multicast = (dst[0] & 1) != 0;
	fi->kind = FRAME_IPX_ETHII;
}

static void
test_learn_lookup(void **state)
{
	struct bridge *b = mk(3, 0);
	uint8_t a[6], c[6], mc[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	bridge_port_t old = 77;

	(void)state;
	mac_of(a, 1);
	mac_of(c, 2);
	assert_int_equal(bridge_lookup(b, a, 0), FLOOD);
	assert_int_equal(bridge_learn(b, a, 1, 10, &old), BRIDGE_LEARN_NEW);
	assert_int_equal(bridge_learn(b, c, LOCAL, 10, &old),
	    BRIDGE_LEARN_NEW);
	assert_int_equal(bridge_lookup(b, a, 11), 1);
	assert_int_equal(bridge_lookup(b, c, 11), LOCAL);
	assert_int_equal(bridge_learn(b, a, 1, 20, &old),
	    BRIDGE_LEARN_REFRESHED);
	assert_int_equal(old, 77);
	/* Group source, unknown port: refused. */
	assert_int_equal(bridge_learn(b, mc, 1, 20, NULL),
	    BRIDGE_LEARN_REJECTED);
	assert_int_equal(bridge_lookup(b, mc, 20), FLOOD);
	mac_of(mc, 3);
	assert_int_equal(bridge_learn(b, mc, 3, 20, NULL),
	    BRIDGE_LEARN_REJECTED);
	assert_int_equal(bridge_learn(b, mc, 0xfffd, 20, NULL),
	    BRIDGE_LEARN_REJECTED);
	assert_int_equal(bridge_count(b, 20), 2);
	bridge_free(b);
}

static void
test_ageing_boundary(void **state)
{
	struct bridge *b = mk(2, 0);
	uint64_t t0 = 5 * NS, age = BRIDGE_DEFAULT_AGE_NS;
	uint8_t a[6];

	(void)state;
	mac_of(a, 9);
	assert_int_equal(bridge_learn(b, a, 0, t0, NULL), BRIDGE_LEARN_NEW);
	assert_int_equal(bridge_lookup(b, a, t0 + age - 1), 0);
	assert_int_equal(bridge_lookup(b, a, t0 + age), FLOOD);
	assert_int_equal(bridge_count(b, t0 + age), 0);
	/* Refresh just before expiry restarts the clock. */
	assert_int_equal(bridge_learn(b, a, 0, t0 + age - 1, NULL),
	    BRIDGE_LEARN_REFRESHED);
	assert_int_equal(bridge_lookup(b, a, t0 + 2 * age - 2), 0);
	assert_int_equal(bridge_lookup(b, a, t0 + 2 * age - 1), FLOOD);
	/* Aged out, then seen again on another port: new, not moved. */
	assert_int_equal(bridge_learn(b, a, 1, t0 + 3 * age, NULL),
	    BRIDGE_LEARN_NEW);
	assert_int_equal(bridge_lookup(b, a, t0 + 3 * age), 1);
	bridge_free(b);
}

static void
test_configurable_age(void **state)
{
	struct bridge_conf c;
	struct bridge *b;
	uint8_t a[6];

	(void)state;
	bridge_conf_defaults(&c, 1);
	c.age_ns = 10;
	assert_non_null(b = bridge_new(&c));
	mac_of(a, 1);
	bridge_learn(b, a, 0, 100, NULL);
	assert_int_equal(bridge_lookup(b, a, 109), 0);
	assert_int_equal(bridge_lookup(b, a, 110), FLOOD);
	bridge_free(b);
	c.age_ns = 0;
	assert_null(bridge_new(&c));
	c.age_ns = 1;
	c.capacity = 0;
	assert_null(bridge_new(&c));
}

static void
test_move(void **state)
{
	struct bridge *b = mk(3, 0);
	bridge_port_t old = 0;
	uint8_t a[6];

	(void)state;
	mac_of(a, 5);
	bridge_learn(b, a, 0, 1, NULL);
	assert_int_equal(bridge_learn(b, a, 2, 2, &old), BRIDGE_LEARN_MOVED);
	assert_int_equal(old, 0);
	assert_int_equal(bridge_lookup(b, a, 3), 2);
	assert_int_equal(bridge_learn(b, a, LOCAL, 4, &old),
	    BRIDGE_LEARN_MOVED);
	assert_int_equal(old, 2);
	assert_int_equal(bridge_lookup(b, a, 5), LOCAL);
	assert_int_equal(bridge_count(b, 5), 1);
	bridge_free(b);
}

static void
test_forward(void **state)
{
	struct bridge *b = mk(3, 0);
	struct frame_info fi;
	bridge_port_t out[8];
	uint8_t a[6], u[6];
	bool flooded;
	size_t n;

	(void)state;
	mac_of(a, 1);
	mac_of(u, 2);
	bridge_learn(b, a, 2, 0, NULL);
	/* Known unicast: just that port. */
	fi_to(&fi, a);
	n = bridge_forward(b, &fi, 0, 1, out, 8, &flooded);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 2);
	assert_false(flooded);
	n = bridge_forward(b, &fi, LOCAL, 1, out, 8, &flooded);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 2);
	/* ...but never back out of the port it came in on. */
	n = bridge_forward(b, &fi, 2, 1, out, 8, &flooded);
	assert_int_equal(n, 0);
	assert_false(flooded);
	/* Unknown unicast from peer 1: peers 0 and 2 and the local tap. */
	fi_to(&fi, u);
	n = bridge_forward(b, &fi, 1, 1, out, 8, &flooded);
	assert_true(flooded);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], LOCAL);
	/* Broadcast from the local tap: every peer, not the tap. */
	{
		static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff };

		fi_to(&fi, bc);
		fi.broadcast = true;
		n = bridge_forward(b, &fi, LOCAL, 1, out, 8, &flooded);
		assert_true(flooded);
		assert_int_equal(n, 3);
		assert_int_equal(out[0], 0);
		assert_int_equal(out[1], 1);
		assert_int_equal(out[2], 2);
	}
	/* The unicast entry aged out: flooded again, minus in_port. */
	fi_to(&fi, a);
	n = bridge_forward(b, &fi, 2, BRIDGE_DEFAULT_AGE_NS, out, 8,
	    &flooded);
	assert_true(flooded);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], LOCAL);
	/* Bad in_port, short out array. */
	assert_int_equal(bridge_forward(b, &fi, 3, 1, out, 8, &flooded), 0);
	assert_int_equal(bridge_forward(b, &fi, 0, 1, out, 1, &flooded), 1);
	bridge_free(b);
}

static void
test_full_table(void **state)
{
	struct bridge *b = mk(2, 64);
	struct bridge_entry e;
	size_t cursor = 0, n = 0, evicted = 0;
	uint8_t m[6];
	uint32_t i;

	(void)state;
	/* Far more MACs than slots: the table never grows, later MACs are
	 * learned by evicting the oldest, and every live one is findable. */
	for (i = 0; i < 10000; i++) {
		enum bridge_learn_result r;

		mac_of(m, i);
		r = bridge_learn(b, m, (bridge_port_t)(i & 1), 1000 + i,
		    NULL);
		assert_true(r == BRIDGE_LEARN_NEW ||
		    r == BRIDGE_LEARN_NEW_EVICTED);
		evicted += r == BRIDGE_LEARN_NEW_EVICTED;
		assert_int_equal(bridge_lookup(b, m, 1000 + i), i & 1);
	}
	assert_true(evicted > 0);
	assert_int_equal(bridge_count(b, 20000), 64);
	while (bridge_iter(b, &cursor, 20000, &e)) {
		uint32_t id = (uint32_t)e.mac[2] << 24 | e.mac[3] << 16 |
		    e.mac[4] << 8 | e.mac[5];

		assert_int_equal(bridge_lookup(b, e.mac, 20000), e.port);
		assert_int_equal(e.port, id & 1);
		assert_int_equal(e.age_ns, 20000 - (1000 + id));
		n++;
	}
	assert_int_equal(n, 64);
	/* The newest is always there. */
	mac_of(m, 9999);
	assert_int_equal(bridge_lookup(b, m, 20000), 1);
	bridge_free(b);
}

static void
test_rate_limit(void **state)
{
	struct bridge *b = mk(2, 0);
	struct bridge_port_stats st;
	uint64_t t = 42 * NS;
	int i, passed;

	(void)state;
	/* Exactly the burst at once... */
	for (i = 0; i < BRIDGE_DEFAULT_BURST; i++)
		assert_true(bridge_flood_allowed(b, 0, t));
	assert_false(bridge_flood_allowed(b, 0, t));
	/* ...other ports have their own bucket... */
	assert_true(bridge_flood_allowed(b, 1, t));
	assert_true(bridge_flood_allowed(b, LOCAL, t));
	/* ...then one frame per 1/rate s: 10 ms at 100/s. */
	assert_false(bridge_flood_allowed(b, 0, t + 10000000 - 1));
	assert_true(bridge_flood_allowed(b, 0, t + 10000000));
	assert_false(bridge_flood_allowed(b, 0, t + 10000000));
	/* Over one second, exactly `rate` frames. */
	t += 10000000;
	passed = 0;
	for (i = 1; i <= 1000; i++)
		passed += bridge_flood_allowed(b, 0, t + (uint64_t)i * 1000000);
	assert_int_equal(passed, BRIDGE_DEFAULT_RATE);
	/* A long pause refills to the burst, not beyond. */
	t += 3600 * NS;
	passed = 0;
	for (i = 0; i < 1000; i++)
		passed += bridge_flood_allowed(b, 0, t);
	assert_int_equal(passed, BRIDGE_DEFAULT_BURST);
	/* Time going backwards gives nothing. */
	assert_false(bridge_flood_allowed(b, 0, t - NS));
	assert_int_equal(bridge_port_stats(b, 0, &st), 0);
	assert_int_equal(st.flood_passed, 200 + 1 + 100 + 200);
	assert_int_equal(st.flood_dropped, 1 + 1 + 1 + 900 + 800 + 1);
	assert_int_equal(bridge_port_stats(b, 1, &st), 0);
	assert_int_equal(st.flood_passed, 1);
	assert_int_equal(st.flood_dropped, 0);
	assert_int_equal(bridge_port_stats(b, 2, &st), -1);
	assert_false(bridge_flood_allowed(b, 2, t));
	bridge_free(b);
}

static void
test_rate_unlimited(void **state)
{
	struct bridge_conf c;
	struct bridge *b;
	int i;

	(void)state;
	bridge_conf_defaults(&c, 1);
	c.flood_rate = 0;
	assert_non_null(b = bridge_new(&c));
	for (i = 0; i < 10000; i++)
		assert_true(bridge_flood_allowed(b, 0, 0));
	bridge_free(b);
}

static void
test_iter(void **state)
{
	struct bridge *b = mk(4, 0);
	struct bridge_entry e;
	size_t cursor = 0, n = 0;
	bool seen[4] = { false };
	uint8_t m[6];
	uint32_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		mac_of(m, i);
		bridge_learn(b, m, (bridge_port_t)i, i * NS, NULL);
	}
	/* At 300 s the entry learned at 0 s has aged out. */
	while (bridge_iter(b, &cursor, BRIDGE_DEFAULT_AGE_NS, &e)) {
		assert_int_equal(e.mac[5], e.port);
		assert_int_equal(e.age_ns,
		    BRIDGE_DEFAULT_AGE_NS - e.port * NS);
		assert_false(seen[e.port]);
		seen[e.port] = true;
		n++;
	}
	assert_int_equal(n, 3);
	assert_false(seen[0]);
	assert_int_equal(bridge_nports(b), 5);
	bridge_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup),
		cmocka_unit_test(test_ageing_boundary),
		cmocka_unit_test(test_configurable_age),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_rate_unlimited),
		cmocka_unit_test(test_iter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
