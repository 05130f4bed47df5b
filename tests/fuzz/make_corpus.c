/* Writes the binary seed corpora of the fuzzers (run it by hand and commit
 * what it writes; the output is deterministic):
 *
 *   make_corpus DIR     writes DIR/esp_decap/, DIR/inner/ and DIR/match/
 *
 * esp_decap: for every SA of fuzz_esp_sas.h, packets made by our own
 * esp_encap with the fuzzer's keys and a fixed IV (valid IPv4, IPv6, dummy
 * and TFC-padded payloads, some across a 2^32 boundary for ESN, one old
 * enough to be a replay, and for ESN one from a sender a few high halves
 * ahead, which only resync finds), then truncated and bit-flipped
 * variants.
 * inner: IPv4 and IPv6 headers, well-formed and not.
 * match: rule sets in fuzz_match's format (broad rules, a shape table's
 * host rules, copies of one key past a bucket, edge values), each with
 * raw, field and corner packets. */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/esp/esp.h"
#include "src/esp/esp_internal.h"
#include "util/log.h"
#include "util/pkt.h"
#include "tests/fuzz/fuzz_esp_sas.h"

static const char *outdir;
static struct pkt pk;

static void
die(const char *what)
{
	fprintf(stderr, "make_corpus: %s\n", what);
	exit(1);
}

static void
put(const char *sub, const char *name, const uint8_t *b, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(b, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

static uint16_t
csum(const uint8_t *d, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)d[i] << 8 | d[i + 1];
	if (len & 1)
		s += (uint32_t)d[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4: header of ihl words, tot bytes claimed, len written (payload
 * pattern after the header), valid checksum. Returns len. */
static size_t
ipv4(uint8_t *b, size_t len, unsigned ihl, size_t tot, uint8_t tos,
    uint16_t frag, const uint8_t dst[4])
{
	static const uint8_t src[4] = { 10, 1, 1, 7 };
	size_t i;
	uint16_t c;

	memset(b, 0, len);
	b[0] = (uint8_t)(0x40 | ihl);
	b[1] = tos;
	b[2] = (uint8_t)(tot >> 8);
	b[3] = (uint8_t)tot;
	b[4] = 0x12;
	b[5] = 0x34;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = 1;                       /* ICMP */
	memcpy(b + 12, src, 4);
	memcpy(b + 16, dst, 4);
	for (i = 20; i < ihl * 4 && i < len; i++)
		b[i] = 1;               /* NOP options */
	for (; i < len; i++)
		b[i] = (uint8_t)(i * 7);
	if (ihl * 4 <= len) {
		c = csum(b, ihl * 4);
		b[10] = (uint8_t)(c >> 8);
		b[11] = (uint8_t)c;
	}
	return len;
}

static size_t
ipv6(uint8_t *b, size_t len, size_t payload, uint8_t tclass, uint8_t nh,
    uint8_t dst0, uint8_t dst1)
{
	size_t i;

	memset(b, 0, len);
	b[0] = (uint8_t)(0x60 | tclass >> 4);
	b[1] = (uint8_t)(tclass << 4);
	b[4] = (uint8_t)(payload >> 8);
	b[5] = (uint8_t)payload;
	b[6] = nh;
	b[7] = 64;
	b[8] = 0xfd;
	b[23] = 2;
	b[24] = dst0;
	b[25] = dst1;
	b[39] = 1;
	for (i = 40; i < len; i++)
		b[i] = (uint8_t)(i * 5);
	return len;
}

static void
make_inner(void)
{
	static const uint8_t d_uni[4] = { 10, 1, 0, 9 };
	static const uint8_t d_mc[4] = { 224, 0, 0, 251 };
	static const uint8_t d_ll[4] = { 169, 254, 3, 4 };
	static const uint8_t d_bc[4] = { 255, 255, 255, 255 };
	uint8_t b[1500] = { 0 };  /* "empty" passes it with length 0 */
	size_t n;

	put("inner", "empty", b, 0);
	n = ipv4(b, 84, 5, 84, 0, 0x4000, d_uni);
	put("inner", "v4-icmp", b, n);
	put("inner", "v4-truncated", b, 19);
	put("inner", "v4-header-only", b, 20);
	n = ipv4(b, 84, 5, 84, 0x02, 0, d_uni);
	put("inner", "v4-ect0", b, n);
	n = ipv4(b, 84, 5, 84, 0xb9, 0, d_uni);
	put("inner", "v4-ect1-dscp", b, n);
	n = ipv4(b, 84, 5, 84, 0x03, 0x2001, d_uni);
	put("inner", "v4-ce-fragment", b, n);
	n = ipv4(b, 100, 5, 84, 0x02, 0, d_uni);
	put("inner", "v4-tfc-padding", b, n);
	n = ipv4(b, 84, 15, 84, 0, 0, d_uni);
	put("inner", "v4-options", b, n);
	n = ipv4(b, 40, 15, 40, 0, 0, d_uni);
	put("inner", "v4-ihl-beyond", b, n);
	n = ipv4(b, 84, 4, 84, 0, 0, d_uni);
	put("inner", "v4-ihl-short", b, n);
	n = ipv4(b, 84, 5, 200, 0, 0, d_uni);
	put("inner", "v4-total-beyond", b, n);
	n = ipv4(b, 84, 6, 20, 0, 0, d_uni);
	put("inner", "v4-total-short", b, n);
	n = ipv4(b, 84, 5, 84, 0, 0, d_mc);
	put("inner", "v4-multicast", b, n);
	n = ipv4(b, 84, 5, 84, 0, 0, d_ll);
	put("inner", "v4-linklocal", b, n);
	n = ipv4(b, 84, 5, 84, 0, 0, d_bc);
	put("inner", "v4-broadcast", b, n);
	n = ipv4(b, 1500, 5, 1500, 0x01, 0x4000, d_uni);
	put("inner", "v4-1500", b, n);
	b[10] ^= 0xff;
	put("inner", "v4-1500-bad-cksum", b, n);
	n = ipv6(b, 80, 40, 0x00, 58, 0xfd, 0x00);
	put("inner", "v6-icmp", b, n);
	n = ipv6(b, 80, 40, 0x03, 58, 0xfd, 0x00);
	put("inner", "v6-ce", b, n);
	n = ipv6(b, 80, 40, 0xfe, 6, 0xfd, 0x00);
	put("inner", "v6-tclass", b, n);
	n = ipv6(b, 40, 0, 0x01, 59, 0xfd, 0x00);
	put("inner", "v6-no-payload", b, n);
	n = ipv6(b, 100, 40, 0x02, 17, 0xfd, 0x00);
	put("inner", "v6-tfc-padding", b, n);
	n = ipv6(b, 80, 41, 0, 17, 0xfd, 0x00);
	put("inner", "v6-payload-beyond", b, n);
	put("inner", "v6-truncated", b, 39);
	n = ipv6(b, 80, 40, 0, 58, 0xff, 0x02);
	put("inner", "v6-multicast", b, n);
	n = ipv6(b, 80, 40, 0, 58, 0xfe, 0x80);
	put("inner", "v6-linklocal", b, n);
	b[0] = 0x50;
	put("inner", "version-5", b, n);
}

/* fuzz_match's input, appended to. */
struct seed {
	uint8_t b[4096];
	size_t  len;
};

static void
seed_add(struct seed *s, const uint8_t *b, size_t len)
{
	if (s->len + len > sizeof(s->b))
		die("match seed too long");
	memcpy(s->b + s->len, b, len);
	s->len += len;
}

/* A rule record (fuzz_match.c): flags, prefix lengths, protocol, ports,
 * TOS, ICMP type, copies, address seeds. */
static void
seed_rule(struct seed *s, uint8_t flags, uint8_t slen, uint8_t dlen,
    uint8_t proto, uint16_t dlo, uint16_t dhi, uint8_t tos_mask,
    uint8_t copies, uint16_t sseed, uint16_t dseed)
{
	/* An ICMP type condition only where the protocol has types. */
	uint8_t f = proto != 1 && proto != 58 ? flags | 0x08 : flags;
	uint8_t r[20] = { f, slen, dlen, proto, 0, 0, 0xff, 0xff,
		(uint8_t)(dlo >> 8), (uint8_t)dlo, (uint8_t)(dhi >> 8),
		(uint8_t)dhi, 0xb8, tos_mask, 8, copies,
		(uint8_t)(sseed >> 8), (uint8_t)sseed, (uint8_t)(dseed >> 8),
		(uint8_t)dseed };

	seed_add(s, r, sizeof(r));
}

/* Packets: a raw one (kind 6: 0 mod 3, from tun), fields (kind 1), a
 * corner of rule i (kind 2). */
static void
seed_raw(struct seed *s, const uint8_t *pkt, size_t len)
{
	uint8_t h[2] = { 6, (uint8_t)len };

	seed_add(s, h, 2);
	seed_add(s, pkt, len);
}

static void
seed_fields(struct seed *s, uint8_t flags, uint16_t sseed, uint16_t dseed,
    uint8_t proto, uint16_t dport, uint8_t tos)
{
	uint8_t f[13] = { 1, flags, (uint8_t)(sseed >> 8), (uint8_t)sseed,
		(uint8_t)(dseed >> 8), (uint8_t)dseed, proto, 0x9c, 0x40,
		(uint8_t)(dport >> 8), (uint8_t)dport, tos, 8 };

	seed_add(s, f, sizeof(f));
}

static void
seed_corner(struct seed *s, uint8_t rule, uint16_t corner)
{
	uint8_t c[4] = { 2, rule, (uint8_t)(corner >> 8), (uint8_t)corner };

	seed_add(s, c, sizeof(c));
}

/* Raw packets of each kind the parser knows. */
static void
seed_raw_packets(struct seed *s)
{
	static const uint8_t d[4] = { 10, 0, 0, 80 };
	uint8_t b[120];
	size_t n;

	n = ipv4(b, 48, 5, 48, 0xb8, 0x4000, d);
	b[9] = 6;                       /* TCP, ports 40000 -> 80 */
	b[20] = 0x9c; b[21] = 0x40; b[22] = 0; b[23] = 80;
	seed_raw(s, b, n);
	b[6] = 0x20; b[7] = 0x10;       /* a later fragment: no ports */
	seed_raw(s, b, n);
	n = ipv4(b, 28, 5, 28, 0, 0, d);        /* ICMP echo */
	b[20] = 8;
	seed_raw(s, b, n);
	n = ipv6(b, 48, 8, 0xb8, 17, 0x20, 0x01);       /* UDP */
	seed_raw(s, b, n);
	/* Hop-by-hop, then a fragment header, then TCP. */
	n = ipv6(b, 96, 56, 0, 0, 0x20, 0x01);
	b[40] = 44; b[41] = 0;
	b[48] = 6; b[50] = 0; b[51] = 0;
	seed_raw(s, b, n);
	b[50] = 0x01;                   /* offset 32: a later fragment */
	seed_raw(s, b, n);
	seed_raw(s, b, 39);             /* truncated */
}

static void
make_match(void)
{
	struct seed s;

	/* Broad rules over both families, then packets of each kind. */
	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 7;
	seed_rule(&s, 0x01, 16, 0, 6, 80, 80, 0xfc, 0, 0x0000, 0);
	seed_rule(&s, 0x02, 32, 64, 17, 5000, 6000, 0, 0, 0x1234, 0x4000);
	seed_rule(&s, 0x04 | 0x08, 0, 24, 0, 0, 65535, 0x0f, 0, 0, 0x8000);
	seed_rule(&s, 0x40 | 0x10, 48, 0, 58, 0, 65535, 0, 0, 0x0001, 0);
	seed_rule(&s, 0x01 | 0x30, 8, 8, 1, 0, 65535, 0, 0, 0xc000, 0xc000);
	seed_rule(&s, 0x03, 24, 32, 17, 65535, 65535, 0xff, 0, 0x4000, 0x50);
	seed_rule(&s, 0x02, 0, 0, 6, 9, 3, 0, 0, 0, 0);         /* empty */
	seed_raw_packets(&s);
	seed_fields(&s, 0x00, 0x0001, 0x0050, 6, 80, 0xb8);
	seed_fields(&s, 0x21, 0x1234, 0x4000, 17, 5500, 0xb8);
	seed_fields(&s, 0x1b, 0, 0, 6, 80, 0xb8); /* no family, interface 3 */
	seed_corner(&s, 1, 0x0280);
	seed_corner(&s, 5, 0xffff);
	put("match", "broad", s.b, s.len);

	/* Two records of 64 IPv4 host rules each: one shape (/32 source,
	 * /24 destination, TCP, one port), a shape table's case. */
	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 3;
	seed_rule(&s, 0x01, 32, 24, 6, 443, 443, 0, 63, 0x0100, 0x4000);
	seed_rule(&s, 0x01, 32, 24, 6, 443, 443, 0, 63, 0x0200, 0x4000);
	seed_rule(&s, 0x04, 8, 0, 0, 0, 65535, 0, 0, 0, 0);
	seed_fields(&s, 0x00, 0x0105, 0x4007, 6, 443, 0xb8);
	seed_corner(&s, 70, 0x0000);
	seed_corner(&s, 129, 0x0000);
	put("match", "table-v4", s.b, s.len);

	/* IPv6 host rules with a TOS mask with holes (inexact boxes in the
	 * buckets), and 20 copies of one of them, more than a bucket's 8
	 * slots: those past them stay in the trees. */
	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 3;
	seed_rule(&s, 0x02, 128, 128, 17, 5004, 5004, 0x0f, 63, 0x0100,
	    0x0001);
	seed_rule(&s, 0x02, 128, 128, 17, 5004, 5004, 0x0f, 63, 0x0300,
	    0x0001);
	seed_rule(&s, 0x02, 128, 128, 17, 5004, 5004, 0x0f, 19 | 0x40,
	    0x0100, 0x0001);
	seed_fields(&s, 0x01, 0x0105, 0x0001, 17, 5004, 0xb8);
	/* Inside the box of the TOS mask 0x0f (0x08-0xf8), refused by it. */
	seed_fields(&s, 0x01, 0x0105, 0x0001, 17, 5004, 0x10);
	seed_corner(&s, 130, 0x0001);
	put("match", "table-v6-overflow", s.b, s.len);

	/* No rules: every packet matches none. */
	memset(&s, 0, sizeof(s));
	s.b[s.len++] = 0;
	seed_raw_packets(&s);
	put("match", "no-rules", s.b, s.len);
}

/* One SA's seeds. */
static void
make_esp(size_t idx)
{
	static const uint8_t dst[4] = { 10, 1, 0, 9 };
	const struct fuzz_sa_def *d = &fuzz_sa_defs[idx];
	struct esp_sa sa;
	const struct cipher_info *ci;
	uint8_t iv[CRYPTO_IV_MAX], first[PKT_BUFSZ], inner[1500];
	char name[96];
	size_t firstlen = 0, n, icv, k, i;
	uint64_t h;
	uint8_t nh;

	memset(&sa, 0, sizeof(sa));
	sa.spi = d->spi;
	sa.esn = d->esn;
	if ((sa.crypto = fuzz_sa_crypto(d, true)) == NULL)
		die(d->cipher);
	ci = sa_crypto_cipher(sa.crypto);
	icv = sa_crypto_icv_len(sa.crypto);
	/* Start a little below the receiver's window top, so that the ESN
	 * SAs whose top is just past 2^32 see both sides of it. */
	sa.seq = d->top0 > 0x12 ? d->top0 - 0x12 : 0;

	for (k = 0; k < 8; k++) {
		switch (k) {
		case 0: n = ipv4(inner, 84, 5, 84, 0x02, 0x4000, dst); nh = 4; break;
		case 1: n = ipv6(inner, 72, 32, 0, 58, 0xfd, 0); nh = 41; break;
		case 2: n = 0; nh = 59; break;  /* dummy, RFC 4303 2.6 */
		case 3: n = ipv4(inner, 97, 5, 60, 0, 0, dst); nh = 4; break;
		case 4:
			/* One large packet per suite family is enough. */
			n = ipv4(inner, idx < 2 ? 1400 : 300, 5,
			    idx < 2 ? 1400 : 300, 0, 0, dst);
			nh = 4;
			break;
		case 5:
			/* Far ahead of the window; for ESN as far as the
			 * high half can still be inferred (RFC 4303 A2.2). */
			sa.seq = d->esn ? d->top0 + 0x7ffffff0ULL :
			    d->top0 + 100000;
			n = ipv4(inner, 40, 5, 40, 0, 0, dst);
			nh = 4;
			break;
		case 6:
			/* Older than the window: a replay for a non-fresh
			 * window, accepted otherwise. */
			sa.seq = d->top0 > 2000 ? d->top0 - 2000 : 1;
			n = ipv6(inner, 48, 8, 0, 17, 0xfd, 0);
			nh = 41;
			break;
		default:
			/* ESN: just above the window's top in the low half,
			 * but three high halves ahead (or the last one), so
			 * A2.2 guesses wrong and only the fuzzer's resync
			 * pass (RFC 4303 A3) finds the number. */
			if (!d->esn)
				continue;
			h = (d->top0 >> 32) + 3;
			if (h > UINT32_MAX)
				h = UINT32_MAX;
			sa.seq = (h << 32 | (uint32_t)(d->top0 + 0x40)) - 1;
			n = ipv4(inner, 60, 5, 60, 0, 0, dst);
			nh = 4;
			break;
		}
		pkt_reset(&pk);
		memcpy(pkt_data(&pk), inner, n);
		pk.len = n;
		for (i = 0; i < sizeof(iv); i++)
			iv[i] = (uint8_t)(idx * 16 + k * 3 + i);
		if (esp_encap_iv(&sa, &pk, nh, iv) != 0)
			die("esp_encap");
		snprintf(name, sizeof(name), "sa%02zu-%s-%s%s-p%zu", idx,
		    d->cipher, d->auth, d->esn ? "-esn" : "", k);
		put("esp_decap", name, pkt_data(&pk), pk.len);
		if (k == 0) {
			memcpy(first, pkt_data(&pk), pk.len);
			firstlen = pk.len;
		}
	}

	/* Variants of the first packet: each one a drop reason. */
#define VARIANT(tag, buf, len) do {					\
	snprintf(name, sizeof(name), "sa%02zu-%s", idx, tag);		\
	put("esp_decap", name, buf, len);				\
} while (0)
	VARIANT("trunc-1", first, firstlen - 1);
	VARIANT("trunc-front", first, ESP_HDR_LEN + ci->iv_len);
	VARIANT("trunc-hdr", first, ESP_HDR_LEN);
	VARIANT("trunc-7", first, 7);
	first[firstlen - 1] ^= 0x01;
	VARIANT("flip-icv", first, firstlen);
	first[firstlen - 1] ^= 0x01;
	first[ESP_HDR_LEN + ci->iv_len] ^= 0x80;
	VARIANT("flip-ct", first, firstlen);
	first[ESP_HDR_LEN + ci->iv_len] ^= 0x80;
	first[7] ^= 0x01;
	VARIANT("flip-seq", first, firstlen);
	first[7] ^= 0x01;
	/* CBC: a flip in the block before the last one flips the same
	 * byte of the last plaintext block, here the pad length. */
	if (ci->mode == CIPHER_MODE_CBC) {
		k = firstlen - icv - ci->block - 2;
		first[k] ^= 0x04;
		VARIANT("flip-padlen", first, firstlen);
		first[k] ^= 0x04;
		k = firstlen - icv - ci->block - 3;
		first[k] ^= 0x01;
		VARIANT("flip-pad", first, firstlen);
		first[k] ^= 0x01;
	}
	first[3] ^= 0x40;
	VARIANT("other-spi", first, firstlen);
	first[3] ^= 0x40;
	memset(first + 4, 0, 4);
	VARIANT("seq-zero", first, firstlen);
#undef VARIANT
	sa_crypto_free(sa.crypto);
}

int
main(int argc, char **argv)
{
	char path[PATH_MAX];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: make_corpus DIR\n");
		return 2;
	}
	outdir = argv[1];
	log_init("make_corpus", LOG_LVL_ERR, false);
	if (crypto_global_init() != 0)
		die("crypto_global_init");
	snprintf(path, sizeof(path), "%s/esp_decap", outdir);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/inner", outdir);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/match", outdir);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		die(path);
	for (i = 0; i < FUZZ_NSA; i++)
		make_esp(i);
	make_inner();
	make_match();
	crypto_global_cleanup();
	return 0;
}
