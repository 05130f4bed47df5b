/* Control socket: the event loop runs in the test and is stepped with
 * EVLOOP_NONBLOCK between non-blocking client reads, so no fork is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "src/control/ctl.h"
#include "util/log.h"

struct fixture {
	char               dir[64];
	char               sub[80];
	char               path[100];
	struct event_base *base;
	struct ctl        *ctl;
	int                calls;
};

static int
handler(const char *cmd, struct evbuffer *out, void *arg)
{
	struct fixture *f = arg;

	f->calls++;
	if (strcmp(cmd, "status") == 0)
		return evbuffer_add_printf(out, "site nursing-home\npeers 0\n") <
		    0 ? -1 : 0;
	if (strcmp(cmd, "status json") == 0)
		return evbuffer_add_printf(out, "{\"site\":\"nursing-home\"}\n") <
		    0 ? -1 : 0;
	if (strcmp(cmd, "half") == 0) {
		/* Fails after writing: none of this may reach the client. */
		evbuffer_add_printf(out, "partial");
		return -1;
	}
	return -1;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vpntund-ctl-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->sub, sizeof(f->sub), "%s/run", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/vpntund.sock", f->sub);
	if ((f->base = event_base_new()) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ctl_close(f->ctl);
	event_base_free(f->base);
	unlink(f->path);
	rmdir(f->sub);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
open_ctl(struct fixture *f)
{
	f->ctl = ctl_open(f->base, f->path, handler, f);
	assert_non_null(f->ctl);
}

static int
client_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	/* Succeeds at once: the listener is queued in the backlog. */
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Steps the daemon's loop and reads from fd until EOF or `secs` pass.
 * Returns the number of bytes read, or -1 on timeout. */
static ssize_t
read_answer(struct fixture *f, int fd, char *ans, size_t anssz, double secs)
{
	double end = now() + secs;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (now() < end) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		n = recv(fd, ans + got, anssz - 1 - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			assert_true(got < anssz - 1);
			continue;
		}
		if (n == 0) {
			ans[got] = '\0';
			return (ssize_t)got;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			fail_msg("recv: %s after \"%.*s\"", strerror(errno),
			    (int)got, ans);
		(void)poll(&pfd, 1, 5);
	}
	ans[got] = '\0';
	return -1;
}

static void
ask(struct fixture *f, const char *req, size_t reqlen, bool shut, char *ans,
    size_t anssz)
{
	int fd = client_connect(f->path);

	assert_int_equal(send(fd, req, reqlen, MSG_NOSIGNAL), (ssize_t)reqlen);
	if (shut)
		assert_int_equal(shutdown(fd, SHUT_WR), 0);
	assert_true(read_answer(f, fd, ans, anssz, 3.0) >= 0);
	close(fd);
}

static void
test_status(void **state)
{
	struct fixture *f = *state;
	char ans[512];

	open_ctl(f);
	ask(f, "status\n", 7, false, ans, sizeof(ans));
	assert_string_equal(ans, "site nursing-home\npeers 0\n");
	ask(f, "status json\r\n", 13, false, ans, sizeof(ans));
	assert_string_equal(ans, "{\"site\":\"nursing-home\"}\n");
	ask(f, " \tstatus  \n", 11, false, ans, sizeof(ans));
	assert_string_equal(ans, "site nursing-home\npeers 0\n");
	/* Without a newline, ended by shutdown(). */
	ask(f, "status", 6, true, ans, sizeof(ans));
	assert_string_equal(ans, "site nursing-home\npeers 0\n");
	/* Only the first line counts. */
	ask(f, "status\nbogus\n", 13, false, ans, sizeof(ans));
	assert_string_equal(ans, "site nursing-home\npeers 0\n");
	assert_int_equal(f->calls, 5);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	char ans[512], big[300];

	open_ctl(f);
	ask(f, "bogus\n", 6, false, ans, sizeof(ans));
	assert_string_equal(ans, "error: unknown command \"bogus\"\n");
	ask(f, "half\n", 5, false, ans, sizeof(ans));
	assert_string_equal(ans, "error: unknown command \"half\"\n");
	ask(f, "\n", 1, false, ans, sizeof(ans));
	assert_string_equal(ans, "error: unknown command \"\"\n");
	ask(f, "a\"b\x01\n", 5, false, ans, sizeof(ans));
	assert_string_equal(ans, "error: unknown command \"a?b?\"\n");
	ask(f, "sta\0tus\n", 8, false, ans, sizeof(ans));
	assert_string_equal(ans, "error: NUL byte in command\n");

	memset(big, 'a', sizeof(big));
	ask(f, big, sizeof(big), false, ans, sizeof(ans));
	assert_string_equal(ans, "error: command too long\n");
	big[sizeof(big) - 1] = '\n';
	ask(f, big, sizeof(big), false, ans, sizeof(ans));
	assert_string_equal(ans, "error: command too long\n");
	/* 256 bytes is still allowed. */
	big[256] = '\n';
	ask(f, big, 257, false, ans, sizeof(ans));
	assert_int_equal(strncmp(ans, "error: unknown command \"aaa", 27), 0);
}

static void
test_mode_and_close(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	open_ctl(f);
	assert_int_equal(stat(f->sub, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	ctl_close(f->ctl);
	f->ctl = NULL;
	assert_int_equal(lstat(f->path, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_second_instance(void **state)
{
	struct fixture *f = *state;
	char ans[512];

	open_ctl(f);
	assert_null(ctl_open(f->base, f->path, handler, f));
	/* The refused attempt left the live socket alone. */
	ask(f, "status\n", 7, false, ans, sizeof(ans));
	assert_string_equal(ans, "site nursing-home\npeers 0\n");
}

static void
test_stale_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun;
	char ans[512];
	int fd;

	/* A socket left behind by a crashed daemon: bound, nobody listens. */
	assert_int_equal(mkdir(f->sub, 0700), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);

	open_ctl(f);
	ask(f, "status\n", 7, false, ans, sizeof(ans));
	assert_string_equal(ans, "site nursing-home\npeers 0\n");
}

static void
test_not_a_socket(void **state)
{
	struct fixture *f = *state;
	int fd;

	assert_int_equal(mkdir(f->sub, 0700), 0);
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(ctl_open(f->base, f->path, handler, f));
	/* It was not removed. */
	assert_int_equal(access(f->path, F_OK), 0);
}

/* A client that never sends its line is dropped after the timeout. */
static void
test_idle_timeout(void **state)
{
	struct fixture *f = *state;
	char ans[64];
	double start;
	int fd;

	open_ctl(f);
	fd = client_connect(f->path);
	start = now();
	assert_int_equal(read_answer(f, fd, ans, sizeof(ans), 10.0), 0);
	assert_true(now() - start > 4.0);
	close(fd);
	assert_int_equal(f->calls, 0);
}

/* At most 16 clients at once; the next one waits in the backlog and is
 * served as soon as a slot frees up. */
static void
test_client_bound(void **state)
{
	struct fixture *f = *state;
	int idle[16], fd;
	char ans[512];
	size_t i;

	open_ctl(f);
	for (i = 0; i < 16; i++) {
		idle[i] = client_connect(f->path);
		event_base_loop(f->base, EVLOOP_NONBLOCK);
	}
	fd = client_connect(f->path);
	assert_int_equal(send(fd, "status\n", 7, MSG_NOSIGNAL), 7);
	assert_int_equal(read_answer(f, fd, ans, sizeof(ans), 0.3), -1);
	assert_string_equal(ans, "");
	assert_int_equal(f->calls, 0);

	close(idle[0]);
	assert_true(read_answer(f, fd, ans, sizeof(ans), 3.0) >= 0);
	assert_string_equal(ans, "site nursing-home\npeers 0\n");
	close(fd);
	for (i = 1; i < 16; i++)
		close(idle[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_and_close, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_second_instance, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_a_socket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_client_bound, setup,
		    teardown),
	};

	/* Writing to a client that went away must not kill the test (the
	 * daemon ignores SIGPIPE the same way). */
	signal(SIGPIPE, SIG_IGN);
	log_init("test_engine_ctl", LOG_LVL_ERR, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
