/* vpntunctl: asks a running vpntund for its status, its rules with what
 * they matched or the MAC table of its bridge, or to reload its
 * configuration, over the control socket (one command line out, the
 * answer back until the daemon closes); and makes key files (genkey)
 * and decrypts captures (decrypt-pcap) and imports a KAME router's setkey
 * script (import-setkey), which need no daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "src/ctl_client.h"
#include "src/decrypt_pcap.h"
#include "src/vpntunctl_import.h"
#include "src/vpntunctl_top.h"
#include "util/log.h"

#define TIMEOUT_MS     5000
#define ANSWER_MAX     (64UL * 1024 * 1024)	/* far above any status */

/* Exit statuses (vpntunctl(8) EXIT STATUS). */
#define EXIT_FAILED      1	/* the daemon said error:, or no answer */
#define EXIT_USAGE       2
#define EXIT_UNREACHABLE 3	/* no daemon answers on the socket */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: vpntunctl [-s socket | -c site.conf] status "
	    "[--json]\n"
	    "       vpntunctl [-s socket | -c site.conf] bridge [--json]\n"
	    "       vpntunctl [-s socket | -c site.conf] rules [--json]\n"
	    "       vpntunctl [-s socket | -c site.conf] reload\n"
	    "       vpntunctl [-s socket | -c site.conf] top [-d seconds] "
	    "[-n count]\n"
	    "       vpntunctl genkey [--cipher NAME [--keysize BITS]] "
	    "[--auth NAME] [--force] FILE\n"
	    "       vpntunctl import-setkey [--local ADDR] [--network PREFIX] "
	    "[--role central|remote]\n"
	    "                 [--sha2-96] [--force] -o DIR FILE\n"
	    "       vpntunctl decrypt-pcap (-c site.conf | --setkey FILE | "
	    "--sa SPEC)...\n"
	    "                 [--skip-icv] [--esn] [--padding MODE] "
	    "[--udp-port N] [-v]\n"
	    "                 -r in.pcap -w out.pcap [-W frames.pcap]\n"
	    "       vpntunctl -h | --help | --version\n"
	    "  -s, --socket PATH   the control socket (default %s)\n"
	    "  -c, --config FILE   the one the site.conf's control names\n",
	    CONF_CONTROL_DEFAULT);
}

/* The daemon's command lines, and which take --json. */
static const struct command {
	const char *name;
	const char *line, *json_line;   /* json_line NULL: no --json */
} commands[] = {
	{ "status", "status\n", "status json\n" },
	{ "bridge", "bridge\n", "bridge json\n" },
	{ "rules", "rules\n", "rules json\n" },
	{ "reload", "reload\n", NULL },
};

/* The line to send for our arguments, or NULL if they are not a command. */
static const char *
command_line(int argc, char **argv)
{
	size_t i;

	if (argc < 1 || argc > 2)
		return NULL;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (argc == 1)
			return commands[i].line;
		if (commands[i].json_line != NULL &&
		    strcmp(argv[1], "--json") == 0)
			return commands[i].json_line;
		return NULL;
	}
	return NULL;
}

/* genkey [--cipher NAME [--keysize BITS]] [--auth NAME] [--force] FILE:
 * argv[0] is "genkey". */
static int
genkey(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cipher",  required_argument, NULL, 'C' },
		{ "keysize", required_argument, NULL, 'k' },
		{ "auth",    required_argument, NULL, 'a' },
		{ "force",   no_argument,       NULL, 'f' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL,      0,                 NULL, 0 },
	};
	const char *cipher = NULL, *auth = NULL, *path;
	const struct cipher_info *ci;
	const struct auth_info *ai;
	struct conf_error err;
	unsigned long bits = 0;
	size_t key_bits;
	bool force = false;
	char *end;
	int ch;

	optind = 0;     /* glibc: start over on the new argv */
	while ((ch = getopt_long(argc, argv, "+a:C:fhk:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'C':
			cipher = optarg;
			break;
		case 'k':
			errno = 0;
			bits = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    bits == 0 || bits > 4096) {
				fprintf(stderr, "vpntunctl: genkey: keysize "
				    "%s is not a number of bits\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'a':
			auth = optarg;
			break;
		case 'f':
			force = true;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	path = argv[optind];
	if (keyfile_suite(cipher, bits, auth, &ci, &key_bits, &ai,
	    &err) == -1) {
		fprintf(stderr, "vpntunctl: genkey: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (keyfile_generate(path, ci, key_bits, ai, force, &err) == -1) {
		fprintf(stderr, "vpntunctl: genkey: %s\n", err.msg);
		return EXIT_FAILED;
	}
	/* What the two peer blocks need to use it. */
	fprintf(stderr, "vpntunctl: wrote %s (2 x %zu bytes), mode 600; "
	    "copy it to the other end over a secure channel, and put in "
	    "the peer block on both ends:\n\tcipher %s", path,
	    keyfile_block_len(ci, key_bits, ai), ci->name);
	if (ci->key_min != ci->key_max)
		fprintf(stderr, " keysize %zu", key_bits);
	if (ci->weak != NULL)
		fprintf(stderr, "\n\tallow-weak-cipher yes\t# %s", ci->weak);
	fprintf(stderr, "\n\tauth %s\n\tkey \"%s\"\n", ai->name, path);
	return 0;
}

/* The control socket a site.conf names (or the default it leaves), read
 * by the daemon's own parser without touching the key files. A relative
 * path is relative to the current directory, as for vpntund. */
static int
socket_of(const char *conf, char *out, size_t size)
{
	static struct config cf;
	struct conf_error err;
	int rv = 0;

	if (config_load_nokeys(conf, &cf, &err) == -1) {
		fprintf(stderr, "vpntunctl: %s\n", err.msg);
		return -1;
	}
	if ((size_t)snprintf(out, size, "%s", cf.site.control) >= size) {
		fprintf(stderr, "vpntunctl: %s: control path too long\n",
		    conf);
		rv = -1;
	}
	config_free(&cf);
	return rv;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "socket",  required_argument, NULL, 's' },
		{ "config",  required_argument, NULL, 'c' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL,      0,                 NULL, 0 },
	};
	const char *path = CONF_CONTROL_DEFAULT, *conf = NULL, *cmd;
	char conf_path[PATH_MAX];
	bool have_socket = false;
	enum ctl_stage stage;
	size_t len;
	char *ans;
	int ch;

	/* "+": stop at the command, so that "--json" after it is an argument
	 * of the command and not an option of ours. */
	while ((ch = getopt_long(argc, argv, "+c:hs:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vpntunctl %s\n", VPNTUND_VERSION);
			return 0;
		case 's':
			path = optarg;
			have_socket = true;
			break;
		case 'c':
			conf = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	/* genkey and decrypt-pcap talk to no daemon: a socket given with
	 * them is a mistake. */
	if (argc >= 1 && (strcmp(argv[0], "genkey") == 0 ||
	    strcmp(argv[0], "decrypt-pcap") == 0)) {
		if (have_socket || conf != NULL) {
			usage(stderr);
			return EXIT_USAGE;
		}
		if (argv[0][0] == 'g')
			return genkey(argc, argv);
		/* Messages of the shared code (keying) as vpntunctl's;
		 * per-packet ones only with -v. */
		log_init("vpntunctl", LOG_LVL_ERR, false);
		return decrypt_pcap_main(argc, argv);
	}
	if (argc >= 1 && strcmp(argv[0], "import-setkey") == 0) {
		if (have_socket || conf != NULL) {
			usage(stderr);
			return EXIT_USAGE;
		}
		return import_setkey_main(argc, argv);
	}
	if (have_socket && conf != NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (conf != NULL) {
		if (socket_of(conf, conf_path, sizeof(conf_path)) == -1)
			return EXIT_FAILED;
		path = conf_path;
	}
	if (argc >= 1 && strcmp(argv[0], "top") == 0)
		return top_main(path, argc, argv);
	if ((cmd = command_line(argc, argv)) == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}

	if ((ans = ctl_ask(path, cmd, TIMEOUT_MS, ANSWER_MAX, &len,
	    &stage)) == NULL) {
		if (stage == CTL_CONNECT) {
			fprintf(stderr, "vpntunctl: cannot connect to %s: %s "
			    "(is vpntund running?)\n", path, strerror(errno));
			return EXIT_UNREACHABLE;
		}
		fprintf(stderr, "vpntunctl: %s: %s: %s\n", path,
		    stage == CTL_SEND ? "send" : "no answer",
		    errno == ETIMEDOUT ? "timed out" : strerror(errno));
		return EXIT_FAILED;
	}
	if (strncmp(ans, "error:", 6) == 0) {
		fputs(ans, stderr);
		free(ans);
		return EXIT_FAILED;
	}
	if (len == 0) {
		fprintf(stderr, "vpntunctl: %s: empty answer\n", path);
		free(ans);
		return EXIT_FAILED;
	}
	if (fwrite(ans, 1, len, stdout) != len || fflush(stdout) == EOF) {
		fprintf(stderr, "vpntunctl: stdout: %s\n", strerror(errno));
		free(ans);
		return EXIT_FAILED;
	}
	free(ans);
	return 0;
}
