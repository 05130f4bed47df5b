/* Meters against RFC 2697 (srTCM) and RFC 2698 (trTCM): hand-computed
 * sequences, colour-blind and colour-aware, exact refill, long idle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qos/meter.h"

#define NS	1000000000ULL
#define MS	1000000ULL
#define G	METER_GREEN
#define Y	METER_YELLOW
#define R	METER_RED

struct step {
	uint64_t         t_ns;
	uint32_t         len;
	enum meter_color pre;
	enum meter_color want;
};

static void
run(struct meter *m, const struct step *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		enum meter_color c = meter_color(m, s[i].t_ns, s[i].len,
		    s[i].pre);

		if (c != s[i].want)
			fail_msg("step %zu (t %llu ns, %u bytes): colour %d, "
			    "want %d", i, (unsigned long long)s[i].t_ns,
			    s[i].len, c, s[i].want);
	}
}

static void
srtcm(struct meter *m, bool aware)
{
	/* CIR 1000 bytes/s, CBS 2000, EBS 3000 */
	struct meter_conf c = { METER_SRTCM, 8000, 2000, 3000, 0, 0, aware,
	    { { METER_PASS, 0 }, { METER_PASS, 0 }, { METER_PASS, 0 } } };

	meter_init(m, &c, 0);
}

static void
trtcm(struct meter *m, bool aware)
{
	/* CIR 1000 bytes/s, CBS 1500, PIR 2000 bytes/s, PBS 3000 */
	struct meter_conf c = { METER_TRTCM, 8000, 1500, 0, 16000, 3000, aware,
	    { { METER_PASS, 0 }, { METER_PASS, 0 }, { METER_PASS, 0 } } };

	meter_init(m, &c, 0);
}

/* RFC 2697 3.1: Tc first, then Te; tokens overflow from C into E. */
static void
test_srtcm_blind(void **state)
{
	static const struct step s[] = {
		{ 0, 1500, G, G },		/* Tc 2000 -> 500 */
		{ 0, 1000, G, Y },		/* Te 3000 -> 2000 */
		{ 0, 2500, G, R },
		{ 0, 500, G, G },		/* Tc 0 */
		{ 1 * NS, 1200, G, Y },		/* Tc 1000 < 1200; Te -> 800 */
		{ 2500 * MS, 2000, G, G },	/* Tc full at 2 s, 500 to Te */
		{ 2500 * MS, 1300, G, Y },	/* Te 1300 -> 0 */
		{ 2500 * MS, 1, G, R },
		{ 2500 * MS, 0, G, G },		/* B = 0 fits in Tc = 0 */
	};
	struct meter m;

	(void)state;
	srtcm(&m, false);
	run(&m, s, sizeof(s) / sizeof(s[0]));
	assert_int_equal(m.packets[G], 4);
	assert_int_equal(m.packets[Y], 3);
	assert_int_equal(m.packets[R], 2);
	assert_int_equal(m.bytes[G], 4000);
	assert_int_equal(m.bytes[Y], 3500);
	assert_int_equal(m.bytes[R], 2501);
}

/* RFC 2697 3.2: a pre-coloured packet never gets a better colour. */
static void
test_srtcm_aware(void **state)
{
	static const struct step s[] = {
		{ 0, 500, Y, Y },		/* Te 3000 -> 2500, Tc kept */
		{ 0, 100, R, R },
		{ 0, 1500, G, G },		/* Tc 2000 -> 500 */
		{ 0, 1000, G, Y },		/* Te 2500 -> 1500 */
		{ 0, 1600, Y, R },
		{ 0, 500, G, G },		/* Tc 0 */
		{ 0, 1500, Y, Y },		/* Te 0 */
	};
	struct meter m;

	(void)state;
	srtcm(&m, true);
	run(&m, s, sizeof(s) / sizeof(s[0]));
	assert_int_equal(m.tc, 0);
	assert_int_equal(m.te, 0);
}

/* RFC 2698 3.1: Tp first (red if short), then Tc. */
static void
test_trtcm_blind(void **state)
{
	static const struct step s[] = {
		{ 0, 1000, G, G },		/* Tp 2000, Tc 500 */
		{ 0, 1000, G, Y },		/* Tp 1000 */
		{ 0, 1500, G, R },
		{ 0, 1000, G, Y },		/* Tp 0 */
		{ 500 * MS, 1000, G, G },	/* Tc 1000, Tp 1000 -> 0, 0 */
		{ 1000 * MS, 600, G, Y },	/* Tc 500 < 600; Tp 1000 -> 400 */
		{ 1000 * MS, 401, G, R },
	};
	struct meter m;

	(void)state;
	trtcm(&m, false);
	run(&m, s, sizeof(s) / sizeof(s[0]));
	assert_int_equal(m.tc, (uint64_t)500 << 16);
	assert_int_equal(m.te, (uint64_t)400 << 16);
}

/* RFC 2698 3.2. */
static void
test_trtcm_aware(void **state)
{
	static const struct step s[] = {
		{ 0, 10, R, R },
		{ 0, 1000, Y, Y },		/* Tp 2000, Tc kept at 1500 */
		{ 0, 1500, G, G },		/* Tp 500, Tc 0 */
		{ 0, 400, G, Y },		/* Tp 100 */
		{ 0, 200, G, R },
		{ 0, 100, Y, Y },		/* Tp 0 */
	};
	struct meter m;

	(void)state;
	trtcm(&m, true);
	run(&m, s, sizeof(s) / sizeof(s[0]));
	assert_int_equal(m.packets[G], 1);
	assert_int_equal(m.packets[Y], 3);
	assert_int_equal(m.packets[R], 2);
}

/* Refills add exactly rate * time however finely they are sliced. */
static void
test_refill_exact(void **state)
{
	struct meter_conf c = { METER_SRTCM, 8, 10, 0, 0, 0, false,
	    { { METER_PASS, 0 }, { METER_PASS, 0 }, { METER_PASS, 0 } } };
	struct meter m;
	uint64_t t;

	(void)state;
	/* 1 byte/s in 1000 refills of 1 ms */
	meter_init(&m, &c, 0);
	assert_int_equal(meter_color(&m, 0, 10, G), G);
	for (t = 1; t <= 1000; t++)
		(void)meter_color(&m, t * MS, 0, G);
	assert_int_equal(m.tc, (uint64_t)1 << 16);
	assert_int_equal(meter_color(&m, 1 * NS, 1, G), G);
	assert_int_equal(meter_color(&m, 1 * NS, 1, G), R);

	/* 10 Gbit/s for 50 us: 62500 bytes, in 7 odd slices */
	c.cir = 10000000000ULL;
	c.cbs = 1000000;
	meter_init(&m, &c, 0);
	assert_int_equal(meter_color(&m, 0, 1000000, G), G);
	for (t = 1; t <= 7; t++)
		(void)meter_color(&m, t * 50000 / 7, 0, G);
	assert_int_equal(m.tc, (uint64_t)62500 << 16);
}

/* Hours of idle at 10 Gbit/s leave the buckets exactly full. */
static void
test_long_idle(void **state)
{
	struct meter_conf c = { METER_SRTCM, 10000000000ULL, 1000000000,
	    1000000000, 0, 0, false,
	    { { METER_PASS, 0 }, { METER_PASS, 0 }, { METER_PASS, 0 } } };
	struct meter m;

	(void)state;
	meter_init(&m, &c, 0);
	assert_int_equal(meter_color(&m, 0, 1000000000, G), G);
	assert_int_equal(meter_color(&m, 0, 1000000000, G), Y);
	assert_int_equal(meter_color(&m, 1000000000ULL * NS, 1, G), G);
	assert_int_equal(m.tc, ((uint64_t)1000000000 << 16) - (1 << 16));
	assert_int_equal(m.te, (uint64_t)1000000000 << 16);

	c.kind = METER_TRTCM;
	c.pir = 10000000000ULL;
	c.pbs = 2000000000;
	meter_init(&m, &c, 5);
	assert_int_equal(meter_color(&m, 5, 2000000000, G), Y);
	assert_int_equal(meter_color(&m, UINT64_MAX, 1, G), G);
	assert_int_equal(m.tc, ((uint64_t)1000000000 << 16) - (1 << 16));
	assert_int_equal(m.te, ((uint64_t)2000000000 << 16) - (1 << 16));
}

/* Actions: drop, mark keeping the ECN bits, pass. */
static void
test_apply(void **state)
{
	struct meter_conf c = { METER_SRTCM, 8000, 2000, 3000, 0, 0, false,
	    { { METER_PASS, 0 }, { METER_MARK, 10 }, { METER_DROP, 0 } } };
	struct meter m;
	uint8_t tos;

	(void)state;
	meter_init(&m, &c, 0);
	tos = 0xb9;			/* EF, ECT(1) */
	assert_true(meter_apply(&m, G, &tos));
	assert_int_equal(tos, 0xb9);
	assert_true(meter_apply(&m, Y, &tos));
	assert_int_equal(tos, (10 << 2) | 1);	/* AF11, ECT(1) kept */
	tos = 0x03;			/* CE */
	assert_true(meter_apply(&m, Y, &tos));
	assert_int_equal(tos, 0x2b);
	assert_false(meter_apply(&m, R, &tos));
}

static void
test_dscp_precolour(void **state)
{
	(void)state;
	assert_int_equal(meter_color_of_dscp(10), G);	/* AF11 */
	assert_int_equal(meter_color_of_dscp(12), Y);	/* AF12 */
	assert_int_equal(meter_color_of_dscp(14), R);	/* AF13 */
	assert_int_equal(meter_color_of_dscp(38), R);	/* AF43 */
	assert_int_equal(meter_color_of_dscp(46), G);	/* EF */
	assert_int_equal(meter_color_of_dscp(0), G);
	assert_int_equal(meter_color_of_dscp(8), G);	/* CS1 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srtcm_blind),
		cmocka_unit_test(test_srtcm_aware),
		cmocka_unit_test(test_trtcm_blind),
		cmocka_unit_test(test_trtcm_aware),
		cmocka_unit_test(test_refill_exact),
		cmocka_unit_test(test_long_idle),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_dscp_precolour),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
