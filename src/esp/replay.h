/* Anti-replay window (RFC 4303 3.4.3 and Appendix A2 for ESN).
 * check() never changes state; update() is called only once the packet
 * is known to be genuine (esp_accept), so a forged packet cannot move
 * the window. */
#ifndef VPNTUND_REPLAY_H
#define VPNTUND_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/pkt.h"

#define REPLAY_WINDOW_MAX     65536
#define REPLAY_WINDOW_DEFAULT 1024
/* Bytes of resync_buf: any ciphertext that fits in a packet buffer. */
#define REPLAY_RESYNC_BUFSZ   PKT_BUFSZ

struct replay {
	uint64_t  top;          /* highest sequence number accepted (64-bit) */
	bool      off;          /* anti-replay off (replay_init_off) */
	uint32_t  size;         /* window size in packets, multiple of 64 */
	bool      esn;
	uint64_t *bits;         /* size/64 words, allocated at load */
	/* ESN resynchronisation (RFC 4303 A3, see esp.h), kept with the
	 * window it repairs: consecutive packets that failed
	 * authentication (esp_decap counts, esp_accept clears), and the
	 * copy of an AEAD ciphertext that esp_decap needs to try it under
	 * more than one high half, since a failed AEAD decryption destroys
	 * it. */
	uint64_t  auth_fails;
	uint8_t  *resync_buf;   /* REPLAY_RESYNC_BUFSZ bytes, or NULL */
};

/* Allocates the window when the SA is keyed, never per packet. */
int  replay_init(struct replay *r, uint32_t size, bool esn);
/* No window: anti-replay off, as RFC 4303 3.4.3 lets a receiver choose
 * (replay-window 0, manual SAs, never ESN). Every number passes the
 * check, 0 and repeats included; top still follows the highest number
 * accepted, so that only a packet above it counts as moving forward
 * (a dynamic peer's endpoint, the status). */
void replay_init_off(struct replay *r);
void replay_free(struct replay *r);
/* The resync buffer of an ESN window, allocated the first time an AEAD
 * SA resynchronises and kept with the window (most SAs never do, and
 * CBC suites never need it); NULL without ESN or memory. */
uint8_t *replay_resync_buf(struct replay *r);

/* Given the 32 bits on the wire, infers the full 64-bit number (for ESN,
 * RFC 4303 A2.2) into *seq and says whether it may be accepted. */
bool replay_check(const struct replay *r, uint32_t seq_lo, uint64_t *seq);
/* Marks seq as seen. True if it moved the window forward (seq is the new
 * top); false for a number inside the window or left of it. */
bool replay_update(struct replay *r, uint64_t seq);
/* Starts the window at top with every number up to it taken as seen:
 * only numbers above top are accepted (a window resumed after a restart,
 * or one that must refuse what a peer sent before it answered us). */
void replay_set_floor(struct replay *r, uint64_t top);
/* Marks every number in the window as not seen, keeping its top: for a
 * tool that decrypts a capture holding duplicates, which must still
 * infer ESN high halves from the numbers it has seen. */
void replay_forget(struct replay *r);

#endif
