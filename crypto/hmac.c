/* HMAC (RFC 2104) with the key absorbed once: the hash states after
 * K ^ ipad and K ^ opad are kept, and a packet starts from copies of
 * them. EVP_MAC_init would hash both key blocks again and, in OpenSSL
 * 3.0, allocate and free digest state for every packet. SHA1_* and
 * SHA256_* are deprecated in 3.0 but shipped, and run the same block
 * functions as EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto/crypto_impl.h"

#define HMAC_BLOCK	64	/* SHA-1 and SHA-256 alike */

union hash_ctx {
	SHA_CTX		sha1;
	SHA256_CTX	sha256;
};

struct hmac_key {
	enum auth_id	id;
	size_t		mdlen;
	union hash_ctx	inner, outer;	/* key material */
};

static int
hash_init(enum auth_id id, union hash_ctx *h)
{
	return id == AUTH_HMAC_SHA1_96 ? SHA1_Init(&h->sha1) :
	    SHA256_Init(&h->sha256);
}

static int
hash_update(enum auth_id id, union hash_ctx *h, const uint8_t *d, size_t l)
{
	return id == AUTH_HMAC_SHA1_96 ? SHA1_Update(&h->sha1, d, l) :
	    SHA256_Update(&h->sha256, d, l);
}

static int
hash_final(enum auth_id id, union hash_ctx *h, uint8_t *md)
{
	return id == AUTH_HMAC_SHA1_96 ? SHA1_Final(md, &h->sha1) :
	    SHA256_Final(md, &h->sha256);
}

struct hmac_key *
hmac_key_new(enum auth_id id, const uint8_t *key, size_t keylen)
{
	struct hmac_key *h;
	uint8_t k[HMAC_BLOCK], ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
	union hash_ctx t;
	size_t i;
	int ok;

	if (id != AUTH_HMAC_SHA1_96 && id != AUTH_HMAC_SHA256_128)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->id = id;
	h->mdlen = id == AUTH_HMAC_SHA1_96 ? SHA_DIGEST_LENGTH :
	    SHA256_DIGEST_LENGTH;
	/* RFC 2104 2: a key longer than the block is hashed first; a
	 * shorter one is padded with zeros. */
	memset(k, 0, sizeof(k));
	if (keylen > HMAC_BLOCK)
		ok = hash_init(id, &t) && hash_update(id, &t, key, keylen) &&
		    hash_final(id, &t, k);
	else {
		if (keylen > 0)
			memcpy(k, key, keylen);
		ok = 1;
	}
	for (i = 0; i < HMAC_BLOCK; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	ok = ok && hash_init(id, &h->inner) &&
	    hash_update(id, &h->inner, ipad, HMAC_BLOCK) &&
	    hash_init(id, &h->outer) &&
	    hash_update(id, &h->outer, opad, HMAC_BLOCK);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	OPENSSL_cleanse(&t, sizeof(t));
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
	OPENSSL_cleanse(h, sizeof(*h));
	free(h);
}

size_t
hmac_len(const struct hmac_key *h)
{
	return h->mdlen;
}

int
hmac_compute(const struct hmac_key *h, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, uint8_t *md)
{
	union hash_ctx t;
	int ok;

	t = h->inner;
	ok = (l1 == 0 || hash_update(h->id, &t, d1, l1)) &&
	    (l2 == 0 || hash_update(h->id, &t, d2, l2)) &&
	    hash_final(h->id, &t, md);
	t = h->outer;
	ok = ok && hash_update(h->id, &t, md, h->mdlen) &&
	    hash_final(h->id, &t, md);
	/* What is left of a state holds the full MAC. */
	OPENSSL_cleanse(&t, sizeof(t));
	return ok ? 0 : -1;
}
