/* Bursts of replayed and forged ESP, summed up: every DROP_REPORT_SEC
 * each peer whose replay or authentication drops moved gets one warning
 * with the counts of the interval. The per-packet messages are debug
 * and rate-limited; an attack or a broken peer should still be seen at
 * the default level, without a line per packet. Nothing when quiet. */
#include "src/control/control.h"

#include <event2/event.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define DROP_REPORT_SEC   10
/* Peers named per interval; the rest are summed in one line, so that a
 * flood across ten thousand peers is a few lines, not ten thousand. */
#define DROP_REPORT_PEERS 16

struct drop_report {
	struct event *ev;
	uint64_t     *seen;     /* per peer: replay, auth at the last look */
};

/* "1234 packets dropped as replays, 5 failed authentication". */
static void
report(const char *who, uint64_t replay, uint64_t auth)
{
	char r[64] = "", a[64] = "";

	if (replay != 0)
		snprintf(r, sizeof(r), "%" PRIu64 " packet%s dropped as %s",
		    replay, replay == 1 ? "" : "s",
		    replay == 1 ? "a replay" : "replays");
	if (auth != 0)
		snprintf(a, sizeof(a), "%" PRIu64 "%s failed authentication",
		    auth, replay != 0 ? "" : auth == 1 ? " packet" :
		    " packets");
	log_warnx("%s: %s%s%s in the last %d s", who, r,
	    replay != 0 && auth != 0 ? ", " : "", a, DROP_REPORT_SEC);
}

void
drop_report_tick(struct engine *e)
{
	struct drop_report *d = e->drop_report;
	uint64_t replay, auth, rest_replay = 0, rest_auth = 0;
	size_t i, named = 0, rest = 0;
	char who[CONF_NAME_MAX + 8];

	for (i = 0; i < e->npeers; i++) {
		const struct peer_stats *st = &e->peers[i].st;

		replay = st->drops[ESP_DROP_REPLAY] - d->seen[2 * i];
		auth = st->drops[ESP_DROP_AUTH] - d->seen[2 * i + 1];
		d->seen[2 * i] = st->drops[ESP_DROP_REPLAY];
		d->seen[2 * i + 1] = st->drops[ESP_DROP_AUTH];
		if (replay == 0 && auth == 0)
			continue;
		if (named == DROP_REPORT_PEERS) {
			rest++;
			rest_replay += replay;
			rest_auth += auth;
			continue;
		}
		named++;
		snprintf(who, sizeof(who), "peer %s", e->peers[i].conf->name);
		report(who, replay, auth);
	}
	if (rest != 0) {
		snprintf(who, sizeof(who), "%zu more peer%s", rest,
		    rest == 1 ? "" : "s");
		report(who, rest_replay, rest_auth);
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drop_report_tick(arg);
}

int
drop_report_start(struct engine *e)
{
	struct timeval every = { DROP_REPORT_SEC, 0 };
	struct drop_report *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -1;
	e->drop_report = d;
	if (e->npeers != 0 &&
	    (d->seen = calloc(e->npeers, 2 * sizeof(*d->seen))) == NULL)
		return -1;
	d->ev = event_new(e->base, -1, EV_PERSIST, tick_cb, e);
	if (d->ev == NULL || event_add(d->ev, &every) == -1)
		return -1;
	return 0;
}

void
drop_report_stop(struct engine *e)
{
	struct drop_report *d = e->drop_report;

	if (d == NULL)
		return;
	if (d->ev != NULL)
		event_free(d->ev);
	free(d->seen);
	free(d);
	e->drop_report = NULL;
}
