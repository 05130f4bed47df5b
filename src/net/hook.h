/* up/down hook scripts (the paper's shell-escape idea, as in ISC dhclient).
 * The script runs with a clean environment documented in docs/site.conf.5.md:
 * VPNTUND_EVENT (up|down), VPNTUND_SITE, VPNTUND_TUN, VPNTUND_MTU,
 * VPNTUND_ADDRESSES, VPNTUND_ROUTES (space-separated prefixes), PATH.
 * Scripts run from inside the event loop go through hook_runner.h. */
#ifndef VPNTUND_HOOK_H
#define VPNTUND_HOOK_H

#include <stdbool.h>
#include <sys/types.h>

/* envp is NULL-terminated "KEY=value"; waits for the script; returns its
 * exit status, or -1 if it could not run. */
int hook_run(const char *script, char *const envp[]);

/* Forks script with exactly envp (NULL: an empty environment), stdin from
 * /dev/null, default signal dispositions and an empty signal mask; with
 * own_pgrp, in a process group of its own whose id is the pid. Returns the
 * pid and in *errfd the read end of a close-on-exec pipe for
 * hook_exec_error(); -1 (logged) if it could not fork. */
pid_t hook_spawn(const char *script, char *const envp[], bool own_pgrp,
    int *errfd);
/* Reads and closes errfd from hook_spawn(): 0 if the child's execve
 * succeeded, else the errno it failed with. Blocks until the child has
 * exec'd or exited, so it does not block once the child is reaped. */
int hook_exec_error(int errfd);

#endif
