/* ESP helpers shared by both directions (RFC 4303 2). */
#include "src/esp/esp.h"

#include "src/esp/esp_internal.h"

/* Encapsulation in place needs room for the largest IV, padding and
 * ICV around every packet (util/pkt.h). */
_Static_assert(CRYPTO_IV_MAX - 1 + 2 + CRYPTO_ICV_MAX + 4 <= PKT_TRAILER_MAX &&
    PKT_TRAILER_MAX <= PKT_TAILROOM && PKT_OUTER_MAX <= PKT_HEADROOM,
    "packet buffers too small for the worst-case ESP overhead");

static const char *const drop_names[ESP_DROP_MAX] = {
	[ESP_OK] = "ok",
	[ESP_DROP_MALFORMED] = "malformed",
	[ESP_DROP_NO_SA] = "no_sa",
	[ESP_DROP_REPLAY] = "replay",
	[ESP_DROP_AUTH] = "auth",
	[ESP_DROP_DECRYPT] = "decrypt",
	[ESP_DROP_POLICY] = "policy",
};

const char *
esp_drop_name(enum esp_drop d)
{
	if ((unsigned)d >= ESP_DROP_MAX)
		return "unknown";
	return drop_names[d];
}

/* Header, IV, worst-case padding (block - 1), pad length and next header,
 * ICV. ESN adds nothing on the wire: the high bits are only authenticated
 * (RFC 4303 2.2.1). */
size_t
esp_overhead(const struct esp_sa *sa)
{
	return esp_suite_overhead(sa_crypto_cipher(sa->crypto),
	    sa_crypto_auth(sa->crypto));
}

size_t
esp_suite_overhead(const struct cipher_info *ci, const struct auth_info *ai)
{
	return ESP_HDR_LEN + ci->iv_len + (ci->block - 1) + 2 +
	    suite_icv_len(ci, ai);
}

size_t
esp_wire_len(const struct esp_sa *sa, size_t inner_len)
{
	return esp_suite_wire_len(sa_crypto_cipher(sa->crypto),
	    sa_crypto_auth(sa->crypto), inner_len);
}

size_t
esp_suite_wire_len(const struct cipher_info *ci, const struct auth_info *ai,
    size_t inner_len)
{
	/* As esp_encap(): payload, pad length and next header end on a
	 * block boundary. */
	return ESP_HDR_LEN + ci->iv_len +
	    (inner_len + 2 + ci->block - 1) / ci->block * ci->block +
	    suite_icv_len(ci, ai);
}

bool
esp_peek_spi(const uint8_t *data, size_t len, uint32_t *spi)
{
	if (data == NULL || len < ESP_HDR_LEN)
		return false;
	*spi = esp_get32(data);
	return true;
}
