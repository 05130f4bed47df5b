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
 * is a replay the second time.
 *
 * Each input also runs on an SA one failure short of ESN resync (RFC 4303
 * A3, esp.h): there only what failed authentication may come out
 * differently, a resync only where the high half is authenticated, only
 * to a number above the window within the halves tried, never moving the
 * window before esp_accept. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "src/esp/esp.h"
#include "src/esp/replay.h"
#include "util/log.h"
#include "util/pkt.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_esp_sas.h"

/* Bytes the engine could hand to esp_decap at PKT_HEADROOM. */
#define FUZZ_ESP_MAX (PKT_BUFSZ - PKT_HEADROOM)

static struct esp_sa sas[FUZZ_NSA];
static struct pkt pk;                   /* big: keep it off the stack */
static uint8_t orig[FUZZ_ESP_MAX];
static uint8_t out[FUZZ_ESP_MAX];       /* the inner packet, resync pass */
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

/* Puts the input into pk as the engine would, from the same window. */
static void
load(struct esp_sa *sa, const struct fuzz_sa_def *d, size_t size,
    uint64_t fails, uint64_t *top)
{
	window_reset(sa, d);
	sa->replay.auth_fails = fails;
	pkt_reset(&pk);
	memcpy(pkt_data(&pk), orig, size);
	pk.len = size;
	*top = sa->replay.top;
	memcpy(bits_before, sa->replay.bits,
	    sa->replay.size / 64 * sizeof(*sa->replay.bits));
}

/* What any ESP_OK promises: the number carries the low half from the
 * wire, and the inner packet lies inside what arrived, behind header and
 * IV, in front of at least the trailer and ICV. */
static void
check_ok(const struct esp_sa *sa, const struct fuzz_sa_def *d, size_t size,
    uint64_t seq)
{
	const struct cipher_info *ci = sa_crypto_cipher(sa->crypto);
	size_t front = ESP_HDR_LEN + ci->iv_len, i;

	FUZZ_CHECK((uint32_t)seq == get32(orig + 4));
	FUZZ_CHECK(d->esn || seq <= UINT32_MAX);
	FUZZ_CHECK(seq != 0);
	FUZZ_CHECK(pk.off == PKT_HEADROOM + front);
	FUZZ_CHECK(pk.len + front + 2 + sa_crypto_icv_len(sa->crypto) <= size);
	FUZZ_CHECK(pk.off + pk.len <= PKT_BUFSZ);
	/* Read every byte of it, as tun_write would (ASan checks each). */
	for (i = 0; i < pk.len; i++)
		sink ^= pkt_data(&pk)[i];
}

/* The caller commits the packet (the engine does after its inner checks
 * on an SA without integrity): the top moves exactly when the number is
 * above it, and the answer says so; the run of failures ends. Then the
 * same packet again is a replay, refused before the window moves. */
static void
accept_and_replay(struct esp_sa *sa, const struct fuzz_sa_def *d,
    size_t size, uint64_t seq, uint64_t top)
{
	uint64_t seq2 = 0;
	uint8_t nh2;
	bool moved;

	moved = esp_accept(sa, seq);
	FUZZ_CHECK(moved == (seq > top));
	FUZZ_CHECK(sa->replay.top == (moved ? seq : top));
	FUZZ_CHECK(sa->replay.auth_fails == 0);

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
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_sa_def *d = NULL;
	const struct cipher_info *ci;
	struct esp_sa *sa = NULL;
	size_t i, front, icv, ctmin, out_len = 0;
	uint32_t spi = 0;
	uint64_t top, seq = 0, seq_r = 0, guess, th;
	uint8_t nh = 0, nh_r = 0;
	enum esp_drop r, r_r;
	bool have_spi, too_short, counts;

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
	memcpy(orig, data, size);

	ci = sa_crypto_cipher(sa->crypto);
	icv = sa_crypto_icv_len(sa->crypto);
	front = ESP_HDR_LEN + ci->iv_len;
	ctmin = (2 + ci->block - 1) / ci->block * ci->block;
	too_short = size < front + ctmin + icv ||
	    (ci->mode == CIPHER_MODE_CBC &&
	    (size - front - icv) % ci->block != 0);
	/* Failures that count towards ESN resync (RFC 4303 A3). */
	counts = d->esn && (cipher_is_aead(ci) || (icv > 0 && !d->skip_icv));

	/* Resync mode first: the same input on an SA that has just had
	 * THRESHOLD - 1 authentication failures in a row, so that one
	 * more tries the high halves th + 1 .. th + SPAN. What it gives
	 * is compared with the normal pass below. */
	load(sa, d, size, ESP_RESYNC_THRESHOLD - 1, &top);
	th = top >> 32;
	guess = 0;
	if (size >= ESP_HDR_LEN)
		(void)replay_check(&sa->replay, get32(orig + 4), &guess);
	r_r = esp_decap(sa, &pk, &nh_r, &seq_r, d->skip_icv);
	FUZZ_CHECK(window_same(&sa->replay, top));
	/* Only a failed authentication counts, where it can (ESN, and
	 * something to authenticate). */
	FUZZ_CHECK(sa->replay.auth_fails == ESP_RESYNC_THRESHOLD - 1 ||
	    (counts && sa->replay.auth_fails == ESP_RESYNC_THRESHOLD));
	if (r_r == ESP_OK) {
		check_ok(sa, d, size, seq_r);
		/* Anything but A2.2's guess is a resync: it authenticated
		 * under one of the SPAN high halves above the window's, and
		 * only where resync applies. */
		if (seq_r != guess) {
			FUZZ_CHECK(counts);
			/* Found authentic: no failure counted. */
			FUZZ_CHECK(sa->replay.auth_fails ==
			    ESP_RESYNC_THRESHOLD - 1);
			FUZZ_CHECK(seq_r > top);
			FUZZ_CHECK((seq_r >> 32) > th &&
			    (seq_r >> 32) <= th + ESP_RESYNC_SPAN);
		}
		/* Keep the inner packet to compare with the normal pass. */
		out_len = pk.len;
		memcpy(out, pkt_data(&pk), pk.len);
		accept_and_replay(sa, d, size, seq_r, top);
	}

	/* The normal pass. */
	load(sa, d, size, 0, &top);
	r = esp_decap(sa, &pk, &nh, &seq, d->skip_icv);
	if (verbose)
		fprintf(stderr, "spi 0x%08x -> SA %s%s: %zu bytes: %s, in "
		    "resync mode %s\n", spi, d->cipher, d->esn ? " esn" : "",
		    size, esp_drop_name(r), esp_drop_name(r_r));

	/* The caller decides these two, never esp_decap. */
	FUZZ_CHECK((unsigned)r < ESP_DROP_MAX);
	FUZZ_CHECK(r != ESP_DROP_NO_SA && r != ESP_DROP_POLICY);
	FUZZ_CHECK(sa->replay.auth_fails == (counts && r == ESP_DROP_AUTH));
	/* Resync mode changes only what failed authentication: all else
	 * comes out the same, to the byte. */
	if (r != ESP_DROP_AUTH || !counts)
		FUZZ_CHECK(r_r == r);
	if (r == ESP_OK)
		FUZZ_CHECK(seq_r == seq && nh_r == nh && out_len == pk.len &&
		    memcmp(out, pkt_data(&pk), pk.len) == 0);
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
	check_ok(sa, d, size, seq);
	FUZZ_CHECK(seq == guess);
	accept_and_replay(sa, d, size, seq, top);
	return 0;
}
