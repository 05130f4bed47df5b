/* Provider loading: a missing legacy provider fails with a message that
 * says what to install; randomness comes out of RAND_bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "crypto/crypto.h"

/* Must run first in this process: OpenSSL reads OPENSSL_MODULES when it
 * tries to load legacy.so. */
static void
test_missing_legacy(void **state)
{
	const char *env = getenv("OPENSSL_MODULES");
	char msg[4096], old[4096] = "";
	FILE *f;
	size_t n;
	int saved;

	(void)state;
	if (env != NULL)
		snprintf(old, sizeof(old), "%s", env);
	assert_int_equal(setenv("OPENSSL_MODULES", "/nonexistent-ossl", 1), 0);
	assert_non_null(f = tmpfile());
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	assert_int_equal(crypto_global_init(), -1);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	n = fread(msg, 1, sizeof(msg) - 1, f);
	msg[n] = '\0';
	fclose(f);
	fprintf(stderr, "captured:\n%s", msg);
	assert_non_null(strstr(msg, "legacy provider"));
	assert_non_null(strstr(msg, "blowfish-cbc"));
	assert_non_null(strstr(msg, "/nonexistent-ossl"));
	assert_non_null(strstr(msg, "OPENSSL_MODULES"));
	/* Nothing half-initialised: sa_crypto_new retries and fails too. */
	{
		uint8_t key[16] = { 0 };

		assert_null(sa_crypto_new(cipher_by_name("blowfish-cbc"), key,
		    16, NULL, NULL, 0, true));
	}
	/* With the modules found again, init succeeds. */
	if (env != NULL)
		assert_int_equal(setenv("OPENSSL_MODULES", old, 1), 0);
	else
		assert_int_equal(unsetenv("OPENSSL_MODULES"), 0);
	assert_int_equal(crypto_global_init(), 0);
	assert_int_equal(crypto_global_init(), 0);	/* idempotent */
}

static void
test_init_cleanup_init(void **state)
{
	uint8_t key[16] = { 0 };
	struct sa_crypto *c;

	(void)state;
	crypto_global_cleanup();
	crypto_global_cleanup();
	/* sa_crypto_new initialises on demand. */
	c = sa_crypto_new(cipher_by_name("blowfish-cbc"), key, 16, NULL, NULL,
	    0, true);
	assert_non_null(c);
	sa_crypto_free(c);
	crypto_global_cleanup();
}

static void
test_random(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, z[32] = { 0 };

	(void)state;
	assert_int_equal(crypto_random(a, sizeof(a)), 0);
	assert_int_equal(crypto_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, z, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(crypto_random(a, 0), 0);
}

static void
test_wipe(void **state)
{
	uint8_t k[24], z[24] = { 0 };

	(void)state;
	memset(k, 0xa5, sizeof(k));
	crypto_wipe(k, sizeof(k));
	assert_memory_equal(k, z, sizeof(k));
	crypto_wipe(NULL, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_legacy),
		cmocka_unit_test(test_init_cleanup_init),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
