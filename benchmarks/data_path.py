"""Where the benchmarks find ``shared/data`` (imported by the scripts beside it)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def find_data(name: str = "math_real_responses.jsonl") -> Path:
    """``shared/data/<name>`` beside the checkout (or above a worktree), or $VERIGRADE_DATA."""
    env = os.environ.get("VERIGRADE_DATA")
    candidates = [Path(env) / name] if env else []
    candidates += [parent / "shared" / "data" / name for parent in ROOT.parents]
    for path in candidates:
        if path.exists():
            return path
    raise SystemExit(f"cannot find {name}: set VERIGRADE_DATA to the shared/data folder")
