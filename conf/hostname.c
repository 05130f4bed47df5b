/* Host names as a peer's endpoint: the syntax of RFC 1123 2.1 (letters,
 * digits and '-', labels of 1..63 characters that neither start nor end
 * with '-', 253 characters in all), checked here; resolving them is the
 * daemon's (src/engine/resolve.c), never the config check's. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int
hostname_check(const char *name, char *why, size_t whylen)
{
	size_t len = strlen(name), n, i;
	const char *label, *dot;
	bool dots = false;

	/* One trailing dot writes the root: "vpn.example.org." */
	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0) {
		snprintf(why, whylen, "it is empty");
		return -1;
	}
	if (name[len - 1] == '.') {
		snprintf(why, whylen, "it has an empty label");
		return -1;
	}
	if (len > CONF_HOST_MAX - 1) {
		snprintf(why, whylen, "it is longer than %d characters",
		    CONF_HOST_MAX - 1);
		return -1;
	}
	for (label = name; label < name + len; label = dot + 1) {
		dot = memchr(label, '.', (size_t)(name + len - label));
		if (dot == NULL)
			dot = name + len;
		else
			dots = true;
		n = (size_t)(dot - label);
		if (n == 0) {
			snprintf(why, whylen, "it has an empty label");
			return -1;
		}
		if (n > 63) {
			snprintf(why, whylen, "label \"%.*s...\" is longer "
			    "than 63 characters", 16, label);
			return -1;
		}
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)label[i];

			if (!isalnum(c) && c != '-') {
				snprintf(why, whylen, "'%c' is not allowed "
				    "in a host name", isprint(c) ? c : '?');
				return -1;
			}
		}
		if (label[0] == '-' || label[n - 1] == '-') {
			snprintf(why, whylen, "label \"%.*s\" starts or ends "
			    "with '-'", (int)n, label);
			return -1;
		}
		/* RFC 3696 2: keeps a mistyped address from passing as a
		 * name (10.1.1.256 is neither). */
		if (dot == name + len && all_digits(label, n)) {
			snprintf(why, whylen, "its last label \"%.*s\" is "
			    "all digits", (int)n, label);
			return -1;
		}
	}
	/* No search domains are applied: a name without a dot would mean
	 * something else on every host (and is likely a typo). */
	if (!dots) {
		snprintf(why, whylen, "it has no dot, expected a fully "
		    "qualified name");
		return -1;
	}
	return 0;
}
