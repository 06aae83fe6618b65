"""``select``, the library function: grouping, thresholds, best-k, truncation, de-duplication,
pairs and their margins, and one result per input completion whatever the input holds.

Rewards come from real verifiers: with ``SPEC`` a completion scores 1.5 (right answer,
R1's format), 1.0 (right, no format), 0.5 (wrong, formatted) or 0 (wrong, no format).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from verigrade.verifiers import Grader, Selection, SelectOptions, select
from verigrade.verifiers.selection import OUTCOMES, SelectOptionsError, SelectSummary

from tests.verifiers.shared_data import shared_rows

SPEC = {"math": 1.0, "think_format": 0.5}


def answer(value: str, *, think: bool = True, pad: str = "") -> str:
    """A completion whose reward under SPEC is 1.5/1.0 (right) or 0.5/0 (wrong)."""
    body = f"The answer is{pad} \\boxed{{{value}}}"
    return f"<think>work</think> {body}" if think else body


R15, R10, R05, R00 = answer("4"), answer("4", think=False), answer("5"), answer("5", think=False)


def line(prompt: Any, completion: Any, **extra: Any) -> dict[str, Any]:
    return {"prompt": prompt, "completion": completion, "reference": "4", **extra}


def run(lines: list[Any], options: SelectOptions | None = None, **kw: Any) -> list[Selection]:
    return list(select(lines, SPEC, options, workers=0, **kw))


def outcomes(selections: list[Selection]) -> list[str]:
    return [d.outcome for s in selections for d in s.decisions]


def sft(selections: list[Selection]) -> list[dict[str, Any]]:
    return [row for s in selections for row in s.sft]


def pairs(selections: list[Selection]) -> list[dict[str, Any]]:
    return [row for s in selections for row in s.pairs]


# -- grouping -----------------------------------------------------------------------------


def test_one_per_line_and_a_list_per_prompt_select_the_same() -> None:
    completions = [R05, R15, R00, R10]
    per_line = [line("2+2?", c) for c in completions] + [line("1+3?", c) for c in completions]
    listed = [{"prompt": p, "completions": completions, "reference": "4"} for p in ("2+2?", "1+3?")]
    options = SelectOptions(min_reward=1.0)
    a, b = run(per_line, options), run(listed, options)
    assert [len(s.decisions) for s in a] == [len(s.decisions) for s in b] == [4, 4]
    assert outcomes(a) == outcomes(b)
    assert (
        sft(a)
        == sft(b)
        == [
            {"prompt": "2+2?", "completion": R15},
            {"prompt": "2+2?", "completion": R10},
            {"prompt": "1+3?", "completion": R15},
            {"prompt": "1+3?", "completion": R10},
        ]
    )
    # Where each result came from: line and position in the line's list.
    assert [(d.line, d.index) for d in b[1].decisions] == [(2, 0), (2, 1), (2, 2), (2, 3)]
    assert [(d.line, d.index) for d in a[1].decisions] == [
        (5, None),
        (6, None),
        (7, None),
        (8, None),
    ]


def test_prompt_id_decides_the_group_when_given() -> None:
    lines = [
        line("Same text?", R15, prompt_id="a"),
        line("Same text?", R10, prompt_id="a"),
        line("Same text?", R15, prompt_id="b"),  # same text, another prompt: its own group
    ]
    got = run(lines, SelectOptions(best_k=1))
    assert [len(s.decisions) for s in got] == [2, 1]
    assert outcomes(got) == ["kept", "beyond_best_k", "kept"]
    assert got[0].group != got[1].group


def test_a_prompt_id_cannot_carry_another_prompt_into_a_group() -> None:
    # Attack: a line reuses a prompt_id with another prompt, which would otherwise put its
    # completion in the SFT data under the first prompt.
    lines = [line("2+2?", R10, prompt_id="p"), line("Say anything.", R15, prompt_id="p")]
    got = run(lines)
    assert outcomes(got) == ["kept", "invalid_input"]
    assert "its prompt differs from line 1's" in got[0].decisions[1].reason
    assert sft(got) == [{"prompt": "2+2?", "completion": R10}]


def test_a_prompt_that_comes_back_later_is_an_error_on_its_line() -> None:
    lines = [line("2+2?", R10), line("1+3?", R10), line("2+2?", R15)]
    got = run(lines)
    # Never silently a second group for "2+2?" (two SFT sets for one prompt, one best-k).
    assert outcomes(got) == ["kept", "kept", "invalid_input"]
    assert got[2].group is None
    assert got[2].decisions[0].reason.startswith("line 3: its prompt's completions were")
    assert "unsorted" in got[2].decisions[0].reason
    # With unsorted=True the prompt's completions are one group wherever they are.
    unsorted = run(lines, SelectOptions(best_k=1, unsorted=True))
    assert [len(s.decisions) for s in unsorted] == [2, 1]
    assert [(d.line, d.outcome) for d in unsorted[0].decisions] == [
        (1, "beyond_best_k"),
        (3, "kept"),
    ]
    assert sft(unsorted)[0] == {"prompt": "2+2?", "completion": R15}


def test_chat_prompts_group_by_their_messages() -> None:
    chat = [{"role": "user", "content": "2+2?"}]
    other = [{"role": "system", "content": "Be brief."}, *chat]
    lines = [line(chat, R15), line(chat, R05), line(other, R10)]
    got = run(lines, SelectOptions(pairs_per_prompt=1))
    assert [len(s.decisions) for s in got] == [2, 1]
    assert sft(got)[0] == {
        "prompt": chat,
        "completion": [{"role": "assistant", "content": R15}],
    }
    assert pairs(got) == [
        {
            "prompt": chat,
            "chosen": [{"role": "assistant", "content": R15}],
            "rejected": [{"role": "assistant", "content": R05}],
        }
    ]


def test_messages_format() -> None:
    got = run([line("2+2?", R15)], SelectOptions(format="messages"))
    assert sft(got) == [
        {
            "messages": [
                {"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": R15},
            ]
        }
    ]


# -- what is kept ---------------------------------------------------------------------------


def test_min_reward_keeps_rewards_at_or_above_it() -> None:
    lines = [line("2+2?", c) for c in (R00, R05, R10, R15)]
    got = run(lines, SelectOptions(min_reward=1.0))
    assert outcomes(got) == ["below_min_reward", "below_min_reward", "kept", "kept"]
    assert got[0].decisions[0].reason == "reward 0 is below min_reward 1"
    assert outcomes(run(lines, SelectOptions(min_reward=1.5))) == ["below_min_reward"] * 3 + [
        "kept"
    ]


def test_best_k_takes_the_highest_rewards_and_breaks_ties_in_input_order() -> None:
    # Four right answers (1.5 each, distinct texts) and a 1.0: best-2 is the first two 1.5s.
    texts = [answer("4", pad=" " + "x" * i) for i in range(4)]
    lines = [line("2+2?", R10)] + [line("2+2?", t) for t in texts]
    got = run(lines, SelectOptions(best_k=2))
    assert outcomes(got) == ["beyond_best_k", "kept", "kept", "beyond_best_k", "beyond_best_k"]
    assert [r["completion"] for r in sft(got)] == texts[:2]
    # best_k=1 is best-of-n; with a threshold nobody passes, nothing is kept.
    assert outcomes(run(lines, SelectOptions(best_k=1, min_reward=2.0))) == ["below_min_reward"] * 5


def test_truncated_completions_are_dropped_however_they_are_marked() -> None:
    lines = [
        line("2+2?", R15, finish_reason="length"),  # vLLM / OpenAI: hit max_tokens
        line("2+2?", R15 + " ", finish_reason="stop"),
        {
            "prompt": "1+3?",
            "reference": "4",
            "completions": [R15, {"completion": R10, "finish_reason": "length"}],
        },
        {
            "prompt": "3+1?",
            "reference": "4",
            "completions": [R15, R10],
            "finish_reasons": ["length", "stop"],
        },
    ]
    got = run(lines)
    assert outcomes(got) == ["truncated", "kept", "kept", "truncated", "truncated", "kept"]
    assert got[0].decisions[0].reason.startswith("truncated: finish_reason is 'length'")
    # The token limit is the only thing that truncates unless asked; keep_truncated lifts it.
    assert outcomes(run(lines, SelectOptions(drop_truncated=False))).count("truncated") == 0


def test_eos_and_max_length_mark_truncation() -> None:
    done, cut = R10 + "<|im_end|>", R15  # the better one did not finish
    got = run([line("2+2?", cut), line("2+2?", done + "\n")], SelectOptions(eos="<|im_end|>"))
    assert outcomes(got) == ["truncated", "kept"]
    assert "does not end with the EOS text '<|im_end|>'" in got[0].decisions[0].reason
    # The completion is written as it came, EOS text included (TRL does not add a second).
    assert sft(got) == [{"prompt": "2+2?", "completion": done + "\n"}]
    long = answer("4", pad=" " + "y" * 200)
    got = run([line("2+2?", long), line("2+2?", R10)], SelectOptions(max_length=100))
    assert outcomes(got) == ["truncated", "kept"]
    assert f"{len(long):,} characters, over max_length 100" in got[0].decisions[0].reason


def test_duplicates_after_normalising_whitespace_are_dropped() -> None:
    spaced = "<think>work</think>   The answer is\n\\boxed{4}  "
    lines = [line("2+2?", c) for c in (R15, spaced, R15, R10)]
    got = run(lines, SelectOptions(best_k=2))
    # Duplicates never take a best-k place: the 1.0 is kept rather than a copy of the 1.5.
    assert outcomes(got) == ["kept", "duplicate", "duplicate", "kept"]
    assert got[0].decisions[1].reason == "same text as line 1 (after normalising)"
    assert outcomes(run(lines, SelectOptions(best_k=2, dedup=False))) == [
        "kept",
        "kept",
        "beyond_best_k",
        "beyond_best_k",
    ]


# -- pairs -------------------------------------------------------------------------------------


def test_pairs_need_the_margin() -> None:
    lines = [line("2+2?", c) for c in (R15, R10, R05)]
    options = SelectOptions(best_k=1, pairs_per_prompt=5, min_margin=1.0)
    got = run(lines, options)
    # 1.5 - 0.5 = 1.0 meets the margin; 1.5 - 1.0 = 0.5 does not.
    assert pairs(got) == [{"prompt": "2+2?", "chosen": R15, "rejected": R05}]
    wider = run(lines, SelectOptions(best_k=1, pairs_per_prompt=5, min_margin=1.01))
    assert pairs(wider) == []
    # Margin 0 still needs a strictly better chosen: equal rewards never pair.
    same = [line("2+2?", answer("4")), line("2+2?", answer("4", pad=" "))]
    assert pairs(run(same, SelectOptions(best_k=1, pairs_per_prompt=3, dedup=False))) == []


def test_pairs_go_best_against_worst_first_then_spread() -> None:
    chosen = [answer("4", pad=f" {w},") for w in ("so", "thus")]  # two 1.5s, in this order
    lines = [line("2+2?", c) for c in (*chosen, R00, R05)]
    got = run(lines, SelectOptions(min_reward=1.5, pairs_per_prompt=3))
    made = [(p["chosen"], p["rejected"]) for p in pairs(got)]
    assert made == [(chosen[0], R00), (chosen[0], R05), (chosen[1], R00)]
    assert len(pairs(run(lines, SelectOptions(min_reward=1.5, pairs_per_prompt=9)))) == 4


def test_no_pairs_unless_asked_and_none_without_a_loser() -> None:
    lines = [line("2+2?", c) for c in (R15, R05)]
    assert pairs(run(lines)) == []
    assert pairs(run(lines[:1], SelectOptions(pairs_per_prompt=2))) == []


# -- every completion, one result ---------------------------------------------------------------


def test_bad_lines_each_get_a_clear_error_in_place() -> None:
    lines: list[Any] = [
        json.dumps(line("2+2?", R15)),
        b"not json",
        b"",
        b"\xff\xfe",
        "[1, 2]",
        json.dumps({"completion": R15}),
        json.dumps({"prompt": 7, "completion": R15}),
        json.dumps({"prompt": "2+2?", "completions": []}),
        json.dumps({"prompt": "3+1?", "completions": [R10, 3], "reference": "4"}),
        json.dumps({"prompt": "2+2?", "completion": R10, "completions": [R10]}),
        json.dumps(line("1+3?", "x" * 100)),
    ]
    got = run(lines, max_chars=60)
    reasons = [d.reason for s in got for d in s.decisions]
    assert outcomes(got) == [
        "kept",
        *["invalid_input"] * 7,
        "kept",
        "invalid_input",
        "invalid_input",
        "invalid_input",
    ]
    assert reasons[1].startswith("line 2: invalid JSON")
    assert reasons[2] == "line 3: empty line"
    assert reasons[3].startswith("line 4: not valid UTF-8")
    assert reasons[4] == "line 5: a line must be an object, got list"
    assert reasons[5] == "line 6: no 'prompt' field: select groups completions by prompt"
    assert reasons[6] == "line 7: 'prompt' must be a string or a list of chat messages, got int"
    assert reasons[7] == "line 8: 'completions' must be a non-empty list"
    assert reasons[9] == (
        "line 9, completion 1: 'completion' must be a string or a list of chat messages, got int"
    )
    assert reasons[10] == "line 10: a line has 'completion' or 'completions', not both"
    assert reasons[11].startswith("line 11: completion has 100 characters, over the limit of 60")
    # Each invalid result carries an invalid_input grade for every verifier, as grade does.
    bad = got[1].decisions[0]
    assert {v.status for v in bad.grade.verdicts.values()} == {"invalid_input"}
    summary = SelectSummary(["math", "think_format"])
    for selection in got:
        summary.add(selection)
    data = summary.to_dict(0.0)
    assert data["completions"] == 12 == sum(data["outcomes"].values())
    assert data["lines"] == 11
    assert data["outcomes"]["invalid_input"] == 10
    assert len(data["invalid"]) == 10


def test_timeouts_and_errors_are_never_kept_nor_paired(grader: Grader) -> None:
    # Attack: a completion that makes one verifier time out (or crash) still collects the
    # other verifiers' reward. Selection must not read that as a pass. (test_spin's weight is
    # 0, so its timeout costs nothing and the reward alone would keep the first line.)
    spec = {"think_format": 1.0, "test_spin": 0.0}
    lines = [
        {"prompt": "p", "completion": "<think>a</think> 1", "metadata": {"spin": 5}},
        {"prompt": "p", "completion": "<think>b</think> 2", "metadata": {"spin": 0}},
        {"prompt": "p", "completion": "no format", "metadata": {"spin": 0}},
    ]
    options = SelectOptions(min_reward=1.0, pairs_per_prompt=5)
    got = list(select(lines, spec, options, grader=grader))
    assert outcomes(got) == ["not_graded", "kept", "below_min_reward"]
    assert got[0].decisions[0].reason.startswith("test_spin: timeout")
    assert got[0].decisions[0].grade.reward == 1.0  # what a threshold alone would have kept
    assert pairs(got) == [{"prompt": "p", "chosen": "<think>b</think> 2", "rejected": "no format"}]
    crash = list(select(lines[1:2], {"test_raise": 1.0}, options, grader=grader))
    assert outcomes(crash) == ["not_graded"]


def test_selection_streams_with_bounded_read_ahead() -> None:
    consumed = 0

    def lines() -> Iterator[dict[str, Any]]:
        nonlocal consumed
        for i in range(100_000):
            consumed += 1
            yield line(f"prompt {i}", R15)

    stream = select(lines(), SPEC, workers=0, batch_size=16)
    first = next(stream)
    # The first prompt comes out after a couple of batches, not after the whole input.
    assert first.decisions[0].line == 1
    assert consumed <= 3 * 16
    for _ in range(500):
        selection = next(stream)
        assert consumed - selection.decisions[-1].line <= 3 * 16
    assert selection.checkpoint == selection.decisions[-1].line


def test_checkpoints_mark_only_clean_cuts() -> None:
    # Line 3 is unreadable inside prompt A's run, so after A (lines 1, 2, 4) the lines
    # done are 1, 2, 4: not a clean cut. After line 3's result, lines 1-4 are.
    lines = [
        json.dumps(line("A", R15)),
        json.dumps(line("A", R10)),
        "oops",
        json.dumps(line("A", R05)),
        json.dumps(line("B", R15)),
    ]
    got = run(lines)
    assert [(s.group is None, s.checkpoint) for s in got] == [(False, None), (True, 4), (False, 5)]
    resumed = run(lines[4:], first_line=5, done_groups=[got[0].group or ""])
    assert [s.checkpoint for s in resumed] == [5]
    # A prompt finished before the resume point that comes back is caught too.
    again = run([json.dumps(line("A", R15))], first_line=6, done_groups=[got[0].group or ""])
    assert outcomes(again) == ["invalid_input"]


def test_options_are_checked() -> None:
    with pytest.raises(SelectOptionsError, match="best_k must be >= 1"):
        SelectOptions(best_k=0)
    with pytest.raises(SelectOptionsError, match="min_margin must be a number >= 0"):
        SelectOptions(min_margin=-1)
    with pytest.raises(SelectOptionsError, match="min_reward must be a finite number"):
        SelectOptions(min_reward=float("nan"))


# -- real model outputs ---------------------------------------------------------------------------


def test_real_qwen_outputs() -> None:
    # 100 MATH problems x 8 real Qwen2.5-Math samples, on consecutive lines.
    rows = shared_rows("math_real_responses.jsonl")
    options = SelectOptions(min_reward=1.0, best_k=2, pairs_per_prompt=2)
    got = list(select(rows, {"math": 1.0}, options, workers=0))
    decisions = [d for s in got for d in s.decisions]
    assert len(got) == 100 and len(decisions) == 800
    assert [d.id for d in decisions] == [r["id"] for r in rows]
    assert {d.outcome for d in decisions} <= set(OUTCOMES)
    by_id = {r["id"]: r for r in rows}
    for selection in got:
        kept = [d for d in selection.decisions if d.kept]
        assert len(kept) <= 2
        assert all(d.grade.verdicts["math"].score == 1.0 for d in kept)
        assert [r["completion"] for r in selection.sft] == [
            by_id[d.id]["completion"] for d in sorted(kept, key=lambda d: -d.grade.reward)
        ]
        texts = [" ".join(by_id[d.id]["completion"].split()) for d in kept]
        assert len(set(texts)) == len(texts)  # no duplicate kept
        for pair in selection.pairs:
            assert pair["prompt"] == by_id[selection.decisions[0].id]["prompt"]
    # Qwen repeats itself: real duplicates are found (identical samples of one problem).
    assert sum(d.outcome == "duplicate" for d in decisions) > 0
    assert sum(len(s.pairs) for s in got) > 0


def test_the_library_and_the_command_import_no_http_client() -> None:
    # `--server` reaches the client package through an entry point, only when asked.
    import subprocess
    import sys

    code = (
        "import sys, verigrade.verifiers, verigrade.verifiers.cli.select\n"
        "assert 'httpx' not in sys.modules and 'verigrade.trainer_client' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
