"""verigrade grade / list, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from verigrade.verifiers.cli import main

SPEC = '{"think_format": 1.0, "language": {"weight": 0.5, "target": "en"}}'


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def read_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


GOOD = json.dumps({"id": "g1", "completion": "<think>two plus two</think> 4"}).encode()


def test_one_output_line_per_input_line_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        GOOD,
        b"not json",
        b"",
        json.dumps({"completion": 3}).encode(),
        json.dumps({"prompt": "no completion"}).encode(),
        b"\xff\xfe not utf-8",
        b"[1, 2]",
        json.dumps({"id": "big", "completion": "x" * 10_000_000}).encode(),  # a 10 MB completion
        json.dumps({"completion": "<think>more</think> 5"}).encode(),  # no id: the line number is
    ]
    source = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    assert main(["grade", str(source), "--spec", SPEC, "-o", str(out), "--workers", "1"]) == 0
    results = read_jsonl(out)
    assert [r["id"] for r in results] == ["g1", 2, 3, 4, 5, 6, 7, "big", 9]
    reasons = [r["verdicts"]["think_format"]["reason"] for r in results]  # type: ignore[index]
    statuses = [r["verdicts"]["language"]["status"] for r in results]  # type: ignore[index]
    assert statuses == ["ok"] + ["invalid_input"] * 7 + ["ok"]
    assert reasons[1].startswith("line 2: invalid JSON")
    assert reasons[2] == "line 3: empty line"
    assert reasons[3] == "line 4: 'completion' must be a string or a list of chat messages, got int"
    assert reasons[4] == "line 5: no 'completion' field"
    assert reasons[5].startswith("line 6: not valid UTF-8")
    assert reasons[6] == "line 7: a sample must be an object, got list"
    assert reasons[7].startswith("line 8: completion has 10,000,000 characters, over the limit")
    assert results[0]["reward"] == 1.5
    summary = capsys.readouterr().err
    assert "graded 9 samples" in summary
    assert "invalid_input 7, ok 2" in summary


def test_resume_skips_what_is_done_and_redoes_a_cut_off_line(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": i, "completion": f"<think>{i}</think> {i}"}).encode() for i in range(10)
    ]
    source = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    assert main(["grade", str(source), "-s", "think_format", "-o", str(out), "-w", "0", "-q"]) == 0
    full = out.read_text()
    # Simulate a crash: 4 whole lines and half of the fifth were written.
    kept = full.splitlines(keepends=True)
    out.write_text("".join(kept[:4]) + kept[4][:20])
    assert (
        main(
            [
                "grade",
                str(source),
                "-s",
                "think_format",
                "-o",
                str(out),
                "-w",
                "0",
                "-q",
                "--resume",
            ]
        )
        == 0
    )
    assert out.read_text() == full


def test_stdin_to_stdout(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "verigrade.verifiers.cli",
            "grade",
            "-",
            "--spec",
            "think_format",
            "-q",
        ],
        input=GOOD + b"\n",
        capture_output=True,
        check=True,
    )
    (result,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert result["id"] == "g1" and result["reward"] == 1.0


@pytest.mark.parametrize(
    "spec, message",
    [
        ('{"maths": 1}', "unknown verifier 'maths'"),
        ('{"think_format": -1}', "weight of 'think_format' is negative"),
        ("{oops", "does not parse"),
    ],
)
def test_bad_specs_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    source = write_lines(tmp_path / "in.jsonl", [GOOD])
    assert main(["grade", str(source), "--spec", spec]) == 2
    assert message in capsys.readouterr().err


def test_empty_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "empty.jsonl"
    source.write_bytes(b"")
    out = tmp_path / "out.jsonl"
    assert main(["grade", str(source), "-s", "think_format", "-o", str(out)]) == 0
    assert "holds no samples (empty input)" in capsys.readouterr().err
    assert out.read_text() == ""


def test_missing_input_and_resume_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["grade", str(tmp_path / "nope.jsonl"), "-s", "think_format"]) == 2
    assert "does not exist" in capsys.readouterr().err
    source = write_lines(tmp_path / "in.jsonl", [GOOD])
    assert main(["grade", str(source), "-s", "think_format", "--resume"]) == 2
    assert "--resume needs an output file" in capsys.readouterr().err


def test_summary_json(tmp_path: Path) -> None:
    source = write_lines(tmp_path / "in.jsonl", [GOOD, b"bad"])
    summary = tmp_path / "summary.json"
    out = tmp_path / "out.jsonl"
    assert (
        main(
            [
                "grade",
                str(source),
                "-s",
                SPEC,
                "-o",
                str(out),
                "-w",
                "0",
                "-q",
                "--summary",
                str(summary),
            ]
        )
        == 0
    )
    data = json.loads(summary.read_text())
    assert data["count"] == 2
    assert data["mean_reward"] == 0.75
    assert data["verifiers"]["language"]["statuses"] == {"ok": 1, "invalid_input": 1}


def test_list_shows_verifiers_and_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "think_format  R1 format reward" in out
    assert "    mode: 'strict' | 'lenient' = \"strict\"" in out
    assert main(["list", "--json"]) == 0
    schemas = json.loads(capsys.readouterr().out)
    assert schemas["language"]["options"]["properties"]["target"]["default"] is None


def test_the_bundled_example_grades(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[3]
    out = tmp_path / "out.jsonl"
    example = root / "examples" / "r1_samples.jsonl"
    spec = root / "examples" / "r1_spec.json"
    assert main(["grade", str(example), "--spec", str(spec), "-o", str(out), "-w", "1"]) == 0
    results = read_jsonl(out)
    assert len(results) == len(example.read_text().splitlines())
    assert all(r["verdicts"]["think_format"]["status"] == "ok" for r in results)  # type: ignore[index]
