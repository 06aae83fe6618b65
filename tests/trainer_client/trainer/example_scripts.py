"""Load an ``examples/<folder>/run.py`` script as a module, for the tests of the examples."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def load_example(folder: str) -> ModuleType:
    """``examples/<folder>/run.py`` imported under the name ``<folder>_run``."""
    spec = importlib.util.spec_from_file_location(
        f"{folder}_run", ROOT / "examples" / folder / "run.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module
