/* bench/state_write: the start-up write of the state file (state.h) and
 * the memory its table takes.
 *
 *   bench_state_write DIR [N ...]      (default N: 1000 10000 65536)
 *
 * For each N: N SAs (half out, half in) are registered in a fresh file
 * DIR/bench-N.state, then state_write_now runs REPEAT times (the first
 * creates the file, the others replace it: what a restart does). Prints
 * the min/median/max ms of a write, the time to read the file back, and
 * the heap the table takes per SA (mallinfo2; run a build without ASan). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/control/state.h"
#include "util/log.h"

#define REPEAT 7

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Heap in use, both from the arena and mmap'ed (the large arrays). */
static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int
run(const char *dir, unsigned long n)
{
	char path[4096], tmp[4200];
	double ms[REPEAT], read_ms;
	struct timespec t0;
	struct state *st;
	size_t heap0, heap;
	unsigned long i;
	int r;

	snprintf(path, sizeof(path), "%s/bench-%lu.state", dir, n);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(path);
	heap0 = heap_used();
	if (state_open(&st, path) == -1)
		return -1;
	for (i = 0; i < n; i++)
		state_sa_set(state_sa_get(st, i & 1 ? STATE_IN : STATE_OUT,
		    0x80000000u + (uint32_t)(i / 2)), (uint64_t)i << 20);
	for (r = 0; r < REPEAT; r++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (state_write_now(st) == -1)
			return -1;
		ms[r] = ms_since(&t0);
	}
	/* After a write: the writer's snapshot is part of the cost. */
	heap = heap_used() - heap0;
	state_close(st, false);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (state_open(&st, path) == -1)
		return -1;
	read_ms = ms_since(&t0);
	state_close(st, false);
	unlink(path);

	qsort(ms, REPEAT, sizeof(ms[0]), cmp_double);
	printf("%8lu SAs  write %8.2f / %8.2f / %8.2f ms (min/median/max of "
	    "%d)  read %7.2f ms  heap %6.1f B/SA\n", n, ms[0],
	    ms[REPEAT / 2], ms[REPEAT - 1], REPEAT, read_ms,
	    (double)heap / (double)n);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const unsigned long def[] = { 1000, 10000, 65536 };
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_state_write DIR [N ...]\n");
		return 2;
	}
	log_init("bench_state_write", LOG_LVL_WARN, false);
	if (argc == 2) {
		for (i = 0; i < 3; i++)
			if (run(argv[1], def[i]) == -1)
				return 1;
		return 0;
	}
	for (i = 2; i < argc; i++)
		if (run(argv[1], strtoul(argv[i], NULL, 10)) == -1)
			return 1;
	return 0;
}
