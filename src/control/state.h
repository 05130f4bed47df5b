/* Sequence-number marks that survive restarts, for SAs keyed by hand (the
 * stale-state problem of the paper's section 6.1). With static keys a
 * sender that began again at 1 after a restart would be dropped by the
 * peer's replay window, and an AEAD suite would reuse nonces (RFC 4106
 * 3.1); a receiver that forgot its window would accept old packets again.
 *
 * One mark per (direction, SPI):
 *   out: no number above the mark has ever been sent; numbers up to the
 *        durable mark (written and fsynced) may be sent.
 *   in:  no number above the mark has ever been accepted; numbers up to
 *        the durable mark may be accepted; after a restart only numbers
 *        above the loaded mark are.
 *
 * At start every SA is registered (state_sa_get, state_sa_set) and all
 * marks are written once (state_write_now). From then on a writer thread
 * raises marks ahead of need, so the packet path (state_sa_allow) never
 * writes, blocks or logs. A mark never goes down, except to the exact
 * value given by state_sa_final on a clean shutdown. The file's format is
 * described in state_file.c. */
#ifndef VPNTUND_STATE_H
#define VPNTUND_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum state_dir { STATE_OUT, STATE_IN };
struct state;           /* opaque */
struct state_sa;        /* opaque, stable pointer for the life of the state */

/* Reads path if it exists; creates its directory (0700) if missing. A
 * missing file is not an error: state_missing() says so and the caller
 * logs a warning. A corrupt one is -1, logged with file:line, and *stp is
 * NULL. */
int  state_open(struct state **stp, const char *path);
bool state_missing(const struct state *st);
/* Finds or adds the entry of (dir, spi). NULL only on allocation failure,
 * or past STATE_SA_MAX entries, the most a file of STATE_FILE_MAX bytes
 * holds (logged). */
struct state_sa *state_sa_get(struct state *st, enum state_dir dir,
    uint32_t spi);
/* The mark read from the file; false (and *mark 0) if the file had none
 * for this SA. */
bool state_sa_loaded(const struct state_sa *sa, uint64_t *mark);
/* Sets the mark to write before the first write (start-up only, before the
 * writer runs). A mark below the loaded one is ignored: marks never go
 * down. */
void state_sa_set(struct state_sa *sa, uint64_t mark);
/* Writes every mark now, synchronously: once at start, after all SAs are
 * registered. 0 or -1 (logged). */
int  state_write_now(struct state *st);
/* Starts the writer thread (after any fork: threads do not survive it);
 * marks are raised `ahead` (at least 2) beyond the number that asked. */
int  state_writer_start(struct state *st, uint64_t ahead);
/* Packet path (one thread), never blocks, never logs: true if seq is at
 * most the durable mark. When seq passes the mark asked for last (the
 * durable one if none is pending) less ahead/2, it asks the writer, once,
 * to raise the mark to seq + ahead. Asks nothing before the writer runs. */
bool state_sa_allow(struct state_sa *sa, uint64_t seq);
/* Clean shutdown: the exact mark (out: last number sent; in: the window's
 * top), written by state_close(st, true). */
void state_sa_final(struct state_sa *sa, uint64_t exact);
/* Stops the writer; with clean, writes the final marks (and the others'
 * marks as asked) synchronously; frees. 0, or -1 if that write failed
 * (logged). NULL is a no-op. */
int  state_close(struct state *st, bool clean);

/* For the status: entries, durable writes done, write errors, last error
 * text and time, time of the last good write (CLOCK_REALTIME, 0 never). */
struct state_health {
	size_t   entries;
	uint64_t writes, errors;
	time_t   last_ok, last_error;
	char     error[128];
};
void state_health(const struct state *st, struct state_health *h);

/* Bounds of the file, so that a corrupt one cannot exhaust memory. A line
 * we write is at most 36 bytes ("out 0x%08x " and 20 digits). */
#define STATE_FILE_MAX   (64u << 20)
#define STATE_LINE_MAX   128
#define STATE_SA_MAX     ((STATE_FILE_MAX - 64) / 36)

#endif
