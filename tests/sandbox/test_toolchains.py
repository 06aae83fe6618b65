"""What runs need of a toolchain: its files by resolved path, and address space apart from memory.

The minimal root shows exactly the toolchains' own directories beyond the system tree; a wide
address-space limit lets a runtime reserve what it never touches while the cgroup still holds
the run to its memory limit; and a toolchain is located by its resolved path, or refused with
what to install.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from verigrade.sandbox import Limits, Sandbox, toolchains
from verigrade.sandbox.isolation import toolchain_dirs
from verigrade.sandbox.toolchains import ToolchainMissing, locate

LIMITS = Limits(memory_bytes=256 << 20, wall_seconds=10, cpu_seconds=5)


def test_etc_holds_only_the_loader_cache_and_toolchain_settings(box: Sandbox) -> None:
    if box.active_layers()["minimal_root"] != "active":
        pytest.skip("no minimal root here: the host's /etc is there, behind Landlock")
    # Each name the host's /etc holds, looked up from the run (lstat: Landlock does not
    # cover it, so only the minimal root can make a name absent).
    names = sorted(os.listdir("/etc"))
    source = f"import os\nprint([n for n in {names!r} if os.path.lexists('/etc/' + n)])"
    result = box.run_python(source, limits=LIMITS)
    expected = ["ld.so.cache"] + [p.split("/")[2] for p in toolchain_dirs() if "/etc/" in p]
    assert result.stdout.decode().strip() == str(sorted(expected)), result.stderr


def test_toolchain_directories_are_read_only(box: Sandbox) -> None:
    shown = toolchain_dirs()
    if not shown:
        pytest.skip("no JDK or Go installed: no toolchain directory to show")
    source = f"""
    import os
    for path in {shown!r}:
        try:
            open(os.path.join(path, "planted"), "w").write("x")
            print("wrote", path)
        except OSError as error:
            print(type(error).__name__)
    """
    result = box.run_python(textwrap.dedent(source), limits=LIMITS)
    assert b"wrote" not in result.stdout and result.stdout, result
    assert not any(os.path.exists(os.path.join(path, "planted")) for path in shown)


RESERVE = """
import mmap
reserved = mmap.mmap(-1, 2 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
print("reserved")
"""


def test_a_wide_address_space_lets_a_runtime_reserve_more_than_its_memory(box: Sandbox) -> None:
    narrow = box.run_python(textwrap.dedent(RESERVE), limits=LIMITS)
    assert narrow.status == "failed" and b"reserved" not in narrow.stdout  # RLIMIT_AS: 256 MB
    wide = Limits(**{**LIMITS.to_wire(), "address_space_bytes": 4 << 30})
    assert box.run_python(textwrap.dedent(RESERVE), limits=wide).stdout == b"reserved\n"


def test_the_cgroup_still_holds_a_wide_run_to_its_memory(box: Sandbox) -> None:
    if box.active_layers()["cgroup"] != "active":
        pytest.skip("no cgroup here: a wide address space is then the only memory limit")
    wide = Limits(**{**LIMITS.to_wire(), "address_space_bytes": 4 << 30})
    source = "hog = bytearray(600 << 20)\nprint('held')"
    result = box.run_python(source, limits=wide)
    assert b"held" not in result.stdout
    assert result.status == "crashed" and result.memory_exceeded, result


def test_locate_resolves_links_to_the_real_toolchain() -> None:
    paths = locate("c")
    assert paths["gcc"] == os.path.realpath("/usr/bin/gcc")
    assert not os.path.islink(paths["gcc"])


def test_a_missing_toolchain_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(toolchains.TOOLS, "cobol", toolchains.Tool(("no-such-cobc",), "gnucobol4"))
    with pytest.raises(ToolchainMissing, match="install the Debian package gnucobol4"):
        locate("cobol")


def test_a_toolchain_runs_cannot_read_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A compiler found through a link into a directory runs do not have (here a temporary
    # one, like /opt or a home directory) would fail inside every run, as if the program had.
    hidden = tmp_path / "opt" / "cc"
    hidden.parent.mkdir()
    hidden.write_text("#!/bin/sh\n")
    hidden.chmod(0o755)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "fake-cc").symlink_to(hidden)
    monkeypatch.setattr(toolchains, "_SEARCH", str(tmp_path / "bin"))
    monkeypatch.setitem(toolchains.TOOLS, "fake", toolchains.Tool(("fake-cc",), "fake-cc-pkg"))
    with pytest.raises(ToolchainMissing, match="sandboxed runs cannot read"):
        locate("fake")


def test_the_survey_lists_every_language() -> None:
    report = toolchains.survey()
    assert set(report) == set(toolchains.TOOLS)
    for facts in report.values():
        assert ("path" in facts and "version" in facts) or "problem" in facts
    assert report["c"]["path"] == os.path.realpath("/usr/bin/gcc")


def test_sandbox_check_lists_the_toolchains(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from verigrade.verifiers.cli import main

    main(["sandbox-check"])
    out = capsys.readouterr().out
    assert f"c          {toolchains.survey()['c']['version']}" in out
    # With nothing installed, each language says what to install (and the layers still pass).
    monkeypatch.setattr(toolchains, "_SEARCH", str(tmp_path))
    toolchains._locate.cache_clear()
    try:
        code = main(["sandbox-check"])
    finally:
        toolchains._locate.cache_clear()
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()}
    for language, tool in toolchains.TOOLS.items():
        assert lines[language].split()[1] == "MISSING", out
        assert lines[language].endswith(f"install the Debian package {tool.package}"), out
    assert code == (0 if os.geteuid() == 0 else 1)
