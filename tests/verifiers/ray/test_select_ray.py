"""``verigrade select --ray``: the same files as grading locally, graded on the real test
cluster (``select`` takes the grader ``grade`` does, from the shared grading options)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from verigrade.verifiers.ray.local import LocalCluster

VERIGRADE = str(Path(sys.executable).with_name("verigrade"))
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "select" / "math_samples.jsonl"


def test_select_on_the_cluster(cluster: LocalCluster, tmp_path: Path) -> None:
    def run(where: list[str], name: str) -> bytes:
        out = tmp_path / name
        subprocess.run(
            [VERIGRADE, "select", str(EXAMPLE), "--spec", '{"math": 1.0}', "--min-reward", "1",
             "--best-k", "2", "--graded", str(tmp_path / f"{name}.graded"), "-o", str(out),
             "-q", *where],
            capture_output=True, text=True, timeout=180, check=True,
        )  # fmt: skip
        return out.read_bytes() + (tmp_path / f"{name}.graded").read_bytes()

    assert run(["--ray", cluster.address], "ray") == run(["--workers", "0"], "local")
