/* The HTTP status server of `monitor` (vpntund(8), MONITORING): a page,
 * /status.json, /bridge.json and /metrics, read-only. Its socket is
 * opened at start, before the daemon gives up its privileges; at run time
 * it only accepts, reads and writes. */
#ifndef VPNTUND_MONITOR_H
#define VPNTUND_MONITOR_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct evbuffer;

/* Listens where site.conf says, if it says so. 0, or -1 (logged). */
int  monitor_start(struct engine *e);
void monitor_stop(struct engine *e);

/* metrics.c: the Prometheus text format 0.0.4 of the engine's counters. */
int  metrics_write(struct engine *e, struct evbuffer *out);

/* prom_text.c: the format's pieces, a family (its HELP and TYPE lines)
 * and then its samples, each with its labels. */
struct prom_label {
	const char *name;
	const char *value;
};

void prom_family(struct evbuffer *out, const char *name, const char *type,
    const char *help);
void prom_sample(struct evbuffer *out, const char *name,
    const struct prom_label *labels, size_t nlabels, uint64_t value);
void prom_sample_f(struct evbuffer *out, const char *name,
    const struct prom_label *labels, size_t nlabels, double value);

/* monitor_page.c, made at build time from monitor_page.{html,js,css}. */
struct monitor_asset {
	const char          *path;
	const char          *type;
	const unsigned char *data;
	size_t               len;
};
extern const struct monitor_asset monitor_assets[];
extern const size_t monitor_nassets;

#endif
