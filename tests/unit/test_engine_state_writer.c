/* State file: the writer thread and the packet path. allow() answers from
 * the durable mark only, asks once at the half-way point, and the mark is
 * durable (in the file) after the writer ran; final marks are written on
 * a clean close only; a full disk is retried with a back-off and logged
 * at most once per 10 s while allow() keeps answering; writes recover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "src/control/state.h"
#include "src/control/state_internal.h"
#include "util/log.h"
#include "tests/unit/state_testutil.h"

#define BOUND_MS 10000          /* for a write that should just happen */

static struct state *
open_ok(const char *path)
{
	struct state *st;

	assert_int_equal(state_open(&st, path), 0);
	assert_non_null(st);
	return st;
}

static void
assert_file(const char *path, const char *want)
{
	char *text = read_text(path);
	bool same = strcmp(text, want) == 0;

	if (!same)
		print_error("%s holds:\n%s\nwanted:\n%s\n", path, text, want);
	free(text);
	assert_true(same);
}

static void
test_allow(void **state)
{
	struct fixture *f = *state;
	struct state_health h;
	struct state_sa *sa, *late;
	struct capture cap;
	struct state *st;
	char *log;
	bool ok;

	st = open_ok(f->path);
	sa = state_sa_get(st, STATE_OUT, 0x1000);
	state_sa_set(sa, 1000);
	assert_int_equal(state_write_now(st), 0);

	/* Before the writer runs: the durable mark only, and no asking. */
	assert_true(state_sa_allow(sa, 1));
	assert_true(state_sa_allow(sa, 1000));
	assert_false(state_sa_allow(sa, 1001));
	assert_true(state_sa_wanted(sa) == 1000);

	capture_start(&cap);
	assert_int_equal(state_writer_start(st, 1), -1);
	assert_int_equal(state_writer_start(st, 1000), 0);
	assert_int_equal(state_writer_start(st, 1000), -1);
	log = capture_end(&cap);
	assert_non_null(strstr(log, "writer needs to reserve at least 2 "
	    "ahead\n"));
	assert_non_null(strstr(log, "writer already running\n"));
	assert_int_equal(count_lines(log), 2);
	free(log);

	/* Up to half-way nothing is asked; past it, once. */
	assert_true(state_sa_allow(sa, 500));
	assert_true(state_sa_wanted(sa) == 1000);
	assert_true(state_sa_allow(sa, 501));
	assert_true(state_sa_wanted(sa) == 1501);
	assert_true(state_sa_allow(sa, 502));
	assert_true(state_sa_allow(sa, 1000));
	assert_true(state_sa_wanted(sa) == 1501);

	WAIT_UNTIL(state_sa_durable(sa) == 1501, BOUND_MS);
	assert_true(state_sa_durable(sa) == 1501);
	assert_file(f->path, "# vpntund state v2\nout 0x00001000 1501\n");
	assert_true(state_sa_allow(sa, 1001));
	state_health(st, &h);
	assert_int_equal(h.writes, 2);
	assert_int_equal(h.errors, 0);

	/* A jump past the durable mark (an inbound window moving): refused
	 * until written. */
	ok = state_sa_allow(sa, 5000);
	assert_true(!ok || state_sa_durable(sa) >= 5000);
	assert_true(state_sa_wanted(sa) == 6000);
	WAIT_UNTIL(state_sa_durable(sa) == 6000, BOUND_MS);
	assert_true(state_sa_allow(sa, 5000));
	/* The mark itself is allowed, and past half-way again. */
	assert_true(state_sa_allow(sa, 6000));
	assert_true(state_sa_wanted(sa) == 7000);
	WAIT_UNTIL(state_sa_durable(sa) == 7000, BOUND_MS);
	assert_true(state_sa_durable(sa) == 7000);

	/* An SA added while the writer runs: its first number asks. */
	late = state_sa_get(st, STATE_IN, 0x2000);
	assert_non_null(late);
	(void)state_sa_allow(late, 1);
	assert_true(state_sa_wanted(late) == 1001);
	WAIT_UNTIL(state_sa_durable(late) == 1001, BOUND_MS);
	assert_true(state_sa_allow(late, 1));
	assert_file(f->path, "# vpntund state v2\nout 0x00001000 7000\n"
	    "in 0x00002000 1001\n");
	assert_true(state_validate(st));
	assert_int_equal(state_close(st, false), 0);
}

/* A writer stuck in a write (a hung disk) holds its locks: allow() needs
 * none of them. A lock taken here would hang the test until ctest's
 * timeout. */
static void
test_allow_writer_stuck(void **state)
{
	struct fixture *f = *state;
	struct state_sa *sa;
	struct state *st;
	uint64_t seq = 0;
	int i;

	st = open_ok(f->path);
	sa = state_sa_get(st, STATE_OUT, 0x1000);
	state_sa_set(sa, 1000);
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(state_writer_start(st, 1000), 0);
	pthread_mutex_lock(&st->io);
	pthread_mutex_lock(&st->mu);
	/* A sender: sends while allowed, then keeps trying. */
	for (i = 0; i < 100000; i++)
		if (state_sa_allow(sa, seq + 1))
			seq++;
	assert_true(seq == 1000);
	assert_true(state_sa_wanted(sa) == 1501);
	assert_true(state_sa_durable(sa) == 1000);
	pthread_mutex_unlock(&st->mu);
	pthread_mutex_unlock(&st->io);
	WAIT_UNTIL(state_sa_durable(sa) == 1501, BOUND_MS);
	assert_true(state_sa_durable(sa) == 1501);
	assert_int_equal(state_close(st, false), 0);
}

/* Near 2^64 the mark saturates, and is asked for once. */
static void
test_allow_saturates(void **state)
{
	struct fixture *f = *state;
	struct state_health h;
	struct state_sa *sa;
	struct state *st;

	st = open_ok(f->path);
	sa = state_sa_get(st, STATE_IN, 0xfffffffe);
	state_sa_set(sa, UINT64_MAX - 100);
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(state_writer_start(st, 1000), 0);
	assert_true(state_sa_allow(sa, UINT64_MAX - 600));
	assert_true(state_sa_wanted(sa) == UINT64_MAX - 100);
	assert_true(state_sa_allow(sa, UINT64_MAX - 599));
	assert_true(state_sa_wanted(sa) == UINT64_MAX);
	WAIT_UNTIL(state_sa_durable(sa) == UINT64_MAX, BOUND_MS);
	assert_true(state_sa_allow(sa, UINT64_MAX));
	assert_true(state_sa_allow(sa, UINT64_MAX - 1));
	assert_file(f->path, "# vpntund state v2\n"
	    "in 0xfffffffe 18446744073709551615\n");
	state_health(st, &h);
	assert_int_equal(h.writes, 2);
	assert_int_equal(state_close(st, false), 0);
}

/* Three SAs and an entry of the file nobody asks for; out asks once. */
static struct state *
final_setup(const struct fixture *f, struct state_sa **out,
    struct state_sa **in, struct state_sa **idle)
{
	static const char old[] = "# vpntund state v2\nout 0x0000dead 77\n";
	struct state *st;

	assert_int_equal(mkdir(f->sub, 0700), 0);
	write_file(f->path, old, strlen(old));
	st = open_ok(f->path);
	*out = state_sa_get(st, STATE_OUT, 0x1000);
	*in = state_sa_get(st, STATE_IN, 0x2000);
	*idle = state_sa_get(st, STATE_OUT, 0x3000);
	state_sa_set(*out, 1000);
	state_sa_set(*in, 2000);
	state_sa_set(*idle, 300);
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(state_writer_start(st, 1000), 0);
	assert_true(state_sa_allow(*out, 600));
	WAIT_UNTIL(state_sa_durable(*out) == 1600, BOUND_MS);
	assert_true(state_sa_durable(*out) == 1600);
	state_sa_final(*out, 650);
	state_sa_final(*in, 1234);
	return st;
}

static void
test_final_clean(void **state)
{
	struct fixture *f = *state;
	struct state_sa *out, *in, *idle;
	struct state *st = final_setup(f, &out, &in, &idle);

	/* The exact marks, even below the durable ones. */
	assert_int_equal(state_close(st, true), 0);
	assert_file(f->path, "# vpntund state v2\n"
	    "out 0x0000dead 77\n"
	    "out 0x00001000 650\n"
	    "in 0x00002000 1234\n"
	    "out 0x00003000 300\n");
}

static void
test_final_unclean(void **state)
{
	struct fixture *f = *state;
	struct state_sa *out, *in, *idle;
	struct state *st = final_setup(f, &out, &in, &idle);

	assert_int_equal(state_close(st, false), 0);
	assert_file(f->path, "# vpntund state v2\n"
	    "out 0x0000dead 77\n"
	    "out 0x00001000 1600\n"
	    "in 0x00002000 2000\n"
	    "out 0x00003000 300\n");
}

static void
test_errlog(void **state)
{
	struct state_errlog l = { 0 };
	uint64_t unlogged = 99;
	long long t;

	(void)state;
	assert_true(state_errlog_take(&l, 100, &unlogged));
	assert_int_equal(unlogged, 0);
	for (t = 100; t < 110; t++)
		assert_false(state_errlog_take(&l, t, &unlogged));
	assert_true(state_errlog_take(&l, 110, &unlogged));
	assert_int_equal(unlogged, 10);
	assert_false(state_errlog_take(&l, 119, &unlogged));
	assert_true(state_errlog_take(&l, 500, &unlogged));
	assert_int_equal(unlogged, 1);
}

/* A full disk: a small tmpfs, filled. */
struct full {
	struct fixture *f;
	char            mnt[128], path[192], fill[192];
	bool            mounted;
};

static int
full_setup(void **state)
{
	struct full *fu = calloc(1, sizeof(*fu));
	void *f;

	if (fu == NULL || fixture_setup(&f) == -1)
		return -1;
	fu->f = f;
	snprintf(fu->mnt, sizeof(fu->mnt), "%s/mnt", fu->f->dir);
	snprintf(fu->path, sizeof(fu->path), "%s/seq.state", fu->mnt);
	snprintf(fu->fill, sizeof(fu->fill), "%s/fill", fu->mnt);
	*state = fu;
	return 0;
}

static int
full_teardown(void **state)
{
	struct full *fu = *state;
	void *f = fu->f;

	if (fu->mounted) {
		rm_tree_files(fu->mnt);
		umount2(fu->mnt, MNT_DETACH);
	}
	rmdir(fu->mnt);
	fixture_teardown(&f);
	free(fu);
	return 0;
}

static void
fill_up(const char *path)
{
	static const char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t w;

	assert_true(fd >= 0);
	while ((w = write(fd, block, sizeof(block))) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

#define NSA     8
#define FAIL_MS 4000

static void
test_disk_full(void **state)
{
	struct full *fu = *state;
	struct state_sa *sa[NSA];
	struct state_health h;
	struct capture cap;
	struct state *st;
	uint64_t seq[NSA];
	long long start, t0, t, worst = 0, calls = 0;
	char *log, want[512];
	int i;

	if (mkdir(fu->mnt, 0700) == -1 ||
	    mount("tmpfs", fu->mnt, "tmpfs", 0, "size=64k,mode=0700") == -1) {
		print_message("cannot mount a tmpfs (%s): skipped\n",
		    strerror(errno));
		skip();
	}
	fu->mounted = true;

	st = open_ok(fu->path);
	for (i = 0; i < NSA; i++) {
		sa[i] = state_sa_get(st, STATE_OUT, 0x100 + (uint32_t)i);
		state_sa_set(sa[i], 1000);
		seq[i] = 490;
	}
	assert_int_equal(state_write_now(st), 0);
	fill_up(fu->fill);
	assert_int_equal(state_writer_start(st, 1000), 0);

	/* Senders: each SA sends while allowed, and asks again and again
	 * once it is stuck at the durable mark. */
	capture_start(&cap);
	start = now_ms();
	while (now_ms() - start < FAIL_MS) {
		for (i = 0; i < NSA; i++) {
			t0 = now_ms();
			if (state_sa_allow(sa[i], seq[i] + 1))
				seq[i]++;
			if ((t = now_ms() - t0) > worst)
				worst = t;
			calls++;
		}
		nap_ms(1);
	}
	log = capture_read(&cap);
	state_health(st, &h);
	for (i = 0; i < NSA; i++) {
		assert_true(seq[i] == 1000);
		assert_true(state_sa_durable(sa[i]) == 1000);
		assert_true(state_sa_wanted(sa[i]) == 1501);
	}
	/* Writes at about 0, 1 and 3 s: a back-off, not a spin. */
	if (h.errors < 2 || h.errors > 4)
		fail_msg("%llu failed writes in %d ms",
		    (unsigned long long)h.errors, FAIL_MS);
	assert_int_equal(h.writes, 1);
	assert_non_null(strstr(h.error, "No space left on device"));
	assert_true(h.last_error >= h.last_ok);
	snprintf(want, sizeof(want), "state file: cannot write %s.tmp: No "
	    "space left on device; retrying in 1 s\n", fu->path);
	if (count_lines(log) != 1 || strstr(log, want) == NULL)
		fail_msg("after %llu failed writes the log holds:\n%s",
		    (unsigned long long)h.errors, log);
	free(log);
	/* Waiting for the writer would mean waiting out a back-off (1 s and
	 * more); the bound leaves room for a busy machine's scheduling. */
	if (worst > 500)
		fail_msg("allow() took %lld ms", worst);
	assert_true(calls > 1000);
	assert_file(fu->path, "# vpntund state v2\n"
	    "out 0x00000100 1000\nout 0x00000101 1000\n"
	    "out 0x00000102 1000\nout 0x00000103 1000\n"
	    "out 0x00000104 1000\nout 0x00000105 1000\n"
	    "out 0x00000106 1000\nout 0x00000107 1000\n");

	/* Room again: the next retry (within 8 s) writes every mark. */
	assert_int_equal(unlink(fu->fill), 0);
	WAIT_UNTIL(state_sa_durable(sa[NSA - 1]) == 1501, 40000);
	for (i = 0; i < NSA; i++) {
		assert_true(state_sa_durable(sa[i]) == 1501);
		assert_true(state_sa_allow(sa[i], seq[i] + 1));
	}
	assert_file(fu->path, "# vpntund state v2\n"
	    "out 0x00000100 1501\nout 0x00000101 1501\n"
	    "out 0x00000102 1501\nout 0x00000103 1501\n"
	    "out 0x00000104 1501\nout 0x00000105 1501\n"
	    "out 0x00000106 1501\nout 0x00000107 1501\n");
	state_health(st, &h);
	assert_int_equal(h.writes, 2);
	assert_true(h.last_ok >= h.last_error);
	assert_int_equal(state_close(st, false), 0);
	log = capture_end(&cap);
	snprintf(want, sizeof(want), "state file %s written again after "
	    "%llu failed writes (%llu not logged)\n", fu->path,
	    (unsigned long long)h.errors, (unsigned long long)h.errors - 1);
	if (count_lines(log) != 2 || strstr(log, want) == NULL)
		fail_msg("wanted: %slogged:\n%s", want, log);
	free(log);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, \
	fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_allow),
		T(test_allow_saturates),
		T(test_allow_writer_stuck),
		T(test_final_clean),
		T(test_final_unclean),
		cmocka_unit_test(test_errlog),
		cmocka_unit_test_setup_teardown(test_disk_full, full_setup,
		    full_teardown),
	};

	log_init("test_engine_state_writer", LOG_LVL_INFO, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
