"""Interim accuracy verifier for the reference run: the integer after ``</think>``
(or the last integer) equals the reference.

Stands in for the ``math`` verifier (issue 6) until it lands; use ``--accuracy
exact_answer`` to select it. Not a general math grader: integers only.
"""

from __future__ import annotations

import re

from verigrade.verifiers import Sample, Verdict, Verifier

_INT = re.compile(r"-?\d+")


class ExactAnswerVerifier(Verifier):  # type: ignore[type-arg]
    """1 when the final integer of the answer equals ``reference`` exactly."""

    name = "exact_answer"
    description = "Interim: final integer equals the reference (stand-in for `math`)."

    def verify(self, sample: Sample) -> Verdict:
        """Compare the last integer after ``</think>`` with the reference."""
        if sample.reference is None:
            return Verdict.failed("invalid_input", "no reference answer")
        text = sample.completion_text
        answer = text.rsplit("</think>", 1)[-1]
        found = _INT.findall(answer)
        if not found:
            return Verdict.failed("no_answer", "no integer in the answer")
        ok = found[-1] == str(sample.reference).strip()
        return Verdict(float(ok), reason="match" if ok else f"{found[-1]} != {sample.reference}")
