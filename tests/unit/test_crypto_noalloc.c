/* The per-packet calls must not allocate (DESIGN.md "Buffers"): count
 * OpenSSL's allocations around them. None may allocate: not the CBC IV,
 * the cipher or the AEAD, not the HMAC, which starts from copies of its
 * keyed hash states (crypto/hmac.c) where an EVP re-init would free and
 * allocate digest state for every packet on OpenSSL 3.0, and not
 * AES-XCBC-MAC, whose ECB context is keyed once (crypto/xcbc.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"

static unsigned long nalloc;

static void *
count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	nalloc++;
	return malloc(n);
}

static void *
count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	nalloc++;
	return realloc(p, n);
}

static void
count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

/* One packet each way as ESP makes it: IV, encrypt and MAC out; verify
 * (also of a forgery) and decrypt in. */
static void
cbc_packet(struct sa_crypto *e, struct sa_crypto *d, uint64_t n,
    uint8_t *buf, size_t len)
{
	uint8_t iv[CRYPTO_IV_MAX], icv[CRYPTO_ICV_MAX], hi[4] = { 0 };
	size_t ivlen = sa_crypto_cipher(e)->iv_len;

	assert_int_equal(sa_cbc_iv(e, n, iv), 0);
	memcpy(buf, iv, ivlen);
	assert_int_equal(sa_cbc_encrypt(e, iv, buf + ivlen, len), 0);
	assert_int_equal(sa_mac(e, buf, ivlen + len, hi, 4, icv), 0);
	assert_int_equal(sa_mac_verify(d, buf, ivlen + len, hi, 4, icv), 0);
	icv[3] ^= 1;
	assert_int_equal(sa_mac_verify(d, buf, ivlen + len, hi, 4, icv), -1);
	assert_int_equal(sa_cbc_decrypt(d, buf, buf + ivlen, len), 0);
}

static void
test_per_packet_no_alloc(void **state)
{
	static const char *ciphers[] = { "blowfish-cbc", "3des-cbc",
	    "aes-cbc", "aes-gcm", "chacha20-poly1305", "des-cbc",
	    "cast128-cbc", "aes-ctr" };
	static const char *auths[] = { "hmac-sha1-96", "hmac-sha256-128",
	    "hmac-md5-96", "hmac-sha384-192", "hmac-sha512-256",
	    "hmac-sha512-96", "aes-xcbc-mac-96" };
	const size_t nauths = sizeof(auths) / sizeof(auths[0]);
	uint8_t key[36], ak[64], iv[16], buf[16 + 1400], tag[16];
	const struct cipher_info *ci;
	const struct auth_info *ai;
	struct sa_crypto *e, *d;
	unsigned long before;
	size_t i, a, keylen, len;
	int round;

	(void)state;
	memset(key, 0x11, sizeof(key));
	memset(ak, 0x22, sizeof(ak));
	memset(iv, 0x33, sizeof(iv));
	memset(buf, 0x44, sizeof(buf));
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		ci = cipher_by_name(ciphers[i]);
		/* AEAD suites take no auth: once each. */
		for (a = 0; a < (cipher_is_aead(ci) ? 1u : nauths); a++) {
			ai = cipher_is_aead(ci) ? auth_by_name("none") :
			    auth_by_name(auths[a]);
			keylen = ci->key_default + ci->salt_len;
			before = nalloc;
			e = sa_crypto_new(ci, key, keylen, ai, ai->key_len ?
			    ak : NULL, ai->key_len, true);
			d = sa_crypto_new(ci, key, keylen, ai, ai->key_len ?
			    ak : NULL, ai->key_len, false);
			assert_non_null(e);
			assert_non_null(d);
			/* The counting sees OpenSSL's allocations (an EVP
			 * context; Blowfish and HMAC keys live in ours). */
			if (ci->id != CIPHER_BLOWFISH_CBC)
				assert_true(nalloc > before);
			len = 1400 - 1400 % ci->block;
			/* One warm-up packet, then none may allocate. */
			for (round = 0; round < 3; round++) {
				before = nalloc;
				if (cipher_is_aead(ci)) {
					assert_int_equal(sa_aead_encrypt(e, iv,
					    key, 8, buf, len, tag), 0);
					assert_int_equal(sa_aead_decrypt(d, iv,
					    key, 8, buf, len, tag), 0);
					tag[0] ^= 1;
					assert_int_equal(sa_aead_decrypt(d, iv,
					    key, 8, buf, len, tag), -1);
				} else if (ci->mode == CIPHER_MODE_CTR) {
					assert_int_equal(sa_ctr_crypt(e, iv,
					    buf, len), 0);
					assert_int_equal(sa_ctr_crypt(d, iv,
					    buf, len), 0);
				} else {
					cbc_packet(e, d, (uint64_t)round + 1,
					    buf, len);
					cbc_packet(e, d, (uint64_t)round + 1,
					    buf, 64);
				}
				if (round > 0)
					assert_int_equal(nalloc, before);
			}
			sa_crypto_free(e);
			sa_crypto_free(d);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_packet_no_alloc),
	};

	/* Before OpenSSL allocates anything, or it refuses. */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc,
	    count_free))
		return 1;
	if (crypto_global_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
