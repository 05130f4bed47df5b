/* Fuzzes the setkey(8) reader (conf/setkey.c, conf/setkey_shell.c) and
 * the conversion to a site.conf (conf/setkey_conv.c): the input is a
 * setkey input file or a shell script with here-documents. What parses
 * is checked (keys within bounds, a mapped name for every ESP SA, lines
 * within the file) and converted twice, as found and with --network and
 * --local given; ASan's leak check catches anything left allocated. */
#include <arpa/inet.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/setkey.h"
#include "tests/fuzz/fuzz.h"

static void
check(const struct setkey_script *s, int lines)
{
	size_t i;

	for (i = 0; i < s->nsas; i++) {
		const struct setkey_sa *sa = &s->sas[i];

		FUZZ_CHECK(sa->line >= 1 && sa->line <= lines);
		FUZZ_CHECK(sa->key_len <= SETKEY_KEY_MAX);
		FUZZ_CHECK(sa->auth_key_len <= SETKEY_KEY_MAX);
		FUZZ_CHECK(sa->src.af == sa->dst.af);
		if (sa->proto == SETKEY_ESP) {
			FUZZ_CHECK(sa->cipher != NULL && sa->auth != NULL);
			FUZZ_CHECK(sa->key_bits <= sa->key_len * 8);
		}
	}
	for (i = 0; i < s->npolicies; i++)
		FUZZ_CHECK(s->policies[i].line >= 1 &&
		    s->policies[i].line <= lines);
	for (i = 0; i < s->nnotes; i++) {
		FUZZ_CHECK(s->notes[i].line >= 1 && s->notes[i].line <= lines);
		FUZZ_CHECK(i == 0 || s->notes[i - 1].line <= s->notes[i].line);
	}
}

static void
convert(const struct setkey_script *s, const struct setkey_import_opts *o)
{
	struct setkey_import imp;
	struct conf_error err;
	size_t i;

	if (setkey_convert(s, o, &imp, &err) == -1) {
		FUZZ_CHECK(strncmp(err.msg, "fuzz", 4) == 0);
		return;
	}
	FUZZ_CHECK(imp.conf != NULL && imp.npeers >= 1);
	FUZZ_CHECK(imp.nkeys == 2 * imp.npeers);
	for (i = 0; i < imp.nkeys; i++)
		FUZZ_CHECK(imp.keys[i].len <= sizeof(imp.keys[i].bytes));
	setkey_import_free(&imp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setkey_import_opts o = { .role = -1 };
	struct prefix net = { .af = AF_INET, .len = 24 };
	struct prefix local = { .af = AF_INET, .len = 32 };
	struct setkey_script s;
	struct conf_error err;
	char *text;
	int lines = 1;
	size_t i;

	if (size > 65536 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; i < size; i++)
		if (text[i] == '\n')
			lines++;
	if (setkey_parse_string("fuzz", text, &s, &err) == 0) {
		check(&s, lines);
		convert(&s, &o);
		inet_pton(AF_INET, "10.1.0.0", &net.addr);
		inet_pton(AF_INET, "198.18.0.1", &local.addr);
		o.network = &net;
		o.local = &local;
		o.sha2_96 = true;
		convert(&s, &o);
		setkey_free(&s);
	} else
		FUZZ_CHECK(strncmp(err.msg, "fuzz:", 5) == 0);
	free(text);
	return 0;
}
