"""docs/mixed_domain.md's recipes, run as written there."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "mixed_domain.md").read_text(encoding="utf-8")


def block(heading: str, language: str, index: int = 0) -> str:
    """The index-th fenced block of ``language`` in the section under ``heading``."""
    fences = re.findall(r"^```(\w*)\n(.*?)^```$", block_text(heading), re.S | re.M)
    return [text for lang, text in fences if lang == language][index]


def test_the_python_recipe_prints_what_the_doc_says() -> None:
    code = block("In Python", "python")
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/mixed_domain.md", "exec"), {})
    assert out.getvalue().splitlines() == expected


def test_the_spec_at_the_top_is_the_example_spec_file() -> None:
    import json

    top = json.loads(DOC.split("```json\n", 1)[1].split("```", 1)[0])
    assert top == json.loads((ROOT / "examples" / "mixed_domain" / "spec.json").read_text())


def test_the_command_line_recipe_prints_the_summary_the_doc_shows(tmp_path: Path) -> None:
    command = block("From the command line", "bash")
    shown = block("From the command line", "", 0).splitlines()
    (tmp_path / "examples").symlink_to(ROOT / "examples")  # run where graded.jsonl may land
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    printed = done.stderr.splitlines()
    assert printed[0].startswith("graded 5 samples in ")
    assert printed[1:] == shown
    assert len((tmp_path / "graded.jsonl").read_text().splitlines()) == 5


def test_the_cost_section_runs_a_real_benchmark() -> None:
    command = re.search(
        r"`python (benchmarks/\S+\.py)((?: --\S+ \S+)*)`", block_text("What it costs")
    )
    assert command is not None
    script = (ROOT / command.group(1)).read_text(encoding="utf-8")
    for flag in re.findall(r"--[\w-]+", command.group(2)):
        assert f'"{flag}"' in script


def block_text(heading: str) -> str:
    return DOC.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
