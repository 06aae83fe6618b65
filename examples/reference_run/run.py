"""The reference run: R1's four stages in miniature, on two CPU cores, offline.

Per seed: build a ~0.66M-parameter Llama with a character tokenizer (nothing is
downloaded), then

1. cold-start SFT on 500 worked ``a+b=`` examples in R1's ``<think>...</think> answer``
   template;
2. GRPO with accuracy + format rewards graded by ``verigrade serve`` over HTTP;
3. rejection sampling: 8 completions for each of 1,000 training prompts from the GRPO
   model, graded on the same server with the same spec, kept by ``verigrade select``
   (full reward, best 1 per prompt, de-duplicated, truncated ones dropped), then SFT of
   the initial model on the cold-start examples plus what was kept (R1 §2.3.3 fine-tunes
   the base model on the rejection-sampled data);
4. GRPO again from that model.

Held-out greedy accuracy, pass@k, sampled accuracy and format rate are measured after
every stage on 200 sums that no run trains on.

    python examples/reference_run/run.py            # 3 seeds, writes results/

``--accuracy`` picks the accuracy verifier: ``math`` (the default once it is
installed) or ``exact_answer`` (the interim integer matcher in this folder).
``--server none`` grades in-process instead of over HTTP. ``--set NAME=VALUE``
overrides a ``Recipe`` field (for trials; the committed results use none).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Recipe:
    """The run's hyper-parameters (one place, so the README can quote them)."""

    sft_examples: int = 500
    """Worked examples for the cold start (from the training split)."""
    sft_steps: int = 250
    """SFT updates (batch 32): deliberately short, so the model is right only sometimes."""
    sft_lr: float = 3e-3
    """SFT peak learning rate."""
    grpo_steps: int = 150
    """GRPO rollouts (one update each), stage 2."""
    rs_prompts: int = 1000
    """Training prompts sampled for rejection sampling (stage 3)."""
    rs_samples: int = 8
    """Completions sampled per prompt at ``temperature`` for rejection sampling."""
    rs_min_reward: float = 1.5
    """``select --min-reward``: full credit, i.e. right and well formatted."""
    rs_best_k: int = 1
    """``select --best-k``: one completion per prompt (de-duplicated, truncated dropped)."""
    rs_sft_steps: int = 250
    """SFT updates (batch 32) on the cold-start examples plus what select kept."""
    grpo2_steps: int = 100
    """GRPO rollouts of stage 4."""
    prompts_per_step: int = 16
    """Prompts per rollout."""
    num_generations: int = 8
    """G."""
    max_new_tokens: int = 40
    """Completion budget (a worked answer is ~34 characters)."""
    grpo_lr: float = 1e-4
    """GRPO learning rate."""
    temperature: float = 1.0
    """Sampling temperature for GRPO and pass@k."""
    eval_examples: int = 200
    """Held-out sums (disjoint from training)."""
    eval_every: int = 25
    """Steps between held-out greedy evaluations during GRPO (for the curve)."""
    curve_examples: int = 100
    """Held-out sums used for the curve (a subset, to keep it cheap)."""
    k: int = 8
    """pass@k."""


def accuracy_spec(accuracy: str) -> dict[str, Any]:
    """R1's reward: accuracy (weight 1) + format (weight 0.5)."""
    return {accuracy: 1.0, "think_format": 0.5}


def default_accuracy() -> str:
    """``math`` when it is installed, else the interim exact matcher."""
    from verigrade.verifiers import verifier_names

    return "math" if "math" in verifier_names() else "exact_answer"


def register_interim() -> None:
    """Make ``exact_answer`` known in this process (and, via PYTHONPATH, in workers)."""
    sys.path.insert(0, str(HERE))
    from exact_answer import ExactAnswerVerifier
    from verigrade.verifiers import register

    register(ExactAnswerVerifier)


# ---------------------------------------------------------------------------------
# one seed
# ---------------------------------------------------------------------------------


def run_seed(seed: int, accuracy: str, server: str | None, out: Path, recipe: Recipe) -> None:
    """The four stages with a held-out evaluation after each; writes ``seed{seed}.json``."""
    import torch
    from verigrade.trainer_client.trainer.data import addition_split
    from verigrade.trainer_client.trainer.evaluate import evaluate
    from verigrade.trainer_client.trainer.grpo import GRPOConfig, load_model, reward_source, train
    from verigrade.trainer_client.trainer.rejection import rejection_sample
    from verigrade.trainer_client.trainer.sft import sft
    from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama
    from verigrade.verifiers import SelectOptions

    torch.set_num_threads(1)
    if accuracy == "exact_answer":
        register_interim()
    clock: dict[str, float] = {}
    t0 = time.perf_counter()
    train_set, held_out = addition_split(n_eval=recipe.eval_examples, seed=1234)
    sft_set, rl_set = train_set[: recipe.sft_examples], train_set[recipe.sft_examples :]
    cold_pairs = [(ex.prompt, ex.solution or "") for ex in sft_set]
    work = out / "work" / f"seed{seed}"
    build_tiny_llama(work / "init", seed=seed)
    spec = accuracy_spec(accuracy)

    def cold_sft(pairs: list[tuple[str, str]], steps: int, name: str) -> tuple[Any, Any, float]:
        """SFT from the fresh initial model (R1 fine-tunes the base model at both SFT
        stages, not the RL checkpoint), saved under ``work/name``."""
        model, tokenizer = load_model(str(work / "init"))
        torch.manual_seed(seed)
        losses = sft(model, tokenizer, pairs, steps=steps, learning_rate=recipe.sft_lr, seed=seed)
        model.save_pretrained(work / name)
        tokenizer.save_pretrained(work / name)
        return model, tokenizer, losses[-1]

    def grpo_config(start: str, name: str, steps: int) -> GRPOConfig:
        return GRPOConfig(
            model=str(work / start),
            spec=spec,
            server=server,
            output_dir=str(work / name),
            steps=steps,
            prompts_per_step=recipe.prompts_per_step,
            num_generations=recipe.num_generations,
            max_new_tokens=recipe.max_new_tokens,
            temperature=recipe.temperature,
            learning_rate=recipe.grpo_lr,
            seed=seed,
            device="cpu",
            threads=1,
            log_every=10,
        )

    rewards = reward_source(grpo_config("sft", "grpo", 0))

    def held_out_eval(model: Any, tokenizer: Any, n: int | None = None) -> dict[str, float]:
        return evaluate(
            model,
            tokenizer,
            held_out[:n],
            rewards,
            accuracy=accuracy,
            fmt="think_format",
            k=recipe.k if n is None else 1,
            temperature=recipe.temperature,
            max_new_tokens=recipe.max_new_tokens,
            seed=seed,
        )

    def rl(model: Any, tokenizer: Any, start: str, name: str, steps: int) -> dict[str, Any]:
        """GRPO with a held-out greedy curve every ``eval_every`` steps."""
        curve = [{"step": 0, **held_out_eval(model, tokenizer, recipe.curve_examples)}]

        def on_step(step: int, _: Any) -> None:
            if step % recipe.eval_every == 0:
                curve.append(
                    {"step": step, **held_out_eval(model, tokenizer, recipe.curve_examples)}
                )

        result = train(
            grpo_config(start, name, steps),
            model=model,
            tokenizer=tokenizer,
            examples=rl_set,
            rewards=rewards,
            on_step=on_step,
        )
        model.save_pretrained(work / name)
        tokenizer.save_pretrained(work / name)
        return {"curve": curve, "history": result.history}

    stages: dict[str, dict[str, float]] = {}
    # 1. cold start
    model, tokenizer, sft_loss = cold_sft(cold_pairs, recipe.sft_steps, "sft")
    stages["sft"] = held_out_eval(model, tokenizer)
    clock["sft"] = time.perf_counter() - t0

    # 2. reasoning-oriented RL
    t = time.perf_counter()
    grpo1 = rl(model, tokenizer, "sft", "grpo", recipe.grpo_steps)
    stages["grpo"] = held_out_eval(model, tokenizer)
    clock["grpo"] = time.perf_counter() - t

    # 3. rejection sampling on training prompts (never the held-out ones) with
    # verigrade's select, graded where GRPO's rewards are, then SFT on what it kept
    t = time.perf_counter()
    grader = None
    if server:
        from verigrade.trainer_client import ServerGrader

        grader = ServerGrader(server)
    options = SelectOptions(min_reward=recipe.rs_min_reward, best_k=recipe.rs_best_k)
    kept = rejection_sample(
        model,
        tokenizer,
        rl_set[: recipe.rs_prompts],
        spec,
        options,
        n=recipe.rs_samples,
        max_new_tokens=recipe.max_new_tokens,
        temperature=recipe.temperature,
        seed=seed,
        grader=grader,
    )
    if grader is not None:
        grader.close()
    model, tokenizer, rs_loss = cold_sft(cold_pairs + kept.pairs, recipe.rs_sft_steps, "rs")
    stages["rs_sft"] = held_out_eval(model, tokenizer)
    clock["rs_sft"] = time.perf_counter() - t

    # 4. RL again, from the rejection-sampling SFT model
    t = time.perf_counter()
    grpo2 = rl(model, tokenizer, "rs", "grpo2", recipe.grpo2_steps)
    stages["grpo2"] = held_out_eval(model, tokenizer)
    clock["grpo2"] = time.perf_counter() - t
    rewards.close()
    clock["total"] = time.perf_counter() - t0
    record: dict[str, Any] = {
        "seed": seed,
        "accuracy_verifier": accuracy,
        "graded_by": server or "in-process",
        "stages": stages,
        "grpo": grpo1,
        "rejection": {
            "prompts": kept.prompts,
            "completions": kept.completions,
            "outcomes": kept.outcomes,
            "prompts_kept": kept.prompts_kept,
            "rows": len(kept.pairs),
        },
        "grpo2": grpo2,
        "sft_final_loss": sft_loss,
        "rs_sft_final_loss": rs_loss,
        "seconds": clock,
    }
    (out / f"seed{seed}.json").write_text(json.dumps(record, indent=1))
    summary = " ".join(f"{k}={v['greedy_accuracy']:.3f}" for k, v in stages.items())
    print(f"seed {seed}: greedy accuracy {summary} ({clock['total']:.0f}s)", flush=True)


# ---------------------------------------------------------------------------------
# the grading server
# ---------------------------------------------------------------------------------


def start_server(accuracy: str) -> tuple[subprocess.Popen[bytes], str]:
    """``verigrade serve`` on a free loopback port; the interim verifier is registered
    in the server process and importable by its workers through PYTHONPATH."""
    preamble = ""
    if accuracy == "exact_answer":
        preamble = (
            "from exact_answer import ExactAnswerVerifier; "
            "from verigrade.verifiers import register; register(ExactAnswerVerifier); "
        )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    from verigrade.trainer_client.trainer.local_server import start_local_server

    return start_local_server(preamble=preamble, env=env)


def server_available() -> bool:
    """True when the server package and its dependencies are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("fastapi", "uvicorn")) and (
        importlib.util.find_spec("verigrade.server.app") is not None
    )


# ---------------------------------------------------------------------------------
# all seeds, the table and the plot
# ---------------------------------------------------------------------------------


STAGES = [
    ("sft", "1 cold-start SFT"),
    ("grpo", "2 GRPO"),
    ("rs_sft", "3 rejection sampling + SFT"),
    ("grpo2", "4 GRPO again"),
]
"""Stage keys in ``seed*.json`` and their labels in the table."""


def summarise(out: Path, seeds: list[int], recipe: Recipe) -> str:
    """The markdown tables and ``reference_run.png`` from the per-seed JSON files."""
    import statistics

    runs = [json.loads((out / f"seed{s}.json").read_text()) for s in seeds]
    k = recipe.k
    metrics = [
        ("greedy_accuracy", "greedy accuracy"),
        (f"pass@{k}", f"pass@{k}"),
        ("sample_accuracy", "sampled accuracy (T=1)"),
        ("greedy_format", "format rate (greedy)"),
    ]

    def mean_sd(xs: list[float], signed: bool = False) -> str:
        sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
        mean = f"{statistics.mean(xs):+.3f}" if signed else f"{statistics.mean(xs):.3f}"
        return f"{mean} ± {sd:.3f}"

    seed_cols = " | ".join(f"seed {r['seed']}" for r in runs)
    lines = [
        f"| metric | after stage | {seed_cols} | mean ± sd | change from previous stage |",
        "|---|---|" + "---|" * (len(runs) + 2),
    ]
    for m, label in metrics:
        for i, (stage, stage_label) in enumerate(STAGES):
            xs = [r["stages"][stage][m] for r in runs]
            # the paired change per seed: seeds differ a lot after SFT, the change less
            change = ""
            if i:
                prev = STAGES[i - 1][0]
                change = mean_sd([r["stages"][stage][m] - r["stages"][prev][m] for r in runs], True)
            cells = " | ".join(f"{x:.3f}" for x in xs)
            lines.append(f"| {label} | {stage_label} | {cells} | **{mean_sd(xs)}** | {change} |")
    lines += [
        "",
        "| seed | sampled (prompts x n) | kept rows | prompts with one kept | below min reward"
        " | duplicate | truncated | minutes: SFT / GRPO / RS+SFT / GRPO again / total |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        rej, sec = r["rejection"], r["seconds"]
        out_of = rej["outcomes"]
        minutes = " / ".join(
            f"{sec[key] / 60:.1f}" for key in ("sft", "grpo", "rs_sft", "grpo2", "total")
        )
        lines.append(
            f"| {r['seed']} | {rej['completions']} ({rej['prompts']} x {recipe.rs_samples}) "
            f"| {rej['rows']} | {rej['prompts_kept']} | {out_of.get('below_min_reward', 0)} "
            f"| {out_of.get('duplicate', 0)} | {out_of.get('truncated', 0)} | {minutes} |"
        )
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n")
    _plot(runs, out / "reference_run.png", k)
    return table


def _plot(runs: list[dict[str, Any]], path: Path, k: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_s, ax_r, ax_a) = plt.subplots(1, 3, figsize=(16, 4.2))
    xs = list(range(len(STAGES)))
    for key, label, marker in (
        ("greedy_accuracy", "greedy accuracy", "o"),
        (f"pass@{k}", f"pass@{k}", "s"),
        ("sample_accuracy", "sampled accuracy", "^"),
        ("greedy_format", "format rate", "x"),
    ):
        per_seed = [[r["stages"][s][key] for s, _ in STAGES] for r in runs]
        means = [sum(col) / len(col) for col in zip(*per_seed, strict=True)]
        (line,) = ax_s.plot(xs, means, marker=marker, label=f"{label} (mean)")
        for ys in per_seed:
            ax_s.plot(xs, ys, color=line.get_color(), alpha=0.25, linewidth=0.8)
    ax_s.set_xticks(xs, [label for _, label in STAGES], fontsize=8)
    ax_s.set(ylabel="held-out (200 sums)", title="after each stage (thin: single seeds)")
    offset = max(len(r["grpo"]["history"]) for r in runs)
    for i, r in enumerate(runs):
        color = f"C{i}"  # one colour per seed across both RL stages
        for part, shift, style in (("grpo", 0, "-"), ("grpo2", offset, "--")):
            hist = r[part]["history"]
            ax_r.plot(
                [h["step"] + shift for h in hist],
                _smooth([h["reward/mean"] for h in hist]),
                style,
                color=color,
                label=f"seed {r['seed']}" if part == "grpo" else None,
            )
            curve = r[part]["curve"]
            ax_a.plot(
                [c["step"] + shift for c in curve],
                [c["greedy_accuracy"] for c in curve],
                style,
                marker="o",
                color=color,
                label=f"seed {r['seed']}" if part == "grpo" else None,
            )
    for ax in (ax_r, ax_a):
        ax.axvline(offset, color="grey", linewidth=0.8)
    acc = runs[0]["accuracy_verifier"]
    ax_r.set(
        xlabel="GRPO step (stage 2, then stage 4 dashed)",
        ylabel="reward (mean, smoothed over 10 steps)",
        title=f"training reward: {acc} + 0.5 x think_format",
    )
    ax_a.set(
        xlabel="GRPO step (stage 2, then stage 4 dashed)",
        ylabel="greedy accuracy (100 held-out)",
        title="held-out greedy accuracy during RL",
    )
    for ax in (ax_s, ax_r, ax_a):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _smooth(xs: list[float], window: int = 10) -> list[float]:
    return [
        sum(xs[max(0, i - window + 1) : i + 1]) / len(xs[max(0, i - window + 1) : i + 1])
        for i in range(len(xs))
    ]


def recipe_with(overrides: list[str]) -> Recipe:
    """The default recipe with ``name=value`` overrides (``--set grpo_steps=2``), for
    quick trials and the smoke test; the committed results use no overrides."""
    fields = {f.name: f.type for f in dataclasses.fields(Recipe)}
    values: dict[str, Any] = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or name not in fields:
            raise SystemExit(f"--set wants NAME=VALUE with NAME one of {sorted(fields)}: {item!r}")
        values[name] = float(value) if fields[name] in (float, "float") else int(value)
    return dataclasses.replace(Recipe(), **values)


def main() -> None:
    """Run the seeds (in parallel subprocesses), then write the table and the plot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--accuracy",
        choices=["math", "exact_answer"],
        default=None,
        help="accuracy verifier (default: math if installed)",
    )
    parser.add_argument(
        "--server",
        default="auto",
        help="'auto' starts verigrade serve on loopback; a URL uses that "
        "server; 'none' grades in-process",
    )
    parser.add_argument("--jobs", type=int, default=3, help="seeds run at once (1 thread each)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--summarise-only", action="store_true", help="redo the table and plot from --out"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="override a Recipe field"
    )
    parser.add_argument("--one-seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--server-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    recipe = recipe_with(args.set)
    accuracy = args.accuracy or default_accuracy()
    args.out.mkdir(parents=True, exist_ok=True)

    if args.one_seed is not None:  # a worker: one seed, then exit
        run_seed(args.one_seed, accuracy, args.server_url, args.out, recipe)
        return
    if args.summarise_only:
        print(summarise(args.out, args.seeds, recipe))
        return

    server_proc = None
    url: str | None = None
    if args.server == "auto" and server_available():
        server_proc, url = start_server(accuracy)
    elif args.server not in ("auto", "none"):
        url = args.server
    print(f"accuracy verifier: {accuracy}; grading: {url or 'in-process'}", flush=True)
    t0 = last_load = time.perf_counter()
    loads = [os.getloadavg()[0]]
    try:
        pending, running = list(args.seeds), list[subprocess.Popen[bytes]]()
        while pending or running:
            while pending and len(running) < args.jobs:
                seed = pending.pop(0)
                cmd = [
                    sys.executable,
                    __file__,
                    "--one-seed",
                    str(seed),
                    "--accuracy",
                    accuracy,
                    "--out",
                    str(args.out),
                    *(f"--set={item}" for item in args.set),
                ] + (["--server-url", url] if url else [])
                running.append(subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}))
            for proc in list(running):
                if proc.poll() is not None:
                    running.remove(proc)
                    if proc.returncode:
                        raise SystemExit(f"a seed failed: {proc.args!r}")
            time.sleep(0.5)
            if time.perf_counter() - last_load >= 30:  # the machine may be shared: record it
                loads.append(os.getloadavg()[0])
                last_load = time.perf_counter()
    finally:
        if server_proc is not None:
            server_proc.terminate()
            server_proc.wait(timeout=30)
    minutes = (time.perf_counter() - t0) / 60
    (args.out / "recipe.json").write_text(
        json.dumps(
            {
                **asdict(recipe),
                "accuracy": accuracy,
                "graded_by": url and "http",
                "wall_minutes": minutes,
                "cpus": os.cpu_count(),
                # 1-minute load average every 30 s: 3 seeds on 2 cores alone give ~3
                "load_average": {
                    "min": min(loads),
                    "mean": sum(loads) / len(loads),
                    "max": max(loads),
                },
            },
            indent=1,
        )
    )
    print(summarise(args.out, args.seeds, recipe))
    print(
        f"all seeds: {minutes:.1f} minutes on {os.cpu_count()} CPUs, 1-minute load average "
        f"{min(loads):.1f}-{max(loads):.1f} (mean {sum(loads) / len(loads):.1f})"
    )


if __name__ == "__main__":
    main()
