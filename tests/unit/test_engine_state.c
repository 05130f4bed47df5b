/* State file: marks survive "restarts", corrupt files are refused, and the
 * file is replaced atomically with mode 0600. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/engine/state.h"
#include "src/util/log.h"

struct fixture {
	char dir[64];		/* mkdtemp */
	char sub[128];		/* dir/sub: created by the state code */
	char path[192];		/* dir/sub/seq.state */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vpntund-state-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->sub, sizeof(f->sub), "%s/sub", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/seq.state", f->sub);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	char p[512];
	DIR *d;

	if ((d = opendir(f->sub)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
			    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
				continue;
			snprintf(p, sizeof(p), "%s/%s", f->sub, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(f->sub);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp;

	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Entries in the directory other than the state file itself. */
static int
count_others(const struct fixture *f)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(f->sub);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "seq.state") == 0)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static void
test_first_start(void **state)
{
	struct fixture *f = *state;
	struct state *st = calloc(1, sizeof(*st));
	struct stat sb;

	assert_non_null(st);
	assert_int_equal(state_open(st, f->path), 0);
	assert_int_equal(st->n, 0);
	assert_int_equal(state_start(st, 0x1234abcd), 0);
	/* The directory was created, private. */
	assert_int_equal(stat(f->sub, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(st);
}

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct state *st = calloc(1, sizeof(*st));
	struct stat sb;
	char buf[256];
	FILE *fp;
	size_t n;

	assert_non_null(st);
	assert_int_equal(state_open(st, f->path), 0);
	assert_int_equal(state_reserve(st, 0x1234abcd, 100000), 0);
	assert_int_equal(state_reserve(st, 0x00000100, 5), 0);
	assert_int_equal(state_reserve(st, 0xffffffff,
	    18446744073709551615ULL), 0);
	assert_int_equal(state_reserve(st, 0x1234abcd, 200000), 0);
	/* A lower mark never replaces a higher one. */
	assert_int_equal(state_reserve(st, 0x00000100, 3), 0);

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(count_others(f), 0);

	fp = fopen(f->path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf,
	    "# vpntund sequence state v1\n"
	    "spi 0x1234abcd reserved 200000\n"
	    "spi 0x00000100 reserved 5\n"
	    "spi 0xffffffff reserved 18446744073709551615\n");

	/* "Restart". */
	memset(st, 0xee, sizeof(*st));
	assert_int_equal(state_open(st, f->path), 0);
	assert_int_equal(st->n, 3);
	assert_int_equal(state_start(st, 0x1234abcd), 200000);
	assert_int_equal(state_start(st, 0x00000100), 5);
	assert_true(state_start(st, 0xffffffff) == 18446744073709551615ULL);
	assert_int_equal(state_start(st, 0x0badcafe), 0);

	/* Reserving after a restart keeps the other entries. */
	assert_int_equal(state_reserve(st, 0x0badcafe, 7), 0);
	memset(st, 0, sizeof(*st));
	assert_int_equal(state_open(st, f->path), 0);
	assert_int_equal(st->n, 4);
	assert_int_equal(state_start(st, 0x1234abcd), 200000);
	assert_int_equal(state_start(st, 0x0badcafe), 7);
	assert_int_equal(count_others(f), 0);
	free(st);
}

static void
test_stale_tmp_replaced(void **state)
{
	struct fixture *f = *state;
	struct state *st = calloc(1, sizeof(*st));
	char tmp[256];

	assert_non_null(st);
	assert_int_equal(state_open(st, f->path), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	write_file(tmp, "garbage from a crash\n");
	assert_int_equal(state_reserve(st, 1000, 1), 0);
	assert_int_equal(count_others(f), 0);
	free(st);
}

static void
expect_corrupt(const struct fixture *f, const char *text)
{
	struct state *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	(void)mkdir(f->sub, 0700);
	write_file(f->path, text);
	if (state_open(st, f->path) != -1)
		fail_msg("accepted: \"%s\"", text);
	free(st);
}

static void
test_corrupt(void **state)
{
	struct fixture *f = *state;
	static const char *bad[] = {
		"",
		"\n",
		"# vpntund sequence state v2\n",
		"spi 0x1234abcd reserved 1\n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved 1",
		"# vpntund sequence state v1\nspi 0x1234abc reserved 1\n",
		"# vpntund sequence state v1\nspi 0x1234abcde reserved 1\n",
		"# vpntund sequence state v1\nspi 0x1234abcg reserved 1\n",
		"# vpntund sequence state v1\nspi 1234abcd reserved 1\n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved\n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved \n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved -1\n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved +1\n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved 1 \n",
		"# vpntund sequence state v1\nspi 0x1234abcd  reserved 1\n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved 1x\n",
		"# vpntund sequence state v1\n"
		    "spi 0x1234abcd reserved 18446744073709551616\n",
		"# vpntund sequence state v1\n\n",
		"# vpntund sequence state v1\nspi 0x1234abcd reserved 1\n"
		    "spi 0x1234abcd reserved 2\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_corrupt(f, bad[i]);
	/* And a valid one with only the header. */
	{
		struct state *st = calloc(1, sizeof(*st));

		assert_non_null(st);
		write_file(f->path, "# vpntund sequence state v1\n");
		assert_int_equal(state_open(st, f->path), 0);
		assert_int_equal(st->n, 0);
		free(st);
	}
}

static void
test_too_long_line(void **state)
{
	struct fixture *f = *state;
	char text[512];

	memset(text, '9', sizeof(text));
	memcpy(text, "# vpntund sequence state v1\nspi 0x00000001 reserved ",
	    52);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	expect_corrupt(f, text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_start, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp_replaced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long_line, setup,
		    teardown),
	};

	/* The corrupt-file cases log on purpose; keep the output short. */
	log_init("test_engine_state", LOG_LVL_ERR, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
