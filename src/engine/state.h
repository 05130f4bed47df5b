/* Sequence-number high-water marks that survive restarts (issue: the
 * stale-state problem of the paper's section 6.1). With static keys, a
 * restarted sender that started again at 1 would be dropped by the peer's
 * replay window forever, and an AEAD suite would reuse nonces. So before
 * sending number n beyond the reserved mark, we reserve n + STATE_RESERVE,
 * write it to the state file and fsync it; after a restart we start above
 * the mark. One file holds the marks of all outbound SAs of a site. */
#ifndef VPNTUND_STATE_H
#define VPNTUND_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_RESERVE 100000ULL   /* numbers reserved per fsync */
#define STATE_MAX_SA  1024

struct state_entry {
	uint32_t spi;                 /* outbound SPI */
	uint64_t reserved;            /* no number above this has been used */
};

struct state {
	char               path[4096];
	struct state_entry entries[STATE_MAX_SA];
	size_t             n;
};

/* Reads the file if it exists (a missing file means a first start; a
 * corrupt one is an error: starting at 1 could reuse numbers). Creates the
 * directory if needed. 0 or -1 (logged). */
int state_open(struct state *st, const char *path);
/* The first sequence number the SA may use after this start: the saved
 * mark (0 if none) — callers send mark + 1 onward. */
uint64_t state_start(const struct state *st, uint32_t spi);
/* Reserves up to `upto` for spi: writes all marks to a temporary file,
 * fsyncs it, renames it over the old one and fsyncs the directory. Only
 * after this returns 0 may numbers up to `upto` be sent. */
int state_reserve(struct state *st, uint32_t spi, uint64_t upto);

#endif
