"""The ``ifeval`` verifier: IFEval's 25 verifiable instructions as a reward.

``verifier`` is the Verifier; ``instructions`` holds the checks and their kwargs;
``reference`` reads IFEval's format and the RLVR one-constraint form.
"""

from __future__ import annotations

from .instructions import INSTRUCTIONS
from .verifier import IFEvalOptions, IFEvalVerifier

__all__ = ["INSTRUCTIONS", "IFEvalOptions", "IFEvalVerifier"]
