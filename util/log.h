/* Logging: one module for the whole daemon (iked log.c style).
 * log_warn() appends strerror(errno); log_warnx() does not. Logging never
 * changes errno. Per-packet messages go through log_ratelimited(). */
#ifndef VPNTUND_LOG_H
#define VPNTUND_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Without syslog, lines go to stderr as "ident: level: message", each
 * preceded by its syslog priority ("<4>", sd-daemon(3)) when stderr is
 * the journald stream $JOURNAL_STREAM names. */
void log_init(const char *ident, enum log_level level, bool use_syslog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A per-packet message: at most `burst` per second per call site; the
 * number suppressed is reported with the next message that gets through. */
struct log_limit {
	long long window_start;   /* seconds, CLOCK_MONOTONIC */
	unsigned  sent;
	unsigned  suppressed;
};
#define LOG_LIMIT_BURST 5
void log_ratelimited(struct log_limit *lim, enum log_level level,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
