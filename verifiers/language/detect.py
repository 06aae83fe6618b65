"""Language identification with py3langid (a core dependency; the ``langid`` extra names it too).

py3langid's model names some varieties apart from their macrolanguage (Moroccan
``ary`` and Egyptian ``arz`` Arabic, Biblical Hebrew ``hbo``, Cantonese ``yue``);
a target is given as the ISO 639-1 code, so those answers are folded into it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import regex

# py3langid variety -> the ISO 639-1 language a target names; zxx: "no linguistic content".
MACRO = {
    "ary": "ar", "arz": "ar", "hbo": "he", "yue": "zh", "wuu": "zh", "grc": "el",
    "nn": "no", "uzs": "uz", "sdh": "ku", "gug": "gn", "gcf": "fr", "gcr": "fr",
}  # fmt: skip
LETTER = regex.compile(r"\p{L}")


@cache
def _langid() -> Any:
    import py3langid  # a core dependency, imported lazily: only runs that need it load its model

    return py3langid


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code py3langid gives ``text``, or None when the text has no
    letters (or the model calls it no language at all).

    Raises:
        ImportError: py3langid is not installed (``pip install 'verigrade[langid]'``).
    """
    if not LETTER.search(text):
        return None
    code: str = _langid().classify(text)[0]
    if code == "zxx":
        return None
    return MACRO.get(code, code)


def langid_available() -> bool:
    """Whether py3langid can be imported."""
    try:
        _langid()
    except ImportError:
        return False
    return True
