"""The ``math`` verifier: R1's accuracy reward for math answers.

``verifier`` is the Verifier; the stages it runs are the modules beside it: ``extract``
(the final answer out of the text) -> ``normalize`` (LaTeX clean-up) -> ``parse`` (numbers,
sets, tuples, intervals, relations, matrices) -> ``equivalence`` (exact rules first, then
``approx`` probes and ``sym``, sympy behind guards); ``numbers`` holds the exact rationals.
Only the names below are public; the stages may change shape freely. Nothing here imports
sympy at module level: plain numbers never need it, and the import costs ~1 s per worker.
"""

from __future__ import annotations

from .verifier import MathOptions, MathVerifier

__all__ = ["MathOptions", "MathVerifier"]
