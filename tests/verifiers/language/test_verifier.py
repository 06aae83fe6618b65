"""language: R1's language-consistency reward, on real multilingual text."""

from __future__ import annotations

from typing import Any

import pytest
from verigrade.verifiers import Sample, get_verifier

from tests.verifiers.corpora import tokenizerbench

HUMAN = tokenizerbench("human_languages", "human_languages_full")
EDGE = tokenizerbench("edge_cases", "edge_cases")

# tokenizerbench language -> ISO code, for languages whose script tells them apart.
SCRIPT_LANGUAGES = {
    "english": "en", "hindi": "hi", "chinese_simplified": "zh", "chinese_traditional": "zh",
    "arabic": "ar", "russian": "ru", "japanese": "ja", "korean": "ko", "greek": "el",
    "hebrew": "he", "thai": "th", "ukrainian": "uk", "persian": "fa", "urdu": "ur",
    "bulgarian": "bg", "nepali": "ne", "marathi": "mr", "georgian": "ka", "armenian": "hy",
    "bengali": "bn", "tamil": "ta", "telugu": "te", "kannada": "kn", "malayalam": "ml",
    "gujarati": "gu", "punjabi": "pa", "sinhala": "si", "amharic": "am", "burmese": "my",
    "khmer": "km", "lao": "lo", "tibetan": "bo", "german": "de", "french": "fr",
    "spanish": "es", "vietnamese": "vi", "turkish": "tr", "serbian": "sr", "mongolian": "mn",
}  # fmt: skip


def score(text: str, **options: Any) -> float:
    verdict = get_verifier("language").from_options(options).verify(Sample(completion=text))
    assert verdict.status == "ok", verdict.reason
    return verdict.score


@pytest.mark.parametrize("language, code", sorted(SCRIPT_LANGUAGES.items()))
def test_real_sentences_score_high_for_their_own_language(language: str, code: str) -> None:
    sentences = HUMAN[language]
    # Script counting itself; where scripts are shared, the auto backend is tested below.
    scores = [score(s, target=code, backend="script") for s in sentences]
    # Real sentences borrow the odd Latin word ("AI", "GPU"): high on average, never low.
    assert sum(scores) / len(scores) >= 0.95
    assert min(scores) >= 0.5


@pytest.mark.parametrize("language, code", sorted(SCRIPT_LANGUAGES.items()))
def test_real_sentences_score_low_for_a_language_of_another_script(
    language: str, code: str
) -> None:
    other = "en" if code in {"zh", "ja", "ko", "hi", "ar", "ru", "th"} else "zh"
    scores = [score(s, target=other, backend="script") for s in HUMAN[language]]
    assert sum(scores) / len(scores) <= 0.2


@pytest.mark.parametrize(
    "text, target, expected",
    [
        # tokenizerbench edge_cases.code_switching: Hinglish, 3 of 6 words in English.
        ("Let's debug करते हैं इस error को", "en", 3 / 6),
        ("Let's debug करते हैं इस error को", "hi", 3 / 6),
        # Russian with English borrowings: 4 Cyrillic words, 3 Latin ("fine-tuning" is two).
        ("Мы делаем fine-tuning на нашем dataset", "ru", 4 / 7),
        # Arabic with "bug"; "الloop" splits into an Arabic and a Latin word.
        ("هذا الكود فيه bug في الloop", "ar", 5 / 7),
    ],
)
def test_code_switched_sentences_get_the_share_of_target_words(
    text: str, target: str, expected: float
) -> None:
    assert score(text, target=target) == pytest.approx(expected)


def test_code_switching_examples_are_really_from_the_corpus() -> None:
    assert "Let's debug करते हैं इस error को" in EDGE["code_switching"]
    assert "Мы делаем fine-tuning на нашем dataset" in EDGE["code_switching"]


def test_math_code_and_numbers_count_neither_way() -> None:
    reasoning = "所以答案是 $x^2 + y^2 = 25$，代码 `print(x)` 和数字 12345。"
    plain = "所以答案是，代码和数字。"
    assert score(reasoning, target="zh") == score(plain, target="zh") == 1.0
    fenced = "我们写代码：\n```python\ndef solve(): return 42\n```\n完成。"
    assert score(fenced, target="zh") == 1.0
    assert score(r"\(\frac{1}{2}\) 是一半", target="zh") == 1.0


def test_only_the_reasoning_is_judged_by_default() -> None:
    text = "<think>Let me think in English.</think> 答案是四。"
    assert score(text, target="en") == 1.0
    assert score(text, target="en", scope="answer") == 0.0
    assert 0 < score(text, target="en", scope="completion") < 1


def test_target_comes_from_metadata_when_not_configured() -> None:
    verifier = get_verifier("language")()
    sample = Sample(completion="<think>我们来算一下。</think>4", metadata={"language": "zh"})
    assert verifier.verify(sample).score == 1.0


def test_missing_or_unknown_target_is_invalid_input() -> None:
    verifier = get_verifier("language")()
    assert verifier.verify(Sample(completion="hi")).status == "invalid_input"
    unknown = (
        get_verifier("language").from_options({"target": "klingon"}).verify(Sample(completion="hi"))
    )
    assert unknown.status == "invalid_input"
    assert "klingon" in unknown.reason


def test_text_without_words_gets_the_empty_score() -> None:
    assert score("<think>$1+1=2$</think>2", target="en") == 1.0
    assert score("<think>$1+1=2$</think>2", target="en", empty_score=0.0) == 0.0


def test_script_names_and_language_names_work_as_targets() -> None:
    assert score("Привет мир", target="Cyrillic") == 1.0
    assert score("Привет мир", target="russian") == 1.0
    assert score("你好世界", target="zh-CN") == 1.0


def test_langid_backend_tells_apart_languages_sharing_a_script() -> None:
    pytest.importorskip("py3langid", reason="py3langid (verigrade[langid]) is not installed")
    english = HUMAN["english"][:5]
    french = HUMAN["french"][:5]
    text = " ".join(english + french)
    by_script = score(text, target="en", backend="script")
    by_langid = score(text, target="en", backend="langid")
    assert by_script == 1.0  # both are Latin script: the script backend cannot tell
    assert score(text, target="en") == by_langid  # the default does tell
    assert 0.3 < by_langid < 0.7  # about half the words are French


# The default backend where scripts are shared (issue 17): tokenizerbench's real
# sentences, judged against a target that writes the same script.
SHARED_SCRIPT = [
    ("english", "fr"), ("english", "de"), ("german", "en"), ("french", "en"),
    ("spanish", "en"), ("russian", "uk"),
]  # fmt: skip
# Not here: Ukrainian under "ru" (0.30) and under "uk" (0.69). py3langid reads many of
# tokenizerbench's short Ukrainian lines as Russian (README, language row).


@pytest.mark.parametrize("language, target", SHARED_SCRIPT)
def test_default_tells_apart_languages_that_share_a_script(language: str, target: str) -> None:
    scores = [score(s, target=target) for s in HUMAN[language]]
    # By script alone each of these scored 1.0 ("8 of 8 words in fr" for English).
    # Not 0: lines under 4 words get the benefit of the doubt (tokenizerbench's German
    # has several, like "Umlaute: ä ö ü").
    assert sum(scores) / len(scores) <= 0.3


@pytest.mark.parametrize("language, target", [(lang, lang_target) for lang, lang_target in
    [("english", "en"), ("french", "fr"), ("german", "de"), ("spanish", "es"),
     ("russian", "ru")]])  # fmt: skip
def test_default_still_scores_a_language_high_for_itself(language: str, target: str) -> None:
    scores = [score(s, target=target) for s in HUMAN[language]]
    assert sum(scores) / len(scores) >= 0.85


def test_english_reasoning_under_a_french_target_gets_no_credit() -> None:
    text = "<think>First I add the two numbers and then I check the result.</think> 4"
    verdict = get_verifier("language").from_options({"target": "fr"}).verify(Sample(text))
    assert verdict.score == 0.0 and verdict.details["backend"] == "langid"
    forced = get_verifier("language").from_options({"target": "fr", "backend": "script"})
    verdict = forced.verify(Sample(text))
    # Forced script counting still scores it 1.0, but says plainly what that means.
    assert verdict.score == 1.0 and "by script only" in verdict.reason and "en" in verdict.reason


def test_without_py3langid_the_default_says_it_cannot_tell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from verigrade.verifiers.language import verifier as module

    monkeypatch.setattr(module, "langid_available", lambda: False)
    text = "First I add the two numbers and then I check the result."
    verdict = get_verifier("language").from_options({"target": "fr"}).verify(Sample(text))
    assert verdict.status == "error" and "cannot tell fr from" in verdict.reason
    # A target whose script settles it needs no language ID.
    assert (
        get_verifier("language").from_options({"target": "zh"}).verify(Sample(text)).status == "ok"
    )
