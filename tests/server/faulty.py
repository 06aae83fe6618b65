"""Test-only verifiers that misbehave on purpose: slow, crashing, and killable.

They live in an importable module (not a conftest) because worker processes import
them by module path; the pool hands its ``sys.path`` to the workers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic.dataclasses import dataclass
from verigrade.verifiers import Sample, Verdict, Verifier


@dataclass(frozen=True)
class SleepyOptions:
    """Options of ``vg_sleepy``."""

    seconds: Annotated[float, Field(ge=0, description="how long a 'SLOW' completion takes")] = 30.0


class SleepyVerifier(Verifier[SleepyOptions]):
    """Scores 1 at once, except completions containing 'SLOW', which hang first
    (a stand-in for a sympy tower exponent)."""

    name = "vg_sleepy"
    description = "test: hangs on completions containing SLOW"
    Options = SleepyOptions
    timeout = 2.0

    def verify(self, sample: Sample) -> Verdict:
        if "SLOW" in sample.completion_text:
            time.sleep(self.options.seconds)
        return Verdict(1.0, reason="fast")


class CrashyVerifier(Verifier[SleepyOptions]):
    """Kills its own worker process on the completion 'CRASH' (a segfault stand-in);
    on 'WAIT:<path>' it writes its pid to <path> and then hangs, so a test knows the
    worker is inside the item and can kill it there."""

    name = "vg_crashy"
    description = "test: kills its worker on CRASH"
    Options = SleepyOptions
    timeout = 20.0

    def verify(self, sample: Sample) -> Verdict:
        text = sample.completion_text
        if text == "CRASH":
            os._exit(3)
        if text.startswith("WAIT:"):
            Path(text[5:]).write_text(str(os.getpid()))
            time.sleep(self.options.seconds)
        return Verdict(1.0, reason="survived", details={"pid": os.getpid()})


FAULT_VERIFIERS = (SleepyVerifier, CrashyVerifier)
