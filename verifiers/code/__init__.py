"""The ``code`` verifier: R1's accuracy reward for programs, run in the sandbox.

``verifier`` is the Verifier (tests in three styles, scoring); beside it ``extract`` (the
fenced program out of the completion), ``harness`` (assert-style test code run here,
calling into the sandboxed program), ``compare`` (the output and return-value rules) and
``preview`` (text for returned values in reasons, which never fails). A stdin/stdout test is
run by ``stdio``, with ``checker`` (special judges, read by ``testlib``'s conventions),
``interactive`` (an interactor talking with the program), ``fileio`` (input and output
files); ``subtasks`` scores groups of tests; ``outcome`` and ``errors`` are the words they share.
"""

from __future__ import annotations

from .verifier import CodeOptions, CodeVerifier

__all__ = ["CodeOptions", "CodeVerifier"]
