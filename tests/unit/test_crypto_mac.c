/* HMAC known answers through sa_mac/sa_mac_verify: RFC 2202 (SHA-1) and
 * RFC 4231 (SHA-256), truncated as RFC 2404 and RFC 4868 say. Expected
 * values checked with Python's hmac module. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "tests/unit/crypto_test_util.h"

/* The cipher half of the SA is incidental: any CBC suite. */
#define AES_KEY "000102030405060708090a0b0c0d0e0f"

static struct sa_crypto *
new_mac_sa(const char *auth, const uint8_t *ak, size_t aklen, bool encrypt)
{
	uint8_t key[16];
	struct sa_crypto *c;

	(void)unhex(AES_KEY, key, sizeof(key));
	c = sa_crypto_new(cipher_by_name("aes-cbc"), key, sizeof(key),
	    auth_by_name(auth), ak, aklen, encrypt);
	assert_non_null(c);
	return c;
}

static void
mac_kat(const char *auth, const uint8_t *ak, size_t aklen, const uint8_t *d,
    size_t dlen, const char *icvh)
{
	uint8_t want[CRYPTO_ICV_MAX], icv[CRYPTO_ICV_MAX];
	size_t icvlen = unhex(icvh, want, sizeof(want));
	struct sa_crypto *c;
	int dir;

	for (dir = 0; dir < 2; dir++) {
		c = new_mac_sa(auth, ak, aklen, dir == 1);
		assert_int_equal(sa_crypto_icv_len(c), icvlen);
		/* Twice on one context: re-init keeps the key. */
		memset(icv, 0, sizeof(icv));
		assert_int_equal(sa_mac(c, d, dlen, NULL, 0, icv), 0);
		assert_memory_equal(icv, want, icvlen);
		memset(icv, 0, sizeof(icv));
		assert_int_equal(sa_mac(c, d, dlen, NULL, 0, icv), 0);
		assert_memory_equal(icv, want, icvlen);
		assert_int_equal(sa_mac_verify(c, d, dlen, NULL, 0, want), 0);
		sa_crypto_free(c);
	}
}

static void
test_hmac_sha1_96_rfc2202(void **state)
{
	uint8_t k[20], d[50];

	(void)state;
	/* Test case 1 */
	memset(k, 0x0b, 20);
	mac_kat("hmac-sha1-96", k, 20, (const uint8_t *)"Hi There", 8,
	    "b617318655057264e28bc0b6");
	/* Test case 2: a 4-byte key */
	mac_kat("hmac-sha1-96", (const uint8_t *)"Jefe", 4,
	    (const uint8_t *)"what do ya want for nothing?", 28,
	    "effcdf6ae5eb2fa2d27416d5");
	/* Test case 3 */
	memset(k, 0xaa, 20);
	memset(d, 0xdd, 50);
	mac_kat("hmac-sha1-96", k, 20, d, 50, "125d7342b9ac11cd91a39af4");
}

static void
test_hmac_sha256_128_rfc4231(void **state)
{
	uint8_t k[20], d[50];

	(void)state;
	/* Test case 1 */
	memset(k, 0x0b, 20);
	mac_kat("hmac-sha256-128", k, 20, (const uint8_t *)"Hi There", 8,
	    "b0344c61d8db38535ca8afceaf0bf12b");
	/* Test case 2 */
	mac_kat("hmac-sha256-128", (const uint8_t *)"Jefe", 4,
	    (const uint8_t *)"what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c7");
	/* Test case 3 */
	memset(k, 0xaa, 20);
	memset(d, 0xdd, 50);
	mac_kat("hmac-sha256-128", k, 20, d, 50,
	    "773ea91e36800e46854db8ebd09181a7");
}

/* Any single flipped bit, in the ICV or in the data, is rejected. */
static void
test_verify_rejects_bit_flips(void **state)
{
	uint8_t k[32], d[64], icv[CRYPTO_ICV_MAX];
	static const char *auths[] = { "hmac-sha1-96", "hmac-sha256-128" };
	struct sa_crypto *c;
	size_t a, i, icvlen;
	int bit;

	(void)state;
	for (i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)i;
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(0x40 + i);
	for (a = 0; a < 2; a++) {
		c = new_mac_sa(auths[a], k, auth_by_name(auths[a])->key_len,
		    false);
		icvlen = sa_crypto_icv_len(c);
		assert_int_equal(sa_mac(c, d, sizeof(d), NULL, 0, icv), 0);
		for (i = 0; i < icvlen; i++)
			for (bit = 0; bit < 8; bit++) {
				icv[i] ^= (uint8_t)(1 << bit);
				assert_int_equal(sa_mac_verify(c, d, sizeof(d),
				    NULL, 0, icv), -1);
				icv[i] ^= (uint8_t)(1 << bit);
			}
		d[17] ^= 0x04;
		assert_int_equal(sa_mac_verify(c, d, sizeof(d), NULL, 0, icv),
		    -1);
		d[17] ^= 0x04;
		/* and the genuine one still passes afterwards */
		assert_int_equal(sa_mac_verify(c, d, sizeof(d), NULL, 0, icv),
		    0);
		sa_crypto_free(c);
	}
}

/* The ESN high half as a second piece (RFC 4303 2.2.1) equals the MAC of
 * the concatenation; reference from Python: HMAC-SHA256 with key
 * 00..1f over "ESP header and payload" || 00000001, first 16 bytes. */
static void
test_two_pieces(void **state)
{
	static const char msg[] = "ESP header and payload";
	uint8_t k[32], cat[sizeof(msg) - 1 + 4], hi[4] = { 0, 0, 0, 1 };
	uint8_t icv1[16], icv2[16], want[16];
	struct sa_crypto *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)i;
	memcpy(cat, msg, sizeof(msg) - 1);
	memcpy(cat + sizeof(msg) - 1, hi, 4);
	(void)unhex("819f38bd5222d85ed831e6cfc6edf553", want, sizeof(want));
	c = new_mac_sa("hmac-sha256-128", k, sizeof(k), true);
	assert_int_equal(sa_mac(c, (const uint8_t *)msg, sizeof(msg) - 1, hi,
	    4, icv1), 0);
	assert_int_equal(sa_mac(c, cat, sizeof(cat), NULL, 0, icv2), 0);
	assert_memory_equal(icv1, want, 16);
	assert_memory_equal(icv2, want, 16);
	assert_int_equal(sa_mac_verify(c, cat, 10, cat + 10,
	    sizeof(cat) - 10, want), 0);
	/* Without the high bits it is a different ICV. */
	assert_int_equal(sa_mac_verify(c, (const uint8_t *)msg,
	    sizeof(msg) - 1, NULL, 0, want), -1);
	sa_crypto_free(c);
}

/* One SA carrying cipher and MAC, as ESP uses it: RFC 2202 case 2 split
 * across the two pieces, next to a CBC known answer (RFC 3602 case 1). */
static void
test_cipher_and_mac_together(void **state)
{
	uint8_t key[16], iv[16], buf[16], want[16], icv[12];
	struct sa_crypto *c;

	(void)state;
	(void)unhex("06a9214036b8a15b512e03d534120006", key, sizeof(key));
	(void)unhex("3dafba429d9eb430b422da802c9fac41", iv, sizeof(iv));
	(void)unhex("e353779c1079aeb82708942dbe77181a", want, sizeof(want));
	c = sa_crypto_new(cipher_by_name("aes-cbc"), key, sizeof(key),
	    auth_by_name("hmac-sha1-96"), (const uint8_t *)"Jefe", 4, true);
	assert_non_null(c);
	assert_int_equal(sa_crypto_icv_len(c), 12);
	memcpy(buf, "Single block msg", 16);
	assert_int_equal(sa_cbc_encrypt(c, iv, buf, 16), 0);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(sa_mac(c, (const uint8_t *)"what do ya want ", 16,
	    (const uint8_t *)"for nothing?", 12, icv), 0);
	(void)unhex("effcdf6ae5eb2fa2d27416d5", want, sizeof(want));
	assert_memory_equal(icv, want, 12);
	sa_crypto_free(c);
}

/* Without an HMAC there is nothing to compute or verify. */
static void
test_no_mac(void **state)
{
	uint8_t key[16] = { 0 }, icv[16] = { 0 };
	struct sa_crypto *c;

	(void)state;
	c = sa_crypto_new(cipher_by_name("aes-cbc"), key, sizeof(key),
	    auth_by_name("none"), NULL, 0, true);
	assert_non_null(c);
	assert_int_equal(sa_crypto_icv_len(c), 0);
	assert_int_equal(sa_mac(c, key, 16, NULL, 0, icv), -1);
	assert_int_equal(sa_mac_verify(c, key, 16, NULL, 0, icv), -1);
	sa_crypto_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_sha1_96_rfc2202),
		cmocka_unit_test(test_hmac_sha256_128_rfc4231),
		cmocka_unit_test(test_verify_rejects_bit_flips),
		cmocka_unit_test(test_two_pieces),
		cmocka_unit_test(test_cipher_and_mac_together),
		cmocka_unit_test(test_no_mac),
	};

	return cmocka_run_group_tests(tests, crypto_group_setup,
	    crypto_group_teardown);
}
