"""Items/s of choice, qa, json_schema, tool_call and reasoning_gym, in one run.

Each verifier's ``verify`` is called in this process, one thread (no pool: the pool's
per-item cost is measured in grade_throughput.py), over a fixed item set, best of
``--repeats`` passes after one warm-up pass:

- choice: the 8 real Qwen2.5-Math outputs for an AMC 8 multiple-choice question
  (``shared/data/math_real_responses.jsonl`` rows ``math81-*``, ~2,000 characters each)
  and 8 short written answers (hedges included), the 16 repeated 50 times;
- qa: the 568 real Qwen2.5-Math rows of the same file whose gold is an integer;
- json_schema: 1,000 written documents (half valid) against one schema with a pattern,
  nested objects and additionalProperties: false;
- tool_call: 1,000 written completions, half OpenAI messages, half ``<tool_call>`` text;
- reasoning_gym: 3 seeded entries of every reasoning-gym dataset (its gold in
  ``<answer>``), through verigrade and through reasoning-gym directly
  (``extract_answer`` then the dataset's ``score_answer``, scorer built once per dataset).

    python benchmarks/new_verifiers.py [--repeats 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from data_path import find_data  # beside this script: python puts its folder on sys.path
from verigrade.verifiers import Sample, get_verifier


def choice_items(rows: list[dict[str, Any]]) -> list[Sample]:
    real = [Sample(r["completion"], reference="A") for r in rows if r["id"].startswith("math81-")]
    ref = {"answer": "B", "options": ["42 apples", "17", "9 pears", "none"]}
    written = ["Answer: B", "The answer is (B).", "\\boxed{B}", "B or C", "The answer is 17.",
               "\\boxed{A, B, C, D}", "the answer is a prime", "Final answer: **C**"]  # fmt: skip
    return (real + [Sample(t, reference=ref) for t in written]) * 50  # 800 items: a stable timing


def qa_items(rows: list[dict[str, Any]]) -> list[Sample]:
    return [
        Sample(r["completion"], reference=r["reference"])
        for r in rows
        if re.fullmatch(r"-?\d+", r["reference"])
    ]


def json_items() -> list[Sample]:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Z][a-z]+$"},
            "age": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                "required": ["city"],
            },
        },
        "required": ["name", "age"],
        "additionalProperties": False,
    }
    items = []
    for i in range(1000):
        doc: dict[str, Any] = {"name": "Ada" if i % 2 else "ada", "age": i, "tags": ["x", f"t{i}"]}
        doc["address"] = {"city": "London", "zip": f"{i:05d}"}
        text = f"Here you go:\n```json\n{json.dumps(doc)}\n```"
        items.append(
            Sample(text, reference={"schema": schema, "expected": {"/address/city": "London"}})
        )
    return items


def tool_items() -> list[Sample]:
    tools = ["get_weather", "get_time", "send_email"]
    expected = [
        {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
        {"name": "get_time", "arguments": {"tz": "Europe/Paris"}},
    ]
    ref = {"calls": expected, "tools": tools}
    items = []
    for i in range(1000):
        calls = expected if i % 4 else expected[:1]
        if i % 2:
            completion: Any = [
                {"role": "user", "content": "weather and time?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "type": "function",
                            "function": {
                                "name": c["name"],
                                "arguments": json.dumps(c["arguments"]),
                            },
                        }
                        for c in calls
                    ],
                },
            ]
        else:
            completion = "<think>two calls</think>\n" + "".join(
                f"<tool_call>\n{json.dumps(c)}\n</tool_call>\n" for c in calls
            )
        items.append(Sample(completion, reference=ref))
    return items


def reasoning_gym_items() -> list[tuple[Sample, Any]]:
    import reasoning_gym as rg
    from reasoning_gym.composite import DatasetSpec
    from reasoning_gym.factory import DATASETS

    examples = {"graph_color": "possible_answer", "propositional_logic": "example_answer",
                "rubiks_cube": "example_correct_answer"}  # fmt: skip
    config = {"composite": {"datasets": [DatasetSpec("leg_counting", 1.0, {})]}}
    items = []
    for name in sorted(DATASETS):
        for entry in rg.create_dataset(name, seed=7, size=3, **config.get(name, {})):
            gold = entry["answer"]
            if name in examples:
                gold = entry["metadata"][examples[name]]
                gold = gold if isinstance(gold, str) else json.dumps(gold)
            completion = f"<think>working</think>\n<answer>{gold}</answer>"
            items.append((Sample(completion, reference=entry), entry))
    return items


def rate(fn: Callable[[], int], repeats: int) -> tuple[float, int]:
    """Best items/s over ``repeats`` passes after a warm-up, and the item count."""
    n = fn()
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = max(best, n / (time.perf_counter() - started))
    return best, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # reasoning-gym's datasets warn on import/generation

    rows = [json.loads(line) for line in find_data().read_text(encoding="utf-8").splitlines()]
    results: dict[str, dict[str, float]] = {}

    def bench(label: str, name: str, samples: list[Sample]) -> None:
        verifier = get_verifier(name)()

        def run() -> int:
            for s in samples:
                verifier.verify(s)
            return len(samples)

        items_s, n = rate(run, args.repeats)
        results[label] = {"items": n, "items_per_s": round(items_s)}
        print(f"{label:<34} {n:>6} items {items_s:>10,.0f} items/s", flush=True)

    bench("choice", "choice", choice_items(rows))
    bench("qa", "qa", qa_items(rows))
    bench("json_schema", "json_schema", json_items())
    bench("tool_call", "tool_call", tool_items())

    rg_items = reasoning_gym_items()
    bench("reasoning_gym (verigrade)", "reasoning_gym", [s for s, _ in rg_items])

    import reasoning_gym as rg
    from reasoning_gym.utils import extract_answer

    scorers: dict[str, Any] = {}

    def direct() -> int:
        for sample, entry in rg_items:
            name = entry["metadata"]["source_dataset"]
            scorer = scorers.get(name)
            if scorer is None:
                scorer = scorers[name] = rg.get_score_answer_fn(name)
            assert isinstance(sample.completion, str)
            scorer(extract_answer(sample.completion), entry)
        return len(rg_items)

    items_s, n = rate(direct, args.repeats)
    results["reasoning_gym (score_answer direct)"] = {"items": n, "items_per_s": round(items_s)}
    print(f"{'reasoning_gym (score_answer direct)':<34} {n:>6} items {items_s:>10,.0f} items/s")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, one thread, best of {args.repeats}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
