/* hook_run: exact environment, exit status, stdin from /dev/null, default
 * signal dispositions, and scripts that cannot run. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "src/net/hook.h"
#include "src/net/netlink.h"

static char dir[64];
static char script[128];
static char out[128];
static char envout[160];

static void
write_script(const char *path, const char *body, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(body, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	struct nl nl;
	int lo;

	(void)state;
	/* Private namespace, as every net test: nothing leaks to the host. */
	if (unshare(CLONE_NEWNET) == -1)
		return -1;
	if (nl_open(&nl) == -1 || (lo = nl_link_index(&nl, "lo")) <= 0 ||
	    nl_link_set_up(&nl, lo, true) == -1)
		return -1;
	nl_close(&nl);
	strcpy(dir, "/tmp/vpntund-hook.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(script, sizeof(script), "%s/hook.sh", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(envout, sizeof(envout), "OUT=%s", out);
	/* Variable the child must not inherit. */
	setenv("VPNTUND_NOT_PASSED", "leak", 1);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(script);
	unlink(out);
	snprintf(p, sizeof(p), "%s/stdin", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/noexec.sh", dir);
	unlink(p);
	rmdir(dir);
	return 0;
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return true;
		p += n;
	}
	return false;
}

static void
test_env_exact(void **state)
{
	char *envp[] = { "VPNTUND_EVENT=up", "VPNTUND_TUN=vtest0",
	    "VPNTUND_ROUTES=10.9.1.0/24 fd00:9:1::/64", "PATH=/usr/bin:/bin",
	    envout, NULL };
	char *text;

	(void)state;
	write_script(script,
	    "#!/bin/sh\n/usr/bin/env > \"$OUT\"\nexit 0\n", 0700);
	assert_int_equal(hook_run(script, envp), 0);
	text = slurp(out);
	assert_true(has_line(text, "VPNTUND_EVENT=up"));
	assert_true(has_line(text, "VPNTUND_TUN=vtest0"));
	assert_true(has_line(text, "VPNTUND_ROUTES=10.9.1.0/24 fd00:9:1::/64"));
	assert_true(has_line(text, "PATH=/usr/bin:/bin"));
	assert_null(strstr(text, "VPNTUND_NOT_PASSED"));
	assert_null(strstr(text, "HOME="));
}

static void
test_exit_status(void **state)
{
	char *envp[] = { "VPNTUND_EVENT=down", NULL };

	(void)state;
	write_script(script, "#!/bin/sh\nexit 3\n", 0700);
	assert_int_equal(hook_run(script, envp), 3);
	/* 127 from the script is its status, not "could not run". */
	write_script(script, "#!/bin/sh\nexit 127\n", 0700);
	assert_int_equal(hook_run(script, envp), 127);
	/* NULL envp: an empty environment. */
	write_script(script, "#!/bin/sh\nexit 0\n", 0700);
	assert_int_equal(hook_run(script, NULL), 0);
}

static void
test_stdin_devnull(void **state)
{
	char *envp[] = { envout, NULL };

	(void)state;
	write_script(script, "#!/bin/sh\n"
	    "if read -r x; then echo data; else echo eof; fi > \"$OUT\"\n", 0700);
	assert_int_equal(hook_run(script, envp), 0);
	assert_string_equal(slurp(out), "eof\n");
}

static void
test_signals_default(void **state)
{
	char *envp[] = { envout, NULL };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_pipe;
	sigset_t usr1, old_mask;

	(void)state;
	/* As a daemon started with signals ignored (a background job's
	 * SIGINT) and one blocked: the script must see neither. */
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGINT, &ign, &old_int), 0);
	assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &old_mask), 0);
	/* Builtins only: while the shell forks a command, its mask is
	 * briefly all blocked. */
	write_script(script, "#!/bin/sh\n"
	    "while read -r k v; do case $k in SigBlk:|SigIgn:) echo \"$k $v\";"
	    "; esac; done < /proc/$$/status > \"$OUT\"\n", 0700);
	assert_int_equal(hook_run(script, envp), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
	assert_int_equal(sigaction(SIGPIPE, &old_pipe, NULL), 0);
	assert_int_equal(sigaction(SIGINT, &old_int, NULL), 0);
	assert_string_equal(slurp(out),
	    "SigBlk: 0000000000000000\nSigIgn: 0000000000000000\n");
}

static void
test_cannot_run(void **state)
{
	char *envp[] = { "VPNTUND_EVENT=up", NULL };
	char p[160];

	(void)state;
	snprintf(p, sizeof(p), "%s/does-not-exist.sh", dir);
	assert_int_equal(hook_run(p, envp), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(hook_run("relative/hook.sh", envp), -1);
	assert_int_equal(hook_run(dir, envp), -1);          /* a directory */
	snprintf(p, sizeof(p), "%s/noexec.sh", dir);
	write_script(p, "#!/bin/sh\nexit 0\n", 0600);
	/* root bypasses read/write permission, but not a missing x bit */
	assert_int_equal(hook_run(p, envp), -1);
	assert_int_equal(errno, EACCES);
	/* Bad interpreter: execve fails in the child. */
	write_script(script, "#!/nonexistent/sh\nexit 0\n", 0700);
	assert_int_equal(hook_run(script, envp), -1);
	assert_int_equal(errno, ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_exact),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_stdin_devnull),
		cmocka_unit_test(test_signals_default),
		cmocka_unit_test(test_cannot_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
