/* Blowfish-CBC through OpenSSL's own Blowfish functions rather than EVP:
 * the key schedule is built once, and a packet costs one BF_cbc_encrypt,
 * where EVP would look up provider parameters to set every IV. These
 * functions are deprecated in OpenSSL 3.0 but shipped; the EVP cipher
 * of the legacy provider runs the same code (the unit tests compare). */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/blowfish.h>
#include <openssl/crypto.h>

#include "crypto/crypto_impl.h"

struct bf_cbc {
	BF_KEY	key;
};

struct bf_cbc *
bf_cbc_new(const uint8_t *key, size_t keylen)
{
	struct bf_cbc *b;

	/* RFC 2451 2.2: up to 448 bits; BF_set_key would silently take
	 * only the first 72 bytes of a longer key. */
	if (keylen == 0 || keylen > 56)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	BF_set_key(&b->key, (int)keylen, key);
	return b;
}

void
bf_cbc_free(struct bf_cbc *b)
{
	if (b == NULL)
		return;
	OPENSSL_cleanse(b, sizeof(*b));
	free(b);
}

void
bf_cbc_crypt(const struct bf_cbc *b, const uint8_t *iv, uint8_t *data,
    size_t len, bool encrypt)
{
	uint8_t chain[BF_BLOCK];

	/* BF_cbc_encrypt leaves the last ciphertext block in its IV
	 * argument; the caller's IV stays as it was. */
	memcpy(chain, iv, sizeof(chain));
	BF_cbc_encrypt(data, data, (long)len, &b->key, chain,
	    encrypt ? BF_ENCRYPT : BF_DECRYPT);
}
