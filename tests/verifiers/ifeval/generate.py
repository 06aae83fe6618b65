"""Generated IFEval cases: for each of the 25 instruction types, responses built to sit
on both sides of the instruction (and on its edges), with random kwargs.

Seeded, so every run sees the same cases. Real sentences in other languages come
from tokenizerbench (what the language checks classify).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from tests.verifiers.corpora import tokenizerbench

Case = tuple[str, dict[str, Any], str]  # instruction id, kwargs, response

VOCAB = [
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "for",
    "on",
    "that",
    "with",
    "as",
    "by",
    "at",
    "from",
    "it",
    "this",
    "be",
    "are",
    "an",
    "or",
    "river",
    "model",
    "data",
    "city",
    "garden",
    "music",
    "history",
    "ocean",
    "planet",
    "light",
    "window",
    "story",
    "simple",
    "quick",
    "bright",
    "quiet",
    "happy",
    "green",
    "ancient",
    "modern",
    "small",
    "large",
    "run",
    "build",
    "write",
    "read",
    "explain",
    "compare",
    "travel",
    "grow",
    "learn",
    "cat",
    "cats",
    "category",
    "Paris",
    "London",
    "Alice",
    "Bob",
    "NASA",
    "AI",
    "GPU",
    "U.S.",
    "Mr.",
    "Dr.",
    "e.g.",
    "don't",
    "isn't",
    "DON'T",
    "3.5",
    "42",
    "1990",
    "café",
    "naïve",
    "well-known",
    "state-of-the-art",
]
LANGUAGES = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian",
    "pt": "portuguese", "ru": "russian", "ar": "arabic", "hi": "hindi", "ja": "japanese",
    "ko": "korean", "th": "thai", "vi": "vietnamese", "uk": "ukrainian", "fa": "persian",
    "bn": "bengali", "ta": "tamil", "te": "telugu", "bg": "bulgarian", "ur": "urdu",
    "he": "hebrew", "pl": "polish", "fi": "finnish", "sw": "swahili", "ne": "nepali",
    "mr": "marathi", "gu": "gujarati", "pa": "punjabi", "kn": "kannada", "ml": "malayalam",
}  # fmt: skip


def real_sentences() -> dict[str, list[str]]:
    human = tokenizerbench("human_languages", "human_languages_full")
    return {code: human[name] for code, name in LANGUAGES.items() if name in human}


def words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(VOCAB) for _ in range(n)]


def sentence(rng: random.Random, n: int | None = None) -> str:
    ws = words(rng, n or rng.randint(2, 12))
    if rng.random() < 0.3:
        ws[rng.randrange(len(ws))] += ","
    ws[0] = ws[0][:1].upper() + ws[0][1:]
    return " ".join(ws) + rng.choice([".", ".", ".", "!", "?", "...", '."', ""])


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))


def text(rng: random.Random) -> str:
    return rng.choice(["\n\n", "\n", " "]).join(paragraph(rng) for _ in range(rng.randint(1, 4)))


def relation(rng: random.Random) -> str:
    return rng.choice(["less than", "at least"])


def insert(rng: random.Random, base: str, piece: str, times: int) -> str:
    parts = base.split(" ")
    for _ in range(times):
        parts.insert(rng.randint(0, len(parts)), piece)
    return " ".join(parts)


def wrap(rng: random.Random, body: str) -> str:
    """Sometimes a chatty first line, a closing line or markdown stars (for loose)."""
    if rng.random() < 0.2:
        body = "Sure, here is my answer:\n" + body
    if rng.random() < 0.2:
        body = body + "\nHope this helps!"
    if rng.random() < 0.15:
        body = "**" + body + "**"
    return body


def g_existence(rng: random.Random) -> Case:
    keys = rng.sample(["river", "ocean", "garden", "light", "Paris", "model"], rng.randint(1, 3))
    body = text(rng)
    for k in keys:
        if rng.random() < 0.7:
            body = insert(rng, body, rng.choice([k, k.upper(), k.capitalize()]), 1)
    return "keywords:existence", {"keywords": keys}, body


def g_frequency(rng: random.Random) -> Case:
    key = rng.choice(["river", "cat", "light", "data"])
    n = rng.randint(1, 5)
    body = insert(rng, text(rng), key, rng.randint(max(0, n - 2), n + 2))
    return "keywords:frequency", {"keyword": key, "frequency": n, "relation": relation(rng)}, body


def g_forbidden(rng: random.Random) -> Case:
    forbidden = rng.sample(["cat", "river", "happy", "model", "GPU"], rng.randint(1, 3))
    body = text(rng)
    if rng.random() < 0.4:
        body = insert(rng, body, rng.choice(forbidden) + rng.choice(["", "s", "'s", "."]), 1)
    return "keywords:forbidden_words", {"forbidden_words": forbidden}, body


def g_letter(rng: random.Random) -> Case:
    letter = rng.choice("aeiostrlnz")
    body = text(rng)
    count = body.lower().count(letter)
    n = max(1, count + rng.randint(-2, 2))
    return (
        "keywords:letter_frequency",
        {"letter": letter, "let_frequency": n, "let_relation": relation(rng)},
        body,
    )


def g_language(rng: random.Random, corpus: dict[str, list[str]]) -> Case:
    code = rng.choice(sorted(corpus))
    body = " ".join(rng.sample(corpus[code], min(len(corpus[code]), rng.randint(1, 3))))
    want = code if rng.random() < 0.6 else rng.choice(sorted(corpus))
    return "language:response_language", {"language": want}, body


def g_sentences(rng: random.Random) -> Case:
    body = " ".join(sentence(rng) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.3:
        body = body.replace(". ", ".\n", 1)
    return (
        "length_constraints:number_sentences",
        {"num_sentences": rng.randint(1, 8), "relation": relation(rng)},
        body,
    )


def g_paragraphs(rng: random.Random) -> Case:
    n = rng.randint(1, 5)
    sep = rng.choice(["\n***\n", "\n\n***\n\n", " *** ", "***", "\n* * *\n"])
    parts = [paragraph(rng) for _ in range(n)]
    if rng.random() < 0.15:
        parts.insert(rng.randint(0, n), "")
    body = sep.join(parts)
    if rng.random() < 0.15:
        body = sep + body if rng.random() < 0.5 else body + sep
    return (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": max(1, n + rng.randint(-1, 1))},
        body,
    )


def g_words(rng: random.Random) -> Case:
    body = text(rng)
    return (
        "length_constraints:number_words",
        {"num_words": rng.randint(5, 60), "relation": relation(rng)},
        body,
    )


def g_nth(rng: random.Random) -> Case:
    n = rng.randint(1, 4)
    first = rng.choice(["river", "bright", "Alice", "history"])
    parts = [paragraph(rng) for _ in range(n)]
    nth = rng.randint(1, n)
    if rng.random() < 0.7:
        lead = rng.choice([first, first.upper(), f'"{first}', f"{first},", f"{first}."])
        parts[nth - 1] = lead + " " + parts[nth - 1]
    sep = rng.choice(["\n\n", "\n\n", "\n\n\n", "\n"])
    body = sep.join(parts)
    if rng.random() < 0.1:
        body = "\n\n" + body
    return (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": max(nth, n + rng.choice([0, 0, 0, 1, -1])), "nth_paragraph": nth,
         "first_word": first.lower()},
        body,
    )  # fmt: skip


def g_placeholders(rng: random.Random) -> Case:
    body = text(rng)
    for _ in range(rng.randint(0, 4)):
        body = insert(rng, body, rng.choice(["[name]", "[address]", "[]", "[a b]", "["]), 1)
    return "detectable_content:number_placeholders", {"num_placeholders": rng.randint(1, 4)}, body


def g_postscript(rng: random.Random) -> Case:
    marker = rng.choice(["P.S.", "P.P.S", "Note:"])
    body = text(rng)
    if rng.random() < 0.7:
        written = rng.choice(["P.S.", "p.s.", "P. S.", "P.P.S", "P. P. S.", "PS", "Note:", "note:"])
        joiner = rng.choice(["\n\n", "\n", " "])
        body = body + joiner + written + " " + sentence(rng)
    return "detectable_content:postscript", {"postscript_marker": marker}, body


def g_bullets(rng: random.Random) -> Case:
    n = rng.randint(1, 5)
    lines = [rng.choice(["* ", "- ", "  * ", "*", "** ", "-"]) + sentence(rng) for _ in range(n)]
    if rng.random() < 0.2:
        lines.insert(rng.randint(0, n), "---")
    if rng.random() < 0.5:
        lines.insert(0, sentence(rng))
    return (
        "detectable_format:number_bullet_lists",
        {"num_bullets": max(1, n + rng.randint(-1, 1))},
        "\n".join(lines),
    )


def g_constrained(rng: random.Random) -> Case:
    answer = rng.choice(
        ["My answer is yes.", "My answer is no.", "My answer is maybe.", "My answer is yes",
         "my answer is no.", "My answer is: yes."]
    )  # fmt: skip
    body = rng.choice([answer, sentence(rng) + " " + answer, answer + " " + sentence(rng)])
    return "detectable_format:constrained_response", {}, body


def g_highlights(rng: random.Random) -> Case:
    body = text(rng)
    for _ in range(rng.randint(0, 4)):
        body = insert(
            rng, body, rng.choice(["*key point*", "**bold part**", "* *", "**", "*a*b*"]), 1
        )
    return (
        "detectable_format:number_highlighted_sections",
        {"num_highlights": rng.randint(1, 4)},
        body,
    )


def g_sections(rng: random.Random) -> Case:
    splitter = rng.choice(["Section", "SECTION", "Part"])
    n = rng.randint(1, 4)
    heads = [rng.choice([splitter, splitter.upper(), splitter.lower()]) for _ in range(n)]
    body = "\n".join(f"{h} {i + 1}\n{paragraph(rng)}" for i, h in enumerate(heads))
    return (
        "detectable_format:multiple_sections",
        {"section_spliter": splitter, "num_sections": max(1, n + rng.randint(-1, 1))},
        body,
    )


def g_json(rng: random.Random) -> Case:
    value = {"answer": sentence(rng), "n": rng.randint(0, 9)}
    body = rng.choice(
        [json.dumps(value), "```json\n" + json.dumps(value) + "\n```", "```JSON\n" + json.dumps(value)
         + "\n```", "```\n" + json.dumps(value) + "\n```", json.dumps(value)[:-1], sentence(rng)]
    )  # fmt: skip
    return "detectable_format:json_format", {}, body


def g_title(rng: random.Random) -> Case:
    title = rng.choice(["<<A Poem of Joy>>", "<< >>", "<<>>", "<<two\nlines>>", "<title>", ""])
    return "detectable_format:title", {}, (title + "\n" + text(rng)).strip()


def g_two(rng: random.Random) -> Case:
    a, b = paragraph(rng), paragraph(rng)
    body = rng.choice(
        [f"{a}\n******\n{b}", f"{a}******{a}", f"{a}\n******\n{b}\n******\n{a}",
         f"******\n{a}\n******\n{b}", f"{a}\n*******\n{b}", a, f"{a}\n******\n\n******\n{b}"]
    )  # fmt: skip
    return "combination:two_responses", {}, body


def g_repeat(rng: random.Random) -> Case:
    prompt = sentence(rng, 8)
    start = rng.choice([prompt, prompt.upper(), "  " + prompt, sentence(rng), prompt[:-3]])
    return "combination:repeat_prompt", {"prompt_to_repeat": prompt}, start + "\n" + text(rng)


def g_end(rng: random.Random) -> Case:
    phrase = rng.choice(["Is there anything else I can help with?", "Any other questions?"])
    ending = rng.choice([phrase, phrase.lower(), f'"{phrase}"', phrase + " Thanks.", phrase[:-1]])
    return "startend:end_checker", {"end_phrase": phrase}, text(rng) + " " + ending


def g_capitals(rng: random.Random) -> Case:
    body = text(rng)
    for _ in range(rng.randint(0, 6)):
        body = insert(rng, body, rng.choice(["IMPORTANT", "NOTE", "U.S.", "DON'T", "OK", "A"]), 1)
    return (
        "change_case:capital_word_frequency",
        {"capital_frequency": rng.randint(1, 6), "capital_relation": relation(rng)},
        body,
    )


def g_case(rng: random.Random, corpus: dict[str, list[str]], upper: bool) -> Case:
    code = rng.choice(["en", "en", "en", "fr", "de", "es", "pt", "ru"])
    body = (
        " ".join(rng.sample(corpus[code], 2)) if code != "en" or rng.random() < 0.5 else text(rng)
    )
    flip = rng.random() < 0.8
    if flip:
        body = body.upper() if upper else body.lower()
    which = "english_capital" if upper else "english_lowercase"
    return f"change_case:{which}", {}, body


def g_comma(rng: random.Random) -> Case:
    return "punctuation:no_comma", {}, text(rng)


def g_quotation(rng: random.Random) -> Case:
    body = text(rng)
    return "startend:quotation", {}, rng.choice([f'"{body}"', f' "{body}" ', body, f'"{body}', '"'])


def cases(per_type: int, seed: int = 17) -> list[Case]:
    """``per_type`` generated cases for each of the 25 instruction types."""
    rng = random.Random(seed)
    corpus = real_sentences()
    makers: list[Callable[[random.Random], Case]] = [
        g_existence, g_frequency, g_forbidden, g_letter,
        lambda r: g_language(r, corpus),
        g_sentences, g_paragraphs, g_words, g_nth, g_placeholders, g_postscript, g_bullets,
        g_constrained, g_highlights, g_sections, g_json, g_title, g_two, g_repeat, g_end,
        g_capitals,
        lambda r: g_case(r, corpus, upper=True),
        lambda r: g_case(r, corpus, upper=False),
        g_comma, g_quotation,
    ]  # fmt: skip
    out: list[Case] = []
    for make in makers:
        for _ in range(per_type):
            instruction_id, kwargs, response = make(rng)
            out.append((instruction_id, kwargs, wrap(rng, response)))
    return out
