/* CBC as sa_crypto runs it: Blowfish through its own key schedule, the
 * other ciphers through an EVP context that is only ever updated, and
 * the IVs from a counter (sa_cbc_iv). The reference is a fresh EVP
 * context per packet, keyed and given the IV as EVP documents (for
 * Blowfish the legacy provider's BF-CBC). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/crypto_impl.h"
#include "tests/unit/crypto_test_util.h"

struct suite {
	const char *cipher;
	size_t      keylen;
};

static const struct suite suites[] = {
	{ "blowfish-cbc", 16 }, { "blowfish-cbc", 32 }, { "blowfish-cbc", 56 },
	{ "3des-cbc", 24 },
	{ "aes-cbc", 16 }, { "aes-cbc", 24 }, { "aes-cbc", 32 },
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static void
mk_key(uint8_t *key, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		key[i] = (uint8_t)(seed + 29 * i);
}

static struct sa_crypto *
mk_sa(const struct suite *s, const uint8_t *key, bool encrypt)
{
	struct sa_crypto *c;

	c = sa_crypto_new(cipher_by_name(s->cipher), key, s->keylen, NULL,
	    NULL, 0, encrypt);
	assert_non_null(c);
	return c;
}

/* CBC of data in place by a fresh EVP context. */
static void
evp_cbc(const struct suite *s, const uint8_t *key, const uint8_t *iv,
    uint8_t *data, size_t len, bool encrypt)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int enc = encrypt ? 1 : 0, outl, finl;

	assert_non_null(ctx);
	assert_true(EVP_CipherInit_ex(ctx, crypto_fetched_cipher(
	    cipher_by_name(s->cipher)->id, s->keylen), NULL, NULL, NULL, enc));
	/* BF-CBC takes 128 bits unless told otherwise. */
	assert_true(EVP_CIPHER_CTX_set_key_length(ctx, (int)s->keylen));
	assert_int_equal(EVP_CIPHER_CTX_get_key_length(ctx), s->keylen);
	assert_true(EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc));
	assert_true(EVP_CIPHER_CTX_set_padding(ctx, 0));
	assert_true(EVP_CipherUpdate(ctx, data, &outl, data, (int)len));
	assert_true(EVP_CipherFinal_ex(ctx, data + outl, &finl));
	assert_int_equal((size_t)outl + (size_t)finl, len);
	EVP_CIPHER_CTX_free(ctx);
}

/* Packets of many lengths under changing IVs on one SA per direction
 * give what a fresh EVP context gives for each; the receiver decrypts
 * them in another order than they were sent, as reordering would. */
static void
test_matches_evp(void **state)
{
	enum { NPKT = 40 };
	static uint8_t pt[NPKT][512], ct[NPKT][512], buf[512];
	uint8_t key[CRYPTO_KEY_MAX], iv[NPKT][CRYPTO_IV_MAX];
	size_t len[NPKT], s, i, j, bs;
	struct sa_crypto *e, *d;

	(void)state;
	for (s = 0; s < NSUITES; s++) {
		bs = cipher_by_name(suites[s].cipher)->block;
		mk_key(key, suites[s].keylen, (uint8_t)(s + 3));
		e = mk_sa(&suites[s], key, true);
		d = mk_sa(&suites[s], key, false);
		for (i = 0; i < NPKT; i++) {
			len[i] = bs * (1 + (i * 7) % (sizeof(pt[i]) / bs));
			for (j = 0; j < len[i]; j++)
				pt[i][j] = (uint8_t)(i * 31 + j);
			for (j = 0; j < bs; j++)
				iv[i][j] = (uint8_t)(i ^ (j * 17));
			memcpy(ct[i], pt[i], len[i]);
			assert_int_equal(sa_cbc_encrypt(e, iv[i], ct[i],
			    len[i]), 0);
			memcpy(buf, pt[i], len[i]);
			evp_cbc(&suites[s], key, iv[i], buf, len[i], true);
			assert_memory_equal(ct[i], buf, len[i]);
		}
		for (i = 0; i < NPKT; i++) {
			j = (i * 17) % NPKT;
			memcpy(buf, ct[j], len[j]);
			assert_int_equal(sa_cbc_decrypt(d, iv[j], buf, len[j]),
			    0);
			assert_memory_equal(buf, pt[j], len[j]);
		}
		sa_crypto_free(e);
		sa_crypto_free(d);
	}
}

static size_t qsort_bs;

static int
cmp_iv(const void *a, const void *b)
{
	return memcmp(a, b, qsort_bs);
}

/* IVs for counters 1..N are distinct, none is the counter itself, one
 * counter always gives one IV on an SA, and another SA (another key, or
 * even the same key) gives others. */
static void
test_counter_ivs(void **state)
{
	enum { N = 4096 };
	static uint8_t ivs[N][CRYPTO_IV_MAX], sorted[N][CRYPTO_IV_MAX];
	uint8_t key[CRYPTO_KEY_MAX], iv[CRYPTO_IV_MAX], ctr[CRYPTO_IV_MAX];
	uint8_t iv2[CRYPTO_IV_MAX], junk[2 * CRYPTO_IV_MAX];
	struct sa_crypto *e, *e2, *e3;
	size_t s, i, bs;
	uint64_t n;

	(void)state;
	for (s = 0; s < NSUITES; s++) {
		bs = cipher_by_name(suites[s].cipher)->block;
		mk_key(key, suites[s].keylen, 0x40);
		e = mk_sa(&suites[s], key, true);
		e3 = mk_sa(&suites[s], key, true);
		mk_key(key, suites[s].keylen, 0x41);
		e2 = mk_sa(&suites[s], key, true);
		for (n = 1; n <= N; n++) {
			assert_int_equal(sa_cbc_iv(e, n, ivs[n - 1]), 0);
			memset(ctr, 0, sizeof(ctr));
			for (i = 0; i < 8; i++)
				ctr[bs - 1 - i] = (uint8_t)(n >> (8 * i));
			assert_memory_not_equal(ivs[n - 1], ctr, bs);
			assert_int_equal(sa_cbc_iv(e2, n, iv), 0);
			assert_memory_not_equal(ivs[n - 1], iv, bs);
			assert_int_equal(sa_cbc_iv(e3, n, iv), 0);
			assert_memory_not_equal(ivs[n - 1], iv, bs);
		}
		qsort_bs = bs;
		memcpy(sorted, ivs, sizeof(sorted));
		qsort(sorted, N, sizeof(sorted[0]), cmp_iv);
		for (n = 1; n < N; n++)
			assert_memory_not_equal(sorted[n - 1], sorted[n], bs);
		/* Deterministic, whatever ran in between (sa_cbc_encrypt
		 * and sa_cbc_iv share nothing). */
		assert_int_equal(sa_cbc_iv(e, 77, iv), 0);
		memset(iv2, 0xee, sizeof(iv2));
		memset(junk, 0x11, sizeof(junk));
		assert_int_equal(sa_cbc_encrypt(e, iv2, junk, bs * 2), 0);
		assert_int_equal(sa_cbc_iv(e, UINT64_MAX, iv2), 0);
		assert_int_equal(sa_cbc_iv(e, 77, iv2), 0);
		assert_memory_equal(iv, iv2, bs);
		assert_memory_equal(iv, ivs[76], bs);
		sa_crypto_free(e);
		sa_crypto_free(e2);
		sa_crypto_free(e3);
	}
}

/* Only an encrypting CBC SA has an IV key. */
static void
test_iv_misuse(void **state)
{
	uint8_t key[36] = { 0 }, iv[CRYPTO_IV_MAX];
	struct sa_crypto *d, *g;

	(void)state;
	d = sa_crypto_new(cipher_by_name("aes-cbc"), key, 16, NULL, NULL, 0,
	    false);
	g = sa_crypto_new(cipher_by_name("aes-gcm"), key, 20, NULL, NULL, 0,
	    true);
	assert_non_null(d);
	assert_non_null(g);
	assert_int_equal(sa_cbc_iv(d, 1, iv), -1);
	assert_int_equal(sa_cbc_iv(g, 1, iv), -1);
	sa_crypto_free(d);
	sa_crypto_free(g);
}

/* The Blowfish backend on its own against EVP for the key sizes where a
 * schedule built from a wrong length would show: 128, 256 and 448 bits,
 * and one that is no multiple of 8. */
static void
test_bf_backend(void **state)
{
	static const size_t keylens[] = { 16, 21, 32, 56 };
	uint8_t key[56], iv[8], buf[64], ref[64];
	struct suite s = { "blowfish-cbc", 0 };
	struct bf_cbc *b;
	size_t k, i;

	(void)state;
	memset(key, 0, sizeof(key));
	assert_null(bf_cbc_new(key, 0));
	assert_null(bf_cbc_new(key, 57));
	for (k = 0; k < sizeof(keylens) / sizeof(keylens[0]); k++) {
		s.keylen = keylens[k];
		mk_key(key, sizeof(key), (uint8_t)k);
		for (i = 0; i < sizeof(iv); i++)
			iv[i] = (uint8_t)(0xa0 + i);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)i;
		memcpy(ref, buf, sizeof(buf));
		b = bf_cbc_new(key, keylens[k]);
		assert_non_null(b);
		bf_cbc_crypt(b, iv, buf, sizeof(buf), true);
		evp_cbc(&s, key, iv, ref, sizeof(ref), true);
		assert_memory_equal(buf, ref, sizeof(buf));
		/* The IV is the caller's and stays as it was. */
		assert_int_equal(iv[7], 0xa7);
		bf_cbc_crypt(b, iv, buf, sizeof(buf), false);
		for (i = 0; i < sizeof(buf); i++)
			assert_int_equal(buf[i], i);
		bf_cbc_free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_evp),
		cmocka_unit_test(test_counter_ivs),
		cmocka_unit_test(test_iv_misuse),
		cmocka_unit_test(test_bf_backend),
	};

	return cmocka_run_group_tests(tests, crypto_group_setup,
	    crypto_group_teardown);
}
