"""``verigrade train``: the GRPO trainer from the command line.

Kept light on purpose: ``verigrade --help`` imports every command's ``register``,
so torch and transformers are imported only when ``train`` actually runs.
"""

from __future__ import annotations

import argparse
import sys
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


def run(args: argparse.Namespace) -> int:
    """Load the config and train."""
    from .grpo import load_config, train

    try:
        config = load_config(args.config, args.overrides)
    except (OSError, ValueError, TypeError) as exc:
        print(f"verigrade train: bad config: {exc}", file=sys.stderr)
        return 2
    train(config, quiet=args.quiet)
    return 0
