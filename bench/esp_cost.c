/* bench/esp_cost: the ESP work of one suite and packet size, for
 * bench/projection to count under callgrind.
 *
 *   esp_cost CIPHER[-BITS]/AUTH SIZE N
 *   e.g. esp_cost blowfish-cbc-256/hmac-sha1-96 1400 2000
 *
 * Builds an outbound SA and the peer's inbound SA with fixed test keys,
 * fills N inner IPv4 packets of SIZE bytes, then encapsulates all of them
 * (phase_encrypt) and decapsulates and accepts all of them
 * (phase_decrypt). Each phase is a function of its own that callgrind
 * can collect alone, so the key schedules, the provider loading and the
 * filling stay out of the counts. One packet goes through both
 * directions first: the first use of the RNG and of each PLT entry is
 * set-up too. Afterwards every packet must have come back as it went
 * in, with its own sequence number, and must have been encrypted on the
 * wire: a broken path exits 1 rather than being measured. Only the
 * public ESP and crypto interfaces are used. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/esp/esp.h"
#include "src/esp/replay.h"
#include "util/pkt.h"

#define IPV4_HDR_LEN	20
#define UDP_HDR_LEN	8
#define SIZE_MIN	(IPV4_HDR_LEN + UDP_HDR_LEN)
#define N_MAX		1000000

struct suite {
	const struct cipher_info *ci;
	const struct auth_info   *ai;
	size_t                    keylen;	/* bytes, without salt */
};

struct bench {
	struct esp_sa  out, in;
	struct pkt    *pkts;		/* encrypted and decrypted in place */
	uint64_t      *seqs;
	uint8_t       *nhs;
	size_t         n, size;
};

/* "blowfish-cbc-256/hmac-sha1-96", or without "-BITS" for the default
 * key size. */
static int
parse_suite(const char *arg, struct suite *s)
{
	char cname[64], *slash, *dash, *end;
	unsigned long bits = 0;

	if (strlen(arg) >= sizeof(cname))
		return -1;
	strcpy(cname, arg);
	if ((slash = strchr(cname, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((s->ai = auth_by_name(slash + 1)) == NULL)
		return -1;
	if ((s->ci = cipher_by_name(cname)) == NULL) {
		if ((dash = strrchr(cname, '-')) == NULL)
			return -1;
		bits = strtoul(dash + 1, &end, 10);
		if (dash[1] == '\0' || *end != '\0' || bits % 8 != 0)
			return -1;
		*dash = '\0';
		if ((s->ci = cipher_by_name(cname)) == NULL)
			return -1;
	}
	s->keylen = bits ? bits / 8 : s->ci->key_default;
	return cipher_key_len_ok(s->ci, s->keylen) ? 0 : -1;
}

static struct sa_crypto *
mk_crypto(const struct suite *s, bool encrypt)
{
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX], ak[CRYPTO_AUTHKEY_MAX];
	struct sa_crypto *c;
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x11 + 7 * i);
	for (i = 0; i < sizeof(ak); i++)
		ak[i] = (uint8_t)(0x22 ^ (3 * i));
	c = sa_crypto_new(s->ci, key, s->keylen + s->ci->salt_len, s->ai,
	    s->ai->key_len ? ak : NULL, s->ai->key_len, encrypt);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(ak, sizeof(ak));
	return c;
}

static uint16_t
ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Inner packet number i: a valid IPv4 header (UDP from 198.18.1.1 to
 * 198.18.0.1), then a payload that differs from packet to packet. */
static void
make_inner(uint8_t *d, size_t size, size_t i)
{
	uint16_t ck;
	size_t k;

	memset(d, 0, SIZE_MIN);
	d[0] = 0x45;
	d[2] = (uint8_t)(size >> 8);
	d[3] = (uint8_t)size;
	d[4] = (uint8_t)(i >> 8);
	d[5] = (uint8_t)i;
	d[6] = 0x40;			/* DF */
	d[8] = 64;
	d[9] = IPPROTO_UDP;
	d[12] = 198; d[13] = 18; d[14] = 1; d[15] = 1;
	d[16] = 198; d[17] = 18; d[18] = 0; d[19] = 1;
	ck = ip_checksum(d, IPV4_HDR_LEN);
	d[10] = (uint8_t)(ck >> 8);
	d[11] = (uint8_t)ck;
	d[20] = 0x13; d[21] = 0x88;	/* 5000 -> 5004 */
	d[22] = 0x13; d[23] = 0x8c;
	d[24] = (uint8_t)((size - IPV4_HDR_LEN) >> 8);
	d[25] = (uint8_t)(size - IPV4_HDR_LEN);
	for (k = SIZE_MIN; k < size; k++)
		d[k] = (uint8_t)(i * 31 + k * 13);
}

static void
load_inner(struct pkt *p, size_t size, size_t i)
{
	pkt_reset(p);
	make_inner(pkt_data(p), size, i);
	p->len = size;
}

/* The measured directions: nothing but the ESP calls and the loop. */
__attribute__((noinline)) static int
phase_encrypt(struct bench *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (esp_encap(&b->out, &b->pkts[i], IPPROTO_IPIP) == -1)
			return -1;
	return 0;
}

__attribute__((noinline)) static int
phase_decrypt(struct bench *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (esp_decap(&b->in, &b->pkts[i], &b->nhs[i], &b->seqs[i],
		    false) != ESP_OK)
			return -1;
		if (!esp_accept(&b->in, b->seqs[i]))
			return -1;
	}
	return 0;
}

/* After phase_encrypt: each packet has the expected wire length and its
 * inner bytes are not on the wire in the clear. Not inlined: callgrind
 * ends the first phase's profile on entering it (bench/projection), as
 * it cannot both collect a function and dump on its entry or exit. */
__attribute__((noinline)) static int
check_encrypted(struct bench *b, uint8_t *orig)
{
	const struct cipher_info *ci = sa_crypto_cipher(b->out.crypto);
	size_t front = ESP_HDR_LEN + ci->iv_len, i;

	for (i = 0; i < b->n; i++) {
		struct pkt *p = &b->pkts[i];

		if (p->len != esp_wire_len(&b->out, b->size)) {
			fprintf(stderr, "esp_cost: packet %zu: %zu bytes on "
			    "the wire, expected %zu\n", i, p->len,
			    esp_wire_len(&b->out, b->size));
			return -1;
		}
		make_inner(orig, b->size, i);
		if (memcmp(pkt_data(p) + front, orig, b->size) == 0) {
			fprintf(stderr, "esp_cost: packet %zu went out in the "
			    "clear\n", i);
			return -1;
		}
	}
	return 0;
}

/* After phase_decrypt: each packet is the original, in order. */
static int
check_decrypted(struct bench *b, uint8_t *orig, uint64_t first_seq)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct pkt *p = &b->pkts[i];

		make_inner(orig, b->size, i);
		if (b->nhs[i] != IPPROTO_IPIP || b->seqs[i] != first_seq + i ||
		    p->len != b->size ||
		    memcmp(pkt_data(p), orig, b->size) != 0) {
			fprintf(stderr, "esp_cost: packet %zu came back wrong "
			    "(next header %u, seq %llu, %zu bytes)\n", i,
			    b->nhs[i], (unsigned long long)b->seqs[i], p->len);
			return -1;
		}
	}
	return 0;
}

/* One packet through both directions, outside the phases. */
static int
warm_up(struct bench *b, struct pkt *p, uint8_t *orig)
{
	uint64_t seq;
	uint8_t nh;

	load_inner(p, b->size, 0);
	make_inner(orig, b->size, 0);
	if (esp_encap(&b->out, p, IPPROTO_IPIP) == -1 ||
	    esp_decap(&b->in, p, &nh, &seq, false) != ESP_OK ||
	    !esp_accept(&b->in, seq) || nh != IPPROTO_IPIP ||
	    p->len != b->size || memcmp(pkt_data(p), orig, b->size) != 0) {
		fprintf(stderr, "esp_cost: the warm-up packet did not come "
		    "back\n");
		return -1;
	}
	return 0;
}

static int
run(const struct suite *s, const char *name, size_t size, size_t n)
{
	struct bench b;
	struct pkt *spare = NULL;
	uint8_t *orig = NULL;
	uint64_t first_seq;
	size_t i;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.n = n;
	b.size = size;
	b.out.spi = b.in.spi = 0x00c05700;
	b.out.crypto = mk_crypto(s, true);
	b.in.crypto = mk_crypto(s, false);
	b.pkts = calloc(n, sizeof(*b.pkts));
	b.seqs = calloc(n, sizeof(*b.seqs));
	b.nhs = calloc(n, sizeof(*b.nhs));
	spare = calloc(1, sizeof(*spare));
	orig = malloc(size);
	if (b.out.crypto == NULL || b.in.crypto == NULL || b.pkts == NULL ||
	    b.seqs == NULL || b.nhs == NULL || spare == NULL || orig == NULL ||
	    replay_init(&b.in.replay, REPLAY_WINDOW_DEFAULT, false) == -1) {
		fprintf(stderr, "esp_cost: %s: set-up failed\n", name);
		goto out;
	}
	if (esp_wire_len(&b.out, size) + PKT_HEADROOM > PKT_BUFSZ) {
		fprintf(stderr, "esp_cost: %zu bytes do not fit a packet "
		    "buffer\n", size);
		goto out;
	}
	if (warm_up(&b, spare, orig) == -1)
		goto out;
	first_seq = b.out.seq + 1;
	for (i = 0; i < n; i++)
		load_inner(&b.pkts[i], size, i);

	if (phase_encrypt(&b) == -1) {
		fprintf(stderr, "esp_cost: %s: esp_encap failed\n", name);
		goto out;
	}
	if (check_encrypted(&b, orig) == -1)
		goto out;
	if (phase_decrypt(&b) == -1) {
		fprintf(stderr, "esp_cost: %s: esp_decap or esp_accept "
		    "failed\n", name);
		goto out;
	}
	if (check_decrypted(&b, orig, first_seq) == -1)
		goto out;
	printf("esp_cost %s: %zu packets of %zu bytes, %zu on the wire, "
	    "all came back\n", name, n, size, esp_wire_len(&b.out, size));
	rc = 0;
out:
	sa_crypto_free(b.out.crypto);
	sa_crypto_free(b.in.crypto);
	replay_free(&b.in.replay);
	free(b.pkts);
	free(b.seqs);
	free(b.nhs);
	free(spare);
	free(orig);
	return rc;
}

static int
parse_size(const char *arg, size_t min, size_t max, size_t *v)
{
	unsigned long long x;
	char *end;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	x = strtoull(arg, &end, 10);
	if (*end != '\0' || x < min || x > max)
		return -1;
	*v = (size_t)x;
	return 0;
}

int
main(int argc, char **argv)
{
	struct suite s;
	size_t size, n;
	int rc;

	if (argc != 4 || parse_suite(argv[1], &s) == -1 ||
	    parse_size(argv[2], SIZE_MIN, PKT_MTU_MAX, &size) == -1 ||
	    parse_size(argv[3], 1, N_MAX, &n) == -1) {
		fprintf(stderr, "usage: esp_cost CIPHER[-BITS]/AUTH SIZE N\n"
		    "  e.g. esp_cost blowfish-cbc-256/hmac-sha1-96 1400 2000 "
		    "(SIZE %d..%d, N 1..%d)\n", SIZE_MIN, PKT_MTU_MAX, N_MAX);
		return 2;
	}
	if (crypto_global_init() == -1)
		return 1;
	rc = run(&s, argv[1], size, n);
	crypto_global_cleanup();
	return rc == 0 ? 0 : 1;
}
