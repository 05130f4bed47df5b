/* bench/classify: nanoseconds per packet of the compiled matcher, of the
 * flow cache in front of it and of the linear scan, side by side, at 10,
 * 1,000 and 10,000 rules, with the compile time and memory of the compiled
 * structure (issue 3: 10,000 rules should cost at most twice what 10
 * cost).
 *
 * The tree and the linear scan see NPKT distinct packets. The flow cache
 * sees traffic: NFLOWS of those packets as flows, drawn in random order,
 * after one untimed pass to warm the cache; its hit rate is printed.
 *
 *   bench_classify [seconds per row, default 0.5]
 *
 * Rules and packets come from the generator of the matcher's property
 * test (tests/unit/qos_match_gen.h), seeded, so every run sees the same
 * sets. Not a test: it asserts nothing beyond the two answers agreeing. */
#include <sys/utsname.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qos/match.h"
#include "qos/match_cache.h"
#include "tests/unit/qos_match_gen.h"

#define NPKT      4096          /* pre-parsed packets, cycled */
#define MIN_LOOKUPS 1000000
#define ROUNDS    3
#define NFLOWS    1024          /* flows of the cache's traffic */
#define NSTREAM   65536         /* its packets: flow indices, cycled */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
machine(void)
{
	struct utsname u;
	char line[256], *model = NULL;
	FILE *f;

	if (uname(&u) == 0)
		printf("# %s %s %s\n", u.sysname, u.release, u.machine);
	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "model name", 10) == 0 &&
			    (model = strchr(line, ':')) != NULL)
				break;
		if (model != NULL)
			printf("# cpu:%s", model + 1);
		fclose(f);
	}
	printf("# nproc: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	/* Other work on the machine shows in every row: say how much. */
	if ((f = fopen("/proc/loadavg", "r")) != NULL) {
		if (fgets(line, sizeof(line), f) != NULL)
			printf("# loadavg: %s", line);
		fclose(f);
	}
}

/* The sum of the answers keeps the compiler from dropping the loop, and
 * tells the two matchers agreed. */
static volatile long sink;

static double
time_compiled(const struct matcher *m, const struct match_pkt *p,
    double secs, size_t *nlook)
{
	double t0 = now(), t;
	size_t n = 0, i;
	long sum = 0;

	do {
		for (i = 0; i < NPKT; i++)
			sum += matcher_lookup(m, &p[i]);
		n += NPKT;
		t = now() - t0;
	} while (n < MIN_LOOKUPS || t < secs);
	sink = sum;
	*nlook = n;
	return t * 1e9 / (double)n;
}

static double
time_cached(struct match_cache *c, const struct matcher *m,
    const struct match_pkt *p, const uint16_t *stream, double secs,
    size_t *nlook)
{
	double t0 = now(), t;
	size_t n = 0, i;
	long sum = 0;

	do {
		for (i = 0; i < NSTREAM; i++)
			sum += match_cache_lookup(c, m, &p[stream[i]]);
		n += NSTREAM;
		t = now() - t0;
	} while (n < MIN_LOOKUPS || t < secs);
	sink = sum;
	*nlook = n;
	return t * 1e9 / (double)n;
}

static double
time_linear(const struct match_rule *r, size_t nr, const struct match_pkt *p,
    double secs, size_t *nlook)
{
	double t0 = now(), t;
	size_t n = 0, i;
	long sum = 0;

	/* At 10,000 rules a miss is slow: a row stops after secs once it
	 * has seen every packet once (fewer than MIN_LOOKUPS). */
	do {
		for (i = 0; i < NPKT; i++)
			sum += match_linear(r, nr, &p[i]);
		n += NPKT;
		t = now() - t0;
	} while ((n < MIN_LOOKUPS && t < 2 * secs) || t < secs);
	sink = sum;
	*nlook = n;
	return t * 1e9 / (double)n;
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 10, 1000, 10000 };
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0.5;
	struct match_pkt *pk = calloc(NPKT, sizeof(*pk));
	uint16_t *stream = calloc(NSTREAM, sizeof(*stream));
	struct match_cache *c = match_cache_new(MATCH_CACHE_ENTRIES);
	struct match_cache_stats cs0, cs1;
	struct match_rule *r;
	struct matcher *m;
	struct matcher_stats st;
	double t0, t, tc, nsc, nsl, nsf, base = 0, fbase = 0, hitrate;
	size_t s, i, k, hits, nc, nl, nr;
	struct qmg g;

	if (pk == NULL || stream == NULL || c == NULL || secs <= 0)
		return 1;
	g.s = 0xf10;
	for (i = 0; i < NSTREAM; i++)
		stream[i] = (uint16_t)qmg_below(&g, NFLOWS);
	machine();
	printf("# %d packets (70%% drawn inside a random rule); a cell is the "
	    "best of %d rounds of\n# >= %d lookups and >= %.1f s each "
	    "(linear: >= %.1f s and every packet once)\n", NPKT, ROUNDS,
	    MIN_LOOKUPS, secs, secs);
	printf("# flow cache: %d entries (the engine's), 8-way; traffic: "
	    "F = %d flows (the first F\n# packets) in random order, warmed "
	    "by one untimed pass of %d packets\n", MATCH_CACHE_ENTRIES,
	    NFLOWS, NSTREAM);
	printf("%7s %9s %7s %9s %7s %7s %9s %7s %10s %9s %7s %7s %6s\n",
	    "rules", "compiled", "vs10", "cache", "vs10", "cachehit",
	    "linear", "hits", "compile", "memory", "nodes", "maxleaf",
	    "depth");
	printf("%7s %9s %7s %9s %7s %7s %9s %7s %10s %9s %7s %7s %6s\n", "",
	    "ns/pkt", "", "ns/pkt", "", "%", "ns/pkt", "%", "ms", "KiB", "",
	    "", "");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		nr = sizes[s];
		if ((r = calloc(nr, sizeof(*r))) == NULL)
			return 1;
		g.s = nr;
		qmg_rules(&g, r, nr);
		g.s = nr ^ 0xbe9c;
		for (i = 0; i < NPKT; i++)
			qmg_pkt(&g, r, nr, 70, &pk[i]);
		t0 = now();
		m = matcher_compile(r, nr);
		tc = now() - t0;
		if (m == NULL)
			return 1;
		matcher_stats(m, &st);
		for (hits = 0, i = 0; i < NPKT; i++) {
			long a = matcher_lookup(m, &pk[i]);

			if (a != match_linear(r, nr, &pk[i])) {
				fprintf(stderr, "classify: packet %zu: the "
				    "matchers disagree\n", i);
				return 1;
			}
			hits += a >= 0;
		}
		/* The cache is checked too, and warmed. */
		match_cache_clear(c);
		for (i = 0; i < NSTREAM; i++)
			if (match_cache_lookup(c, m, &pk[stream[i]]) !=
			    match_linear(r, nr, &pk[stream[i]])) {
				fprintf(stderr, "classify: packet %zu: the "
				    "cache disagrees\n", (size_t)stream[i]);
				return 1;
			}
		match_cache_stats(c, &cs0);
		/* The best of ROUNDS: other load only ever adds time. */
		for (nsc = nsl = nsf = 1e18, k = 0; k < ROUNDS; k++) {
			t = time_compiled(m, pk, secs, &nc);
			nsc = t < nsc ? t : nsc;
			t = time_cached(c, m, pk, stream, secs, &nc);
			nsf = t < nsf ? t : nsf;
			t = time_linear(r, nr, pk, secs, &nl);
			nsl = t < nsl ? t : nsl;
		}
		match_cache_stats(c, &cs1);
		hitrate = 100.0 * (double)(cs1.hits - cs0.hits) /
		    (double)(cs1.hits + cs1.misses - cs0.hits - cs0.misses);
		if (s == 0) {
			base = nsc;
			fbase = nsf;
		}
		printf("%7zu %9.1f %7.2f %9.1f %7.2f %7.2f %9.1f %7.1f %10.1f "
		    "%9zu %7zu %7zu %6u\n", nr, nsc, nsc / base, nsf,
		    nsf / fbase, hitrate, nsl, 100.0 * (double)hits / NPKT,
		    tc * 1e3, st.bytes / 1024, st.nodes, st.max_leaf,
		    st.max_depth);
		matcher_free(m);
		free(r);
	}
	printf("# vs10: ns/pkt relative to the 10-rule row (goal: 10,000 "
	    "rules <= 2.00).\n# compiled: every packet a new one, the tree's "
	    "own cost (its worst case: the\n# first packet of a flow, or "
	    "traffic with no flows). cache: flow traffic,\n# one probe per "
	    "packet once a flow is cached, whatever the number of rules.\n");
	match_cache_free(c);
	free(stream);
	free(pk);
	return 0;
}
