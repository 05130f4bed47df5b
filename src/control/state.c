/* The state's table of marks (see state.h) and the packet-path calls.
 * Entries live in blocks that never move, so their pointers stay valid
 * while the table grows; an open-addressing hash finds them by (direction,
 * SPI). The order of the entries, and so of the file, is the file's
 * order, then that of the first state_sa_get. */
#include "src/control/state_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
sat_sub(uint64_t a, uint64_t b)
{
	return a < b ? 0 : a - b;
}

static size_t
slot_of(const struct state *st, enum state_dir dir, uint32_t spi)
{
	uint64_t key = (uint64_t)dir << 32 | spi;

	/* Fibonacci hashing: SPIs from the SPI formula are random enough,
	 * hand-picked ones (0x100, 0x101, ...) are not. */
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (st->hcap - 1);
}

struct state_sa *
state_entry(struct state *st, size_t i)
{
	return &st->blocks[i / STATE_BLOCK][i % STATE_BLOCK];
}

static struct state_sa *
lookup(struct state *st, enum state_dir dir, uint32_t spi)
{
	struct state_sa *sa;
	size_t h;

	if (st->hcap == 0)
		return NULL;
	for (h = slot_of(st, dir, spi); st->hash[h] != 0;
	    h = (h + 1) & (st->hcap - 1)) {
		sa = state_entry(st, st->hash[h] - 1);
		if (sa->spi == spi && sa->dir == dir)
			return sa;
	}
	return NULL;
}

static void
hash_put(struct state *st, size_t i)
{
	struct state_sa *sa = state_entry(st, i);
	size_t h;

	for (h = slot_of(st, (enum state_dir)sa->dir, sa->spi);
	    st->hash[h] != 0; h = (h + 1) & (st->hcap - 1))
		;
	st->hash[h] = (uint32_t)(i + 1);
}

/* Room for one more entry: a block, and a hash at most half full (a miss
 * probes about 2.5 slots, each a load of an entry). */
static int
grow(struct state *st)
{
	struct state_sa **blocks;
	uint32_t *hash;
	size_t cap, i;

	if (st->n % STATE_BLOCK == 0 && st->n / STATE_BLOCK == st->nblocks) {
		blocks = reallocarray(st->blocks, st->nblocks + 1,
		    sizeof(*blocks));
		if (blocks == NULL)
			return -1;
		st->blocks = blocks;
		blocks[st->nblocks] = calloc(STATE_BLOCK, sizeof(**blocks));
		if (blocks[st->nblocks] == NULL)
			return -1;
		st->nblocks++;
	}
	if ((st->n + 1) * 2 <= st->hcap)
		return 0;
	cap = st->hcap == 0 ? 64 : st->hcap * 2;
	if ((hash = calloc(cap, sizeof(*hash))) == NULL)
		return -1;
	free(st->hash);
	st->hash = hash;
	st->hcap = cap;
	for (i = 0; i < st->n; i++)
		hash_put(st, i);
	return 0;
}

/* Called with st->mu held, or before anyone else sees st. */
static struct state_sa *
add(struct state *st, enum state_dir dir, uint32_t spi)
{
	struct state_sa *sa;

	if (st->n >= STATE_SA_MAX) {
		errno = EFBIG;
		return NULL;
	}
	if (grow(st) == -1)
		return NULL;
	sa = state_entry(st, st->n);
	sa->st = st;
	sa->spi = spi;
	sa->dir = (uint8_t)dir;
	atomic_init(&sa->durable, 0);
	atomic_init(&sa->wanted, 0);
	hash_put(st, st->n++);
	return sa;
}

bool
state_validate(struct state *st)
{
	struct state_sa *sa;
	size_t i, used = 0;

	pthread_mutex_lock(&st->mu);
	for (i = 0; i < st->hcap; i++)
		used += st->hash[i] != 0;
	if (used != st->n || st->n * 2 > st->hcap ||
	    st->nblocks * STATE_BLOCK < st->n)
		goto bad;
	for (i = 0; i < st->n; i++) {
		sa = state_entry(st, i);
		if (sa->st != st || sa->dir > STATE_IN ||
		    lookup(st, (enum state_dir)sa->dir, sa->spi) != sa ||
		    atomic_load(&sa->durable) > atomic_load(&sa->wanted))
			goto bad;
	}
	pthread_mutex_unlock(&st->mu);
	return true;
bad:
	pthread_mutex_unlock(&st->mu);
	return false;
}

static int
add_loaded(void *arg, enum state_dir dir, uint32_t spi, uint64_t mark,
    size_t lineno, char *err, size_t errlen)
{
	struct state *st = arg;
	struct state_sa *sa;

	if (lookup(st, dir, spi) != NULL) {
		snprintf(err, errlen, "%s:%zu: %s 0x%08x listed twice",
		    st->path, lineno, state_dir_name(dir), spi);
		return -1;
	}
	if ((sa = add(st, dir, spi)) == NULL) {
		snprintf(err, errlen, "%s:%zu: %s", st->path, lineno,
		    strerror(errno));
		return -1;
	}
	sa->loaded = mark;
	sa->has_loaded = true;
	/* It is on disk: numbers up to it may be used. */
	atomic_init(&sa->durable, mark);
	atomic_init(&sa->wanted, mark);
	return 0;
}

static void
state_free(struct state *st)
{
	size_t i;

	if (st->efd != -1)
		close(st->efd);
	for (i = 0; i < st->nblocks; i++)
		free(st->blocks[i]);
	free(st->blocks);
	free(st->hash);
	free(st->snap);
	free(st->path);
	free(st->tmp);
	free(st->dir);
	pthread_mutex_destroy(&st->io);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

/* path, path.tmp and the directory ("." or "/" when there is none). */
static int
set_paths(struct state *st, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen;

	if (slash == NULL) {
		st->dir = strdup(".");
	} else {
		dlen = slash == path ? 1 : (size_t)(slash - path);
		st->dir = strndup(path, dlen);
	}
	st->path = strdup(path);
	if (st->dir == NULL || st->path == NULL ||
	    asprintf(&st->tmp, "%s.tmp", path) == -1) {
		st->tmp = NULL;
		return -1;
	}
	return 0;
}

static int
load(struct state *st)
{
	char err[STATE_ERR_MAX];
	int fd, rc;

	/* Nobody else should be able to replace the file underneath us. */
	if (mkdir(st->dir, 0700) == -1 && errno != EEXIST) {
		log_warn("state directory %s", st->dir);
		return -1;
	}
	if ((fd = open(st->path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			log_warn("state file %s", st->path);
			return -1;
		}
		st->missing = true;
		return 0;
	}
	rc = state_file_read(fd, st->path, add_loaded, st, err, sizeof(err));
	close(fd);
	if (rc == -1)
		log_warnx("%s", err);
	return rc;
}

int
state_open(struct state **stp, const char *path)
{
	struct state *st;

	*stp = NULL;
	if (path[0] == '\0' || strlen(path) >= PATH_MAX) {
		log_warnx("state file \"%s\": bad path", path);
		return -1;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		log_warn("state file %s", path);
		return -1;
	}
	st->efd = -1;
	atomic_init(&st->stop, false);
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->io, NULL);
	if (set_paths(st, path) == -1) {
		log_warn("state file %s", path);
		state_free(st);
		return -1;
	}
	if (load(st) == -1) {
		state_free(st);
		return -1;
	}
	*stp = st;
	return 0;
}

bool
state_missing(const struct state *st)
{
	return st->missing;
}

struct state_sa *
state_sa_get(struct state *st, enum state_dir dir, uint32_t spi)
{
	struct state_sa *sa;

	pthread_mutex_lock(&st->mu);
	if ((sa = lookup(st, dir, spi)) == NULL)
		sa = add(st, dir, spi);
	pthread_mutex_unlock(&st->mu);
	if (sa == NULL)
		log_warn("state file %s: cannot add %s 0x%08x", st->path,
		    state_dir_name(dir), spi);
	return sa;
}

bool
state_sa_loaded(const struct state_sa *sa, uint64_t *mark)
{
	*mark = sa->has_loaded ? sa->loaded : 0;
	return sa->has_loaded;
}

void
state_sa_set(struct state_sa *sa, uint64_t mark)
{
	if (mark > atomic_load_explicit(&sa->wanted, memory_order_relaxed))
		atomic_store_explicit(&sa->wanted, mark, memory_order_release);
}

uint64_t
state_sa_wanted(const struct state_sa *sa)
{
	return atomic_load_explicit(&sa->wanted, memory_order_acquire);
}

uint64_t
state_sa_durable(const struct state_sa *sa)
{
	return atomic_load_explicit(&sa->durable, memory_order_acquire);
}

bool
state_sa_allow(struct state_sa *sa, uint64_t seq)
{
	struct state *st = sa->st;
	uint64_t wanted, ask;

	/* Only this thread raises wanted, so relaxed reads it back. */
	wanted = atomic_load_explicit(&sa->wanted, memory_order_relaxed);
	ask = sat_add(seq, st->ahead);
	/* ask > wanted: once, even where the mark saturates at 2^64 - 1. */
	if (st->ahead != 0 && seq > sat_sub(wanted, st->ahead / 2) &&
	    ask > wanted) {
		atomic_store_explicit(&sa->wanted, ask, memory_order_release);
		/* Cannot block: the counter would have to reach 2^64 - 2. */
		(void)eventfd_write(st->efd, 1);
	}
	return seq <= atomic_load_explicit(&sa->durable, memory_order_acquire);
}

void
state_sa_final(struct state_sa *sa, uint64_t exact)
{
	sa->final = exact;
	sa->has_final = true;
}

int
state_write_now(struct state *st)
{
	char err[STATE_ERR_MAX];

	if (state_flush(st, true, false, err, sizeof(err)) == -1) {
		log_warnx("state file: %s", err);
		return -1;
	}
	return 0;
}

int
state_close(struct state *st, bool clean)
{
	char err[STATE_ERR_MAX];
	int rc = 0;

	if (st == NULL)
		return 0;
	state_writer_stop(st);
	if (clean && state_flush(st, true, true, err, sizeof(err)) == -1) {
		log_warnx("state file: final marks: %s", err);
		rc = -1;
	}
	state_free(st);
	return rc;
}

void
state_health(const struct state *st, struct state_health *h)
{
	struct state *w = (struct state *)st;  /* the lock, not the data */

	pthread_mutex_lock(&w->mu);
	h->entries = st->n;
	h->writes = st->writes;
	h->errors = st->errors;
	h->last_ok = st->last_ok;
	h->last_error = st->last_error;
	memcpy(h->error, st->error, sizeof(h->error));
	pthread_mutex_unlock(&w->mu);
}
