/* hook_runner: scripts run from a real event loop, one at a time and in
 * order, with exactly their environment; exits, failures and timeouts
 * logged; what a script started goes with it; no zombies, and nobody
 * else's children reaped. Every test runs the loop until a condition
 * holds, with a bound. Some run twice: with pidfds, and with the 100 ms
 * waitpid poll used where pidfd_open says ENOSYS (pidfd_open is
 * overridden below to say so). The log is captured from stderr and
 * replayed after each test. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "src/net/hook_runner.h"
#include "src/net/netlink.h"
#include "util/log.h"

static bool force_enosys;

/* Overrides libc's: the runner's fallback for kernels before 5.3. */
int
pidfd_open(pid_t pid, unsigned int flags)
{
	if (force_enosys) {
		errno = ENOSYS;
		return -1;
	}
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static const int use_pidfd = 0, use_poll = 1;

static char dir[64];
static char cap_path[64];
static int saved_stderr = -1;
static struct event_base *base;
static struct event *tick;
static struct hook_runner *hr;

#define BOUND_MS 10000          /* for anything that should take < 1 s */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int
group_setup(void **state)
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
	/* Must not reach any script. */
	setenv("VPNTUND_NOT_PASSED", "leak", 1);
	return 0;
}

static int
setup(void **state)
{
	const struct timeval ten_ms = { 0, 10000 };
	int fd;

	force_enosys = *state == &use_poll;
	strcpy(dir, "/tmp/vpntund-hookrun.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	strcpy(cap_path, "/tmp/vpntund-hooklog.XXXXXX");
	if ((fd = mkstemp(cap_path)) == -1)
		return -1;
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("hooktest", LOG_LVL_DEBUG, false);
	/* The tick wakes EVLOOP_ONCE so that run_until sees conditions no
	 * event reports (a file a script wrote). */
	if ((base = event_base_new()) == NULL ||
	    (tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL)) == NULL ||
	    event_add(tick, &ten_ms) == -1)
		return -1;
	return 0;
}

static pid_t
read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t)pid;
}

/* State and process group of pid from /proc; false if it is gone. */
static bool
proc_stat(pid_t pid, char *st, pid_t *ppid, pid_t *pgrp)
{
	char path[64], buf[512], *p;
	FILE *f;
	long pp, pg;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command may hold spaces and parentheses: skip to the last. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %c %ld %ld", st, &pp, &pg) != 3)
		return false;
	*ppid = (pid_t)pp;
	*pgrp = (pid_t)pg;
	return true;
}

/* Gone: no such process, or one that has exited and waits for a reaper
 * that is not us (the orphans of a script go to init, which reaps them
 * when it gets round to it). */
static bool
pid_gone(pid_t pid)
{
	pid_t ppid, pgrp;
	char st;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return true;
	return proc_stat(pid, &st, &ppid, &pgrp) ? st == 'Z' &&
	    ppid != getpid() : true;
}

/* Live members of process group pgid, killed by PID with sig if sig. */
static int
group_members(pid_t pgid, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t pid, ppid, pgrp;
	char st;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if ((pid = (pid_t)atol(de->d_name)) <= 0)
			continue;
		if (!proc_stat(pid, &st, &ppid, &pgrp) || pgrp != pgid ||
		    st == 'Z')
			continue;
		n++;
		if (sig != 0)
			(void)kill(pid, sig);
	}
	closedir(d);
	return n;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	char path[128], buf[4096];
	ssize_t n;
	pid_t pgid;
	int fd;

	(void)state;
	hook_runner_free(hr);
	hr = NULL;
	/* After a failure, what a script left behind: by PID, and only in
	 * the group of the script that wrote sh.pid. */
	snprintf(path, sizeof(path), "%s/sh.pid", dir);
	if ((pgid = read_pid(path)) > 0)
		(void)group_members(pgid, SIGKILL);
	event_free(tick);
	event_base_free(base);
	force_enosys = false;
	/* The log and cmocka's messages, for the test's output. */
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	if ((fd = open(cap_path, O_RDONLY)) != -1) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			(void)!write(STDERR_FILENO, buf, (size_t)n);
		close(fd);
	}
	unlink(cap_path);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- helpers ---- */

/* A ring of buffers, more than one test uses, so paths can be kept. */
static const char *
in_dir(const char *name)
{
	static char ring[64][128];
	static unsigned next;
	char *p = ring[next++ % 64];

	snprintf(p, sizeof(ring[0]), "%s/%s", dir, name);
	return p;
}

/* Writes a script into the test directory; @ in body stands for it. */
static const char *
write_script(const char *name, const char *body, mode_t mode)
{
	const char *path = in_dir(name);
	const char *b;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("#!/bin/sh\n", f);
	for (b = body; *b != '\0'; b++)
		if (*b == '@')
			fputs(dir, f);
		else
			fputc(*b, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static bool
exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void
touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

static const char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static const char *
captured(void)
{
	fflush(stderr);
	return slurp(cap_path);
}

/* Where line starts in text as a whole line, or NULL. */
static const char *
find_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
			return p;
		p += n;
	}
	return NULL;
}

static const char *logline(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The captured log's line fmt, which must be there. */
static const char *
logline(const char *fmt, ...)
{
	char want[512];
	const char *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	p = find_line(captured(), want);
	if (p == NULL)
		fail_msg("log line missing: %s", want);
	return p;
}

static void no_line(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
no_line(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (find_line(captured(), line) != NULL)
		fail_msg("unexpected log line: %s", line);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Steps the loop until cond(arg) or ms pass; whether cond came true. */
static bool
run_until(bool (*cond)(const void *), const void *arg, unsigned ms)
{
	double end = now() + ms / 1000.0;

	while (!cond(arg)) {
		if (now() > end)
			return false;
		assert_true(event_base_loop(base, EVLOOP_ONCE) >= 0);
	}
	return true;
}

static bool
pending_at_most(const void *arg)
{
	return hook_runner_pending(hr) <= *(const size_t *)arg;
}

static bool
idle(const void *arg)
{
	(void)arg;
	return hook_runner_pending(hr) == 0;
}

static bool
group_empty(const void *arg)
{
	return group_members(*(const pid_t *)arg, 0) == 0;
}

static bool
file_there(const void *arg)
{
	return exists(arg);
}

static bool
gone(const void *arg)
{
	return pid_gone(*(const pid_t *)arg);
}

/* Ends every test: nothing of ours left to reap, and the exit watch the
 * test asked for was the one used. */
static void
no_zombies(void **state)
{
	const char *log;
	pid_t w;

	hook_runner_free(hr);
	hr = NULL;
	w = waitpid(-1, NULL, WNOHANG);
	assert_true(w == 0 || (w == -1 && errno == ECHILD));
	log = captured();
	if (*state == &use_poll)
		logline("hooktest: debug: hook: no pidfd_open: polling for the "
		    "exit of hook scripts every 100 ms");
	else
		assert_null(strstr(log, "pidfd_open"));
}

/* ---- tests ---- */

/* The script sees exactly envp (its initial environment, not what the
 * shell adds) and no arguments; envp and what are copied at once. */
static void
test_env_exact(void **state)
{
	const char *sh = write_script("env.sh",
	    "tr '\\0' '\\n' < /proc/$$/environ > @/env.$N\n"
	    "printf '%s|%s\\n' \"$0\" \"$#\" > @/args.$N\n"
	    "echo $$ > @/pid.$N\n", 0700);
	const char *sh0 = write_script("env0.sh",
	    "tr '\\0' '\\n' < /proc/$$/environ > @/env.none\n", 0700);
	char *env[] = { strdup("N=1"), strdup("VPNTUND_EVENT=peer-up"),
	    strdup("VPNTUND_PEER=physician1"),
	    strdup("VPNTUND_NETWORKS=10.9.1.0/24 fd00:9:1::/64"),
	    strdup("PATH=/usr/bin:/bin"), NULL };
	char *what = strdup("peer-up physician1");
	size_t i;

	hr = hook_runner_new(base, 5);
	assert_non_null(hr);
	assert_int_equal(hook_runner_run(hr, sh, env, what), 0);
	/* The caller's strings may go at once. */
	for (i = 0; env[i] != NULL; i++) {
		memset(env[i], 'X', strlen(env[i]));
		free(env[i]);
	}
	memset(what, 'X', strlen(what));
	free(what);
	assert_int_equal(hook_runner_run(hr, sh0, NULL, "peer-down none"), 0);
	assert_true(run_until(idle, NULL, BOUND_MS));

	assert_string_equal(slurp(in_dir("env.1")),
	    "N=1\nVPNTUND_EVENT=peer-up\nVPNTUND_PEER=physician1\n"
	    "VPNTUND_NETWORKS=10.9.1.0/24 fd00:9:1::/64\n"
	    "PATH=/usr/bin:/bin\n");
	assert_string_equal(slurp(in_dir("args.1")), in_dir("env.sh|0\n"));
	assert_string_equal(slurp(in_dir("env.none")), "");
	logline("hooktest: debug: hook peer-up physician1: running %s "
	    "(pid %ld)", sh, (long)read_pid(in_dir("pid.1")));
	logline("hooktest: info: hook peer-up physician1: %s exited with 0",
	    sh);
	logline("hooktest: info: hook peer-down none: %s exited with 0", sh0);
	no_zombies(state);
}

/* Three scripts run in the order queued, one at a time: each writes
 * start, sleeps, then end, so any overlap would interleave the lines. */
static void
test_order(void **state)
{
	const char *sh = write_script("step.sh",
	    "echo \"start $N\" >> @/order\nsleep 0.2\n"
	    "echo \"end $N\" >> @/order\n", 0700);
	char n[3][8], what[3][16];
	const char *at[3];
	int i;

	hr = hook_runner_new(base, 5);
	assert_non_null(hr);
	for (i = 0; i < 3; i++) {
		char *envp[] = { n[i], NULL };

		snprintf(n[i], sizeof(n[i]), "N=%d", i + 1);
		snprintf(what[i], sizeof(what[i]), "t-order %d", i + 1);
		assert_int_equal(hook_runner_run(hr, sh, envp, what[i]), 0);
		assert_int_equal(hook_runner_pending(hr), (size_t)i + 1);
	}
	assert_true(run_until(idle, NULL, BOUND_MS));
	assert_string_equal(slurp(in_dir("order")),
	    "start 1\nend 1\nstart 2\nend 2\nstart 3\nend 3\n");
	for (i = 0; i < 3; i++)
		at[i] = logline("hooktest: info: hook t-order %d: %s exited "
		    "with 0", i + 1, sh);
	assert_true(at[0] < at[1] && at[1] < at[2]);
	no_zombies(state);
}

/* Exit 0 at info; a non-zero exit, a signal and a script that cannot be
 * executed at warning, and 127 from the script is not "cannot run". */
static void
test_exit_statuses(void **state)
{
	const char *ok = write_script("ok.sh", "exit 0\n", 0700);
	const char *three = write_script("three.sh", "exit 3\n", 0700);
	const char *sig = write_script("sig.sh", "kill -USR1 $$\nsleep 5\n",
	    0700);
	const char *e127 = write_script("e127.sh", "exit 127\n", 0700);
	const char *bad = in_dir("bad.sh");
	FILE *f;

	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("#!/nonexistent/sh\nexit 0\n", f);
	fclose(f);
	assert_int_equal(chmod(bad, 0700), 0);

	hr = hook_runner_new(base, 5);
	assert_non_null(hr);
	assert_int_equal(hook_runner_run(hr, ok, NULL, "t-ok"), 0);
	assert_int_equal(hook_runner_run(hr, three, NULL, "t-three"), 0);
	assert_int_equal(hook_runner_run(hr, sig, NULL, "t-sig"), 0);
	assert_int_equal(hook_runner_run(hr, e127, NULL, "t-127"), 0);
	assert_int_equal(hook_runner_run(hr, bad, NULL, "t-bad"), 0);
	assert_true(run_until(idle, NULL, BOUND_MS));
	logline("hooktest: info: hook t-ok: %s exited with 0", ok);
	logline("hooktest: warning: hook t-three: %s exited with 3", three);
	logline("hooktest: warning: hook t-sig: %s killed by signal %d", sig,
	    SIGUSR1);
	logline("hooktest: warning: hook t-127: %s exited with 127", e127);
	logline("hooktest: warning: hook t-bad: cannot run %s: %s", bad,
	    strerror(ENOENT));
	no_line("hooktest: warning: hook t-127: cannot run %s: %s", e127,
	    strerror(ENOENT));
	no_line("hooktest: warning: hook t-bad: %s exited with 127", bad);
	no_zombies(state);
}

struct ticks {
	struct event *ev;
	unsigned      n;
};

static void
count_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct ticks *)arg)->n++;
}

static bool
ticked_40(const void *arg)
{
	return ((const struct ticks *)arg)->n >= 40;
}

/* A timer keeps firing while a script runs, and the script is still
 * running all that time. */
static void
test_loop_not_blocked(void **state)
{
	const char *sh = write_script("wait.sh",
	    "echo $$ > @/sh.pid\n"
	    "while [ ! -e @/go ]; do sleep 0.02; done\n"
	    "echo done > @/done\n", 0700);
	const struct timeval five_ms = { 0, 5000 };
	struct ticks t = { NULL, 0 };

	hr = hook_runner_new(base, 5);
	assert_non_null(hr);
	t.ev = event_new(base, -1, EV_PERSIST, count_cb, &t);
	assert_non_null(t.ev);
	assert_int_equal(event_add(t.ev, &five_ms), 0);
	assert_int_equal(hook_runner_run(hr, sh, NULL, "t-loop"), 0);
	assert_true(run_until(file_there, in_dir("sh.pid"), BOUND_MS));
	/* 40 firings of a 5 ms timer while the script waits for us. */
	t.n = 0;
	assert_true(run_until(ticked_40, &t, BOUND_MS));
	assert_int_equal(hook_runner_pending(hr), 1);
	assert_false(exists(in_dir("done")));
	assert_false(pid_gone(read_pid(in_dir("sh.pid"))));
	touch(in_dir("go"));
	assert_true(run_until(idle, NULL, BOUND_MS));
	assert_string_equal(slurp(in_dir("done")), "done\n");
	event_free(t.ev);
	no_zombies(state);
}

/* A script that hangs, and a child it started, are gone after the 1 s
 * timeout's SIGTERM, which is logged. */
static void
test_timeout(void **state)
{
	const char *sh = write_script("hang.sh",
	    "sleep 100 &\necho $! > @/bg.pid\necho $$ > @/sh.pid\n"
	    "sleep 100\n", 0700);
	pid_t shpid, bgpid;
	double t0, took;

	hr = hook_runner_new(base, 1);
	assert_non_null(hr);
	t0 = now();
	assert_int_equal(hook_runner_run(hr, sh, NULL, "t-hang"), 0);
	assert_true(run_until(idle, NULL, BOUND_MS));
	took = now() - t0;
	assert_true(took >= 0.95 && took < 5.0);
	shpid = read_pid(in_dir("sh.pid"));
	bgpid = read_pid(in_dir("bg.pid"));
	assert_true(shpid > 0 && bgpid > 0);
	/* The script was our child and is reaped: no such process. */
	assert_int_equal(kill(shpid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_true(run_until(gone, &bgpid, BOUND_MS));
	assert_true(run_until(group_empty, &shpid, BOUND_MS));
	logline("hooktest: warning: hook t-hang: %s still running after 1 s: "
	    "sending SIGTERM", sh);
	logline("hooktest: warning: hook t-hang: %s killed by signal %d", sh,
	    SIGTERM);
	assert_null(strstr(captured(), "SIGKILL"));
	no_zombies(state);
}

/* A script that ignores SIGTERM (and so do its children) gets SIGKILL
 * one second later, with its group. */
static void
test_timeout_sigkill(void **state)
{
	const char *sh = write_script("stubborn.sh",
	    "trap '' TERM\nsleep 100 &\necho $! > @/bg.pid\n"
	    "echo $$ > @/sh.pid\nsleep 100\n", 0700);
	const char *term, *kill9;
	pid_t shpid, bgpid;
	double t0, took;

	hr = hook_runner_new(base, 1);
	assert_non_null(hr);
	t0 = now();
	assert_int_equal(hook_runner_run(hr, sh, NULL, "t-stubborn"), 0);
	assert_true(run_until(idle, NULL, BOUND_MS));
	took = now() - t0;
	assert_true(took >= 1.95 && took < 6.0);
	shpid = read_pid(in_dir("sh.pid"));
	bgpid = read_pid(in_dir("bg.pid"));
	assert_true(shpid > 0 && bgpid > 0);
	assert_int_equal(kill(shpid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_true(run_until(gone, &bgpid, BOUND_MS));
	assert_true(run_until(group_empty, &shpid, BOUND_MS));
	term = logline("hooktest: warning: hook t-stubborn: %s still running "
	    "after 1 s: sending SIGTERM", sh);
	kill9 = logline("hooktest: warning: hook t-stubborn: %s still running "
	    "1 s after SIGTERM: sending SIGKILL", sh);
	assert_true(term < kill9);
	logline("hooktest: warning: hook t-stubborn: %s killed by signal %d",
	    sh, SIGKILL);
	no_zombies(state);
}

/* The script dies of the timeout's SIGTERM but a child of it ignores
 * SIGTERM: the child is killed as the script is reaped, not left. */
static void
test_timeout_leaves_nothing(void **state)
{
	const char *sh = write_script("orphan.sh",
	    "sh -c 'trap \"\" TERM; echo $$ > @/kid.tmp; "
	    "mv @/kid.tmp @/kid.pid; while :; do sleep 0.05; done' &\n"
	    "while [ ! -e @/kid.pid ]; do sleep 0.01; done\n"
	    "echo $$ > @/sh.pid\nsleep 100\n", 0700);
	pid_t shpid, kid;

	hr = hook_runner_new(base, 1);
	assert_non_null(hr);
	assert_int_equal(hook_runner_run(hr, sh, NULL, "t-orphan"), 0);
	assert_true(run_until(idle, NULL, BOUND_MS));
	shpid = read_pid(in_dir("sh.pid"));
	kid = read_pid(in_dir("kid.pid"));
	assert_true(shpid > 0 && kid > 0);
	logline("hooktest: warning: hook t-orphan: %s killed by signal %d", sh,
	    SIGTERM);
	/* Left alone it would loop for ever. */
	assert_true(run_until(gone, &kid, BOUND_MS));
	assert_true(run_until(group_empty, &shpid, BOUND_MS));
	assert_null(strstr(captured(), "SIGKILL"));
	no_zombies(state);
}

/* 64 entries (running or queued) are held, the 65th refused and logged;
 * a slot freed takes one more; all run, in order. */
static void
test_queue_limit(void **state)
{
	const char *sh = write_script("slot.sh",
	    "while [ ! -e @/go ]; do sleep 0.02; done\n"
	    "echo \"$N\" >> @/slots\n", 0700);
	const size_t room = HOOK_RUNNER_MAX - 1;
	char n[16], what[32], want[512];
	size_t len = 0;
	int i;

	hr = hook_runner_new(base, 30);
	assert_non_null(hr);
	for (i = 1; i <= HOOK_RUNNER_MAX + 1; i++) {
		char *envp[] = { n, NULL };

		snprintf(n, sizeof(n), "N=%d", i);
		snprintf(what, sizeof(what), "t-limit %d", i);
		assert_int_equal(hook_runner_run(hr, sh, envp, what),
		    i <= HOOK_RUNNER_MAX ? 0 : -1);
	}
	assert_int_equal(hook_runner_pending(hr), HOOK_RUNNER_MAX);
	logline("hooktest: warning: hook t-limit 65: %s not queued: 64 hook "
	    "scripts already queued", sh);
	touch(in_dir("go"));
	assert_true(run_until(pending_at_most, &room, BOUND_MS));
	snprintf(n, sizeof(n), "N=%d", 65);
	{
		char *envp[] = { n, NULL };

		assert_int_equal(hook_runner_run(hr, sh, envp, "t-limit 65"),
		    0);
	}
	assert_true(run_until(idle, NULL, 60000));
	for (i = 1; i <= HOOK_RUNNER_MAX + 1; i++)
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%d\n",
		    i);
	assert_string_equal(slurp(in_dir("slots")), want);
	no_zombies(state);
}

/* Checked again just before it runs: a script made group-writable after
 * it was queued, one writable by others, one owned by someone else and
 * one not executable are each logged and skipped, and the next runs. */
static void
test_refused(void **state)
{
	const char *block = write_script("block.sh",
	    "while [ ! -e @/go ]; do sleep 0.02; done\ntouch @/ran.block\n",
	    0700);
	const char *gw = write_script("gw.sh", "touch @/ran.gw\n", 0700);
	const char *ow = write_script("ow.sh", "touch @/ran.ow\n", 0702);
	const char *nobody = write_script("nobody.sh", "touch @/ran.nobody\n",
	    0700);
	const char *nox = write_script("nox.sh", "touch @/ran.nox\n", 0600);
	const char *good = write_script("good.sh", "touch @/ran.good\n", 0700);
	unsigned me = (unsigned)geteuid();

	assert_int_equal(chown(nobody, 65534, 65534), 0);
	hr = hook_runner_new(base, 5);
	assert_non_null(hr);
	assert_int_equal(hook_runner_run(hr, block, NULL, "t-block"), 0);
	assert_int_equal(hook_runner_run(hr, gw, NULL, "t-gw"), 0);
	assert_int_equal(hook_runner_run(hr, ow, NULL, "t-ow"), 0);
	assert_int_equal(hook_runner_run(hr, nobody, NULL, "t-nobody"), 0);
	assert_int_equal(hook_runner_run(hr, nox, NULL, "t-nox"), 0);
	assert_int_equal(hook_runner_run(hr, good, NULL, "t-good"), 0);
	assert_int_equal(hook_runner_pending(hr), 6);
	/* Fine when queued, changed before its turn. */
	assert_int_equal(chmod(gw, 0720), 0);
	touch(in_dir("go"));
	assert_true(run_until(idle, NULL, BOUND_MS));
	assert_true(exists(in_dir("ran.block")));
	assert_true(exists(in_dir("ran.good")));
	assert_false(exists(in_dir("ran.gw")));
	assert_false(exists(in_dir("ran.ow")));
	assert_false(exists(in_dir("ran.nobody")));
	assert_false(exists(in_dir("ran.nox")));
	logline("hooktest: warning: hook t-gw: %s not run: writable by group "
	    "or others (owner %u, mode 0720)", gw, me);
	logline("hooktest: warning: hook t-ow: %s not run: writable by group "
	    "or others (owner %u, mode 0702)", ow, me);
	logline("hooktest: warning: hook t-nobody: %s not run: not owned by "
	    "root or us (owner 65534, mode 0700)", nobody);
	logline("hooktest: warning: hook t-nox: %s not run: not executable "
	    "(owner %u, mode 0600)", nox, me);
	logline("hooktest: info: hook t-good: %s exited with 0", good);
	no_zombies(state);
}

/* hook_runner_free kills the running script and its child, reaps the
 * script, and drops what was queued behind it. */
static void
test_free_kills(void **state)
{
	const char *sh = write_script("hang.sh",
	    "sleep 100 &\necho $! > @/bg.pid\necho $$ > @/sh.tmp\n"
	    "mv @/sh.tmp @/sh.pid\nsleep 100\n", 0700);
	const char *next = write_script("next.sh", "touch @/ran.next\n", 0700);
	pid_t shpid, bgpid;

	hr = hook_runner_new(base, 30);
	assert_non_null(hr);
	assert_int_equal(hook_runner_run(hr, sh, NULL, "t-free"), 0);
	assert_int_equal(hook_runner_run(hr, next, NULL, "t-next"), 0);
	assert_true(run_until(file_there, in_dir("sh.pid"), BOUND_MS));
	shpid = read_pid(in_dir("sh.pid"));
	bgpid = read_pid(in_dir("bg.pid"));
	assert_true(shpid > 0 && bgpid > 0);
	assert_false(pid_gone(bgpid));
	hook_runner_free(hr);
	hr = NULL;
	assert_int_equal(kill(shpid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_true(run_until(gone, &bgpid, BOUND_MS));
	assert_true(run_until(group_empty, &shpid, BOUND_MS));
	assert_false(exists(in_dir("ran.next")));
	logline("hooktest: warning: hook t-free: stopping %s", sh);
	logline("hooktest: warning: hook t-free: %s killed by signal %d", sh,
	    SIGKILL);
	logline("hooktest: info: hook: 1 queued script dropped");
	no_zombies(state);
}

/* The runner waits for its own children only: a child of the caller
 * that exited meanwhile is still there for the caller to reap. */
static void
test_own_children_only(void **state)
{
	const char *sh = write_script("ok.sh", "sleep 0.1\n", 0700);
	pid_t mine, w, ppid, pgrp;
	int status;
	char st = 0;

	mine = fork();
	assert_true(mine >= 0);
	if (mine == 0)
		_exit(7);
	/* Bounded: until it is a zombie, i.e. waitable. */
	{
		double end = now() + 5;

		while (proc_stat(mine, &st, &ppid, &pgrp) && st != 'Z' &&
		    now() < end)
			usleep(1000);
	}
	assert_int_equal(st, 'Z');
	hr = hook_runner_new(base, 5);
	assert_non_null(hr);
	assert_int_equal(hook_runner_run(hr, sh, NULL, "t-own"), 0);
	assert_true(run_until(idle, NULL, BOUND_MS));
	logline("hooktest: info: hook t-own: %s exited with 0", sh);
	w = waitpid(mine, &status, WNOHANG);
	assert_int_equal(w, mine);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	no_zombies(state);
}

/* Bad arguments are refused when queued, not when run. */
static void
test_bad_args(void **state)
{
	hr = hook_runner_new(base, 5);
	assert_non_null(hr);
	assert_null(hook_runner_new(base, 0));
	assert_null(hook_runner_new(NULL, 5));
	assert_int_equal(hook_runner_run(hr, "relative.sh", NULL, "t-rel"),
	    -1);
	assert_int_equal(hook_runner_run(hr, NULL, NULL, "t-null"), -1);
	assert_int_equal(hook_runner_pending(hr), 0);
	logline("hooktest: warning: hook t-rel: script path must be absolute: "
	    "relative.sh");
	logline("hooktest: warning: hook runner: a timeout of 0 s");
	no_zombies(state);
}

#define T(f, mode) cmocka_unit_test_prestate_setup_teardown(f, setup, \
    teardown, (void *)&mode)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_env_exact, use_pidfd),
		T(test_order, use_pidfd),
		T(test_exit_statuses, use_pidfd),
		T(test_loop_not_blocked, use_pidfd),
		T(test_timeout, use_pidfd),
		T(test_timeout_sigkill, use_pidfd),
		T(test_timeout_leaves_nothing, use_pidfd),
		T(test_queue_limit, use_pidfd),
		T(test_refused, use_pidfd),
		T(test_free_kills, use_pidfd),
		T(test_own_children_only, use_pidfd),
		T(test_bad_args, use_pidfd),
		/* The same without pidfds, where it matters. */
		T(test_order, use_poll),
		T(test_exit_statuses, use_poll),
		T(test_loop_not_blocked, use_poll),
		T(test_timeout, use_poll),
		T(test_free_kills, use_poll),
		T(test_own_children_only, use_poll),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
