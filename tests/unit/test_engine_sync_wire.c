/* Synchronisation messages: byte layout, round trips, and that nothing
 * but an authentic, well-formed message decodes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/kdf.h"
#include "src/control/sync_wire.h"

static struct crypto_hmac *
mac(uint8_t fill)
{
	uint8_t key[32];
	struct crypto_hmac *h;

	memset(key, fill, sizeof(key));
	h = crypto_hmac_new(key, sizeof(key));
	assert_non_null(h);
	return h;
}

static struct sync_msg
answer(size_t nsa)
{
	struct sync_msg m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.type = SYNC_ANSWER;
	for (i = 0; i < SYNC_NONCE_LEN; i++)
		m.nonce[i] = (uint8_t)(0xa0 + i);
	m.start_id = 0x0102030405060708ULL;
	m.nsa = nsa;
	m.sa[0].kind = SYNC_KIND_MAIN;
	m.sa[0].epoch = 0xfedcba9876543210ULL;
	m.sa[0].next_seq = 0x100000001ULL;
	m.sa[1].kind = SYNC_KIND_TAP;
	m.sa[1].epoch = 7;
	m.sa[1].next_seq = 1;
	return m;
}

static void
test_layout(void **state)
{
	static const uint8_t want_hdr[] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 9,
	    'v', 't', 's', 1, SYNC_ANSWER, 1, 0, 0 };
	static const uint8_t want_rec[] = { SYNC_KIND_MAIN, 0, 0, 0,
	    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	    0, 0, 0, 1, 0, 0, 0, 1 };
	struct crypto_hmac *h = mac(1);
	struct sync_msg m = answer(1);
	uint8_t buf[SYNC_MSG_MAX], icv[SYNC_ICV_LEN];
	size_t n;

	(void)state;
	n = sync_encode(&m, 0x12345678, 9, h, buf, sizeof(buf));
	/* 8 header, 32 fixed, 20 record, 2 padding, pad length, next
	 * header, 16 ICV. */
	assert_int_equal(n, 8 + 32 + 20 + 4 + 16);
	assert_memory_equal(buf, want_hdr, sizeof(want_hdr));
	assert_memory_equal(buf + 16, m.nonce, SYNC_NONCE_LEN);
	assert_int_equal(buf[32], 1);
	assert_int_equal(buf[39], 8);
	assert_memory_equal(buf + 40, want_rec, sizeof(want_rec));
	assert_int_equal(buf[60], 1);
	assert_int_equal(buf[61], 2);
	assert_int_equal(buf[62], 2);   /* pad length */
	assert_int_equal(buf[63], 59);  /* no next header: a dummy elsewhere */
	assert_int_equal(crypto_hmac_sign(h, buf, 64, icv, sizeof(icv)), 0);
	assert_memory_equal(buf + 64, icv, sizeof(icv));
	/* Too small a buffer: nothing. */
	assert_int_equal(sync_encode(&m, 1, 1, h, buf, n - 1), 0);
	crypto_hmac_free(h);
}

static void
test_round_trip(void **state)
{
	struct crypto_hmac *h = mac(2);
	struct sync_msg m, got;
	uint8_t buf[SYNC_MSG_MAX];
	const char *why = NULL;
	size_t n, k;

	(void)state;
	for (k = 0; k <= 2; k++) {
		m = answer(k);
		if (k == 0)
			m.type = SYNC_REQUEST;
		n = sync_encode(&m, 0x80000001, 1, h, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(sync_decode(buf, n, h, &got, &why), 0);
		assert_int_equal(got.type, m.type);
		assert_memory_equal(got.nonce, m.nonce, SYNC_NONCE_LEN);
		assert_true(got.start_id == m.start_id);
		assert_int_equal(got.nsa, k);
		if (k > 0) {
			assert_true(got.sa[0].epoch == m.sa[0].epoch);
			assert_true(got.sa[0].next_seq == m.sa[0].next_seq);
			assert_int_equal(got.sa[0].kind, SYNC_KIND_MAIN);
		}
		if (k > 1) {
			assert_int_equal(got.sa[1].kind, SYNC_KIND_TAP);
			assert_true(got.sa[1].epoch == 7);
		}
	}
	crypto_hmac_free(h);
}

/* Any changed bit, a wrong key or a cut: the ICV refuses it. */
static void
test_forgeries(void **state)
{
	struct crypto_hmac *h = mac(3), *other = mac(4);
	struct sync_msg m = answer(2), got;
	uint8_t buf[SYNC_MSG_MAX];
	const char *why;
	size_t n, i;
	int bit;

	(void)state;
	n = sync_encode(&m, 0x80000001, 1, h, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1 << bit);
			why = NULL;
			assert_int_equal(sync_decode(buf, n, h, &got, &why), -1);
			assert_non_null(why);
			buf[i] ^= (uint8_t)(1 << bit);
		}
	assert_int_equal(sync_decode(buf, n, other, &got, &why), -1);
	assert_string_equal(why, "ICV");
	assert_int_equal(sync_decode(buf, n - 1, h, &got, &why), -1);
	assert_int_equal(sync_decode(buf, 20, h, &got, &why), -1);
	assert_string_equal(why, "length");
	assert_int_equal(sync_decode(buf, n, h, &got, &why), 0);
	crypto_hmac_free(h);
	crypto_hmac_free(other);
}

/* Authentic but malformed: re-signed after the change, refused by the
 * parser with its reason. */
static void
resign(struct crypto_hmac *h, uint8_t *buf, size_t n)
{
	assert_int_equal(crypto_hmac_sign(h, buf, n - SYNC_ICV_LEN,
	    buf + n - SYNC_ICV_LEN, SYNC_ICV_LEN), 0);
}

static void
test_malformed(void **state)
{
	static const struct {
		size_t      off;
		uint8_t     val;
		const char *why;
	} cases[] = {
		{ 8, 'x', "magic or version" },
		{ 11, 2, "magic or version" },
		{ 12, 3, "type or count" },
		{ 12, SYNC_REQUEST, "type or count" },   /* request with records */
		{ 13, 3, "type or count" },
		{ 14, 1, "type or count" },
		{ 13, 1, "length for its count" },
		{ 40, 3, "SA record" },
		{ 41, 1, "SA record" },
		{ 60, SYNC_KIND_MAIN, "SA record" },     /* kind twice */
		{ 80, 2, "trailer" },
		{ 82, 1, "trailer" },
		{ 83, 4, "trailer" },
	};
	struct crypto_hmac *h = mac(5);
	struct sync_msg m = answer(2), got;
	uint8_t buf[SYNC_MSG_MAX], orig[SYNC_MSG_MAX];
	const char *why;
	size_t n, i;

	(void)state;
	n = sync_encode(&m, 0x80000001, 1, h, orig, sizeof(orig));
	assert_int_equal(n, 8 + 32 + 40 + 4 + 16);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, orig, n);
		buf[cases[i].off] = cases[i].val;
		resign(h, buf, n);
		why = NULL;
		assert_int_equal(sync_decode(buf, n, h, &got, &why), -1);
		assert_non_null(why);
		if (strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu: \"%s\", expected \"%s\"", i, why,
			    cases[i].why);
	}
	/* An answer without records. */
	m = answer(0);
	n = sync_encode(&m, 0x80000001, 1, h, buf, sizeof(buf));
	assert_int_equal(sync_decode(buf, n, h, &got, &why), -1);
	assert_string_equal(why, "type or count");
	crypto_hmac_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
