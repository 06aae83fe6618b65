"""The sandbox suite's hostile programs, in each language that has a runtime of its own.

Java, JavaScript, Go and Rust programs are built and run exactly as the ``code`` verifier does
(``build`` and ``Built.run``, with the runtime's flags and its wide address space), then checked
from the host: a fork bomb and a thread bomb stop at the process limit, no file appears outside
the run's directory, no connection reaches a host listener, and no process outlives the run
(the autouse check in ``conftest``, for every test here).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from collections.abc import Iterator

import pytest
from verigrade.sandbox import Limits, RunResult, Sandbox
from verigrade.sandbox.toolchains import ToolchainMissing, locate
from verigrade.verifiers.code.build import Built, CompileError, build

LIMITS = Limits(wall_seconds=6.0, cpu_seconds=4.0, memory_bytes=512 << 20)

#: The processes and threads a run may have (Limits' default, counted by RLIMIT_NPROC and the
#: cgroup): a bomb's own count of what it started must stay below it.
PROCESS_LIMIT = LIMITS.processes

FORK_BOMB = {
    "java": """
import java.util.*;
public class Main {
    public static void main(String[] args) {
        List<Process> started = new ArrayList<>();
        try {
            while (true) started.add(new ProcessBuilder("/bin/sh", "-c", "sleep 60").start());
        } catch (Throwable e) {
            System.out.println("started " + started.size());
        }
    }
}""",
    "javascript": """
const { spawn } = require("child_process");
let started = 0;
function next() {
    const child = spawn("/bin/sh", ["-c", "sleep 60"]);
    child.on("error", () => { console.log("started " + started); process.exit(0); });
    child.on("spawn", () => { started++; setImmediate(next); });
}
next();""",
    "go": """
package main

import (
    "fmt"
    "os/exec"
)

func main() {
    started := 0
    for {
        if err := exec.Command("/bin/sh", "-c", "sleep 60").Start(); err != nil {
            break
        }
        started++
    }
    fmt.Println("started", started)
}""",
    "rust": """
use std::process::Command;
fn main() {
    let mut started = Vec::new();
    while let Ok(child) = Command::new("/bin/sh").args(["-c", "sleep 60"]).spawn() {
        started.push(child);
    }
    println!("started {}", started.len());
}""",
}

THREAD_BOMB = {
    "java": """
public class Main {
    public static void main(String[] args) {
        int started = 0;
        try {
            while (true) {
                Thread t = new Thread(() -> { try { Thread.sleep(60000); } catch (Exception e) {} });
                t.setDaemon(true);
                t.start();
                started++;
            }
        } catch (Throwable e) {
            System.out.println("started " + started);
        }
    }
}""",
    "javascript": """
const { Worker } = require("worker_threads");
let started = 0;
function next() {
    let worker;
    try {
        worker = new Worker("setInterval(() => {}, 1000)", { eval: true });
    } catch (e) {
        console.log("started " + started);
        process.exit(0);
    }
    worker.on("error", () => { console.log("started " + started); process.exit(0); });
    worker.on("online", () => { started++; next(); });
}
next();""",
    # Each goroutine locks an OS thread and blocks in a system call: one thread apiece.
    "go": """
package main

import (
    "runtime"
    "syscall"
)

func main() {
    for {
        go func() {
            runtime.LockOSThread()
            var forever syscall.Timespec
            forever.Sec = 60
            syscall.Nanosleep(&forever, nil)
        }()
    }
}""",
    "rust": """
use std::thread;
use std::time::Duration;
fn main() {
    let mut started = 0;
    while thread::Builder::new().spawn(|| thread::sleep(Duration::from_secs(60))).is_ok() {
        started += 1;
    }
    println!("started {}", started);
}""",
}

WRITES = {
    "java": """
import java.nio.file.*;
public class Main {
    public static void main(String[] args) {
        for (String path : args[0].split(",")) {
            try { Files.writeString(Path.of(path), "escaped"); System.out.println("wrote " + path); }
            catch (Exception e) { System.out.println("refused " + path); }
        }
    }
}""",
    "javascript": """
const fs = require("fs");
for (const path of process.argv[2].split(",")) {
    try { fs.writeFileSync(path, "escaped"); console.log("wrote " + path); }
    catch (e) { console.log("refused " + path); }
}""",
    "go": """
package main

import (
    "fmt"
    "os"
    "strings"
)

func main() {
    for _, path := range strings.Split(os.Args[1], ",") {
        if err := os.WriteFile(path, []byte("escaped"), 0o644); err != nil {
            fmt.Println("refused", path)
        } else {
            fmt.Println("wrote", path)
        }
    }
}""",
    "rust": """
fn main() {
    let paths = std::env::args().nth(1).unwrap();
    for path in paths.split(',') {
        match std::fs::write(path, "escaped") {
            Ok(_) => println!("wrote {}", path),
            Err(_) => println!("refused {}", path),
        }
    }
}""",
}

CONNECT = {
    "java": """
import java.net.*;
public class Main {
    public static void main(String[] args) {
        for (String target : new String[] {"127.0.0.1:" + args[0], "1.1.1.1:80"}) {
            String[] hp = target.split(":");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 1000);
                s.getOutputStream().write("escaped".getBytes());
                System.out.println("connected " + target);
            } catch (Exception e) {
                System.out.println("refused " + target);
            }
        }
    }
}""",
    "javascript": """
const net = require("net");
const targets = [["127.0.0.1", Number(process.argv[2])], ["1.1.1.1", 80]];
function next() {
    const target = targets.shift();
    if (!target) return;
    const socket = net.connect({ host: target[0], port: target[1], timeout: 1000 });
    socket.on("connect", () => { socket.write("escaped"); console.log("connected " + target); socket.end(); next(); });
    socket.on("error", () => { console.log("refused " + target); next(); });
    socket.on("timeout", () => { console.log("refused " + target); socket.destroy(); next(); });
}
next();""",
    "go": """
package main

import (
    "fmt"
    "net"
    "os"
    "time"
)

func main() {
    for _, target := range []string{"127.0.0.1:" + os.Args[1], "1.1.1.1:80"} {
        conn, err := net.DialTimeout("tcp", target, time.Second)
        if err != nil {
            fmt.Println("refused", target)
            continue
        }
        conn.Write([]byte("escaped"))
        conn.Close()
        fmt.Println("connected", target)
    }
}""",
    "rust": """
use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;
fn main() {
    let port = std::env::args().nth(1).unwrap();
    for target in [format!("127.0.0.1:{}", port), "1.1.1.1:80".to_string()] {
        match TcpStream::connect_timeout(&target.parse().unwrap(), Duration::from_secs(1)) {
            Ok(mut s) => { let _ = s.write_all(b"escaped"); println!("connected {}", target); }
            Err(_) => println!("refused {}", target),
        }
    }
}""",
}

# A detached child in its own session, meant to outlive the run; conftest's check fails the
# test if any process of the sandbox uid is left once the run has returned.
DAEMON = {
    "java": """
public class Main {
    public static void main(String[] args) throws Exception {
        new ProcessBuilder("/bin/sh", "-c", "sleep 60 &").inheritIO().start().waitFor();
        System.out.println("detached");
    }
}""",
    "javascript": """
const { spawn } = require("child_process");
const child = spawn("/bin/sh", ["-c", "sleep 60"], { detached: true, stdio: "ignore" });
child.unref();
console.log("detached");""",
    "go": """
package main

import (
    "fmt"
    "os/exec"
    "syscall"
)

func main() {
    cmd := exec.Command("/bin/sh", "-c", "sleep 60")
    cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
    if err := cmd.Start(); err != nil {
        fmt.Println("refused", err)
        return
    }
    fmt.Println("detached")
}""",
    "rust": """
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
fn main() {
    Command::new("/bin/sh").args(["-c", "sleep 60"]).process_group(0)
        .stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    println!("detached");
}""",
}

LANGUAGES = sorted(FORK_BOMB)

_built: dict[tuple[str, str], Built] = {}


def built(box: Sandbox, language: str, source: str) -> Built:
    """``source`` built as the verifier builds it (once per module), or the test skipped."""
    try:
        locate(language)
    except ToolchainMissing as error:
        pytest.skip(str(error))
    key = (language, source)
    if key not in _built:
        program = build(box, source.strip(), language, LIMITS.memory_bytes >> 20)
        assert not isinstance(program, CompileError), program.reason
        _built[key] = program
    return _built[key]


def run(box: Sandbox, language: str, source: str, *args: str) -> RunResult:
    program = built(box, language, source)
    # Arguments as a judge's checker gets them: after the runtime's own argv.
    assert program.argv is not None
    with_args = Built(program.language, program.source, [*program.argv, *args], program.files)
    result = with_args.run(box, stdin=b"", limits=LIMITS)
    assert result.sandbox_error is None, result.sandbox_error
    return result


def started(result: RunResult) -> int | None:
    match = re.search(rb"started (\d+)", result.stdout)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_fork_bomb_stops_at_the_process_limit(box: Sandbox, language: str) -> None:
    result = run(box, language, FORK_BOMB[language])
    count = started(result)
    assert count is not None, (result.status, result.stdout, result.stderr[-500:])
    assert count < PROCESS_LIMIT, count


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_thread_bomb_stops_at_the_process_limit(box: Sandbox, language: str) -> None:
    result = run(box, language, THREAD_BOMB[language])
    count = started(result)
    if count is None:  # the runtime gave up itself: Go dies when it cannot make a thread
        assert result.status != "ok", result  # its dying words may pass the output cap
        assert re.search(rb"thread|resource|memory", result.stderr, re.IGNORECASE), result
    else:
        assert count < PROCESS_LIMIT, count
        # Nothing but the program's own words on stdout: the JVM logs a thread it could not
        # start, and that log must not land in the answer.
        assert re.fullmatch(rb"started \d+\n", result.stdout), result.stdout


@pytest.fixture
def host_dir() -> Iterator[str]:
    """An open host directory (not /tmp, which the fork server covers with its own tmpfs)."""
    path = tempfile.mkdtemp(prefix="verigrade-host-", dir="/var/tmp")
    os.chmod(path, 0o777)
    yield path
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    os.rmdir(path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_file_is_written_outside_the_working_directory(
    box: Sandbox, language: str, host_dir: str
) -> None:
    escape = f"escape-{language}"
    targets = [
        f"{host_dir}/{escape}",
        f"/tmp/{escape}",
        f"/etc/{escape}",
        f"/usr/bin/{escape}",
        f"/usr/lib/{escape}",
        f"/dev/{escape}",
        f"../{escape}",
        f"/proc/self/{escape}",
    ]
    for path in targets:
        assert not os.path.exists(path)
    result = run(box, language, WRITES[language], ",".join([*targets, "mine.txt"]))
    lines = result.stdout.decode().splitlines()
    assert lines == [f"refused {path}" for path in targets] + ["wrote mine.txt"], result
    for path in targets:
        assert not os.path.exists(path), path


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_connection_leaves_the_run(box: Sandbox, language: str) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        result = run(box, language, CONNECT[language], str(port))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()
    lines = result.stdout.decode().replace(",", ":").splitlines()  # node prints [host, port]
    assert lines == [f"refused 127.0.0.1:{port}", "refused 1.1.1.1:80"], result


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_daemon_does_not_outlive_the_run(box: Sandbox, language: str) -> None:
    result = run(box, language, DAEMON[language])
    assert (result.status, result.stdout) == ("ok", b"detached\n"), result
    # conftest's autouse check: no process of the sandbox uid is left.
