"""Real multilingual text from the tokenizerbench package (PyPI), for language tests.

tokenizerbench 0.2.0's own ``__init__`` fails to import, so its data modules are
loaded by path; they are plain dicts of sentences.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


def tokenizerbench(module: str, name: str) -> dict[str, list[str]]:
    """``tokenizerbench/data/<module>.py``'s ``<name>`` dict: language -> sentences."""
    spec = importlib.util.find_spec("tokenizerbench")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("tokenizerbench is not installed: pip install tokenizerbench")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{module}.py"
    loader_spec = importlib.util.spec_from_file_location(f"_tb_{module}", path)
    assert loader_spec is not None and loader_spec.loader is not None
    mod: Any = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(mod)
    data: dict[str, list[str]] = getattr(mod, name)
    return data
