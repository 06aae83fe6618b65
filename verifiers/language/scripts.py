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
# A word starts with a letter of the script and takes any combining marks after it
# (most are Script=Inherited, like U+0301 after a Latin e). Only letters count: \p{Arabic} and \p{Devanagari} also hold digits, which are
# numbers, not words (set intersection needs regex's V1 syntax).
WORD = regex.compile(
    "(?V1)"
    + "|".join(f"(?P<{s}>[\\p{{{s}}}&&\\p{{L}}][[\\p{{{s}}}&&\\p{{L}}]\\p{{M}}]*)" for s in SPACED)
    + "|"
    + "|".join(f"(?P<{s}>[\\p{{{s}}}&&\\p{{L}}])" for s in UNSPACED)
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
        for code in ["ru", "uk", "bg", "mk", "be", "kk", "mn", "ky", "tg"]
    },
    **{code: frozenset({"Arabic"}) for code in ["ar", "fa", "ur", "ps", "ug"]},
    **{code: frozenset({"Devanagari"}) for code in ["hi", "mr", "ne", "sa"]},
    # Serbian is written in both alphabets, often in the same text.
    "sr": frozenset({"Cyrillic", "Latin"}),
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


def shares_script(code: str) -> list[str]:
    """Languages other than ``code`` whose every script is one of ``code``'s, widely
    used ones first:
    text in them would pass for ``code`` if words were counted by script alone
    (English for French; Chinese for Japanese, whose kanji are Han)."""
    mine = LANGUAGE_SCRIPTS.get(code)
    if mine is None:
        return []
    others = [c for c, s in LANGUAGE_SCRIPTS.items() if c != code and s <= mine]
    return sorted(others, key=lambda c: (c not in WIDELY_USED, c))


# Named first when a reason lists languages sharing a script.
WIDELY_USED = frozenset({"en", "zh", "es", "fr", "de", "ru", "ar", "hi", "pt", "ja"})


# Fast paths: most reasoning text is ASCII, and most words in any text are
# single-script runs, so the 26-way script alternation runs only on letter runs
# that are not plain ASCII.
ASCII_WORD = regex.compile(r"[A-Za-z]+")
LETTER_RUN = regex.compile(r"\p{L}[\p{L}\p{M}]*")


def count_words(text: str) -> dict[str, int]:
    """Words per script in ``text``."""
    if text.isascii():
        n = len(ASCII_WORD.findall(text))
        return {"Latin": n} if n else {}
    counts: dict[str, int] = {}
    for run in LETTER_RUN.findall(text):
        if run.isascii():
            counts["Latin"] = counts.get("Latin", 0) + 1
            continue
        for match in WORD.finditer(run):
            script: Any = match.lastgroup
            counts[script] = counts.get(script, 0) + 1
    return counts
