"""Two-step GRPO runs on a tiny model on CPU: in-process, from the CLI, with resume,
and through a real grading server on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from verigrade.trainer_client.trainer.data import addition_split, write_jsonl  # noqa: E402
from verigrade.trainer_client.trainer.grpo import GRPOConfig, latest_checkpoint, train  # noqa: E402
from verigrade.trainer_client.trainer.rewards import FunctionRewards  # noqa: E402
from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama  # noqa: E402

SPEC = {"think_format": {"weight": 1.0, "mode": "lenient", "partial_credit": True}}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("grpo")
    build_tiny_llama(
        root / "model", hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64
    )
    train_set, _ = addition_split(max_operand=20, n_eval=10)
    write_jsonl(root / "train.jsonl", train_set[:40])
    return root


def _config(workdir: Path, out: str, **kw: Any) -> GRPOConfig:
    base: dict[str, Any] = {
        "model": str(workdir / "model"),
        "data": str(workdir / "train.jsonl"),
        "spec": SPEC,
        "output_dir": str(workdir / out),
        "steps": 2,
        "prompts_per_step": 2,
        "num_generations": 4,
        "max_new_tokens": 8,
        "learning_rate": 1e-3,
        "threads": 2,
    }
    base.update(kw)
    return GRPOConfig(**base)


def _check_history(history: list[dict[str, float]], steps: list[int]) -> None:
    assert [int(h["step"]) for h in history] == steps
    for h in history:
        for key in (
            "reward/mean",
            "reward/std",
            "reward/think_format",
            "groups/zero_std_frac",
            "policy/entropy",
            "clip/frac",
            "completions/mean_length",
            "perf/tokens_per_s",
            "loss/total",
        ):
            assert key in h and h[key] == h[key], key  # present and not NaN
        assert 1 <= h["completions/mean_length"] <= 8


def test_two_steps_in_process_then_resume(workdir: Path) -> None:
    cfg = _config(workdir, "run", beta=0.04, num_iterations=2, epsilon_high=0.28, loss_type="dapo")
    before = {k: v.clone() for k, v in _load(workdir / "model").state_dict().items()}
    # A random model never writes <think> tags, so think_format gives every completion 0
    # and nothing would be learned; completion length varies, so it gives advantages.
    by_length = FunctionRewards(
        lambda samples: [{"think_format": len(s["completion"]) / 8} for s in samples]
    )
    result = train(cfg, rewards=by_length, quiet=True)
    _check_history(result.history, [1, 2])
    assert "loss/kl" in result.history[0]
    after = result.model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before), "weights never moved"
    assert latest_checkpoint(workdir / "run") == workdir / "run" / "checkpoint-2"
    lines = (workdir / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [1, 2]

    # resume: a 3-step run in the same folder does only step 3, from checkpoint 2
    resumed = train(_config(workdir, "run", beta=0.04, steps=3, resume=True), quiet=True)
    _check_history(resumed.history, [3])
    assert latest_checkpoint(workdir / "run") == workdir / "run" / "checkpoint-3"


def _load(path: Path) -> Any:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path)


def test_cli_train_from_a_toml_config(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from verigrade.verifiers.cli import main

    config = workdir / "train.toml"
    config.write_text(
        'model = "model"\ndata = "train.jsonl"\n'
        f'output_dir = "{workdir / "cli"}"\n'
        "steps = 2\nprompts_per_step = 2\nnum_generations = 4\nmax_new_tokens = 8\n"
        'loss_type = "dr_grpo"\nscale_rewards = false\n'
        "[spec]\nthink_format = 1.0\n"
    )
    assert main(["train", "--config", str(config), "--set", "top_p=0.9"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert [x["step"] for x in lines] == [1, 2]
    assert "reward/think_format" in lines[0]


def test_cli_rejects_unknown_config_keys(workdir: Path) -> None:
    from verigrade.verifiers.cli import main

    config = workdir / "bad.toml"
    config.write_text('model = "model"\nlearning_rat = 0.1\n')
    assert main(["train", "--config", str(config)]) == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_two_steps_through_a_real_server(workdir: Path) -> None:
    pytest.importorskip("fastapi")  # the server extra
    pytest.importorskip("httpx")
    port = _free_port()
    verigrade = Path(sys.executable).parent / "verigrade"
    log = workdir / "server.log"
    with open(log, "wb") as sink:
        server = subprocess.Popen(
            [str(verigrade), "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # wait for readiness, not for a duration
            if server.poll() is not None:
                pytest.fail(f"server exited: {log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server never became healthy")
        result = train(_config(workdir, "http", server=url), quiet=True)
        _check_history(result.history, [1, 2])
        # the rewards really came over HTTP: 2 steps x 2 prompts x 4 completions
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:
            text = r.read().decode()
        graded = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("verigrade_items_total")
        )
        assert graded == 16
    finally:
        server.terminate()
        server.wait(timeout=30)
