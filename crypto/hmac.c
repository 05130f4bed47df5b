/* HMAC (RFC 2104) with the key absorbed once: the hash states after
 * K ^ ipad and K ^ opad are kept, and a packet starts from copies of
 * them. EVP_MAC_init would hash both key blocks again and, in OpenSSL
 * 3.0, allocate and free digest state for every packet. MD5_*, SHA1_*,
 * SHA256_* and SHA384_/SHA512_* are deprecated in 3.0 but shipped, and
 * run the same block functions as EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "crypto/crypto_impl.h"

#define HMAC_BLOCK_MAX	128	/* SHA-384 and SHA-512; the others 64 */

enum hash { H_MD5, H_SHA1, H_SHA256, H_SHA384, H_SHA512 };

union hash_ctx {
	MD5_CTX		md5;
	SHA_CTX		sha1;
	SHA256_CTX	sha256;
	SHA512_CTX	sha512;		/* SHA-384 too */
};

static const struct {
	size_t	mdlen;
	size_t	block;
	size_t	ctxlen;		/* what a key keeps, a packet copies */
} hashes[] = {
	[H_MD5] = { MD5_DIGEST_LENGTH, MD5_CBLOCK, sizeof(MD5_CTX) },
	[H_SHA1] = { SHA_DIGEST_LENGTH, SHA_CBLOCK, sizeof(SHA_CTX) },
	[H_SHA256] = { SHA256_DIGEST_LENGTH, SHA256_CBLOCK,
	    sizeof(SHA256_CTX) },
	[H_SHA384] = { SHA384_DIGEST_LENGTH, SHA512_CBLOCK,
	    sizeof(SHA512_CTX) },
	[H_SHA512] = { SHA512_DIGEST_LENGTH, SHA512_CBLOCK,
	    sizeof(SHA512_CTX) },
};

/* Only as large as its hash needs: SHA-1's states are 96 bytes each,
 * SHA-512's 216. */
struct hmac_key {
	enum hash	hash;
	size_t		ctxlen;
	uint8_t		st[];		/* inner state, then outer: key material */
};

/* The hash of an HMAC suite; -1 for the others. The truncations share
 * the hash of the full-length suite. */
static int
hash_of(enum auth_id id)
{
	switch (id) {
	case AUTH_HMAC_MD5_96:
		return H_MD5;
	case AUTH_HMAC_SHA1_96:
		return H_SHA1;
	case AUTH_HMAC_SHA256_128:
	case AUTH_HMAC_SHA256_96:
		return H_SHA256;
	case AUTH_HMAC_SHA384_192:
	case AUTH_HMAC_SHA384_96:
		return H_SHA384;
	case AUTH_HMAC_SHA512_256:
	case AUTH_HMAC_SHA512_96:
		return H_SHA512;
	default:
		return -1;
	}
}

static int
hash_init(enum hash hash, union hash_ctx *h)
{
	switch (hash) {
	case H_MD5:
		return MD5_Init(&h->md5);
	case H_SHA1:
		return SHA1_Init(&h->sha1);
	case H_SHA256:
		return SHA256_Init(&h->sha256);
	case H_SHA384:
		return SHA384_Init(&h->sha512);
	case H_SHA512:
		return SHA512_Init(&h->sha512);
	}
	return 0;
}

static int
hash_update(enum hash hash, union hash_ctx *h, const uint8_t *d, size_t l)
{
	switch (hash) {
	case H_MD5:
		return MD5_Update(&h->md5, d, l);
	case H_SHA1:
		return SHA1_Update(&h->sha1, d, l);
	case H_SHA256:
		return SHA256_Update(&h->sha256, d, l);
	case H_SHA384:
		return SHA384_Update(&h->sha512, d, l);
	case H_SHA512:
		return SHA512_Update(&h->sha512, d, l);
	}
	return 0;
}

static int
hash_final(enum hash hash, union hash_ctx *h, uint8_t *md)
{
	switch (hash) {
	case H_MD5:
		return MD5_Final(md, &h->md5);
	case H_SHA1:
		return SHA1_Final(md, &h->sha1);
	case H_SHA256:
		return SHA256_Final(md, &h->sha256);
	case H_SHA384:
		return SHA384_Final(md, &h->sha512);
	case H_SHA512:
		return SHA512_Final(md, &h->sha512);
	}
	return 0;
}

struct hmac_key *
hmac_key_new(enum auth_id id, const uint8_t *key, size_t keylen)
{
	struct hmac_key *h;
	uint8_t k[HMAC_BLOCK_MAX], ipad[HMAC_BLOCK_MAX], opad[HMAC_BLOCK_MAX];
	union hash_ctx t, in, out;
	size_t i, block, ctxlen;
	int hash, ok;

	if ((hash = hash_of(id)) == -1)
		return NULL;
	ctxlen = hashes[hash].ctxlen;
	if ((h = calloc(1, sizeof(*h) + 2 * ctxlen)) == NULL)
		return NULL;
	h->hash = (enum hash)hash;
	h->ctxlen = ctxlen;
	block = hashes[hash].block;
	/* RFC 2104 2: a key longer than the block is hashed first; a
	 * shorter one is padded with zeros. */
	memset(k, 0, sizeof(k));
	if (keylen > block)
		ok = hash_init(h->hash, &t) &&
		    hash_update(h->hash, &t, key, keylen) &&
		    hash_final(h->hash, &t, k);
	else {
		if (keylen > 0)
			memcpy(k, key, keylen);
		ok = 1;
	}
	for (i = 0; i < block; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	ok = ok && hash_init(h->hash, &in) &&
	    hash_update(h->hash, &in, ipad, block) &&
	    hash_init(h->hash, &out) &&
	    hash_update(h->hash, &out, opad, block);
	if (ok) {
		memcpy(h->st, &in, ctxlen);
		memcpy(h->st + ctxlen, &out, ctxlen);
	}
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	OPENSSL_cleanse(&t, sizeof(t));
	OPENSSL_cleanse(&in, sizeof(in));
	OPENSSL_cleanse(&out, sizeof(out));
	if (!ok) {
		hmac_key_free(h);
		return NULL;
	}
	return h;
}

void
hmac_key_free(struct hmac_key *h)
{
	if (h == NULL)
		return;
	OPENSSL_cleanse(h, sizeof(*h) + 2 * h->ctxlen);
	free(h);
}

size_t
hmac_len(const struct hmac_key *h)
{
	return hashes[h->hash].mdlen;
}

int
hmac_compute(const struct hmac_key *h, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, uint8_t *md)
{
	size_t ctxlen = h->ctxlen;
	union hash_ctx t;
	int ok;

	memcpy(&t, h->st, ctxlen);
	ok = (l1 == 0 || hash_update(h->hash, &t, d1, l1)) &&
	    (l2 == 0 || hash_update(h->hash, &t, d2, l2)) &&
	    hash_final(h->hash, &t, md);
	memcpy(&t, h->st + ctxlen, ctxlen);
	ok = ok && hash_update(h->hash, &t, md, hashes[h->hash].mdlen) &&
	    hash_final(h->hash, &t, md);
	/* What is left of a state holds the full MAC. */
	OPENSSL_cleanse(&t, ctxlen);
	return ok ? 0 : -1;
}
