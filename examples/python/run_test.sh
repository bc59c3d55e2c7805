#!/usr/bin/env bash
# Tests the Python example against a live `akhbar serve`: makes a venv under
# target/, installs grpcio + grpcio-tools from PyPI, generates the stubs into
# a temporary folder, starts the server on a free port with a temporary data
# folder, pushes the seeds and checks that five articles stream back.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
venv=$target/python-venv
bin=$target/debug/akhbar

if [ ! -x "$bin" ]; then
  cargo build --workspace
fi

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r examples/python/requirements.txt

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/stubs"
"$venv/bin/python" -m grpc_tools.protoc -I proto \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  akhbar/v1/akhbar.proto akhbar/v1/service.proto

RUST_LOG=${RUST_LOG:-warn} "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" \
  >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
addr=
for _ in $(seq 1 300); do
  addr=$(grep -o '127\.0\.0\.1:[0-9]*' "$work/serve.out" 2>/dev/null | head -n1 || true)
  [ -n "$addr" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "akhbar serve exited:" >&2; cat "$work/serve.err" >&2; exit 1
  fi
  sleep 0.1
done
[ -n "$addr" ] || { echo "akhbar serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }

"$venv/bin/python" examples/python/client.py --stubs "$work/stubs" --server "$addr" \
  --expect 5 seeds/*.txt

kill -TERM "$server_pid"
wait "$server_pid"
server_pid=
echo "python example: 1 passed, 0 failed"
