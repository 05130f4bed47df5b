/* The suite tables and what sa_crypto_new accepts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "tests/unit/crypto_test_util.h"

static void
test_cipher_table(void **state)
{
	const struct cipher_info *ci;

	(void)state;
	ci = cipher_by_name("blowfish-cbc");
	assert_non_null(ci);
	assert_int_equal(ci->id, CIPHER_BLOWFISH_CBC);
	assert_int_equal(ci->block, 8);
	assert_int_equal(ci->iv_len, 8);
	assert_int_equal(ci->key_min, 5);        /* 40 bits, RFC 2451 */
	assert_int_equal(ci->key_max, 56);
	assert_int_equal(ci->key_step, 1);
	assert_int_equal(ci->key_default, 32);   /* 256 bits, as in the paper */
	assert_false(cipher_is_aead(ci));

	ci = cipher_by_name("3des-cbc");
	assert_non_null(ci);
	assert_int_equal(ci->block, 8);
	assert_int_equal(ci->key_min, 24);
	assert_int_equal(ci->key_max, 24);

	ci = cipher_by_name("aes-cbc");
	assert_non_null(ci);
	assert_int_equal(ci->block, 16);
	assert_int_equal(ci->iv_len, 16);
	assert_int_equal(ci->key_default, 16);

	ci = cipher_by_name("aes-gcm");
	assert_non_null(ci);
	assert_true(cipher_is_aead(ci));
	assert_int_equal(ci->block, 4);
	assert_int_equal(ci->iv_len, 8);
	assert_int_equal(ci->salt_len, 4);
	assert_int_equal(ci->icv_len, 16);
	assert_int_equal(ci->key_default, 32);

	ci = cipher_by_name("chacha20-poly1305");
	assert_non_null(ci);
	assert_true(cipher_is_aead(ci));
	assert_int_equal(ci->key_min, 32);
	assert_int_equal(ci->key_max, 32);
	assert_int_equal(ci->salt_len, 4);

	/* KAME's: RFC 2405, RFC 2451 (CAST), RFC 3686, RFC 2410. */
	ci = cipher_by_name("des-cbc");
	assert_non_null(ci);
	assert_int_equal(ci->mode, CIPHER_MODE_CBC);
	assert_int_equal(ci->block, 8);
	assert_int_equal(ci->iv_len, 8);
	assert_int_equal(ci->key_min, 8);
	assert_int_equal(ci->key_max, 8);
	assert_non_null(ci->weak);

	ci = cipher_by_name("cast128-cbc");
	assert_non_null(ci);
	assert_int_equal(ci->block, 8);
	assert_int_equal(ci->key_min, 5);
	assert_int_equal(ci->key_max, 16);
	assert_int_equal(ci->key_step, 1);
	assert_int_equal(ci->key_default, 16);
	assert_null(ci->weak);

	ci = cipher_by_name("aes-ctr");
	assert_non_null(ci);
	assert_int_equal(ci->mode, CIPHER_MODE_CTR);
	assert_false(cipher_is_aead(ci));
	assert_true(cipher_needs_auth(ci));
	assert_true(cipher_counter_iv(ci));
	assert_int_equal(ci->block, 4);
	assert_int_equal(ci->iv_len, 8);
	assert_int_equal(ci->salt_len, 4);
	assert_int_equal(ci->icv_len, 0);
	assert_int_equal(ci->key_default, 16);

	ci = cipher_by_name("null");
	assert_non_null(ci);
	assert_int_equal(ci->mode, CIPHER_MODE_NULL);
	assert_true(cipher_needs_auth(ci));
	assert_false(cipher_counter_iv(ci));
	assert_int_equal(ci->block, 4);
	assert_int_equal(ci->iv_len, 0);
	assert_int_equal(ci->key_max, 0);
	assert_true(cipher_key_len_ok(ci, 0));
	assert_false(cipher_key_len_ok(ci, 1));

	/* KAME's name for AES-CBC: the same entry, named aes-cbc. */
	assert_ptr_equal(cipher_by_name("rijndael-cbc"),
	    cipher_by_name("aes-cbc"));
	assert_string_equal(cipher_by_name("rijndael-cbc")->name, "aes-cbc");

	assert_null(cipher_by_name("aes"));
	assert_null(cipher_by_name("AES-CBC"));
	assert_null(cipher_by_name(""));
	assert_null(cipher_by_name(NULL));
}

/* Key and ICV sizes as the RFCs give them: RFC 2403, RFC 2404, RFC 4868
 * 2.1 (the key as long as the digest, the ICV half of it), RFC 3566 4.1
 * and 4.3; the pre-RFC 4868 truncations keep the key and send 96 bits. */
static const struct {
	const char	*name;
	enum auth_id	 id;
	size_t		 key_len, icv_len;
} auth_sizes[] = {
	{ "none", AUTH_NONE, 0, 0 },
	{ "hmac-md5-96", AUTH_HMAC_MD5_96, 16, 12 },
	{ "hmac-sha1-96", AUTH_HMAC_SHA1_96, 20, 12 },
	{ "hmac-sha256-128", AUTH_HMAC_SHA256_128, 32, 16 },
	{ "hmac-sha384-192", AUTH_HMAC_SHA384_192, 48, 24 },
	{ "hmac-sha512-256", AUTH_HMAC_SHA512_256, 64, 32 },
	{ "hmac-sha256-96", AUTH_HMAC_SHA256_96, 32, 12 },
	{ "hmac-sha384-96", AUTH_HMAC_SHA384_96, 48, 12 },
	{ "hmac-sha512-96", AUTH_HMAC_SHA512_96, 64, 12 },
	{ "aes-xcbc-mac-96", AUTH_AES_XCBC_MAC_96, 16, 12 },
};
#define NAUTHS (sizeof(auth_sizes) / sizeof(auth_sizes[0]))

static void
test_auth_table(void **state)
{
	const struct auth_info *ai;
	char names[] = AUTH_NAMES, *p, *name;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < NAUTHS; i++) {
		ai = auth_by_name(auth_sizes[i].name);
		assert_non_null(ai);
		assert_string_equal(ai->name, auth_sizes[i].name);
		assert_int_equal(ai->id, auth_sizes[i].id);
		assert_int_equal(ai->key_len, auth_sizes[i].key_len);
		assert_int_equal(ai->icv_len, auth_sizes[i].icv_len);
		assert_true(ai->key_len <= CRYPTO_AUTHKEY_MAX);
		assert_true(ai->icv_len <= CRYPTO_ICV_MAX);
	}
	/* The list in messages names these and only these, in order. */
	for (p = names; (name = strsep(&p, ",")) != NULL; n++) {
		name += strspn(name, " ");
		assert_true(n < NAUTHS);
		assert_string_equal(name, auth_sizes[n].name);
	}
	assert_int_equal(n, NAUTHS);
	assert_null(auth_by_name("hmac-md5"));
	assert_null(auth_by_name("hmac-sha512"));
	assert_null(auth_by_name("aes-cmac-96"));
	assert_null(auth_by_name("HMAC-SHA1-96"));
	assert_null(auth_by_name(NULL));
}

static void
test_key_sizes(void **state)
{
	const struct cipher_info *bf = cipher_by_name("blowfish-cbc");
	const struct cipher_info *aes = cipher_by_name("aes-cbc");
	size_t n;

	(void)state;
	for (n = 0; n <= 64; n++) {
		assert_int_equal(cipher_key_len_ok(bf, n), n >= 5 && n <= 56);
		assert_int_equal(cipher_key_len_ok(aes, n),
		    n == 16 || n == 24 || n == 32);
		assert_int_equal(cipher_key_len_ok(
		    cipher_by_name("3des-cbc"), n), n == 24);
		assert_int_equal(cipher_key_len_ok(
		    cipher_by_name("chacha20-poly1305"), n), n == 32);
	}
	assert_false(cipher_key_len_ok(NULL, 16));
}

/* Encrypts with c and decrypts with a fresh context on the same key. */
static void
round_trip(struct sa_crypto *e, const struct cipher_info *ci,
    const uint8_t *key, size_t keylen)
{
	uint8_t iv[CRYPTO_IV_MAX], pt[64], buf[64], tag[CRYPTO_ICV_MAX];
	struct sa_crypto *d;
	size_t i;

	for (i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	memset(iv, 0x5a, sizeof(iv));
	memcpy(buf, pt, sizeof(buf));
	d = sa_crypto_new(ci, key, keylen, NULL, NULL, 0, false);
	assert_non_null(d);
	if (cipher_is_aead(ci)) {
		assert_int_equal(sa_aead_encrypt(e, iv, pt, 8, buf,
		    sizeof(buf), tag), 0);
		assert_memory_not_equal(buf, pt, sizeof(buf));
		assert_int_equal(sa_aead_decrypt(d, iv, pt, 8, buf,
		    sizeof(buf), tag), 0);
	} else {
		assert_int_equal(sa_cbc_encrypt(e, iv, buf, sizeof(buf)), 0);
		assert_memory_not_equal(buf, pt, sizeof(buf));
		assert_int_equal(sa_cbc_decrypt(d, iv, buf, sizeof(buf)), 0);
	}
	assert_memory_equal(buf, pt, sizeof(buf));
	sa_crypto_free(d);
}

/* Every legal key size creates a working SA; the sizes next to it do
 * not create one at all. */
static void
test_new_key_lengths(void **state)
{
	static const char *names[] = { "blowfish-cbc", "3des-cbc", "aes-cbc",
	    "aes-gcm", "chacha20-poly1305" };
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX + 1];
	const struct cipher_info *ci;
	struct sa_crypto *c;
	size_t i, n;

	(void)state;
	for (n = 0; n < sizeof(key); n++)
		key[n] = (uint8_t)(0x42 + n);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ci = cipher_by_name(names[i]);
		for (n = 0; n < sizeof(key); n++) {
			c = sa_crypto_new(ci, key, n, NULL, NULL, 0, true);
			if (n >= ci->salt_len &&
			    cipher_key_len_ok(ci, n - ci->salt_len)) {
				assert_non_null(c);
				assert_ptr_equal(sa_crypto_cipher(c), ci);
				assert_int_equal(sa_crypto_auth(c)->id,
				    AUTH_NONE);
				round_trip(c, ci, key, n);
			} else
				assert_null(c);
			sa_crypto_free(c);
		}
	}
}

/* The list that messages give names every suite, and only those. */
static void
test_cipher_names(void **state)
{
	static const char *names[] = { "blowfish-cbc", "3des-cbc", "aes-cbc",
	    "rijndael-cbc", "aes-gcm", "chacha20-poly1305", "des-cbc",
	    "cast128-cbc", "aes-ctr", "null" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_non_null(cipher_by_name(names[i]));
		assert_non_null(strstr(cipher_names(), names[i]));
	}
}

static void
test_new_rejects(void **state)
{
	uint8_t key[36] = { 0 }, ak[CRYPTO_AUTHKEY_MAX + 1] = { 0 };
	const struct cipher_info *gcm = cipher_by_name("aes-gcm");
	const struct cipher_info *aes = cipher_by_name("aes-cbc");
	const struct auth_info *sha1 = auth_by_name("hmac-sha1-96");
	const struct auth_info *none = auth_by_name("none");
	const struct auth_info *xcbc = auth_by_name("aes-xcbc-mac-96");
	struct sa_crypto *c;

	(void)state;
	assert_null(sa_crypto_new(NULL, key, 16, NULL, NULL, 0, true));
	assert_null(sa_crypto_new(aes, NULL, 16, NULL, NULL, 0, true));
	/* RFC 4106 / 7634: the tag is the ICV, no separate HMAC. */
	assert_null(sa_crypto_new(gcm, key, 20, sha1, ak, 20, true));
	/* HMAC keys: 1..CRYPTO_AUTHKEY_MAX bytes, and present. */
	assert_null(sa_crypto_new(aes, key, 16, sha1, NULL, 20, true));
	assert_null(sa_crypto_new(aes, key, 16, sha1, ak, 0, true));
	assert_null(sa_crypto_new(aes, key, 16, sha1, ak,
	    CRYPTO_AUTHKEY_MAX + 1, true));
	c = sa_crypto_new(aes, key, 16, sha1, ak, CRYPTO_AUTHKEY_MAX, true);
	assert_non_null(c);
	sa_crypto_free(c);
	/* A key for "none" means the caller is confused. */
	assert_null(sa_crypto_new(aes, key, 16, none, ak, 20, true));
	/* XCBC is AES-128: 16 bytes exactly (RFC 3566 4.1). */
	assert_null(sa_crypto_new(aes, key, 16, xcbc, ak, 15, true));
	assert_null(sa_crypto_new(aes, key, 16, xcbc, ak, 17, true));
	assert_null(sa_crypto_new(aes, key, 16, xcbc, ak, 32, true));
	c = sa_crypto_new(aes, key, 16, xcbc, ak, 16, true);
	assert_non_null(c);
	sa_crypto_free(c);
	sa_crypto_free(NULL);
}

static void
test_icv_len(void **state)
{
	uint8_t key[36] = { 0 }, ak[64] = { 1 };
	const struct auth_info *ai;
	struct sa_crypto *c;
	size_t i;

	(void)state;
	for (i = 1; i < NAUTHS; i++) {
		ai = auth_by_name(auth_sizes[i].name);
		c = sa_crypto_new(cipher_by_name("aes-cbc"), key, 16, ai, ak,
		    ai->key_len, false);
		assert_non_null(c);
		assert_int_equal(sa_crypto_icv_len(c), auth_sizes[i].icv_len);
		sa_crypto_free(c);
	}
	c = sa_crypto_new(cipher_by_name("aes-gcm"), key, 20, NULL, NULL, 0,
	    false);
	assert_non_null(c);
	assert_int_equal(sa_crypto_icv_len(c), 16);
	sa_crypto_free(c);
	c = sa_crypto_new(cipher_by_name("blowfish-cbc"), key, 16,
	    auth_by_name("hmac-sha256-128"), ak, 32, false);
	assert_non_null(c);
	assert_int_equal(sa_crypto_icv_len(c), 16);
	sa_crypto_free(c);
	c = sa_crypto_new(cipher_by_name("3des-cbc"), key, 24,
	    auth_by_name("hmac-sha1-96"), ak, 20, false);
	assert_non_null(c);
	assert_int_equal(sa_crypto_icv_len(c), 12);
	sa_crypto_free(c);
}

/* AEAD calls on the wrong SA fail instead of guessing. */
static void
test_aead_misuse(void **state)
{
	uint8_t key[20] = { 0 }, iv[8] = { 0 }, buf[16] = { 0 }, tag[16];
	struct sa_crypto *e, *d;

	(void)state;
	e = sa_crypto_new(cipher_by_name("aes-gcm"), key, 20, NULL, NULL, 0,
	    true);
	d = sa_crypto_new(cipher_by_name("aes-gcm"), key, 20, NULL, NULL, 0,
	    false);
	assert_non_null(e);
	assert_non_null(d);
	assert_int_equal(sa_aead_decrypt(e, iv, buf, 8, buf, 16, tag), -1);
	assert_int_equal(sa_aead_encrypt(d, iv, buf, 8, buf, 16, tag), -1);
	assert_int_equal(sa_cbc_encrypt(e, iv, buf, 16), -1);
	assert_int_equal(sa_mac(e, buf, 16, NULL, 0, tag), -1);
	/* Encrypt then decrypt round trip with an empty payload. */
	assert_int_equal(sa_aead_encrypt(e, iv, buf, 8, buf, 0, tag), 0);
	assert_int_equal(sa_aead_decrypt(d, iv, buf, 8, buf, 0, tag), 0);
	sa_crypto_free(e);
	sa_crypto_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cipher_table),
		cmocka_unit_test(test_cipher_names),
		cmocka_unit_test(test_auth_table),
		cmocka_unit_test(test_key_sizes),
		cmocka_unit_test(test_new_key_lengths),
		cmocka_unit_test(test_new_rejects),
		cmocka_unit_test(test_icv_len),
		cmocka_unit_test(test_aead_misuse),
	};

	return cmocka_run_group_tests(tests, crypto_group_setup,
	    crypto_group_teardown);
}
