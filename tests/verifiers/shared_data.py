"""Reading ``shared/data/`` (real model outputs beside the checkout) for verifier tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def shared_rows(name: str) -> list[dict[str, Any]]:
    """The rows of ``shared/data/<name>``, or a skip saying it is absent."""
    for parent in Path(__file__).resolve().parents:
        path = parent / "shared" / "data" / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            return [json.loads(line) for line in text.splitlines() if line]
    pytest.skip(f"shared/data/{name} not found beside the checkout")
