/* One conversation with vpntund's control socket, for vpntunctl and its
 * top: a command line out, the answer back until the daemon closes, all
 * within one deadline. */
#ifndef VPNTUND_CTL_CLIENT_H
#define VPNTUND_CTL_CLIENT_H

#include <stddef.h>

enum ctl_stage { CTL_CONNECT, CTL_SEND, CTL_RECEIVE };

/* Sends line to the daemon at path and returns its whole answer,
 * NUL-terminated (malloc'd; *len bytes without the NUL), at most max
 * bytes, within timeout_ms for the whole conversation. NULL with errno
 * set (ETIMEDOUT, EMSGSIZE, ...) and *stage saying where it failed. */
char *ctl_ask(const char *path, const char *line, int timeout_ms, size_t max,
    size_t *len, enum ctl_stage *stage);

#endif
