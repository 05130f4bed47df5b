/* Between the two halves of privsep (privsep.c, privsep_parent.c). */
#ifndef VPNTUND_ENGINE_PRIVSEP_INT_H
#define VPNTUND_ENGINE_PRIVSEP_INT_H

#include <signal.h>
#include <sys/types.h>

struct engine;

/* SIGTERM, SIGINT, SIGHUP: blocked across the split. */
void privsep_stop_signals(sigset_t *set);

/* The parent's life after the split: serves child (over fd) until it is
 * gone, then undoes what needs root and frees e. mask is the signal mask
 * to restore once its handlers are in place. Returns the exit status for
 * the parent. */
int privsep_parent_run(struct engine *e, pid_t child, int fd,
    const sigset_t *mask);

#endif
