/* Hook scripts run from inside the event loop (peer-up, peer-down): one at
 * a time, in the order queued, without blocking the loop, each in a
 * process group of its own so that a timeout stops what it started too.
 * The environment and checks are those of hook.h. */
#ifndef VPNTUND_HOOK_RUNNER_H
#define VPNTUND_HOOK_RUNNER_H

#include <stddef.h>

/* Entries (queued or running) beyond which hook_runner_run refuses. */
#define HOOK_RUNNER_MAX 64

struct event_base;
struct hook_runner;

/* Runs hook scripts one at a time, in the order queued, without blocking
 * the loop. timeout_sec must be at least 1. NULL (logged) on failure. */
struct hook_runner *hook_runner_new(struct event_base *base,
    unsigned timeout_sec);

/* Queues script (an absolute path) with envp (NULL-terminated
 * "KEY=value", NULL for none; copied: the caller may free its strings at
 * once). what names the event in logs ("peer-up physician1"). Just before
 * it runs, the script must still be a regular executable file owned by
 * root or the effective uid and not writable by group or others; if not,
 * it is logged and skipped and the queue goes on. A script still running
 * timeout_sec after it started gets SIGTERM, and SIGKILL one second later
 * if it is still there (both to its process group, both logged with the
 * script and what). Its exit is logged: 0 at info, a failure at warning.
 * Returns 0 if queued; -1 (logged) if the queue already holds
 * HOOK_RUNNER_MAX entries, the new one being refused, or on a bad path or
 * no memory. */
int hook_runner_run(struct hook_runner *hr, const char *script,
    char *const envp[], const char *what);

/* Entries queued or running. */
size_t hook_runner_pending(const struct hook_runner *hr);

/* Stops a running script (SIGKILL to its group, reaped), drops the queue,
 * frees. Call it before freeing the event base. */
void hook_runner_free(struct hook_runner *hr);

#endif
