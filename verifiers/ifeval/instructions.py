"""IFEval's 25 verifiable instructions: their kwargs and their checks.

Each instruction is an id (``group:name``, as IFEval writes it), the kwargs it takes
and a check ``(response, kwargs) -> (followed, note)``. The checks follow the
definitions in Zhou et al. 2023, "Instruction-Following Evaluation for Large
Language Models" (arXiv:2311.07911), Table 1, and the behaviour of its reference
checkers; where ours differ on purpose, docs/ifeval.md says how and why.

Counts compare with a relation: IFEval's ``less than`` and ``at least``, and, for
the RLVR one-constraint form, ``at most``, ``exactly`` and ``around`` (within 10% of
N, at least 1).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import regex

from ..language.detect import detect_language

Kwargs = Mapping[str, Any]
Outcome = tuple[bool, str]

RELATIONS = ("less than", "at least", "at most", "exactly", "around")


@dataclass(frozen=True)
class Kwarg:
    """One kwarg of an instruction: its kind (int, str, strs, letter, relation, bool)
    and whether it must be given."""

    kind: str
    required: bool = True


@dataclass(frozen=True)
class Instruction:
    """One IFEval instruction: id, kwargs and check."""

    id: str
    doc: str
    kwargs: Mapping[str, Kwarg]
    check: Callable[[str, Kwargs], Outcome]
    needs_langid: bool = False


def compare(count: int, relation: str, n: int) -> bool:
    """``count <relation> n``."""
    if relation == "less than":
        return count < n
    if relation == "at least":
        return count >= n
    if relation == "at most":
        return count <= n
    if relation == "exactly":
        return count == n
    return abs(count - n) <= max(round(n * 0.1), 1)  # around


def _counted(what: str, count: int, relation: str, n: int) -> Outcome:
    return compare(count, relation, n), f"{count} {what}, wanted {relation} {n}"


# keywords ------------------------------------------------------------------


def _existence(text: str, kw: Kwargs) -> Outcome:
    lower = text.lower()
    missing = [k for k in kw["keywords"] if k.lower() not in lower]
    return not missing, f"missing {missing}" if missing else "all keywords present"


def _frequency(text: str, kw: Kwargs) -> Outcome:
    count = text.lower().count(kw["keyword"].lower())
    return _counted(f"times {kw['keyword']!r}", count, kw["relation"], kw["frequency"])


def _forbidden(text: str, kw: Kwargs) -> Outcome:
    found = [
        w
        for w in kw["forbidden_words"]
        if regex.search(r"\b" + regex.escape(w) + r"\b", text, regex.IGNORECASE)
    ]
    return not found, f"uses {found}" if found else "no forbidden word"


def _letter_frequency(text: str, kw: Kwargs) -> Outcome:
    letter = kw["letter"].lower()
    count = text.lower().count(letter)
    return _counted(f"times letter {letter!r}", count, kw["let_relation"], kw["let_frequency"])


# language ------------------------------------------------------------------


def _response_language(text: str, kw: Kwargs) -> Outcome:
    # Case is not language: py3langid is case-blind, so all-capital text is judged too.
    want = kw["language"].lower().split("-")[0]
    found = detect_language(text)
    if found is None:
        # As IFEval's reference: text that cannot be classified is not held against it.
        return True, "no letters to classify"
    return found == want, f"detected {found}, wanted {want}"


# length constraints --------------------------------------------------------

# A sentence ends at . ! ? (or a run of them), optionally followed by closing
# quotes or brackets, then whitespace, unless the word before the period is a
# known abbreviation or a single letter (an initial), or the run is an ellipsis.
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "inc",
        "ltd",
        "co",
        "corp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "no",
        "fig",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "rev",
        "gov",
        "sen",
        "rep",
        "dept",
        "univ",
        "approx",
        "u.s",
        "u.k",
        "a.m",
        "p.m",
        "ph.d",
    ]
)
SENTENCE_END = regex.compile(r"(?<=[.!?\u2026])[\"')\]\u2019\u201d]*(?=\s)")
WORD = regex.compile(r"\w+")


def count_sentences(text: str) -> int:
    """Sentences in ``text``: text split at sentence-final punctuation followed by
    whitespace, abbreviations and initials excepted; a trailing fragment counts."""
    count, start = 0, 0
    for m in SENTENCE_END.finditer(text):
        piece = text[start : m.end()]
        last = piece.rstrip("\"')]\u2019\u201d").split()[-1] if piece.split() else ""
        if last.endswith("...") or last.endswith("\u2026"):
            continue  # an ellipsis trails off mid-sentence more often than it ends one
        if last.endswith(".") and not last.endswith(".."):
            word = last[:-1].lstrip("\"'([\u201c\u2018").lower()
            if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        if regex.search(r"\w", piece):
            count += 1
        start = m.end()
    if regex.search(r"\w", text[start:]):
        count += 1
    return count


def _number_sentences(text: str, kw: Kwargs) -> Outcome:
    return _counted("sentences", count_sentences(text), kw["relation"], kw["num_sentences"])


def _number_paragraphs(text: str, kw: Kwargs) -> Outcome:
    parts = regex.split(r"\s?\*\*\*\s?", text)
    empty_inside = any(not p.strip() for p in parts[1:-1])
    if empty_inside:
        return False, "an empty paragraph between two *** dividers"
    count = sum(1 for p in parts if p.strip())
    return _counted("paragraphs", count, "exactly", kw["num_paragraphs"])


def _number_words(text: str, kw: Kwargs) -> Outcome:
    return _counted("words", len(WORD.findall(text)), kw["relation"], kw["num_words"])


def _nth_paragraph_first_word(text: str, kw: Kwargs) -> Outcome:
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    n, nth = kw["num_paragraphs"], kw["nth_paragraph"]
    if len(paragraphs) != n:
        return False, f"{len(paragraphs)} paragraphs, wanted {n}"
    if nth > len(paragraphs):
        return False, f"no paragraph {nth}"
    first = paragraphs[nth - 1].split()[0].lstrip("'\"")
    first = regex.split(r"[.,?!'\"]", first)[0].lower()
    want = kw["first_word"].strip().lower()
    return first == want, f"paragraph {nth} starts with {first!r}, wanted {want!r}"


# detectable content --------------------------------------------------------


def _placeholders(text: str, kw: Kwargs) -> Outcome:
    count = len(regex.findall(r"\[.*?\]", text))
    return _counted("[placeholders]", count, "at least", kw["num_placeholders"])


def _postscript_pattern(marker: str) -> regex.Pattern[str]:
    # "P.S." and "P.P.S" may be written with a space after each period ("P. S.").
    compact = marker.strip().lower()
    pieces = [regex.escape(c) + (r"\s?" if c == "." else "") for c in compact]
    return regex.compile(r"\s*" + "".join(pieces) + ".*$", regex.MULTILINE)


def _postscript(text: str, kw: Kwargs) -> Outcome:
    found = bool(_postscript_pattern(kw["postscript_marker"]).search(text.lower()))
    return found, f"postscript {kw['postscript_marker']!r} {'found' if found else 'missing'}"


# detectable format ---------------------------------------------------------


def _bullets(text: str, kw: Kwargs) -> Outcome:
    star = regex.findall(r"^\s*\*[^*].*$", text, regex.MULTILINE)
    dash = regex.findall(r"^\s*-.*$", text, regex.MULTILINE)
    return _counted("bullet points", len(star) + len(dash), "exactly", kw["num_bullets"])


CONSTRAINED = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def _constrained(text: str, kw: Kwargs) -> Outcome:
    options = kw.get("options") or CONSTRAINED
    stripped = text.strip()
    hit = next((o for o in options if o in stripped), None)
    return hit is not None, f"contains {hit!r}" if hit else f"none of {list(options)}"


def _highlights(text: str, kw: Kwargs) -> Outcome:
    single = regex.findall(r"\*[^\n*]*\*", text)
    double = regex.findall(r"\*\*[^\n*]*\*\*", text)
    count = sum(1 for h in single + double if h.strip("*").strip())
    return _counted("highlighted sections", count, "at least", kw["num_highlights"])


def _sections(text: str, kw: Kwargs) -> Outcome:
    splitter = kw["section_spliter"].strip()
    parts = regex.split(r"\s?" + regex.escape(splitter) + r"\s?\d+\s?", text)
    return _counted(f"{splitter} sections", len(parts) - 1, "at least", kw["num_sections"])


def _json(text: str, kw: Kwargs) -> Outcome:
    body = text.strip()
    body = regex.sub(r"^```(?:json)?", "", body, flags=regex.IGNORECASE)
    body = regex.sub(r"```$", "", body).strip()
    try:
        json.loads(body)
    except ValueError as exc:
        return False, f"not JSON: {exc}"
    return True, "valid JSON"


def _title(text: str, kw: Kwargs) -> Outcome:
    titles = [t for t in regex.findall(r"<<([^\n]+)>>", text) if t.strip("<>").strip()]
    return bool(titles), f"title {titles[0]!r}" if titles else "no <<title>>"


# combination ---------------------------------------------------------------


def _two_responses(text: str, kw: Kwargs) -> Outcome:
    parts = text.split("******")
    if any(not p.strip() for p in parts[1:-1]):
        return False, "an empty response between two ****** separators"
    responses = [p.strip() for p in parts if p.strip()]
    if len(responses) != 2:
        return False, f"{len(responses)} responses, wanted 2"
    if responses[0] == responses[1]:
        return False, "the two responses are the same"
    return True, "two different responses"


def _repeat_prompt(text: str, kw: Kwargs) -> Outcome:
    ok = text.strip().lower().startswith(kw["prompt_to_repeat"].strip().lower())
    return ok, "starts with the request" if ok else "does not start with the request"


# start / end ---------------------------------------------------------------


def _end(text: str, kw: Kwargs) -> Outcome:
    ok = text.strip().strip('"').lower().endswith(kw["end_phrase"].strip().lower())
    return ok, f"{'ends' if ok else 'does not end'} with {kw['end_phrase']!r}"


def _quotation(text: str, kw: Kwargs) -> Outcome:
    body = text.strip()
    ok = len(body) > 1 and body[0] == '"' and body[-1] == '"'
    return ok, "wrapped in double quotes" if ok else "not wrapped in double quotes"


# change case ---------------------------------------------------------------

# Words as a treebank tokenizer cuts them: contractions split off ("DON'T" is "DO"
# and "N'T"), abbreviations with inner periods kept whole ("U.S.").
TOKEN = regex.compile(
    r"\w+(?:\.\w+)+\.?|\w+(?=n['\u2019]t\b)|n['\u2019]t\b|['\u2019]\w+|\w+", regex.IGNORECASE
)


def _capital_words(text: str, kw: Kwargs) -> Outcome:
    count = sum(1 for t in TOKEN.findall(text) if t.isupper())
    return _counted("all-capital words", count, kw["capital_relation"], kw["capital_frequency"])


def _english(text: str) -> tuple[bool, str]:
    found = detect_language(text)
    return found in (None, "en"), f"detected {found}"


def _english_capital(text: str, kw: Kwargs) -> Outcome:
    if not text.isupper():
        return False, "not all capital letters"
    if not kw.get("require_english", True):
        return True, "all capitals"
    ok, note = _english(text)
    return ok, f"all capitals; {note}"


def _english_lowercase(text: str, kw: Kwargs) -> Outcome:
    if not text.islower():
        return False, "not all lowercase"
    if not kw.get("require_english", True):
        return True, "all lowercase"
    ok, note = _english(text)
    return ok, f"all lowercase; {note}"


# punctuation ---------------------------------------------------------------


def _no_comma(text: str, kw: Kwargs) -> Outcome:
    n = text.count(",")
    return n == 0, f"{n} commas"


def _spec(**kinds: str) -> dict[str, Kwarg]:
    return {k: Kwarg(v.rstrip("?"), required=not v.endswith("?")) for k, v in kinds.items()}


_ALL = [
    Instruction("keywords:existence", "include all keywords", _spec(keywords="strs"), _existence),
    Instruction(
        "keywords:frequency",
        "a keyword appears <relation> N times",
        _spec(keyword="str", frequency="int", relation="relation"),
        _frequency,
    ),
    Instruction(
        "keywords:forbidden_words",
        "none of the forbidden words (whole words)",
        _spec(forbidden_words="strs"),
        _forbidden,
    ),
    Instruction(
        "keywords:letter_frequency",
        "a letter appears <relation> N times",
        _spec(letter="letter", let_frequency="int", let_relation="relation"),
        _letter_frequency,
    ),
    Instruction(
        "language:response_language",
        "the whole response is in the language",
        _spec(language="str"),
        _response_language,
        needs_langid=True,
    ),
    Instruction(
        "length_constraints:number_sentences",
        "<relation> N sentences",
        _spec(num_sentences="int", relation="relation"),
        _number_sentences,
    ),
    Instruction(
        "length_constraints:number_paragraphs",
        "exactly N paragraphs separated by ***",
        _spec(num_paragraphs="int"),
        _number_paragraphs,
    ),
    Instruction(
        "length_constraints:number_words",
        "<relation> N words",
        _spec(num_words="int", relation="relation"),
        _number_words,
    ),
    Instruction(
        "length_constraints:nth_paragraph_first_word",
        "N paragraphs separated by blank lines; paragraph i starts with a word",
        _spec(num_paragraphs="int", nth_paragraph="int", first_word="str"),
        _nth_paragraph_first_word,
    ),
    Instruction(
        "detectable_content:number_placeholders",
        "at least N [placeholders]",
        _spec(num_placeholders="int"),
        _placeholders,
    ),
    Instruction(
        "detectable_content:postscript",
        "a postscript starting with the marker",
        _spec(postscript_marker="str"),
        _postscript,
    ),
    Instruction(
        "detectable_format:number_bullet_lists",
        "exactly N markdown bullet points",
        _spec(num_bullets="int"),
        _bullets,
    ),
    Instruction(
        "detectable_format:constrained_response",
        "contains one of the allowed answers",
        _spec(options="strs?"),
        _constrained,
    ),
    Instruction(
        "detectable_format:number_highlighted_sections",
        "at least N *highlighted* sections",
        _spec(num_highlights="int"),
        _highlights,
    ),
    Instruction(
        "detectable_format:multiple_sections",
        "at least N sections marked '<splitter> X'",
        _spec(section_spliter="str", num_sections="int"),
        _sections,
    ),
    Instruction("detectable_format:json_format", "the whole response is JSON", _spec(), _json),
    Instruction("detectable_format:title", "a title in <<double angle brackets>>", _spec(), _title),
    Instruction(
        "combination:two_responses",
        "two different responses separated by ******",
        _spec(),
        _two_responses,
    ),
    Instruction(
        "combination:repeat_prompt",
        "starts by repeating the request",
        _spec(prompt_to_repeat="str"),
        _repeat_prompt,
    ),
    Instruction(
        "startend:end_checker", "ends with the exact phrase", _spec(end_phrase="str"), _end
    ),
    Instruction(
        "change_case:capital_word_frequency",
        "all-capital words appear <relation> N times",
        _spec(capital_frequency="int", capital_relation="relation"),
        _capital_words,
    ),
    Instruction(
        "change_case:english_capital",
        "English, all capital letters",
        _spec(require_english="bool?"),
        _english_capital,
        needs_langid=True,
    ),
    Instruction(
        "change_case:english_lowercase",
        "English, all lowercase letters",
        _spec(require_english="bool?"),
        _english_lowercase,
        needs_langid=True,
    ),
    Instruction("punctuation:no_comma", "no commas at all", _spec(), _no_comma),
    Instruction("startend:quotation", "wrapped in double quotation marks", _spec(), _quotation),
]

INSTRUCTIONS: dict[str, Instruction] = {i.id: i for i in _ALL}
