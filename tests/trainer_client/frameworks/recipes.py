"""The recipes of docs/server.md, read from the file, so the tests run what users read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[3] / "docs" / "server.md"


def section(heading: str) -> str:
    """The text of ``### heading`` in docs/server.md, up to the next heading."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^##)", text, re.S | re.M)
    assert match, f"docs/server.md has no '### {heading}' section"
    return match.group(1)


def blocks(heading: str, language: str) -> list[str]:
    """The fenced ``language`` code blocks of a section, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", section(heading), re.S | re.M)


def mixed_rows(n: int) -> list[dict[str, Any]]:
    """``n`` real model answers to ``n`` different problems from shared/data, alternately
    judged right and wrong by Qwen's own grader, so rewards differ between samples."""
    from tests.verifiers.shared_data import shared_rows

    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in shared_rows("math_real_responses.jsonl"):
        if len(out) == n:
            break
        if row["prompt"] not in seen and row["qwen_grader_verdict"] == (len(out) % 2 == 0):
            seen.add(row["prompt"])
            out.append(row)
    return out
