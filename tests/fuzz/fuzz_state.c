/* Fuzzes the state file reader (state_open, src/control/state.h): the input
 * is the file's content, versions 1 and 2. The file is ours, but it
 * survives crashes and disk trouble, so its reader must refuse anything
 * but the exact format. Checked: a refused file leaves no state; every
 * entry read is loaded and found again by (direction, SPI), so none is
 * listed twice, and the table's invariants hold (state_validate); there are no more entries than lines could hold; and
 * what we write back (as version 2) reads back to the same entries, in
 * the same order. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/control/state.h"
#include "src/control/state_internal.h"
#include "util/log.h"
#include "tests/fuzz/fuzz.h"

/* The shortest entry: "in 0x00000000 0\n". */
#define ENTRY_MIN 16

struct ent {
	uint32_t spi;
	uint8_t  dir;
	uint64_t mark;
};

static char tdir[64], path[128], tmp[160];

static void
cleanup(void)
{
	unlink(tmp);
	unlink(path);
	rmdir(tdir);
}

static size_t
entries(const struct state *st)
{
	struct state_health h;

	state_health(st, &h);
	return h.entries;
}

static struct ent *
check_entries(struct state *st, size_t n)
{
	struct ent *e = calloc(n > 0 ? n : 1, sizeof(*e));
	struct state_sa *sa;
	uint64_t mark;
	size_t i;

	FUZZ_CHECK(e != NULL);
	for (i = 0; i < n; i++) {
		sa = state_entry(st, i);
		FUZZ_CHECK(sa->dir == STATE_OUT || sa->dir == STATE_IN);
		FUZZ_CHECK(state_sa_loaded(sa, &mark));
		FUZZ_CHECK(state_sa_durable(sa) == mark);
		FUZZ_CHECK(state_sa_get(st, (enum state_dir)sa->dir,
		    sa->spi) == sa);
		e[i].spi = sa->spi;
		e[i].dir = sa->dir;
		e[i].mark = mark;
	}
	FUZZ_CHECK(entries(st) == n);
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state *st = (struct state *)&st;
	struct state_sa *sa;
	struct ent *e;
	size_t n, i;
	uint64_t mark;
	int fd;

	if (tdir[0] == '\0') {
		log_init("fuzz_state", LOG_LVL_ERR, false);
		snprintf(tdir, sizeof(tdir), "/tmp/vpntund-fuzz-state-XXXXXX");
		FUZZ_CHECK(mkdtemp(tdir) != NULL);
		snprintf(path, sizeof(path), "%s/site.state", tdir);
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		atexit(cleanup);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd != -1);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);

	if (state_open(&st, path) == -1) {
		FUZZ_CHECK(st == NULL);
		return 0;
	}
	/* An empty file is refused: only a missing one is a first start. */
	FUZZ_CHECK(size > 0);
	FUZZ_CHECK(!state_missing(st));
	FUZZ_CHECK(state_validate(st));
	n = entries(st);
	FUZZ_CHECK(n * ENTRY_MIN < size);
	e = check_entries(st, n);

	/* Written back as version 2 and read again: the same entries. */
	FUZZ_CHECK(state_write_now(st) == 0);
	FUZZ_CHECK(state_close(st, false) == 0);
	FUZZ_CHECK(state_open(&st, path) == 0);
	FUZZ_CHECK(entries(st) == n);
	for (i = 0; i < n; i++) {
		sa = state_entry(st, i);
		FUZZ_CHECK(sa->spi == e[i].spi && sa->dir == e[i].dir);
		FUZZ_CHECK(state_sa_loaded(sa, &mark) && mark == e[i].mark);
	}
	FUZZ_CHECK(state_close(st, false) == 0);
	free(e);
	return 0;
}
