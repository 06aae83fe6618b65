"""``verigrade grade`` with a routed spec: a mixed-domain JSONL file end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from verigrade.verifiers import grade
from verigrade.verifiers.cli import main

ROUTED: dict[str, Any] = {
    "route": {
        "field": "data_source",
        "specs": {
            "gsm8k": {"math": 1.0, "think_format": 0.1},
            "chat": {"think_format": 1.0},
        },
    }
}

ROWS: list[dict[str, Any]] = [
    # verl parquet layout: data_source is a column beside the sample fields.
    {
        "id": "m1",
        "completion": "<think>2+2</think> \\boxed{4}",
        "reference": "4",
        "data_source": "gsm8k",
    },
    {"id": "c1", "completion": "<think>hi</think> Hello!", "metadata": {"data_source": "chat"}},
    {
        "id": "m2",
        "completion": "<think>2+3</think> \\boxed{6}",
        "reference": "5",
        "data_source": "gsm8k",
    },
    {"id": "x1", "completion": "<think>?</think> ok", "data_source": "wiki"},  # no such route
    {"id": "m3", "prompt": "no completion", "data_source": "gsm8k"},  # routed, then invalid
    {"id": "c2", "completion": "no tags", "metadata": {"data_source": "chat"}},
]


def write_rows(path: Path, rows: list[dict[str, Any]], extra: list[bytes] = ()) -> Path:  # type: ignore[assignment]
    lines = [json.dumps(row).encode() for row in rows] + list(extra)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_mixed_file_is_graded_per_route(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    source = write_rows(tmp_path / "in.jsonl", ROWS, [b"not json"])
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    spec = json.dumps(ROUTED)
    argv = ["grade", str(source), "-s", spec, "-o", str(out), "-w", workers, "--batch-size", "2"]
    assert main([*argv, "--summary", str(summary)]) == 0
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in results] == ["m1", "c1", "m2", "x1", "m3", "c2", 7]
    assert [r.get("route") for r in results] == [
        "gsm8k", "chat", "gsm8k", None, "gsm8k", "chat", None,
    ]  # fmt: skip
    assert [r["reward"] for r in results] == pytest.approx([1.1, 1.0, 0.1, 0.0, 0.0, 0.0, 0.0])
    # Each result has its route's verdicts; one that matched no route has every label.
    assert list(results[1]["verdicts"]) == ["think_format"]
    assert list(results[3]["verdicts"]) == ["math", "think_format"]
    assert results[3]["verdicts"]["math"]["reason"] == (
        "line 4: metadata['data_source'] is 'wiki', which names no route; "
        "routes: 'gsm8k', 'chat'; the spec has no default"
    )
    assert results[4]["verdicts"]["math"]["reason"] == "line 5: no 'completion' field"
    assert results[6]["verdicts"]["math"]["reason"].startswith("line 7: invalid JSON")
    # The library grades the good lines the same way.
    by_library = grade(ROWS[:4], ROUTED, workers=0)
    assert [g.reward for g in by_library] == [r["reward"] for r in results[:4]]

    data = json.loads(summary.read_text())
    assert data["route_field"] == "data_source"
    assert data["routes"] == {
        "gsm8k": {"count": 3, "mean_reward": pytest.approx(1.2 / 3)},
        "chat": {"count": 2, "mean_reward": 0.5},
    }
    assert data["unrouted"] == 2
    # A label's mean is over the samples graded with it.
    assert data["verifiers"]["math"]["statuses"] == {"ok": 2, "invalid_input": 3}
    text = capsys.readouterr().err
    assert "by route (metadata['data_source']):" in text
    assert "  gsm8k            3 samples  mean reward 0.4000" in text
    assert "  chat             2 samples  mean reward 0.5000" in text
    assert "  (no route)       2 samples  mean reward -  (invalid_input: no route matched)" in text


def test_a_route_with_no_samples_shows_in_the_summary(tmp_path: Path) -> None:
    # A misspelt data_source leaves its route empty: the summary must show that.
    spec = {
        "route": {"field": "data_source", "specs": {"gsm8k": "math"}, "default": "think_format"}
    }
    source = write_rows(
        tmp_path / "in.jsonl", [{"completion": "<think>a</think> b", "data_source": "gsm8K"}]
    )
    summary = tmp_path / "summary.json"
    argv = ["grade", str(source), "-s", json.dumps(spec), "-o", str(tmp_path / "o"), "-q"]
    assert main([*argv, "-w", "0", "--summary", str(summary)]) == 0
    data = json.loads(summary.read_text())
    assert data["routes"] == {
        "gsm8k": {"count": 0, "mean_reward": None},
        "default": {"count": 1, "mean_reward": 1.0},
    }
    assert data["unrouted"] == 0


def test_a_spec_file_with_a_bad_route_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps({"route": {"field": "d", "specs": {"code": {"cdoe": 1}}}}))
    source = write_rows(tmp_path / "in.jsonl", ROWS[:1])
    assert main(["grade", str(source), "-s", str(spec_file), "-w", "0"]) == 2
    err = capsys.readouterr().err
    assert "verigrade grade: error: route 'code': unknown verifier 'cdoe'" in err
