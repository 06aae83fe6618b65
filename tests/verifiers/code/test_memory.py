"""The process a program runs in never holds an expected output, even with Landlock off.

The program scans every readable page of its own memory (``/proc/self/mem``, which Landlock
normally hides and the minimal root does not hold) for ``EXPECTED-`` followed by 32 hex digits, and answers with what it finds.
A control passes the secret as an input to show the scan finds what is really there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import verigrade.verifiers.code.verifier as code_module
from verigrade.sandbox import Sandbox, SandboxDegraded
from verigrade.verifiers import Sample
from verigrade.verifiers.code import CodeVerifier

SCAN = r"""
import ctypes, re
def scan(_=None):
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: make /proc/self/mem ours
    found = b""
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1]:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            match = re.search(rb"EXPECTED-[0-9a-f]{32}", chunk)
            if match:
                found = match.group()
                break
    return found.decode()
"""


@pytest.fixture
def unfenced_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    box = Sandbox(disable=["landlock", "minimal_root"])  # so /proc/self/mem is there to read
    with pytest.warns(SandboxDegraded):
        box.active_layers()
    monkeypatch.setattr(code_module, "default_sandbox", lambda: box)
    yield
    box.close()


def grade(program: str, reference: dict[str, Any]) -> Any:
    sample = Sample(completion=f"```python\n{program}\n```", reference=reference)
    return CodeVerifier.from_options({"test_seconds": 5}).verify(sample)


def test_function_call_expected_value_is_not_in_memory(unfenced_memory: None) -> None:
    secret = f"EXPECTED-{uuid.uuid4().hex}"
    reference = {"fn_name": "scan", "tests": [{"args": [], "expected": secret}]}
    verdict = grade(SCAN, reference)
    assert verdict.score == 0.0
    assert secret not in str(verdict.details)
    # Control: when the secret really is in the program's memory, the scan finds it.
    control = {"fn_name": "scan", "tests": [{"args": [secret], "expected": secret}]}
    assert grade(SCAN, control).score == 1.0


def test_stdout_expected_output_is_not_in_memory(unfenced_memory: None) -> None:
    secret = f"EXPECTED-{uuid.uuid4().hex}"
    program = SCAN + "\ninput()\nprint(scan())"
    assert grade(program, {"tests": [{"input": "x\n", "output": secret + "\n"}]}).score == 0.0
    control = {"tests": [{"input": secret + "\n", "output": secret + "\n"}]}
    assert grade(program, control).score == 1.0


def test_assert_style_expected_value_is_not_in_memory(unfenced_memory: None) -> None:
    secret = f"EXPECTED-{uuid.uuid4().hex}"
    reference = {
        "test_code": f"def check(candidate):\n    assert candidate() == {secret!r}",
        "entry_point": "scan",
    }
    assert grade(SCAN, reference).score == 0.0
