/* esp_wire_len(), and esp_suite_wire_len() which the QoS scheduler
 * charges each queued packet, are exactly what esp_encap() then
 * produces: for every suite, with and without ESN, for inner lengths
 * across several cipher blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "src/esp/esp.h"
#include "util/log.h"

static const struct {
	const char *cipher;
	size_t      keylen;
	const char *auth;
} suites[] = {
	{ "blowfish-cbc", 16, "hmac-sha1-96" },
	{ "3des-cbc", 24, "none" },
	{ "aes-cbc", 16, "hmac-sha256-128" },
	{ "aes-cbc", 32, "none" },
	{ "aes-gcm", 16, "none" },
	{ "chacha20-poly1305", 32, "none" },

	{ "aes-cbc", 16, "hmac-sha512-256" },
	{ "3des-cbc", 24, "hmac-sha384-192" },
	{ "aes-cbc", 16, "aes-xcbc-mac-96" },
	{ "des-cbc", 8, "hmac-sha1-96" },
	{ "cast128-cbc", 5, "hmac-sha1-96" },
	{ "aes-ctr", 16, "hmac-sha1-96" },
	{ "null", 0, "hmac-sha256-128" },
};

static struct pkt pk;

static void
test_wire_len(void **unused)
{
	uint8_t key[CRYPTO_KEY_MAX + CRYPTO_SALT_MAX], ak[CRYPTO_AUTHKEY_MAX];
	const struct cipher_info *ci;
	const struct auth_info *ai;
	struct esp_sa sa;
	size_t s, n;
	int esn;

	(void)unused;
	memset(key, 0x5a, sizeof(key));
	memset(ak, 0xa5, sizeof(ak));
	for (s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		ci = cipher_by_name(suites[s].cipher);
		ai = auth_by_name(suites[s].auth);
		assert_non_null(ci);
		assert_non_null(ai);
		for (esn = 0; esn < 2; esn++) {
			memset(&sa, 0, sizeof(sa));
			sa.spi = 0x1234;
			sa.esn = esn;
			sa.crypto = sa_crypto_new(ci, key, suites[s].keylen +
			    ci->salt_len, ai, ai->key_len ? ak : NULL,
			    ai->key_len, true);
			assert_non_null(sa.crypto);
			for (n = 20; n < 300; n++) {
				pkt_reset(&pk);
				memset(pkt_data(&pk), 0x45, n);
				pk.len = n;
				assert_int_equal(esp_encap(&sa, &pk, 4), 0);
				assert_int_equal(esp_wire_len(&sa, n), pk.len);
				/* What QoS charges before the SA is keyed. */
				assert_int_equal(esp_suite_wire_len(ci, ai, n),
				    pk.len);
				assert_true(pk.len <= n + esp_overhead(&sa));
			}
			sa_crypto_free(sa.crypto);
		}
	}
}

static int
setup(void **state)
{
	(void)state;
	log_init("test_esp_wirelen", LOG_LVL_ERR, false);
	return crypto_global_init() == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_len),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
