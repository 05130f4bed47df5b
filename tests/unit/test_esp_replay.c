/* Anti-replay window: RFC 4303 3.4.3 edges and Appendix A2.2 ESN
 * inference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/esp/replay.h"
#include "util/log.h"

/* Copies the whole state so a test can prove check() left it alone. */
struct snap {
	uint64_t top;
	uint32_t size;
	uint64_t bits[REPLAY_WINDOW_MAX / 64];
};

static void
snap_take(const struct replay *r, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->top = r->top;
	s->size = r->size;
	memcpy(s->bits, r->bits, r->size / 8);
}

static void
snap_same(const struct replay *r, const struct snap *s)
{
	assert_int_equal(r->top, s->top);
	assert_int_equal(r->size, s->size);
	assert_memory_equal(r->bits, s->bits, r->size / 8);
}

static bool
ok(const struct replay *r, uint32_t lo)
{
	uint64_t seq;

	return replay_check(r, lo, &seq);
}

/* check, and if accepted, update: what esp_decap and esp_accept do for
 * a genuine packet. Returns the inferred number. */
static uint64_t
accept(struct replay *r, uint32_t lo)
{
	uint64_t seq = 0;

	assert_true(replay_check(r, lo, &seq));
	replay_update(r, seq);
	return seq;
}

static void
test_sizes(void **state)
{
	static const struct { uint32_t in, out; } t[] = {
		{ 0, REPLAY_WINDOW_DEFAULT }, { 1, 64 }, { 64, 64 },
		{ 65, 128 }, { 1000, 1024 }, { 1024, 1024 }, { 4096, 4096 },
		{ REPLAY_WINDOW_MAX, REPLAY_WINDOW_MAX },
	};
	struct replay r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(replay_init(&r, t[i].in, false), 0);
		assert_int_equal(r.size, t[i].out);
		assert_int_equal(r.top, 0);
		assert_int_equal(r.auth_fails, 0);
		/* Only ESN resynchronises (RFC 4303 A3). */
		assert_null(r.resync_buf);
		assert_null(replay_resync_buf(&r));
		replay_free(&r);
	}
	/* An ESN window gets its resync buffer the first time it is
	 * asked for, then keeps that one; ASan checks its size. */
	assert_int_equal(replay_init(&r, 64, true), 0);
	assert_null(r.resync_buf);
	assert_non_null(replay_resync_buf(&r));
	assert_ptr_equal(replay_resync_buf(&r), r.resync_buf);
	memset(r.resync_buf, 0xa5, REPLAY_RESYNC_BUFSZ);
	assert_true(REPLAY_RESYNC_BUFSZ >= PKT_BUFSZ);
	replay_free(&r);
	assert_null(r.resync_buf);
	assert_null(r.bits);
	assert_int_equal(replay_init(&r, REPLAY_WINDOW_MAX + 1, false), -1);
	assert_int_equal(replay_init(&r, UINT32_MAX, true), -1);
	/* A window that failed to initialise accepts nothing. */
	assert_false(ok(&r, 1));
	assert_false(replay_update(&r, 1));
	assert_int_equal(r.top, 0);
	replay_free(&r);
}

static bool
bit(const struct replay *r, uint64_t seq)
{
	uint32_t idx = (uint32_t)(seq % r->size);

	return (r->bits[idx / 64] >> (idx % 64)) & 1;
}

/* update() answers whether seq became the new top. */
static void
test_update_answer(void **state)
{
	struct replay r;
	struct snap s;

	(void)state;
	assert_int_equal(replay_init(&r, 64, false), 0);
	assert_true(replay_update(&r, 100));
	assert_int_equal(r.top, 100);
	assert_true(bit(&r, 100));
	assert_false(replay_update(&r, 90));            /* inside */
	assert_int_equal(r.top, 100);
	assert_true(bit(&r, 90));
	snap_take(&r, &s);
	assert_false(replay_update(&r, 90));            /* duplicates */
	assert_false(replay_update(&r, 100));
	assert_false(replay_update(&r, 36));            /* left of it */
	snap_same(&r, &s);
	assert_true(replay_update(&r, 101));
	assert_int_equal(r.top, 101);
	assert_true(bit(&r, 90) && bit(&r, 100) && bit(&r, 101));
	assert_true(replay_update(&r, 1000));           /* far: all clear */
	assert_int_equal(r.top, 1000);
	assert_false(bit(&r, 90) || bit(&r, 100) || bit(&r, 101));
	assert_true(bit(&r, 1000));
	replay_free(&r);
}

static void
test_first_packet(void **state)
{
	struct replay r;
	uint64_t seq;

	(void)state;
	assert_int_equal(replay_init(&r, 64, false), 0);
	assert_false(ok(&r, 0));
	assert_true(replay_check(&r, 1, &seq));
	assert_int_equal(seq, 1);
	/* Any non-zero number may come first (earlier ones were lost). */
	assert_true(ok(&r, 5000));
	assert_true(ok(&r, UINT32_MAX));
	accept(&r, 1);
	assert_false(ok(&r, 1));        /* duplicate */
	assert_false(ok(&r, 0));
	assert_true(ok(&r, 2));
	replay_free(&r);
}

/* For each size: the oldest valid number, one below it, the top, top + 1,
 * out-of-order arrival inside the window. */
static void
test_edges(void **state)
{
	static const uint32_t sizes[] = { 64, 1024, 4096 };
	struct replay r;
	uint32_t w, top, i;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		w = sizes[k];
		top = 3 * w + 17;
		assert_int_equal(replay_init(&r, w, false), 0);
		accept(&r, top);
		assert_false(ok(&r, top));
		assert_true(ok(&r, top + 1));
		assert_true(ok(&r, top - w + 1));      /* oldest valid */
		assert_false(ok(&r, top - w));         /* just outside */
		assert_false(ok(&r, 1));
		accept(&r, top - w + 1);
		assert_false(ok(&r, top - w + 1));
		/* Every number in between still unseen and acceptable. */
		for (i = top - w + 2; i < top; i++)
			assert_true(ok(&r, i));
		/* Out of order inside the window. */
		accept(&r, top - 5);
		accept(&r, top - 3);
		assert_false(ok(&r, top - 5));
		assert_true(ok(&r, top - 4));
		assert_false(ok(&r, top - 3));
		/* Moving the top by one pushes the oldest out. */
		accept(&r, top + 1);
		assert_false(ok(&r, top - w + 1));
		assert_true(ok(&r, top - w + 2));
		assert_false(ok(&r, top));
		assert_false(ok(&r, top + 1));
		replay_free(&r);
	}
}

/* Jumps of size - 1, size and far beyond: the window must come out
 * clean, with only the new top marked. */
static void
test_jumps(void **state)
{
	static const uint32_t sizes[] = { 64, 1024, 4096 };
	struct replay r;
	uint32_t w, base, i;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		w = sizes[k];
		assert_int_equal(replay_init(&r, w, false), 0);
		/* Fill the whole window. */
		for (i = 1; i <= w; i++)
			accept(&r, i);
		for (i = 1; i <= w; i++)
			assert_false(ok(&r, i));

		/* size - 1: the old top stays inside, seen. */
		base = w;
		accept(&r, base + w - 1);
		assert_false(ok(&r, base));
		for (i = base + 1; i < base + w - 1; i++)
			assert_true(ok(&r, i));
		assert_false(ok(&r, base + w - 1));

		/* Exactly size: the old top falls out. */
		base = base + w - 1;
		accept(&r, base + w);
		assert_false(ok(&r, base));
		for (i = base + 1; i < base + w; i++)
			assert_true(ok(&r, i));

		/* Far beyond: everything cleared. */
		base = base + w;
		accept(&r, base + 10 * w + 3);
		for (i = base + 9 * w + 4; i < base + 10 * w + 3; i++)
			assert_true(ok(&r, i));
		assert_false(ok(&r, base));
		assert_false(ok(&r, base + 9 * w + 3));
		replay_free(&r);
	}
}

static void
test_check_is_pure(void **state)
{
	struct replay r;
	struct snap s;
	uint64_t seq;
	uint32_t i;

	(void)state;
	assert_int_equal(replay_init(&r, 128, false), 0);
	accept(&r, 100);
	accept(&r, 90);
	snap_take(&r, &s);
	for (i = 0; i < 1000; i++)
		(void)replay_check(&r, i * 7919u, &seq);
	(void)replay_check(&r, UINT32_MAX, &seq);
	snap_same(&r, &s);
	replay_free(&r);

	assert_int_equal(replay_init(&r, 1024, true), 0);
	accept(&r, 0x7ffffff0u);
	accept(&r, 0xfffffff0u);
	accept(&r, 5);                  /* into the next subspace */
	snap_take(&r, &s);
	for (i = 0; i < 1000; i++)
		(void)replay_check(&r, i * 4294967u, &seq);
	snap_same(&r, &s);
	replay_free(&r);
}

/* 32-bit mode never infers: past 2^32 - 1 nothing is valid but what is
 * above the top, and 0 is never valid. */
static void
test_32bit_top(void **state)
{
	struct replay r;

	(void)state;
	assert_int_equal(replay_init(&r, 64, false), 0);
	accept(&r, UINT32_MAX);
	assert_int_equal(r.top, UINT32_MAX);
	assert_false(ok(&r, UINT32_MAX));
	assert_false(ok(&r, 0));
	assert_false(ok(&r, 5));
	assert_true(ok(&r, UINT32_MAX - 63));
	assert_false(ok(&r, UINT32_MAX - 64));
	replay_free(&r);
}

/* RFC 4303 A2.2 Case A: Tl >= W - 1, the window lies in one subspace. */
static void
test_esn_case_a(void **state)
{
	struct replay r;
	uint64_t seq;

	(void)state;
	assert_int_equal(replay_init(&r, 1024, true), 0);
	replay_update(&r, 0x100000500ULL);      /* Th 1, Tl 0x500 */
	/* Oldest valid: Tl - W + 1 = 0x101 -> Th. */
	assert_true(replay_check(&r, 0x101, &seq));
	assert_int_equal(seq, 0x100000101ULL);
	/* Below it: belongs to the next subspace (Th + 1), a future number. */
	assert_true(replay_check(&r, 0x100, &seq));
	assert_int_equal(seq, 0x200000100ULL);
	assert_true(replay_check(&r, 0, &seq));
	assert_int_equal(seq, 0x200000000ULL);
	/* Above the top in the same subspace. */
	assert_true(replay_check(&r, 0x600, &seq));
	assert_int_equal(seq, 0x100000600ULL);
	assert_true(replay_check(&r, UINT32_MAX, &seq));
	assert_int_equal(seq, 0x1ffffffffULL);
	/* The top itself is a duplicate. */
	assert_false(replay_check(&r, 0x500, &seq));
	assert_int_equal(seq, 0x100000500ULL);
	replay_free(&r);
}

/* Case B: Tl < W - 1, the window reaches back into subspace Th - 1. */
static void
test_esn_case_b(void **state)
{
	struct replay r;
	uint64_t seq;

	(void)state;
	assert_int_equal(replay_init(&r, 1024, true), 0);
	replay_update(&r, 0x100000010ULL);      /* Th 1, Tl 0x10 */
	/* Tl - W + 1 mod 2^32 = 0xfffffc11: at or above -> Th - 1. */
	assert_true(replay_check(&r, 0xfffffc11u, &seq));
	assert_int_equal(seq, 0xfffffc11ULL);   /* the oldest valid */
	assert_true(replay_check(&r, 0xfffffff0u, &seq));
	assert_int_equal(seq, 0xfffffff0ULL);
	/* Below it -> Th: either inside the window or ahead of it. */
	assert_true(replay_check(&r, 5, &seq));
	assert_int_equal(seq, 0x100000005ULL);
	assert_true(replay_check(&r, 0, &seq));
	assert_int_equal(seq, 0x100000000ULL);
	assert_true(replay_check(&r, 0xfffffc10u, &seq));
	assert_int_equal(seq, 0x1fffffc10ULL);
	assert_false(replay_check(&r, 0x10, &seq));
	replay_free(&r);

	/* Fresh SA: Th 0, so Th - 1 does not exist; those are refused. */
	assert_int_equal(replay_init(&r, 1024, true), 0);
	assert_false(replay_check(&r, UINT32_MAX, &seq));
	assert_false(replay_check(&r, 0xfffffc01u, &seq));
	assert_true(replay_check(&r, 0xfffffc00u, &seq));
	assert_int_equal(seq, 0xfffffc00ULL);
	assert_false(replay_check(&r, 0, &seq));        /* 64-bit 0 */
	assert_true(replay_check(&r, 1, &seq));
	assert_int_equal(seq, 1);
	replay_free(&r);
}

/* Walking across 2^32 in ESN mode, with reordering around the edge. */
static void
test_esn_cross_boundary(void **state)
{
	struct replay r;
	uint64_t seq;

	(void)state;
	assert_int_equal(replay_init(&r, 64, true), 0);
	/* Fresh, near 2^32 would infer Th - 1 < 0: start lower. */
	assert_false(ok(&r, 0xfffffffeu));
	assert_int_equal(accept(&r, 0xffffff00u), 0xffffff00ULL);
	assert_int_equal(accept(&r, 0xfffffffeu), 0xfffffffeULL);
	assert_int_equal(accept(&r, 0), 0x100000000ULL);
	/* Late packets from below the boundary. */
	assert_int_equal(accept(&r, UINT32_MAX), 0xffffffffULL);
	assert_int_equal(accept(&r, 0xfffffffdu), 0xfffffffdULL);
	assert_false(ok(&r, UINT32_MAX));
	assert_false(ok(&r, 0xfffffffeu));
	assert_false(ok(&r, 0));
	assert_int_equal(accept(&r, 1), 0x100000001ULL);
	assert_int_equal(accept(&r, 0xffffffc2u), 0xffffffc2ULL);  /* oldest */
	/* One below the oldest is inferred as a future number (A2.2). */
	assert_true(replay_check(&r, 0xffffffc1u, &seq));
	assert_int_equal(seq, 0x1ffffffc1ULL);
	/* Move well into the new subspace: old numbers are now future. */
	assert_int_equal(accept(&r, 100), 0x100000064ULL);
	assert_int_equal(r.top, 0x100000064ULL);
	assert_false(ok(&r, 100));
	/* 100 - 64 is left of the window: case A puts it in Th + 1. */
	assert_true(replay_check(&r, 36, &seq));
	assert_int_equal(seq, 0x200000024ULL);
	assert_true(replay_check(&r, 37, &seq));        /* oldest */
	assert_int_equal(seq, 0x100000025ULL);
	replay_free(&r);
}

/* The high half cannot wrap: 2^64 - 1 is the last number. */
static void
test_esn_high_wrap(void **state)
{
	struct replay r;
	uint64_t seq;

	(void)state;
	assert_int_equal(replay_init(&r, 64, true), 0);
	replay_update(&r, 0xfffffffffffffff0ULL);
	assert_false(replay_check(&r, 5, &seq));  /* would need Th + 1 */
	assert_true(replay_check(&r, 0xfffffff5u, &seq));
	assert_int_equal(seq, 0xfffffffffffffff5ULL);
	assert_true(replay_check(&r, UINT32_MAX, &seq));
	assert_int_equal(seq, UINT64_MAX);
	replay_update(&r, UINT64_MAX);
	assert_false(replay_check(&r, UINT32_MAX, &seq));
	assert_true(replay_check(&r, 0xffffffc0u, &seq));      /* oldest */
	assert_int_equal(seq, UINT64_MAX - 63);
	assert_false(replay_check(&r, 0xffffffbfu, &seq));
	replay_free(&r);
}

/* replay-window 0: no window, every number passes (RFC 4303 3.4.3: no
 * inbound checks), 0 included; top follows the highest accepted, a
 * floor set after a restart changes nothing, free leaves it on. */
static void
test_off(void **state)
{
	static const uint32_t lo[] = { 0, 1, 1, 77, 4294967295u, 3, 3 };
	struct replay r;
	uint64_t seq;
	size_t i;

	(void)state;
	replay_init_off(&r);
	assert_true(r.off);
	assert_null(r.bits);
	for (i = 0; i < sizeof(lo) / sizeof(lo[0]); i++) {
		assert_true(replay_check(&r, lo[i], &seq));
		assert_int_equal(seq, lo[i]);
		assert_int_equal(replay_update(&r, seq), i == 1 || i == 3 ||
		    i == 4);
	}
	assert_int_equal(r.top, 4294967295u);
	replay_set_floor(&r, 10);
	assert_int_equal(r.top, 4294967295u);
	assert_true(replay_check(&r, 2, &seq));
	replay_free(&r);
	assert_false(r.off);
	/* Freed: nothing passes until it is initialised again. */
	assert_false(replay_check(&r, 2, &seq));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_update_answer),
		cmocka_unit_test(test_first_packet),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_check_is_pure),
		cmocka_unit_test(test_32bit_top),
		cmocka_unit_test(test_esn_case_a),
		cmocka_unit_test(test_esn_case_b),
		cmocka_unit_test(test_esn_cross_boundary),
		cmocka_unit_test(test_esn_high_wrap),
	};

	log_init("test_esp_replay", LOG_LVL_ERR, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
