"""The ``verigrade`` command line: ``main`` dispatches to the subcommands registered in the
``verigrade.commands`` entry-point group; ``grade`` and ``list`` are the library's own."""

from __future__ import annotations

from .arguments import PIN_CHOICES, Subparsers, add_pin_argument, add_ray_argument
from .main import COMMANDS, build_parser, main

__all__ = [
    "COMMANDS",
    "PIN_CHOICES",
    "Subparsers",
    "add_pin_argument",
    "add_ray_argument",
    "build_parser",
    "main",
]
