/* Reading a small regular file whole (configs, key files, setkey
 * scripts), once its caller has checked what the file is. */
#ifndef VPNTUND_FILE_READ_H
#define VPNTUND_FILE_READ_H

#include <stddef.h>

/* Reads the size bytes (from fstat) of the regular file open on fd into
 * a new buffer, NUL-terminated: 0 with *bufp (malloc'd, size + 1 bytes)
 * and *lenp (fewer than size if the file shrank meanwhile), or -1 with
 * errno set and nothing allocated. O_NONBLOCK, with which such files
 * are opened so that a FIFO in their place is refused, is cleared
 * first. On failure what was read is wiped: it may be a key. fd stays
 * open. */
int file_read_whole(int fd, size_t size, char **bufp, size_t *lenp)
    __attribute__((warn_unused_result));

#endif
