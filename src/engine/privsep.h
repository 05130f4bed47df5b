/* Privilege separation, in the manner of OpenBSD's daemons. With `user`
 * in the site block, the started engine splits in two:
 *
 *  - the packet process (the child) keeps the devices, the sockets and the
 *    keys, and runs the data path and the control socket as that user,
 *    with no capabilities, with NoNewPrivs and under a seccomp filter
 *    (sandbox.h);
 *  - the privileged parent keeps root and the tun device open, wipes the
 *    keys, and does only what needs root after start-up: it runs the
 *    peer-up and peer-down hooks, opens for a reload the files the
 *    start-up read, and when the child is gone runs the down hook,
 *    removes the routes and the control socket. It reads nothing from
 *    the network.
 *
 * They talk over a socketpair of fixed-size messages (privsep_msg.h):
 * the child asks, the parent checks every field and answers only opens. */
#ifndef VPNTUND_ENGINE_PRIVSEP_H
#define VPNTUND_ENGINE_PRIVSEP_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct engine;

/* Before anything starts, with a user: whether the packet process will be
 * able to write what it must (the state file's directory, with manual
 * SAs). 0, or -1 (logged). */
int  privsep_check(const struct config *cf);

/* Splits a started engine, when its site names a user. Returns 0 in the
 * process that goes on to engine_run() (the sandboxed child, or the only
 * process without a user), -1 (logged) if it could not split or drop,
 * nothing being left running but the caller's engine. In the parent it
 * returns 1 once the child is gone and everything is undone, the engine
 * freed, with *status the exit status for the parent. */
int  privsep_split(struct engine *e, int *status);

/* In the packet process: asks the parent to queue peer i's peer-up (up)
 * or peer-down hook; endpoint as text ("" for none). */
void privsep_peer_hook(struct engine *e, size_t i, bool up,
    const char *endpoint);

#endif
