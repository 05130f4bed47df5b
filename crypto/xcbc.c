/* AES-XCBC-MAC-96 (RFC 3566): CBC-MAC under K1, the last block masked
 * with K2 (whole) or padded and masked with K3 (partial). OpenSSL has no
 * XCBC MAC (its CMAC, RFC 4493, derives the masks differently and keys
 * with K itself), so the chaining is done here, one block at a time, on
 * an AES-128-ECB context keyed with K1 once per SA: a packet neither
 * allocates nor runs the key schedule. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/crypto_impl.h"

#define XCBC_BLOCK	16

struct xcbc_key {
	EVP_CIPHER_CTX	*k1;
	uint8_t		 k2[XCBC_BLOCK], k3[XCBC_BLOCK];
};

struct xcbc_key *
xcbc_key_new(const uint8_t *key, size_t keylen)
{
	struct xcbc_key *x;
	EVP_CIPHER *ecb;
	uint8_t c[3 * XCBC_BLOCK], ks[3 * XCBC_BLOCK];
	int outl, ok;

	if (keylen != XCBC_KEY_LEN ||
	    (ecb = crypto_fetched_aes128_ecb()) == NULL)
		return NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	/* RFC 3566 4: K1, K2, K3 = E(K, 0x01..), E(K, 0x02..),
	 * E(K, 0x03..); then the context keeps K1 only. */
	memset(c, 0x01, XCBC_BLOCK);
	memset(c + XCBC_BLOCK, 0x02, XCBC_BLOCK);
	memset(c + 2 * XCBC_BLOCK, 0x03, XCBC_BLOCK);
	ok = (x->k1 = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_EncryptInit_ex(x->k1, ecb, NULL, key, NULL) &&
	    EVP_CIPHER_CTX_set_padding(x->k1, 0) &&
	    EVP_EncryptUpdate(x->k1, ks, &outl, c, sizeof(c)) &&
	    outl == (int)sizeof(ks) &&
	    EVP_EncryptInit_ex(x->k1, NULL, NULL, ks, NULL) &&
	    EVP_CIPHER_CTX_set_padding(x->k1, 0);
	if (ok) {
		memcpy(x->k2, ks + XCBC_BLOCK, XCBC_BLOCK);
		memcpy(x->k3, ks + 2 * XCBC_BLOCK, XCBC_BLOCK);
	}
	OPENSSL_cleanse(ks, sizeof(ks));
	if (!ok) {
		crypto_log_errors(NULL, "aes-xcbc-mac-96");
		xcbc_key_free(x);
		return NULL;
	}
	return x;
}

void
xcbc_key_free(struct xcbc_key *x)
{
	if (x == NULL)
		return;
	EVP_CIPHER_CTX_free(x->k1);	/* cleanses the key schedule */
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

static void
xor_block(uint8_t *e, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		e[i] ^= d[i];
}

/* XORs n bytes of d1 || d2, from offset off, into e. */
static void
xor_at(uint8_t *e, const uint8_t *d1, size_t l1, const uint8_t *d2,
    size_t off, size_t n)
{
	size_t a;

	if (n == 0)
		return;
	if (off + n <= l1)
		xor_block(e, d1 + off, n);
	else if (off >= l1)
		xor_block(e, d2 + (off - l1), n);
	else {
		a = l1 - off;
		xor_block(e, d1 + off, a);
		xor_block(e + a, d2, n - a);
	}
}

static int
encrypt_k1(struct xcbc_key *x, uint8_t *e)
{
	int outl;

	return EVP_EncryptUpdate(x->k1, e, &outl, e, XCBC_BLOCK) &&
	    outl == XCBC_BLOCK;
}

int
xcbc_compute(struct xcbc_key *x, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, uint8_t *mac)
{
	uint8_t e[XCBC_BLOCK];
	size_t total, nprev, off, last, i;
	int ok = 1;

	if (l2 > SIZE_MAX - l1)
		return -1;
	total = l1 + l2;
	/* RFC 3566 4: every block but the last is plain CBC-MAC; an empty
	 * message is one incomplete block. */
	nprev = total == 0 ? 0 : (total - 1) / XCBC_BLOCK;
	memset(e, 0, sizeof(e));
	for (i = 0; ok && i < nprev; i++) {
		xor_at(e, d1, l1, d2, i * XCBC_BLOCK, XCBC_BLOCK);
		ok = encrypt_k1(x, e);
	}
	off = nprev * XCBC_BLOCK;
	last = total - off;
	if (ok) {
		xor_at(e, d1, l1, d2, off, last);
		if (last == XCBC_BLOCK)
			xor_block(e, x->k2, XCBC_BLOCK);
		else {
			/* padding 10*: the rest of e stays as it is */
			e[last] ^= 0x80;
			xor_block(e, x->k3, XCBC_BLOCK);
		}
		ok = encrypt_k1(x, e);
	}
	if (ok)
		memcpy(mac, e, XCBC_MAC_LEN);
	OPENSSL_cleanse(e, sizeof(e));
	return ok ? 0 : -1;
}
