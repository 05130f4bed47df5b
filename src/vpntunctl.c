/* vpntunctl: asks a running vpntund for its status, its rules with what
 * they matched or the MAC table of its bridge, or to reload its
 * configuration, over the control socket (one command line out, the
 * answer back until the daemon closes). */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/vpntunctl_top.h"

#define DEFAULT_SOCKET "/run/vpntund.sock"
#define TIMEOUT_MS     5000
#define ANSWER_MAX     (64UL * 1024 * 1024)	/* far above any status */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: vpntunctl [-h] [-s socket] status [--json]\n"
	    "       vpntunctl [-h] [-s socket] bridge [--json]\n"
	    "       vpntunctl [-h] [-s socket] rules [--json]\n"
	    "       vpntunctl [-h] [-s socket] reload\n"
	    "       vpntunctl [-h] [-s socket] top [-d seconds] [-n count]\n");
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

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd until the overall deadline: one timeout for the whole
 * conversation, not one per read. 0 ready, -1 error or timeout (errno). */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left;
	int rv;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		rv = poll(&pfd, 1, (int)left);
		if (rv > 0)
			return 0;
		if (rv == -1 && errno != EINTR)
			return -1;
	}
}

static int
connect_ctl(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len, long long deadline)
{
	ssize_t n;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until EOF into a growing buffer (NUL-terminated). */
static char *
recv_all(int fd, size_t *lenp, long long deadline)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096 + 1) {
			if (cap >= ANSWER_MAX) {
				errno = EMSGSIZE;
				goto fail;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		if (wait_fd(fd, POLLIN, deadline) == -1)
			goto fail;
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			goto fail;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	free(buf);
	return NULL;
}

int
main(int argc, char *argv[])
{
	const char *path = DEFAULT_SOCKET, *cmd;
	long long deadline;
	size_t len;
	char *ans;
	int ch, fd;

	/* "+": stop at the command, so that "--json" after it is an argument
	 * of the command and not an option of ours. */
	while ((ch = getopt(argc, argv, "+hs:")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 's':
			path = optarg;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && strcmp(argv[0], "top") == 0)
		return top_main(path, argc, argv);
	if ((cmd = command_line(argc, argv)) == NULL) {
		usage(stderr);
		return 1;
	}

	if ((fd = connect_ctl(path)) == -1) {
		fprintf(stderr, "vpntunctl: cannot connect to %s: %s "
		    "(is vpntund running?)\n", path, strerror(errno));
		return 1;
	}
	deadline = now_ms() + TIMEOUT_MS;
	/* A daemon that refuses us answers and closes at once, so a broken
	 * pipe here still leaves its "error:" line to read. */
	if (send_all(fd, cmd, strlen(cmd), deadline) == -1 &&
	    errno != EPIPE && errno != ECONNRESET) {
		fprintf(stderr, "vpntunctl: %s: send: %s\n", path,
		    strerror(errno));
		close(fd);
		return 1;
	}
	/* We have nothing more to say; the daemon may read to EOF. */
	(void)shutdown(fd, SHUT_WR);
	if ((ans = recv_all(fd, &len, deadline)) == NULL) {
		fprintf(stderr, "vpntunctl: %s: no answer: %s\n", path,
		    errno == ETIMEDOUT ? "timed out" : strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);

	if (strncmp(ans, "error:", 6) == 0) {
		fputs(ans, stderr);
		free(ans);
		return 1;
	}
	if (len == 0) {
		fprintf(stderr, "vpntunctl: %s: empty answer\n", path);
		free(ans);
		return 1;
	}
	if (fwrite(ans, 1, len, stdout) != len || fflush(stdout) == EOF) {
		fprintf(stderr, "vpntunctl: stdout: %s\n", strerror(errno));
		free(ans);
		return 1;
	}
	free(ans);
	return 0;
}
