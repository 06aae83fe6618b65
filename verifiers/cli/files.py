"""What the JSONL commands share on the file side: counting lines for the progress bar,
the bar itself, and cutting off a line a crash left half-written."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def count_lines(path: Path) -> int:
    """Lines in a file, a last line without a newline included."""
    count, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def drop_partial_line(path: Path) -> bytes:
    """The file's whole lines; a last line cut off mid-write is removed from the file too,
    so that an append after it starts on a fresh line."""
    with open(path, "rb+") as f:
        data = f.read()
        if data and not data.endswith(b"\n"):
            f.truncate(data.rfind(b"\n") + 1)
            data = data[: data.rfind(b"\n") + 1]
    return data


def keep_lines(path: Path, count: int) -> int:
    """Cut a file after its first ``count`` whole lines, if it has that many; returns how
    many whole lines it had."""
    total = position = 0
    cut = 0
    with open(path, "rb+") as f:
        for line in f:
            if not line.endswith(b"\n"):
                break
            total += 1
            position += len(line)
            if total == count:
                cut = position
        if total >= count:
            f.truncate(cut)
    return total


def progress_bar(total: int | None, quiet: bool, unit: str) -> Any:
    """A tqdm bar on stderr, or None when quiet, not a terminal, or under CI."""
    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, dynamic_ncols=True)
