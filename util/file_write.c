#include "util/file_write.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_write_whole(const char *path, const void *data, size_t len,
    mode_t mode, bool replace)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *target = path;
	int fd, saved;

	if (replace) {
		/* dirname() may write to its argument. */
		snprintf(dir, sizeof(dir), "%s", path);
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.vpntund.XXXXXX",
		    dirname(dir)) >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = mkostemp(tmp, O_CLOEXEC);		/* 0600 */
		target = tmp;
	} else
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	if (fchmod(fd, mode) == -1 || write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(target);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1 || (replace && rename(tmp, path) == -1)) {
		saved = errno;
		unlink(target);
		errno = saved;
		return -1;
	}
	return 0;
}
