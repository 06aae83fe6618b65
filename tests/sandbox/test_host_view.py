"""What a run can see of the host: exactly its interpreter, libraries, compilers and work dir.

Landlock refuses to open host files but does not cover ``stat``, ``readlink``, ``utime``,
``setxattr`` or ``connect`` to a socket file, so each test below plants something on the host
where the sandbox uid could reach it by permissions alone, and checks the run cannot touch or
even see it. Where the minimal root is active, everything outside it must not exist at all.
"""

from __future__ import annotations

import os
import socket
import tempfile
import textwrap
from collections.abc import Iterator

import pytest
from verigrade.sandbox import Limits, RunResult, Sandbox

SHORT = Limits(wall_seconds=3.0, cpu_seconds=2.0)


def run(box: Sandbox, source: str) -> RunResult:
    return box.run_python(textwrap.dedent(source), limits=SHORT)


@pytest.fixture
def host_dir() -> Iterator[str]:
    """A directory on the host that anyone may enter and write.

    Not under /tmp, which the fork server covers with its own tmpfs anyway: /var/tmp is as
    open and stays the host's.
    """
    path = tempfile.mkdtemp(prefix="verigrade-host-", dir="/var/tmp")
    os.chmod(path, 0o777)
    yield path
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    os.rmdir(path)


def test_a_host_unix_socket_cannot_be_reached_by_path(box: Sandbox, host_dir: str) -> None:
    path = os.path.join(host_dir, "svc.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    listener.listen(4)
    listener.setblocking(False)
    try:
        result = run(
            box,
            f"""
            import socket
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                client.connect({path!r})
                client.sendall(b"escaped")
                print("connected")
            except OSError as error:
                print(type(error).__name__)
            """,
        )
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()
    assert result.sandbox_error is None
    assert result.stdout == b"FileNotFoundError\n"


def test_host_file_metadata_cannot_be_written(box: Sandbox, host_dir: str) -> None:
    path = os.path.join(host_dir, "shared.txt")
    with open(path, "w") as handle:
        handle.write("host")
    os.chmod(path, 0o666)
    os.utime(path, (1_000_000_000, 1_000_000_000))
    result = run(
        box,
        f"""
        import os
        path = {path!r}
        for name, call in [
            ("utime", lambda: os.utime(path, (0, 0))),
            ("setxattr", lambda: os.setxattr(path, "user.smuggled", b"from the run")),
            ("chmod", lambda: os.chmod(path, 0o600)),
        ]:
            try:
                call()
                print(name, "done")
            except OSError as error:
                print(name, type(error).__name__)
        """,
    )
    assert result.sandbox_error is None
    assert b"done" not in result.stdout, result.stdout
    assert os.stat(path).st_mtime == 1_000_000_000
    assert os.stat(path).st_mode & 0o777 == 0o666
    assert "user.smuggled" not in os.listxattr(path)


def test_metadata_calls_fail_even_on_the_runs_own_files(box: Sandbox) -> None:
    # Extended attributes and timestamps are a side channel a run does not need; refused
    # outright (seccomp) rather than left to whichever file they are aimed at.
    result = run(
        box,
        """
        import os
        open("mine.txt", "w").write("x")
        for name, call in [
            ("utime", lambda: os.utime("mine.txt", (0, 0))),
            ("setxattr", lambda: os.setxattr("mine.txt", "user.x", b"1")),
        ]:
            try:
                call()
                print(name, "done")
            except OSError as error:
                print(name, error.errno)
        """,
    )
    assert result.stdout == b"utime 1\nsetxattr 1\n"  # EPERM


def test_no_host_process_is_visible(box: Sandbox) -> None:
    me = os.getpid()
    result = run(
        box,
        f"""
        import os
        seen = []
        for pid in (1, {me}):
            for probe in (lambda: os.stat(f"/proc/{{pid}}"), lambda: os.kill(pid, 0)):
                try:
                    probe()
                    seen.append(pid)
                except OSError:
                    pass
        try:
            listed = [name for name in os.listdir("/proc") if name.isdigit()]
        except OSError as error:
            listed = type(error).__name__
        print(sorted(set(seen)), listed)
        """,
    )
    assert result.sandbox_error is None
    # The run is pid 1 of its own namespace: it may find itself, and nothing else.
    assert result.stdout == b"[1] FileNotFoundError\n", result.stdout


def test_host_metadata_is_not_readable(box: Sandbox, host_dir: str) -> None:
    link = os.path.join(host_dir, "link")
    os.symlink("/secret/target/of/the/host", link)
    sized = os.path.join(host_dir, "sized")
    with open(sized, "wb") as handle:
        handle.write(b"x" * 12345)
    os.chmod(sized, 0o644)
    here = os.path.dirname(os.path.abspath(__file__))
    result = run(
        box,
        f"""
        import os
        for name, call in [
            ("readlink", lambda: os.readlink({link!r})),
            ("stat", lambda: os.stat({sized!r}).st_size),
            ("passwd", lambda: os.stat("/etc/passwd").st_size),
            ("tests", lambda: os.stat({here!r}).st_mode),
            ("home", lambda: os.listdir("/home")),
            ("run", lambda: os.stat("/run").st_mode),
            ("sys", lambda: os.stat("/sys/kernel").st_mode),
        ]:
            try:
                print(name, call())
            except OSError as error:
                print(name, type(error).__name__)
        """,
    )
    assert result.sandbox_error is None
    lines = result.stdout.decode().splitlines()
    assert lines == [
        f"{name} FileNotFoundError"
        for name in ("readlink", "stat", "passwd", "tests", "home", "run", "sys")
    ], lines


def test_the_minimal_root_still_runs_compilers_and_the_standard_library(box: Sandbox) -> None:
    result = run(
        box,
        """
        import decimal, fractions, heapq, json, re, sqlite3, subprocess
        print(open("/dev/urandom", "rb").read(4).__len__(), open("/dev/null", "w").write("x"))
        print(subprocess.run(["/bin/sh", "-c", "echo shell"], capture_output=True).stdout)
        """,
    )
    assert result.stdout == b"4 1\nb'shell\\n'\n", result.stderr
    if not os.path.exists("/usr/bin/gcc"):
        pytest.skip("gcc is not installed")
    compiled = box.run(
        [
            "/bin/sh",
            "-c",
            "printf 'int main(void){return 7;}' > a.c && /usr/bin/gcc a.c && ./a.out",
        ],
        limits=Limits(wall_seconds=20, cpu_seconds=10),
    )
    assert compiled.exit_code == 7, compiled.stderr
