"""The worked examples of docs/code.md's section on checkers, interactors, subtasks and files
run as written (each block asserts its own results)."""

from __future__ import annotations

import re
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
