"""The reference run: R1's recipe in miniature, on two CPU cores, offline.

Per seed: build a ~0.66M-parameter Llama with a character tokenizer (nothing is
downloaded), cold-start SFT on a few hundred worked ``a+b=`` examples in R1's
``<think>...</think> answer`` template, then GRPO with accuracy + format rewards
graded by ``verigrade serve`` over HTTP. Held-out greedy accuracy and pass@k are
measured after SFT and after GRPO on 200 sums that no run trains on.

    python examples/reference_run/run.py            # 3 seeds, writes results/ and README figures

``--accuracy`` picks the accuracy verifier: ``math`` (the default once it is
installed) or ``exact_answer`` (the interim integer matcher in this folder).
``--server none`` grades in-process instead of over HTTP.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
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
    """GRPO rollouts (one update each)."""
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
    """SFT, evaluate, GRPO (with a held-out curve), evaluate; writes ``seed{seed}.json``."""
    import torch
    from verigrade.trainer_client.trainer.data import addition_split
    from verigrade.trainer_client.trainer.evaluate import evaluate
    from verigrade.trainer_client.trainer.grpo import GRPOConfig, load_model, reward_source, train
    from verigrade.trainer_client.trainer.sft import sft
    from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama

    torch.set_num_threads(1)
    if accuracy == "exact_answer":
        register_interim()
    t0 = time.perf_counter()
    train_set, held_out = addition_split(n_eval=recipe.eval_examples, seed=1234)
    sft_set, rl_set = train_set[: recipe.sft_examples], train_set[recipe.sft_examples :]
    work = out / "work" / f"seed{seed}"
    build_tiny_llama(work / "init", seed=seed)
    model, tokenizer = load_model(str(work / "init"))

    # cold start
    torch.manual_seed(seed)
    losses = sft(
        model,
        tokenizer,
        [(ex.prompt, ex.solution or "") for ex in sft_set],
        steps=recipe.sft_steps,
        learning_rate=recipe.sft_lr,
        seed=seed,
    )
    model.save_pretrained(work / "sft")
    tokenizer.save_pretrained(work / "sft")
    t_sft = time.perf_counter()

    spec = accuracy_spec(accuracy)
    config = GRPOConfig(
        model=str(work / "sft"),
        spec=spec,
        server=server,
        output_dir=str(work / "grpo"),
        steps=recipe.grpo_steps,
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
    rewards = reward_source(config)

    def held_out_eval(n: int | None = None, k: int = recipe.k) -> dict[str, float]:
        return evaluate(
            model,
            tokenizer,
            held_out[:n],
            rewards,
            accuracy=accuracy,
            fmt="think_format",
            k=k,
            temperature=recipe.temperature,
            max_new_tokens=recipe.max_new_tokens,
            seed=seed,
        )

    before = held_out_eval()
    curve = [{"step": 0, **held_out_eval(recipe.curve_examples, k=1)}]

    def on_step(step: int, _: Any) -> None:
        if step % recipe.eval_every == 0:
            curve.append({"step": step, **held_out_eval(recipe.curve_examples, k=1)})

    t_grpo = time.perf_counter()
    result = train(
        config, model=model, tokenizer=tokenizer, examples=rl_set, rewards=rewards, on_step=on_step
    )
    t_done = time.perf_counter()
    after = held_out_eval()
    rewards.close()
    seconds = {"sft": t_sft - t0, "grpo": t_done - t_grpo, "total": time.perf_counter() - t0}
    record: dict[str, Any] = {
        "seed": seed,
        "accuracy_verifier": accuracy,
        "graded_by": server or "in-process",
        "before": before,
        "after": after,
        "curve": curve,
        "history": result.history,
        "sft_final_loss": losses[-1],
        "seconds": seconds,
    }
    (out / f"seed{seed}.json").write_text(json.dumps(record, indent=1))
    print(f"seed {seed}: before {before} after {after} ({seconds['total']:.0f}s)")


# ---------------------------------------------------------------------------------
# the grading server
# ---------------------------------------------------------------------------------


def start_server(accuracy: str) -> tuple[subprocess.Popen[bytes], str]:
    """``verigrade serve`` on a free loopback port; the interim verifier is registered
    in the server process and importable by its workers through PYTHONPATH."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    boot = "from verigrade.verifiers.cli import main; raise SystemExit(main())"
    if accuracy == "exact_answer":
        boot = (
            "from exact_answer import ExactAnswerVerifier; "
            "from verigrade.verifiers import register; register(ExactAnswerVerifier); " + boot
        )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            boot,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError("the grading server exited during start-up")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the grading server did not become healthy")


def server_available() -> bool:
    """True when the server package and its dependencies are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("fastapi", "uvicorn")) and (
        importlib.util.find_spec("verigrade.server.app") is not None
    )


# ---------------------------------------------------------------------------------
# all seeds, the table and the plot
# ---------------------------------------------------------------------------------


def summarise(out: Path, seeds: list[int], recipe: Recipe) -> str:
    """The markdown table and ``reference_run.png`` from the per-seed JSON files."""
    import statistics

    runs = [json.loads((out / f"seed{s}.json").read_text()) for s in seeds]
    k = recipe.k
    metrics = [
        ("greedy_accuracy", "greedy acc"),
        (f"pass@{k}", f"pass@{k}"),
        ("sample_accuracy", "sampled acc (T=1)"),
        ("greedy_format", "format"),
    ]
    header = (
        "| seed | "
        + " | ".join(f"{label} before | {label} after" for _, label in metrics)
        + " | minutes |"
    )
    lines = [header, "|" + "---|" * (2 + 2 * len(metrics))]
    for r in runs:
        cells = [f"{r[w][m]:.3f}" for m, _ in metrics for w in ("before", "after")]
        minutes = r["seconds"]["total"] / 60
        lines.append(f"| {r['seed']} | " + " | ".join(cells) + f" | {minutes:.1f} |")
    mean_cells, change_cells = [], []
    for m, _ in metrics:
        for w in ("before", "after"):
            xs = [r[w][m] for r in runs]
            sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
            mean_cells.append(f"**{statistics.mean(xs):.3f} ± {sd:.3f}**")
        # the paired change per seed: seeds differ a lot after SFT, the change less
        deltas = [r["after"][m] - r["before"][m] for r in runs]
        sd = statistics.stdev(deltas) if len(deltas) > 1 else 0.0
        change_cells += ["", f"**{statistics.mean(deltas):+.3f} ± {sd:.3f}**"]
    lines.append("| mean ± sd | " + " | ".join(mean_cells) + " | |")
    lines.append("| change (after - before) | " + " | ".join(change_cells) + " | |")
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n")
    _plot(runs, out / "reference_run.png")
    return table


def _plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_r, ax_a) = plt.subplots(1, 2, figsize=(11, 4))
    for r in runs:
        steps = [h["step"] for h in r["history"]]
        ax_r.plot(
            steps, _smooth([h["reward/mean"] for h in r["history"]]), label=f"seed {r['seed']}"
        )
        ax_a.plot(
            [c["step"] for c in r["curve"]],
            [c["greedy_accuracy"] for c in r["curve"]],
            marker="o",
            label=f"seed {r['seed']}",
        )
    acc = runs[0]["accuracy_verifier"]
    ax_r.set(
        xlabel="GRPO step",
        ylabel="reward (mean, smoothed over 10 steps)",
        title=f"training reward: {acc} + 0.5 x think_format",
    )
    ax_a.set(xlabel="GRPO step", ylabel="greedy accuracy", title="held-out greedy accuracy")
    for ax in (ax_r, ax_a):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _smooth(xs: list[float], window: int = 10) -> list[float]:
    return [
        sum(xs[max(0, i - window + 1) : i + 1]) / len(xs[max(0, i - window + 1) : i + 1])
        for i in range(len(xs))
    ]


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
    parser.add_argument("--one-seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--server-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    recipe = Recipe()
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
    t0 = time.perf_counter()
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
                ] + (["--server-url", url] if url else [])
                running.append(subprocess.Popen(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}))
            for proc in list(running):
                if proc.poll() is not None:
                    running.remove(proc)
                    if proc.returncode:
                        raise SystemExit(f"a seed failed: {proc.args!r}")
            time.sleep(0.5)
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
            },
            indent=1,
        )
    )
    print(summarise(args.out, args.seeds, recipe))
    print(f"all seeds: {minutes:.1f} minutes")


if __name__ == "__main__":
    main()
