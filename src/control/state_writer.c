/* The writer: writes the marks the packet path asked for (every entry,
 * one file) and only then publishes them as durable. A failed write is
 * retried after 1 s, then 2, 4, ... up to 30 s, and logged at most once
 * per STATE_ERRLOG_SEC: a full disk must neither spin nor flood the log. */
#include "src/control/state_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   30000

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
health_update(struct state *st, bool ok, const char *err)
{
	pthread_mutex_lock(&st->mu);
	if (ok) {
		st->writes++;
		st->last_ok = time(NULL);
	} else {
		st->errors++;
		st->last_error = time(NULL);
		snprintf(st->error, sizeof(st->error), "%s", err);
	}
	pthread_mutex_unlock(&st->mu);
}

/* The marks to write, under st->mu: entries may be added meanwhile. */
static int
snapshot(struct state *st, bool final, size_t *np, bool *dirty)
{
	struct state_rec *recs;
	struct state_sa *sa;
	size_t i, cap;

	*dirty = false;
	pthread_mutex_lock(&st->mu);
	if (st->n > st->snapcap) {
		cap = st->n + st->n / 2;
		if ((recs = reallocarray(st->snap, cap, sizeof(*recs))) ==
		    NULL) {
			pthread_mutex_unlock(&st->mu);
			return -1;
		}
		st->snap = recs;
		st->snapcap = cap;
	}
	for (i = 0; i < st->n; i++) {
		sa = state_entry(st, i);
		st->snap[i].sa = sa;
		st->snap[i].mark = atomic_load_explicit(&sa->wanted,
		    memory_order_acquire);
		if (st->snap[i].mark > atomic_load_explicit(&sa->durable,
		    memory_order_relaxed))
			*dirty = true;
		if (final && sa->has_final)
			st->snap[i].mark = sa->final;
	}
	*np = st->n;
	pthread_mutex_unlock(&st->mu);
	return 0;
}

int
state_flush(struct state *st, bool force, bool final, char *err,
    size_t errlen)
{
	struct state_rec *r;
	size_t n, i;
	bool dirty;
	int rc = 1;

	pthread_mutex_lock(&st->io);
	if (snapshot(st, final, &n, &dirty) == -1) {
		snprintf(err, errlen, "%s: %s", st->path, strerror(errno));
		rc = -1;
	} else if (!force && !dirty)
		rc = 0;
	else if (state_file_write(st, st->snap, n, err, errlen) == -1)
		rc = -1;
	else if (!final) {
		for (i = 0; i < n; i++) {
			r = &st->snap[i];
			if (r->mark > atomic_load_explicit(&r->sa->durable,
			    memory_order_relaxed))
				atomic_store_explicit(&r->sa->durable, r->mark,
				    memory_order_release);
		}
	}
	if (rc != 0)
		health_update(st, rc == 1, err);
	pthread_mutex_unlock(&st->io);
	return rc;
}

bool
state_errlog_take(struct state_errlog *l, long long now, uint64_t *unlogged)
{
	if (l->logged && now - l->last < STATE_ERRLOG_SEC) {
		l->unlogged++;
		return false;
	}
	*unlogged = l->unlogged;
	l->unlogged = 0;
	l->last = now;
	l->logged = true;
	return true;
}

static void
log_failure(struct state *st, const char *err, long long backoff_ms)
{
	uint64_t unlogged;

	if (!state_errlog_take(&st->errlog, mono_ms() / 1000, &unlogged))
		return;
	st->errlog.told = true;
	if (unlogged > 0)
		log_warnx("state file: %s; retrying in %lld s (%llu failed "
		    "writes since the last message not logged)", err,
		    backoff_ms / 1000, (unsigned long long)unlogged);
	else
		log_warnx("state file: %s; retrying in %lld s", err,
		    backoff_ms / 1000);
}

/* Only after a failure was logged, so that a flapping disk still gets at
 * most two lines per STATE_ERRLOG_SEC. */
static void
log_recovery(struct state *st, uint64_t failed)
{
	if (!st->errlog.told)
		return;
	log_info("state file %s written again after %llu failed writes "
	    "(%llu not logged)", st->path, (unsigned long long)failed,
	    (unsigned long long)st->errlog.unlogged);
	st->errlog.unlogged = 0;
	st->errlog.told = false;
}

/* Until woken or timeout_ms (-1: no timeout) passed. */
static void
wait_for(struct state *st, long long timeout_ms)
{
	struct pollfd pfd = { .fd = st->efd, .events = POLLIN };
	eventfd_t v;

	if (poll(&pfd, 1, (int)timeout_ms) > 0)
		(void)eventfd_read(st->efd, &v);
}

static void *
writer_main(void *arg)
{
	struct state *st = arg;
	char err[STATE_ERR_MAX];
	long long backoff = 0, next = 0, now;
	uint64_t failed = 0;

	while (!atomic_load(&st->stop)) {
		now = mono_ms();
		/* Requests during the back-off wait for it: the next write
		 * takes them all. */
		if (backoff > 0 && now < next) {
			wait_for(st, next - now);
			continue;
		}
		switch (state_flush(st, false, false, err, sizeof(err))) {
		case -1:
			failed++;
			backoff = backoff == 0 ? BACKOFF_FIRST_MS :
			    backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			    backoff * 2;
			next = mono_ms() + backoff;
			log_failure(st, err, backoff);
			continue;
		case 1:
			if (failed > 0)
				log_recovery(st, failed);
			failed = 0;
			backoff = 0;
			break;
		}
		wait_for(st, -1);
	}
	return NULL;
}

int
state_writer_start(struct state *st, uint64_t ahead)
{
	sigset_t all, old;
	int rc;

	if (ahead < 2 || st->ahead != 0) {
		log_warnx("state file %s: writer %s", st->path, ahead < 2 ?
		    "needs to reserve at least 2 ahead" : "already running");
		return -1;
	}
	if ((st->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("state file %s: eventfd", st->path);
		return -1;
	}
	atomic_store(&st->stop, false);
	/* Signals belong to the event loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&st->thread, NULL, writer_main, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		log_warn("state file %s: writer thread", st->path);
		close(st->efd);
		st->efd = -1;
		return -1;
	}
	st->ahead = ahead;
	return 0;
}

void
state_writer_stop(struct state *st)
{
	if (st->ahead == 0)
		return;
	atomic_store(&st->stop, true);
	(void)eventfd_write(st->efd, 1);
	pthread_join(st->thread, NULL);
	st->ahead = 0;
}
