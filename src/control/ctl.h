/* The control socket: a UNIX stream socket, mode 0600, owned by root.
 * A client sends one line ("status" or "status json") and reads the answer
 * until the daemon closes the connection. */
#ifndef VPNTUND_CTL_H
#define VPNTUND_CTL_H

#include <stddef.h>

struct event_base;
struct evbuffer;
struct ctl;

/* Renders the answer to `cmd` (without the newline) into out. Returns 0,
 * or -1 for an unknown command (the server answers "error: ..."). */
typedef int (*ctl_handler)(const char *cmd, struct evbuffer *out, void *arg);

/* Binds path (removing a stale socket; refusing if another daemon answers
 * on it), creates the parent directory (0700) if needed. NULL on error. */
struct ctl *ctl_open(struct event_base *base, const char *path,
    ctl_handler handler, void *arg);
/* Stops listening and unlinks the socket. */
void ctl_close(struct ctl *c);
/* ctl_close() will leave the socket's path alone: another process (the
 * privileged parent) removes it. */
void ctl_disown_path(struct ctl *c);

#endif
