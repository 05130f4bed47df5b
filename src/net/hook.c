/* Hook scripts: fork, exec with exactly the given environment, wait. A
 * close-on-exec pipe tells the parent whether execve itself failed, so
 * "could not run" (-1) is not confused with a script exiting 127. */
#include "src/net/hook.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Only async-signal-safe calls: the parent may have threads. */
static void __attribute__((noreturn))
hook_child(const char *script, char *const envp[], bool own_pgrp, int errfd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	char *argv[2];
	sigset_t none;
	int fd, e, sig;

	/* A timeout signals the whole group, so that what the script
	 * starts goes with it. */
	if (own_pgrp)
		(void)setpgid(0, 0);
	/* A shell script expects the defaults, but ignored signals (the
	 * daemon's SIGPIPE, whatever started it ignored) survive execve, and
	 * until execve a signal would run libevent's handler, which tells
	 * the daemon's loop. SIGKILL, SIGSTOP and libc's own refuse, which
	 * is harmless. */
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd == -1 || dup2(fd, STDIN_FILENO) == -1)
		goto fail;
	if (fd != STDIN_FILENO)
		close(fd);
	argv[0] = (char *)script;
	argv[1] = NULL;
	execve(script, argv, envp);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

pid_t
hook_spawn(const char *script, char *const envp[], bool own_pgrp, int *errfd)
{
	char *const empty[] = { NULL };
	pid_t pid;
	int pfd[2];

	if (envp == NULL)
		envp = empty;
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		log_warn("hook: pipe");
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_warn("hook: fork");
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		hook_child(script, envp, own_pgrp, pfd[1]);
	}
	close(pfd[1]);
	/* Here too (as shells do), so the group exists before we may signal
	 * it, whichever of us runs first. Fails once the child has exec'd,
	 * by which time it has done it itself. */
	if (own_pgrp)
		(void)setpgid(pid, pid);
	*errfd = pfd[0];
	return pid;
}

int
hook_exec_error(int errfd)
{
	ssize_t n;
	int childerr;

	/* EOF (0 bytes) means execve succeeded and closed the pipe. */
	do
		n = read(errfd, &childerr, sizeof(childerr));
	while (n == -1 && errno == EINTR);
	close(errfd);
	return n == (ssize_t)sizeof(childerr) ? childerr : 0;
}

int
hook_run(const char *script, char *const envp[])
{
	struct stat st;
	pid_t pid, w;
	int errfd, status, childerr;

	if (script == NULL || script[0] != '/') {
		log_warnx("hook: script path must be absolute: %s",
		    script ? script : "(null)");
		errno = EINVAL;
		return -1;
	}
	if (stat(script, &st) == -1) {
		log_warn("hook: %s", script);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("hook: %s: not a regular file", script);
		errno = EACCES;
		return -1;
	}
	if ((pid = hook_spawn(script, envp, false, &errfd)) == -1)
		return -1;
	childerr = hook_exec_error(errfd);
	do
		w = waitpid(pid, &status, 0);
	while (w == -1 && errno == EINTR);
	if (w == -1) {
		log_warn("hook: waitpid %s", script);
		return -1;
	}
	if (childerr != 0) {
		errno = childerr;
		log_warn("hook: cannot run %s", script);
		return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		/* Report like a shell does, so it is still a failure. */
		log_warnx("hook: %s killed by signal %d", script,
		    WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	log_warnx("hook: %s: unexpected wait status %d", script, status);
	return -1;
}
