#!/usr/bin/env bash
# Rewrite constraints.txt from .venv after the suite passed there on newer versions.
set -euo pipefail
cd "$(dirname "$0")/.."
header=$(sed -n '/^#/p' constraints.txt)
{
    printf '%s\n' "$header"
    # torch's local label (+cpu) is not on PyPI's index; ==2.13.0 matches the CPU wheel.
    .venv/bin/python -m pip freeze --exclude-editable | sed -E 's/^(torch==[^+]+)\+.*/\1/'
} > constraints.txt.new
mv constraints.txt.new constraints.txt
