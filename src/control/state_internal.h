/* Shared by state.c (the table and the packet path), state_file.c (the
 * format) and state_writer.c (the thread); tests may look in too. */
#ifndef VPNTUND_STATE_INTERNAL_H
#define VPNTUND_STATE_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "src/control/state.h"

/* durable is stored by whoever writes the file (under state.io) with
 * release and read by the packet path with acquire; wanted the other way
 * round. Both only grow. */
struct state_sa {
	_Atomic uint64_t  durable;
	_Atomic uint64_t  wanted;
	struct state     *st;
	uint64_t          loaded;
	uint64_t          final;
	uint32_t          spi;
	uint8_t           dir;          /* enum state_dir */
	bool              has_loaded;
	bool              has_final;
};

/* One mark to write: the writer's snapshot of an entry. */
struct state_rec {
	struct state_sa *sa;
	uint64_t         mark;
};

/* The writer's error log: at most one line per STATE_ERRLOG_SEC. */
#define STATE_ERRLOG_SEC 10
struct state_errlog {
	long long last;                 /* CLOCK_MONOTONIC s of the last line */
	bool      logged;               /* a line was logged at all */
	bool      told;                 /* a failure logged, no recovery yet */
	uint64_t  unlogged;             /* failures since then not logged */
};

#define STATE_BLOCK 256                 /* entries per allocation */
#define STATE_ERR_MAX (2 * PATH_MAX + 128)  /* rename names two paths */

struct state {
	char               *path, *tmp, *dir;
	bool                missing;

	/* The table's shape and the health fields; never taken on the
	 * packet path. */
	pthread_mutex_t     mu;
	struct state_sa   **blocks;         /* entry i: blocks[i / BLOCK] */
	size_t              nblocks, n;
	uint32_t           *hash;           /* entry index + 1, 0 empty */
	size_t              hcap;           /* power of 2 */
	uint64_t            writes, errors;
	time_t              last_ok, last_error;
	char                error[128];

	/* One file write at a time (writer, state_write_now, close). */
	pthread_mutex_t     io;
	struct state_rec   *snap;
	size_t              snapcap;

	/* The writer. */
	uint64_t            ahead;          /* 0: not started */
	int                 efd;            /* eventfd: wakes it */
	pthread_t           thread;
	atomic_bool         stop;
	struct state_errlog errlog;
};

/* state.c */
struct state_sa *state_entry(struct state *st, size_t i);
uint64_t state_sa_wanted(const struct state_sa *sa);
uint64_t state_sa_durable(const struct state_sa *sa);
/* The table's invariants (for tests): every entry found at its place by
 * the hash, the hash at most half full, durable <= wanted. */
bool state_validate(struct state *st);

/* state_file.c. Calls add for each entry of the file at fd; v1 entries
 * come as STATE_OUT. add returns 0, or -1 with err set. 0, or -1 with
 * err set to "path:line: why" (or "path: why"). */
typedef int state_file_add(void *arg, enum state_dir dir, uint32_t spi,
    uint64_t mark, size_t lineno, char *err, size_t errlen);
int state_file_read(int fd, const char *path, state_file_add *add,
    void *arg, char *err, size_t errlen);
/* Writes recs as v2 to tmp, fsyncs it, renames it to path and fsyncs
 * dir. 0, or -1 with err set (and tmp removed). */
int state_file_write(const struct state *st, const struct state_rec *recs,
    size_t n, char *err, size_t errlen);
/* "in" or "out". */
const char *state_dir_name(enum state_dir dir);

/* state_writer.c. Writes the marks asked for (with final, the final
 * marks where given); force writes even if nothing is new. 1 written,
 * 0 nothing to write, -1 error (err set; health updated). */
int state_flush(struct state *st, bool force, bool final, char *err,
    size_t errlen);
void state_writer_stop(struct state *st);
/* Whether a failure at now may be logged; *unlogged gets how many were
 * not since the last line. */
bool state_errlog_take(struct state_errlog *l, long long now,
    uint64_t *unlogged);

#endif
