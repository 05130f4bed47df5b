/* vpntund: the IPsec (ESP) tunnel daemon.
 *
 *   vpntund -c site.conf [-f] [-n] [-v]...
 *
 * -n checks the configuration (keys included) and exits like `nginx -t`;
 * -f stays in the foreground and logs to stderr; otherwise the daemon
 * detaches once everything is up and logs to syslog. Everything that can
 * be checked without a device is checked before the first device exists. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "crypto/crypto.h"
#include "src/engine/engine.h"
#include "src/util/log.h"

static void
usage(void)
{
	fprintf(stderr, "usage: vpntund -c site.conf [-f] [-n] [-v]...\n");
	exit(2);
}

/* daemon(3) moves to "/": paths used after that must not be relative to
 * where we were started. Returns -1 if the result does not fit. */
static int
absolute(char *path, size_t size)
{
	char cwd[PATH_MAX], tmp[PATH_MAX];

	if (path[0] == '\0' || path[0] == '/')
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s", cwd, path) >=
	    sizeof(tmp) || strlen(tmp) >= size) {
		fprintf(stderr, "vpntund: %s: path too long\n", path);
		return -1;
	}
	memcpy(path, tmp, strlen(tmp) + 1);
	return 0;
}

static enum log_level
raise_level(int base, int verbose)
{
	int lvl = base + verbose;

	if (lvl > LOG_LVL_DEBUG)
		lvl = LOG_LVL_DEBUG;
	if (lvl < LOG_LVL_ERR)
		lvl = LOG_LVL_ERR;
	return (enum log_level)lvl;
}

int
main(int argc, char *argv[])
{
	static struct config cf;
	struct conf_error err;
	struct engine *e;
	const char *path = NULL;
	int ch, foreground = 0, check = 0, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "c:fnv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || optind != argc)
		usage();

	log_init("vpntund", raise_level(LOG_LVL_INFO, verbose), false);
	if (crypto_global_init() == -1) {
		fprintf(stderr, "vpntund: cannot initialise the crypto "
		    "providers (is the OpenSSL legacy provider installed?)\n");
		return 1;
	}
	if (config_load(path, &cf, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		if (check)
			fprintf(stderr, "configuration check failed\n");
		return 1;
	}
	if (absolute(cf.site.state_file, sizeof(cf.site.state_file)) == -1 ||
	    absolute(cf.site.control, sizeof(cf.site.control)) == -1 ||
	    absolute(cf.site.up, sizeof(cf.site.up)) == -1 ||
	    absolute(cf.site.down, sizeof(cf.site.down)) == -1) {
		config_free(&cf);
		return 1;
	}
	log_set_level(raise_level(cf.site.log_level, verbose));
	engine_warn_config(&cf);
	if (check && engine_check_config(&cf) == -1) {
		fprintf(stderr, "configuration check failed\n");
		config_free(&cf);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		config_free(&cf);
		return 0;
	}

	/* `log syslog` in the site block: syslog even in the foreground. */
	if (cf.site.log_syslog)
		log_init("vpntund", log_get_level(), true);
	signal(SIGPIPE, SIG_IGN);
	if ((e = engine_new(&cf)) == NULL) {
		config_free(&cf);
		return 1;
	}
	if (engine_start(e) == -1) {
		log_warnx("start-up failed; nothing left running");
		engine_free(e);
		return 1;
	}
	if (!foreground) {
		/* Detach only now, so start-up errors reach the terminal and
		 * the exit status; the child keeps every descriptor. */
		if (daemon(0, 0) == -1) {
			log_warn("daemon");
			engine_free(e);
			return 1;
		}
		log_init("vpntund", log_get_level(), true);
		if (engine_after_fork(e) == -1) {
			engine_free(e);
			return 1;
		}
	}
	rc = engine_run(e);
	engine_free(e);
	log_info("exiting");
	return rc == 0 ? 0 : 1;
}
