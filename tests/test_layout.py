"""The folder tree is the architecture: these checks keep the rooms apart.

- Nothing outside ``verifiers/engine/`` imports the engine's modules (the pool, the
  worker, affinity): only ``verigrade.verifiers.engine`` itself. The engine's own tests
  are the exception, since they test those modules.
- Dependencies point one way: ``sandbox`` imports nothing of ours, ``verifiers`` imports
  only ``sandbox``, ``server`` never imports the trainer or its client.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "verifiers": "verigrade.verifiers",
    "server": "verigrade.server",
    "sandbox": "verigrade.sandbox",
    "trainer_client": "verigrade.trainer_client",
}
ENGINE = "verigrade.verifiers.engine"


def module_name(path: Path) -> str:
    """The installed name of a file under one of our packages (``verigrade.x.y``)."""
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    parts[0] = PACKAGES[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, relative imports made absolute, ``from x import y``
    counted as ``x.y`` too (``y`` may be a submodule)."""
    package = module_name(path) if path.parts[len(ROOT.parts)] in PACKAGES else ""
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_the_module_names_resolve_relative_imports() -> None:
    # A guard on the checker itself: the pool's relative imports are read right.
    found = set(imported(ROOT / "verifiers" / "engine" / "pool.py"))
    assert f"{ENGINE}.affinity" in found
    assert "verigrade.verifiers.core.model.Sample" in found


def test_only_the_engine_imports_its_modules() -> None:
    engine_modules = {p.stem for p in (ROOT / "verifiers" / "engine").glob("*.py")}
    outside = [
        p
        for p in python_files(*PACKAGES, "tests", "benchmarks", "examples")
        if not p.is_relative_to(ROOT / "verifiers" / "engine")
        and not p.is_relative_to(ROOT / "tests" / "verifiers" / "engine")
    ]
    # `from verigrade.verifiers.engine import Grader` is the door; a module behind it is not.
    behind = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in outside
        for name in imported(path)
        if name.startswith(f"{ENGINE}.") and name.split(".")[3] in engine_modules
    }
    assert sorted(behind) == []


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("sandbox", ("verigrade.verifiers", "verigrade.server", "verigrade.trainer_client")),
        ("verifiers", ("verigrade.server", "verigrade.trainer_client")),
        ("server", ("verigrade.trainer_client",)),
    ],
)
def test_dependencies_point_one_way(folder: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files(folder)
        for name in imported(path)
        if name.startswith(forbidden)
    }
    assert sorted(wrong) == []


def test_the_library_never_imports_ray() -> None:
    # Ray is an optional extra: only `import verigrade.verifiers.ray` may bring it in.
    import subprocess
    import sys

    code = (
        "import sys, verigrade.verifiers, verigrade.verifiers.engine; print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
