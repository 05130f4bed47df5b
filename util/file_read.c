#include "util/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
file_read_whole(int fd, size_t size, char **bufp, size_t *lenp)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fl, saved;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		return -1;
	if (size == SIZE_MAX || (buf = malloc(size + 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	while (len < size && (n = read(fd, buf + len, size - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			explicit_bzero(buf, len);
			free(buf);
			errno = saved;
			return -1;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}
