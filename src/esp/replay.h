/* Anti-replay window (RFC 4303 3.4.3 and Appendix A2 for ESN).
 * check() never changes state; update() is called only once the packet
 * is known to be genuine (esp_accept), so a forged packet cannot move
 * the window. */
#ifndef VPNTUND_REPLAY_H
#define VPNTUND_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_MAX     65536
#define REPLAY_WINDOW_DEFAULT 1024

struct replay {
	uint64_t  top;          /* highest sequence number accepted (64-bit) */
	uint32_t  size;         /* window size in packets, multiple of 64 */
	bool      esn;
	uint64_t *bits;         /* size/64 words, allocated at load */
};

int  replay_init(struct replay *r, uint32_t size, bool esn);
void replay_free(struct replay *r);

/* Given the 32 bits on the wire, infers the full 64-bit number (for ESN,
 * RFC 4303 A2.2) into *seq and says whether it may be accepted. */
bool replay_check(const struct replay *r, uint32_t seq_lo, uint64_t *seq);
/* Marks seq as seen. True if it moved the window forward (seq is the new
 * top); false for a number inside the window or left of it. */
bool replay_update(struct replay *r, uint64_t seq);

#endif
