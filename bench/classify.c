/* bench/classify: nanoseconds per packet of the compiled matcher, of the
 * same without address classes (shape tables and trees only), of the flow
 * cache in front of it and of the linear scan, side by side, at 10, 1,000
 * and 10,000 rules, with the compile time and memory of the compiled
 * structure (the goal: 10,000 rules cost at most twice what 10 cost).
 *
 * The compiled matchers and the linear scan see NPKT distinct packets.
 * The flow cache sees traffic: NFLOWS of those packets as flows, drawn in
 * random order, after one untimed pass to warm the cache; its hit rate is
 * printed.
 *
 *   bench_classify [seconds per row, default 0.5]
 *
 * Four rule sets, seeded, so every run sees the same ones: the random
 * rules and packets of the matcher's property test
 * (tests/unit/qos_match_gen.h), broad and overlapping, the trees' hard
 * case; site rules (site_rule() below), the everyday one, all of one
 * shape (a shape table's case); the two mixed, a broad rule in ten; and
 * access lists (the same header), shaped like the ACL sets of ClassBench
 * that classification papers measure: many shapes, shared prefixes, port
 * ranges.
 * Not a test: it asserts nothing beyond the answers agreeing with the
 * linear scan. */
#include <sys/utsname.h>

#include <arpa/inet.h>

#include <stdbool.h>
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

/* The sum of the answers keeps the compiler from dropping the loop. (The
 * answers are checked against the linear scan before any timing.) */
static volatile long sink;

static double
time_compiled(const struct matcher *m, const struct match_pkt *p,
    double secs)
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
	return t * 1e9 / (double)n;
}

static double
time_cached(struct match_cache *c, const struct matcher *m,
    const struct match_pkt *p, const uint16_t *stream, double secs)
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
	return t * 1e9 / (double)n;
}

static double
time_linear(const struct match_rule *r, size_t nr, const struct match_pkt *p,
    double secs)
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
	return t * 1e9 / (double)n;
}

enum set { SET_RANDOM, SET_SITE, SET_MIXED, SET_ACL, NSETS };

/* The mixed set's broad rules: one in ten. */
static bool
mixed_broad(size_t i)
{
	return i % 10 == 5;
}

/* The second rule set: what a site's rules look like (the paper's
 * firewall and classes): each rule names one IPv4 host, a /24 on the other
 * side, TCP or UDP and one destination port; a third of the packets match
 * no rule at all. The random generator's broad, overlapping rules are the
 * trees' hard case; these are the everyday one. */
static void
site_rule(struct match_rule *r, size_t i)
{
	uint32_t a = htonl(0x0a000000u + (uint32_t)i * 7);
	uint32_t b = htonl(0xac100000u + (uint32_t)(i % 200) * 256);

	memset(r, 0, sizeof(*r));
	r->af = AF_INET;
	r->src.af = r->dst.af = AF_INET;
	r->src.len = 32;
	memcpy(r->src.addr.b, &a, 4);
	r->dst.len = 24;
	memcpy(r->dst.addr.b, &b, 4);
	r->proto = i % 3 == 0 ? 17 : 6;
	r->sport_hi = 65535;
	r->dport_lo = r->dport_hi = (uint16_t)(1000 + i % 50);
	r->icmp_type = -1;
	r->iface = MATCH_IF_ANY;
	r->result = (uint32_t)i;
}

static void
site_pkt(struct qmg *g, const struct match_rule *rules, size_t n,
    enum set set, struct match_pkt *p)
{
	const struct match_rule *r;
	uint32_t a, b;
	size_t i;

	do
		i = qmg_below(g, (uint32_t)n);
	while (set == SET_MIXED && mixed_broad(i));
	r = &rules[i];

	memset(p, 0, sizeof(*p));
	p->af = AF_INET;
	p->icmp_type = -1;
	p->iface = MATCH_IF_TUN;
	p->sport = (uint16_t)(1024 + qmg_below(g, 60000));
	if (qmg_pct(g, 67)) {
		memcpy(p->src, r->src.addr.b, 4);
		memcpy(&b, r->dst.addr.b, 4);
		b = htonl(ntohl(b) + 1 + qmg_below(g, 254));
		memcpy(p->dst, &b, 4);
		p->proto = (uint8_t)r->proto;
		p->dport = r->dport_lo;
		return;
	}
	a = htonl(0x0a000000u + qmg_below(g, (uint32_t)n * 7 + 7));
	b = htonl(0xac100000u + qmg_below(g, 1u << 16));
	memcpy(p->src, &a, 4);
	memcpy(p->dst, &b, 4);
	p->proto = qmg_pct(g, 50) ? 6 : 17;
	p->dport = (uint16_t)(1000 + qmg_below(g, 100));
}

/* A set's nr rules and its NPKT packets. The mixed set's packets are half
 * site traffic, half drawn as the random set's (inside any rule, or
 * none). */
static void
make_set(enum set set, size_t nr, struct match_rule *r, struct match_pkt *pk)
{
	struct qmg g;
	size_t i;

	g.s = nr;
	if (set == SET_RANDOM)
		qmg_rules(&g, r, nr);
	else if (set == SET_ACL)
		qmg_acl_rules(&g, r, nr);
	for (i = 0; (set == SET_SITE || set == SET_MIXED) && i < nr; i++) {
		if (set == SET_MIXED && mixed_broad(i))
			qmg_rule(&g, &r[i], (uint32_t)i);
		else
			site_rule(&r[i], i);
	}
	g.s = nr ^ 0xbe9c;
	for (i = 0; i < NPKT; i++) {
		if (set == SET_SITE || (set == SET_MIXED && qmg_pct(&g, 50)))
			site_pkt(&g, r, nr, set, &pk[i]);
		else if (set == SET_ACL)
			qmg_acl_pkt(&g, r, nr, 80, &pk[i]);
		else
			qmg_pkt(&g, r, nr, 70, &pk[i]);
	}
}

#define NSIZES    3
static const size_t sizes[NSIZES] = { 10, 1000, 10000 };

/* One row: nr rules of a set, their packets, compiled, with a flow cache
 * of its own, and its best times so far. */
struct row {
	size_t                   nr;
	struct match_rule       *r;
	struct match_pkt        *pk;            /* NPKT packets */
	struct matcher          *m;
	struct matcher          *mt;            /* tables and trees only */
	struct match_cache      *c;
	struct matcher_stats     st;
	struct match_cache_stats cs0;           /* after the warm-up */
	double                   tc;            /* compile time, s */
	size_t                   hits;          /* packets that match */
	double                   nsc, nst, nsf, nsl; /* compiled, trees,
	                                            cache, linear */
};

static void
row_free(struct row *w)
{
	matcher_free(w->m);
	matcher_free(w->mt);
	match_cache_free(w->c);
	free(w->pk);
	free(w->r);
	memset(w, 0, sizeof(*w));
}

/* Makes, compiles and checks one row against the linear scan, and warms
 * its cache with the flows of stream. 0, or -1 if something failed (said
 * on stderr). */
static int
row_prepare(struct row *w, enum set set, size_t nr, const uint16_t *stream)
{
	size_t i;
	double t0;
	long a;

	memset(w, 0, sizeof(*w));
	w->nr = nr;
	w->nsc = w->nst = w->nsf = w->nsl = 1e18;
	if ((w->r = calloc(nr, sizeof(*w->r))) == NULL ||
	    (w->pk = calloc(NPKT, sizeof(*w->pk))) == NULL ||
	    (w->c = match_cache_new(MATCH_CACHE_ENTRIES)) == NULL)
		return -1;
	make_set(set, nr, w->r, w->pk);
	t0 = now();
	w->m = matcher_compile(w->r, nr);
	w->tc = now() - t0;
	if (w->m == NULL ||
	    (w->mt = matcher_compile_how(w->r, nr, MATCH_NO_CLASSES)) == NULL)
		return -1;
	matcher_stats(w->m, &w->st);
	for (i = 0; i < NPKT; i++) {
		a = matcher_lookup(w->m, &w->pk[i]);
		if (a != match_linear(w->r, nr, &w->pk[i]) ||
		    a != matcher_lookup(w->mt, &w->pk[i])) {
			fprintf(stderr, "classify: %zu rules, packet %zu: the "
			    "matchers disagree\n", nr, i);
			return -1;
		}
		w->hits += a >= 0;
	}
	for (i = 0; i < NSTREAM; i++)
		if (match_cache_lookup(w->c, w->m, &w->pk[stream[i]]) !=
		    match_linear(w->r, nr, &w->pk[stream[i]])) {
			fprintf(stderr, "classify: %zu rules, packet %zu: the "
			    "cache disagrees\n", nr, (size_t)stream[i]);
			return -1;
		}
	match_cache_stats(w->c, &w->cs0);
	return 0;
}

/* One round of a row's three timings; each keeps its best: other load
 * only ever adds time. */
static void
row_time(struct row *w, const uint16_t *stream, double secs)
{
	double t;

	t = time_compiled(w->m, w->pk, secs);
	w->nsc = t < w->nsc ? t : w->nsc;
	t = time_compiled(w->mt, w->pk, secs);
	w->nst = t < w->nst ? t : w->nst;
	t = time_cached(w->c, w->m, w->pk, stream, secs);
	w->nsf = t < w->nsf ? t : w->nsf;
	t = time_linear(w->r, w->nr, w->pk, secs);
	w->nsl = t < w->nsl ? t : w->nsl;
}

static void
row_print(const struct row *w, const struct row *base)
{
	struct match_cache_stats cs1;
	double hitrate;

	match_cache_stats(w->c, &cs1);
	hitrate = 100.0 * (double)(cs1.hits - w->cs0.hits) /
	    (double)(cs1.hits + cs1.misses - w->cs0.hits - w->cs0.misses);
	printf("%7zu %9.1f %7.2f %9.1f %7.2f %9.1f %7.2f %7.2f %9.1f %7.1f "
	    "%10.1f %9zu %7zu %7zu %7zu %6u %6zu %7zu\n", w->nr, w->nsc,
	    w->nsc / base->nsc, w->nst, w->nst / base->nst, w->nsf,
	    w->nsf / base->nsf, hitrate, w->nsl,
	    100.0 * (double)w->hits / NPKT, w->tc * 1e3, w->st.bytes / 1024,
	    w->st.classes, w->st.nodes, w->st.max_leaf, w->st.max_depth,
	    w->st.tables, w->st.hashed);
}

/* A set's rows, timed in turns: round k of every size before round k + 1
 * of any, so that a slower spell of a shared machine reaches all three
 * rows of a ratio rather than one. */
static int
bench_set(enum set set, const uint16_t *stream, double secs)
{
	struct row w[NSIZES];
	size_t s, k;
	int rv = 0;

	memset(w, 0, sizeof(w));
	for (s = 0; s < NSIZES && rv == 0; s++)
		rv = row_prepare(&w[s], set, sizes[s], stream);
	for (k = 0; k < ROUNDS && rv == 0; k++)
		for (s = 0; s < NSIZES; s++)
			row_time(&w[s], stream, secs);
	for (s = 0; s < NSIZES && rv == 0; s++)
		row_print(&w[s], &w[0]);
	if (rv == 0)
		printf("# %zu rules against %zu: compiled %.2f, goal <= 2.00: "
		    "%s\n", sizes[NSIZES - 1], sizes[0],
		    w[NSIZES - 1].nsc / w[0].nsc,
		    w[NSIZES - 1].nsc <= 2 * w[0].nsc ? "met" : "missed");
	for (s = 0; s < NSIZES; s++)
		row_free(&w[s]);
	return rv;
}

static const char *const set_names[NSETS] = {
	"random rules (tests/unit/qos_match_gen.h): broad and overlapping, "
	    "70% of the packets drawn inside a rule",
	"site rules: one IPv4 host, a /24, TCP or UDP, one port; a third of "
	    "the packets match none",
	"mixed: site rules with a random one in ten (rule 5, 15, ...); half "
	    "the packets\n# as in the site set, half as in the random set",
	"acl: access lists (tests/unit/qos_match_gen.h): IPv4, shared "
	    "prefixes /16-/32,\n# destination ports one, any or a range, 80% "
	    "of the packets drawn inside a rule",
};

int
main(int argc, char **argv)
{
	uint16_t *stream;
	double secs;
	struct qmg g;
	enum set set;
	size_t i;

	secs = argc > 1 ? strtod(argv[1], NULL) : 0.5;
	stream = calloc(NSTREAM, sizeof(*stream));
	if (stream == NULL || secs <= 0)
		return 1;
	g.s = 0xf10;
	for (i = 0; i < NSTREAM; i++)
		stream[i] = (uint16_t)qmg_below(&g, NFLOWS);
	machine();
	printf("# %d packets per row; a cell is the best of %d rounds of\n"
	    "# >= %d lookups and >= %.1f s each (linear: >= %.1f s and every "
	    "packet once),\n# the rounds of a set's three rows in turns\n",
	    NPKT, ROUNDS, MIN_LOOKUPS, secs, secs);
	printf("# flow cache: %d entries (the engine's), 8-way; traffic: "
	    "F = %d flows (the first F\n# packets) in random order, warmed "
	    "by one untimed pass of %d packets\n", MATCH_CACHE_ENTRIES,
	    NFLOWS, NSTREAM);
	for (set = 0; set < NSETS; set++) {
		printf("# %s\n", set_names[set]);
		printf("%7s %9s %7s %9s %7s %9s %7s %7s %9s %7s %10s %9s %7s "
		    "%7s %7s %6s %6s %7s\n", "rules", "compiled", "vs10",
		    "trees", "vs10", "cache", "vs10", "cachehit", "linear",
		    "hits", "compile", "memory", "classes", "nodes", "maxleaf",
		    "depth", "tables", "hashed");
		printf("%7s %9s %7s %9s %7s %9s %7s %7s %9s %7s %10s %9s %7s "
		    "%7s %7s %6s %6s %7s\n", "", "ns/pkt", "", "ns/pkt", "",
		    "ns/pkt", "", "%", "ns/pkt", "%", "ms", "KiB", "", "", "",
		    "", "", "rules");
		fflush(stdout);
		if (bench_set(set, stream, secs) == -1)
			return 1;
	}
	printf("# vs10: ns/pkt relative to the 10-rule row of its set (goal: "
	    "10,000 rules <= 2.00).\n# compiled: every packet a new one, the "
	    "compiled structure's own cost (its worst\n# case: the first "
	    "packet of a flow, or traffic with no flows). trees: the same\n# "
	    "rules compiled without address classes (MATCH_NO_CLASSES). "
	    "cache: flow traffic,\n# one probe per packet once a flow is "
	    "cached, whatever the number of rules.\n# classes: IPv4's address "
	    "classes (0: the tables and trees took the family);\n# tables: "
	    "shape tables; hashed: rules found through them, not the trees.\n");
	free(stream);
	return 0;
}
