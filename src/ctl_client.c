/* The control socket's client side (ctl_client.h). */
#include "src/ctl_client.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
recv_all(int fd, size_t max, size_t *lenp, long long deadline)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096 + 1) {
			if (cap >= max) {
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

char *
ctl_ask(const char *path, const char *line, int timeout_ms, size_t max,
    size_t *len, enum ctl_stage *stage)
{
	long long deadline = now_ms() + timeout_ms;
	char *ans;
	int fd, saved;

	*stage = CTL_CONNECT;
	if ((fd = connect_ctl(path)) == -1)
		return NULL;
	/* A daemon that refuses us answers and closes at once, so a broken
	 * pipe here still leaves its "error:" line to read. */
	*stage = CTL_SEND;
	if (send_all(fd, line, strlen(line), deadline) == -1 &&
	    errno != EPIPE && errno != ECONNRESET)
		goto fail;
	/* We have nothing more to say; the daemon may read to EOF. */
	(void)shutdown(fd, SHUT_WR);
	*stage = CTL_RECEIVE;
	if ((ans = recv_all(fd, max, len, deadline)) == NULL)
		goto fail;
	close(fd);
	return ans;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return NULL;
}
