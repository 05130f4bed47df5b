/* The cipher and integrity suites vpntund offers, as named in site.conf.
 * Sizes are in bytes. */
#include <string.h>

#include "crypto/crypto.h"

#define CBC	CIPHER_MODE_CBC
#define CTR	CIPHER_MODE_CTR
#define NUL	CIPHER_MODE_NULL
#define AEAD	CIPHER_MODE_AEAD

static const struct cipher_info ciphers[] = {
	/* RFC 2451 2.2: 40..448-bit keys, all of them, as KAME's setkey
	 * takes them (below 128 bits with a warning, conf/warn.c); the
	 * default is 256, the paper's choice, rather than RFC 2451's 128. */
	{ CIPHER_BLOWFISH_CBC, "blowfish-cbc", 8, 8, 5, 56, 32, 1,
	    0, 0, CBC, NULL },
	/* RFC 2451 2.2: 192 bits, the parity bits are ignored. */
	{ CIPHER_3DES_CBC, "3des-cbc", 8, 8, 24, 24, 24, 8, 0, 0, CBC, NULL },
	/* RFC 3602 2.4: 128 (default), 192, 256. */
	{ CIPHER_AES_CBC, "aes-cbc", 16, 16, 16, 32, 16, 8, 0, 0, CBC, NULL },
	/* RFC 4106 3, 8.1: 4-byte salt after the key, 8-byte IV, 16-byte ICV;
	 * no block cipher padding, only 4-byte alignment of the trailer. */
	{ CIPHER_AES_GCM, "aes-gcm", 4, 8, 16, 32, 32, 8, 4, 16, AEAD, NULL },
	/* RFC 7634 2, 3: 256-bit key, 4-byte salt, 8-byte IV, 16-byte tag. */
	{ CIPHER_CHACHA20_POLY1305, "chacha20-poly1305", 4, 8, 32, 32, 32, 8,
	    4, 16, AEAD, NULL },
	/* RFC 2405 2, 5: 64-bit key of which 8 bits are parity, 8-byte IV.
	 * A 56-bit key falls to exhaustive search: weak. */
	{ CIPHER_DES_CBC, "des-cbc", 8, 8, 8, 8, 8, 1, 0, 0, CBC,
	    "56-bit key, found by exhaustive search in hours" },
	/* RFC 2451 2.2 (RFC 2144 cipher): 40..128 bits in bytes, default
	 * 128 as RFC 2451 recommends. */
	{ CIPHER_CAST128_CBC, "cast128-cbc", 8, 8, 5, 16, 16, 1, 0, 0, CBC,
	    NULL },
	/* RFC 3686 2, 5: 128/192/256-bit key and a 4-byte nonce after it,
	 * 8-byte IV; a stream, so only the 4-byte alignment of RFC 4303
	 * 2.4 pads. */
	{ CIPHER_AES_CTR, "aes-ctr", 4, 8, 16, 32, 16, 8, 4, 0, CTR, NULL },
	/* RFC 2410 2: no key, no IV, block size 1; RFC 4303 2.4's 4-byte
	 * alignment still pads. */
	{ CIPHER_NULL, "null", 4, 0, 0, 0, 0, 1, 0, 0, NUL, NULL },
};

/* Other names of a suite: KAME's setkey calls AES-CBC rijndael-cbc. */
static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "rijndael-cbc", "aes-cbc" },
};

/* In the order of AUTH_NAMES (crypto.h). */
static const struct auth_info auths[] = {
	{ AUTH_NONE, "none", 0, 0 },
	/* RFC 2403: 128-bit key, ICV truncated to 96 bits. */
	{ AUTH_HMAC_MD5_96, "hmac-md5-96", 16, 12 },
	/* RFC 2404: 160-bit key, ICV truncated to 96 bits. */
	{ AUTH_HMAC_SHA1_96, "hmac-sha1-96", 20, 12 },
	/* RFC 4868 2.1: a key as long as the digest, ICV half of it. */
	{ AUTH_HMAC_SHA256_128, "hmac-sha256-128", 32, 16 },
	{ AUTH_HMAC_SHA384_192, "hmac-sha384-192", 48, 24 },
	{ AUTH_HMAC_SHA512_256, "hmac-sha512-256", 64, 32 },
	/* What KAME and FreeBSD sent before RFC 4868, after
	 * draft-ietf-ipsec-ciph-sha-256-00: the same keys, 96-bit ICVs.
	 * Only for peers that still do. */
	{ AUTH_HMAC_SHA256_96, "hmac-sha256-96", 32, 12 },
	{ AUTH_HMAC_SHA384_96, "hmac-sha384-96", 48, 12 },
	{ AUTH_HMAC_SHA512_96, "hmac-sha512-96", 64, 12 },
	/* RFC 3566 4.1, 4.3: a 128-bit AES key, ICV truncated to 96 bits. */
	{ AUTH_AES_XCBC_MAC_96, "aes-xcbc-mac-96", 16, 12 },
};

const struct cipher_info *
cipher_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, name) == 0) {
			name = aliases[i].name;
			break;
		}
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (strcmp(ciphers[i].name, name) == 0)
			return &ciphers[i];
	return NULL;
}

const char *
cipher_names(void)
{
	return "blowfish-cbc, 3des-cbc, aes-cbc (or rijndael-cbc), aes-gcm, "
	    "chacha20-poly1305, des-cbc, cast128-cbc, aes-ctr, null";
}

const struct auth_info *
auth_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++)
		if (strcmp(auths[i].name, name) == 0)
			return &auths[i];
	return NULL;
}

bool
cipher_key_len_ok(const struct cipher_info *ci, size_t keylen)
{
	if (ci == NULL || keylen < ci->key_min || keylen > ci->key_max)
		return false;
	return (keylen - ci->key_min) % ci->key_step == 0;
}
