/* The packet process's confinement (sandbox.h), in forked children: after
 * sandbox_drop_user() the uids, gids and every capability set are as
 * asked and root cannot be had back; after sandbox_enter() the calls the
 * daemon makes still work, threads can be made, and a forbidden call
 * (execve, a new process, a packet socket, setuid, TIOCSTI) kills the process with
 * SIGSYS after naming the call on stderr. Needs root (skipped otherwise). */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/engine/sandbox.h"

#define NOBODY 65534

/* Exit codes of the children: 0 all good, else the failed check's line
 * (cmocka's asserts do not cross a fork). */
#define CHECK(c) do { if (!(c)) _exit(__LINE__ % 250 + 1); } while (0)

static char errpath[64];

/* Runs fn in a child whose stderr goes to errpath; returns its wait
 * status. */
static int
in_child(void (*fn)(void))
{
	pid_t pid;
	int st, fd;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, STDERR_FILENO) == -1)
			_exit(99);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

/* One "Name:\t..." line of /proc/self/status, tabs made spaces. */
static void
status_field(const char *name, char *out, size_t len)
{
	char line[256];
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "re");

	out[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			char *p = line + n + 1, *q;

			p += strspn(p, " \t");
			p[strcspn(p, "\n")] = '\0';
			for (q = p; *q != '\0'; q++)
				if (*q == '\t')
					*q = ' ';
			while (q > p && q[-1] == ' ')
				*--q = '\0';
			snprintf(out, len, "%s", p);
		}
	}
	fclose(f);
}

static void
dropped(void)
{
	char v[128];

	CHECK(sandbox_drop_user(NOBODY, NOBODY) == 0);
	status_field("Uid", v, sizeof(v));
	CHECK(strcmp(v, "65534 65534 65534 65534") == 0);
	status_field("Gid", v, sizeof(v));
	CHECK(strcmp(v, "65534 65534 65534 65534") == 0);
	status_field("Groups", v, sizeof(v));
	CHECK(strcmp(v, "65534") == 0);
	status_field("CapPrm", v, sizeof(v));
	CHECK(strcmp(v, "0000000000000000") == 0);
	status_field("CapEff", v, sizeof(v));
	CHECK(strcmp(v, "0000000000000000") == 0);
	status_field("CapBnd", v, sizeof(v));
	CHECK(strcmp(v, "0000000000000000") == 0);
	status_field("CapAmb", v, sizeof(v));
	CHECK(strcmp(v, "0000000000000000") == 0);
	CHECK(setuid(0) == -1 && errno == EPERM);
	/* Root's files are out of reach now. */
	CHECK(open("/etc/shadow", O_RDONLY) == -1 && errno == EACCES);
}

static void *
thread_fn(void *arg)
{
	return arg;
}

static void
confined(void)
{
	char v[64];
	int one = 1, fd;
	pthread_t t;
	void *ret;

	CHECK(sandbox_drop_user(NOBODY, NOBODY) == 0);
	CHECK(sandbox_enter() == 0);
	status_field("NoNewPrivs", v, sizeof(v));
	CHECK(strcmp(v, "1") == 0);
	status_field("Seccomp", v, sizeof(v));
	CHECK(strcmp(v, "2") == 0);
	/* What the daemon does at run time. */
	CHECK(getpid() > 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == 0);
	CHECK(close(fd) == 0);
	CHECK((fd = open("/proc/self/status", O_RDONLY)) >= 0);
	CHECK(close(fd) == 0);
	CHECK(pthread_create(&t, NULL, thread_fn, &one) == 0);
	CHECK(pthread_join(t, &ret) == 0 && ret == &one);
}

static void
exec_refused(void)
{
	char *argv[] = { "/bin/true", NULL }, *envp[] = { NULL };

	if (sandbox_drop_user(NOBODY, NOBODY) != 0 || sandbox_enter() != 0)
		_exit(98);
	execve(argv[0], argv, envp);
	_exit(97);
}

static void
packet_socket_refused(void)
{
	if (sandbox_drop_user(NOBODY, NOBODY) != 0 || sandbox_enter() != 0)
		_exit(98);
	(void)socket(AF_PACKET, SOCK_RAW, 0);
	_exit(97);
}

static void
setuid_refused(void)
{
	if (sandbox_drop_user(NOBODY, NOBODY) != 0 || sandbox_enter() != 0)
		_exit(98);
	(void)setuid(NOBODY);
	_exit(97);
}

static void
tiocsti_refused(void)
{
	char c = 'x';

	if (sandbox_drop_user(NOBODY, NOBODY) != 0 || sandbox_enter() != 0)
		_exit(98);
	(void)ioctl(STDIN_FILENO, TIOCSTI, &c);
	_exit(97);
}

/* Sanitizer builds let clone through for LeakSanitizer. */
#if !defined(__SANITIZE_ADDRESS__)
static void
fork_refused(void)
{
	if (sandbox_drop_user(NOBODY, NOBODY) != 0 || sandbox_enter() != 0)
		_exit(98);
	/* glibc's fork is clone without CLONE_THREAD. */
	(void)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	_exit(97);
}
#endif

/* What the last child wrote on stderr. */
static const char *
child_stderr(void)
{
	static char buf[256];
	ssize_t n = -1;
	int fd;

	if ((fd = open(errpath, O_RDONLY)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
expect_exit0(void (*fn)(void))
{
	int st = in_child(fn);

	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child: status %#x (exit code = failed check line "
		    "%% 250 + 1), stderr: %s", st, child_stderr());
}

/* Killed by SIGSYS, with "system call N refused" on stderr for the
 * expected N. */
static void
expect_refused(void (*fn)(void), long nr)
{
	char want[64];
	int st;

	st = in_child(fn);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	snprintf(want, sizeof(want), "system call %ld refused by the sandbox",
	    nr);
	assert_non_null(strstr(child_stderr(), want));
}

static void
test_drop_user(void **state)
{
	(void)state;
	expect_exit0(dropped);
}

static void
test_allowed_calls(void **state)
{
	(void)state;
	expect_exit0(confined);
}

static void
test_forbidden_calls(void **state)
{
	(void)state;
	expect_refused(exec_refused, SYS_execve);
	expect_refused(packet_socket_refused, SYS_socket);
	expect_refused(setuid_refused, SYS_setuid);
	expect_refused(tiocsti_refused, SYS_ioctl);
#if !defined(__SANITIZE_ADDRESS__)
	expect_refused(fork_refused, SYS_clone);
#endif
}

static int
setup(void **state)
{
	(void)state;
	snprintf(errpath, sizeof(errpath), "/tmp/test_sandbox.%ld",
	    (long)getpid());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(errpath);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_user),
		cmocka_unit_test(test_allowed_calls),
		cmocka_unit_test(test_forbidden_calls),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_engine_sandbox: needs root, skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
