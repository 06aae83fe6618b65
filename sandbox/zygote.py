"""The warm fork server: a bare interpreter that forks one isolated child per run.

Started by ``client._BOOT`` (``python3 -I -S -c BOOT zygote.py FD``) with an empty environment
and a control socket on FD; standard library only, and no imports of ours (``isolation.py``,
``wire.py`` and ``errors.py`` are loaded by path). It never sees a program, an input or an
expected output: the client passes the run's pipes as file descriptors and talks to the child
directly, so a forked child inherits nothing worth stealing. The client judges; this process
only forks, waits, kills and reports.

Control messages (JSON over a SOCK_SEQPACKET socket):

- client → server ``{"op": "run", "mode": "python"|"exec", "argv": [...], "limits": {...}}``
  with five descriptors (stdin, stdout, stderr, to-child, from-child); ``{"op": "kill"}``.
  With ``"collect": name`` a sixth descriptor comes, which the server keeps: after the run it
  sends ``F`` and the bytes of the file ``name`` of the run's directory on it, or ``E`` and
  why not, then closes it, before the exit report. A Python run's ``argv`` follows
  ``main.py`` in ``sys.argv``.
- server → client ``{"op": "hello", "layers": {...}, "uid": n}`` once;
  ``{"op": "exited", "status": n, "cpu": s, "timed_out": b, "oom": b}`` after each run
  (``oom``: the kernel killed a process of it for the cgroup's memory limit).

Setup stream (client → child, on the to-child pipe): two 8-byte little-endian lengths (the
files' JSON header, ``[[name, size, mode], ...]``, empty when there are no files; the
program), then that header, the files' bytes and the program. A session's calls follow as
lines of ``wire`` text for ``[name, [args...]]``.
"""

from __future__ import annotations

import _socket as socket  # not socket.py: every module held here is copied into each run
import fcntl
import gc
import io
import json
import os
import select
import signal
import stat
import sys
import time
import types
from importlib.machinery import SourceFileLoader

TYPE_CHECKING = False  # this module's own code imports no typing (PRELOADED is for runs)
if TYPE_CHECKING:
    from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))


#: The package name our modules are loaded under here, so that a relative import among them
#: (wire.py's ``from .errors import WireError``) finds this server's copy, loaded before it.
_PACKAGE = "_verigrade_sandbox"


def _load(name: str) -> types.ModuleType:
    # The loader directly, not importlib.util (which brings typing and more): it still reads
    # and writes the bytecode cache, so the server compiles nothing it has compiled before.
    path = os.path.join(_HERE, f"{name}.py")
    module = types.ModuleType(f"{_PACKAGE}.{name}")
    module.__file__ = path
    module.__package__ = _PACKAGE
    sys.modules[module.__name__] = module
    SourceFileLoader(module.__name__, path).exec_module(module)
    return module


_load("errors")  # before wire, which imports from it
iso: Any = _load("isolation")
cg: Any = _load("cgroup")
wire: Any = _load("wire")

#: Each run's working directory, made for the run and removed after it (see _clear_workdir).
#: It sits in a size-capped, root-owned tmpfs on /tmp that only this server mounts: a run can
#: write nowhere else in it, so removing the directory removes all the run left behind.
WORKDIR = "/tmp/work"
#: More entries than this in a finished run's directory, or any directory among them, and the
#: whole tmpfs is replaced rather than emptied (bounded work here whatever the run did).
_CLEAR_AT_MOST = 64
FD_TO_CHILD = 3
FD_FROM_CHILD = 4
FD_STATUS = 5
_FD_SIZE = 4  # bytes of one descriptor in an SCM_RIGHTS message (a C int)
_EXITED = b'{"op":"exited","status":%d,"cpu":%r,"timed_out":%s,"oom":%s}'


def _claim_uid() -> tuple[int, int] | None:
    """Lock one uid slot for this server's lifetime, so no two servers share a uid."""
    directory = "/run/verigrade-sandbox"
    os.makedirs(directory, mode=0o700, exist_ok=True)
    for slot in range(iso.UID_SLOTS - 1):  # the last slot is the probe's
        fd = os.open(f"{directory}/uid-{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return iso.UID_BASE + slot, fd
    return None


def _expose_interpreter(uid: int) -> None:
    """Let the sandbox uid read the interpreter when it lives under a private home (``/root``).

    In this server's own mount namespace the first closed ancestor of the prefix is covered by
    an empty tmpfs and the prefix bound back at its old path; the host is untouched.
    """
    prefix = os.path.realpath(sys.base_prefix)
    parts = prefix.strip("/").split("/")
    closed = None
    for depth in range(1, len(parts)):
        path = "/" + "/".join(parts[:depth])
        if not os.stat(path).st_mode & 0o001:
            closed = path
            break
    if closed is None:
        return
    # Named by the uid slot this server holds locked: every server is pid 1 of its own pid
    # namespace, so a pid-based name would be shared, and one server's rmdir would pull the
    # directory from under another starting at the same time.
    staging = f"/run/verigrade-sandbox/prefix-{uid}"
    os.makedirs(staging, exist_ok=True)
    bind, move, rec = 4096, 8192, 16384
    iso.mount(prefix, staging, None, bind | rec, None)
    iso.mount("tmpfs", closed, "tmpfs", 0, "mode=0755,size=1m")
    os.makedirs(prefix, exist_ok=True)
    iso.mount(staging, prefix, None, move, None)
    os.rmdir(staging)


class Server:
    """Accepts run requests on the control socket and supervises one child at a time."""

    def __init__(self, control: socket.socket, disabled: list[str]) -> None:
        """Set up, once, everything this server's runs share, in this order:

        1. Probe the layers (in a throwaway child, see ``iso.probe``), less those ``disabled``;
           every later step asks ``self.active``.
        2. Claim a uid slot, locked for this server's life: no two servers share a sandbox uid.
        3. Unshare the network, hostname and mount namespaces that all runs share.
        4. Set up the mount table (:meth:`_prepare_mounts`): after 3, so no mount reaches the
           host, and after 2, as the interpreter is exposed to the claimed uid.
        5. Prepare what each child applies or uses: the IPC namespace flag, this server's
           pid namespace (rejoined after each fork), the run-only seccomp filter, the
           environment and the standard streams; then warm up what every Python run touches.
        6. Load the server's own seccomp filter, which every child inherits: late, so nothing
           above has to be weighed against it; nothing the server does afterwards needs a call
           it denies.
        7. Freeze the garbage collector last, so children's collections skip every object
           made above (fewer pages copied per run).
        """
        self.control = control
        # 1.
        self.layers = iso.probe()
        for layer in disabled:
            self.layers[layer] = "disabled by the caller"
        self.active = {name for name, state in self.layers.items() if state == "active"}
        if "minimal_root" in self.active and "mount_namespace" not in self.active:
            self.layers["minimal_root"] = "needs the mount namespace"
            self.active.discard("minimal_root")
        # 2.
        self.uid: int | None = None
        if "uid" in self.active:
            claimed = _claim_uid()
            if claimed is None:
                self.layers["uid"] = "no free uid slot"
                self.active.discard("uid")
            else:
                self.uid, self._uid_lock = claimed
        # Made before step 4, after which the minimal root has no /proc or /sys.
        self.cgroup = None
        if "cgroup" in disabled:
            self.layers["cgroup"] = "disabled by the caller"
        else:
            tag = str(self.uid) if self.uid is not None else os.urandom(4).hex()
            try:
                self.cgroup = cg.RunGroup(f"verigrade-sandbox-{tag}")
                self.layers["cgroup"] = "active"
                self.active.add("cgroup")
            except OSError as error:
                self.layers["cgroup"] = f"{type(error).__name__}: {error}"
        # Opened before step 4 too.
        self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        # Without a pid namespace per run, orphans of a run must come to us, not to the host's
        # init, so that reap_orphans finds them (needs no privilege: a normal user's mode).
        self.children: int | None = None
        if "pid_namespace" not in self.active:
            iso.set_child_subreaper()
            try:  # noqa: SIM105 - contextlib is not imported here (see the imports)
                self.children = os.open("/proc/thread-self/children", os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                pass  # a kernel without CONFIG_PROC_CHILDREN: reap_uid, where there is a uid
        # 3. Network and hostname namespaces are made once, for this server: its runs follow one
        # another, each run's processes die with it, and no run can configure interfaces, so
        # sharing an empty network namespace leaks nothing and saves ~0.7 ms per run.
        shared = 0
        if "net_namespace" in self.active:
            shared |= iso.CLONE_NEWNET
        if "uts_namespace" in self.active:
            shared |= iso.CLONE_NEWUTS
        if "mount_namespace" in self.active:
            shared |= iso.CLONE_NEWNS
        if shared:
            iso.unshare(shared)
        # 4. The ABI first: the tmpfs on /tmp gets its Landlock rule as it is mounted.
        self.landlock_abi = iso.landlock_abi() if "landlock" in self.active else 0
        self.landlock = None
        self.tmp_bytes = 1 << 20  # resized to each request's file size cap (see run())
        if "mount_namespace" in self.active:
            self._prepare_mounts()
        # 5. SysV IPC objects outlive their processes.
        self.namespaces = iso.CLONE_NEWIPC if "ipc_namespace" in self.active else 0
        # Each child loads only the few denials this server needs itself (see below).
        self.seccomp = iso.Seccomp("run") if "seccomp" in self.active else None
        # Every run gets the same environment when its directory is the same (mount namespace),
        # so it is set here once: clearing and refilling os.environ cost each run ~0.3 ms.
        self.env = _run_env(WORKDIR)
        if "mount_namespace" in self.active:
            os.environ.clear()
            os.environ.update(self.env)
        self.streams = _std_streams()
        self._plans: dict[bytes, dict[str, Any]] = {}  # parsed run requests, by their bytes
        _warm_up()
        # 6.
        if self.seccomp is not None:
            # The rest of the deny-list holds this server from here on, and every child
            # inherits it, so a child compiles only the small run-only filter (see
            # iso.RUN_ONLY_SYSCALLS). Nothing this server does from here on needs the calls
            # it denies; no_new_privs, which loading needs, every child sets anyway.
            iso.no_new_privs()
            iso.Seccomp("server").load()
        # 7.
        gc.freeze()  # children's collections then skip everything inherited: fewer page copies

    def _prepare_mounts(self) -> None:
        """Make the mount table private, then mount what runs use: /tmp, and /dev/shm.

        Runs share this server's mount table rather than each getting its own: a run cannot
        mount, and can write only in its own directory, which goes before the next run
        starts. A mount namespace and tmpfs per run cost ~0.25 ms of the ~2.5 ms a run costs.
        """
        iso.make_mounts_private()  # first: until then a mount here would show on the host
        if "minimal_root" in self.active:
            # Its directories are world-readable: the interpreter needs no exposing, and
            # /dev/shm is not there at all.
            iso.minimal_root("/tmp", iso.readable_paths([]), iso.DEVICES)
            self._mount_tmp()
            return
        if self.uid is not None:
            _expose_interpreter(self.uid)
        self._mount_tmp()
        if not self.landlock_abi:  # Landlock forbids writing there; without it, mount does
            iso.private_tmpfs(["/dev/shm"], 4096, 0, mode=0o755)

    def landlock_for(self, writable: str) -> Any:
        """A Landlock ruleset for runs that may write only in ``writable`` (and /dev/null)."""
        landlock = iso.Landlock(self.landlock_abi, iso.readable_paths([]), [writable, "/dev/null"])
        # Keep the ruleset clear of the low descriptors a child rearranges (0-5, parked at 100+).
        high = fcntl.fcntl(landlock.fd, fcntl.F_DUPFD_CLOEXEC, 200)
        os.close(landlock.fd)
        landlock.fd = high
        return landlock

    def send(self, message: dict[str, Any]) -> None:
        self.control.send(json.dumps(message).encode())

    def serve(self) -> None:
        self.send({"op": "hello", "layers": self.layers, "uid": self.uid})
        control = self.control
        room = socket.CMSG_SPACE(8 * _FD_SIZE)  # up to 8 descriptors; more are discarded
        while True:
            # recvmsg rather than socket.recv_fds: per run, every object this process touches
            # is a page it copies again after the next fork, so the loop stays lean.
            data, ancdata, _, _ = control.recvmsg(65536, room)
            fds: list[int] = []
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    usable = len(payload) - len(payload) % _FD_SIZE
                    fds.extend(memoryview(payload)[:usable].cast("i").tolist())
            if not data:
                return
            plan = self._plans.get(data)
            if plan is None:
                plan = self._plan(data)
            if plan is not None and len(fds) == (6 if "collect" in plan else 5):
                self.run(plan, fds)
            else:
                for fd in fds:
                    os.close(fd)

    def _plan(self, data: bytes) -> dict[str, Any] | None:
        """The run request ``data`` parsed and checked once, with what every such run shares.

        A grader sends the same few requests over and over (the client caches their bytes),
        so each is parsed once and the same dict serves every run that sends it.
        """
        try:
            request = json.loads(data)
        except ValueError:
            return None
        if not isinstance(request, dict) or request.get("op") != "run":
            return None
        limits = request["limits"]
        request["wall"] = float(limits["wall_seconds"])
        request["rlimits"] = (
            int(limits["cpu_seconds"]) or 1,
            int(limits.get("address_space_bytes") or limits["memory_bytes"]),
            int(limits["processes"]),
            int(limits["file_bytes"]),
            int(limits["open_files"]),
        )
        request["workdir"] = WORKDIR
        request["tmp_bytes"] = int(limits["file_bytes"])
        request["output_bytes"] = int(limits["output_bytes"])
        if "collect" in request and (
            type(request["collect"]) is not str or "/" in request["collect"]
        ):
            return None  # a plain name in the run's directory, nothing else
        request["memory_bytes"] = int(limits["memory_bytes"]) + request["tmp_bytes"]
        if len(self._plans) >= 64:  # callers vary their requests rarely; stay bounded
            self._plans.clear()
        self._plans[data] = request
        return request

    def run(self, plan: dict[str, Any], fds: list[int]) -> None:
        request = plan
        workdir = WORKDIR
        collect_fd = fds.pop() if "collect" in plan else -1  # ours alone: no child sees it
        if "mount_namespace" not in self.active:
            # No private tmpfs: a fresh host directory per run, removed afterwards.
            import tempfile  # only here: every module the server holds is copied into each run

            workdir = tempfile.mkdtemp(prefix="verigrade-run-")
            if self.uid is not None:
                os.chown(workdir, self.uid, self.uid)
            request = {**plan, "workdir": workdir}
        elif plan["tmp_bytes"] != self.tmp_bytes:
            self._resize_tmp(plan["tmp_bytes"])
        if self.cgroup is not None:
            # Everything the run holds counts: its memory and the files in its directory. One
            # more process than its own: an exec run's init shim.
            try:
                self.cgroup.limit(plan["memory_bytes"], plan["rlimits"][2] + 1)
            except OSError as error:  # tried at start; this would be the machine changing
                os.write(2, f"verigrade sandbox: cgroup limits failed: {error}\n".encode())
                self.layers["cgroup"] = f"failed while serving: {error}"
                self.cgroup = None
        # Only the init shim of an exec run reports a status; a Python run is pid 1 itself.
        status_r, status_w = os.pipe() if request["mode"] == "exec" else (-1, -1)
        fds.append(status_w)
        if "pid_namespace" in self.active:
            iso.unshare(iso.CLONE_NEWPID)  # the next fork becomes pid 1 of a new namespace
        pid = os.fork()
        if pid and "pid_namespace" in self.active:
            # unshare(CLONE_NEWPID) works once; pointing our children back at our own namespace
            # lets the next run unshare a fresh one.
            iso.setns(self.own_pid_ns, iso.CLONE_NEWPID)
        if pid == 0:
            try:
                _child(self, request, fds)
            finally:
                os._exit(wire.SETUP_FAILED)
        for fd in fds:
            if fd >= 0:
                os.close(fd)
        try:
            report = self.supervise(pid, request["wall"], status_r)
            if collect_fd >= 0:
                # Before the report: the client stops reading once it has that.
                _send_back(collect_fd, workdir, request["collect"], request["output_bytes"])
            self.control.send(report)
        finally:
            if collect_fd >= 0:
                os.close(collect_fd)
            if status_r >= 0:
                os.close(status_r)
            if workdir != WORKDIR:
                import shutil

                shutil.rmtree(workdir, ignore_errors=True)
            else:
                self._clear_workdir()

    def _clear_workdir(self) -> None:
        """Remove the finished run's directory and all it holds (every process of it is dead).

        Removing files by name through the directory's descriptor follows no link the run
        planted. A run that made directories, or a great many entries, gets the whole tmpfs
        replaced instead, so this stays cheap and bounded.
        """
        try:
            os.rmdir(WORKDIR)
            return
        except FileNotFoundError:
            return  # the child failed before making it
        except OSError:
            pass
        try:
            fd = os.open(WORKDIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            try:
                names = os.listdir(fd)
                if len(names) > _CLEAR_AT_MOST:
                    raise OSError("too many entries")
                for name in names:
                    os.unlink(name, dir_fd=fd)  # a directory fails here: the tmpfs is replaced
            finally:
                os.close(fd)
            os.rmdir(WORKDIR)
        except OSError:
            self._replace_tmp()

    def _mount_tmp(self) -> None:
        """A fresh tmpfs on /tmp, with the Landlock rule on its root.

        The rule is built once per tmpfs; without a mount namespace each run's directory
        differs and each child builds its own (see _child).
        """
        iso.private_tmpfs(["/tmp"], self.tmp_bytes, 0, mode=0o755)
        if self.landlock is not None:
            os.close(self.landlock.fd)
        if self.landlock_abi:
            self.landlock = self.landlock_for("/tmp")

    def _replace_tmp(self) -> None:
        iso.detach("/tmp")
        self._mount_tmp()

    def _resize_tmp(self, size: int) -> None:
        self.tmp_bytes = size
        try:
            iso.resize_tmpfs("/tmp", size)
        except OSError:
            self._replace_tmp()

    def supervise(self, pid: int, wall_seconds: float, status_r: int) -> bytes:
        """Wait for the run to end, killing it at its deadline; return the exit report."""
        pidfd = os.pidfd_open(pid)
        deadline = time.monotonic() + wall_seconds
        timed_out = False
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 and not timed_out:
                    timed_out = True
                    self.kill(pid)
                control = self.control.fileno()
                ready, _, _ = select.select([pidfd, control], [], [], max(left, 0.05))
                if pidfd in ready:
                    break
                if control in ready:
                    data = self.control.recv(65536)
                    if not data:  # the client is gone: take the run down with us
                        self.kill(pid)
                        os.waitpid(pid, 0)
                        sys.exit(0)
                    if json.loads(data).get("op") == "kill":
                        self.kill(pid)
        finally:
            os.close(pidfd)
        _, status, usage = os.wait4(pid, 0)
        if "pid_namespace" not in self.active:
            if self.children is not None:
                self.reap_orphans(self.children)
            else:
                self.reap_uid()
        if status_r >= 0:
            os.set_blocking(status_r, False)
            try:
                reported = os.read(status_r, 64)  # the program's own status, from the init shim
            except BlockingIOError:
                reported = b""
            if reported.isdigit():
                status = int(reported)
        cpu = usage.ru_utime + usage.ru_stime
        oom = self.cgroup is not None and self.cgroup.oom_killed_since_last_asked()
        # Formatted, not json.dumps'd: fewer objects touched per run (see serve()).
        return _EXITED % (
            status,
            cpu,
            b"true" if timed_out else b"false",
            b"true" if oom else b"false",
        )

    def kill(self, pid: int) -> None:
        """SIGKILL the run; as pid 1 of its namespace that takes every descendant with it."""
        for target in (pid, -pid):
            try:  # noqa: SIM105 - contextlib is not imported here (see the imports)
                os.kill(target, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def reap_orphans(self, children: int) -> None:
        """Without a pid namespace, kill every process the finished run left behind.

        This server is a child subreaper (see ``__init__``), so a process the run left, however
        it detached (double fork, ``setsid``, ignoring SIGTERM), is re-parented to it, never to
        the host's init: once the run is reaped, each child still listed is such a leftover.
        Killing one re-parents its own children to us, so this repeats until none is listed.
        As pid 1 of its own namespace (see _enter_own_pid_namespace), where the host's /proc
        names processes by other numbers, it signals every process of that namespace instead:
        all of them are runs' leftovers.
        """
        if os.getpid() == 1:
            for _ in range(1000):
                try:
                    os.kill(-1, signal.SIGKILL)  # all but ourselves
                except ProcessLookupError:
                    return
                while True:
                    try:
                        os.waitpid(-1, 0)
                    except ChildProcessError:
                        break
            return
        for _ in range(1000):
            pids = [int(pid) for pid in os.pread(children, 1 << 16, 0).split()]
            if not pids:
                return
            for pid in pids:
                self.kill(pid)
            for pid in pids:
                try:  # noqa: SIM105 - contextlib is not imported here (see the imports)
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass

    def reap_uid(self) -> None:
        """Without a pid namespace, kill whatever still runs as the sandbox uid (daemons).

        A helper with the sandbox uid sends SIGKILL to every process it may signal; killed
        daemons become our zombies (we are their namespace's init) and are reaped here, until
        the helper finds nothing left.
        """
        if "pid_namespace" in self.active or self.uid is None:
            return
        for _ in range(100):
            helper = os.fork()
            if helper == 0:
                try:
                    os.setresuid(self.uid, self.uid, self.uid)
                    os.kill(-1, signal.SIGKILL)  # every process of this uid but the helper
                except ProcessLookupError:
                    os._exit(0)  # nothing left
                except OSError:
                    os._exit(2)
                os._exit(1)
            _, status = os.waitpid(helper, 0)
            time.sleep(0.001)  # let the killed ones exit before reaping them
            _reap_zombies()
            if os.waitstatus_to_exitcode(status) != 1:
                return


def _reap_zombies() -> None:
    """Collect exited children that are not runs (orphans re-parented to us as init)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _init_shim() -> None:
    """Stay behind as pid 1 of the run's namespace and run the program as pid 2.

    The kernel shields a namespace's init from signals it has no handler for (a program that
    signals itself would survive) and makes it the reaper of orphans; a program is neither
    when it is not pid 1. This process reaps, reports the program's wait status on
    FD_STATUS, and exits the moment the program does, which kills anything left behind.
    """
    program = os.fork()
    if program == 0:
        return
    os.closerange(0, FD_STATUS)
    os.closerange(FD_STATUS + 1, 65536)
    status = 0
    while True:
        try:
            reaped, reaped_status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if reaped == program:
            status = reaped_status
            break
    os.write(FD_STATUS, str(status).encode())
    os._exit(0)


def _send_back(fd: int, workdir: str, name: str, most: int) -> None:
    """Send the finished run's file ``name`` to the client on ``fd``: ``F`` and its bytes, or
    ``E`` and why not.

    Every process of the run is dead by now, so nothing can swap the file while it is read.
    It is opened without following a symbolic link, and only a regular file of at most
    ``most`` bytes is read: a run cannot send back another file of the machine, a device or a
    pipe, nor more than its output cap. Writes give up after a few seconds of a client that
    does not read, so the server never waits on one.
    """
    view = memoryview(_read_back(workdir, name, most))
    os.set_blocking(fd, False)
    deadline = time.monotonic() + 5.0
    try:
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                return
            view = view[os.write(fd, view[: 1 << 16]) :]
    except OSError:  # the client is gone (BrokenPipeError), or closed its end
        return


def _read_back(workdir: str, name: str, most: int) -> bytes:
    """``F`` and the file's bytes, or ``E`` and the reason it cannot be read back."""
    too_large = f"E{name} is larger than the output cap ({most} bytes)".encode()
    try:
        directory = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return b"Ethe run's directory is gone"
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
        fd = os.open(name, flags, dir_fd=directory)
    except FileNotFoundError:
        return f"Ethe program wrote no {name}".encode()
    except OSError as error:  # ELOOP: a symbolic link
        return f"E{name} cannot be read back: {error.strerror}".encode()
    finally:
        os.close(directory)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return f"E{name} is not a regular file".encode()
        if info.st_size > most:
            return too_large
        chunks = [b"F"]
        size = 0
        while size <= most:
            chunk = os.read(fd, most + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > most:
            return too_large
        return b"".join(chunks)
    finally:
        os.close(fd)


def _run_env(workdir: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"}


Streams = tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper]


def _std_streams() -> Streams:
    """``sys.stdin``/``stdout``/``stderr`` for Python runs, built once instead of in each child.

    Built as CPython builds its own over pipes (``create_stdio``), so a run sees what
    ``python3`` would: each a TextIOWrapper over a BufferedReader or BufferedWriter of the
    pipe's block size over a FileIO named ``<stdin>`` and so on; no newline translation;
    UTF-8 with surrogateescape for stdin and stdout (CPython's choice for the run's C.UTF-8
    locale), backslashreplace and line buffering for stderr. Without the buffered layer,
    ``sys.stdin.buffer.readline()`` read one byte per system call and ``.read(n)`` returned
    short.

    They name descriptors 0-2, which each child points at its own pipes before using them.
    They are built while 0-2 are pipes too, so what they learn of their descriptor at
    construction (not seekable, not a terminal, the block size) is what holds in a run. This
    process never reads or writes through them, so their buffers are empty when it forks: no
    byte of one run can reach another, and each child gets them unused.
    """
    saved = [os.dup(fd) for fd in (0, 1, 2)]
    read_end, write_end = os.pipe()
    try:
        for target, fd in ((0, read_end), (1, write_end), (2, write_end)):
            os.dup2(fd, target)
        return _std_stream(0, "<stdin>"), _std_stream(1, "<stdout>"), _std_stream(2, "<stderr>")
    finally:
        for target, fd in enumerate(saved):
            os.dup2(fd, target)
            os.close(fd)
        os.close(read_end)
        os.close(write_end)


def _std_stream(fd: int, name: str) -> io.TextIOWrapper:
    reading = fd == 0
    raw = io.FileIO(fd, "r" if reading else "w", closefd=False)
    raw.name = name
    # Buffered to the descriptor's block size (4 KiB for a pipe), as io.open buffers, and so
    # CPython's own standard streams.
    size = os.fstat(fd).st_blksize
    size = size if size > 1 else io.DEFAULT_BUFFER_SIZE
    buffer = io.BufferedReader(raw, size) if reading else io.BufferedWriter(raw, size)
    stream = io.TextIOWrapper(
        buffer,
        encoding="utf-8",
        errors="backslashreplace" if fd == 2 else "surrogateescape",
        newline="\n",
        line_buffering=fd == 2,
    )
    stream.mode = "r" if reading else "w"  # type: ignore[misc]  # as CPython sets it
    return stream


#: Modules model-written programs import so often that each run loading its own copy costs
#: more than holding one here: ``from typing import List`` took 3-5 ms of a run's CPU (21
#: of HumanEval's 164 prompts start with it), while holding typing costs every run ~1.3 MB
#: more to fork, which did not show in the stdin benchmark's CPU per run.
PRELOADED = ("typing", "math")


def _warm_up() -> None:
    """Touch what every Python run uses, so children inherit it ready instead of loading it."""
    compile("print(int(input()) * 2)", "main.py", "exec")
    # Throwaway streams built as the runs' are: never those (see _std_streams).
    sink = io.TextIOWrapper(io.BufferedWriter(io.BytesIO()), "utf-8", "surrogateescape", "\n")
    sink.write("warm\n")
    sink.flush()
    source = io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"1\n2\n")), "utf-8", newline="\n")
    source.readline()
    source.buffer.readline()
    wire.encode([1, 2.5, "x", (1,), {1: 2}])
    wire.decode(wire.encode(["f", [1, 2.5, "x", (1,), {1: 2}]]))
    json.loads(json.dumps([["name", 0, 420]]))
    int.from_bytes(bytes(8), "little")
    for name in PRELOADED:
        __import__(name)


def _read_exact(fd: int, size: int) -> bytes:
    """Exactly ``size`` bytes of the setup stream, read unbuffered so nothing past it is taken."""
    data = os.read(fd, size) if size else b""
    if len(data) == size:
        return data
    # Chunks joined once: adding each to the bytes so far copied a large input file quadratically
    # (a 40 MB input file took more than the run's 4 s).
    chunks, got = [data], len(data)
    while got < size:
        chunk = os.read(fd, size - got)
        if not chunk:
            raise EOFError("setup stream ended early")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _arrange_fds(fds: list[int], keep: int) -> None:
    """Move ``fds[n]`` onto descriptor ``n`` (-1: none there) and close every other but ``keep``."""
    for target, fd in enumerate(fds):
        if fd >= 0:
            os.dup2(fd, target + 100)  # park above the targets so no dup2 clobbers another
    for target, fd in enumerate(fds):
        if fd >= 0:
            os.dup2(target + 100, target)
    # Without a status pipe, descriptor 5 is whatever the server had there: close it too.
    os.closerange(FD_STATUS + 1 if fds[FD_STATUS] >= 0 else FD_STATUS, keep)
    os.closerange(keep + 1, 65536)


def _move_exact(fd: int, out: int, size: int) -> None:
    """Move exactly ``size`` bytes of the setup stream into the file ``out``.

    By ``splice``, in the kernel: a compiled program (a 1.3 MB Go binary) is copied into every
    run's directory, and reading it into this interpreter chunk by chunk cost ~6 ms of CPU
    per run. Plain reads where the file cannot take a splice.
    """
    while size:
        try:
            moved = os.splice(fd, out, size)
        except OSError as error:
            if error.errno != 22:  # EINVAL: this file system takes no splice
                raise
            moved = os.write(out, os.read(fd, min(size, 1 << 16)))
        if not moved:
            raise EOFError("setup stream ended early")
        size -= moved


def _receive_files(workdir: str) -> bytes:
    """Read the setup stream: write its files into ``workdir``, return the program after them."""
    sizes = _read_exact(FD_TO_CHILD, 16)
    header_size = int.from_bytes(sizes[:8], "little")
    program_size = int.from_bytes(sizes[8:], "little")
    if header_size:
        for name, size, mode in json.loads(_read_exact(FD_TO_CHILD, header_size)):
            path = os.path.join(workdir, os.path.basename(name))
            with open(path, "wb") as handle:
                _move_exact(FD_TO_CHILD, handle.fileno(), size)
            os.chmod(path, mode)
    return _read_exact(FD_TO_CHILD, program_size)


def _child(server: Server, request: dict[str, Any], fds: list[int]) -> None:
    """Isolate, receive the files, then become the program. Never returns normally.

    The steps, in the order that makes them work. The server's shared namespaces, mounts and
    seccomp filter are in place before the fork (:meth:`Server.__init__`), and so is the
    run's pid namespace (:meth:`Server.run`).

    0. Join the server's cgroup (if it has one), before anything the run should pay for; a
       failure is held until step 1 has put FD_FROM_CHILD in place to report it.
    1. Put the run's pipes on descriptors 0-5 and close all others (:func:`_arrange_fds`),
       keeping the server's Landlock ruleset if it built one. First: a failure below is
       reported on FD_FROM_CHILD, and nothing of the server's (its control socket, its pid
       namespace, its uid lock) stays open into the run.
    2. ``setsid``: the run leads its own process group, so the server's kill of ``-pid``
       reaches what it starts (bar a process that leaves the group).
    3. Unshare the IPC namespace: while still root (step 7 drops that), and before step 12,
       whose filter denies ``unshare``.
    4. Make the working directory (mount namespace; otherwise the server made it): as root,
       since the tmpfs on /tmp is root's, then hand it to the sandbox uid.
    5. Without a mount namespace, build the Landlock ruleset for this run's own directory:
       as root (before 7), which can open every path the rules name, and before 6, since
       the ruleset's descriptor moves to 200 or above, past any open-files limit up to 200.
    6. Set the resource limits: as root, which may set a limit above the inherited hard
       limit (CAP_SYS_RESOURCE, gone after 7).
    7. Become the sandbox uid: no groups, no capabilities. Without one (a normal user's
       server runs as root of its own user namespace), drop every capability instead.
    8. Set the parent-death signal: after 7, because changing credentials clears it.
    9. ``chdir`` into the working directory, as the sandbox uid (after 7): a directory it
       cannot enter fails the setup, not the program.
    10. ``no_new_privs``: Landlock and seccomp, without root, need it; no setuid binary can
        undo step 7.
    11. Enforce Landlock, then close its descriptor: nothing of it stays in the run.
    12. Load the run's seccomp filter (``iso.RUN_ONLY_SYSCALLS``, on top of the server's):
        last of the layers, so no setup step runs into it.
    13. Receive the files and the program (:func:`_receive_files`): only now, so the files
        are written as the sandbox uid (the run owns them) under its limits and every layer.
    14. Without a mount namespace, point the environment at this run's own directory.

    A failure in 0-14 is written to FD_FROM_CHILD as ``E<error>`` and the child exits with
    ``wire.SETUP_FAILED``. Then an exec run in a pid namespace forks its init shim (which
    inherits every layer), and the program gets ``R`` on FD_FROM_CHILD and starts.
    """
    joined: OSError | None = None
    if server.cgroup is not None:  # 0. first, so that all the run does is charged to it
        try:
            server.cgroup.join()
        except OSError as error:
            joined = error  # reported below, once FD_FROM_CHILD is in place
    try:
        keep = server.landlock.fd if server.landlock else 65536
        _arrange_fds(fds, keep)  # 1.
        if joined is not None:
            raise joined
        os.setsid()  # 2.
        if server.namespaces:  # 3.
            iso.unshare(server.namespaces)
        uid = server.uid
        workdir = request["workdir"]
        if "mount_namespace" in server.active:  # 4.
            os.mkdir(workdir, 0o700)
            if uid is not None:
                os.chown(workdir, uid, uid)
        landlock = server.landlock
        if landlock is None and server.landlock_abi:  # 5.
            landlock = server.landlock_for(workdir)
        iso.set_rlimits(*request["rlimits"])  # 6.
        if uid is not None:  # 7.
            iso.drop_privileges(uid)
        elif os.geteuid() == 0:  # root of a user namespace, or root without a uid slot
            iso.drop_capabilities()
        iso.set_parent_death_signal()  # 8.
        os.chdir(workdir)  # 9.
        iso.no_new_privs()  # 10.
        if landlock is not None:  # 11.
            landlock.restrict()
            os.close(landlock.fd)
        if server.seccomp is not None:  # 12.
            server.seccomp.load()
        program = _receive_files(workdir)  # 13.
        env = server.env
        if workdir != WORKDIR:  # 14. a per-run host directory: the server's env is not it
            env = _run_env(workdir)
            os.environ.clear()
            os.environ.update(env)
    except BaseException as error:
        message = f"E{type(error).__name__}: {error}\n".encode()
        try:
            _write_all(FD_FROM_CHILD, message)
        finally:
            os._exit(wire.SETUP_FAILED)
    if "pid_namespace" in server.active and request["mode"] == "exec":
        # Python programs run as pid 1 themselves: the shim's extra fork would cost more than
        # the whole run, and all they lose is dying from a signal they send to themselves.
        _init_shim()
    if fds[FD_STATUS] >= 0:
        os.close(FD_STATUS)
    _write_all(FD_FROM_CHILD, b"R")
    if request["mode"] == "exec":
        os.set_inheritable(FD_TO_CHILD, False)
        os.close(FD_FROM_CHILD)
        os.close(FD_TO_CHILD)
        # CPython ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across
        # exec: give the program the defaults a shell would (as subprocess's restore_signals
        # does), so that it dies writing to a closed pipe (an interactor whose program has
        # left) or past its file size limit, instead of spinning on EPIPE or EFBIG.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        try:
            os.execve(request["argv"][0], request["argv"], env)
        except OSError as error:
            os.write(2, f"exec failed: {error}\n".encode())
        os._exit(wire.SETUP_FAILED)
    _run_python(program, bool(request.get("session")), workdir, server.streams, request["argv"])


def _run_python(
    program: bytes, session: bool, workdir: str, streams: Streams, argv: list[str]
) -> None:
    """Run the program as ``__main__`` in this (already isolated) interpreter, then exit."""
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams  # type: ignore[misc]  # as CPython
    sys.argv = ["main.py", *argv]
    main = types.ModuleType("__main__")
    main.__file__ = os.path.join(workdir, "main.py")
    sys.modules["__main__"] = main
    code = 0
    try:
        exec(compile(program, "main.py", "exec"), main.__dict__)
        if session:
            _serve_calls(main.__dict__)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, int) and stop.code is not None:
            print(stop.code, file=sys.stderr)
    except BaseException as error:  # the program's failure, shown as python would show it
        import traceback

        # Drop this function's frame: the traceback starts in the program, as with python.
        tb = error.__traceback__.tb_next if error.__traceback__ else None
        traceback.print_exception(type(error), error, tb)
        code = 1
    for stream in (sys.stdout, sys.stderr):  # each, whatever the other's flush raises
        try:  # noqa: SIM105 - contextlib is not imported here (see the imports)
            stream.flush()
        except BaseException:
            pass
    os._exit(code)


def _serve_calls(namespace: dict[str, Any]) -> None:
    """Answer ``[name, [args...]]`` and ``[name, [args...], {kwargs}]`` lines (wire text) with
    ``ok <value>`` or ``err <reason>``."""
    # Buffered only now: the setup was read to its exact end, so no call was taken early.
    calls = io.BufferedReader(io.FileIO(FD_TO_CHILD, "r", closefd=False))
    while True:
        line = calls.readline()
        if not line:
            return
        try:
            call = wire.decode(line)
            if type(call) is not list or len(call) not in (2, 3):
                raise TypeError("malformed call")
            name, args, kwargs = call[0], call[1], call[2] if len(call) == 3 else {}
            function = namespace.get(name) if type(name) is str else None
            if not callable(function):
                raise NameError(f"the program defines no function {name!r}")
            if type(args) is not list or type(kwargs) is not dict:
                raise TypeError("malformed call")
            if not all(type(key) is str for key in kwargs):
                raise TypeError("malformed call")
            reply = "ok " + wire.encode(function(*args, **kwargs))
        except Exception as error:
            reply = "err " + f"{type(error).__name__}: {error}"[:1000].replace("\n", " ")
        sys.stdout.flush()
        data = reply.encode() + b"\n"
        written = os.write(FD_FROM_CHILD, data)
        if written < len(data):  # a reply larger than the pipe takes at once
            _write_all(FD_FROM_CHILD, data[written:])


def _enter_own_pid_namespace() -> None:
    """Continue as pid 1 of a new pid namespace, so every run dies when this server dies.

    Runs live in namespaces nested inside this one; whatever kills the server (the pool's
    deadline kills our process group) takes every run with it, with no race to lose. The
    process we started as only waits and passes the exit status on.
    """
    try:
        iso.unshare(iso.CLONE_NEWPID)
    except OSError:
        return  # no pid namespaces here: runs rely on their parent-death signal
    server = os.fork()
    if server == 0:
        iso.set_parent_death_signal()
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _, status = os.waitpid(server, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def main() -> None:
    """Serve the control socket (its fd number is argv[1]) until the client closes it."""
    disabled = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    if "user_namespace" in disabled:
        iso.USER_NAMESPACE["state"] = "disabled by the caller"
    else:
        iso.enter_user_namespace()  # first: the namespaces below need its capabilities
    _enter_own_pid_namespace()
    control = socket.socket(fileno=int(sys.argv[1]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client decides when we stop
    server = Server(control, [name for name in disabled if name != "user_namespace"])
    try:
        server.serve()
    finally:
        if server.cgroup is not None:
            server.cgroup.close()


if __name__ == "__main__":
    main()
