/* The pre-keyed HMAC (crypto/hmac.c) against OpenSSL's EVP HMAC, the
 * reference, for every hash, every key length up to past the block size
 * (64 bytes, 128 for SHA-384/512) and data split anywhere between the
 * two pieces; and the RFC 2202 / RFC 4231 cases whose keys are longer
 * than a block (hashed first, RFC 2104 2), which sa_crypto_new never
 * takes but the HMAC rule covers. */
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

/* Every HMAC suite, with the digest OpenSSL names it by. */
static const struct {
	enum auth_id	 id;
	const char	*auth;
	const char	*digest;
} hmacs[] = {
	{ AUTH_HMAC_MD5_96, "hmac-md5-96", "MD5" },
	{ AUTH_HMAC_SHA1_96, "hmac-sha1-96", "SHA1" },
	{ AUTH_HMAC_SHA256_128, "hmac-sha256-128", "SHA256" },
	{ AUTH_HMAC_SHA384_192, "hmac-sha384-192", "SHA384" },
	{ AUTH_HMAC_SHA512_256, "hmac-sha512-256", "SHA512" },
	{ AUTH_HMAC_SHA256_96, "hmac-sha256-96", "SHA256" },
	{ AUTH_HMAC_SHA384_96, "hmac-sha384-96", "SHA384" },
	{ AUTH_HMAC_SHA512_96, "hmac-sha512-96", "SHA512" },
};
#define NHMACS (sizeof(hmacs) / sizeof(hmacs[0]))

static const char *
digest_of(enum auth_id id)
{
	size_t a;

	for (a = 0; a < NHMACS; a++)
		if (hmacs[a].id == id)
			return hmacs[a].digest;
	fail_msg("no digest for auth id %d", (int)id);
	return NULL;
}

static void
evp_hmac(enum auth_id id, const uint8_t *key, size_t keylen,
    const uint8_t *d, size_t dlen, uint8_t *md, size_t *mdlen)
{
	uint8_t k1[1] = { 0 };

	/* EVP_Q_mac wants a key pointer even for an empty key. */
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, digest_of(id), NULL,
	    keylen > 0 ? key : k1, keylen, d, dlen, md, HMAC_MD_MAX, mdlen));
}

static void
test_matches_evp(void **state)
{
	static const size_t keylens[] = { 0, 1, 4, 7, 16, 19, 20, 21, 32, 33,
	    48, 55, 63, 64, 65, 80, 100, 127, 128, 129, 131, 200 };
	static const size_t dlens[] = { 0, 1, 20, 55, 56, 63, 64, 65, 111,
	    112, 119, 120, 127, 128, 129, 1400 };
	uint8_t key[200], d[1400], want[HMAC_MD_MAX], got[HMAC_MD_MAX];
	struct hmac_key *h;
	size_t a, k, n, i, split, mdlen;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 5);
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 7 + 1);
	for (a = 0; a < NHMACS; a++)
		for (k = 0; k < sizeof(keylens) / sizeof(keylens[0]); k++) {
			h = hmac_key_new(hmacs[a].id, key, keylens[k]);
			assert_non_null(h);
			for (n = 0; n < sizeof(dlens) / sizeof(dlens[0]); n++) {
				evp_hmac(hmacs[a].id, key, keylens[k], d,
				    dlens[n], want, &mdlen);
				assert_int_equal(hmac_len(h), mdlen);
				/* d1 || d2 is what counts, wherever it is
				 * split. */
				for (split = 0; split <= dlens[n];
				    split += split < 70 ? 1 : 97) {
					memset(got, 0, sizeof(got));
					assert_int_equal(hmac_compute(h, d,
					    split, d + split, dlens[n] - split,
					    got), 0);
					assert_memory_equal(got, want, mdlen);
				}
			}
			hmac_key_free(h);
		}
}

static void
kat(enum auth_id id, uint8_t keybyte, size_t keylen, const char *msg,
    const char *mdh)
{
	uint8_t key[131], want[HMAC_MD_MAX], got[HMAC_MD_MAX];
	size_t mdlen = unhex(mdh, want, sizeof(want));
	struct hmac_key *h;

	assert_true(keylen <= sizeof(key));
	memset(key, keybyte, keylen);
	h = hmac_key_new(id, key, keylen);
	assert_non_null(h);
	assert_int_equal(hmac_compute(h, (const uint8_t *)msg, strlen(msg),
	    NULL, 0, got), 0);
	assert_memory_equal(got, want, mdlen);
	hmac_key_free(h);
}

/* RFC 2202 3, cases 6 and 7: an 80-byte key. */
static void
test_rfc2202_long_key(void **state)
{
	(void)state;
	kat(AUTH_HMAC_SHA1_96, 0xaa, 80,
	    "Test Using Larger Than Block-Size Key - Hash Key First",
	    "aa4ae5e15272d00e95705637ce8a3b55ed402112");
	kat(AUTH_HMAC_SHA1_96, 0xaa, 80,
	    "Test Using Larger Than Block-Size Key and Larger Than One "
	    "Block-Size Data", "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

/* RFC 4231 4.7 and 4.8: a 131-byte key. */
static void
test_rfc4231_long_key(void **state)
{
	(void)state;
	kat(AUTH_HMAC_SHA256_128, 0xaa, 131,
	    "Test Using Larger Than Block-Size Key - Hash Key First",
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	kat(AUTH_HMAC_SHA256_128, 0xaa, 131,
	    "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.",
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

/* Through the SA: suite key lengths (16 to 64) and odd ones, with the
 * ESN piece, truncated as RFC 2403 / 2404 / 4868 say; verify agrees. */
static void
test_sa_mac_matches_evp(void **state)
{
	static const size_t keylens[] = { 1, 13, 16, 20, 32, 47, 48, 64 };
	uint8_t ckey[16] = { 0 }, key[64], d[300], want[HMAC_MD_MAX];
	uint8_t icv[CRYPTO_ICV_MAX + 8];
	const struct auth_info *ai;
	struct sa_crypto *c;
	size_t a, k, i, mdlen;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xf0 - i);
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i ^ 0x5a);
	for (a = 0; a < NHMACS; a++)
		for (k = 0; k < sizeof(keylens) / sizeof(keylens[0]); k++) {
			ai = auth_by_name(hmacs[a].auth);
			c = sa_crypto_new(cipher_by_name("blowfish-cbc"), ckey,
			    sizeof(ckey), ai, key, keylens[k], false);
			assert_non_null(c);
			evp_hmac(ai->id, key, keylens[k], d, sizeof(d), want,
			    &mdlen);
			assert_int_equal(sa_crypto_icv_len(c), ai->icv_len);
			memset(icv, 0xee, sizeof(icv));
			assert_int_equal(sa_mac(c, d, sizeof(d) - 4,
			    d + sizeof(d) - 4, 4, icv), 0);
			assert_memory_equal(icv, want, ai->icv_len);
			/* The leftmost bits only: nothing past the ICV. */
			for (i = ai->icv_len; i < sizeof(icv); i++)
				assert_int_equal(icv[i], 0xee);
			assert_int_equal(sa_mac_verify(c, d, 100, d + 100,
			    sizeof(d) - 100, want), 0);
			want[ai->icv_len - 1] ^= 0x80;
			assert_int_equal(sa_mac_verify(c, d, sizeof(d), NULL,
			    0, want), -1);
			sa_crypto_free(c);
		}
}

static void
test_refuses_other_suites(void **state)
{
	uint8_t key[20] = { 0 };

	(void)state;
	assert_null(hmac_key_new(AUTH_NONE, key, sizeof(key)));
	assert_null(hmac_key_new(AUTH_AES_XCBC_MAC_96, key, 16));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_evp),
		cmocka_unit_test(test_rfc2202_long_key),
		cmocka_unit_test(test_rfc4231_long_key),
		cmocka_unit_test(test_sa_mac_matches_evp),
		cmocka_unit_test(test_refuses_other_suites),
	};

	return cmocka_run_group_tests(tests, crypto_group_setup,
	    crypto_group_teardown);
}
