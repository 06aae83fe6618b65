"""Which isolation layers are active, and that missing ones are loud."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from verigrade.sandbox import Sandbox, SandboxDegraded, SandboxUnavailable
from verigrade.sandbox.check import report
from verigrade.sandbox.isolation import ALL_LAYERS


@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and a dedicated uid need root")
def test_every_layer_is_active_as_root() -> None:
    facts = report()
    assert facts["layers"] == dict.fromkeys(ALL_LAYERS, "active")
    assert facts["trial_run"] == "ok"


def test_a_missing_layer_warns() -> None:
    box = Sandbox(disable=["seccomp"])
    try:
        with pytest.warns(SandboxDegraded, match="seccomp"):
            layers = box.active_layers()
        assert layers["seccomp"] == "disabled by the caller"
        assert box.run_python("print(1)").stdout == b"1\n"
    finally:
        box.close()


def test_a_required_layer_that_is_missing_refuses_to_run() -> None:
    box = Sandbox(require=["landlock"], disable=["landlock"])
    with pytest.raises(SandboxUnavailable, match="landlock"):
        box.active_layers()


def test_cli_sandbox_check(capsys: pytest.CaptureFixture[str]) -> None:
    from verigrade.verifiers.cli import main

    code = main(["sandbox-check"])
    out = capsys.readouterr().out
    for layer in ALL_LAYERS:
        assert layer in out
    assert "trial run: ok" in out
    assert code == (0 if os.geteuid() == 0 else 1)


def test_sandboxes_started_at_once_all_come_up() -> None:
    # A trainer host starts one fork server per grading worker at the same moment; each
    # stages the interpreter's directory on the host's /run while setting up, and two
    # servers once shared a staging name, so one could lose its mount to another's rmdir.
    boxes = [Sandbox() for _ in range(12)]
    try:
        with ThreadPoolExecutor(len(boxes)) as pool:
            results = list(pool.map(lambda b: b.run_python("print(6 * 7)"), boxes))
        for box, result in zip(boxes, results, strict=True):
            assert result.sandbox_error is None
            assert result.stdout == b"42\n"
            if os.geteuid() == 0:
                assert all(state == "active" for state in box.layers.values()), box.layers
    finally:
        for box in boxes:
            box.close()
