/* The daemon's engine: everything between tun(4) and the outer sockets.
 * Life cycle, called from src/vpntund.c:
 *
 *   engine_new()    checks and prepares everything that needs no device
 *                   (state file, SAs, SPI table, buffers, event base);
 *   engine_start()  control socket, outer sockets, tun, addresses, MTU,
 *                   routes, `up` hook;
 *   engine_run()    the event loop, until SIGTERM or SIGINT;
 *   engine_free()   `down` hook, routes removed, devices closed, keys wiped.
 *
 * A failure anywhere leaves nothing half-started: engine_free() undoes
 * exactly what was done. */
#ifndef VPNTUND_ENGINE_H
#define VPNTUND_ENGINE_H

#include "conf/config.h"

struct engine;

/* Takes ownership of cf (freed, keys wiped, by engine_free). NULL on error
 * (logged); cf is then still the caller's. */
struct engine *engine_new(struct config *cf);
int  engine_start(struct engine *e);
/* Call in the child after fork()/daemon(): re-arms the event base. */
int  engine_after_fork(struct engine *e);
int  engine_run(struct engine *e);
void engine_free(struct engine *e);

/* Logs a warning for each peer whose suite has no integrity protection
 * (CBC with auth none). Used by the daemon and by `vpntund -n`. */
void engine_warn_config(const struct config *cf);
/* The checks of engine_new that need no device, file or key: sizes
 * derived from the peers' suites (the tap's MTU). -1 if one fails
 * (logged as file:line: ...). For `vpntund -n`; engine_new makes them
 * too. */
int  engine_check_config(const struct config *cf);

#endif
