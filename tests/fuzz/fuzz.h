/* The libFuzzer entry point every tests/fuzz/fuzz_*.c defines. Built
 * either with -fsanitize=fuzzer (VPNTUND_LIBFUZZER=ON) or with
 * standalone.c, which replays a corpus as a regression test. */
#ifndef VPNTUND_FUZZ_H
#define VPNTUND_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message: a broken invariant is a finding, and abort() is
 * what both libFuzzer and ctest report as a crash. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
