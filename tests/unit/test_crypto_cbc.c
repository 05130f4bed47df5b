/* CBC as sa_crypto runs it: through an EVP context that is only ever
 * updated. The reference is a fresh EVP context per packet, keyed and
 * given the IV as EVP documents. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_evp),
	};

	return cmocka_run_group_tests(tests, crypto_group_setup,
	    crypto_group_teardown);
}
