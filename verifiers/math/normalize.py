"""LaTeX clean-up shared by golds and predictions: one canonical spelling per answer.

The rules follow what graders of MATH-style answers agree on (Hendrycks et al.'s
``is_equiv`` string normalizer, Qwen2.5-Math's ``strip_string``, Math-Verify's
``NormalizationConfig``): spacing commands, ``\\left``/``\\right``, ``\\dfrac``,
degrees, dollar signs and unit words carry no value; ``{,}`` and ``,\\!`` are
thousands separators. A single letter is never stripped as a unit, since ``4t``
and ``4a-2`` are answers whose letter matters.
"""

from __future__ import annotations

import re

_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_REPLACE = (
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\cfrac", "\\frac"),
    ("\\displaystyle", ""),
    ("\\!", ""),
    ("\\%", "%"),
    ("\\$", ""),
    ("$", ""),
    ("\\infinity", "\\infty"),
    ("\\neq", "\\ne"),
    ("\\leq", "\\le"),
    ("\\geq", "\\ge"),
    ("\\leqslant", "\\le"),
    ("\\geqslant", "\\ge"),
    ("≤", "\\le"),
    ("≥", "\\ge"),
    ("\u2212", "-"),  # Unicode minus sign
    ("π", "\\pi"),
    ("∞", "\\infty"),
    ("°", ""),
)
_SIZING = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\.?"
)
# "\\quadx_2" (a space command glued to the next name, as some datasets write it) is
# still a space: no other command starts with "quad".
_SPACES = re.compile(r"(?<!\\)\\[,;: ]|\\q?quad|~")
# "14{,}916", "14{, }916": a comma in a brace group is a thousands separator.
_BRACED_COMMA = re.compile(r"\{\s*,\s*\}")
# A text escaped twice (JSON encoded twice): every command written "\\\\frac".
_DOUBLED_COMMAND = re.compile(r"\\\\(?=[a-zA-Z])")
_SINGLE_COMMAND = re.compile(r"(?<!\\)\\[a-zA-Z]")
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree")
_WRAPPERS = re.compile(r"\\(?:mathrm|mathbf|boldsymbol|mathit|operatorname|textbf|mathsf|bf)\s*\{")
_TEXT = re.compile(r"\\(?:text|textrm|textit|textnormal|mbox|hbox)\s*\{([^{}]*)\}(\^\{?\d\}?)?")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d|\{[^{}]*\})\s*(\d|[a-zA-Z]|\{[^{}]*\})")
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d+|[a-zA-Z])")
# A unit after a number or closing bracket, at the end: a known abbreviation
# ("5cm", "5 cm^2"), or words of three letters or more after a space ("18 dollars",
# "3 square units"). Two letters glued to a value are a product ("2xy", "4ab"),
# and a single letter is always a variable ("4t", "5 m" stay as they are).
_UNIT_ABBREVIATIONS = (
    "cm|mm|km|kg|mg|ml|mL|ft|in|yd|mi|hr|hrs|min|mins|sec|secs|lb|lbs|oz|mph|kph|sq|cu|deg|rad"
)
_TRAILING_UNITS = re.compile(
    rf"(?<=[\d}})\]])(?:\s*(?:{_UNIT_ABBREVIATIONS})\.?|\s+[a-zA-Z]{{3,}}\.?)"
    r"(?:\s+[a-zA-Z]+\.?)*(?:\^\{?\d\}?)?$"
)
_LEADING_WORDS = re.compile(r"^(?:[a-zA-Z]{2,}\s+)+(?=[-\d\\(\[{])")
_SET_MEMBERSHIP = re.compile(r"^[a-zA-Z]\s*\\in\s*")
# "and"/"or" between answers, spaced or glued between brackets: "(11,7)or(7,11)".
_CONNECTIVES = re.compile(r"\s+(?:and|or)\s+|(?<=[)\]}])\s*(?:and|or)\s*(?=[(\[{])")
# Plain-text spellings models also write: "pi/2", "exp(16)", "-2*pi".
_BARE_NAMES = re.compile(r"(?<![\\a-zA-Z])(pi|exp|sin|cos|tan|ln|log)(?![a-zA-Z])")
_EDGE_PUNCT = " .;:,\n\t"
# Sentence punctuation around an answer, but never the point of ".5".
_EDGES = re.compile(r"^(?:[\s;:,]|\.(?!\d))+|[\s.;:,]+$")
# A clock time: "4:30 \text{ p.m.}", "4:30pm" and MATH's own typo "4:30p.." are one time.
_CLOCK = re.compile(r"(\d{1,2}:\d{2})\s*(?:\\text\s*\{\s*)?([apAP])\.?\s*[mM]?\.*\s*\}?")


def strip_delimiters(text: str) -> str:
    """Remove math delimiters around the whole text: ``$x$``, ``\\(x\\)``, ``\\[x\\]``."""
    text = text.strip()
    changed = True
    while changed:
        changed = False
        for left, right in _DELIMITERS:
            if (
                len(text) > len(left) + len(right)
                and text.startswith(left)
                and text.endswith(right)
            ):
                text = text[len(left) : -len(right)].strip()
                changed = True
    return text


def unwrap_boxed(text: str) -> str:
    """``\\boxed{x}`` -> ``x`` anywhere in the text (a box inside a box, or a box in a gold)."""
    while True:
        start = text.find("\\boxed{")
        if start < 0:
            return text
        end = matching_brace(text, start + 6)
        if end < 0:
            return text
        text = text[:start] + text[start + 7 : end] + text[end + 1 :]


def matching_brace(text: str, open_at: int) -> int:
    """Index of the brace closing the one at ``open_at``, or -1 when it never closes."""
    depth = 0
    for i in range(open_at, len(text)):
        c = text[i]
        if c == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif c == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return i
    return -1


def only_text(text: str) -> str | None:
    """The words of an answer made only of ``\\text{...}`` (``\\text{Evelyn}``), else None."""
    stripped = strip_delimiters(text).strip(_EDGE_PUNCT)
    parts = [m.group(1) for m in _TEXT.finditer(stripped)]
    if parts and not _TEXT.sub("", stripped).strip(" ()"):
        words = " ".join(p.strip() for p in parts).strip()
        if stripped.startswith("(") and stripped.endswith(")"):
            words = f"({words})"
        return words or None
    return None


def undouble(text: str) -> str:
    """``\\\\frac{1}{2}`` -> ``\\frac{1}{2}`` when every command in the text is doubled.

    Text encoded as JSON twice reaches us with each backslash doubled. A text that
    also has a single-backslash command is left alone: its ``\\\\`` are line breaks
    (matrix rows), which may well be followed by a letter.
    """
    if "\\\\" not in text or _SINGLE_COMMAND.search(text.replace("\\\\", "")):
        return text
    if not _DOUBLED_COMMAND.search(text):
        return text
    return text.replace("\\\\", "\\")


def normalize(text: str) -> str:
    """The canonical spelling of one answer (already cut out of its completion)."""
    text = unwrap_boxed(strip_delimiters(undouble(text).strip().strip("*")))
    text = _BARE_NAMES.sub(r"\\\1", text)
    text = _BRACED_COMMA.sub(",", text)
    for old, new in _REPLACE:
        text = text.replace(old, new)
    text = _SIZING.sub("", text)
    text = _CLOCK.sub(lambda m: f"{m.group(1)}_{{{m.group(2).lower()}m}}", text)
    text = _DEGREES.sub("", text)
    text = _SPACES.sub(" ", text)
    # A semicolon separates answers or coordinates as a comma does: "-12;-11", "(0;-2;6)".
    text = text.replace(";", ",")
    text = _unwrap(text)
    text = _TEXT.sub(_text_group, text)
    text = _CONNECTIVES.sub(",", text)
    text = _EDGES.sub("", text)
    text = _SET_MEMBERSHIP.sub("", text)
    text = _LEADING_WORDS.sub("", text)
    text = _TRAILING_UNITS.sub("", text)
    text = _FRAC_SHORT.sub(_brace_frac, text)
    text = _SQRT_SHORT.sub(r"\\sqrt{\1}", text)
    return _EDGES.sub("", squeeze_spaces(text))


def drop_units(text: str) -> str:
    """``35 cm`` -> ``35``: a unit after one answer of a list (the whole text had its own)."""
    return _TRAILING_UNITS.sub("", text)


def squeeze_spaces(text: str) -> str:
    """Drop spaces except between two letters/digits (``\\sin x``, ``12 000``, ``1 1/4``)."""
    return re.sub(r"\s+", " ", re.sub(r"(?<![A-Za-z0-9])\s+|\s+(?![A-Za-z0-9])", "", text))


def _unwrap(text: str) -> str:
    # \mathrm{cm} -> cm, \mathbf{v} -> v: the wrapper styles, the content is the value.
    while True:
        m = _WRAPPERS.search(text)
        if m is None:
            return text
        end = matching_brace(text, m.end() - 1)
        if end < 0:
            return text
        text = text[: m.start()] + text[m.end() : end] + text[end + 1 :]


def _text_group(m: re.Match[str]) -> str:
    content = m.group(1).strip()
    if content in ("and", "or", ","):
        return ","
    if re.fullmatch(r"[A-Za-z .]*", content):
        return " "  # words beside a value are units (with their power: cm^2) or prose
    return content + (m.group(2) or "")


def _brace_frac(m: re.Match[str]) -> str:
    top, bottom = (g if g.startswith("{") else "{" + g + "}" for g in m.groups())
    return f"\\frac{top}{bottom}"
