/* Fuzzes inbound ESP (esp_peek_spi, esp_decap) the way the engine runs it:
 * the input is the ESP part of one datagram (SPI first), placed at
 * PKT_HEADROOM in a struct pkt. The SPI picks one of the SAs of
 * fuzz_esp_sas.h; an unknown SPI picks one by SPI modulo their number,
 * so that random bytes reach every suite. Each input starts from the same
 * replay window, so a run depends on the input alone.
 *
 * Seeds made by make_corpus with the same keys do decrypt, so ESP_OK
 * alone is no finding; the checks are invariants that must hold for any
 * input (RFC 4303 3.4): the result lies within the buffer, esp_decap
 * never moves the window (whatever it returns), the number it returns
 * carries the low half from the wire, esp_accept then moves the top to
 * it exactly when it is above the top and says so, and an accepted packet
 * is a replay the second time. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/esp/esp.h"
#include "src/esp/replay.h"
#include "src/util/log.h"
#include "src/util/pkt.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_esp_sas.h"

/* Bytes the engine could hand to esp_decap at PKT_HEADROOM. */
#define FUZZ_ESP_MAX (PKT_BUFSZ - PKT_HEADROOM)

static struct esp_sa sas[FUZZ_NSA];
static struct pkt pk;                   /* big: keep it off the stack */
static uint8_t orig[FUZZ_ESP_MAX];
static uint64_t bits_before[REPLAY_WINDOW_MAX / 64];
static volatile uint8_t sink;
static bool verbose;                    /* VPNTUND_FUZZ_VERBOSE set */

static void
init_once(void)
{
	static bool done;
	size_t i;

	if (done)
		return;
	done = true;
	verbose = getenv("VPNTUND_FUZZ_VERBOSE") != NULL;
	/* Drops are logged at warning level; keep the fuzzer quiet. */
	log_init("fuzz_esp_decap", LOG_LVL_ERR, false);
	FUZZ_CHECK(crypto_global_init() == 0);
	for (i = 0; i < FUZZ_NSA; i++) {
		sas[i].spi = fuzz_sa_defs[i].spi;
		sas[i].esn = fuzz_sa_defs[i].esn;
		sas[i].crypto = fuzz_sa_crypto(&fuzz_sa_defs[i], false);
		FUZZ_CHECK(sas[i].crypto != NULL);
	}
}

/* The window every input starts from. */
static void
window_reset(struct esp_sa *sa, const struct fuzz_sa_def *d)
{
	replay_free(&sa->replay);
	FUZZ_CHECK(replay_init(&sa->replay, d->window, d->esn) == 0);
	if (d->top0 > 0)
		replay_update(&sa->replay, d->top0);
}

static bool
window_same(const struct replay *r, uint64_t top)
{
	return r->top == top &&
	    memcmp(r->bits, bits_before, r->size / 64 * sizeof(*r->bits)) == 0;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_sa_def *d = NULL;
	const struct cipher_info *ci;
	struct esp_sa *sa = NULL;
	size_t i, front, icv, ctmin;
	uint32_t spi = 0;
	uint64_t top, seq = 0, seq2;
	uint8_t nh = 0, nh2 = 0;
	enum esp_drop r;
	bool have_spi, too_short, moved;

	init_once();
	if (size > FUZZ_ESP_MAX)
		size = FUZZ_ESP_MAX;

	have_spi = esp_peek_spi(data, size, &spi);
	FUZZ_CHECK(have_spi == (size >= ESP_HDR_LEN));
	if (have_spi)
		FUZZ_CHECK(spi == get32(data));

	/* SPI lookup as the engine does it, with a fallback for coverage. */
	for (i = 0; i < FUZZ_NSA && have_spi; i++)
		if (sas[i].spi == spi)
			sa = &sas[i];
	if (sa == NULL)
		sa = &sas[(size >= 4 ? get32(data) : size) % FUZZ_NSA];
	d = &fuzz_sa_defs[sa - sas];
	window_reset(sa, d);

	ci = sa_crypto_cipher(sa->crypto);
	icv = sa_crypto_icv_len(sa->crypto);
	front = ESP_HDR_LEN + ci->iv_len;
	ctmin = (2 + ci->block - 1) / ci->block * ci->block;
	too_short = size < front + ctmin + icv ||
	    (!ci->aead && (size - front - icv) % ci->block != 0);

	pkt_reset(&pk);
	memcpy(pkt_data(&pk), data, size);
	memcpy(orig, data, size);
	pk.len = size;
	top = sa->replay.top;
	memcpy(bits_before, sa->replay.bits,
	    sa->replay.size / 64 * sizeof(*sa->replay.bits));

	r = esp_decap(sa, &pk, &nh, &seq, d->skip_icv);
	if (verbose)
		fprintf(stderr, "spi 0x%08x -> SA %s%s: %zu bytes: %s\n", spi,
		    d->cipher, d->esn ? " esn" : "", size, esp_drop_name(r));

	/* The caller decides these two, never esp_decap. */
	FUZZ_CHECK((unsigned)r < ESP_DROP_MAX);
	FUZZ_CHECK(r != ESP_DROP_NO_SA && r != ESP_DROP_POLICY);
	/* RFC 4303 2: anything shorter than header, IV, one block and ICV,
	 * or CBC ciphertext of partial blocks, is malformed, untouched. */
	if (too_short) {
		FUZZ_CHECK(r == ESP_DROP_MALFORMED);
		FUZZ_CHECK(window_same(&sa->replay, top));
		FUZZ_CHECK(pk.off == PKT_HEADROOM && pk.len == size);
		return 0;
	}
	/* 3.4.3: only the caller moves the window, through esp_accept. */
	FUZZ_CHECK(window_same(&sa->replay, top));
	if (r != ESP_OK)
		return 0;
	FUZZ_CHECK((uint32_t)seq == get32(orig + 4));
	FUZZ_CHECK(d->esn || seq <= UINT32_MAX);
	FUZZ_CHECK(seq != 0);

	/* The inner packet lies inside what arrived, behind header and IV,
	 * in front of at least the trailer and ICV. */
	FUZZ_CHECK(pk.off == PKT_HEADROOM + front);
	FUZZ_CHECK(pk.len + front + 2 + icv <= size);
	FUZZ_CHECK(pk.off + pk.len <= PKT_BUFSZ);
	/* Read every byte of it, as tun_write would (ASan checks each). */
	for (i = 0; i < pk.len; i++)
		sink ^= pkt_data(&pk)[i];

	/* The caller commits it (the engine does after its inner checks
	 * on an SA without integrity): the top moves exactly when the
	 * number is above it, and the answer says so. */
	moved = esp_accept(sa, seq);
	FUZZ_CHECK(moved == (seq > top));
	FUZZ_CHECK(sa->replay.top == (moved ? seq : top));

	/* Accepted once: the same packet again is a replay, and is refused
	 * before the window moves. */
	FUZZ_CHECK(!replay_check(&sa->replay, get32(orig + 4), &seq2));
	top = sa->replay.top;
	memcpy(bits_before, sa->replay.bits,
	    sa->replay.size / 64 * sizeof(*sa->replay.bits));
	pkt_reset(&pk);
	memcpy(pkt_data(&pk), orig, size);
	pk.len = size;
	FUZZ_CHECK(esp_decap(sa, &pk, &nh2, &seq2, d->skip_icv) ==
	    ESP_DROP_REPLAY);
	FUZZ_CHECK(window_same(&sa->replay, top));
	return 0;
}
