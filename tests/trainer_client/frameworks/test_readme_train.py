"""The README's GRPO recipe: its preparation lines run as written, then its
``verigrade train`` line, shortened to one small step, against a real server."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.server.support import LiveServer

ROOT = Path(__file__).resolve().parents[3]

pytest.importorskip("torch", reason="the trainer needs the train extra")


def readme_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## GRPO trainer and the reference run") :]
    (block,) = re.findall(r"^```bash\n(.*?)^```", section, re.S | re.M)[:1]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_preparation_then_train(
    server: LiveServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from verigrade.verifiers.cli import main

    lines = readme_block()
    prepare = [line for line in lines if line.startswith("python -c")]
    assert len(prepare) == 2
    monkeypatch.chdir(tmp_path)
    for line in prepare:  # `python -c CODE`: the same code, in this process
        exec(shlex.split(line)[2], {})
    assert (tmp_path / "runs/tiny/config.json").exists() and (tmp_path / "runs/sums.jsonl").exists()
    (train,) = [line for line in lines if line.startswith("verigrade train")]
    args = shlex.split(train)[1:]
    args[args.index("--config") + 1] = str(ROOT / args[args.index("--config") + 1])
    short = {"steps": 1, "prompts_per_step": 2, "num_generations": 2, "max_new_tokens": 8}
    sets = [f"{k}={v}" for k, v in short.items()] + [f"server={server.url}", "output_dir=out"]
    assert main(args + [x for s in sets for x in ("--set", s)]) == 0
    out = capsys.readouterr().out
    (step,) = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert step["step"] == 1
