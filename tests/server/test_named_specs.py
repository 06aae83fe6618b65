"""Named specs (``--specs FILE``) for /v1/openrlhf/<name>, strict mode, and the offline
/docs page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from verigrade.server.specs import load_named_specs
from verigrade.verifiers import SpecError

from tests.server.support import make_app

GOOD = "<think>2 + 2 is 4</think> 4"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "specs.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "is not JSON"),
        ("[]", "must be a JSON object of named specs"),
        ('{"a/b": "think_format"}', "spec name 'a/b'"),
        ('{"r1": {"nope": 1.0}}', "spec 'r1' in"),
        ('{"r1": {"think_format": -1}}', "spec 'r1' in"),
    ],
)
def test_a_bad_spec_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        load_named_specs(write(tmp_path, text))


def test_serve_refuses_a_bad_spec_file_before_starting(tmp_path: Path) -> None:
    verigrade = str(Path(sys.executable).parent / "verigrade")
    path = write(tmp_path, '{"r1": {"nope": 1.0}}')
    done = subprocess.run(
        [verigrade, "serve", "--port", "1", "--specs", str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("verigrade serve: spec 'r1' in ")
    assert "nope" in done.stderr


def test_named_spec_and_strict_mode(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"fmt2": {"think_format": 2.0}, "math": "math"}))
    with make_app(specs=str(path)) as app, app.client() as http:
        data = http.post("/v1/openrlhf/fmt2", json={"query": [GOOD, "no"]}).json()
        assert data["rewards"] == [2.0, 0.0]
        # A missing label: scored 0.0, and counted where OpenRLHF logs it.
        data = http.post("/v1/openrlhf/math", json={"query": ["4"], "labels": [None]}).json()
        assert data["rewards"] == [0.0]
        assert data["extra_logs"]["status/invalid_input"] == [1.0]
    with make_app(specs=str(path), openrlhf_strict=True) as app, app.client() as http:
        answer = http.post("/v1/openrlhf/math", json={"query": ["4", "5"], "labels": ["4", None]})
        assert answer.status_code == 422
        assert answer.json()["detail"].startswith("1 verdicts could not be given")
        assert "sample 1: math invalid_input" in answer.json()["detail"]
        ok = http.post("/v1/openrlhf/math", json={"query": ["4"], "labels": ["4"]})
        assert ok.status_code == 200 and ok.json()["rewards"] == [1.0]


def test_docs_page_is_served_without_any_outside_script() -> None:
    with make_app() as app, app.client() as http:
        page = http.get("/docs")
        assert page.status_code == 200
        assert "POST /v1/openrlhf/{name}" in page.text and "/openapi.json" in page.text
        assert "<script" not in page.text and "http" not in page.text.replace("/openapi.json", "")
        assert http.get("/redoc").status_code == 404
        assert http.get("/openapi.json").status_code == 200


def test_no_named_specs_is_a_404_that_says_how() -> None:
    with make_app() as app, app.client() as http:
        answer = http.post("/v1/openrlhf/r1", json={"query": [GOOD]})
    assert answer.status_code == 404
    assert "start the server with --specs FILE" in answer.json()["detail"]
