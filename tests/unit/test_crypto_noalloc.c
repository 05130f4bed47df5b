/* The per-packet calls must not allocate (DESIGN.md "Buffers"): count
 * OpenSSL's allocations around them. None may: not the ciphers, and not
 * the HMAC, which starts from copies of its keyed hash states
 * (crypto/hmac.c) where an EVP re-init would free and allocate digest
 * state for every packet on OpenSSL 3.0. */
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

static void
test_per_packet_no_alloc(void **state)
{
	static const char *ciphers[] = { "blowfish-cbc", "3des-cbc",
	    "aes-cbc", "aes-gcm", "chacha20-poly1305" };
	uint8_t key[36], ak[32], iv[16], buf[1400], tag[16];
	const struct cipher_info *ci;
	struct sa_crypto *e, *d;
	unsigned long before;
	size_t i, keylen;
	int round;

	(void)state;
	memset(key, 0x11, sizeof(key));
	memset(ak, 0x22, sizeof(ak));
	memset(iv, 0x33, sizeof(iv));
	memset(buf, 0x44, sizeof(buf));
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		ci = cipher_by_name(ciphers[i]);
		keylen = ci->key_default + ci->salt_len;
		e = sa_crypto_new(ci, key, keylen, ci->aead ? NULL :
		    auth_by_name("hmac-sha256-128"), ci->aead ? NULL : ak,
		    ci->aead ? 0 : 32, true);
		d = sa_crypto_new(ci, key, keylen, ci->aead ? NULL :
		    auth_by_name("hmac-sha256-128"), ci->aead ? NULL : ak,
		    ci->aead ? 0 : 32, false);
		assert_non_null(e);
		assert_non_null(d);
		/* One warm-up packet, then none may allocate. */
		for (round = 0; round < 3; round++) {
			before = nalloc;
			if (ci->aead) {
				assert_int_equal(sa_aead_encrypt(e, iv, key, 8,
				    buf, sizeof(buf), tag), 0);
				assert_int_equal(sa_aead_decrypt(d, iv, key, 8,
				    buf, sizeof(buf), tag), 0);
				tag[0] ^= 1;
				assert_int_equal(sa_aead_decrypt(d, iv, key, 8,
				    buf, sizeof(buf), tag), -1);
			} else {
				assert_int_equal(sa_cbc_encrypt(e, iv, buf,
				    sizeof(buf) - sizeof(buf) % ci->block), 0);
				assert_int_equal(sa_cbc_decrypt(d, iv, buf,
				    sizeof(buf) - sizeof(buf) % ci->block), 0);
			}
			assert_int_equal(crypto_random(iv, 16), 0);
			if (round > 0)
				assert_int_equal(nalloc, before);
			if (ci->aead)
				continue;
			before = nalloc;
			assert_int_equal(sa_mac(e, buf, sizeof(buf), key, 4,
			    tag), 0);
			assert_int_equal(sa_mac_verify(d, buf, sizeof(buf),
			    key, 4, tag), 0);
			tag[3] ^= 1;
			assert_int_equal(sa_mac_verify(d, buf, sizeof(buf),
			    key, 4, tag), -1);
			if (round > 0)
				assert_int_equal(nalloc, before);
		}
		sa_crypto_free(e);
		sa_crypto_free(d);
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
