"""``verigrade train``: the GRPO trainer from the command line.

Kept light on purpose: ``verigrade --help`` imports every command's ``register``,
so torch and transformers are imported only when ``train`` actually runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``verigrade train``."""
    parser = subparsers.add_parser(
        "train",
        help="train a causal LM with GRPO on verifiable rewards",
        description=(
            "Run GRPO as a TOML or JSON config says: the model directory, the prompts "
            "(JSONL), the reward spec and the grading server (omit `server` to grade "
            "in-process). Prints one JSON line of metrics per step."
        ),
    )
    parser.add_argument("--config", required=True, help="TOML or JSON file of GRPOConfig fields")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field (VALUE is JSON, or a bare string); repeatable",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-step lines on stdout")
    parser.set_defaults(handler=run)


PREPARE_REFERENCE = (
    'python -c "from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama as b; '
    "b('runs/tiny')\""
)
"""The preparation step that writes the reference run's model (docs/trainer.md)."""


def run(args: argparse.Namespace) -> int:
    """Load the config, check that its model and data are there, and train."""
    try:
        from .grpo import load_config, train
    except ModuleNotFoundError as exc:
        if exc.name not in {"torch", "transformers"}:
            raise
        print(
            f"verigrade train: {exc.name} is not installed; the trainer needs the `train` "
            "extra: pip install torch==2.13.0 (the CPU wheel, first) then "
            "pip install -e '.[train]' in the clone",
            file=sys.stderr,
        )
        return 2
    try:
        config = load_config(args.config, args.overrides)
    except (OSError, ValueError, TypeError) as exc:
        print(f"verigrade train: bad config: {exc}", file=sys.stderr)
        return 2
    missing = missing_inputs(config.model, config.data)
    if missing:
        print(f"verigrade train: {missing}", file=sys.stderr)
        return 2
    train(config, quiet=args.quiet)
    return 0


def missing_inputs(model: str, data: str) -> str | None:
    """What is missing, said with the step that makes it, or None.

    The trainer loads models from disk only; without this check transformers would
    take a missing folder for a model hub id and retry the network for a minute.
    """
    if not Path(model).is_dir():
        return (
            f"the model folder {model!r} does not exist. The trainer loads a Hugging Face "
            "model directory from disk and downloads nothing; for the reference run make "
            f"the tiny model first: {PREPARE_REFERENCE} (see docs/trainer.md)"
        )
    if not data.startswith("gsm8k:") and not Path(data).is_file():
        return (
            f"the prompts file {data!r} does not exist. For the reference run write it "
            'first: python -c "from verigrade.trainer_client.trainer.data import '
            "addition_split as s, write_jsonl as w; w('runs/sums.jsonl', s()[0])\" "
            "(see docs/trainer.md)"
        )
    return None
