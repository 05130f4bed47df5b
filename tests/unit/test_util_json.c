/* JSON writer: exact output, escaping, truncation that never writes
 * past the caller's capacity, and a document written in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"

static void
test_empty_object(void **state)
{
	struct json j;
	char buf[16];

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_object_begin(&j, NULL);
	json_object_end(&j);
	assert_false(j.overflow);
	assert_string_equal(buf, "{}");
	assert_int_equal(j.len, 2);
}

static void
test_nested_exact(void **state)
{
	struct json j;
	char buf[512];

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_object_begin(&j, NULL);
	json_string(&j, "site", "nursing-home");
	json_uint(&j, "mtu", 1422);
	json_object_begin(&j, "drops");
	json_uint(&j, "no_sa", 0);
	json_uint(&j, "malformed", 18446744073709551615ULL);
	json_object_end(&j);
	json_array_begin(&j, "peers");
	json_object_begin(&j, NULL);
	json_string(&j, "name", "physician1");
	json_null(&j, "endpoint");
	json_bool(&j, "dynamic", false);
	json_int(&j, "delta", -42);
	json_int(&j, "min", INT64_MIN);
	json_object_end(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "endpoint", NULL);
	json_bool(&j, "dynamic", true);
	json_object_end(&j);
	json_array_end(&j);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_array_begin(&j, "nums");
	json_uint(&j, NULL, 1);
	json_uint(&j, NULL, 2);
	json_array_begin(&j, NULL);
	json_uint(&j, NULL, 3);
	json_array_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	assert_false(j.overflow);
	assert_int_equal(j.depth, 0);
	assert_string_equal(buf,
	    "{\"site\":\"nursing-home\",\"mtu\":1422,"
	    "\"drops\":{\"no_sa\":0,\"malformed\":18446744073709551615},"
	    "\"peers\":[{\"name\":\"physician1\",\"endpoint\":null,"
	    "\"dynamic\":false,\"delta\":-42,\"min\":-9223372036854775808},"
	    "{\"endpoint\":null,\"dynamic\":true}],"
	    "\"empty\":[],\"nums\":[1,2,[3]]}");
	assert_int_equal(j.len, strlen(buf));
}

static void
test_escaping(void **state)
{
	struct json j;
	char buf[256];

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_object_begin(&j, NULL);
	json_string(&j, "q\"k", "a\"b\\c\nd\te\x01" "f\x1f" "g\x7f" "h\xc3\xa9");
	json_object_end(&j);
	assert_false(j.overflow);
	assert_string_equal(buf,
	    "{\"q\\\"k\":\"a\\\"b\\\\c\\u000ad\\u0009e\\u0001f\\u001f"
	    "g\x7fh\xc3\xa9\"}");
}

/* Builds the same document at every capacity from 0 up: each truncated
 * result must be a NUL-terminated prefix of the full one, and the byte
 * just past the capacity must be untouched. */
static void
build(struct json *j, char *buf, size_t cap)
{
	json_init(j, buf, cap);
	json_object_begin(j, NULL);
	json_string(j, "name", "a\"b");
	json_array_begin(j, "list");
	json_uint(j, NULL, 12345);
	json_bool(j, NULL, true);
	json_array_end(j);
	json_object_end(j);
}

static void
test_overflow(void **state)
{
	static const char full[] = "{\"name\":\"a\\\"b\",\"list\":[12345,true]}";
	struct json j;
	char buf[64];
	size_t cap;

	(void)state;
	for (cap = 0; cap <= sizeof(full); cap++) {
		memset(buf, 0xa5, sizeof(buf));
		build(&j, buf, cap);
		assert_int_equal((unsigned char)buf[cap], 0xa5);
		if (cap == sizeof(full)) {
			assert_false(j.overflow);
			assert_string_equal(buf, full);
			continue;
		}
		assert_true(j.overflow);
		if (cap == 0)
			continue;
		assert_true(j.len < cap);
		assert_int_equal(buf[j.len], '\0');
		assert_int_equal(strlen(buf), j.len);
		assert_memory_equal(buf, full, j.len);
	}
}

static void
test_overflow_sticks(void **state)
{
	struct json j;
	char buf[8];

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_string(&j, NULL, "0123456789");
	assert_true(j.overflow);
	/* Only the opening quote fitted; a shorter piece must not be
	 * appended after the dropped one. */
	assert_string_equal(buf, "\"");
	json_uint(&j, NULL, 1);
	assert_string_equal(buf, "\"");
}

static void
test_too_deep_and_unbalanced(void **state)
{
	struct json j;
	char buf[256];
	int i;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	for (i = 0; i < JSON_DEPTH_MAX + 2; i++)
		json_array_begin(&j, NULL);
	assert_true(j.overflow);

	json_init(&j, buf, sizeof(buf));
	json_object_end(&j);
	assert_true(j.overflow);
	assert_string_equal(buf, "");
}

/* Through a small buffer emptied after each element, the same bytes as
 * at once: commas and nesting carry across pieces. */
static void
test_pieces(void **state)
{
	struct json j;
	char whole[256], piece[48], joined[256];
	size_t n = 0;
	int pass, i;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			json_init(&j, whole, sizeof(whole));
		else
			json_init(&j, piece, sizeof(piece));
		json_object_begin(&j, NULL);
		json_string(&j, "site", "central");
		json_array_begin(&j, "peers");
		for (i = 0; i < 4; i++) {
			if (pass == 1) {
				assert_false(j.overflow);
				memcpy(joined + n, piece, j.len);
				n += j.len;
				json_restart(&j);
				assert_int_equal(j.len, 0);
			}
			json_object_begin(&j, NULL);
			json_uint(&j, "n", (uint64_t)i);
			json_bool(&j, "up", i % 2 == 0);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		assert_false(j.overflow);
	}
	memcpy(joined + n, piece, j.len + 1);
	assert_string_equal(joined, whole);
	assert_string_equal(whole, "{\"site\":\"central\",\"peers\":["
	    "{\"n\":0,\"up\":true},{\"n\":1,\"up\":false},"
	    "{\"n\":2,\"up\":true},{\"n\":3,\"up\":false}]}");
	/* An overflow is not forgotten by a restart. */
	json_init(&j, piece, 4);
	json_string(&j, "long", "value");
	assert_true(j.overflow);
	json_restart(&j);
	assert_true(j.overflow);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_object),
		cmocka_unit_test(test_nested_exact),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_overflow_sticks),
		cmocka_unit_test(test_too_deep_and_unbalanced),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
