/* Anti-replay window, RFC 4303 3.4.3 and Appendix A2.
 *
 * The bitmap is circular (as in RFC 6479): sequence number s lives at bit
 * s % size, so moving the window forward only clears the bits it uncovers
 * and never shifts the whole map. Valid numbers are top - size + 1 .. top
 * (bits set if seen) and anything above top. */
#include "src/esp/replay.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void
replay_init_off(struct replay *r)
{
	memset(r, 0, sizeof(*r));
	r->off = true;
}

int
replay_init(struct replay *r, uint32_t size, bool esn)
{
	r->top = 0;
	r->off = false;
	r->esn = esn;
	r->bits = NULL;
	r->auth_fails = 0;
	r->resync_buf = NULL;
	if (size == 0)
		size = REPLAY_WINDOW_DEFAULT;
	if (size > REPLAY_WINDOW_MAX) {
		log_warnx("replay window %u > %u", size, REPLAY_WINDOW_MAX);
		r->size = 0;
		return -1;
	}
	r->size = (size + 63) & ~(uint32_t)63;
	if ((r->bits = calloc(r->size / 64, sizeof(*r->bits))) == NULL) {
		log_warn("replay window");
		replay_free(r);
		return -1;
	}
	return 0;
}

uint8_t *
replay_resync_buf(struct replay *r)
{
	static struct log_limit lim;

	if (!r->esn)
		return NULL;
	if (r->resync_buf == NULL &&
	    (r->resync_buf = malloc(REPLAY_RESYNC_BUFSZ)) == NULL)
		log_ratelimited(&lim, LOG_LVL_WARN, "ESN resync: no memory "
		    "for a %zu-byte buffer", (size_t)REPLAY_RESYNC_BUFSZ);
	return r->resync_buf;
}

void
replay_free(struct replay *r)
{
	free(r->bits);
	free(r->resync_buf);
	r->bits = NULL;
	r->resync_buf = NULL;
	r->size = 0;
	r->top = 0;
	r->off = false;
	r->auth_fails = 0;
}

static bool
bit_get(const struct replay *r, uint64_t seq)
{
	uint32_t idx = (uint32_t)(seq % r->size);

	return (r->bits[idx / 64] >> (idx % 64)) & 1;
}

/* Clears count (<= size) consecutive positions starting at seq, a word at a
 * time, so a jump costs at most size/64 + 1 steps. */
static void
bits_clear(struct replay *r, uint64_t seq, uint64_t count)
{
	while (count > 0) {
		uint32_t idx = (uint32_t)(seq % r->size);
		uint32_t b = idx % 64;
		uint64_t n = 64 - b, mask;

		if (n > count)
			n = count;
		mask = (n == 64) ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1) << b;
		r->bits[idx / 64] &= ~mask;
		seq += n;
		count -= n;
	}
}

/* RFC 4303 A2.2: pick the high half that puts seq_lo closest to the
 * window. Returns false when that half would fall below 0 or wrap past
 * 2^64 - 1: such a number cannot belong to this SA. */
static bool
esn_infer(const struct replay *r, uint32_t seq_lo, uint64_t *seq)
{
	uint32_t th = (uint32_t)(r->top >> 32);
	uint32_t tl = (uint32_t)r->top;
	uint32_t w = r->size;
	uint32_t bottom = tl - w + 1;   /* mod 2^32 on purpose in case B */
	uint32_t sh;

	if (tl >= w - 1) {
		/* Case A: the window lies within one 2^32 subspace. */
		if (seq_lo >= bottom)
			sh = th;
		else {
			if (th == UINT32_MAX)
				return false;
			sh = th + 1;
		}
	} else {
		/* Case B: the window spans the previous subspace too. */
		if (seq_lo >= bottom) {
			if (th == 0)
				return false;
			sh = th - 1;
		} else
			sh = th;
	}
	*seq = ((uint64_t)sh << 32) | seq_lo;
	return true;
}

bool
replay_check(const struct replay *r, uint32_t seq_lo, uint64_t *seq)
{
	uint64_t s;

	*seq = seq_lo;
	/* RFC 4303 3.4.3: without anti-replay no inbound checks are
	 * performed on the sequence number. */
	if (r->off)
		return true;
	if (r->bits == NULL)
		return false;   /* never initialised: accept nothing */
	if (r->esn) {
		if (!esn_infer(r, seq_lo, &s))
			return false;
	} else
		s = seq_lo;
	*seq = s;
	/* The first packet of an SA is 1 (RFC 4303 3.3.3): 0 never is. */
	if (s == 0)
		return false;
	if (s > r->top)
		return true;
	if (r->top - s >= r->size)
		return false;
	return !bit_get(r, s);
}

bool
replay_update(struct replay *r, uint64_t seq)
{
	bool moved = false;
	uint32_t idx;

	if (r->off) {
		moved = seq > r->top;
		if (moved)
			r->top = seq;
		return moved;
	}
	if (r->bits == NULL)
		return false;
	if (seq > r->top) {
		uint64_t diff = seq - r->top;

		if (diff >= r->size)
			bits_clear(r, 0, r->size);
		else
			bits_clear(r, r->top + 1, diff);
		r->top = seq;
		moved = true;
	} else if (r->top - seq >= r->size)
		return false;   /* left of the window: check() refused it */
	idx = (uint32_t)(seq % r->size);
	r->bits[idx / 64] |= (uint64_t)1 << (idx % 64);
	return moved;
}

void
replay_set_floor(struct replay *r, uint64_t top)
{
	if (r->bits == NULL)
		return;
	r->top = top;
	memset(r->bits, 0xff, r->size / 8);
}

void
replay_forget(struct replay *r)
{
	if (r->bits != NULL)
		memset(r->bits, 0, r->size / 8);
}
