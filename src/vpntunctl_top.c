/* vpntunctl top: asks the daemon for "metrics" (the Prometheus text of
 * /metrics, docs/vpntund.8.md) every -d seconds and shows per peer its
 * state, packets and bits per second each way and its drops, per QoS
 * class its rate, queue and delay. The text format needs no JSON parser:
 * a sample is one line, `name{label="value",...} value`. On a terminal
 * each frame replaces the last; otherwise frames follow each other, as
 * with top -b. */
#include "src/vpntunctl_top.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/ctl_client.h"

#define TOP_TIMEOUT_MS 5000
#define TOP_ANSWER_MAX (256UL * 1024 * 1024)
#define TOP_NAME_MAX   256      /* above site.conf's names */
#define TOP_LABEL_MAX  TOP_NAME_MAX

struct top_peer {
	char     name[TOP_NAME_MAX];
	char     state[8];
	double   packets[2], bytes[2];      /* in, out */
	double   drops;
};

struct top_class {
	char     name[TOP_NAME_MAX];
	double   rate;                      /* bytes/s */
	double   qlen, qdelay, drops;
};

struct top_frame {
	char              site[TOP_NAME_MAX];
	double            uptime;
	double            t;                /* monotonic seconds */
	struct top_peer  *peers;
	size_t            npeers, peers_cap, peer_hint;
	struct top_class *classes;
	size_t            nclasses, classes_cap, class_hint;
};

/* The labels of a sample that top reads. */
struct top_labels {
	char peer[TOP_LABEL_MAX], cls[TOP_LABEL_MAX], site[TOP_LABEL_MAX];
	char direction[8], state[8];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A label's value, unescaped (\\, \", \n), into out; returns where the
 * closing quote is, or NULL. */
static const char *
label_value(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s != '\0' && *s != '"'; s++) {
		char c = *s;

		if (c == '\\') {
			if (*++s == '\0')
				return NULL;
			c = *s == 'n' ? '\n' : *s;
		}
		if (n + 1 < len)
			out[n++] = c;
	}
	if (len > 0)
		out[n] = '\0';
	return *s == '"' ? s : NULL;
}

static int
parse_labels(const char *s, const char *end, struct top_labels *l)
{
	char name[32], scratch[TOP_LABEL_MAX];
	size_t n;

	memset(l, 0, sizeof(*l));
	while (s < end && *s != '}') {
		n = strcspn(s, "=");
		if (s + n >= end || n >= sizeof(name) || s[n + 1] != '"')
			return -1;
		memcpy(name, s, n);
		name[n] = '\0';
		s += n + 2;
		if (strcmp(name, "peer") == 0)
			s = label_value(s, l->peer, sizeof(l->peer));
		else if (strcmp(name, "class") == 0)
			s = label_value(s, l->cls, sizeof(l->cls));
		else if (strcmp(name, "site") == 0)
			s = label_value(s, l->site, sizeof(l->site));
		else if (strcmp(name, "direction") == 0)
			s = label_value(s, l->direction, sizeof(l->direction));
		else if (strcmp(name, "state") == 0)
			s = label_value(s, l->state, sizeof(l->state));
		else
			s = label_value(s, scratch, sizeof(scratch));
		if (s == NULL)
			return -1;
		s++;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* The row of name: families list the peers (classes) in one order, so
 * the row after the last one found is nearly always it. */
static void *
row(void **rows, size_t *n, size_t *cap, size_t *hint, size_t size,
    const char *name)
{
	char *base = *rows, *nb;
	size_t i;

	for (i = 0; i < *n; i++) {
		size_t k = (*hint + i) % *n;

		if (strcmp(base + k * size, name) == 0) {
			*hint = k + 1;
			return base + k * size;
		}
	}
	if (*n == *cap) {
		*cap = *cap == 0 ? 16 : *cap * 2;
		if ((nb = realloc(base, *cap * size)) == NULL)
			return NULL;
		*rows = base = nb;
	}
	memset(base + *n * size, 0, size);
	snprintf(base + *n * size, TOP_NAME_MAX, "%s", name);
	*hint = ++*n;
	return base + (*n - 1) * size;
}

static struct top_peer *
peer_row(struct top_frame *f, const char *name)
{
	return row((void **)&f->peers, &f->npeers, &f->peers_cap,
	    &f->peer_hint, sizeof(struct top_peer), name);
}

static struct top_class *
class_row(struct top_frame *f, const char *name)
{
	return row((void **)&f->classes, &f->nclasses, &f->classes_cap,
	    &f->class_hint, sizeof(struct top_class), name);
}

static int
take_sample(struct top_frame *f, const char *name,
    const struct top_labels *l, double v)
{
	int dir = strcmp(l->direction, "out") == 0;
	struct top_peer *p;
	struct top_class *c;

	if (strcmp(name, "vpntund_info") == 0) {
		snprintf(f->site, sizeof(f->site), "%s", l->site);
		return 0;
	}
	if (strcmp(name, "vpntund_uptime_seconds") == 0) {
		f->uptime = v;
		return 0;
	}
	if (strncmp(name, "vpntund_peer_", 13) == 0 && l->peer[0] != '\0' &&
	    strncmp(name, "vpntund_peer_bridge", 19) != 0) {
		if ((p = peer_row(f, l->peer)) == NULL)
			return -1;
		if (strcmp(name, "vpntund_peer_state") == 0 && v == 1)
			snprintf(p->state, sizeof(p->state), "%s", l->state);
		else if (strcmp(name, "vpntund_peer_packets_total") == 0)
			p->packets[dir] = v;
		else if (strcmp(name, "vpntund_peer_bytes_total") == 0)
			p->bytes[dir] = v;
		else if (strcmp(name, "vpntund_peer_drops_total") == 0)
			p->drops += v;
		return 0;
	}
	if (strncmp(name, "vpntund_qos_class_", 18) == 0 && l->cls[0] != '\0') {
		if ((c = class_row(f, l->cls)) == NULL)
			return -1;
		if (strcmp(name, "vpntund_qos_class_rate_bytes_per_second") == 0)
			c->rate = v;
		else if (strcmp(name, "vpntund_qos_class_queue_packets") == 0)
			c->qlen = v;
		else if (strcmp(name,
		    "vpntund_qos_class_queue_delay_seconds") == 0)
			c->qdelay = v;
		else if (strcmp(name, "vpntund_qos_class_drops_total") == 0)
			c->drops = v;
	}
	return 0;
}

static int
parse_metrics(char *text, struct top_frame *f)
{
	struct top_labels l;
	char *line, *save = NULL, *brace, *sp, *end;
	double v;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((sp = strrchr(line, ' ')) == NULL)
			return -1;
		*sp = '\0';
		v = strtod(sp + 1, &end);
		if (*end != '\0')
			return -1;
		memset(&l, 0, sizeof(l));
		if ((brace = strchr(line, '{')) != NULL) {
			*brace = '\0';
			if (parse_labels(brace + 1, sp, &l) == -1)
				return -1;
		}
		if (take_sample(f, line, &l, v) == -1)
			return -1;
	}
	return 0;
}

static void
frame_free(struct top_frame *f)
{
	free(f->peers);
	free(f->classes);
	memset(f, 0, sizeof(*f));
}

/* "12.3k": four significant figures at most, SI prefixes. */
static const char *
human(double v, char *buf, size_t len)
{
	static const char *const pfx[] = { "", "k", "M", "G", "T" };
	size_t i = 0;

	while (v >= 1000 && i < sizeof(pfx) / sizeof(pfx[0]) - 1) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, i == 0 ? "%.1f" : "%.1f%s", v, pfx[i]);
	return buf;
}

static const struct top_peer *
prev_peer(const struct top_frame *prev, size_t i, const char *name)
{
	size_t k;

	if (i < prev->npeers && strcmp(prev->peers[i].name, name) == 0)
		return &prev->peers[i];
	for (k = 0; k < prev->npeers; k++)
		if (strcmp(prev->peers[k].name, name) == 0)
			return &prev->peers[k];
	return NULL;
}

/* Per second since the last frame; "-" without one. */
static const char *
per_s(double now, double before, double dt, double scale, bool have,
    char *buf, size_t len)
{
	if (!have || dt <= 0 || now < before)
		return "-";
	return human((now - before) * scale / dt, buf, len);
}

static void
show(const struct top_frame *f, const struct top_frame *prev, bool tty)
{
	char a[5][32];
	double dt = prev != NULL ? f->t - prev->t : 0;
	size_t i;

	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("vpntund %s  up %.0fs  %zu peer%s  (every %s)\n\n", f->site,
	    f->uptime, f->npeers, f->npeers == 1 ? "" : "s",
	    prev != NULL ? human(dt, a[0], sizeof(a[0])) : "-");
	printf("%-16s %-6s %9s %9s %10s %10s %10s %8s\n", "PEER", "STATE",
	    "PKT/S-IN", "PKT/S-OUT", "BIT/S-IN", "BIT/S-OUT", "DROPS",
	    "DROPS/S");
	for (i = 0; i < f->npeers; i++) {
		const struct top_peer *p = &f->peers[i];
		const struct top_peer *q = prev != NULL ?
		    prev_peer(prev, i, p->name) : NULL;
		bool h = q != NULL;

		printf("%-16s %-6s %9s %9s %10s %10s %10.0f %8s\n", p->name,
		    p->state,
		    per_s(p->packets[0], h ? q->packets[0] : 0, dt, 1, h,
		    a[0], sizeof(a[0])),
		    per_s(p->packets[1], h ? q->packets[1] : 0, dt, 1, h,
		    a[1], sizeof(a[1])),
		    per_s(p->bytes[0], h ? q->bytes[0] : 0, dt, 8, h,
		    a[2], sizeof(a[2])),
		    per_s(p->bytes[1], h ? q->bytes[1] : 0, dt, 8, h,
		    a[3], sizeof(a[3])),
		    p->drops,
		    per_s(p->drops, h ? q->drops : 0, dt, 1, h,
		    a[4], sizeof(a[4])));
	}
	if (f->nclasses > 0) {
		printf("\n%-16s %10s %8s %10s %10s\n", "CLASS", "BIT/S",
		    "BACKLOG", "DELAY-MS", "DROPS");
		for (i = 0; i < f->nclasses; i++) {
			const struct top_class *c = &f->classes[i];

			printf("%-16s %10s %8.0f %10.0f %10.0f\n", c->name,
			    human(c->rate * 8, a[0], sizeof(a[0])), c->qlen,
			    c->qdelay * 1000, c->drops);
		}
	}
	if (!tty)
		putchar('\n');
	fflush(stdout);
}

static void
top_usage(FILE *fp)
{
	fprintf(fp, "usage: vpntunctl [-s socket] top [-d seconds] "
	    "[-n iterations]\n");
}

static void
sleep_until(double t)
{
	struct timespec ts;
	double left;

	while ((left = t - now_s()) > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		if (nanosleep(&ts, NULL) == 0)
			break;
	}
}

int
top_main(const char *sock, int argc, char **argv)
{
	struct top_frame cur, prev;
	bool have_prev = false, tty = isatty(STDOUT_FILENO);
	double delay = 1, next;
	long iterations = 0, i;
	enum ctl_stage stage;
	char *text, *end;
	size_t len;
	int ch;

	optind = 0;     /* glibc: start afresh after main's getopt */
	while ((ch = getopt(argc, argv, "+d:n:h")) != -1) {
		switch (ch) {
		case 'd':
			delay = strtod(optarg, &end);
			if (*end != '\0' || !(delay >= 0.1 && delay <= 3600)) {
				fprintf(stderr, "vpntunctl top: -d wants "
				    "seconds, 0.1..3600\n");
				return 2;
			}
			break;
		case 'n':
			iterations = strtol(optarg, &end, 10);
			if (*end != '\0' || iterations < 1) {
				fprintf(stderr, "vpntunctl top: -n wants a "
				    "positive number\n");
				return 2;
			}
			break;
		case 'h':
			top_usage(stdout);
			return 0;
		default:
			top_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		top_usage(stderr);
		return 2;
	}
	memset(&prev, 0, sizeof(prev));
	next = now_s();
	for (i = 0; iterations == 0 || i < iterations; i++) {
		if (i > 0) {
			next += delay;
			sleep_until(next);
		}
		if ((text = ctl_ask(sock, "metrics\n", TOP_TIMEOUT_MS,
		    TOP_ANSWER_MAX, &len, &stage)) == NULL) {
			fprintf(stderr, "vpntunctl top: %s: %s\n", sock,
			    strerror(errno));
			frame_free(&prev);
			return stage == CTL_CONNECT ? 3 : 1;
		}
		if (strncmp(text, "error:", 6) == 0) {
			fputs(text, stderr);
			free(text);
			frame_free(&prev);
			return 1;
		}
		memset(&cur, 0, sizeof(cur));
		cur.t = now_s();
		if (parse_metrics(text, &cur) == -1) {
			fprintf(stderr, "vpntunctl top: cannot parse the "
			    "daemon's metrics\n");
			free(text);
			frame_free(&cur);
			frame_free(&prev);
			return 1;
		}
		free(text);
		show(&cur, have_prev ? &prev : NULL, tty);
		frame_free(&prev);
		prev = cur;
		have_prev = true;
	}
	frame_free(&prev);
	return 0;
}
