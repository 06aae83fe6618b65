"""The judging side of the sandbox: start the fork server, feed runs, collect what comes back.

The fork server (``zygote.py``) is started once per process with an empty environment and an
absolute interpreter path; it forks one isolated child per run. This side owns every pipe of
the run, so inputs and outputs never pass through the server, and expected outputs never leave
this process.
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import math
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import wire

# Re-exported: code that imports them from here, where they used to be defined, still works.
from .errors import SandboxDegraded as SandboxDegraded
from .errors import SandboxError as SandboxError
from .errors import SandboxUnavailable as SandboxUnavailable
from .extras import RunExtras
from .extras import current as current_extras
from .limits import Limits
from .result import RunResult

logger = logging.getLogger(__name__)

_ZYGOTE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote.py")
#: Starts the fork server from ``zygote.py`` (argv[1]) as a module rather than as a script: a
#: script is compiled on every start, a module comes from the bytecode cache, and the memory
#: a compile touches stays in the server, where every run's fork copies and frees it again.
_BOOT = (
    "import sys, types\n"
    "from importlib.machinery import SourceFileLoader\n"
    "path = sys.argv.pop(1)\n"
    "zygote = types.ModuleType('_verigrade_zygote')\n"
    "zygote.__file__ = path\n"
    "sys.modules[zygote.__name__] = zygote\n"
    "SourceFileLoader(zygote.__name__, path).exec_module(zygote)\n"
    "zygote.main()\n"
)
DEFAULT_LIMITS = Limits()
#: Time allowed beyond a run's own deadline for the server to report before we give up on it.
_SERVER_GRACE = 2.0
#: How long a session whose reply pipe closed is given for the server's report that it
#: exited, before it is taken to have closed the pipe and run on (the report takes ~1 ms).
_EXIT_REPORT_GRACE = 0.5


@dataclass
class _Stream:
    fd: int
    data: bytearray = field(default_factory=bytearray)
    open: bool = True


class _Run:
    """The pipes of one child and the loop that moves bytes until a condition holds.

    Args:
        control: the control socket of the fork server that forks this run.
        restart: called with the reason when that server stops answering; restarts it.
    """

    def __init__(
        self,
        control: socket.socket,
        restart: Callable[[str], None],
        message: bytes,
        limits: Limits,
        setup: bytes,
        stdin: bytes | None,
        stdio: tuple[int, int] | None = None,
        collect: bool = False,
    ) -> None:
        """``stdio``: the child's stdin and stdout, taken over (closed once sent) instead of
        pipes of ours; ``collect``: a sixth pipe on which the server sends back a file."""
        self.control = control
        self._restart = restart
        self.limits = limits
        self.started = time.monotonic()
        # In the child's order: stdin, stdout, stderr, to-child, from-child (, collect).
        child_fds: list[int] = list(stdio) if stdio is not None else []
        ours: list[int] = []
        stdin_w = out_r = collect_r = -1
        try:
            if stdio is None:
                stdin_w = _pipe(ours, child_fds, child_reads=True)
                out_r = _pipe(ours, child_fds, child_reads=False)
            err_r = _pipe(ours, child_fds, child_reads=False)
            to_w = _pipe(ours, child_fds, child_reads=True)
            from_r = _pipe(ours, child_fds, child_reads=False)
            if collect:
                collect_r = _pipe(ours, child_fds, child_reads=False)
            socket.send_fds(control, [message], child_fds)
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in child_fds:
                os.close(fd)
        for fd in ours:
            os.set_blocking(fd, False)
        # A wired run's stdout is the caller's: nothing of it passes here.
        self.stdout = _Stream(out_r, open=stdio is None)
        self.stderr = _Stream(err_r)
        self.replies = _Stream(from_r)
        self.collected = _Stream(collect_r, open=collect)
        self.pending: dict[int, bytearray] = {}
        self.to_child: int | None = to_w
        self.stdin_w: int | None = stdin_w if stdin_w >= 0 else None
        # What pump() polls; None when a descriptor opened, closed or changed direction.
        self._poller: select.poll | None = None
        # Written now, not on pump()'s first turn: the child reads its setup as soon as it is
        # isolated, and would otherwise wait until this process is scheduled again.
        self.queue(to_w, setup)
        if stdin:
            self.queue(stdin_w, stdin)
        else:
            if stdin_w >= 0:
                os.close(stdin_w)
            self.stdin_w = None
        self.exit: dict[str, Any] | None = None
        self.truncated = False
        self.kill_sent = False
        self.setup_error: str | None = None
        self.ready = False
        self.consumed = 0  # bytes of ``replies`` already handed out
        self.closed = False

    # -- the loop ------------------------------------------------------------------------------

    def queue(self, fd: int, data: bytes) -> None:
        """Send ``data`` to the child on ``fd``: as much as the pipe takes now, the rest later.

        Closes stdin once all of it is written, so programs that read to the end can finish.
        """
        buffer = self.pending.get(fd)
        if buffer is not None:
            buffer += data  # keep the order: earlier bytes are still waiting
            return
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            written = 0
        except BrokenPipeError:
            written = len(data)  # the child stopped reading; its loss
        if written < len(data):
            self.pending[fd] = bytearray(memoryview(data)[written:])
            self._poller = None
        elif fd == self.stdin_w:
            os.close(fd)
            self.stdin_w = None

    def _poll_set(self) -> select.poll:
        # poll, not select: a busy server's descriptors can be numbered past 1024.
        poller = select.poll()
        for stream in self._streams():
            if stream.open:
                poller.register(stream.fd, select.POLLIN)
        poller.register(self.control.fileno(), select.POLLIN)
        for fd in self.pending:
            poller.register(fd, select.POLLOUT)
        return poller

    def pump(self, done: Callable[[], bool], deadline: float) -> bool:
        """Move bytes until ``done()`` or the child exits; False if ``deadline`` passed first."""
        control = self.control.fileno()
        if control < 0:  # closed: the server that forked this run was replaced since
            raise SandboxError("the fork server that started this run was restarted")
        while not done():
            if self.exit is not None:
                return bool(done())
            now = time.monotonic()
            if now >= deadline:
                return False
            if self._poller is None:
                self._poller = self._poll_set()
            for fd, _ in self._poller.poll(math.ceil((deadline - now) * 1000)):
                if fd == control:
                    self._control_message()
                elif fd in self.pending:
                    self._write(fd)
                else:
                    self._read(fd)
        return True

    def _write(self, fd: int) -> None:
        buffer = self.pending[fd]
        try:
            written = os.write(fd, buffer[: 1 << 16])
        except BrokenPipeError:
            written = len(buffer)  # the child stopped reading; its loss
        del buffer[:written]
        if not buffer:
            del self.pending[fd]
            self._poller = None
            if fd == self.stdin_w:
                os.close(fd)  # EOF on stdin: programs that read to the end can finish
                self.stdin_w = None

    def _streams(self) -> tuple[_Stream, ...]:
        return (self.stdout, self.stderr, self.replies, self.collected)

    def _read(self, fd: int) -> None:
        stream = next(s for s in self._streams() if s.fd == fd)
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            stream.open = False
            self._poller = None
            return
        if stream is self.collected:
            # From the server, which sends at most the cap; bounded here all the same.
            stream.data += chunk[: max(self.limits.output_bytes + 2 - len(stream.data), 0)]
            return
        if stream is self.replies:
            stream.data += chunk
            if len(stream.data) - self.consumed > self.limits.output_bytes:
                self.truncated = True
                self.kill()
            if not self.ready:
                self._check_setup()
            return
        room = self.limits.output_bytes - len(self.stdout.data) - len(self.stderr.data)
        stream.data += chunk[: max(room, 0)]
        if len(chunk) > room:
            self.truncated = True
            self.kill()

    def _check_setup(self) -> None:
        data = self.replies.data
        if data[:1] == b"R":
            self.ready = True
            self.consumed = 1
        elif data[:1] == b"E" and data.endswith(b"\n"):
            self.setup_error = data[1:].decode("utf-8", "replace").strip()

    def _control_message(self) -> None:
        message = self.control.recv(65536)
        if not message:
            raise SandboxError("the fork server died")
        decoded = json.loads(message)
        if decoded.get("op") == "exited":
            self.exit = decoded
            self._drain()

    def _drain(self) -> None:
        """Collect what the dead tree left in the pipes (bounded: a leak must not stall us)."""
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            streams = [s for s in self._streams() if s.open]
            if not streams:
                break
            poller = select.poll()
            for stream in streams:
                poller.register(stream.fd, select.POLLIN)
            ready = poller.poll(50)
            if not ready:
                break
            for fd, _ in ready:
                self._read(fd)

    def kill(self) -> None:
        """Ask the server to SIGKILL the run's whole tree (once)."""
        if not self.kill_sent and self.exit is None:
            self.kill_sent = True
            self.control.send(b'{"op": "kill"}')

    def wait_exit(self) -> dict[str, Any]:
        """Wait for the server's exit report, killing the run at its deadline if it has not."""
        hard = self.started + self.limits.wall_seconds + _SERVER_GRACE
        if not self.pump(lambda: self.exit is not None, hard):
            self._restart("fork server did not report an exit in time")
            raise SandboxError("fork server did not report an exit in time")
        assert self.exit is not None
        return self.exit

    def close_to_child(self) -> None:
        """EOF on the child's call stream: a session program returns and exits."""
        if self.to_child is not None:
            self.pending.pop(self.to_child, None)
            self._poller = None
            os.close(self.to_child)
            self.to_child = None

    def close(self) -> None:
        """Close our ends of the pipes (once: a number closed twice may be someone else's)."""
        if self.closed:
            return
        self.closed = True
        self.close_to_child()
        if self.stdin_w is not None:
            os.close(self.stdin_w)
            self.stdin_w = None
        for stream in self._streams():
            if stream.fd >= 0:
                os.close(stream.fd)
        self.pending.clear()
        self._poller = None

    def result(self) -> RunResult:
        exit = self.wait_exit()
        status = int(exit["status"])
        code = os.waitstatus_to_exitcode(status)
        cpu = float(exit["cpu"])
        timed_out = bool(exit["timed_out"])
        sig = -code if code < 0 else None
        killed_by_us = self.kill_sent or timed_out
        if sig in (signal.SIGXCPU, signal.SIGKILL) and not killed_by_us:
            # Nobody here sent it, and the run used a good part of its CPU allowance: it is
            # RLIMIT_CPU (the kernel checks once per tick; rusage is an estimate).
            timed_out = cpu >= 0.5 * self.limits.cpu_seconds
        error = self.setup_error
        if error is None and not self.ready and code == wire.SETUP_FAILED:
            error = "the child failed before the program started"
        collected, collect_error = self._collected()
        return RunResult(
            exit_code=None if sig is not None else code,
            signal=sig,
            stdout=bytes(self.stdout.data),
            stderr=bytes(self.stderr.data),
            timed_out=timed_out,
            output_truncated=self.truncated,
            wall_seconds=time.monotonic() - self.started,
            cpu_seconds=cpu,
            sandbox_error=error,
            memory_exceeded=bool(exit.get("oom")),
            collected=collected,
            collect_error=collect_error,
        )

    def _collected(self) -> tuple[bytes | None, str | None]:
        """The file the server read back (``F`` + its bytes), or why there is none (``E`` + why)."""
        if self.collected.fd < 0:
            return None, None
        data = bytes(self.collected.data)
        if data[:1] == b"F" and not self.collected.open:
            return data[1:], None
        if data[:1] == b"E":
            return None, data[1:].decode("utf-8", "replace")[:200]
        return None, "the file was not read back"


def _pipe(ours: list[int], child: list[int], *, child_reads: bool) -> int:
    """A pipe between this process and a run's child: one end appended to ``child``, the other
    to ``ours`` and returned (both lists are closed by the caller on failure)."""
    read, write = os.pipe()
    mine, theirs = (write, read) if child_reads else (read, write)
    ours.append(mine)
    child.append(theirs)
    return mine


@functools.lru_cache(maxsize=256)
def _run_message(
    mode: str, argv: tuple[str, ...], session: bool, limits: Limits, collect: str | None = None
) -> bytes:
    """The fork server's run request; a grader sends the same few over and over."""
    request = {
        "op": "run",
        "mode": mode,
        "argv": list(argv),
        "session": session,
        "limits": limits.to_wire(),
    }
    if collect is not None:
        request["collect"] = collect
    return json.dumps(request).encode()


def _setup_bytes(program: bytes, files: Mapping[str, bytes | tuple[bytes, int]]) -> bytes:
    entries = []
    blobs = []
    for name, content in files.items():
        data, mode = content if isinstance(content, tuple) else (content, 0o644)
        entries.append([name, len(data), mode])
        blobs.append(data)
    header = json.dumps(entries).encode() if entries else b""
    sizes = len(header).to_bytes(8, "little") + len(program).to_bytes(8, "little")
    return sizes + header + b"".join(blobs) + program


class Session:
    """A Python program kept alive to answer function calls; see :meth:`Sandbox.session`.

    Arguments go to the child and return values come back as exact plain types
    (:mod:`verigrade.sandbox.wire`), so the caller compares values it built itself.
    """

    def __init__(self, run: _Run) -> None:
        self._run = run
        self.calls = 0
        self._unanswered = 0  # calls sent whose answers receive() has not handed out yet

    @property
    def alive(self) -> bool:
        """Whether the program is still running and answering."""
        return self._run.exit is None and not self._run.kill_sent

    def start(self) -> str | None:
        """Wait until the child is isolated and has its program; None when ready, else why not.

        Calls need not wait for it: they queue behind the program, which runs its top level
        first. Calling this after them (it returns at once then) tells a sandbox failure
        (``"sandbox error: ..."``) from a program that died."""
        run = self._run
        deadline = run.started + run.limits.wall_seconds
        run.pump(lambda: run.ready or run.setup_error is not None, deadline)
        if run.setup_error is not None:
            return f"sandbox error: {run.setup_error}"
        if not run.ready:
            if run.exit is None:
                run.kill()
                return "timeout"
            return f"the program ended during start-up: {run.result().reason}"
        return None

    @staticmethod
    def encode_arguments(args: Iterable[Any], kwargs: Mapping[str, Any] | None = None) -> str:
        """One call's arguments as :meth:`send` takes them: the wire text that follows the name.

        A call crosses as the line ``[name, [args...]]``, or ``[name, [args...], {kwargs}]``
        when there are keyword arguments, so this is ``[args...]`` or ``[args...],{kwargs}``.

        Raises:
            WireError: an argument is not an exact plain type.
            TypeError: a keyword is not a ``str``.
        """
        text = wire.encode(list(args))
        if not kwargs:
            return text
        if not all(type(key) is str for key in kwargs):
            raise TypeError("keyword argument names must be strings")
        return text + "," + wire.encode(dict(kwargs))

    def call(
        self,
        name: str,
        args: Iterable[Any],
        timeout: float,
        *,
        kwargs: Mapping[str, Any] | None = None,
    ) -> tuple[str, Any]:
        """Call ``name(*args, **kwargs)`` in the program.

        Returns ``("ok", value)``, ``("error", reason)`` (the function raised, returned an
        unsendable value, or the program died), or ``("timeout", reason)``; never raises for
        anything the program does.
        """
        return self.call_many_encoded(name, [self.encode_arguments(args, kwargs)], timeout)[0]

    def call_many(
        self, name: str, calls: Sequence[Iterable[Any]], timeout: float
    ) -> list[tuple[str, Any]]:
        """Send several calls at once and collect the answers in order (one round trip).

        Each answer gets ``timeout`` from the one before. The list stops early, with a
        ``timeout`` or ``error`` entry last, when the program hangs or dies.
        """
        return self.call_many_encoded(name, [wire.encode(list(args)) for args in calls], timeout)

    def call_many_encoded(
        self, name: str, encoded_args: Sequence[str], timeout: float
    ) -> list[tuple[str, Any]]:
        """:meth:`call_many` with each call's arguments already encoded by
        :meth:`encode_arguments` (so keyword arguments can go too).

        For callers that key or cache calls by that text anyway: each is encoded once.
        """
        if not self.alive:
            return [("error", "the program is no longer running")]
        self.send(name, encoded_args)
        results: list[tuple[str, Any]] = []
        for _ in encoded_args:
            results.append(self.receive(timeout))
            if results[-1][0] != "ok" and not self.alive:
                self._unanswered = 0  # the rest will never be answered
                break
        return results

    def send(self, name: str, encoded_args: Sequence[str]) -> None:
        """Send calls (arguments already :meth:`encode_arguments`-ed) without waiting for answers.

        The program answers in order; :meth:`receive` hands out one answer per call sent,
        so a caller can use the first answers while the program works on the rest.
        """
        run = self._run
        self._unanswered += len(encoded_args)
        if not self.alive:
            return  # receive() reports it
        self.calls += len(encoded_args)
        prefix = "[" + wire.encode(name) + ","
        # Each line is the wire text of [name, [args...]] or [name, [args...], {kwargs}],
        # built without decoding the arguments.
        requests = "".join(prefix + text + "]\n" for text in encoded_args).encode()
        assert run.to_child is not None
        run.queue(run.to_child, requests)

    def receive(self, timeout: float) -> tuple[str, Any]:
        """The answer to the oldest call sent and not yet answered, as :meth:`call` gives it.

        Waits at most ``timeout`` for it. Raises RuntimeError when no call is waiting.
        """
        if self._unanswered <= 0:
            raise RuntimeError("no call sent is waiting for an answer")
        self._unanswered -= 1
        if not self.alive:
            return "error", "the program is no longer running"
        return self._answer(timeout)

    def _answer(self, timeout: float) -> tuple[str, Any]:
        run = self._run
        deadline = min(time.monotonic() + timeout, run.started + run.limits.wall_seconds)

        def answered() -> bool:  # calls may be sent before the child is ready: "R" comes first
            return run.ready and run.replies.data.find(b"\n", run.consumed) >= 0

        # pump() also stops when the program exits; and once its end of the reply pipe is
        # closed, no answer can come however long we wait.
        settled = run.pump(lambda: answered() or not run.replies.open, deadline)
        if not settled and run.exit is None:
            run.kill()
            return "timeout", f"no answer within {timeout:.2f}s"
        if not answered():
            return self._ended()
        end = run.replies.data.index(b"\n", run.consumed)
        line = bytes(run.replies.data[run.consumed : end]).decode("utf-8", "replace")
        run.consumed = end + 1
        kind, _, body = line.partition(" ")
        if kind == "ok":
            try:
                return "ok", wire.decode(body)
            except wire.WireError as error:
                return "error", f"unreadable return value: {error}"
        return "error", body[:500] if kind == "err" else "malformed answer"

    def _ended(self) -> tuple[str, str]:
        """The answer to a call the program will never answer: how it ended, as itself.

        A deadline or CPU limit it ran into is a timeout; an exit, a signal or the output cap
        is an error that says which. A program that closed its end of the reply pipe but
        runs on is killed first.
        """
        run = self._run
        if run.exit is None:
            # The reply pipe closed. Mostly the program died, and the fork server's report of
            # how is on its way: wait for it, or the kill below would be taken for the cause.
            run.pump(lambda: run.exit is not None, time.monotonic() + _EXIT_REPORT_GRACE)
        closed_its_end = run.exit is None  # and runs on, never to answer
        if closed_its_end:
            run.kill()
        ended = run.result()
        if ended.status == "timeout":
            return "timeout", ended.reason
        if closed_its_end and ended.signal == signal.SIGKILL:  # our kill, not its own end
            return "error", "the program closed its reply channel"
        return "error", f"the program ended before answering: {ended.reason}"

    def close(self) -> RunResult:
        """End the program (EOF on its call stream), reap it and return how it ended."""
        run = self._run
        try:
            if run.exit is None and self._unanswered:
                run.kill()  # answers nobody will read: do not let the program work on them
            elif run.exit is None:
                run.close_to_child()
                if not run.pump(lambda: run.exit is not None, time.monotonic() + 0.5):
                    run.kill()
            return run.result()
        finally:
            run.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Sandbox:
    """Runs untrusted programs under every isolation layer this machine offers.

    One fork server per process, started on first use; runs are sequential per instance
    (a process grades one item at a time; use more processes for parallelism).

    Args:
        require: layers (names from :data:`verigrade.sandbox.isolation.ALL_LAYERS`) without
            which no run may start; :class:`SandboxUnavailable` is raised if one is missing.
        interpreter: absolute path of the Python that runs the fork server and Python programs.
        disable: layers to leave off on purpose (to measure what each costs); reported as
            disabled, and warned about like any missing layer.

    Example:
        >>> box = Sandbox()
        >>> box.run_python("print(int(input()) * 2)", stdin=b"21\\n").stdout
        b'42\\n'
    """

    def __init__(
        self,
        require: Iterable[str] = (),
        interpreter: str | None = None,
        disable: Iterable[str] = (),
    ) -> None:
        self.require = frozenset(require)
        self.disable = sorted(set(disable))
        self.interpreter = os.path.realpath(interpreter or sys.executable)
        self.layers: dict[str, str] = {}
        self.uid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket
        self._owner = -1
        self._lock = threading.Lock()
        self._current: _Run | None = None

    # -- the fork server -------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._process is not None and self._owner == os.getpid():
            if self._process.poll() is None:
                return
            self._restart("fork server exited")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = subprocess.Popen(
            [
                *(self.interpreter, "-I", "-S", "-c", _BOOT, _ZYGOTE),
                *(str(theirs.fileno()), json.dumps(self.disable)),
            ],
            env={},  # no secrets from the host reach anything the server forks
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            pass_fds=[theirs.fileno()],
            close_fds=True,
        )
        theirs.close()
        ours.settimeout(30)
        try:
            hello = json.loads(ours.recv(65536) or b"{}")
        except (OSError, ValueError) as error:
            process.kill()
            process.wait()
            raise SandboxError(f"fork server did not start: {error}") from error
        ours.settimeout(None)
        if hello.get("op") != "hello":
            process.kill()
            process.wait()
            raise SandboxError("fork server did not start (see stderr)")
        self._process, self._control, self._owner = process, ours, os.getpid()
        self.layers = dict(hello["layers"])
        self.uid = hello["uid"]
        missing = sorted(n for n in self.require if self.layers.get(n) != "active")
        if missing:
            self.close()
            raise SandboxUnavailable("required sandbox layers unavailable: " + ", ".join(missing))
        inactive = {n: s for n, s in self.layers.items() if s != "active"}
        if inactive:
            text = "; ".join(f"{n}: {s}" for n, s in sorted(inactive.items()))
            warnings.warn(f"sandbox degraded, running without {text}", SandboxDegraded, 2)
            logger.warning("sandbox degraded, running without %s", text)

    def _restart(self, why: str) -> None:
        logger.warning("restarting the sandbox fork server: %s", why)
        self.close()

    def close(self) -> None:
        """Stop the fork server (it kills any run still going)."""
        self._current = None
        process, self._process = self._process, None
        if process is None or self._owner != os.getpid():
            return
        self._control.close()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def started_in_another_process(self) -> bool:
        """Whether the fork server was started by the process this one was forked from.

        That server answers its own process only; a call here starts a fresh one.
        """
        return self._owner not in (-1, os.getpid())

    def active_layers(self) -> dict[str, str]:
        """Each isolation layer and ``"active"`` or why it is not (starts the server)."""
        with self._lock:
            self._ensure()
        return dict(self.layers)

    # -- runs ------------------------------------------------------------------------------

    def _start(
        self,
        mode: str,
        program: bytes,
        argv: list[str],
        limits: Limits,
        files: Mapping[str, bytes | tuple[bytes, int]],
        stdin: bytes | None,
        session: bool = False,
        extras: RunExtras | None = None,
    ) -> _Run:
        # A wiring is taken first, so that it is closed however this ends: the other end of
        # its pipes must see end-of-file if this run never starts.
        stdio = extras.stdio.take() if extras is not None and extras.stdio is not None else None
        try:
            if stdio is not None and stdin:
                raise TypeError("a run with wired stdio takes no stdin bytes")
            self._ensure()
            self._finish_abandoned()
        except BaseException:
            for fd in stdio or ():
                os.close(fd)
            raise
        collect = extras.collect if extras is not None else None
        if extras is not None and extras.args:
            argv = [*argv, *extras.args]
        message = _run_message(mode, tuple(argv), session, limits, collect)
        try:
            run = _Run(
                self._control,
                self._restart,
                message,
                limits,
                _setup_bytes(program, files),
                stdin,
                stdio,
                collect is not None,
            )
        except OSError as error:  # the server went away between runs
            self._restart(f"cannot reach the fork server: {error}")
            raise SandboxError(f"cannot reach the fork server: {error}") from error
        self._current = run
        return run

    def _finish_abandoned(self) -> None:
        """Kill and reap a run nobody finished (an unclosed session), so the next one can start.

        The server supervises one run at a time; a run left open would swallow the next request.
        """
        run, self._current = self._current, None
        if run is None or run.exit is not None:
            return
        logger.warning("killing a sandboxed run that was never closed")
        run.kill()
        try:
            run.wait_exit()
        finally:
            run.close()

    def run(
        self,
        argv: list[str],
        *,
        stdin: bytes = b"",
        files: Mapping[str, bytes | tuple[bytes, int]] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        extras: RunExtras | None = None,
    ) -> RunResult:
        """Execute ``argv`` (absolute path first) in a fresh working directory.

        ``files`` are written into that directory first (name → bytes, or (bytes, mode)).
        ``extras`` (arguments, wired stdio, a file to read back; see
        :mod:`verigrade.sandbox.extras`) default to those of the enclosing ``run_extras``.

        Raises:
            TypeError: ``argv`` is a string (each character would be taken for an argument).
        """
        if isinstance(argv, (str, bytes)) or not all(isinstance(a, str) for a in argv):
            raise TypeError(
                "argv must be a list of strings, absolute path first (run_python "
                "runs Python source)"
            )
        extras = extras or current_extras()
        with self._lock:
            run = self._start("exec", b"", argv, limits, files or {}, stdin, extras=extras)
            try:
                return run.result()
            finally:
                run.close()

    def run_python(
        self,
        source: str | bytes,
        *,
        stdin: bytes = b"",
        limits: Limits = DEFAULT_LIMITS,
        files: Mapping[str, bytes | tuple[bytes, int]] | None = None,
        extras: RunExtras | None = None,
    ) -> RunResult:
        """Run a Python program as ``__main__`` with ``stdin``; forked from the warm server.

        ``files`` and ``extras`` as for :meth:`run`; ``args`` follow ``main.py`` in ``sys.argv``.
        """
        program = source.encode() if isinstance(source, str) else source
        extras = extras or current_extras()
        with self._lock:
            run = self._start("python", program, [], limits, files or {}, stdin, extras=extras)
            try:
                return run.result()
            finally:
                run.close()

    def session(self, source: str | bytes, *, limits: Limits = DEFAULT_LIMITS) -> Session:
        """Start a Python program whose functions the caller then calls (see :class:`Session`).

        The session's wall limit covers its whole life; close it (or use ``with``).
        """
        program = source.encode() if isinstance(source, str) else source
        self._ensure()
        return Session(self._start("python", program, [], limits, {}, None, session=True))


_default: Sandbox | None = None


def default_sandbox() -> Sandbox:
    """The process-wide sandbox (one fork server per process, restarted after a fork)."""
    global _default
    if _default is None or _default.started_in_another_process:
        _default = Sandbox()
        atexit.register(_default.close)  # reap the server (and with it every run) on exit
    return _default
