"""The registry: built-ins and third-party plugins go through the same entry points."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from verigrade.verifiers import (
    Grader,
    UnknownVerifierError,
    Verifier,
    get_verifier,
    list_verifiers,
    unregister,
)
from verigrade.verifiers.core.registry import GROUP

BUILT_INS = {
    "think_format", "language", "length", "repetition", "math", "code", "ifeval", "choice", "qa",
    "json_schema", "tool_call", "reasoning_gym",
}  # fmt: skip


def test_built_ins_are_registered_through_entry_points() -> None:
    names = {ep.name for ep in entry_points(group=GROUP)}
    assert names >= BUILT_INS
    assert set(list_verifiers()) >= BUILT_INS


def test_every_verifier_has_a_description_and_an_options_schema() -> None:
    for name, cls in list_verifiers().items():
        assert cls.name == name
        assert cls.description
        schema = cls.options_schema()
        assert schema["type"] == "object"
        for option in schema.get("properties", {}).values():
            assert option.get("description"), f"{name}: every option needs a description"


def test_unknown_name() -> None:
    with pytest.raises(UnknownVerifierError):
        get_verifier("no_such_verifier")


PLUGIN = """
from pydantic.dataclasses import dataclass
from verigrade.verifiers import Sample, Verdict, Verifier


@dataclass(frozen=True)
class ShoutOptions:
    min_ratio: float = 0.5


class Shout(Verifier):
    name = "shout"
    description = "Rewards upper-case completions."
    Options = ShoutOptions

    def verify(self, sample: Sample) -> Verdict:
        text = sample.completion_text
        letters = [c for c in text if c.isalpha()]
        ratio = sum(c.isupper() for c in letters) / max(1, len(letters))
        return Verdict(float(ratio >= self.options.min_ratio), "ok", f"{ratio:.0%} upper-case")
"""


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[None]:
    """A third-party distribution 'verigrade-shout' installed into a directory on sys.path,
    exactly as pip would lay it out: a module plus a dist-info with entry_points.txt."""
    (tmp_path / "verigrade_shout.py").write_text(PLUGIN)
    dist = tmp_path / "verigrade_shout-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: verigrade-shout\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            """
            [verigrade.verifiers]
            shout = verigrade_shout:Shout
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield
    sys.path.remove(str(tmp_path))
    sys.modules.pop("verigrade_shout", None)
    unregister("shout")


def test_a_third_party_plugin_is_found_and_grades(installed_plugin: None) -> None:
    cls = get_verifier("shout")
    assert issubclass(cls, Verifier)
    assert "shout" in list_verifiers()
    samples = [{"completion": "HELLO THERE"}, {"completion": "quiet please"}]
    spec = {"shout": {"weight": 2.0, "min_ratio": 0.9}, "think_format": 0.0}
    # In this process, and in worker processes (which import the plugin by name).
    for workers in (0, 1):
        with Grader(workers=workers) as grader:
            grades = grader.grade(samples, spec)
        assert [g.reward for g in grades] == [2.0, 0.0]
        assert grades[0].verdicts["shout"].reason == "100% upper-case"


def _readme_block(language: str, first_line: str) -> str:
    """The README's fenced ``language`` block that starts with ``first_line``."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    for block in readme.split(f"```{language}\n")[1:]:
        body = block.split("```", 1)[0]
        if body.startswith(first_line):
            return body
    raise AssertionError(f"README has no {language} block starting {first_line!r}")


@pytest.fixture
def readme_plugin(tmp_path: Path) -> Iterator[None]:
    """The README's 'Writing a verifier' example, as written there, installed as pip would."""
    package = tmp_path / "my_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "shout.py").write_text(_readme_block("python", "# my_package/shout.py"))
    toml = _readme_block("toml", "# my_package's pyproject.toml")
    section, entry = toml.split("\n", 1)[1].strip().split("\n", 1)
    assert section == '[project.entry-points."verigrade.verifiers"]'
    name, target = (part.strip().strip('"') for part in entry.split("="))
    dist = tmp_path / "my_package-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-package\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[verigrade.verifiers]\n{name} = {target}\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield
    sys.path.remove(str(tmp_path))
    for module in ("my_package.shout", "my_package"):
        sys.modules.pop(module, None)
    unregister(name)


def test_the_readme_plugin_example_runs_as_written(readme_plugin: None) -> None:
    samples = [{"completion": "HELLO"}, {"completion": "quiet"}]
    for workers in (0, 1):
        with Grader(workers=workers) as grader:
            grades = grader.grade(samples, {"shout": {"min_ratio": 0.9}})
        assert [g.reward for g in grades] == [1.0, 0.0]
        assert grades[0].verdicts["shout"].reason == "100% upper-case"
    assert list_verifiers()["shout"].options_schema()["properties"]["min_ratio"]["maximum"] == 1
