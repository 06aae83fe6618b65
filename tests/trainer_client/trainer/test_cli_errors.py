"""``verigrade train`` says what is missing and how to make it, at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
VERIGRADE = str(Path(sys.executable).parent / "verigrade")


def test_the_readme_config_without_its_model_fails_fast_naming_the_step(tmp_path: Path) -> None:
    # The README's command, run before the preparation steps: no runs/tiny here.
    done = subprocess.run(
        [VERIGRADE, "train", "--config", str(ROOT / "examples/reference_run/grpo.toml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"HF_HUB_OFFLINE": "0", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "the model folder 'runs/tiny' does not exist" in done.stderr
    assert "build_tiny_llama" in done.stderr and "docs/trainer.md" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_prompts_file_is_named(tmp_path: Path) -> None:
    from verigrade.trainer_client.trainer.cli import missing_inputs

    assert missing_inputs(str(tmp_path), "gsm8k:train") is None
    problem = missing_inputs(str(tmp_path), str(tmp_path / "sums.jsonl"))
    assert problem is not None and "sums.jsonl' does not exist" in problem


def test_without_torch_it_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from verigrade.trainer_client.trainer import cli

    # As if torch were not installed: importing it fails like a missing package does.
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "verigrade.trainer_client.trainer.grpo", raising=False)
    args = argparse.Namespace(config="x.toml", overrides=[], quiet=True)
    assert cli.run(args) == 2
    err = capsys.readouterr().err
    assert "torch is not installed" in err and "pip install -e '.[train]'" in err
