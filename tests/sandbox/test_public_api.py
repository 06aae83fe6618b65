"""The sandbox's public surface, and the smoke run of its benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import verigrade.sandbox as api

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_sorted_and_complete() -> None:
    assert api.__all__ == sorted(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name


def test_sandbox_imports_nothing_else_of_ours() -> None:
    for path in (ROOT / "sandbox").glob("*.py"):
        text = path.read_text()
        assert "verigrade.verifiers" not in text and "verigrade.server" not in text, path
        assert "from .." not in text, path


def test_the_docstring_example_runs() -> None:
    box = api.Sandbox()
    try:
        assert box.run_python("print(int(input()) * 2)", stdin=b"21\n").stdout == b"42\n"
    finally:
        box.close()


def test_benchmark_smoke_run() -> None:
    # The benchmark's own checks fail it if any graded sample is wrong; no timing is asserted.
    script = ROOT / "benchmarks" / "sandbox_throughput.py"
    done = subprocess.run(
        [sys.executable, str(script), "--quick", "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HumanEval canonical (code verifier)" in done.stdout
