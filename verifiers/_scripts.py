"""Unicode script tables for the language verifier.

A "word" is a run of letters of one script for scripts written with spaces, and a
single character for scripts written without them (Han, kana, Thai, Lao, Khmer,
Myanmar), where one character is roughly one token. Everything else (digits,
punctuation, symbols, emoji) is not a word and counts neither way.
"""

from __future__ import annotations

from typing import Any

import regex

SPACED = (
    "Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Hangul",
    "Armenian", "Georgian", "Bengali", "Tamil", "Telugu", "Kannada", "Malayalam",
    "Gujarati", "Gurmukhi", "Sinhala", "Ethiopic", "Tibetan",
)  # fmt: skip
UNSPACED = ("Han", "Hiragana", "Katakana", "Thai", "Lao", "Khmer", "Myanmar")
SCRIPTS = SPACED + UNSPACED

# One pass over the text: each alternative is a named group, m.lastgroup is the script.
# Combining marks (\p{M}) stay with the letters they modify (Devanagari vowel signs).
WORD = regex.compile(
    "|".join(f"(?P<{s}>[\\p{{{s}}}\\p{{M}}]*\\p{{{s}}}[\\p{{{s}}}\\p{{M}}]*)" for s in SPACED)
    + "|"
    + "|".join(f"(?P<{s}>\\p{{{s}}})" for s in UNSPACED)
)

# Language (ISO 639-1 and a few names) -> the scripts its words may be written in.
LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **{
        code: frozenset({"Latin"})
        for code in [
            "en",
            "af",
            "az",
            "ca",
            "cs",
            "cy",
            "da",
            "de",
            "eo",
            "es",
            "et",
            "eu",
            "fi",
            "fr",
            "ga",
            "gl",
            "hr",
            "hu",
            "id",
            "is",
            "it",
            "la",
            "lt",
            "lv",
            "mg",
            "mt",
            "ms",
            "nl",
            "no",
            "pl",
            "pt",
            "ro",
            "sk",
            "sl",
            "sq",
            "sv",
            "sw",
            "tl",
            "tr",
            "uz",
            "vi",
            "yo",
            "zu",
            "ha",
            "ceb",
            "jv",
            "lb",
            "oc",
            "gd",
        ]
    },
    **{
        code: frozenset({"Cyrillic"})
        for code in ["ru", "uk", "bg", "sr", "mk", "be", "kk", "mn", "ky", "tg"]
    },
    **{code: frozenset({"Arabic"}) for code in ["ar", "fa", "ur", "ps", "ug"]},
    **{code: frozenset({"Devanagari"}) for code in ["hi", "mr", "ne", "sa"]},
    "zh": frozenset({"Han"}),
    # Japanese mixes kanji (Han) with both kana syllabaries.
    "ja": frozenset({"Han", "Hiragana", "Katakana"}),
    # Korean is Hangul, with the odd Hanja.
    "ko": frozenset({"Hangul", "Han"}),
    "el": frozenset({"Greek"}),
    "he": frozenset({"Hebrew"}),
    "yi": frozenset({"Hebrew"}),
    "th": frozenset({"Thai"}),
    "lo": frozenset({"Lao"}),
    "km": frozenset({"Khmer"}),
    "my": frozenset({"Myanmar"}),
    "hy": frozenset({"Armenian"}),
    "ka": frozenset({"Georgian"}),
    "bn": frozenset({"Bengali"}),
    "ta": frozenset({"Tamil"}),
    "te": frozenset({"Telugu"}),
    "kn": frozenset({"Kannada"}),
    "ml": frozenset({"Malayalam"}),
    "gu": frozenset({"Gujarati"}),
    "pa": frozenset({"Gurmukhi"}),
    "si": frozenset({"Sinhala"}),
    "am": frozenset({"Ethiopic"}),
    "bo": frozenset({"Tibetan"}),
}

ALIASES = {
    "english": "en", "chinese": "zh", "japanese": "ja", "korean": "ko", "russian": "ru",
    "arabic": "ar", "hindi": "hi", "greek": "el", "hebrew": "he", "thai": "th",
    "french": "fr", "german": "de", "spanish": "es", "portuguese": "pt", "italian": "it",
    "ukrainian": "uk", "persian": "fa", "vietnamese": "vi", "turkish": "tr",
    "zh-cn": "zh", "zh-tw": "zh", "zh-hans": "zh", "zh-hant": "zh",
}  # fmt: skip


def scripts_for(target: str) -> tuple[str, frozenset[str]] | None:
    """Normalise a target (``en``, ``zh-CN``, ``Japanese`` or a script name like
    ``Cyrillic``) to (language code or script, the scripts it is written in)."""
    key = target.strip().lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key in LANGUAGE_SCRIPTS:
        return key, LANGUAGE_SCRIPTS[key]
    base = key.split("-")[0]
    if base in LANGUAGE_SCRIPTS:
        return base, LANGUAGE_SCRIPTS[base]
    for script in SCRIPTS:
        if script.lower() == key:
            return script, frozenset({script})
    return None


def count_words(text: str) -> dict[str, int]:
    """Words per script in ``text``."""
    counts: dict[str, int] = {}
    for match in WORD.finditer(text):
        script: Any = match.lastgroup
        counts[script] = counts.get(script, 0) + 1
    return counts
