/* State file: the table and the format. Marks survive "restarts" in both
 * directions, version 1 files are read and written back as version 2,
 * corrupt files are refused with file:line, and there is no fixed limit
 * on SAs. The writer thread is tested in test_engine_state_writer.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "src/control/state.h"
#include "src/control/state_internal.h"
#include "util/log.h"
#include "tests/unit/state_testutil.h"

static struct state *
open_ok(const struct fixture *f)
{
	struct state *st;

	assert_int_equal(state_open(&st, f->path), 0);
	assert_non_null(st);
	assert_true(state_validate(st));
	return st;
}

static uint64_t
loaded(struct state *st, enum state_dir dir, uint32_t spi)
{
	struct state_sa *sa = state_sa_get(st, dir, spi);
	uint64_t m = 99;

	assert_non_null(sa);
	assert_true(state_sa_loaded(sa, &m));
	return m;
}

static size_t
entries(const struct state *st)
{
	struct state_health h;

	state_health(st, &h);
	return h.entries;
}

static void
test_missing(void **state)
{
	struct fixture *f = *state;
	struct state_sa *sa;
	struct state *st;
	struct stat sb;
	uint64_t m = 99;
	char *text;

	st = open_ok(f);
	assert_true(state_missing(st));
	assert_int_equal(entries(st), 0);
	/* The directory was created, private; no file yet. */
	assert_int_equal(stat(f->sub, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(count_others(f->sub, ""), 0);

	sa = state_sa_get(st, STATE_OUT, 0x1234abcd);
	assert_non_null(sa);
	assert_false(state_sa_loaded(sa, &m));
	assert_int_equal(m, 0);
	/* Found again, not added twice. */
	assert_ptr_equal(state_sa_get(st, STATE_OUT, 0x1234abcd), sa);
	assert_int_equal(entries(st), 1);
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(state_close(st, false), 0);

	text = read_text(f->path);
	assert_string_equal(text, "# vpntund state v2\nout 0x1234abcd 0\n");
	free(text);
	st = open_ok(f);
	assert_false(state_missing(st));
	assert_int_equal(state_close(st, false), 0);
}

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct state_health h;
	struct state *st;
	struct stat sb;
	char *text;

	st = open_ok(f);
	state_sa_set(state_sa_get(st, STATE_OUT, 0x1234abcd), 200000);
	state_sa_set(state_sa_get(st, STATE_IN, 0x5678ef01), 4242);
	/* The same SPI in both directions: two entries. */
	state_sa_set(state_sa_get(st, STATE_IN, 0x1234abcd), 7);
	state_sa_set(state_sa_get(st, STATE_OUT, 0xffffffff),
	    18446744073709551615ULL);
	state_sa_set(state_sa_get(st, STATE_OUT, 0x00000100), 5);
	assert_int_equal(state_write_now(st), 0);
	state_health(st, &h);
	assert_int_equal(h.entries, 5);
	assert_int_equal(h.writes, 1);
	assert_int_equal(h.errors, 0);
	assert_true(h.last_ok > 0);
	assert_int_equal(h.last_error, 0);
	assert_int_equal(state_close(st, false), 0);

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(count_others(f->sub, "seq.state"), 0);
	text = read_text(f->path);
	assert_string_equal(text,
	    "# vpntund state v2\n"
	    "out 0x1234abcd 200000\n"
	    "in 0x5678ef01 4242\n"
	    "in 0x1234abcd 7\n"
	    "out 0xffffffff 18446744073709551615\n"
	    "out 0x00000100 5\n");
	free(text);

	/* "Restart". */
	st = open_ok(f);
	assert_int_equal(entries(st), 5);
	assert_true(loaded(st, STATE_OUT, 0x1234abcd) == 200000);
	assert_true(loaded(st, STATE_IN, 0x5678ef01) == 4242);
	assert_true(loaded(st, STATE_IN, 0x1234abcd) == 7);
	assert_true(loaded(st, STATE_OUT, 0xffffffff) ==
	    18446744073709551615ULL);
	assert_true(loaded(st, STATE_OUT, 0x00000100) == 5);
	/* A lower mark never replaces a loaded one; a new SA goes last and
	 * entries nobody asked for are kept. */
	state_sa_set(state_sa_get(st, STATE_OUT, 0x1234abcd), 3);
	state_sa_set(state_sa_get(st, STATE_IN, 0x5678ef01), 5000);
	state_sa_set(state_sa_get(st, STATE_OUT, 0x0badcafe), 1);
	assert_true(state_validate(st));
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(state_close(st, false), 0);
	text = read_text(f->path);
	assert_string_equal(text,
	    "# vpntund state v2\n"
	    "out 0x1234abcd 200000\n"
	    "in 0x5678ef01 5000\n"
	    "in 0x1234abcd 7\n"
	    "out 0xffffffff 18446744073709551615\n"
	    "out 0x00000100 5\n"
	    "out 0x0badcafe 1\n");
	free(text);
	assert_int_equal(count_others(f->sub, "seq.state"), 0);
}

static void
test_v1_rewritten_as_v2(void **state)
{
	static const char v1[] = "# vpntund sequence state v1\n"
	    "spi 0xf0220001 reserved 100000\n"
	    "spi 0x0000ABCD reserved 18446744073709551615\n";
	struct fixture *f = *state;
	struct state_sa *sa;
	struct state *st;
	uint64_t m;
	char *text;

	assert_int_equal(mkdir(f->sub, 0700), 0);
	write_file(f->path, v1, strlen(v1));
	st = open_ok(f);
	assert_false(state_missing(st));
	assert_int_equal(entries(st), 2);
	assert_true(loaded(st, STATE_OUT, 0xf0220001) == 100000);
	assert_true(loaded(st, STATE_OUT, 0x0000abcd) ==
	    18446744073709551615ULL);
	/* Version 1 knew outbound marks only. */
	sa = state_sa_get(st, STATE_IN, 0xf0220001);
	assert_false(state_sa_loaded(sa, &m));
	assert_int_equal(entries(st), 3);
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(state_close(st, false), 0);
	text = read_text(f->path);
	assert_string_equal(text,
	    "# vpntund state v2\n"
	    "out 0xf0220001 100000\n"
	    "out 0x0000abcd 18446744073709551615\n"
	    "in 0xf0220001 0\n");
	free(text);
}

static void
test_header_only(void **state)
{
	static const char *ok[] = {
		"# vpntund state v2\n",
		"# vpntund sequence state v1\n",
	};
	struct fixture *f = *state;
	struct state *st;
	size_t i;

	assert_int_equal(mkdir(f->sub, 0700), 0);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		write_file(f->path, ok[i], strlen(ok[i]));
		st = open_ok(f);
		assert_false(state_missing(st));
		assert_int_equal(entries(st), 0);
		assert_int_equal(state_close(st, false), 0);
	}
}

static void
test_stale_tmp_replaced(void **state)
{
	struct fixture *f = *state;
	struct state *st;
	char tmp[256];

	st = open_ok(f);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	write_file(tmp, "garbage from a crash\n", 21);
	state_sa_set(state_sa_get(st, STATE_OUT, 1000), 1);
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(count_others(f->sub, "seq.state"), 0);
	assert_int_equal(state_close(st, false), 0);
}

/* The file holds text[0..len); state_open must refuse it and log exactly
 * one line, "<path>:<line>: <why>" (line 0: "<path>: <why>"). */
static void
expect_corrupt(const struct fixture *f, const char *text, size_t len,
    int line, const char *why)
{
	struct capture cap;
	struct state *st = (struct state *)1;
	char want[512], *log;
	int rc;

	(void)mkdir(f->sub, 0700);
	write_file(f->path, text, len);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: %s\n", f->path, line, why);
	else
		snprintf(want, sizeof(want), "%s: %s\n", f->path, why);
	capture_start(&cap);
	rc = state_open(&st, f->path);
	log = capture_end(&cap);
	if (rc != -1)
		fail_msg("accepted: \"%.*s\"", (int)len, text);
	assert_null(st);
	if (strstr(log, want) == NULL || count_lines(log) != 1)
		fail_msg("for \"%.*s\"\nwanted: %slogged: %s", (int)len, text,
		    want, log);
	free(log);
}

#define V2 "# vpntund state v2\n"
#define V1 "# vpntund sequence state v1\n"
#define HDR_WHY "expected \"# vpntund state v2\" (or version 1's " \
	"\"# vpntund sequence state v1\")"
#define V2_WHY "expected \"out|in 0x<8 hex digits> <mark>\", separated " \
	"by one space"
#define V1_WHY "expected \"spi 0x<8 hex digits> reserved <mark>\", " \
	"separated by one space"
#define SPI_WHY "expected an SPI of 0x and 8 hex digits"
#define MARK_WHY "expected a decimal mark"

static void
test_corrupt(void **state)
{
	static const struct {
		const char *text;
		int         line;
		const char *why;
	} bad[] = {
		{ "", 1, "empty file, expected \"# vpntund state v2\"" },
		{ "\n", 1, HDR_WHY },
		{ "# vpntund state v3\n", 1, HDR_WHY },
		{ "# vpntund state v2 \n", 1, HDR_WHY },
		{ "out 0x1234abcd 1\n", 1, HDR_WHY },
		{ V2 "out 0x1234abcd 1", 2,
		  "last line not terminated (the file was cut short?)" },
		{ V2 "out 0x1234abcd 1\nin 0x1", 3,
		  "last line not terminated (the file was cut short?)" },
		{ V2 "\n", 2, V2_WHY },
		{ V2 "out 0x1234abcd\n", 2, V2_WHY },
		{ V2 "out 0x1234abcd \n", 2, V2_WHY },
		{ V2 "out 0x1234abcd 1 \n", 2, V2_WHY },
		{ V2 "out  0x1234abcd 1\n", 2, V2_WHY },
		{ V2 " out 0x1234abcd 1\n", 2, V2_WHY },
		{ V2 "out 0x1234abcd 1 2\n", 2, V2_WHY },
		{ V2 "spi 0x1234abcd reserved 1\n", 2, V2_WHY },
		{ V2 "OUT 0x1234abcd 1\n", 2, "expected \"out\" or \"in\"" },
		{ V2 "inbound 0x1234abcd 1\n", 2, "expected \"out\" or \"in\"" },
		{ V2 "out\t0x1234abcd 1\n", 2, V2_WHY },
		{ V2 "out 0x1234abc 1\n", 2, SPI_WHY },
		{ V2 "out 0x1234abcde 1\n", 2, SPI_WHY },
		{ V2 "out 0x1234abcg 1\n", 2, SPI_WHY },
		{ V2 "out 0X1234abcd 1\n", 2, SPI_WHY },
		{ V2 "out 1234abcd 1\n", 2, SPI_WHY },
		{ V2 "out 0x1234abcd -1\n", 2, MARK_WHY },
		{ V2 "out 0x1234abcd +1\n", 2, MARK_WHY },
		{ V2 "out 0x1234abcd 1x\n", 2, MARK_WHY },
		{ V2 "out 0x1234abcd 1\r\n", 2, MARK_WHY },
		{ V2 "out 0x1234abcd 0x10\n", 2, MARK_WHY },
		{ V2 "out 0x1234abcd 18446744073709551616\n", 2,
		  "mark above 18446744073709551615" },
		{ V2 "out 0x1234abcd 99999999999999999999\n", 2,
		  "mark above 18446744073709551615" },
		{ V2 "out 0x1234abcd 1\nin 0x1234abcd 2\nout 0x1234ABCD 3\n",
		  4, "out 0x1234abcd listed twice" },
		{ V2 "in 0x00000001 1\nin 0x00000001 1\n", 3,
		  "in 0x00000001 listed twice" },
		{ V1 "spi 0x1234abcd reserved 1\nspi 0x1234abcd reserved 2\n",
		  3, "out 0x1234abcd listed twice" },
		{ V1 "out 0x1234abcd 1\n", 2, V1_WHY },
		{ V1 "spi 0x1234abcd reserved\n", 2, V1_WHY },
		{ V1 "spi 0x1234abcd reserved \n", 2, MARK_WHY },
		{ V1 "spi 0x1234abcd  reserved 1\n", 2, V1_WHY },
		{ V1 "spi 0x1234abcd reserve 1\n", 2, V1_WHY },
		{ V1 "spi 0x1234abc reserved 1\n", 2, SPI_WHY },
		{ V1 "spi 0x1234abcd reserved 1x\n", 2, MARK_WHY },
		{ V1 "spi 0x1234abcd reserved 18446744073709551616\n", 2,
		  "mark above 18446744073709551615" },
		{ V1 V2, 2, V1_WHY },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_corrupt(f, bad[i].text, strlen(bad[i].text),
		    bad[i].line, bad[i].why);
	/* A NUL byte would end a C string early: found all the same. */
	expect_corrupt(f, V2 "out 0x1234\0abcd 1\n", 37, 2, "NUL byte");
}

static void
test_too_long_line(void **state)
{
	struct fixture *f = *state;
	char text[512];
	size_t head = strlen(V2 "out 0x00000001 ");

	/* 127 bytes and the newline pass the reader (and fail the parser). */
	memset(text, '9', sizeof(text));
	memcpy(text, V2 "out 0x00000001 ", head);
	text[19 + 127] = '\n';
	expect_corrupt(f, text, 19 + 128, 2, "mark above "
	    "18446744073709551615");
	text[19 + 127] = '9';
	text[19 + 128] = '\n';
	expect_corrupt(f, text, 19 + 129, 2, "line longer than 127 bytes");
}

static void
test_too_big(void **state)
{
	struct fixture *f = *state;
	char why[128];
	int fd;

	(void)mkdir(f->sub, 0700);
	/* Sparse: no disk space used. */
	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, V2, 19), 19);
	assert_int_equal(ftruncate(fd, (off_t)STATE_FILE_MAX + 1), 0);
	close(fd);
	snprintf(why, sizeof(why), "%u bytes, more than a state file may "
	    "have (%u)", STATE_FILE_MAX + 1, STATE_FILE_MAX);
	{
		struct capture cap;
		struct state *st;
		char *log;

		capture_start(&cap);
		assert_int_equal(state_open(&st, f->path), -1);
		log = capture_end(&cap);
		assert_non_null(strstr(log, why));
		assert_non_null(strstr(log, f->path));
		free(log);
	}
}

/* No fixed limit: 100,000 SAs in one write, read back. */
#define MANY 100000

static void
test_many(void **state)
{
	struct fixture *f = *state;
	struct state *st;
	char *text;
	uint32_t i;

	st = open_ok(f);
	for (i = 0; i < MANY; i++)
		state_sa_set(state_sa_get(st, i & 1 ? STATE_IN : STATE_OUT,
		    0x80000000u + i / 2), (uint64_t)i * 3 + 1);
	assert_int_equal(entries(st), MANY);
	assert_true(state_validate(st));
	assert_int_equal(state_write_now(st), 0);
	assert_int_equal(state_close(st, false), 0);

	text = read_text(f->path);
	assert_int_equal(count_lines(text), MANY + 1);
	assert_non_null(strstr(text, "\nin 0x8000c34f 299998\n"));
	assert_non_null(strstr(text, "\nout 0x8000c34f 299995\n"));
	free(text);

	st = open_ok(f);
	assert_int_equal(entries(st), MANY);
	for (i = 0; i < MANY; i++)
		assert_true(loaded(st, i & 1 ? STATE_IN : STATE_OUT,
		    0x80000000u + i / 2) == (uint64_t)i * 3 + 1);
	assert_int_equal(entries(st), MANY);
	assert_true(state_validate(st));
	assert_int_equal(state_close(st, false), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, \
	fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_missing),
		T(test_round_trip),
		T(test_v1_rewritten_as_v2),
		T(test_header_only),
		T(test_stale_tmp_replaced),
		T(test_corrupt),
		T(test_too_long_line),
		T(test_too_big),
		T(test_many),
	};

	log_init("test_engine_state", LOG_LVL_INFO, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
