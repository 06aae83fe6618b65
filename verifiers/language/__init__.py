"""The ``language`` verifier: R1's language-consistency reward.

``verifier`` is the Verifier; ``scripts`` holds the Unicode script tables it counts words by.
"""

from __future__ import annotations

from .verifier import LanguageOptions, LanguageVerifier

__all__ = ["LanguageOptions", "LanguageVerifier"]
