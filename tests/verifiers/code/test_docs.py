"""The worked examples of docs/code.md's section on checkers, interactors, subtasks and files
run as written (each block asserts its own results), and so does the benchmark beside them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = (Path(__file__).resolve().parents[3] / "docs" / "code.md").read_text()
SECTION = DOC[DOC.index("## Judging beyond exact output") :]
BLOCKS = re.findall(r"^```python\n(.*?)^```$", SECTION, flags=re.MULTILINE | re.DOTALL)


def test_the_section_has_its_examples() -> None:
    assert len(BLOCKS) == 4


def test_the_examples_run() -> None:
    # One namespace, in order: later blocks use the import of the first.
    namespace: dict[str, object] = {}
    for block in BLOCKS:
        exec(compile(block, "docs/code.md", "exec"), namespace)


def test_the_judging_cost_benchmark_runs() -> None:
    # The benchmark asserts that every way of judging scores its right program 1.0; no timing
    # is asserted here.
    script = Path(__file__).resolve().parents[3] / "benchmarks" / "judging_cost.py"
    done = subprocess.run(
        [sys.executable, str(script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert rows == ["exact", "checker", "checker", "file", "interactor"]
