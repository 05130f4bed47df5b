#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with ASan+UBSan and
# runs every unit, integration and interop test with ctest (as root: the
# integration tests build network namespaces). Tests that share nothing
# (unit, fuzz, the restart matrix) run side by side; the other namespace
# tests are RUN_SERIAL.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
SANITIZE=1 "$src/scripts/build.sh" "$src/build-asan"
cd "$src/build-asan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure --timeout 300 -j"$(nproc)" "$@"
