/* Writing a small file whole, for files a reader must never see half of
 * (key files, generated configs). */
#ifndef VPNTUND_FILE_WRITE_H
#define VPNTUND_FILE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes len bytes to path with the given mode, whatever the umask, and
 * fsyncs them: a new file (O_EXCL, a symbolic link in its place is not
 * followed), or with replace a temporary file beside path, renamed over
 * it once complete. 0, or -1 with errno set (EEXIST: path exists and
 * replace is false); nothing is left behind on failure. */
int file_write_whole(const char *path, const void *data, size_t len,
    mode_t mode, bool replace) __attribute__((warn_unused_result));

#endif
