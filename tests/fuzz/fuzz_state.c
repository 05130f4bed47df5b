/* Fuzzes the sequence-state file reader (state_open, src/engine/state.h):
 * the input is the file's content. The file is ours, but it survives
 * crashes and disk trouble, so its reader must refuse anything but the
 * exact format, and a refused file must leave no entries behind. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/engine/state.h"
#include "src/util/log.h"
#include "tests/fuzz/fuzz.h"

static char tdir[64], path[128];
static struct state st;                 /* big: keep it off the stack */

static void
cleanup(void)
{
	unlink(path);
	rmdir(tdir);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, j;
	int fd;

	if (tdir[0] == '\0') {
		log_init("fuzz_state", LOG_LVL_ERR, false);
		snprintf(tdir, sizeof(tdir), "/tmp/vpntund-fuzz-state-XXXXXX");
		FUZZ_CHECK(mkdtemp(tdir) != NULL);
		snprintf(path, sizeof(path), "%s/site.state", tdir);
		atexit(cleanup);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd != -1);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);

	memset(&st, 0xa5, sizeof(st));
	if (state_open(&st, path) == -1) {
		FUZZ_CHECK(st.n == 0);
		return 0;
	}
	/* An empty file is refused: only a missing one is a first start. */
	FUZZ_CHECK(size > 0);
	FUZZ_CHECK(st.n <= STATE_MAX_SA);
	for (i = 0; i < st.n; i++) {
		FUZZ_CHECK(state_start(&st, st.entries[i].spi) ==
		    st.entries[i].reserved);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(st.entries[j].spi != st.entries[i].spi);
	}
	return 0;
}
