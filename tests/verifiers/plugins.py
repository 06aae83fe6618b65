"""Test-only verifiers that misbehave on purpose, to exercise the pool's deadlines.

They live in an importable module because worker processes import verifier
classes by module path.
"""

from __future__ import annotations

import os
import time

from verigrade.verifiers import Sample, Verdict, Verifier


class Sleep(Verifier):  # type: ignore[type-arg]
    """Sleeps ``metadata["sleep"]`` seconds, then scores 1."""

    name = "test_sleep"
    description = "test-only: misbehaves on purpose"
    timeout = 1.0

    def verify(self, sample: Sample) -> Verdict:
        time.sleep(float(sample.metadata.get("sleep", 0)))
        return Verdict(1.0, "ok", "slept")


class Spin(Verifier):  # type: ignore[type-arg]
    """Burns CPU for ``metadata["spin"]`` seconds, like a sympy tower exponent."""

    name = "test_spin"
    description = "test-only: misbehaves on purpose"
    timeout = 1.0

    def verify(self, sample: Sample) -> Verdict:
        end = time.monotonic() + float(sample.metadata.get("spin", 0))
        while time.monotonic() < end:
            pass
        return Verdict(1.0, "ok", "spun")


class Crash(Verifier):  # type: ignore[type-arg]
    """Kills its own process when ``metadata["crash"]`` is true (a segfault, an OOM kill)."""

    name = "test_crash"
    description = "test-only: misbehaves on purpose"

    def verify(self, sample: Sample) -> Verdict:
        if sample.metadata.get("crash"):
            os._exit(3)
        return Verdict(1.0, "ok", "fine")


class Raise(Verifier):  # type: ignore[type-arg]
    """Raises: a verifier bug must cost one item, not the batch."""

    name = "test_raise"
    description = "test-only: misbehaves on purpose"

    def verify(self, sample: Sample) -> Verdict:
        raise ValueError("boom")


class Pid(Verifier):  # type: ignore[type-arg]
    """Scores 1 and reports which process ran it."""

    name = "test_pid"
    description = "test-only: misbehaves on purpose"

    def verify(self, sample: Sample) -> Verdict:
        return Verdict(1.0, "ok", "", {"pid": os.getpid()})


ALL = (Sleep, Spin, Crash, Raise, Pid)
