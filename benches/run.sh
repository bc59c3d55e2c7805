#!/usr/bin/env bash
# The full benchmark run: criterion benches, then the end-to-end harness,
# which prints a table and writes BENCHMARKS.md and benches/scaling.svg.
# Extra arguments go to `akhbar-bench e2e` (e.g. --max-corpus 10000).
#
# Two cargo invocations on purpose (see benches/README.md): the workspace's
# plugins are built as cdylibs WITH akhbar_plugin_entry in target/release;
# akhbar-bench with `--features static` (plugins linked in, entry symbol
# off) only ever in its own target dir, target/bench-static.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --workspace
if ! nm -D target/release/libakhbar_plugin_text_dump.so | grep akhbar_plugin_entry > /dev/null; then
  echo "run.sh: target/release/libakhbar_plugin_text_dump.so has no akhbar_plugin_entry: something enabled a plugin's static feature in the workspace build" >&2
  exit 1
fi
cargo build --release -p akhbar-bench --features static --target-dir target/bench-static
if [ "${SKIP_CRITERION:-0}" != 1 ]; then
  AKHBAR_BENCH_PLUGIN_DIR="$(pwd)/target/release" \
    cargo bench -p akhbar-bench --features static --target-dir target/bench-static --bench stages
fi
AKHBAR_BENCH_COMMAND="bash benches/run.sh${*:+ $*}" \
  target/bench-static/release/akhbar-bench e2e --bin-dir target/release "$@"
