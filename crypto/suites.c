/* The cipher and integrity suites vpntund offers, as named in site.conf.
 * Sizes are in bytes. */
#include <string.h>

#include "crypto/crypto.h"

static const struct cipher_info ciphers[] = {
	/* RFC 2451 2.2: 40..448-bit keys, all of them, as KAME's setkey
	 * takes them (below 128 bits with a warning, conf/warn.c); the
	 * default is 256, the paper's choice, rather than RFC 2451's 128. */
	{ CIPHER_BLOWFISH_CBC, "blowfish-cbc", 8, 8, 5, 56, 32, 1,
	    0, 0, false },
	/* RFC 2451 2.2: 192 bits, the parity bits are ignored. */
	{ CIPHER_3DES_CBC, "3des-cbc", 8, 8, 24, 24, 24, 8, 0, 0, false },
	/* RFC 3602 2.4: 128 (default), 192, 256. */
	{ CIPHER_AES_CBC, "aes-cbc", 16, 16, 16, 32, 16, 8, 0, 0, false },
	/* RFC 4106 3, 8.1: 4-byte salt after the key, 8-byte IV, 16-byte ICV;
	 * no block cipher padding, only 4-byte alignment of the trailer. */
	{ CIPHER_AES_GCM, "aes-gcm", 4, 8, 16, 32, 32, 8, 4, 16, true },
	/* RFC 7634 2, 3: 256-bit key, 4-byte salt, 8-byte IV, 16-byte tag. */
	{ CIPHER_CHACHA20_POLY1305, "chacha20-poly1305", 4, 8, 32, 32, 32, 8,
	    4, 16, true },
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
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		if (strcmp(ciphers[i].name, name) == 0)
			return &ciphers[i];
	return NULL;
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
