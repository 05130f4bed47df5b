/* Fuzzes cap_find_esp (src/capture.h), which reads captured frames for
 * vpntunctl decrypt-pcap: whatever the frame, ESP is found only within
 * the captured bytes, only when the frame was not cut, and a reason is
 * given for anything else. A frame that is whole ESP when captured in
 * full is cut ESP (or a header cut short) for every shorter capture.
 *
 * Input: [0] the link type (an index into the table below), [1] bytes
 * the snaplen cut off (0: none), [2..] the frame.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/capture.h"
#include "tests/fuzz/fuzz.h"

static const int linktypes[] = {
	CAP_LT_EN10MB, CAP_LT_RAW, CAP_LT_LINUX_SLL, CAP_LT_LINUX_SLL2,
	CAP_LT_NULL, CAP_LT_LOOP, CAP_LT_IPV4, CAP_LT_IPV6, 147,
};

static enum cap_kind
find(int lt, const uint8_t *data, size_t caplen, size_t wirelen,
    struct cap_esp *ce)
{
	/* A buffer of the exact size: a read past it is a sanitizer
	 * report. */
	uint8_t *b = malloc(caplen > 0 ? caplen : 1);
	enum cap_kind k;

	FUZZ_CHECK(b != NULL);
	memcpy(b, data, caplen);
	k = cap_find_esp(lt, b, caplen, wirelen, CAP_NATT_PORT, ce);
	if (k == CAP_ESP) {
		FUZZ_CHECK(ce->esp >= b && ce->len <= caplen);
		FUZZ_CHECK((size_t)(ce->esp - b) <= caplen - ce->len);
		FUZZ_CHECK(ce->af == 4 || ce->af == 6);
	} else
		FUZZ_CHECK(ce->why != NULL && ce->why[0] != '\0');
	free(b);
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_esp ce;
	size_t len, cut, whole_len;
	enum cap_kind k;
	int lt;

	if (size < 2)
		return 0;
	lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	cut = data[1];
	data += 2;
	len = size - 2;
	k = find(lt, data, len, len, &ce);
	whole_len = ce.len;
	if (cut == 0 || cut > len)
		return 0;
	if (k != CAP_ESP) {
		(void)find(lt, data, len - cut, len, &ce);
		return 0;
	}
	/* Cutting only link-layer padding behind the IP packet leaves the
	 * same ESP whole; cutting more leaves none. */
	k = find(lt, data, len - cut, len, &ce);
	FUZZ_CHECK(k == CAP_ESP || k == CAP_ESP_CUT || k == CAP_BAD);
	if (k == CAP_ESP)
		FUZZ_CHECK(ce.len == whole_len);
	return 0;
}
