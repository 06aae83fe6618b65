"""``verigrade select --server URL`` against a real ``verigrade serve`` on loopback: the
same files as grading locally, and a refused request is a clear error, not a traceback."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from verigrade.trainer_client import ServerGrader
from verigrade.verifiers import SelectOptions, select
from verigrade.verifiers.cli import main

from tests.server.support import LiveServer, free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "select" / "math_samples.jsonl"
KEY = "s3lect"


def math_verdicts(server: LiveServer) -> float:
    """How many math verdicts the server has returned (from /metrics)."""
    text = httpx.get(f"{server.url}/metrics", headers={"authorization": f"Bearer {KEY}"}).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("verigrade_verdicts_total{") and 'verifier="math"' in line
    )


@pytest.fixture(scope="module")
def served() -> Iterator[LiveServer]:
    """``verigrade serve`` itself, as docs/select.md starts it, with an API key."""
    port = free_port()
    command = [sys.executable, "-m", "verigrade.verifiers.cli", "serve", "--port", str(port),
               "--workers", "1", "--api-key", KEY, "--log-level", "warning"]  # fmt: skip
    server = LiveServer(command, dict(os.environ), port)
    try:
        yield server
    finally:
        server.stop()


def docs_command(url: str) -> list[str]:
    """The server command of docs/select.md, pointed at ``url``."""
    text = (ROOT / "docs" / "select.md").read_text(encoding="utf-8")
    section = text.split("## Grading on a server", 1)[1]
    code = section.split("```bash\n", 1)[1].split("```", 1)[0]
    argv = shlex.split(code.replace("\\\n", " "))
    assert argv[0] == "verigrade" and "http://127.0.0.1:8000" in argv
    return [url if a == "http://127.0.0.1:8000" else a for a in argv[1:]]


def test_select_on_a_server_writes_what_local_grading_writes(
    served: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples" / "select").mkdir(parents=True)
    (tmp_path / "examples" / "select" / "math_samples.jsonl").write_bytes(EXAMPLE.read_bytes())
    monkeypatch.setenv("VERIGRADE_API_KEY", KEY)
    argv = docs_command(served.url)
    extra = ["--graded", "graded.jsonl", "--pairs", "dpo.jsonl", "-q"]
    before = math_verdicts(served)
    assert main([*argv, *extra]) == 0
    assert math_verdicts(served) - before == 48  # graded there, every line once
    remote = {n: Path(n).read_bytes() for n in ("sft.jsonl", "dpo.jsonl", "graded.jsonl")}
    local = [a if a != "--server" else "--workers" for a in argv]
    local[local.index("--workers") + 1] = "0"
    assert main([*local, *extra]) == 0
    assert {n: Path(n).read_bytes() for n in remote} == remote
    assert len(remote["sft.jsonl"].splitlines()) == 9


def test_the_library_grades_on_a_server_through_server_grader(served: LiveServer) -> None:
    lines = EXAMPLE.read_bytes().splitlines()
    options = SelectOptions(min_reward=1.0, best_k=2)
    with ServerGrader(served.url, api_key=KEY, batch_size=7) as remote:
        on_server = list(select(lines, {"math": 1.0}, options, grader=remote, batch_size=10))
    here = list(select(lines, {"math": 1.0}, options, workers=0))
    assert [s.sft for s in on_server] == [s.sft for s in here]
    assert [[d.to_dict() for d in s.decisions] for s in on_server] == [
        [d.to_dict() for d in s.decisions] for s in here
    ]


def test_a_refused_request_is_a_clear_error(
    served: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["select", str(EXAMPLE), "-s", "math", "-o", str(tmp_path / "o.jsonl"), "-q",
            "--server", served.url, "--api-key", "wrong"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"verigrade select: error: grading server {served.url}: HTTP 401")
    assert main([*argv[:-2], "--api-key", KEY, "-s", '{"nope": 1}']) == 2
    assert "unknown verifier 'nope'" in capsys.readouterr().err
