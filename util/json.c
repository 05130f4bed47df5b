/* A JSON writer into a fixed buffer. Output is compact (no spaces) so that
 * tests and scripts can compare it byte for byte. The first piece that does
 * not fit sets the overflow flag and nothing is appended after it, so a
 * truncated result is a NUL-terminated prefix of the full one. */
#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
json_init(struct json *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	if (cap > 0)
		buf[0] = '\0';
	else
		j->overflow = true;	/* not even room for the NUL */
}

void
json_restart(struct json *j)
{
	if (j->overflow)
		return;
	j->len = 0;
	j->buf[0] = '\0';
}

static void
emit(struct json *j, const char *s, size_t n)
{
	if (j->overflow)
		return;
	/* Keep one byte for the terminating NUL. */
	if (n >= j->cap - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void
emit_str(struct json *j, const char *s)
{
	emit(j, s, strlen(s));
}

/* Quoted and escaped: RFC 8259 section 7 requires escaping of the quote,
 * the backslash and U+0000..U+001F; everything else passes as is. */
static void
emit_quoted(struct json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char esc[7];

	emit(j, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch != '"' && ch != '\\' && ch >= 0x20)
			continue;
		emit(j, run, (size_t)(s - run));
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			emit(j, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 0xf];
			emit(j, esc, 6);
		}
		run = s + 1;
	}
	emit(j, run, (size_t)(s - run));
	emit(j, "\"", 1);
}

/* The comma before a member and its "key": part. */
static void
member(struct json *j, const char *key)
{
	if (j->depth >= 0 && j->depth < JSON_DEPTH_MAX) {
		if (j->need_comma[j->depth])
			emit(j, ",", 1);
		j->need_comma[j->depth] = true;
	}
	if (key != NULL) {
		emit_quoted(j, key);
		emit(j, ":", 1);
	}
}

static void
open_container(struct json *j, const char *key, const char *bracket)
{
	member(j, key);
	emit_str(j, bracket);
	/* Deeper than the comma table can track: the output would be wrong,
	 * so report it like a truncation. */
	if (j->depth + 1 >= JSON_DEPTH_MAX) {
		j->overflow = true;
		j->depth++;
		return;
	}
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void
close_container(struct json *j, const char *bracket)
{
	if (j->depth <= 0) {
		j->overflow = true;	/* unbalanced: caller bug */
		return;
	}
	j->depth--;
	emit_str(j, bracket);
}

void
json_object_begin(struct json *j, const char *key)
{
	open_container(j, key, "{");
}

void
json_object_end(struct json *j)
{
	close_container(j, "}");
}

void
json_array_begin(struct json *j, const char *key)
{
	open_container(j, key, "[");
}

void
json_array_end(struct json *j)
{
	close_container(j, "]");
}

/* A NULL value is written as null (an endpoint not yet learned). */
void
json_string(struct json *j, const char *key, const char *value)
{
	member(j, key);
	if (value == NULL)
		emit(j, "null", 4);
	else
		emit_quoted(j, value);
}

void
json_uint(struct json *j, const char *key, uint64_t value)
{
	char num[24];
	int n;

	member(j, key);
	n = snprintf(num, sizeof(num), "%" PRIu64, value);
	emit(j, num, (size_t)n);
}

void
json_int(struct json *j, const char *key, int64_t value)
{
	char num[24];
	int n;

	member(j, key);
	n = snprintf(num, sizeof(num), "%" PRId64, value);
	emit(j, num, (size_t)n);
}

void
json_bool(struct json *j, const char *key, bool value)
{
	member(j, key);
	emit_str(j, value ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	member(j, key);
	emit(j, "null", 4);
}
