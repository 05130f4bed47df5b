/* Minimal JSON writer into a caller's buffer: enough for status output.
 * Strings are escaped; numbers are unsigned 64-bit or signed. */
#ifndef VPNTUND_JSON_H
#define VPNTUND_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_DEPTH_MAX 16

struct json {
	char   *buf;
	size_t  cap;
	size_t  len;
	bool    overflow;                 /* output was truncated */
	int     depth;
	bool    need_comma[JSON_DEPTH_MAX];
};

void json_init(struct json *j, char *buf, size_t cap);
/* Empties the buffer but keeps the nesting, so that a long document is
 * written through a small buffer a piece at a time: the caller moves
 * buf[0..len) elsewhere first. An overflow stays. */
void json_restart(struct json *j);
void json_object_begin(struct json *j, const char *key);   /* key NULL at top / in arrays */
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);

#endif
