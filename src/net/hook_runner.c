/* Hook scripts run from the event loop: a bounded FIFO, one child at a
 * time. The child's exit is seen through a pidfd (readable once it has
 * exited) and reaped by its own pid only, so no SIGCHLD handler is needed
 * and nobody else's children are waited for; without pidfd_open (Linux
 * < 5.3) a 100 ms timer polls waitpid(pid, WNOHANG). The process group is
 * only ever signalled while its leader is unreaped, so its id cannot have
 * been reused. */
#include "src/net/hook_runner.h"
#include "src/net/hook.h"
#include "util/log.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOOK_POLL_MS  100       /* without pidfd_open */
#define HOOK_GRACE_S  1         /* from SIGTERM to SIGKILL */

struct hook_job {
	struct hook_job *next;
	char            *script;
	char            *what;
	char           **envp;      /* NULL-terminated copies */
};

struct hook_runner {
	struct event_base *base;
	unsigned           timeout_sec;
	struct hook_job   *head;    /* waiting, oldest first */
	struct hook_job  **tailp;
	size_t             n;       /* waiting + running */
	bool               no_pidfd;

	/* The running script, when cur != NULL. */
	struct hook_job   *cur;
	pid_t              pid;     /* also its process group */
	int                errfd;   /* hook_exec_error() pipe */
	int                pidfd;   /* -1 when polling */
	struct event      *exit_ev; /* pidfd readable, or the poll timer */
	struct event      *timer_ev; /* timeout, then the SIGKILL grace */
	int                sent;    /* 0, SIGTERM or SIGKILL */
};

static void start_next(struct hook_runner *);

static void
job_free(struct hook_job *j)
{
	char **p;

	if (j == NULL)
		return;
	for (p = j->envp; p != NULL && *p != NULL; p++)
		free(*p);
	free(j->envp);
	free(j->script);
	free(j->what);
	free(j);
}

static struct hook_job *
job_new(const char *script, char *const envp[], const char *what)
{
	struct hook_job *j;
	size_t i, n = 0;

	while (envp != NULL && envp[n] != NULL)
		n++;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	if ((j->envp = calloc(n + 1, sizeof(*j->envp))) == NULL ||
	    (j->script = strdup(script)) == NULL ||
	    (j->what = strdup(what)) == NULL) {
		job_free(j);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if ((j->envp[i] = strdup(envp[i])) == NULL) {
			job_free(j);
			return NULL;
		}
	return j;
}

/* The loader checked the file, but it may have changed since. */
static int
script_ok(const struct hook_job *j)
{
	struct stat st;
	const char *why = NULL;

	if (stat(j->script, &st) == -1) {
		log_warn("hook %s: %s not run", j->what, j->script);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		why = "not owned by root or us";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		why = "writable by group or others";
	else if (faccessat(AT_FDCWD, j->script, X_OK, AT_EACCESS) == -1)
		why = "not executable";
	if (why != NULL) {
		log_warnx("hook %s: %s not run: %s (owner %u, mode %04o)",
		    j->what, j->script, why, (unsigned)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static void
signal_group(struct hook_runner *hr, int sig)
{
	if (kill(-hr->pid, sig) == -1)
		log_warn("hook %s: kill %s (group %ld)", hr->cur->what,
		    hr->cur->script, (long)hr->pid);
}

/* Logs how the script ended; status is the wait status. */
static void
report(const struct hook_runner *hr, int childerr, int status)
{
	const struct hook_job *j = hr->cur;

	if (childerr != 0) {
		errno = childerr;
		log_warn("hook %s: cannot run %s", j->what, j->script);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("hook %s: %s exited with 0", j->what, j->script);
	else if (WIFEXITED(status))
		log_warnx("hook %s: %s exited with %d", j->what, j->script,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warnx("hook %s: %s killed by signal %d", j->what,
		    j->script, WTERMSIG(status));
	else
		log_warnx("hook %s: %s: unexpected wait status %d", j->what,
		    j->script, status);
}

/* After the running script is reaped (or lost): on to the next. */
static void
finish(struct hook_runner *hr)
{
	if (hr->exit_ev != NULL)
		event_free(hr->exit_ev);
	hr->exit_ev = NULL;
	evtimer_del(hr->timer_ev);
	if (hr->pidfd != -1)
		close(hr->pidfd);
	hr->pidfd = -1;
	if (hr->errfd != -1)
		close(hr->errfd);
	hr->errfd = -1;
	job_free(hr->cur);
	hr->cur = NULL;
	hr->pid = -1;
	hr->sent = 0;
	hr->n--;
}

/* Reaps the script if it has exited; 1 if so, 0 if still running. */
static int
try_reap(struct hook_runner *hr)
{
	siginfo_t si;
	pid_t w;
	int status = 0, r;

	memset(&si, 0, sizeof(si));
	do
		r = waitid(P_PID, (id_t)hr->pid, &si,
		    WEXITED | WNOHANG | WNOWAIT);
	while (r == -1 && errno == EINTR);
	if (r == 0 && si.si_pid == 0)
		return 0;
	/* A timed-out script's group may hold what shrugged off SIGTERM:
	 * it goes now, while the unreaped leader still holds the group id. */
	if (r == 0 && hr->sent != 0)
		(void)kill(-hr->pid, SIGKILL);
	do
		w = waitpid(hr->pid, &status, WNOHANG);
	while (w == -1 && errno == EINTR);
	if (w == 0)
		return 0;
	if (w == -1) {
		/* Someone reaped it for us (SIGCHLD ignored?): the status is
		 * lost, but the queue must go on. */
		log_warn("hook %s: waitpid %s", hr->cur->what,
		    hr->cur->script);
		finish(hr);
		return 1;
	}
	report(hr, hook_exec_error(hr->errfd), status);
	hr->errfd = -1;
	finish(hr);
	return 1;
}

static void
exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook_runner *hr = arg;

	(void)fd;
	(void)what;
	if (try_reap(hr))
		start_next(hr);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook_runner *hr = arg;
	const struct timeval grace = { HOOK_GRACE_S, 0 };

	(void)fd;
	(void)what;
	if (hr->sent == 0) {
		log_warnx("hook %s: %s still running after %u s: sending "
		    "SIGTERM", hr->cur->what, hr->cur->script,
		    hr->timeout_sec);
		hr->sent = SIGTERM;
		signal_group(hr, SIGTERM);
		if (evtimer_add(hr->timer_ev, &grace) == -1) {
			log_warnx("hook %s: grace timer for %s", hr->cur->what,
			    hr->cur->script);
			hr->sent = SIGKILL;
			signal_group(hr, SIGKILL);
		}
		return;
	}
	log_warnx("hook %s: %s still running %d s after SIGTERM: sending "
	    "SIGKILL", hr->cur->what, hr->cur->script, HOOK_GRACE_S);
	hr->sent = SIGKILL;
	signal_group(hr, SIGKILL);
}

/* Kills the running script and waits for it: for hook_runner_free, and
 * when it cannot be watched without blocking. */
static void
stop(struct hook_runner *hr)
{
	pid_t w;
	int status = 0;

	hr->sent = SIGKILL;
	signal_group(hr, SIGKILL);
	do
		w = waitpid(hr->pid, &status, 0);
	while (w == -1 && errno == EINTR);
	if (w == -1)
		log_warn("hook %s: waitpid %s", hr->cur->what, hr->cur->script);
	else {
		report(hr, hook_exec_error(hr->errfd), status);
		hr->errfd = -1;
	}
	finish(hr);
}

/* Arms the timeout and the exit watch; -1 if neither kind of watch could
 * be set up. */
static int
watch(struct hook_runner *hr)
{
	const struct timeval timeout = { (time_t)hr->timeout_sec, 0 };
	const struct timeval every = { 0, HOOK_POLL_MS * 1000 };

	if (evtimer_add(hr->timer_ev, &timeout) == -1)
		return -1;
	if (!hr->no_pidfd) {
		hr->pidfd = pidfd_open(hr->pid, 0);
		if (hr->pidfd == -1 && errno == ENOSYS) {
			hr->no_pidfd = true;
			log_debug("hook: no pidfd_open: polling for the exit "
			    "of hook scripts every %d ms", HOOK_POLL_MS);
		} else if (hr->pidfd == -1)
			log_warn("hook %s: pidfd_open (polling instead)",
			    hr->cur->what);
	}
	if (hr->pidfd != -1) {
		hr->exit_ev = event_new(hr->base, hr->pidfd,
		    EV_READ | EV_PERSIST, exit_cb, hr);
		if (hr->exit_ev != NULL && event_add(hr->exit_ev, NULL) == 0)
			return 0;
		if (hr->exit_ev != NULL)
			event_free(hr->exit_ev);
		hr->exit_ev = NULL;
		close(hr->pidfd);
		hr->pidfd = -1;
	}
	hr->exit_ev = event_new(hr->base, -1, EV_PERSIST, exit_cb, hr);
	if (hr->exit_ev != NULL && event_add(hr->exit_ev, &every) == 0)
		return 0;
	return -1;
}

/* Starts j; -1 if it was skipped (logged), and j is then the caller's. */
static int
start(struct hook_runner *hr, struct hook_job *j)
{
	if (script_ok(j) == -1)
		return -1;
	hr->pid = hook_spawn(j->script, j->envp, true, &hr->errfd);
	if (hr->pid == -1) {
		log_warnx("hook %s: %s not run", j->what, j->script);
		return -1;
	}
	hr->cur = j;
	log_debug("hook %s: running %s (pid %ld)", j->what, j->script,
	    (long)hr->pid);
	if (watch(hr) == -1) {
		/* Unwatched, it could hang unnoticed and its zombie stay. */
		log_warnx("hook %s: cannot watch %s: stopping it", j->what,
		    j->script);
		stop(hr);
		return 0;
	}
	return 0;
}

static void
start_next(struct hook_runner *hr)
{
	struct hook_job *j;

	while (hr->cur == NULL && hr->head != NULL) {
		j = hr->head;
		if ((hr->head = j->next) == NULL)
			hr->tailp = &hr->head;
		j->next = NULL;
		if (start(hr, j) == -1) {
			job_free(j);
			hr->n--;
		}
	}
}

struct hook_runner *
hook_runner_new(struct event_base *base, unsigned timeout_sec)
{
	struct hook_runner *hr;

	if (base == NULL || timeout_sec == 0) {
		log_warnx("hook runner: %s", base == NULL ? "no event base" :
		    "a timeout of 0 s");
		errno = EINVAL;
		return NULL;
	}
	if ((hr = calloc(1, sizeof(*hr))) == NULL) {
		log_warn("hook runner");
		return NULL;
	}
	hr->base = base;
	hr->timeout_sec = timeout_sec;
	hr->tailp = &hr->head;
	hr->pid = -1;
	hr->errfd = hr->pidfd = -1;
	if ((hr->timer_ev = evtimer_new(base, timer_cb, hr)) == NULL) {
		log_warnx("hook runner: timer");
		free(hr);
		return NULL;
	}
	return hr;
}

int
hook_runner_run(struct hook_runner *hr, const char *script,
    char *const envp[], const char *what)
{
	struct hook_job *j;

	if (what == NULL)
		what = "script";
	if (script == NULL || script[0] != '/') {
		log_warnx("hook %s: script path must be absolute: %s", what,
		    script != NULL ? script : "(null)");
		errno = EINVAL;
		return -1;
	}
	if (hr->n >= HOOK_RUNNER_MAX) {
		log_warnx("hook %s: %s not queued: %d hook scripts already "
		    "queued", what, script, HOOK_RUNNER_MAX);
		errno = ENOSPC;
		return -1;
	}
	if ((j = job_new(script, envp, what)) == NULL) {
		log_warn("hook %s: %s not queued", what, script);
		return -1;
	}
	*hr->tailp = j;
	hr->tailp = &j->next;
	hr->n++;
	start_next(hr);
	return 0;
}

size_t
hook_runner_pending(const struct hook_runner *hr)
{
	return hr->n;
}

void
hook_runner_free(struct hook_runner *hr)
{
	struct hook_job *j;
	size_t dropped = 0;

	if (hr == NULL)
		return;
	if (hr->cur != NULL) {
		log_warnx("hook %s: stopping %s", hr->cur->what,
		    hr->cur->script);
		stop(hr);
	}
	while ((j = hr->head) != NULL) {
		hr->head = j->next;
		job_free(j);
		dropped++;
	}
	if (dropped > 0)
		log_info("hook: %zu queued script%s dropped", dropped,
		    dropped == 1 ? "" : "s");
	event_free(hr->timer_ev);
	free(hr);
}
