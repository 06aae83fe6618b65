"""Which isolation layers are active, and that missing ones are loud."""

from __future__ import annotations

import os

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
