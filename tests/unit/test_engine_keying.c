/* Derived keying against the documented derivation (keying.h), computed
 * independently with Python's hmac module (RFC 5869 written out):
 *
 *	prk = HMAC(b"vpntund keying v1", block)
 *	okm = T(1) || T(2) ..., T(i) = HMAC(prk, T(i-1) || info || i)
 *
 * An SA keyed by sa_root_key for an epoch must interoperate with one
 * keyed directly with those bytes; manual keying uses the block as it
 * is. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/kdf.h"
#include "src/engine/keying.h"
#include "tests/unit/crypto_test_util.h"

static struct peer_conf
peer(const char *cipher, size_t bits, const char *auth)
{
	struct peer_conf pc;

	memset(&pc, 0, sizeof(pc));
	strcpy(pc.name, "kat");
	pc.suite_out.cipher = cipher_by_name(cipher);
	pc.suite_out.key_bits = bits;
	pc.suite_out.auth = auth != NULL ? auth_by_name(auth) : NULL;
	pc.suite_in = pc.suite_out;
	pc.replay_window = 64;
	return pc;
}

static void
keys_of(struct sa_keys *k, const uint8_t *block, size_t enc, size_t auth)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->enc, block, enc);
	k->enc_len = enc;
	memcpy(k->auth, block + enc, auth);
	k->auth_len = auth;
}

/* Encrypts with sa (keyed by the code under test), decrypts with a
 * context keyed from want (the reference bytes). */
static void
aead_agrees(struct esp_sa *sa, const struct peer_conf *pc, const uint8_t *want,
    size_t wantlen)
{
	static const uint8_t iv[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t aad[8] = { 1, 2, 3, 4, 0, 0, 0, 1 };
	uint8_t data[32], tag[16];
	struct sa_crypto *ref;

	memset(data, 0x42, sizeof(data));
	assert_int_equal(sa_aead_encrypt(sa->crypto, iv, aad, sizeof(aad),
	    data, sizeof(data), tag), 0);
	ref = sa_crypto_new(pc->suite_out.cipher, want, wantlen, NULL, NULL, 0,
	    false);
	assert_non_null(ref);
	assert_int_equal(sa_aead_decrypt(ref, iv, aad, sizeof(aad), data,
	    sizeof(data), tag), 0);
	assert_int_equal(data[0], 0x42);
	assert_int_equal(data[31], 0x42);
	sa_crypto_free(ref);
}

static void
test_epoch_gcm(void **state)
{
	struct peer_conf pc = peer("aes-gcm", 256, NULL);
	uint8_t block[36], want[36];
	struct sa_keys k;
	struct sa_root r;
	struct esp_sa sa;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)i;
	(void)unhex("14243f82d3c9008d98839c164cf0893b363fd3f9983ddb09723903"
	    "6c5615e4051ee5ad31", want, sizeof(want));
	keys_of(&k, block, 36, 0);
	assert_int_equal(sa_root_init(&r, &pc, &pc.suite_out, &k,
	    0x12345678, true), 0);
	/* The caller's copy of the keys is wiped. */
	assert_int_equal(k.enc[5], 0);
	memset(&sa, 0, sizeof(sa));
	assert_int_equal(sa_root_key(&r, 5, true, &sa), 0);
	/* Odd epochs travel with the base SPI's low bit flipped. */
	assert_int_equal(sa.spi, 0x12345679);
	aead_agrees(&sa, &pc, want, sizeof(want));
	/* Another epoch is another key: the reference refuses it. */
	assert_int_equal(sa_root_key(&r, 6, true, &sa), 0);
	assert_int_equal(sa.spi, 0x12345678);
	{
		static const uint8_t iv[8] = { 0 }, aad[8] = { 0 };
		uint8_t data[16] = { 0 }, tag[16];
		struct sa_crypto *ref = sa_crypto_new(pc.suite_out.cipher, want,
		    sizeof(want), NULL, NULL, 0, false);

		assert_int_equal(sa_aead_encrypt(sa.crypto, iv, aad, 8, data,
		    sizeof(data), tag), 0);
		assert_int_equal(sa_aead_decrypt(ref, iv, aad, 8, data,
		    sizeof(data), tag), -1);
		sa_crypto_free(ref);
	}
	esp_sa_clear(&sa);
	sa_root_wipe(&r);
}

/* CBC with HMAC: cipher key and auth key both come from the expansion,
 * split as the key file's block is; epoch 2^64 - 1 is a valid input. */
static void
test_epoch_cbc_hmac(void **state)
{
	struct peer_conf pc = peer("aes-cbc", 256, "hmac-sha1-96");
	uint8_t block[52], want[52], data[32], icv[12];
	static const uint8_t iv[16] = { 9 };
	struct sa_crypto *ref;
	struct sa_keys k;
	struct sa_root r;
	struct esp_sa sa;
	size_t i;

	(void)state;
	for (i = 0; i < 32; i++)
		block[i] = (uint8_t)(100 + i);
	for (i = 0; i < 20; i++)
		block[32 + i] = (uint8_t)(200 + i);
	(void)unhex("ec6a4f251238f0d566eb4d323b191ac2a1dba415e2809622c38085"
	    "8e7a0d9c9a2755e23e4d44d540dd8a6cc7c8e4f18afd3ec4f6", want,
	    sizeof(want));
	keys_of(&k, block, 32, 20);
	assert_int_equal(sa_root_init(&r, &pc, &pc.suite_out, &k,
	    0x80000100, true), 0);
	memset(&sa, 0, sizeof(sa));
	assert_int_equal(sa_root_key(&r, UINT64_MAX, true, &sa), 0);
	assert_int_equal(sa.spi, 0x80000101);
	memset(data, 0x17, sizeof(data));
	assert_int_equal(sa_cbc_encrypt(sa.crypto, iv, data, sizeof(data)), 0);
	assert_int_equal(sa_mac(sa.crypto, data, sizeof(data), NULL, 0, icv),
	    0);
	ref = sa_crypto_new(pc.suite_out.cipher, want, 32, pc.suite_out.auth,
	    want + 32, 20, false);
	assert_non_null(ref);
	assert_int_equal(sa_mac_verify(ref, data, sizeof(data), NULL, 0, icv),
	    0);
	assert_int_equal(sa_cbc_decrypt(ref, iv, data, sizeof(data)), 0);
	assert_int_equal(data[0], 0x17);
	sa_crypto_free(ref);
	esp_sa_clear(&sa);
	sa_root_wipe(&r);
}

static void
test_ctl_key(void **state)
{
	struct peer_conf pc = peer("aes-gcm", 256, NULL);
	uint8_t block[36], want[32], key[CRYPTO_HMAC_LEN];
	struct sa_keys k;
	struct sa_root r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)i;
	(void)unhex("114ad7221408224df4753653e73979da85eeccb80ae2892b394c9f"
	    "7dff63b5ec", want, sizeof(want));
	keys_of(&k, block, 36, 0);
	assert_int_equal(sa_root_init(&r, &pc, &pc.suite_out, &k,
	    0x12345678, true), 0);
	assert_int_equal(sa_root_ctl_key(&r, 0x0badcafe, key), 0);
	assert_memory_equal(key, want, sizeof(want));
	sa_root_wipe(&r);
}

/* Manual keying: the configured key, the base SPI, one SA; the root's
 * copy is gone once the SA holds it. */
static void
test_manual(void **state)
{
	struct peer_conf pc = peer("aes-gcm", 128, NULL);
	uint8_t block[20];
	struct sa_keys k;
	struct sa_root r;
	struct esp_sa sa;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(0x30 + i);
	keys_of(&k, block, 20, 0);
	assert_int_equal(sa_root_init(&r, &pc, &pc.suite_out, &k,
	    0x4000, false), 0);
	memset(&sa, 0, sizeof(sa));
	assert_int_equal(sa_root_key(&r, 0, false, &sa), 0);
	assert_int_equal(sa.spi, 0x4000);
	assert_int_equal(sa_root_spi(&r, 1), 0x4000);
	assert_non_null(sa.replay.bits);
	assert_null(r.keys);
	assert_int_equal(k.enc[0], 0);
	assert_int_equal(sa_root_key(&r, 0, false, &sa), -1);
	{
		uint8_t key[CRYPTO_HMAC_LEN];

		assert_int_equal(sa_root_ctl_key(&r, 1, key), -1);
	}
	{
		struct esp_sa out;

		memset(&out, 0, sizeof(out));
		keys_of(&k, block, 20, 0);
		assert_int_equal(sa_root_init(&r, &pc, &pc.suite_out, &k,
		    0x4000, false), 0);
		assert_int_equal(sa_root_key(&r, 0, true, &out), 0);
		aead_agrees(&out, &pc, block, sizeof(block));
		esp_sa_clear(&out);
	}
	esp_sa_clear(&sa);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_gcm),
		cmocka_unit_test(test_epoch_cbc_hmac),
		cmocka_unit_test(test_ctl_key),
		cmocka_unit_test(test_manual),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
