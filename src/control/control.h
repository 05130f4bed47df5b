/* What the control side answers: the control socket's status, rules and
 * bridge commands, and the hints file that speeds up a restart. */
#ifndef VPNTUND_CONTROL_H
#define VPNTUND_CONTROL_H

#include "src/engine/engine_internal.h"

/* hints.c: where dynamic peers were last heard, <state-file>.peers. */
void hints_read(struct engine *e);
void hints_write(struct engine *e);

/* drop_report.c: every 10 s, a warning per peer whose replay or
 * authentication drops moved, with the interval's counts (a timer made
 * by drop_report_start in engine_start). drop_report_tick is one look. */
int  drop_report_start(struct engine *e);
void drop_report_tick(struct engine *e);
void drop_report_stop(struct engine *e);

/* status.c */
int  status_handler(const char *cmd, struct evbuffer *out, void *arg);
/* The answer of a JSON command: buf (freed) and a newline, or an error
 * line naming what did not fit. */
void status_json_send(const struct json *j, char *buf, struct evbuffer *out,
    const char *what);
/* rules_status.c: "rules" and "rules json". */
int  rules_text(struct engine *e, struct evbuffer *out);
int  rules_json(struct engine *e, struct evbuffer *out);
/* outer_status.c: the outer sockets' costs and offloads. */
void outer_json(struct json *j, const struct engine *e);
void outer_text(const struct engine *e, struct evbuffer *out);
/* bridge_status.c */
void bridge_json_site(struct json *j, const struct engine *e);
void bridge_json_peer(struct json *j, const struct peer *p);
void bridge_text_site(const struct engine *e, struct evbuffer *out);
void bridge_text_peer(const struct peer *p, struct evbuffer *out);
int  bridge_table_text(struct engine *e, struct evbuffer *out);
int  bridge_table_json(struct engine *e, struct evbuffer *out);

#endif
