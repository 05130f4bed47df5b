/* Every SA needs its own key: the same cipher key on two SAs repeats a
 * keystream or, for AEAD, nonces; the same auth key lets one SA's
 * packets pass for another's. After the key files are read, every
 * cipher key and every auth key of the config (each peer's in and out,
 * from one file or `sa in` and `sa out`'s own, and those of its
 * dedicated tap SA) is hashed with a random salt and
 * the digests sorted, so 10,000 peers cost one sort of 40,000 digests,
 * not 800 million comparisons. The digests never reach a message and
 * are wiped with the salt; the keys are read in place, never copied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "conf/conf_int.h"

enum part { PART_CIPHER, PART_AUTH };

struct key_ref {
	uint8_t  digest[32];
	uint32_t order;         /* peer, then tap, then direction: the
	                           first of equal keys is the one written
	                           first */
	uint8_t  part;
};

#define ORDER(peer, tap, dir) ((uint32_t)(peer) * 4 + (tap) * 2 + (dir))
#define ORDER_PEER(o)  ((o) / 4)
#define ORDER_TAP(o)   ((o) / 2 % 2)
#define ORDER_DIR(o)   ((o) % 2)

static int
ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = memcmp(x->digest, y->digest, sizeof(x->digest));

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The part and its length go into the digest: a cipher key and an auth
 * key of the same bytes are different keys, and so are keys of which
 * one is a prefix of the other. */
static int
digest(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *salt,
    size_t salt_len, enum part part, const uint8_t *key, size_t len,
    uint8_t out[32])
{
	uint8_t head[2] = { (uint8_t)part, (uint8_t)len };
	unsigned n = 32;

	return EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, salt, salt_len) == 1 &&
	    EVP_DigestUpdate(ctx, head, sizeof(head)) == 1 &&
	    EVP_DigestUpdate(ctx, key, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 ? 0 : -1;
}

static const char *const part_name[] = { "cipher", "auth" };

/* The statement that names the key file of SA o, its file, and the
 * words before "key file" in a message. */
static const char *
key_where(const struct config *cf, const struct peer_extra *px, uint32_t o,
    const char **cfile, int *line, const char **file)
{
	const struct peer_conf *pc = &cf->peers[ORDER_PEER(o)];
	const struct peer_extra *x = &px[ORDER_PEER(o)];
	int dir = ORDER_DIR(o) ? SA_OUT : SA_IN;

	if (ORDER_TAP(o)) {
		*cfile = x->tap_key_conf;
		*line = x->tap_sa_line;
		*file = pc->tap_key_file;
		return "tap-sa ";
	}
	if (pc->sa_split) {
		*cfile = x->sa_file[dir];
		*line = x->sa_line[dir];
		*file = dir == SA_IN ? pc->sa_key_file_in :
		    pc->sa_key_file_out;
		return dir == SA_IN ? "sa in " : "sa out ";
	}
	*cfile = x->key_file_conf;
	*line = x->key_line;
	*file = pc->key_file;
	return "";
}

/* b repeats a key of a: the message names both SAs and their files,
 * at b's statement. */
static void
repeated(struct lexer *lx, const struct config *cf,
    const struct peer_extra *px, uint32_t a, uint32_t b, enum part part)
{
	const struct peer_conf *pa = &cf->peers[ORDER_PEER(a)];
	const struct peer_conf *pb = &cf->peers[ORDER_PEER(b)];
	const char *ca, *cb, *fa, *fb, *wa, *wb;
	int la, lb;

	wa = key_where(cf, px, a, &ca, &la, &fa);
	wb = key_where(cf, px, b, &cb, &lb, &fb);
	conf_err(lx, cb, lb, "peer \"%s\": %skey file %s repeats the %s key "
	    "of peer \"%s\" (%skey file %s); every SA needs its own key",
	    pb->name, wb, fb, part_name[part], pa->name, wa, fa);
}

int
keys_distinct(struct lexer *lx, const struct config *cf,
    const struct peer_extra *px)
{
	uint8_t salt[32];
	struct key_ref *refs;
	EVP_MD_CTX *ctx = NULL;
	EVP_MD *md = NULL;
	const struct peer_conf *pc;
	const struct sa_keys *k;
	size_t i, n = 0, cap, start, bits;
	uint32_t first = 0, repeat = UINT32_MAX;
	uint8_t repeat_part = 0;
	int tap, dir, rv = -1;

	if (cf->npeers == 0)
		return 0;
	if (cf->npeers > UINT32_MAX / 4) {
		conf_err(lx, px[0].file, cf->peers[0].line, "too many peers");
		return -1;
	}
	cap = cf->npeers * 8;
	if ((refs = calloc(cap, sizeof(*refs))) == NULL) {
		conf_err(lx, px[0].file, cf->peers[0].line, "out of memory");
		return -1;
	}
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		conf_err(lx, px[0].file, cf->peers[0].line, "cannot compare "
		    "the keys: no random bytes or no SHA-256");
		goto out;
	}
	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		for (tap = 0; tap < 2; tap++) {
			if (tap && !pc->tap_sa)
				continue;
			for (dir = 0; dir < 2; dir++) {
				k = tap ? (dir ? pc->tap_key_out :
				    pc->tap_key_in) : (dir ? pc->key_out :
				    pc->key_in);
				/* The cipher key without the salt, which is
				 * not a key (RFC 4106 8.1); null has none. */
				refs[n].order = ORDER(i, tap, dir);
				refs[n].part = PART_CIPHER;
				bits = dir ? pc->suite_out.key_bits :
				    pc->suite_in.key_bits;
				if (bits > 0 && digest(ctx, md, salt,
				    sizeof(salt), PART_CIPHER, k->enc, bits / 8,
				    refs[n].digest) == -1)
					goto hash_failed;
				if (bits > 0)
					n++;
				if (k->auth_len == 0)
					continue;
				refs[n].order = ORDER(i, tap, dir);
				refs[n].part = PART_AUTH;
				if (digest(ctx, md, salt, sizeof(salt),
				    PART_AUTH, k->auth, k->auth_len,
				    refs[n].digest) == -1)
					goto hash_failed;
				n++;
			}
		}
	}
	qsort(refs, n, sizeof(*refs), ref_cmp);
	/* Of all runs of equal digests, report the repeat written first,
	 * its cipher key before its auth key. */
	for (start = 0, i = 1; i <= n; i++) {
		if (i < n && memcmp(refs[i].digest, refs[start].digest,
		    sizeof(refs[i].digest)) == 0)
			continue;
		if (i - start > 1 && (refs[start + 1].order < repeat ||
		    (refs[start + 1].order == repeat &&
		    refs[start].part < repeat_part))) {
			first = refs[start].order;
			repeat = refs[start + 1].order;
			repeat_part = refs[start].part;
		}
		start = i;
	}
	if (repeat != UINT32_MAX)
		repeated(lx, cf, px, first, repeat, (enum part)repeat_part);
	else
		rv = 0;
	goto out;
hash_failed:
	conf_err(lx, px[0].file, cf->peers[0].line, "cannot compare the keys: "
	    "SHA-256 failed");
out:
	OPENSSL_cleanse(salt, sizeof(salt));
	OPENSSL_cleanse(refs, cap * sizeof(*refs));
	free(refs);
	EVP_MD_free(md);
	EVP_MD_CTX_free(ctx);
	return rv;
}
