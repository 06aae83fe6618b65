"""Files handed to a run arrive whole, however large, and one past the file-size cap is refused.

Compiled programs reach every run this way (a Go binary is ~1.3 MB), moved into the run's
directory by ``splice`` in the child.
"""

from __future__ import annotations

import hashlib
import os

from verigrade.sandbox import Limits, Sandbox


def test_a_large_file_arrives_byte_for_byte(box: Sandbox) -> None:
    blobs = {"a.bin": os.urandom(3 << 20), "b.bin": os.urandom(70_001), "empty": b""}
    result = box.run(["/usr/bin/sha256sum", *blobs], files=blobs)
    assert result.status == "ok", result
    got = dict(reversed(line.split()) for line in result.stdout.decode().splitlines())
    assert got == {name: hashlib.sha256(data).hexdigest() for name, data in blobs.items()}


def test_a_file_past_the_size_cap_is_refused_at_setup(box: Sandbox) -> None:
    # Refused when the child writes it (RLIMIT_FSIZE), not left to time the run out.
    limits = Limits(file_bytes=4 << 20, wall_seconds=10, cpu_seconds=5)
    result = box.run(["/bin/true"], files={"big": bytes(5 << 20)}, limits=limits)
    assert result.status == "sandbox_error", result
    assert "File too large" in (result.sandbox_error or "")
    assert box.run(["/bin/true"], limits=limits).status == "ok"  # the next run is unharmed
