"""Ordinary runs: inputs, outputs, exit statuses, limits, sessions, compiled programs."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from verigrade.sandbox import Limits, Sandbox, SandboxError, Session

QUICK = Limits(wall_seconds=2.0, cpu_seconds=1.0)


def test_stdin_to_stdout(box: Sandbox) -> None:
    result = box.run_python("a, b = map(int, input().split())\nprint(a + b)", stdin=b"2 40\n")
    assert (result.status, result.stdout, result.exit_code) == ("ok", b"42\n", 0)


def test_large_input_and_output_stream_through(box: Sandbox) -> None:
    data = b"".join(b"%d\n" % i for i in range(200_000))  # > 1 MB, far past any pipe buffer
    source = "import sys\nprint(sum(int(x) for x in sys.stdin))"
    result = box.run_python(source, stdin=data, limits=Limits(output_bytes=1 << 20))
    assert result.stdout == b"%d\n" % sum(range(200_000))


def test_exit_status_and_stderr(box: Sandbox) -> None:
    result = box.run_python("import sys\nprint('oops', file=sys.stderr)\nsys.exit(3)")
    assert (result.status, result.exit_code, result.stderr) == ("failed", 3, b"oops\n")


def test_uncaught_exception_is_a_failure_with_its_traceback(box: Sandbox) -> None:
    result = box.run_python("raise ValueError('bad')")
    assert result.status == "failed"
    assert b"ValueError: bad" in result.stderr
    assert "ValueError: bad" in result.reason


def test_signal_death_is_a_crash(box: Sandbox) -> None:
    result = box.run(["/bin/sh", "-c", "kill -SEGV $$"])
    assert result.status == "crashed"
    assert "SIGSEGV" in result.reason


def test_python_abort_is_a_crash(box: Sandbox) -> None:
    assert box.run_python("import os\nos.abort()").status == "crashed"


def test_wall_clock_deadline(box: Sandbox) -> None:
    result = box.run_python("import time\ntime.sleep(30)", limits=Limits(wall_seconds=0.5))
    assert result.status == "timeout"
    assert result.cpu_seconds < 0.5  # the wall clock fired, not the CPU limit


def test_cpu_limit(box: Sandbox) -> None:
    result = box.run_python("while True: pass", limits=Limits(wall_seconds=10, cpu_seconds=1))
    assert result.status == "timeout", result
    assert result.cpu_seconds >= 0.5  # killed by RLIMIT_CPU, not the wall clock


def test_output_cap(box: Sandbox) -> None:
    result = box.run_python("print('x' * 5000)", limits=Limits(output_bytes=1000))
    assert result.status == "output_limit"
    assert len(result.stdout) <= 1000


def test_each_run_starts_in_an_empty_private_directory(box: Sandbox) -> None:
    source = "import os\nprint(os.getcwd(), sorted(os.listdir('.')))\nopen('f', 'w').write('x')"
    first = box.run_python(source)
    second = box.run_python(source)
    assert first.stdout == second.stdout == b"/tmp/work []\n"


def test_session_calls_return_exact_values(box: Sandbox) -> None:
    program = "def pair(a, b):\n    return (a, [b, {a: b}])\ndef boom():\n    raise KeyError('k')"
    with box.session(program, limits=QUICK) as session:
        assert session.start() is None
        assert session.call("pair", [1, "x"], 1.0) == ("ok", (1, ["x", {1: "x"}]))
        status, reason = session.call("boom", [], 1.0)
        assert status == "error" and "KeyError" in reason
        assert session.call("missing", [], 1.0)[0] == "error"
        assert session.call("pair", [2, 3], 1.0) == ("ok", (2, [3, {2: 3}]))


def test_session_calls_carry_keyword_arguments(box: Sandbox) -> None:
    program = "def f(a, b=0, *, key=None):\n    return [a, b, key]"
    with box.session(program, limits=QUICK) as session:
        assert session.call("f", [1], 1.0, kwargs={"key": (3,)}) == ("ok", [1, 0, (3,)])
        assert session.call("f", [], 1.0, kwargs={"a": 1, "b": 2}) == ("ok", [1, 2, None])
        assert session.call("f", [1], 1.0, kwargs={}) == ("ok", [1, 0, None])
        status, reason = session.call("f", [1], 1.0, kwargs={"nope": 1})
        assert status == "error" and reason.startswith("TypeError")
        # The lines as they cross: [name, [args]] as before, and [name, [args], {kwargs}].
        encoded = Session.encode_arguments([1], {"key": 2})
        assert encoded == '[1],{"~":"dict","v":[["key",2]]}'
        assert Session.encode_arguments([1]) == Session.encode_arguments([1], {}) == "[1]"
        session.send("f", ["[5]", encoded, '[1],{"~":"dict","v":[[1,2]]}', "[1],[2]"])
        answers = [session.receive(1.0) for _ in range(4)]
        assert answers[:2] == [("ok", [5, 0, None]), ("ok", [1, 0, 2])]
        assert answers[2] == answers[3] == ("error", "TypeError: malformed call")
        assert session.call("f", [7], 1.0) == ("ok", [7, 0, None])
    with pytest.raises(TypeError, match="keyword"):
        Session.encode_arguments([], {1: 2})  # type: ignore[dict-item]


def test_session_reply_larger_than_a_pipe(box: Sandbox) -> None:
    with box.session("def big(n):\n    return 'x' * n", limits=QUICK) as session:
        assert session.call("big", [300_000], 2.0) == ("ok", "x" * 300_000)
        assert session.call("big", [3], 1.0) == ("ok", "xxx")


def test_session_ints_past_the_text_limit_cross_both_ways(box: Sandbox) -> None:
    # Python refuses to write an int of more than 4,300 digits as text: 10**5000 could
    # neither be passed to the program nor returned from it.
    program = "def times(x, n):\n    return x * n\ndef big():\n    return 10**5000"
    with box.session(program, limits=QUICK) as session:
        assert session.call("big", [], 1.0) == ("ok", 10**5000)
        assert session.call("times", [10**5000, 3], 1.0) == ("ok", 3 * 10**5000)
        assert session.call("times", [[2**100_000], 1], 1.0) == ("ok", [2**100_000])


def test_session_returns_built_in_subclasses_as_their_base(box: Sandbox) -> None:
    program = (
        "import collections, enum\n"
        "Point = collections.namedtuple('Point', 'x y')\n"
        "class Size(enum.IntEnum):\n"
        "    LARGE = 3\n"
        "class Color(enum.Enum):\n"
        "    RED = 1\n"
        "def counts(text):\n"
        "    return collections.Counter(text)\n"
        "def groups():\n"
        "    found = collections.defaultdict(list)\n"
        "    found[1].append(Point(2, Size.LARGE))\n"
        "    return found\n"
        "def color():\n"
        "    return Color.RED\n"
    )
    with box.session(program, limits=QUICK) as session:
        assert session.call("counts", ["aab"], 1.0) == ("ok", {"a": 2, "b": 1})
        assert session.call("groups", [], 1.0) == ("ok", {1: [(2, 3)]})
        status, reason = session.call("color", [], 1.0)
        assert status == "error" and "cannot send a value of type __main__.Color" in reason


def test_working_directory_size_follows_each_runs_limit(box: Sandbox) -> None:
    # Two files, each under the file size limit, that together overflow a 64 KiB directory.
    source = (
        "try:\n"
        "    for name in 'ab':\n"
        "        open(name, 'wb').write(bytes(40_000))\n"
        "    print('fits')\n"
        "except OSError as error:\n"
        "    print(error.errno)"
    )
    small, large = Limits(file_bytes=64 << 10), Limits(file_bytes=1 << 20)
    outputs = [box.run_python(source, limits=limits).stdout for limits in (small, large, small)]
    assert outputs == [b"28\n", b"fits\n", b"28\n"]  # ENOSPC, then room, then ENOSPC again


def test_each_run_gets_its_own_requests_limits_in_alternation(box: Sandbox) -> None:
    # The fork server parses each distinct request once and reuses it: a run must still get
    # exactly the limits its own request names, whichever request came before.
    source = (
        "import resource\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0],"
        " resource.getrlimit(resource.RLIMIT_CPU)[0])"
    )
    first = Limits(open_files=32, cpu_seconds=3)
    second = Limits(open_files=48, cpu_seconds=4)
    outputs = [
        box.run_python(source, limits=limits).stdout for limits in (first, second, first, second)
    ]
    assert outputs == [b"32 3\n", b"48 4\n", b"32 3\n", b"48 4\n"]
    exec_outputs = [
        box.run(["/bin/sh", "-c", "ulimit -n"], limits=limits).stdout for limits in (second, first)
    ]
    assert exec_outputs == [b"48\n", b"32\n"]


def test_session_call_timeout_kills_the_program(box: Sandbox) -> None:
    program = "import time\ndef slow():\n    time.sleep(60)"
    session = box.session(program, limits=Limits(wall_seconds=10))
    session.start()
    assert session.call("slow", [], 0.3)[0] == "timeout"
    assert not session.alive
    assert session.call("slow", [], 0.3)[0] == "error"
    assert session.close().status in ("crashed", "timeout")


@pytest.mark.parametrize(
    "body, status, reason",
    [
        ("os._exit(3)", "error", "the program ended before answering: exit status 3"),
        ("sys.exit(4)", "error", "the program ended before answering: exit status 4"),
        ("raise SystemExit('bye')", "error", "exit status 1: bye"),
        (
            "import ctypes; ctypes.string_at(0)",
            "error",
            "ended before answering: killed by SIGSEGV",
        ),
        ("print('x' * 5_000_000)", "error", "output cap exceeded"),
        ("os.close(4)\n    time.sleep(60)", "error", "the program closed its reply channel"),
        ("x = bytearray(4 << 30)", "error", "MemoryError"),
        ("while True: pass", "timeout", "killed after"),  # RLIMIT_CPU, before the call timeout
    ],
    ids=[
        "os._exit",
        "sys.exit",
        "SystemExit",
        "abort",
        "output-cap",
        "closed-reply",
        "memory",
        "cpu",
    ],
)
def test_session_reports_how_the_program_ended_during_a_call(
    box: Sandbox, body: str, status: str, reason: str
) -> None:
    # os._exit(3) in the called function was reported as a timeout after 0.01 s.
    program = f"import os, sys, time\ndef f():\n    {body}\n"
    limits = Limits(wall_seconds=20, cpu_seconds=1, memory_bytes=1 << 30)
    with box.session(program, limits=limits) as session:
        assert session.start() is None
        answer = session.call("f", [], 10.0)
        assert answer[0] == status and reason in answer[1], answer


def test_a_signal_without_a_name_is_reported_by_number(box: Sandbox) -> None:
    # Real-time signals 35-63 have no name in signal.Signals: the reason raised ValueError.
    result = box.run(["/bin/sh", "-c", "kill -40 $$"])
    assert (result.status, result.reason) == ("crashed", "killed by signal 40")


def test_session_answers_calls_sent_ahead_in_order(box: Sandbox) -> None:
    program = "import time\ndef f(x):\n    if x < 0:\n        time.sleep(0.3)\n    return x * 2"
    session = box.session(program, limits=Limits(wall_seconds=10))
    assert session.start() is None
    with pytest.raises(RuntimeError):
        session.receive(1.0)  # nothing sent yet
    session.send("f", ["[1]", "[2]"])
    session.send("f", ["[3]"])
    assert [session.receive(1.0) for _ in range(3)] == [("ok", 2), ("ok", 4), ("ok", 6)]
    session.send("f", ["[-1]", "[5]"])  # nobody waits for these
    result = session.close()
    # Calls left unanswered: the program is killed at once, not left to work on them (a
    # graceful end would answer both within 0.3 s and exit 0).
    assert result.signal == signal.SIGKILL


@pytest.mark.parametrize("argv", ["print(1)", b"/bin/true", ["/bin/echo", 1]])
def test_run_refuses_an_argv_that_is_not_a_list_of_strings(box: Sandbox, argv: Any) -> None:
    with pytest.raises(TypeError, match="list of strings"):
        box.run(argv)


def test_calls_sent_before_the_program_is_ready_are_answered(box: Sandbox) -> None:
    # The readiness mark and the answers share one pipe: the first answer must not be read
    # with the mark glued to its front, however the bytes arrive.
    session = box.session("def f(x):\n    return [x]")
    session.send("f", ["[1]", '["R"]'])
    time.sleep(0.2)  # the mark and both answers are in the pipe before anything is read
    assert [session.receive(1.0) for _ in range(2)] == [("ok", [1]), ("ok", ["R"])]
    assert session.start() is None  # at once now, and it still says the child was ready
    assert session.close().status == "ok"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_compile_and_run_c(box: Sandbox) -> None:
    source = b'#include <stdio.h>\nint main(){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a*b);}'
    compiled = box.run(
        ["/bin/sh", "-c", "/usr/bin/gcc -O2 -o prog main.c && cat prog"],
        files={"main.c": source},
        limits=Limits(wall_seconds=30, cpu_seconds=20, output_bytes=32 << 20),
    )
    assert compiled.status == "ok", compiled.stderr
    result = box.run(["./prog"], stdin=b"6 7\n", files={"prog": (compiled.stdout, 0o755)})
    assert result.stdout == b"42\n"


def test_environment_is_clean(box: Sandbox) -> None:
    result = box.run(["/usr/bin/env"])
    names = sorted(line.split(b"=")[0] for line in result.stdout.splitlines())
    assert names == [b"HOME", b"LANG", b"PATH", b"TMPDIR"]


def test_python_run_environment_is_clean(box: Sandbox) -> None:
    # Set once in the fork server (the same for every run), not per run: still exactly this.
    source = "import os\nprint(sorted(os.environ.items()), os.getcwd())"
    first, second = box.run_python(source), box.run_python(source)
    assert first.stdout == second.stdout
    env, cwd = first.stdout.decode().rsplit(" ", 1)
    assert eval(env) == sorted(
        {
            "HOME": cwd.strip(),
            "LANG": "C.UTF-8",
            "PATH": "/usr/bin:/bin",
            "TMPDIR": cwd.strip(),
        }.items()
    )


def test_python_run_holds_only_its_own_descriptors(box: Sandbox) -> None:
    # 0-2 and the two pipes to the judge; nothing of the fork server's (a status pipe is only
    # made for exec runs, so descriptor 5 must be closed rather than left as the server had it).
    source = (
        "import os\n"
        "def is_open(fd):\n"
        "    try:\n"
        "        os.fstat(fd)\n"
        "    except OSError:\n"
        "        return False\n"
        "    return True\n"
        "print([fd for fd in range(1024) if is_open(fd)])"
    )
    assert box.run_python(source).stdout == b"[0, 1, 2, 3, 4]\n"


def test_standard_streams_are_fresh_in_every_run(box: Sandbox) -> None:
    # The stream objects are built once in the fork server; what one run leaves unflushed in
    # them must not reach the next, and they must behave as over pipes (not seekable, no tty).
    left = box.run_python("import os, sys\nsys.stdout.write('leak')\nos._exit(0)")
    assert left.stdout == b""
    # Nor what one leaves in the buffered layer, read ahead or unwritten.
    source = (
        "import os, sys\nsys.stdin.buffer.peek()\nsys.stdout.buffer.write(b'leak')\nos._exit(0)"
    )
    left = box.run_python(source, stdin=b"read ahead\n")
    assert left.stdout == b""
    source = (
        "import sys\nsys.stdout.buffer.flush()\nprint(sys.stdin.buffer.peek(), sys.stdin.read())"
    )
    assert box.run_python(source).stdout == b"b'' \n"
    source = (
        "import sys\n"
        "print([s.seekable() or s.isatty() for s in (sys.stdin, sys.stdout, sys.stderr)])\n"
        "print(sys.stdin.read().upper(), end='')\n"
        "print('err', file=sys.stderr)"
    )
    result = box.run_python(source, stdin=b"line one\nline two\n")
    assert result.stdout == b"[False, False, False]\nLINE ONE\nLINE TWO\n"
    assert result.stderr == b"err\n"


DESCRIBE_STREAMS = """
import sys
for stream in (sys.stdin, sys.stdout, sys.stderr):
    buffer = stream.buffer
    raw = buffer.raw
    print(
        type(stream).__name__, type(buffer).__name__, type(raw).__name__,
        stream.name, buffer.name, raw.name, stream.mode, buffer.mode, raw.mode, raw.closefd,
        stream.encoding, stream.errors, stream.line_buffering, stream.write_through,
        stream.newlines, stream.seekable(), stream.isatty(), stream.fileno(),
        buffer.__sizeof__(),  # the object and its buffer: the same buffer size
        stream._CHUNK_SIZE,
    )
print(sys.__stdin__ is sys.stdin, sys.__stdout__ is sys.stdout, sys.__stderr__ is sys.stderr)
"""
# Text and bytes written through each layer and around them, in CPython's own order: a
# print() is held by the text layer until a flush, so a buffer.write() right after it comes
# out first there too.
MIXED_WRITES = """
import os, sys
print("a")
sys.stdout.buffer.write(b"b\\n")
print("c")
sys.stdout.flush()
os.write(1, b"d\\n")
sys.stdout.buffer.write(b"e\\n")
print("f", flush=True)
os.write(1, b"g\\n")
sys.stderr.write("h\\n")
sys.stderr.buffer.write(b"i\\n")
print("j\\udc80", file=sys.stderr)
os.write(2, b"k\\n")
sys.stderr.write("no newline")
sys.stdout.write("left in the buffer at exit")
"""
READS = """
import sys
print(repr(input()), repr(input()))
first = input()
print(repr(first), first)
print(repr(sys.stdin.readline()), sys.stdin.buffer.read(3))
print(repr(sys.stdin.read()))
"""
BINARY_READS = """
import sys
print(len(sys.stdin.buffer.read(100_000)))
print(sys.stdin.buffer.readline())
print(sum(1 for _ in sys.stdin.buffer), sys.stdin.buffer.read(), sys.stdin.buffer.readline())
"""


@pytest.mark.parametrize(
    "source, stdin",
    [
        (DESCRIBE_STREAMS, b""),
        (MIXED_WRITES, b""),
        (READS, b"one\r\ntwo\n\xff\xfe bytes\nfour\nfive\nsix"),
        (BINARY_READS, b"x" * 100_000 + b"y" * 150_000 + b"\nz\n" * 1000),
    ],
    ids=["describe", "mixed-writes", "reads", "binary-reads"],
)
def test_standard_streams_behave_as_pythons_own_over_pipes(
    box: Sandbox, source: str, stdin: bytes
) -> None:
    # The same interpreter run over pipes in the run's environment (-I: no PYTHONUNBUFFERED
    # from ours) is the reference, layer types, buffer sizes, errors and order of bytes all.
    host = subprocess.run(
        [sys.executable, "-I", "-S", "-c", source],
        input=stdin,
        capture_output=True,
        env={"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"},
        timeout=30,
    )
    run = box.run_python(source, stdin=stdin)
    assert (run.stdout, run.stderr) == (host.stdout, host.stderr)


def test_reading_many_lines_through_each_layer_of_stdin(box: Sandbox) -> None:
    # sys.stdin.buffer was the raw file, whose readline() reads one byte per system call:
    # 500,000 lines ran out of CPU time (1.5 M took 7.8 s; 0.3 s on the host).
    lines = 500_000
    data = b"".join(b"%d\n" % i for i in range(lines))
    total = sum(range(lines))
    programs = [
        "import sys\nread = sys.stdin.buffer.readline\nn = 0\nwhile line := read():\n"
        "    n += int(line)\nprint(n)",
        "import sys\nprint(sum(int(line) for line in sys.stdin.buffer))",
        "import sys\nread = sys.stdin.readline\nn = 0\nwhile line := read():\n"
        "    n += int(line)\nprint(n)",
        "import sys\nprint(sum(map(int, sys.stdin.buffer.read().split())))",
    ]
    for program in programs:
        result = box.run_python(program, stdin=data)
        assert (result.status, result.stdout) == ("ok", b"%d\n" % total), program


def test_an_abandoned_session_does_not_block_the_next_run(box: Sandbox) -> None:
    session = box.session(
        "import time\ndef f():\n    time.sleep(60)", limits=Limits(wall_seconds=30)
    )
    session.start()
    # never closed: the next run must still work, and the abandoned program must be gone
    assert box.run_python("print(2)").stdout == b"2\n"
    assert not session.alive
    assert session.close().status in ("crashed", "timeout")


def test_a_dead_fork_server_is_replaced(box: Sandbox) -> None:
    assert box._process is not None
    box._process.kill()
    box._process.wait()
    assert box.run_python("print(3)").stdout == b"3\n"


def test_a_session_outliving_its_fork_server_fails_at_once(box: Sandbox) -> None:
    session = box.session("def f(x):\n    return x + 1", limits=QUICK)
    assert session.start() is None
    assert box._process is not None
    box._process.kill()
    box._process.wait()
    assert box.run_python("print(3)").stdout == b"3\n"  # a new server
    with pytest.raises(SandboxError, match="restarted"):  # not a wait on the new server
        session.close()
    assert box.run_python("print(4)").stdout == b"4\n"  # and the new server is left alone


def test_descriptors_numbered_past_1024(box: Sandbox) -> None:
    # A busy server holds many sockets; select() would fail on a pipe numbered past 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert box.run_python("print(input())", stdin=b"hi\n").stdout == b"hi\n"
        with box.session("def f(x):\n    return x + 1", limits=QUICK) as session:
            assert session.call("f", [1], 1.0) == ("ok", 2)
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_fork_server_holds_only_what_runs_need(box: Sandbox) -> None:
    # Every module the server holds is memory each run's fork copies and each exit frees; a run
    # starts with the server's modules, so it can list them.
    result = box.run_python("import sys\nprint(' '.join(sorted(sys.modules)))")
    held = set(result.stdout.decode().split())
    assert {"ctypes", "json", "select"} <= held  # what it does use, so the listing is real
    assert not held & {"socket", "selectors", "importlib.util", "site"}


def test_runs_import_typing_without_loading_it(box: Sandbox) -> None:
    # Most model-written Python starts with ``from typing import ...``; loading typing cost a
    # run 3-5 ms, so the server holds it (zygote.PRELOADED) and the import finds it loaded.
    program = "import sys\nbefore = set(sys.modules)\nfrom typing import List\nimport math\n"
    program += "print(sorted(set(sys.modules) - before))"
    assert box.run_python(program).stdout == b"[]\n"
