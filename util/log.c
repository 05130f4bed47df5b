#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static enum log_level cur_level = LOG_LVL_INFO;
static bool to_syslog;
static const char *log_ident = "vpntund";

void
log_init(const char *ident, enum log_level level, bool use_syslog)
{
	log_ident = ident;
	cur_level = level;
	to_syslog = use_syslog;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

static void vlog(enum log_level, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
vlog(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *tag[] = { "error", "warning", "info", "debug" };
	char msg[1024];
	int saved = errno;

	if (level > cur_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_syslog) {
		if (suffix)
			syslog(prio[level], "%s: %s", msg, suffix);
		else
			syslog(prio[level], "%s", msg);
	} else {
		if (suffix)
			fprintf(stderr, "%s: %s: %s: %s\n", log_ident, tag[level], msg, suffix);
		else
			fprintf(stderr, "%s: %s: %s\n", log_ident, tag[level], msg);
		fflush(stderr);
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, fmt, ap, err);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void
log_ratelimited(struct log_limit *lim, enum log_level level, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;
	char msg[900];

	if (level > cur_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != lim->window_start) {
		lim->window_start = ts.tv_sec;
		lim->sent = 0;
	}
	if (lim->sent >= LOG_LIMIT_BURST) {
		lim->suppressed++;
		return;
	}
	lim->sent++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lim->suppressed) {
		unsigned n = lim->suppressed;

		lim->suppressed = 0;
		if (level == LOG_LVL_DEBUG)
			log_debug("%s (%u similar messages suppressed)", msg, n);
		else
			log_warnx("%s (%u similar messages suppressed)", msg, n);
	} else if (level == LOG_LVL_DEBUG)
		log_debug("%s", msg);
	else
		log_warnx("%s", msg);
}
