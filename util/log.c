#include "util/log.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_level cur_level = LOG_LVL_INFO;
static bool to_syslog;
static bool to_journal;         /* stderr is a journald stream */
static const char *log_ident = "vpntund";

/* systemd.exec(5): a service's stderr connected to journald carries
 * $JOURNAL_STREAM, "device:inode" of that stream. Comparing it with
 * stderr itself tells our stream from one a child of such a service
 * redirected (to a file, a terminal) but still inherited the variable. */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (js == NULL)
		return false;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno != 0 || end == js || *end != ':')
		return false;
	js = end + 1;
	ino = strtoull(js, &end, 10);
	if (errno != 0 || end == js || *end != '\0')
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *ident, enum log_level level, bool use_syslog)
{
	int saved = errno;

	log_ident = ident;
	cur_level = level;
	to_syslog = use_syslog;
	to_journal = !use_syslog && stderr_is_journal();
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	errno = saved;
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
	static const char *journal_prio[] = { "<3>", "<4>", "<6>", "<7>" };
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
		/* "<N>" first: journald reads it as the line's priority
		 * (sd-daemon(3)), as syslog would have it. One fprintf, one
		 * write: a line is never split between processes. */
		const char *pfx = to_journal ? journal_prio[level] : "";

		if (suffix)
			fprintf(stderr, "%s%s: %s: %s: %s\n", pfx, log_ident,
			    tag[level], msg, suffix);
		else
			fprintf(stderr, "%s%s: %s: %s\n", pfx, log_ident,
			    tag[level], msg);
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
