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

#include <stdbool.h>

#include "conf/config.h"

struct engine;
struct dev_ops;

/* `vpntund -R`: manual SAs without marks in the state file may start
 * (their first start, or new keys on both ends). Without it such an SA
 * stops the start: it cannot tell what it sent and received before.
 * Call before engine_new. */
void engine_set_fresh_state(bool fresh);
/* Takes ownership of cf (freed, keys wiped, by engine_free). NULL on error
 * (logged); cf is then still the caller's. */
struct engine *engine_new(struct config *cf);
int  engine_start(struct engine *e);
/* The devices' implementation (src/net/dev.h): dev_ops_kernel unless
 * this is called, between engine_new and engine_start; tests pass
 * dev_ops_double and its struct dev_double as arg. */
void engine_set_dev_ops(struct engine *e, const struct dev_ops *ops,
    void *arg);
/* Call in the child after fork()/daemon(): re-arms the event base. */
int  engine_after_fork(struct engine *e);
int  engine_run(struct engine *e);
void engine_free(struct engine *e);

/* How a reload reads the configuration again: as the daemon read it at
 * start (the same path, relative paths resolved against the same
 * directory). 0, or -1 with err set and nothing allocated. */
typedef int (*engine_loader)(struct config *cf, struct conf_error *err,
    void *arg);
void engine_set_loader(struct engine *e, engine_loader load, void *arg);
/* SIGHUP and `vpntunctl reload` (src/control/reload.c): reads the
 * configuration again and applies its rules, meters and qos block, or
 * refuses it whole (config_reload_check) and changes nothing. msg gets
 * the answer, "reloaded: ..." or the reason. 0 or -1. */
int  engine_reload(struct engine *e, char *msg, size_t len);

/* The checks of engine_new that need no device, file or key: sizes
 * derived from the peers' suites (the tap's MTU). -1 if one fails
 * (logged as file:line: ...). For `vpntund -n`; engine_new makes them
 * too. */
int  engine_check_config(const struct config *cf);

#endif
