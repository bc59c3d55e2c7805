#!/usr/bin/env bash
# trafilatura vs akhbar on aeb-dev: F1 and pages/s side by side, one run.
# Makes a virtual environment under target/, installs trafilatura from PyPI,
# builds akhbar (release) if needed, writes target/bench/trafilatura.md and
# the trafilatura section of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

aeb=../shared/eval/aeb-dev
if [ ! -f "$aeb/ground-truth.json" ] || [ ! -d "$aeb/html" ] || [ ! -d "$aeb/text" ]; then
  echo "trafilatura.sh: $(pwd)/$aeb is missing (ground-truth.json, html/, text/): it lives in ../shared beside the repository" >&2
  exit 1
fi

venv=target/trafilatura-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# lxml split its HTML cleaner out; jusText (a trafilatura dependency) needs it.
"$venv/bin/pip" install -q --disable-pip-version-check "trafilatura>=2,<3" lxml_html_clean

if [ ! -x target/release/akhbar ] || [ "${AKHBAR_BENCH_REBUILD:-1}" = 1 ]; then
  cargo build --release --workspace
fi

"$venv/bin/python" benches/trafilatura_eval.py \
  --aeb "$aeb" \
  --akhbar target/release/akhbar \
  --out target/bench/trafilatura.md \
  --benchmarks BENCHMARKS.md \
  --command "bash benches/trafilatura.sh"
