/* HKDF-SHA256 against RFC 5869 appendix A.1 and A.3, and the control
 * channel's HMAC-SHA256 against RFC 4231 test case 2 (values checked with
 * Python's hmac module). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/kdf.h"
#include "tests/unit/crypto_test_util.h"

static void
test_hkdf_a1(void **state)
{
	uint8_t ikm[22], salt[13], info[10], prk[CRYPTO_PRK_LEN], okm[42];
	uint8_t want_prk[CRYPTO_PRK_LEN], want_okm[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	(void)unhex("000102030405060708090a0b0c", salt, sizeof(salt));
	(void)unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof(info));
	(void)unhex("077709362c2e32df0ddc3f0dc47bba63"
	    "90b6c73bb50f9c3122ec844ad7c2b3e5", want_prk, sizeof(want_prk));
	(void)unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
	    "2d56ecc4c5bf34007208d5b887185865", want_okm, sizeof(want_okm));
	assert_int_equal(crypto_hkdf_extract(salt, sizeof(salt), ikm,
	    sizeof(ikm), prk), 0);
	assert_memory_equal(prk, want_prk, sizeof(prk));
	assert_int_equal(crypto_hkdf_expand(prk, info, sizeof(info), okm,
	    sizeof(okm)), 0);
	assert_memory_equal(okm, want_okm, sizeof(okm));
	/* A shorter output is a prefix of the longer one (RFC 5869 2.3). */
	memset(okm, 0, sizeof(okm));
	assert_int_equal(crypto_hkdf_expand(prk, info, sizeof(info), okm, 7), 0);
	assert_memory_equal(okm, want_okm, 7);
	assert_int_equal(okm[7], 0);
}

/* No salt and no info: the salt defaults to 32 zero bytes. */
static void
test_hkdf_a3(void **state)
{
	uint8_t ikm[22], zeros[32] = { 0 }, prk[CRYPTO_PRK_LEN], okm[42];
	uint8_t want_prk[CRYPTO_PRK_LEN], want_okm[42];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	(void)unhex("19ef24a32c717b167f33a91d6f648bdf"
	    "96596776afdb6377ac434c1c293ccb04", want_prk, sizeof(want_prk));
	(void)unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
	    "4e5f3c738d2d9d201395faa4b61a96c8", want_okm, sizeof(want_okm));
	assert_int_equal(crypto_hkdf_extract(zeros, sizeof(zeros), ikm,
	    sizeof(ikm), prk), 0);
	assert_memory_equal(prk, want_prk, sizeof(prk));
	assert_int_equal(crypto_hkdf_expand(prk, NULL, 0, okm, sizeof(okm)), 0);
	assert_memory_equal(okm, want_okm, sizeof(okm));
}

static void
test_hkdf_limits(void **state)
{
	uint8_t prk[CRYPTO_PRK_LEN] = { 1 }, out[8];

	(void)state;
	assert_int_equal(crypto_hkdf_expand(prk, NULL, 0, out, 0), -1);
	assert_int_equal(crypto_hkdf_expand(prk, NULL, 0, out,
	    255 * CRYPTO_PRK_LEN + 1), -1);
}

static void
test_hmac_rfc4231_2(void **state)
{
	static const char data[] = "what do ya want for nothing?";
	uint8_t want[CRYPTO_HMAC_LEN], out[CRYPTO_HMAC_LEN];
	struct crypto_hmac *h;

	(void)state;
	(void)unhex("5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843", want, sizeof(want));
	h = crypto_hmac_new((const uint8_t *)"Jefe", 4);
	assert_non_null(h);
	/* Twice: the context keeps its key across uses. */
	assert_int_equal(crypto_hmac_sign(h, (const uint8_t *)data,
	    strlen(data), out, sizeof(out)), 0);
	assert_memory_equal(out, want, sizeof(out));
	memset(out, 0, sizeof(out));
	assert_int_equal(crypto_hmac_sign(h, (const uint8_t *)data,
	    strlen(data), out, 16), 0);
	assert_memory_equal(out, want, 16);
	assert_int_equal(out[16], 0);
	assert_int_equal(crypto_hmac_verify(h, (const uint8_t *)data,
	    strlen(data), want, 16), 0);
	want[15] ^= 1;
	assert_int_equal(crypto_hmac_verify(h, (const uint8_t *)data,
	    strlen(data), want, 16), -1);
	want[15] ^= 1;
	/* The data changed by one byte: refused. */
	assert_int_equal(crypto_hmac_verify(h, (const uint8_t *)data,
	    strlen(data) - 1, want, 16), -1);
	assert_int_equal(crypto_hmac_verify(h, (const uint8_t *)data,
	    strlen(data), want, 0), -1);
	crypto_hmac_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf_a1),
		cmocka_unit_test(test_hkdf_a3),
		cmocka_unit_test(test_hkdf_limits),
		/* One HKDF context serves every call: again, in another
		 * order, nothing of an earlier call may carry over. */
		cmocka_unit_test(test_hkdf_a3),
		cmocka_unit_test(test_hkdf_a1),
		cmocka_unit_test(test_hkdf_a3),
		cmocka_unit_test(test_hmac_rfc4231_2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
