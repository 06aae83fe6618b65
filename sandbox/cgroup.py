"""A memory and process-count cgroup for one fork server's runs (cgroup v2, or v1's controllers).

Standard library only, and no imports of ours: the fork server loads this file by path.

RLIMIT_AS counts a process's mappings, not the pages the kernel holds for it elsewhere: tmpfs
files, pipe and socket buffers, memfds and shared memory (the last two are also denied by
seccomp). A memory cgroup charges every page a run's processes bring in, whoever maps it,
and its limit covers all of them together; a pids limit bounds processes and threads even
where RLIMIT_NPROC does not apply (a run that keeps uid 0 of a user namespace).

Runs of one server follow one another, so the server makes one group and each run's first
process joins it before anything else; everything the run starts stays in it. Every file
is opened before the server pivots into its minimal root (which has no ``/sys``), and is
used through those descriptors afterwards.
"""

from __future__ import annotations

import os


def _mounts() -> dict[str, str]:
    """Mount points by kind: ``"cgroup2"``, and each v1 controller by name."""
    found: dict[str, str] = {}
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            dash = fields.index("-")
            fstype, options = fields[dash + 1], fields[dash + 3].split(",")
            if fstype == "cgroup2":
                found.setdefault("cgroup2", fields[4])
            elif fstype == "cgroup":
                for controller in ("memory", "pids"):
                    if controller in options:
                        found.setdefault(controller, fields[4])
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup in each hierarchy: ``""`` for v2, else by v1 controller."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup") as handle:
        for line in handle:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if number == "0":
                paths[""] = path
            for controller in controllers.split(","):
                if controller:
                    paths[controller] = path
    return paths


def _write(directory: int, name: str, text: str) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CLOEXEC, dir_fd=directory)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _read(directory: int, name: str) -> str:
    fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=directory)
    try:
        return os.read(fd, 65536).decode()
    finally:
        os.close(fd)


def _make(parent: str, name: str) -> tuple[int, int]:
    """A fresh group ``name`` under ``parent`` (one left by a dead server is replaced): the
    descriptors of the parent and of the group."""
    parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:  # noqa: SIM105 - contextlib is not imported here (see the module docstring)
            os.rmdir(name, dir_fd=parent_fd)  # empty, its server gone: a dead server's leftover
        except FileNotFoundError:
            pass
        os.mkdir(name, 0o755, dir_fd=parent_fd)
        return parent_fd, os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=parent_fd
        )
    except OSError:
        os.close(parent_fd)
        raise


class RunGroup:
    """The cgroup runs join: memory (swap included) and process limits, and the OOM count.

    Raises OSError when this machine gives us no usable cgroup (reported as the layer's state).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.groups: list[int] = []  # directory descriptors, one per hierarchy we use
        self.parents: list[int] = []  # and of the directory each was made in
        self.joins: list[int] = []
        self.version = 0
        try:
            mounts, own = _mounts(), _own_paths()
            if "cgroup2" in mounts and self._try_v2(mounts["cgroup2"], own.get("", "/"), name):
                self.version = 2
            elif "memory" in mounts and "pids" in mounts:
                self._v1(mounts, own, name)
                self.version = 1
            else:
                raise OSError("no cgroup hierarchy with the memory and pids controllers")
            # Opened now: a child joins by writing "0" here, after the root has changed.
            self.joins = [
                os.open("cgroup.procs", os.O_WRONLY | os.O_CLOEXEC, dir_fd=group)
                for group in self.groups
            ]
            self.memory_bytes = -1
            self.processes = -1
            # Every file a run will need, tried now: a failure is the layer's state, reported
            # at start, not an error in the middle of a run.
            self.limit(1 << 30, 64)
            self.oom_seen = self.oom_kills()
        except (OSError, ValueError) as error:
            self.close()
            raise OSError(f"{type(error).__name__}: {error}") from None

    def _try_v2(self, mount: str, own: str, name: str) -> bool:
        # Controllers reach a group only through its parent's subtree_control, which a
        # non-root group may enable only while it holds no process (ours holds us): so our
        # own group first, where they may already be on, then the hierarchy's root.
        for parent in (os.path.join(mount, own.lstrip("/")), mount):
            wanted = {"memory", "pids"}
            try:
                with open(os.path.join(parent, "cgroup.subtree_control")) as handle:
                    enabled = set(handle.read().split())
                if not wanted <= enabled:
                    with open(os.path.join(parent, "cgroup.subtree_control"), "w") as handle:
                        handle.write("+memory +pids")
                self._add(parent, name)
                self.memory_name, self.swap_name = "memory.max", "memory.swap.max"
                self.events_name, self.pids_group = "memory.events", self.groups[0]
                return True
            except OSError:
                continue
        return False

    def _v1(self, mounts: dict[str, str], own: dict[str, str], name: str) -> None:
        for controller in ("memory", "pids"):
            self._add(os.path.join(mounts[controller], own.get(controller, "/").lstrip("/")), name)
        self.memory_name, self.swap_name = "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
        self.events_name, self.pids_group = "memory.oom_control", self.groups[1]

    def _add(self, parent: str, name: str) -> None:
        parent_fd, group = _make(parent, name)
        self.parents.append(parent_fd)
        self.groups.append(group)

    def limit(self, memory_bytes: int, processes: int) -> None:
        """Set the limits for the runs that follow (written only when they change)."""
        if memory_bytes != self.memory_bytes:
            memory = self.groups[0]
            if self.version == 1:
                # v1 refuses a memory limit above the memory+swap one, and the reverse.
                self._try_write(memory, self.swap_name, "-1")
                _write(memory, self.memory_name, str(memory_bytes))
                self._try_write(memory, self.swap_name, str(memory_bytes))
            else:
                _write(memory, self.memory_name, str(memory_bytes))
                self._try_write(memory, self.swap_name, "0")
            self.memory_bytes = memory_bytes
        if processes != self.processes:
            _write(self.pids_group, "pids.max", str(processes))
            self.processes = processes

    @staticmethod
    def _try_write(directory: int, name: str, text: str) -> None:
        try:  # noqa: SIM105 - contextlib is not imported here (see the module docstring)
            _write(directory, name, text)
        except OSError:
            pass  # no swap accounting on this machine: nothing to limit

    def join(self) -> None:
        """Move the calling process into the group (a run's first step, while still root)."""
        for fd in self.joins:
            os.write(fd, b"0")

    def oom_kills(self) -> int:
        """How many processes the kernel has killed for the group's memory limit so far."""
        for line in _read(self.groups[0], self.events_name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def oom_killed_since_last_asked(self) -> bool:
        """Whether the kernel killed a process for the memory limit since the last call.

        One read per run: the count after a run is the count before the next one.
        """
        seen, self.oom_seen = self.oom_seen, self.oom_kills()
        return self.oom_seen > seen

    def close(self) -> None:
        """Remove the groups (they must hold no process by now) and close every descriptor."""
        for fd in [*self.groups, *self.joins]:
            os.close(fd)
        for parent in self.parents:
            try:  # noqa: SIM105 - contextlib is not imported here (see the module docstring)
                os.rmdir(self.name, dir_fd=parent)
            except OSError:
                pass  # still busy: the next server of this name removes it
            os.close(parent)
        self.groups, self.joins, self.parents = [], [], []
