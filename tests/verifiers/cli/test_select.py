"""``verigrade select`` as a user runs it: the docs' recipe, the files it writes, bad lines,
and resuming from any point a run can stop at."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from verigrade.verifiers.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "select" / "math_samples.jsonl"
DOC = ROOT / "docs" / "select.md"
KEEP = ["--spec", '{"math": 1.0}', "--min-reward", "1", "--best-k", "2"]
PAIRS = ["--min-margin", "1", "--pairs-per-prompt", "2"]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def select_files(tmp: Path, source: Path, *extra: str, workers: str = "0") -> list[str]:
    """The argv of a select run writing sft/dpo/graded/summary into ``tmp``."""
    return [
        "select", str(source), *KEEP, *PAIRS, "-w", workers, "-q",
        "-o", str(tmp / "sft.jsonl"), "--pairs", str(tmp / "dpo.jsonl"),
        "--graded", str(tmp / "graded.jsonl"), "--summary", str(tmp / "summary.json"), *extra,
    ]  # fmt: skip


OUTPUTS = ("sft.jsonl", "dpo.jsonl", "graded.jsonl")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def summary_of(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / "summary.json").read_text())
    data.pop("seconds")
    data.pop("resumed_after_line")
    return dict(data)


# -- the documented recipe ---------------------------------------------------------------------


def recipe_blocks() -> list[tuple[str, str, str]]:
    """``(language, code, printed)`` for each fenced block of the docs' Recipe section;
    ``printed`` is the plain block that follows a command, if any."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Recipe", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w*)\n(.*?)```", section, re.DOTALL)
    out = []
    for i, (language, code) in enumerate(blocks):
        if language:
            follows = blocks[i + 1] if i + 1 < len(blocks) else ("x", "")
            out.append((language, code, follows[1] if follows[0] == "" else ""))
    return out


def test_the_docs_recipe_runs_as_written(tmp_path: Path) -> None:
    (tmp_path / "examples" / "select").mkdir(parents=True)
    shutil.copy(EXAMPLE, tmp_path / "examples" / "select")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    blocks = recipe_blocks()
    assert [b[0] for b in blocks] == ["bash", "bash", "python", "python"]
    first = None
    for language, code, printed in blocks:
        command = ["bash", "-euo", "pipefail", "-c", code]
        if language == "python":
            command = [sys.executable, "-W", "error", "-c", code]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        if printed:  # the summary shown in the docs is what the command prints, timing aside
            timing = re.compile(r"in \d+\.\d\ds")
            assert timing.sub("in Ts", done.stderr) == timing.sub("in Ts", printed)
        if first is None:
            first = snapshot(tmp_path)
        else:  # resuming a finished run changes nothing
            assert snapshot(tmp_path) == first


# -- what a run writes ------------------------------------------------------------------------


def test_the_files_agree_with_each_other(tmp_path: Path) -> None:
    assert main(select_files(tmp_path, EXAMPLE)) == 0
    source = read_jsonl(EXAMPLE)
    graded = read_jsonl(tmp_path / "graded.jsonl")
    sft, dpo = read_jsonl(tmp_path / "sft.jsonl"), read_jsonl(tmp_path / "dpo.jsonl")
    assert [r["id"] for r in graded] == [r["id"] for r in source]
    by_id = {r["id"]: r for r in source}
    kept = [by_id[r["id"]] for r in graded if r["outcome"] == "kept"]
    assert sorted(r["completion"] for r in sft) == sorted(r["completion"] for r in kept)
    assert all(set(r) == {"prompt", "completion"} for r in sft)
    assert all(set(p) == {"prompt", "chosen", "rejected"} for p in dpo)
    reward = {by_id[r["id"]]["completion"]: r["reward"] for r in graded}
    assert all(reward[p["chosen"]] - reward[p["rejected"]] >= 1 for p in dpo)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["completions"] == 48 == sum(summary["outcomes"].values())
    assert summary["kept"] == len(sft) and summary["pairs"] == len(dpo)
    assert (summary["prompts"], summary["prompts_with_kept"]) == (6, 5)
    right = sum(r["verdicts"]["math"]["score"] == 1.0 for r in graded)
    assert summary["verifiers"]["math"]["accepted"] == right


def test_bad_lines_each_get_an_error_and_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = EXAMPLE.read_bytes().splitlines()
    lines = [good[0], b"{not json", good[1], b"", b'{"completion": "x"}', good[2], b"\xff"]
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    argv = select_files(tmp_path, source)
    argv.remove("-q")
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "invalid_input 4" in err
    assert "line 2: invalid JSON" in err
    assert "line 4: empty line" in err
    assert "line 5: no 'prompt' field: select groups completions by prompt" in err
    assert "line 7: not valid UTF-8" in err
    graded = read_jsonl(tmp_path / "graded.jsonl")
    assert sorted(r["line"] for r in graded) == list(range(1, 8))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["lines"] == 7 and summary["completions"] == 7
    assert summary["outcomes"]["invalid_input"] == 4


def test_stdin_to_stdout() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "verigrade.verifiers.cli", "select", "-", *KEEP, "-w", "0", "-q"],
        input=EXAMPLE.read_bytes(),
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 9 and all(set(r) == {"prompt", "completion"} for r in rows)


def test_messages_format_and_unsorted_input(tmp_path: Path) -> None:
    rows = read_jsonl(EXAMPLE)
    # Prompts interleaved round-robin, each prompt's own samples still in their order
    # (ties between equal rewards go by input order, so that order must not change).
    interleaved = [rows[p * 8 + i] for i in range(8) for p in range(6)]
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("".join(json.dumps(r) + "\n" for r in interleaved))
    sorted_out, unsorted_out = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    base = ["select", *KEEP, "-w", "0", "-q", "--format", "messages"]
    assert main([*base, str(EXAMPLE), "-o", str(sorted_out)]) == 0
    assert main([*base, str(shuffled), "-o", str(unsorted_out), "--unsorted"]) == 0
    a, b = read_jsonl(sorted_out), read_jsonl(unsorted_out)
    assert all([m["role"] for m in r["messages"]] == ["user", "assistant"] for r in a)
    key = json.dumps
    assert sorted(map(key, a)) == sorted(map(key, b))  # same rows, whatever the order
    # Without --unsorted a prompt that comes back is an error on each late line, never a
    # second group. The last prompt's run is only interrupted by such error lines, which
    # do not end it, so only the first five prompts have late lines: 5 x 7.
    graded = tmp_path / "g.jsonl"
    argv = [*base, str(shuffled), "-o", str(tmp_path / "c.jsonl"), "--graded", str(graded)]
    assert main(argv) == 0
    late = [r for r in read_jsonl(graded) if r["outcome"] == "invalid_input"]
    assert len(late) == 35
    assert all("its prompt's completions were already selected" in r["reason"] for r in late)


# -- resuming ---------------------------------------------------------------------------------


def mixed_input(path: Path) -> Path:
    """The example with a bad line inside a prompt's run and, between two prompts, a line
    holding a list of completions (one truncated)."""
    lines = EXAMPLE.read_bytes().splitlines()
    rows = read_jsonl(EXAMPLE)
    listed = {
        "prompt": "What is 6 times 7?",
        "reference": "42",
        "completions": [
            "\\boxed{42}",
            "\\boxed{41}",
            {"completion": "\\boxed{42", "finish_reason": "length"},
        ],
    }
    assert rows[3]["prompt"] == rows[4]["prompt"] and rows[23]["prompt"] != rows[24]["prompt"]
    body = [*lines[:4], b"garbage", *lines[4:24], json.dumps(listed).encode(), *lines[24:]]
    path.write_bytes(b"\n".join(body) + b"\n")
    return path


def test_resume_from_any_cut_of_the_graded_log_gives_the_same_files(tmp_path: Path) -> None:
    source = mixed_input(tmp_path / "in.jsonl")
    reference = tmp_path / "reference"
    reference.mkdir()
    assert main(select_files(reference, source)) == 0
    expected, expected_summary = snapshot(reference), summary_of(reference)
    log = expected["graded.jsonl"]
    ends = [m.end() for m in re.finditer(b"\n", log)]
    # Every record boundary, and a cut inside a record (a crash mid-write) after each third.
    cuts = sorted({0, *ends, *(end - 7 for end in ends[2::3])})
    work = tmp_path / "work"
    work.mkdir()
    for cut in cuts:
        for name in ("sft.jsonl", "dpo.jsonl"):  # rows written past the checkpoint are cut
            (work / name).write_bytes(expected[name])
        (work / "graded.jsonl").write_bytes(log[:cut])
        assert main(select_files(work, source, "--resume")) == 0, cut
        assert snapshot(work) == expected, f"resumed from byte {cut}"
        assert summary_of(work) == expected_summary, cut


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_resume_after_a_killed_or_interrupted_run(tmp_path: Path, stop: signal.Signals) -> None:
    # 40 copies of the example under distinct prompt_ids: a run long enough to stop.
    rows = read_jsonl(EXAMPLE)
    source = tmp_path / "in.jsonl"
    with open(source, "w") as f:
        for copy in range(40):
            for row in rows:
                f.write(
                    json.dumps({**row, "prompt_id": f"{copy}:{row['id'].split('-')[0]}"}) + "\n"
                )
    reference, work = tmp_path / "reference", tmp_path / "work"
    reference.mkdir()
    work.mkdir()
    assert main(select_files(reference, source, "--batch-size", "16")) == 0
    argv = select_files(work, source, "--batch-size", "16", workers="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "verigrade.verifiers.cli", *argv],
        stderr=subprocess.PIPE,
        text=True,
    )
    graded = work / "graded.jsonl"
    for _ in range(6000):  # bounded: 6000 x 10 ms
        if graded.exists() and graded.read_bytes().count(b"\n") >= 300:
            break
        time.sleep(0.01)
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=120)
    if stop == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL  # it was killed mid-run, not finished
    else:
        assert proc.returncode == 130
        assert "interrupted after" in err and "rerun with --resume to continue" in err
    assert graded.read_bytes().count(b"\n") < 40 * 48
    assert main([*select_files(work, source, "--resume"), "--batch-size", "16"]) == 0
    assert snapshot(work) == snapshot(reference)
    assert summary_of(work) == summary_of(reference)


def test_resume_refuses_what_it_cannot_continue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(select_files(tmp_path, EXAMPLE)) == 0
    capsys.readouterr()

    def refused(argv: list[str]) -> str:
        assert main(argv) == 2
        return capsys.readouterr().err

    other = select_files(tmp_path, EXAMPLE, "--resume")
    other[other.index("--best-k") + 1] = "3"
    assert "the spec or the selection options differ" in refused(other)
    changed = tmp_path / "changed.jsonl"
    changed.write_bytes(EXAMPLE.read_bytes().replace(b"math6-0", b"math6-X", 1))
    assert "first 48 lines differ" in refused(select_files(tmp_path, changed, "--resume"))
    short = tmp_path / "short.jsonl"
    short.write_bytes(b"".join(EXAMPLE.read_bytes().splitlines(keepends=True)[:10]))
    assert "has only 10 lines" in refused(select_files(tmp_path, short, "--resume"))
    sft = tmp_path / "sft.jsonl"
    sft.write_text("".join(sft.read_text().splitlines(keepends=True)[:-1]))
    assert "holds 8 SFT rows, but" in refused(select_files(tmp_path, EXAMPLE, "--resume"))
    no_log = ["select", str(EXAMPLE), *KEEP, "-o", str(sft), "--resume"]
    assert "--resume needs an output file (-o FILE) and the run's --graded FILE" in refused(no_log)
    same = ["select", str(EXAMPLE), *KEEP, "-o", str(EXAMPLE)]
    assert "must be different files" in refused(same)
    assert "best_k must be >= 1" in refused(["select", str(EXAMPLE), "-s", "math", "--best-k", "0"])
