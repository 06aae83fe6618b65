"""verl 0.9.1 (installed from PyPI) loads verigrade's reward function through its own
hydra config, as docs/server.md's recipe configures it, and its own reward loop awaits
it: the rewards verl gets equal ``verigrade grade`` on the same answers."""

from __future__ import annotations

import asyncio
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from verigrade.verifiers import Grade, grade

from tests.server.support import LiveServer

from .recipes import blocks, mixed_rows

# verl's own imports warn about Ray's API it still uses; not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Ray state API is no longer experimental:DeprecationWarning"
)

verl = pytest.importorskip("verl", reason="verl is not installed (scripts/setup.sh installs it)")
np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")


def recipe() -> tuple[str, list[str], str]:
    """The recipe's VERIGRADE_SPEC, its reward.* overrides, and the file-path override."""
    main, by_path = blocks("verl", "bash")
    (spec,) = re.findall(r"^export VERIGRADE_SPEC='(.*)'$", main, re.M)
    overrides = re.findall(r"(reward\.custom_reward_function\.\w+=\S+)", main)
    (path_line,) = re.findall(r"(reward\.custom_reward_function\.path=\S.*)$", by_path, re.M)
    return spec, overrides, path_line.strip()


def file_path_override(line: str) -> str:
    """``path=$(python -c '...')`` run as the shell would, with this venv's python."""
    (command,) = re.findall(r"\$\((.*)\)$", line)
    args = shlex.split(command)
    assert args[0] == "python"
    out = subprocess.run([sys.executable, *args[1:]], capture_output=True, text=True, check=True)
    return line.split("=", 1)[0] + "=" + out.stdout.strip()


def compose(overrides: list[str], tokenizer_dir: Path) -> Any:
    """verl's PPO config, composed by hydra from verl's own config folder (what
    ``python -m verl.trainer.main_ppo ...`` does) and resolved as its TaskRunner does."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        config = hydra_compose(
            "ppo_trainer",
            overrides=[*overrides, f"actor_rollout_ref.model.path={tokenizer_dir}"],
        )
    OmegaConf.resolve(config)
    return config


def tokenizer_for(rows: list[dict[str, Any]], where: Path) -> Any:
    """A character tokenizer over the answers' characters, saved where verl loads it."""
    from verigrade.trainer_client.trainer.tokenizer import build_char_tokenizer

    tok = build_char_tokenizer(sorted({c for r in rows for c in r["prompt"] + r["completion"]}))
    tok.save_pretrained(where)
    return tok


def batch(rows: list[dict[str, Any]], tok: Any) -> Any:
    """A rollout batch as verl's agent loop hands it to the reward loop: left-padded
    prompts, right-padded responses, numpy metadata (``__num_turns__`` is int64)."""
    from verl import DataProto

    prompts = [tok(r["prompt"], add_special_tokens=False)["input_ids"] for r in rows]
    answers = [tok(r["completion"], add_special_tokens=False)["input_ids"] for r in rows]
    P, R = max(map(len, prompts)), max(map(len, answers))
    prompt_t = torch.zeros(len(rows), P, dtype=torch.long)
    response_t = torch.zeros(len(rows), R, dtype=torch.long)
    mask = torch.zeros(len(rows), P + R, dtype=torch.long)
    for i, (p, a) in enumerate(zip(prompts, answers, strict=True)):
        prompt_t[i, P - len(p) :] = torch.tensor(p)
        response_t[i, : len(a)] = torch.tensor(a)
        mask[i, P - len(p) : P + len(a)] = 1
    n = len(rows)
    return DataProto.from_dict(
        tensors={"prompts": prompt_t, "responses": response_t, "attention_mask": mask},
        non_tensors={
            "data_source": np.array(["math_cot"] * n, dtype=object),
            "reward_model": np.array([{"ground_truth": r["reference"]} for r in rows]),
            "extra_info": np.array(
                [{"index": np.int64(i), "level": np.str_(r["level"])} for i, r in enumerate(rows)]
            ),
            "__num_turns__": np.array([2] * n, dtype=np.int64),
        },
    )


def expected(rows: list[dict[str, Any]], spec: str) -> list[Grade]:
    import json

    return grade(
        [{"completion": r["completion"], "reference": r["reference"]} for r in rows],
        json.loads(spec),
    )


def grade_requests(server: LiveServer) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    (line,) = [
        x
        for x in text.splitlines()
        if x.startswith("verigrade_requests_total{") and 'route="grade"' in x and 'code="200"' in x
    ] or ["x 0"]
    return float(line.split()[-1])


@pytest.mark.parametrize("how", ["pkg", "file"])
def test_verl_reward_loop_gets_verigrade_rewards(
    how: str, server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    spec, overrides, path_line = recipe()
    if how == "file":
        overrides = [o for o in overrides if ".path=" not in o] + [file_path_override(path_line)]
        assert overrides[-1].endswith("verigrade/trainer_client/verl.py")
    else:
        assert "reward.custom_reward_function.path=pkg://verigrade.trainer_client.verl" in overrides
    rows = mixed_rows(12)
    tok = tokenizer_for(rows, tmp_path / "tok")
    config = compose(overrides, tmp_path / "tok")
    assert config.reward.custom_reward_function.name == "compute_score"
    monkeypatch.setenv("VERIGRADE_URL", server.url)
    monkeypatch.setenv("VERIGRADE_SPEC", spec)
    # A window far longer than the decodes, so the count below does not hang on timing.
    monkeypatch.setenv("VERIGRADE_BATCH_WINDOW", "1.0")
    before = grade_requests(server)

    async def run() -> list[dict[str, Any]]:
        worker = RewardLoopWorker(config)  # verl's own: loads our function, awaits it
        assert worker.reward_manager.is_async_reward_score
        try:
            return list(await worker.compute_score_batch(batch(rows, tok)))
        finally:
            # The module verl loaded (by path: a copy of ours): close its batcher here,
            # on this loop, before the loop ends.
            loaded = worker.reward_manager.compute_score.args[0]
            await loaded.__globals__["aclose"]()

    outputs = asyncio.run(run())
    want = expected(rows, spec)
    assert [o["reward_score"] for o in outputs] == [g.reward for g in want]
    assert len({g.reward for g in want}) > 1  # right and wrong answers among them
    extras = [o["reward_extra_info"] for o in outputs]
    # RewardLoopManager stacks every sample's extras under the first sample's keys.
    assert all(e.keys() == extras[0].keys() for e in extras)
    assert set(extras[0]) == {"score", "ok", "math", "think_format"}
    assert [e["math"] for e in extras] == [g.verdicts["math"].score for g in want]
    assert grade_requests(server) - before < len(rows) / 2  # batched, not one per sample


def test_verl_legacy_batch_manager(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verl.trainer.ppo.reward import get_custom_reward_fn
    from verl.workers.reward_manager.batch import BatchRewardManager

    spec, overrides, _ = recipe()
    overrides = [re.sub(r"\.name=\w+", ".name=compute_score_batch", o) for o in overrides]
    rows = mixed_rows(6)
    tok = tokenizer_for(rows, tmp_path / "tok")
    config = compose(overrides, tmp_path / "tok")
    monkeypatch.setenv("VERIGRADE_URL", server.url)
    monkeypatch.setenv("VERIGRADE_SPEC", spec)
    manager = BatchRewardManager(tok, num_examine=0, compute_score=get_custom_reward_fn(config))
    data = batch(rows, tok)
    out = manager(data, return_dict=True)
    ends = data.batch["attention_mask"][:, data.batch["prompts"].shape[1] :].sum(-1) - 1
    got = [float(out["reward_tensor"][i, int(end)]) for i, end in enumerate(ends)]
    want = expected(rows, spec)
    assert got == pytest.approx([g.reward for g in want])
    assert list(out["reward_extra_info"]["math"]) == [g.verdicts["math"].score for g in want]
    from verigrade.trainer_client import verl as adapter

    adapter.close()
