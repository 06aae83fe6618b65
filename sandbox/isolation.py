"""Kernel isolation layers applied to one sandboxed run, and probes that say which work here.

Standard library only, and no imports of ours: the fork server loads this file by path into a
bare ``python3 -I -S`` interpreter.

Layers (the order a child applies them in, and why, is in the docstring of ``zygote._child``):

- ``pid_namespace`` — the run is pid 1 of a fresh pid namespace (the fork server unshares it
  before forking), so when it exits the kernel kills everything it started, daemons included,
  and it cannot see or signal any host process.
- ``mount_namespace`` — the fork server's private mount table: a size-capped tmpfs on
  ``/tmp`` that only root may write, holding each run's working directory ``/tmp/work``, made
  for the run and removed with all it holds before the next run (the whole tmpfs is replaced
  when a run left directories in it); ``/dev/shm`` read-only without Landlock.
- ``minimal_root`` — the fork server pivots into a read-only tmpfs tree of exactly the
  readable paths and devices (:func:`minimal_root`), so nothing else of the host exists for a
  run: no ``/proc``, ``/sys``, ``/home``, ``/run``; Landlock does not cover ``stat``,
  ``readlink``, ``connect`` to socket files or metadata writes, the minimal root does.
- ``net_namespace`` / ``ipc_namespace`` / ``uts_namespace`` — no interfaces but a downed
  loopback, so no internet and no host loopback services; private SysV IPC.
- ``uid`` — a dedicated unprivileged uid per fork server, so RLIMIT_NPROC is enforced and
  host processes and root-only files are out of reach. A normal user's server has none: it
  enters a user namespace of its own (:func:`enter_user_namespace`) for the other layers,
  and its runs keep uid 0 there with every capability dropped.
- ``landlock`` — file access limited to the interpreter, system libraries and the working
  directory; TCP bind/connect denied; signals and abstract sockets scoped to the run.
- ``seccomp`` — ptrace, process_vm_*, io_uring, bpf, keyrings, namespace and mount calls (old
  and new API), xattr and timestamp writes, memfd, SysV shm and POSIX mqueues, and every
  non-Unix socket family fail with EPERM.
- ``rlimits`` — CPU time, address space, processes, file size, open files, no core dumps.
- ``cgroup`` — one memory and pids cgroup per fork server (``cgroup.py``): every page a run
  holds counts, tmpfs and kernel-held pages included, and so does every process.
"""

from __future__ import annotations

import _socket as socket  # socket.py would add selectors and enum to the fork server
import ctypes
import os
import resource
import sys
from collections.abc import Callable

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

_MS_RDONLY = 1
_MS_NOSUID = 2
_MS_NODEV = 4
_MS_NOEXEC = 8
_MS_REMOUNT = 32
_MS_NOATIME = 1024
_MS_NODIRATIME = 2048
_MS_BIND = 4096
_MS_RELATIME = 1 << 21
_MNT_DETACH = 2
_MS_REC = 16384
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38

#: First uid handed to fork servers; slot ``n`` runs as ``UID_BASE + n``. No passwd entry is
#: needed, and this range is unused by Debian's allocations.
UID_BASE = 61000
UID_SLOTS = 512

ALL_LAYERS = (
    "pid_namespace",
    "mount_namespace",
    "minimal_root",
    "net_namespace",
    "ipc_namespace",
    "uts_namespace",
    "uid",
    "landlock",
    "seccomp",
    "rlimits",
    "cgroup",
)

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def unshare(flags: int) -> None:
    """``unshare(2)``; Python 3.11 has no ``os.unshare``."""
    _check(_libc.unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    """``setns(2)``: join the namespace ``fd`` refers to."""
    _check(_libc.setns(fd, nstype), "setns")


def set_parent_death_signal() -> None:
    """Die with SIGKILL when the process that forked us dies, so no run outlives its server."""
    _check(_libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0), "prctl(PDEATHSIG)")


def set_child_subreaper() -> None:
    """Adopt orphaned descendants: a process a run leaves behind comes to us, not to init."""
    _check(_libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(CHILD_SUBREAPER)")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    """``mount(2)``; ``fstype`` and ``data`` may be None, ``flags`` are the ``MS_*`` bits."""
    _check(
        _libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


# --- landlock -------------------------------------------------------------------------------
# Syscall numbers and access bits from <linux/landlock.h>; x86_64 and aarch64 share them.

_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LL_EXECUTE = 1 << 0
_LL_WRITE_FILE = 1 << 1
_LL_READ_FILE = 1 << 2
_LL_READ_DIR = 1 << 3
_LL_FILE_ONLY = _LL_EXECUTE | _LL_WRITE_FILE | _LL_READ_FILE | (1 << 14) | (1 << 15)
_LL_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
_LL_FS_LATEST = (1 << 16) - 1


class _LandlockRuleset(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers, 0 when it has none."""
    result = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, 0, 1)
    return result if result > 0 else 0


class Landlock:
    """A Landlock ruleset built once (in the fork server) and enforced by each child.

    Rules name directories by inode and cover everything mounted beneath them, so the fresh
    tmpfs a child mounts on a writable directory is covered by the rule built beforehand.
    Everything else on the file system is out of reach; TCP bind/connect is denied
    (ABI >= 4) and signals and abstract Unix sockets stay inside the run (ABI >= 6).
    """

    def __init__(self, abi: int, readable: list[str], writable: list[str]) -> None:
        handled_fs = _LL_FS_BY_ABI.get(abi, _LL_FS_LATEST)
        attr = _LandlockRuleset(handled_fs, 0b11 if abi >= 4 else 0, 0b11 if abi >= 6 else 0)
        size = 24 if abi >= 6 else 16 if abi >= 4 else 8
        self.fd = _check(
            _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0), "landlock"
        )
        os.set_inheritable(self.fd, False)
        read_rights = _LL_EXECUTE | _LL_READ_FILE | _LL_READ_DIR
        for rights, paths in ((read_rights, readable), (handled_fs, writable)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # a library directory this machine does not have
                try:
                    allowed = rights & handled_fs
                    if not os.path.isdir(path):
                        allowed &= _LL_FILE_ONLY
                    rule = _PathBeneath(allowed, fd)
                    _check(
                        _libc.syscall(_SYS_LANDLOCK_ADD_RULE, self.fd, 1, ctypes.byref(rule), 0),
                        f"landlock rule {path}",
                    )
                finally:
                    os.close(fd)

    def restrict(self) -> None:
        """Enforce the ruleset on this process and its descendants (needs no_new_privs)."""
        _check(_libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, self.fd, 0), "landlock restrict")


# --- seccomp --------------------------------------------------------------------------------

_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_ACT_EPERM = 0x00050000 | 1
_SCMP_ACT_ENOSYS = 0x00050000 | 38
_SCMP_CMP_NE = 1
_SCMP_CMP_MASKED_EQ = 7

#: Calls a graded program never needs and an attacker would: tracing and reading other
#: processes, io_uring (it bypasses the socket filter), kernel keyrings, BPF, new namespaces.
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open",
    "userfaultfd", "keyctl", "add_key", "request_key", "unshare", "setns", "mount",
    "umount2", "pivot_root", "chroot", "open_by_handle_at", "name_to_handle_at", "syslog",
    "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "iopl", "ioperm", "personality", "move_pages",
    # The new mount API: another way to mount, bind and change mount flags.
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # Metadata writes: a run has no business changing extended attributes or timestamps,
    # and on a file it can write they would carry data past what its limits see.
    "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
    "setxattrat", "removexattrat", "utime", "utimes", "futimesat", "utimensat",
    # Memory no rlimit counts: memfd and SysV shared memory pages are held by the kernel,
    # not mapped, so RLIMIT_AS never sees them (POSIX message queues likewise).
    "memfd_create", "memfd_secret", "shmget", "mq_open",
)  # fmt: skip

#: Calls newer than the libseccomp this machine has may be unknown to it by name; their
#: numbers are the same on every architecture that uses the common table (x86_64, aarch64).
_NEW_SYSCALLS = {"setxattrat": 463, "removexattrat": 466}

#: The denied calls the fork server itself makes between runs: it unshares each run's pid
#: namespace and rejoins its own, resizes or replaces the tmpfs on /tmp, and each child
#: unshares its IPC namespace. Everything else denied is denied to the server too
#: (``scope="server"``) so children inherit it; each child adds only these (``scope="run"``).
#: The kernel copies, JIT-compiles and builds a per-syscall cache for each filter loaded: a
#: child loading these few spends ~0.1 ms on it, ~0.065 ms less than loading the whole list.
RUN_ONLY_SYSCALLS = ("unshare", "setns", "mount", "umount2")

SECCOMP_SCOPES = ("all", "server", "run")


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


class Seccomp:
    """A seccomp filter built once (in the fork server) and loaded by each child.

    ``scope`` picks the rules: ``"all"`` denies everything listed here; ``"server"`` all but
    :data:`RUN_ONLY_SYSCALLS`, which ``"run"`` holds alone. Filters stack (a process keeps
    every filter it or its parents loaded, and each call must pass all), so a child of a
    server that loaded ``"server"`` and that loads ``"run"`` itself is held to ``"all"``.
    """

    def __init__(self, scope: str = "all") -> None:
        if scope not in SECCOMP_SCOPES:
            raise ValueError(f"unknown seccomp scope {scope!r}")
        try:  # the usual soname first: find_library starts a subprocess to search
            lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        except OSError:
            from ctypes.util import find_library

            name = find_library("seccomp") or "libseccomp.so"
            lib = ctypes.CDLL(name, use_errno=True)
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_rule_add_array.argtypes = [
            ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p,
        ]  # fmt: skip
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        self._lib = lib
        ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
        if not ctx:
            raise OSError("seccomp_init failed")
        self._ctx = ctx
        for call in DENIED_SYSCALLS:
            if scope == "all" or (scope == "run") == (call in RUN_ONLY_SYSCALLS):
                self._rule(_SCMP_ACT_EPERM, call, [])
        if scope != "run":
            # Only Unix sockets: a second wall behind the empty network namespace.
            self._rule(_SCMP_ACT_EPERM, "socket", [_ArgCmp(0, _SCMP_CMP_NE, socket.AF_UNIX, 0)])
            # clone3 cannot be filtered by flags; ENOSYS makes libc fall back to clone (the
            # server's fork uses clone itself).
            self._rule(_SCMP_ACT_ENOSYS, "clone3", [])
            self._rule(
                _SCMP_ACT_EPERM,
                "clone",
                [_ArgCmp(0, _SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER)],
            )

        # Compile the filter once; each child then installs the same BPF with one prctl.
        memfd = os.memfd_create("seccomp-bpf")
        try:
            result = lib.seccomp_export_bpf(ctx, memfd)
            if result < 0:
                raise OSError(-result, "seccomp_export_bpf")
            os.lseek(memfd, 0, os.SEEK_SET)
            program = b""
            while chunk := os.read(memfd, 65536):
                program += chunk
        finally:
            os.close(memfd)
            lib.seccomp_release(ctx)  # only the BPF is kept: less for every fork to copy
            self._ctx = None
        self._filter = ctypes.create_string_buffer(program, len(program))
        self._program = _SockFprog(len(program) // 8, ctypes.addressof(self._filter))

    def _rule(self, action: int, call: str, args: list[_ArgCmp]) -> None:
        number = self._lib.seccomp_syscall_resolve_name(call.encode())
        if number < 0 and os.uname().machine in ("x86_64", "aarch64"):
            number = _NEW_SYSCALLS.get(call, -1)
        if number < 0:
            return  # not a syscall on this architecture
        array = (_ArgCmp * max(len(args), 1))(*args)
        result = self._lib.seccomp_rule_add_array(self._ctx, action, number, len(args), array)
        if result < 0:
            raise OSError(-result, f"seccomp rule {call}")

    def load(self) -> None:
        """Install the filter on the calling thread (needs no_new_privs or CAP_SYS_ADMIN)."""
        _check(
            _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(self._program), 0, 0),
            "prctl(PR_SET_SECCOMP)",
        )


def no_new_privs() -> None:
    """Forbid privilege gain through exec (setuid binaries); Landlock and seccomp need it."""
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


# --- the per-run sequence -------------------------------------------------------------------


def make_mounts_private() -> None:
    """Stop mount events propagating between this namespace and the host's."""
    mount("none", "/", None, _MS_REC | _MS_PRIVATE, None)


def private_tmpfs(paths: list[str], tmpfs_bytes: int, uid: int, mode: int = 0o700) -> None:
    """Put a fresh, size-capped tmpfs owned by ``uid`` on each of ``paths``."""
    options = f"size={tmpfs_bytes},nr_inodes=4096,mode={mode:o},uid={uid},gid={uid}"
    for path in paths:
        mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, options)


def resize_tmpfs(path: str, tmpfs_bytes: int) -> None:
    """Change the size cap of the tmpfs on ``path`` in place (it must fit what it holds)."""
    mount("tmpfs", path, "tmpfs", _MS_REMOUNT | _MS_NOSUID | _MS_NODEV, f"size={tmpfs_bytes}")


def detach(path: str) -> None:
    """Unmount ``path`` lazily: gone from the tree now, freed when nothing holds it."""
    _check(_libc.umount2(path.encode(), _MNT_DETACH), f"umount {path}")


#: Whether this process entered a user namespace of its own (:func:`enter_user_namespace`):
#: ``"entered"``, ``"not needed"`` (root) or why not. Read by the ``uid`` probe.
USER_NAMESPACE = {"state": "not needed"}


def enter_user_namespace() -> None:
    """For a caller that is not root: become root of a new user namespace, if the kernel lets us.

    Root there holds capabilities over the namespaces it then makes (pid, mount, network,
    IPC, hostname) and nothing on the host: the caller's uid is the only one mapped, and
    host files owned by anyone else stay out of reach. That gives a normal user every layer
    but the dedicated uid. Records the outcome in :data:`USER_NAMESPACE`.
    """
    if os.geteuid() == 0:
        return
    uid, gid = os.geteuid(), os.getegid()
    try:
        unshare(CLONE_NEWUSER)
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"0 {uid} 1"),
            ("gid_map", f"0 {gid} 1"),
        ):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    except OSError as error:
        USER_NAMESPACE["state"] = f"{type(error).__name__}: {error}"
        return
    USER_NAMESPACE["state"] = "entered"


_PR_CAPBSET_DROP = 24
_CAPABILITY_VERSION_3 = 0x20080522


def drop_capabilities() -> None:
    """Give up every capability, for good: the bounding set first, so no exec regains any.

    For a run that keeps uid 0 (of a user namespace): uid 0 would otherwise keep, or regain on
    exec, full capabilities over everything that namespace owns.
    """
    for capability in range(64):
        if _libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) < 0:
            if ctypes.get_errno() == 22:  # EINVAL: past the last capability this kernel has
                break
            _check(-1, f"prctl(CAPBSET_DROP, {capability})")
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (two words each): none
    _check(_libc.capset(header, data), "capset")


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (and gid ``uid``) with no supplementary groups and no capabilities."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def set_rlimits(
    cpu_seconds: int, memory_bytes: int, processes: int, file_bytes: int, open_files: int
) -> None:
    """Apply the run's resource limits.

    The CPU limit is hard (SIGKILL) at once: a namespace's init ignores SIGXCPU.
    """
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


#: Device nodes a run may open (``/dev/null`` for writing too); the rest of ``/dev`` is absent.
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


def readable_paths(extra: list[str]) -> list[str]:
    """What a run may read: the interpreter, system libraries and toolchains, a few devices."""
    paths = [
        sys.base_prefix,
        sys.prefix,
        "/usr/lib",
        "/usr/lib64",
        "/usr/libexec",
        "/usr/include",
        "/usr/local/include",
        "/usr/bin",
        "/bin",
        "/lib",
        "/lib64",
        "/etc/ld.so.cache",
        *toolchain_dirs(),
        *DEVICES[1:],
    ]
    return list(dict.fromkeys(paths + extra))


#: Where installed toolchains keep what they cannot start without, outside the bound tree:
#: (parent, name prefix, name suffix) of the directories to add.
_TOOLCHAIN_DIRS = (
    # Debian's JDKs link conf/security/java.security (javac, and any class touching
    # java.security, fail with "Error loading java.security file" without it) into here.
    ("/etc", "java-", "-openjdk"),
    # Debian's Go: GOROOT/src (the standard library's source, which `go build` reads) links
    # into /usr/share/go-<version>.
    ("/usr/share", "go-", ""),
)


def toolchain_dirs() -> list[str]:
    """The directories of :data:`_TOOLCHAIN_DIRS` present here: package-owned, world-readable
    settings and sources, nothing of the host's own."""
    found = []
    for parent, prefix, suffix in _TOOLCHAIN_DIRS:
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        found += [f"{parent}/{n}" for n in names if n.startswith(prefix) and n.endswith(suffix)]
    return sorted(found)


# --- the minimal root -----------------------------------------------------------------------

#: ``pivot_root`` has no libc wrapper; its number differs by architecture.
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41}

#: statvfs ``f_flag`` bits that a bind remount must repeat: in a user namespace the kernel
#: locks the flags a mount came with, and a remount that drops one fails with EPERM.
#: ``ST_*`` equals ``MS_*`` for all but relatime.
_KEPT_FLAGS = ((1, _MS_RDONLY), (2, _MS_NOSUID), (4, _MS_NODEV), (8, _MS_NOEXEC),
               (1024, _MS_NOATIME), (2048, _MS_NODIRATIME), (4096, _MS_RELATIME))  # fmt: skip


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


_SYS_MOUNT_SETATTR = 442  # the common table's number (x86_64, aarch64)
_AT_RECURSIVE = 0x8000
_MOUNT_ATTR_RDONLY, _MOUNT_ATTR_NOSUID, _MOUNT_ATTR_NODEV = 1, 2, 4


def _seal_submounts(target: str, device: bool) -> None:
    """Make every mount under ``target`` read-only too (a bind remount reaches only the top).

    ``mount_setattr`` (Linux 5.12) does it in one call; an older kernel has no way short of
    remounting each submount, and the paths bound here rarely have any, so it is skipped.
    """
    if os.uname().machine not in ("x86_64", "aarch64"):
        return
    flags = _MOUNT_ATTR_RDONLY | _MOUNT_ATTR_NOSUID | (0 if device else _MOUNT_ATTR_NODEV)
    attr = _MountAttr(flags, 0, 0, 0)
    result = _libc.syscall(
        _SYS_MOUNT_SETATTR, -100, target.encode(), _AT_RECURSIVE, ctypes.byref(attr), 32
    )  # -100: AT_FDCWD
    if result < 0 and ctypes.get_errno() != 38:  # ENOSYS: an older kernel
        _check(result, f"mount_setattr {target}")


def _bind_read_only(source_fd: int, target: str, device: bool) -> None:
    """Bind what ``source_fd`` names onto ``target`` and make that mount read-only."""
    mount(f"/proc/self/fd/{source_fd}", target, None, _MS_BIND | _MS_REC, None)
    flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | (0 if device else _MS_NODEV)
    current = os.statvfs(target).f_flag
    for bit, ms_flag in _KEPT_FLAGS:
        if current & bit:
            flags |= ms_flag
    mount("none", target, None, flags, None)
    _seal_submounts(target, device)


def _covered(path: str, others: list[str]) -> bool:
    """Whether a directory in ``others`` holds ``path`` (its bind mount brings it along)."""
    return any(path != other and path.startswith(other.rstrip("/") + "/") for other in others)


def minimal_root(anchor: str, readable: list[str], devices: tuple[str, ...]) -> None:
    """Make this mount namespace's root a new, read-only tree of exactly ``readable``.

    A fresh tmpfs on ``anchor`` gets a read-only bind of each readable path at the same path,
    the ``devices`` nodes in ``/dev``, and an empty ``/tmp`` to mount on; a top-level
    symlink (``/lib`` -> ``usr/lib``) is recreated as the same symlink. Then the tmpfs becomes
    ``/`` and the host's tree is detached: nothing else (``/proc``, ``/sys``, ``/home``,
    ``/run``, other users' sockets) exists for a process whose root this is, so no call
    (``stat``, ``readlink``, ``connect`` to a socket file, ``utime``, ``setxattr``) can reach
    it, and the host files that are there sit on read-only mounts. The caller must be in its
    own mount namespace with private propagation (:func:`make_mounts_private`).

    Sources are opened before the tmpfs hides ``anchor``, and bound through their
    descriptors, so a path under ``anchor`` (an interpreter in ``/tmp``) still binds.
    """
    sources: list[tuple[str, int | str, bool]] = []  # (path, descriptor or link target, device)
    present = [path for path in readable if os.path.lexists(path)]
    for path in present:
        if path == "/tmp" or path.startswith("/tmp/"):
            # Runs get a fresh tmpfs on /tmp, which would cover it: no interpreter there.
            raise OSError(f"{path} is under /tmp, where each run's own tmpfs goes")
    try:
        for path in [*present, *devices]:
            if _covered(path, present):
                continue
            if os.path.islink(path) and os.path.dirname(path) == "/":
                sources.append((path, os.readlink(path), False))
                continue
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a dangling link: nothing to bind
            sources.append((path, fd, path in devices))
        mount("tmpfs", anchor, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,nr_inodes=4096,mode=755")
        old_umask = os.umask(0o022)
        try:
            for path, source, device in sources:
                target = anchor.rstrip("/") + path
                os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
                if isinstance(source, str):
                    os.symlink(source, target)
                    continue
                if os.path.isdir(f"/proc/self/fd/{source}"):
                    os.makedirs(target, mode=0o755, exist_ok=True)
                else:
                    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
                _bind_read_only(source, target, device)
            os.mkdir(anchor.rstrip("/") + "/tmp", 0o755)
        finally:
            os.umask(old_umask)
    finally:
        for _, source, _ in sources:
            if isinstance(source, int):
                os.close(source)
    _pivot(anchor)


def _pivot(new_root: str) -> None:
    """Make ``new_root`` the root and detach the old one, then seal the new root read-only."""
    number = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if number is None:
        raise OSError(f"pivot_root: unknown architecture {os.uname().machine}")
    os.chdir(new_root)
    # pivot_root(".", "."): the old root ends up stacked on the new one at "/", where the
    # detach below takes it off; no directory for the old root is needed.
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    detach(".")
    os.chdir("/")
    mount("none", "/", None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV, None)


def probe() -> dict[str, str]:
    """Which layers this process could apply, each with ``"active"`` or why not.

    Runs the real calls in a throwaway child, so the answer is what a run would get.
    """
    report: dict[str, str] = {}
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read_end)
        lines = []
        for layer, action in _PROBES:
            try:
                action()
                lines.append(f"{layer}\tactive")
            except Exception as error:
                lines.append(f"{layer}\t{type(error).__name__}: {error}")
        os.write(write_end, "\n".join(lines).encode())
        os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    for line in b"".join(chunks).decode().splitlines():
        layer, _, state = line.partition("\t")
        report[layer] = state
    for layer in ALL_LAYERS:
        if layer != "cgroup":  # the server makes its group itself (see zygote.Server)
            report.setdefault(layer, "probe crashed")
    return report


def _probe_landlock() -> None:
    abi = landlock_abi()
    if abi == 0:
        raise OSError("kernel has no Landlock")
    no_new_privs()
    Landlock(abi, readable_paths([]), []).restrict()


def _probe_seccomp() -> None:
    no_new_privs()
    # As runs get it: the server's filter, and each child's on top. Both are built first,
    # as the server builds them: building one needs memfd_create, which they deny.
    server, run = Seccomp("server"), Seccomp("run")
    server.load()
    run.load()


def _probe_minimal_root() -> None:
    make_mounts_private()
    minimal_root("/tmp", readable_paths([]), DEVICES)


def _probe_uid() -> None:
    if USER_NAMESPACE["state"] == "entered":
        raise PermissionError(
            "not root: the user namespace maps only the caller's uid, which runs keep "
            "(with every capability dropped)"
        )
    if os.geteuid() != 0:
        raise PermissionError(
            f"not root, and no user namespace ({USER_NAMESPACE['state']}): cannot switch "
            "to a dedicated uid"
        )
    drop_privileges(UID_BASE + UID_SLOTS - 1)


_PROBES: tuple[tuple[str, Callable[[], None]], ...] = (
    ("pid_namespace", lambda: unshare(CLONE_NEWPID)),
    ("mount_namespace", lambda: unshare(CLONE_NEWNS)),
    ("net_namespace", lambda: unshare(CLONE_NEWNET)),
    ("ipc_namespace", lambda: unshare(CLONE_NEWIPC)),
    ("uts_namespace", lambda: unshare(CLONE_NEWUTS)),
    ("minimal_root", _probe_minimal_root),  # before seccomp, which denies mount
    ("rlimits", lambda: set_rlimits(60, 1 << 33, 4096, 1 << 30, 1024)),
    ("seccomp", _probe_seccomp),
    ("landlock", _probe_landlock),
    ("uid", _probe_uid),
)
