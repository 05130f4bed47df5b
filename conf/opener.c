/* How the parser opens the files it reads (the configuration, its
 * includes, key files): open(2), unless the process may not read them
 * itself. After privilege separation the packet process asks its
 * privileged parent, which opens only the files named at start. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"

static conf_open_fn opener;
static void *opener_arg;

void
conf_set_opener(conf_open_fn fn, void *arg)
{
	opener = fn;
	opener_arg = arg;
}

/* The canonical paths of the files opened with open(2) so far: those a
 * privileged parent may open for a reload later. */
static char **opened;
static size_t nopened;

static void
remember(int fd, const char *path)
{
	char *real, **n;

	if ((real = conf_fd_path(fd, path)) == NULL)
		return;
	if (conf_opened_before(real) ||
	    (n = reallocarray(opened, nopened + 1, sizeof(*n))) == NULL) {
		free(real);
		return;
	}
	opened = n;
	opened[nopened++] = real;
}

bool
conf_opened_before(const char *real)
{
	size_t i;

	for (i = 0; i < nopened; i++)
		if (strcmp(opened[i], real) == 0)
			return true;
	return false;
}

int
conf_open(const char *path, int flags)
{
	int fd;

	if (opener != NULL)
		return opener(path, flags, opener_arg);
	if ((fd = open(path, flags)) != -1)
		remember(fd, path);
	return fd;
}

/* From the descriptor, so that it needs no search permission on the
 * directories above (the packet process may have none); realpath(3) if
 * /proc is not there. */
char *
conf_fd_path(int fd, const char *path)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n > 0 && buf[0] == '/') {
		buf[n] = '\0';
		return strdup(buf);
	}
	return realpath(path, NULL);
}
