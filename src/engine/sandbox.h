/* The packet process's confinement (privsep.h): an unprivileged user
 * without capabilities, then NoNewPrivs and a seccomp filter that lets
 * through only the system calls the data path, the control socket, the
 * state file and the monitor make. Anything else kills the process with
 * SIGSYS, after a line on stderr naming the call. */
#ifndef VPNTUND_ENGINE_SANDBOX_H
#define VPNTUND_ENGINE_SANDBOX_H

#include <sys/types.h>

/* Becomes uid/gid with no supplementary groups and empties every
 * capability set, the bounding and ambient sets included; checks that
 * it stuck and that root cannot be had back. 0, or -1 (logged). */
int sandbox_drop_user(uid_t uid, gid_t gid);

/* Sets NoNewPrivs and loads the filter, for every thread the process
 * has or makes. 0, or -1 (logged). */
int sandbox_enter(void);

#endif
