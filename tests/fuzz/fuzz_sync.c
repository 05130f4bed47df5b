/* Fuzzes the decoder of synchronisation messages (sync_decode,
 * src/control/sync_wire.h). Almost no input carries a right ICV, so each
 * input is tried twice: as it is, and signed with the harness's key so
 * that the parser behind the ICV sees it. Whatever decodes must encode
 * back to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/kdf.h"
#include "src/control/sync_wire.h"
#include "util/log.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crypto_hmac *h;
	uint8_t buf[SYNC_MSG_MAX], again[SYNC_MSG_MAX];
	struct sync_msg m;
	const char *why;
	size_t n;

	if (h == NULL) {
		static const uint8_t key[32] = { 0x5a };

		log_init("fuzz_sync", LOG_LVL_ERR, false);
		h = crypto_hmac_new(key, sizeof(key));
		FUZZ_CHECK(h != NULL);
	}
	if (sync_decode(data, size, h, &m, &why) == 0)
		FUZZ_CHECK(size <= SYNC_MSG_MAX);
	if (size > SYNC_MSG_MAX - SYNC_ICV_LEN)
		return 0;
	memcpy(buf, data, size);
	FUZZ_CHECK(crypto_hmac_sign(h, buf, size, buf + size,
	    SYNC_ICV_LEN) == 0);
	if (sync_decode(buf, size + SYNC_ICV_LEN, h, &m, &why) != 0)
		return 0;
	FUZZ_CHECK(m.nsa <= SYNC_SA_MAX);
	n = sync_encode(&m, (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3], (uint32_t)buf[4] << 24 |
	    (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7], h, again,
	    sizeof(again));
	FUZZ_CHECK(n == size + SYNC_ICV_LEN);
	FUZZ_CHECK(memcmp(again, buf, n) == 0);
	return 0;
}
