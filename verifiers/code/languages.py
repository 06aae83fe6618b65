"""How a program of each language is compiled and run in the sandbox.

Each language is a :class:`Language`: the shell command that compiles a sample once, in the
sandbox (its stdout is the product, which comes back and is handed to every run), the limits
of that compile, and how a run starts the product under the run's limits.

The managed runtimes reserve far more address space than they touch: the JVM its heap, code
cache, class space and a stack per thread; Go its arena and page-summary maps (a hello-world
needs ~700 MB of address space); V8 its code range. A per-process address-space limit equal to
the memory limit kills them before ``main`` (measured: a JVM needs ~1 GB of address space
beyond its heap with its class space and code cache capped as here, 2 GB without). So their runs get an address-space limit of memory plus a reserve, while the
sandbox's memory cgroup holds the whole run to the memory limit itself, counting only pages
touched; and each runtime is told the limit too, so it collects garbage before the cgroup
kills it (``-Xmx``, ``GOMEMLIMIT``, ``--max-old-space-size``). Without the cgroup layer
(a degraded sandbox) such a run may use up to memory plus reserve.

Runtime threads: the JVM gets one GC thread (``-XX:+UseSerialGC``) and sees one processor;
Go runs with ``GOMAXPROCS=1``; V8 gets one platform worker. The CPU limit counts every
thread, so a runtime's helpers must not eat a run's CPU time, and the process limit counts
every thread too (the JVM starts ~15).

Paths come from :func:`verigrade.sandbox.toolchains.locate`, resolved: runs have no
``/etc/alternatives`` and no ``/proc`` (so no ``$ORIGIN`` in library paths: the JDK's
libraries are named with ``LD_LIBRARY_PATH``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace

from verigrade.sandbox import Limits
from verigrade.sandbox.toolchains import locate

#: The longest compile any language is given (the verifier's deadline counts on it).
COMPILE_SECONDS = 20.0


@dataclass(frozen=True)
class CompileStep:
    """One sample's compile: what to run in the sandbox and what the runs then get."""

    source_name: str
    command: str
    """Run by ``/bin/sh`` in the work directory; its stdout is the product."""
    limits: Limits
    product: str | None
    """The file name the product is given in each run's directory; None: the source alone."""
    argv: list[str]
    """What the runtime runs (the product, a class, a script); see :meth:`Language.launch`."""


class Language:
    """A compiled (or checked) language whose programs run as a command. Subclasses say how."""

    name = ""
    source_name = "main"
    compile_seconds = COMPILE_SECONDS
    compile_memory_mb = 2048
    reserve_mb = 0
    """Address space the runtime reserves beyond what it touches (see the module docstring)."""

    def step(self, source: str, interpreter: str) -> CompileStep:
        """The compile of ``source``; ``interpreter`` is the sandbox's Python, for packing."""
        raise NotImplementedError

    def launch(self, argv: list[str], limits: Limits) -> tuple[list[str], Limits]:
        """The command and limits of one run of the built ``argv`` under ``limits``."""
        return argv, self._widen(limits)

    def machine_fault(self, compiler_output: str) -> str | None:
        """Why a failed compile is the toolchain's fault, not the program's (None: it is not)."""
        return None

    def _compile_limits(self) -> Limits:
        seconds = min(self.compile_seconds, COMPILE_SECONDS)
        return self._widen(
            Limits(
                wall_seconds=seconds,
                cpu_seconds=seconds,
                memory_bytes=self.compile_memory_mb << 20,
                processes=64,  # compilers' own threads (rustc, the go command, javac's JVM)
                output_bytes=64 << 20,
            )
        )

    def _widen(self, limits: Limits) -> Limits:
        if not self.reserve_mb:
            return limits
        return replace(limits, address_space_bytes=limits.memory_bytes + (self.reserve_mb << 20))

    def _native(self, command: str) -> CompileStep:
        """A compile whose product is one executable, ``prog``."""
        # The compiler's own stdout joins its stderr: only the product may be on stdout.
        return CompileStep(
            self.source_name,
            f"{command} >&2 && cat prog",
            self._compile_limits(),
            "prog",
            ["./prog"],
        )


def _memory_mb(limits: Limits) -> int:
    return limits.memory_bytes >> 20


class C(Language):
    name, source_name = "c", "main.c"

    def step(self, source: str, interpreter: str) -> CompileStep:
        gcc = locate("c")["gcc"]
        return self._native(f"{gcc} -std=gnu17 -O2 -pipe -o prog main.c -lm")


class Cpp(Language):
    name, source_name = "cpp", "main.cpp"

    def step(self, source: str, interpreter: str) -> CompileStep:
        gxx = locate("cpp")["g++"]
        return self._native(f"{gxx} -std=gnu++17 -O2 -pipe -o prog main.cpp")


class Rust(Language):
    name, source_name = "rust", "main.rs"

    def step(self, source: str, interpreter: str) -> CompileStep:
        tools = locate("rust")
        # Stripped: the standard library's symbols would make the binary ~10 MB, copied into
        # every run's directory. No debug info. rustc finds no cc (an /etc/alternatives link).
        return self._native(
            f"{tools['rustc']} --edition 2021 -O -C debuginfo=0 -C strip=symbols "
            f"-C linker={tools['gcc']} -o prog main.rs",
        )

    def machine_fault(self, compiler_output: str) -> str | None:
        if "current_exe" in compiler_output:
            return (
                "this rustc needs /proc/self/exe to find its standard library, and sandboxed "
                "runs have no /proc: install the Debian package rustc-web (Rust 1.85 or later)"
            )
        return None


class Go(Language):
    name, source_name = "go", "main.go"
    compile_memory_mb = 1024
    reserve_mb = 1024

    def step(self, source: str, interpreter: str) -> CompileStep:
        go = locate("go")["go"]
        goroot = go.rsplit("/bin/", 1)[0]
        # GOPATH mode, no network, no toolchain switch: only the standard library imports.
        # The build cache is $HOME/.cache (HOME is the run's directory): the standard library
        # comes precompiled with Debian's Go 1.19, so only main is compiled. Not -trimpath:
        # it changes every package's build ID, and the whole library would be rebuilt.
        env = (
            f"/usr/bin/env GOROOT={goroot} GOMAXPROCS=2 CGO_ENABLED=0 GO111MODULE=off "
            "GOPROXY=off GOTOOLCHAIN=local GOTELEMETRY=off GOFLAGS="
        )
        return self._native(f"{env} {go} build -p 1 -ldflags='-s -w' -o prog main.go")

    def launch(self, argv: list[str], limits: Limits) -> tuple[list[str], Limits]:
        # One thread runs Go code; the collector works harder as the heap nears the limit;
        # a panic prints its message alone, so it is the last line (the reason a failed run
        # reports) rather than a goroutine dump.
        memory = _memory_mb(limits)
        env = ["/usr/bin/env", "GOMAXPROCS=1", f"GOMEMLIMIT={memory * 7 // 8}MiB"]
        env.append("GOTRACEBACK=none")
        return [*env, *argv], self._widen(limits)


class JavaScript(Language):
    name, source_name = "javascript", "main.js"
    compile_seconds = 10.0
    compile_memory_mb = 512
    reserve_mb = 1024

    #: One V8 platform worker; no OpenSSL configuration file: node reads the host's
    #: /etc/ssl/openssl.cnf at start and, where Landlock refuses it (a sandbox without the
    #: minimal root, which hides it instead), will not start at all.
    NODE_FLAGS = ("--v8-pool-size=1", "--openssl-config=/dev/null")

    def step(self, source: str, interpreter: str) -> CompileStep:
        node = locate("javascript")["node"]
        # Nothing to compile, but a syntax error is found once, and reported as a compile
        # error rather than as a failed run per test. ES module syntax needs the .mjs name.
        name = "main.mjs" if _ES_MODULE.search(source) else "main.js"
        command = f"{node} {' '.join(self.NODE_FLAGS)} --check {name}"
        return CompileStep(name, command, self._compile_limits(), None, [name])

    def launch(self, argv: list[str], limits: Limits) -> tuple[list[str], Limits]:
        node = locate("javascript")["node"]
        # The heap may take the whole limit, as for Java: the cgroup holds the run to it.
        flags = [*self.NODE_FLAGS, f"--max-old-space-size={_memory_mb(limits)}"]
        return [node, *flags, *argv], self._widen(limits)


_ES_MODULE = re.compile(r"^\s*(import\s.*\sfrom\s|import\s*['\"{*]|export\s)", re.MULTILINE)


class Java(Language):
    name, source_name = "java", "Main.java"
    compile_memory_mb = 1024
    reserve_mb = 2048

    #: Flags of every JVM here, compiler's and program's: its log on stderr, one GC thread,
    #: one processor seen, no shared-memory perf file, the class-data archive when there is one.
    JVM_FLAGS = (
        # The JVM's warnings (a thread it could not start, say) go to stdout by default,
        # into the answer: stderr instead.
        "-Xlog:disable",
        "-Xlog:all=warning:stderr",
        "-XX:+UseSerialGC",
        "-XX:ActiveProcessorCount=1",
        "-XX:-UsePerfData",
        "-Xshare:auto",
    )

    #: Caps on what the JVM reserves up front for itself: 1 GB of class space and 240 MB of
    #: code cache by default, which took a hello-world's address space from ~0.9 GB past 2 GB.
    RESERVATIONS = ("-XX:CompressedClassSpaceSize=64m", "-XX:ReservedCodeCacheSize=128m")

    def _env(self) -> tuple[str, str]:
        javac = locate("java")["javac"]
        home = javac.rsplit("/bin/", 1)[0]
        # Libraries by LD_LIBRARY_PATH: the launcher's $ORIGIN would need /proc/self/exe.
        return home, f"/usr/bin/env LD_LIBRARY_PATH={home}/lib MALLOC_ARENA_MAX=2"

    def step(self, source: str, interpreter: str) -> CompileStep:
        home, env = self._env()
        file_name, main_class = java_names(source)
        jvm = " ".join(
            f"-J{flag}" for flag in (*self.JVM_FLAGS, *self.RESERVATIONS, "-XX:TieredStopAtLevel=1")
        )
        javac = (
            f"{env} {home}/bin/javac -J-Xmx512m {jvm} -proc:none -encoding UTF-8 -nowarn "
            f"-d classes {shlex.quote(file_name)}"
        )
        # Every class (nested, anonymous, in a package) packed into one jar by the sandbox's
        # own Python, so one file comes back, read only by the JVM of each run.
        pack = f"{interpreter} -I -S -c {shlex.quote(_PACK_JAR)}"
        return CompileStep(
            file_name,
            f"{javac} >&2 && {pack} && cat prog.jar",
            self._compile_limits(),
            "prog.jar",
            ["-cp", "prog.jar", main_class],
        )

    def launch(self, argv: list[str], limits: Limits) -> tuple[list[str], Limits]:
        home, env = self._env()
        # As judges run Java: the heap may take the whole limit (the cgroup kills a run whose
        # heap and the JVM's own memory together pass it), the old generation five sixths of
        # it (so one array may be most of the limit), and a big stack for deep recursion (the
        # cgroup counts only the pages a stack touches).
        # A heap that runs out ends the run, saying so on its last line of stderr (the
        # reason a failed run reports), not with a stack trace the program may even catch;
        # the JVM's own messages go to stderr, never into the answer.
        heap = _memory_mb(limits)
        flags = [f"-Xmx{heap}m", "-Xms8m", "-XX:NewRatio=5", "-Xss64m"]
        flags += ["-XX:+ExitOnOutOfMemoryError", "-XX:+DisplayVMOutputToStderr"]
        flags += [*self.JVM_FLAGS, *self.RESERVATIONS]
        return [*env.split(), f"{home}/bin/java", *flags, *argv], self._widen(limits)


_PACK_JAR = """\
import os, zipfile
with zipfile.ZipFile("prog.jar", "w") as jar:
    for top, _, names in os.walk("classes"):
        for name in sorted(names):
            path = os.path.join(top, name)
            jar.write(path, os.path.relpath(path, "classes"))
"""

_JAVA_NOISE = re.compile(
    r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL
)
_JAVA_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)
_JAVA_TOKENS = re.compile(
    r"[{}]"
    r"|\b(?P<modifiers>(?:(?:public|final|abstract|strictfp|static|sealed)\s+)*)"
    r"(?:class|record|enum|interface)\s+(?P<name>\w+)"
    r"|\bstatic\s+(?:final\s+)?void\s+main\s*\("
)


def java_names(source: str) -> tuple[str, str]:
    """The file name javac needs for ``source`` and the class to run, from the source alone.

    javac insists that a public top-level class be in a file of its name (else the file is
    ``Main.java``). The class run is the top-level class holding the first ``main`` method,
    else the public one, else ``Main``. Comments and literals are ignored; a package
    prefixes the class.

    Example:
        >>> java_names("public class Solution { public static void main(String[] a) {} }")
        ('Solution.java', 'Solution')
    """
    code = _JAVA_NOISE.sub(" ", source)
    depth, public, current, runner = 0, None, None, None
    for token in _JAVA_TOKENS.finditer(code):
        text = token.group(0)
        if text in "{}":
            depth += 1 if text == "{" else -1
        elif token.group("name") is not None:
            if depth == 0:
                current = token.group("name")
                if public is None and "public" in token.group("modifiers").split():
                    public = current
        elif runner is None and depth > 0:
            runner = current
    package = _JAVA_PACKAGE.search(code)
    prefix = f"{package.group(1)}." if package else ""
    return f"{public or 'Main'}.java", prefix + (runner or public or "Main")


LANGUAGES: dict[str, Language] = {
    language.name: language for language in (C(), Cpp(), Rust(), Go(), JavaScript(), Java())
}
"""Every language but Python (which runs from source on the sandbox's warm interpreter)."""
