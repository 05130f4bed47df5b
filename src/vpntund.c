/* vpntund: the IPsec (ESP) tunnel daemon.
 *
 *   vpntund -c site.conf [-f] [-n] [-R] [-v]...
 *   vpntund --help | --version
 *
 * -n checks the configuration (keys included) and exits like `nginx -t`;
 * -f stays in the foreground and logs to stderr; otherwise the daemon
 * detaches once everything is up and logs to syslog; -R lets manual SAs
 * without marks in the state file start afresh. Everything that can
 * be checked without a device is checked before the first device exists. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "crypto/crypto.h"
#include "src/engine/engine.h"
#include "src/engine/privsep.h"
#include "util/log.h"

/* To stdout and 0 when asked for, to stderr and 2 on bad usage. */
static void __attribute__((noreturn))
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: vpntund -c site.conf [-f] [-n] [-R] [-v]...\n"
	    "       vpntund -h | --help | --version\n"
	    "  -c, --config FILE   the site.conf to run\n"
	    "  -f, --foreground    do not detach; log to stderr\n"
	    "  -n, --check         check the configuration (keys included) "
	    "and exit\n"
	    "  -R, --fresh-state   manual SAs without marks in the state "
	    "file start afresh\n"
	    "  -v, --verbose       log more (repeatable)\n");
	exit(status);
}

static const struct option long_options[] = {
	{ "config",      required_argument, NULL, 'c' },
	{ "foreground",  no_argument,       NULL, 'f' },
	{ "check",       no_argument,       NULL, 'n' },
	{ "fresh-state", no_argument,       NULL, 'R' },
	{ "verbose",     no_argument,       NULL, 'v' },
	{ "help",        no_argument,       NULL, 'h' },
	{ "version",     no_argument,       NULL, 'V' },
	{ NULL,          0,                 NULL, 0 },
};

/* daemon(3) moves to "/": paths used after that must not be relative to
 * where we were started. -1 (err set) if the result does not fit. */
static int
absolute(char *path, size_t size, const char *cwd, struct conf_error *err)
{
	char tmp[PATH_MAX];

	if (path[0] == '\0' || path[0] == '/')
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", cwd, path) >=
	    sizeof(tmp) || strlen(tmp) >= size) {
		snprintf(err->msg, sizeof(err->msg), "%s: path too long", path);
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

/* How the configuration is read, at start and by every reload (SIGHUP,
 * `vpntunctl reload`): the file, the directory the daemon was started
 * in, against which relative paths are resolved, and the -v count. */
struct loader {
	char path[PATH_MAX];    /* as given at start; absolute once started */
	char cwd[PATH_MAX];
	int  verbose;
};

static int
load(struct config *cf, struct conf_error *err, void *arg)
{
	struct loader *l = arg;

	if (config_load(l->path, cf, err) == -1)
		return -1;
	if (absolute(cf->site.state_file, sizeof(cf->site.state_file), l->cwd,
	    err) == -1 ||
	    absolute(cf->site.control, sizeof(cf->site.control), l->cwd,
	    err) == -1 ||
	    absolute(cf->site.up, sizeof(cf->site.up), l->cwd, err) == -1 ||
	    absolute(cf->site.down, sizeof(cf->site.down), l->cwd, err) == -1 ||
	    absolute(cf->site.peer_up, sizeof(cf->site.peer_up), l->cwd,
	    err) == -1 ||
	    absolute(cf->site.peer_down, sizeof(cf->site.peer_down), l->cwd,
	    err) == -1) {
		config_free(cf);
		return -1;
	}
	/* The level in force: the file's, raised by each -v. */
	cf->site.log_level = raise_level(cf->site.log_level, l->verbose);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct config cf;
	static struct loader ld;
	struct conf_error err;
	struct engine *e;
	const char *path = NULL;
	int ch, foreground = 0, check = 0, verbose = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:fhnRv", long_options,
	    NULL)) != -1) {
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
		case 'R':
			engine_set_fresh_state(true);
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout, 0);
		case 'V':
			printf("vpntund %s\n", VPNTUND_VERSION);
			return 0;
		default:
			usage(stderr, 2);
		}
	}
	if (path == NULL || optind != argc)
		usage(stderr, 2);

	log_init("vpntund", raise_level(LOG_LVL_INFO, verbose), false);
	if (crypto_global_init() == -1) {
		fprintf(stderr, "vpntund: cannot initialise the crypto "
		    "providers (is the OpenSSL legacy provider installed?)\n");
		return 1;
	}
	if (getcwd(ld.cwd, sizeof(ld.cwd)) == NULL) {
		fprintf(stderr, "vpntund: the current directory: %s\n",
		    strerror(errno));
		return 1;
	}
	if (strlen(path) >= sizeof(ld.path)) {
		fprintf(stderr, "vpntund: %s: path too long\n", path);
		return 1;
	}
	memcpy(ld.path, path, strlen(path) + 1);
	ld.verbose = verbose;
	if (load(&cf, &err, &ld) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		if (check)
			fprintf(stderr, "configuration check failed\n");
		return 1;
	}
	/* Reloads read the file after daemon(3) has moved to "/". */
	if (absolute(ld.path, sizeof(ld.path), ld.cwd, &err) == -1) {
		fprintf(stderr, "vpntund: %s\n", err.msg);
		config_free(&cf);
		return 1;
	}
	log_set_level(cf.site.log_level);
	config_warn(&cf);
	if (config_resolve_user(&cf, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		if (check)
			fprintf(stderr, "configuration check failed\n");
		config_free(&cf);
		return 1;
	}
	if (check && engine_check_config(&cf) == -1) {
		fprintf(stderr, "configuration check failed\n");
		config_free(&cf);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		if (verbose > 0)
			config_show(stdout, &cf);
		config_free(&cf);
		return 0;
	}

	/* `log syslog` in the site block: syslog even in the foreground. */
	if (cf.site.log_syslog)
		log_init("vpntund", log_get_level(), true);
	signal(SIGPIPE, SIG_IGN);
	if (privsep_check(&cf) == -1) {
		log_warnx("start-up failed; nothing left running");
		config_free(&cf);
		return 1;
	}
	if ((e = engine_new(&cf)) == NULL) {
		config_free(&cf);
		return 1;
	}
	engine_set_loader(e, load, &ld);
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
	switch (privsep_split(e, &rc)) {
	case -1:
		log_warnx("start-up failed; nothing left running");
		engine_free(e);
		return 1;
	case 1:
		/* The privileged parent, its packet process gone. */
		log_info("exiting");
		return rc;
	}
	rc = engine_run(e);
	engine_free(e);
	log_info("exiting");
	return rc == 0 ? 0 : 1;
}
