/* vpntunctl import-setkey: a KAME router's setkey script (conf/setkey.c)
 * as a site.conf and its key files (conf/setkey_conv.c), written only
 * when the whole script was understood. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/setkey.h"
#include "src/vpntunctl_import.h"
#include "util/file_write.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define KEYTEXT_MAX 4096

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: vpntunctl import-setkey [--local ADDR] "
	    "[--network PREFIX] [--role central|remote]\n"
	    "           [--sha2-96] [--force] -o DIR FILE\n");
}

/* A site name from the script's file name: "paper.sh" is "paper". */
static void
site_name(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX], *b;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	b = basename(buf);
	for (; *b != '\0' && *b != '.' && n + 1 < size; b++)
		out[n++] = isalnum((unsigned char)*b) || *b == '_' ||
		    *b == '-' ? (char)tolower((unsigned char)*b) : '-';
	out[n] = '\0';
	if (n == 0 || out[0] == '-')
		snprintf(out, size, "imported");
}

static int
parse_addr_opt(const char *s, bool prefix, struct prefix *p)
{
	struct setkey_script sc;
	struct conf_error err;
	char text[256];
	int rv;

	/* The parser's own address syntax, through a one-line script. */
	if (prefix)
		snprintf(text, sizeof(text), "spdadd %s %s any -P out none;",
		    s, s);
	else
		snprintf(text, sizeof(text), "add %s %s esp 256 -E null;",
		    s, s);
	if (strchr(s, ';') != NULL || strchr(s, '[') != NULL ||
	    strchr(s, '#') != NULL || strchr(s, '$') != NULL ||
	    setkey_parse_string("option", text, &sc, &err) == -1)
		return -1;
	if (prefix)
		*p = sc.policies[0].src;
	else
		*p = sc.sas[0].src;
	rv = 0;
	setkey_free(&sc);
	return rv;
}

static int
put_hex(char *out, size_t size, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (k + 4 >= size)
			return -1;
		out[k++] = digits[b[i] >> 4];
		out[k++] = digits[b[i] & 15];
		if ((i + 1) % 32 == 0 || i + 1 == n)
			out[k++] = '\n';
	}
	out[k] = '\0';
	return (int)k;
}

static int
make_dir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return -1;
}

static int
write_out(const char *dir, const struct setkey_import *imp, bool force)
{
	char path[PATH_MAX], text[KEYTEXT_MAX];
	struct stat st;
	size_t i;
	int k, rv = -1;

	/* Nothing is written unless everything can be. */
	for (i = 0; i <= imp->nkeys; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, i == imp->nkeys ?
		    "site.conf" : imp->keys[i].name);
		if (!force && lstat(path, &st) == 0) {
			fprintf(stderr, "vpntunctl: import-setkey: %s exists "
			    "(--force replaces it); nothing written\n", path);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/keys", dir);
	if (make_dir(dir, 0755) == -1 || make_dir(path, 0700) == -1) {
		fprintf(stderr, "vpntunctl: import-setkey: %s: %s\n",
		    errno == ENOTDIR ? path : dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < imp->nkeys; i++) {
		const struct setkey_keyfile *kf = &imp->keys[i];

		k = snprintf(text, sizeof(text), "# vpntund key file of one "
		    "SA (site.conf(5), KEY FILES), from setkey\n# %s\n",
		    kf->comment);
		if (k < 0 || put_hex(text + k, sizeof(text) - (size_t)k,
		    kf->bytes, kf->len) == -1)
			goto out;
		snprintf(path, sizeof(path), "%s/%s", dir, kf->name);
		if (file_write_whole(path, text, strlen(text), 0600, force) == -1) {
			fprintf(stderr, "vpntunctl: import-setkey: %s: %s\n",
			    path, strerror(errno));
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/site.conf", dir);
	if (file_write_whole(path, imp->conf, strlen(imp->conf), 0644,
	    force) == -1) {
		fprintf(stderr, "vpntunctl: import-setkey: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	rv = 0;
out:
	OPENSSL_cleanse(text, sizeof(text));
	return rv;
}

int
import_setkey_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local",   required_argument, NULL, 'l' },
		{ "network", required_argument, NULL, 'N' },
		{ "role",    required_argument, NULL, 'r' },
		{ "sha2-96", no_argument,       NULL, 's' },
		{ "force",   no_argument,       NULL, 'f' },
		{ "output",  required_argument, NULL, 'o' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL,      0,                 NULL, 0 },
	};
	struct setkey_import_opts o = { .role = -1 };
	struct setkey_script s;
	struct setkey_import imp;
	struct conf_error err;
	struct prefix local, network;
	const char *dir = NULL;
	char name[CONF_NAME_MAX];
	bool force = false;
	size_t i;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+fho:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			if (parse_addr_opt(optarg, false, &local) == -1) {
				fprintf(stderr, "vpntunctl: import-setkey: "
				    "--local %s: expected an address\n",
				    optarg);
				return EXIT_USAGE;
			}
			o.local = &local;
			break;
		case 'N':
			if (parse_addr_opt(optarg, true, &network) == -1) {
				fprintf(stderr, "vpntunctl: import-setkey: "
				    "--network %s: expected a prefix "
				    "(10.1.0.0/24)\n", optarg);
				return EXIT_USAGE;
			}
			o.network = &network;
			break;
		case 'r':
			if (strcmp(optarg, "central") == 0)
				o.role = ROLE_CENTRAL;
			else if (strcmp(optarg, "remote") == 0)
				o.role = ROLE_REMOTE;
			else {
				fprintf(stderr, "vpntunctl: import-setkey: "
				    "--role %s: expected central or remote\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			o.sha2_96 = true;
			break;
		case 'f':
			force = true;
			break;
		case 'o':
			dir = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (dir == NULL || optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	site_name(argv[optind], name, sizeof(name));
	o.site_name = name;
	o.source = argv[optind];
	if (setkey_parse(argv[optind], &s, &err) == -1) {
		fprintf(stderr, "vpntunctl: import-setkey: %s\n", err.msg);
		return EXIT_FAILED;
	}
	if (setkey_convert(&s, &o, &imp, &err) == -1) {
		fprintf(stderr, "vpntunctl: import-setkey: %s\n", err.msg);
		setkey_free(&s);
		return EXIT_FAILED;
	}
	fprintf(stderr, "vpntunctl: import-setkey: read %s: %zu SAs, %zu "
	    "policies%s\n", argv[optind], s.nsas, s.npolicies,
	    s.shell ? " (from its setkey here-documents)" : "");
	setkey_free(&s);
	if (write_out(dir, &imp, force) == -1) {
		setkey_import_free(&imp);
		return EXIT_FAILED;
	}
	fprintf(stderr, "vpntunctl: import-setkey: wrote %s/site.conf (site "
	    "\"%s\", %zu peer%s) and %zu key files in %s/keys, mode 600\n",
	    dir, name, imp.npeers, imp.npeers == 1 ? "" : "s", imp.nkeys,
	    dir);
	for (i = 0; i < imp.nmsgs; i++)
		fprintf(stderr, "vpntunctl: import-setkey: check: %s\n",
		    imp.msgs[i]);
	fprintf(stderr, "vpntunctl: import-setkey: check it with `vpntund -n "
	    "-c %s/site.conf`\n"
	    "vpntunctl: import-setkey: first start: `vpntund -R -c "
	    "%s/site.conf`, the state file is new\n", dir, dir);
	setkey_import_free(&imp);
	return 0;
}
