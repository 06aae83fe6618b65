"""Each language end to end: correct programs pass; wrong ones fail with the right status.

One table per language, the same problems and the same kinds of wrong answer for each (wrong
output, a runtime error, a loop past the time limit, a compile error, a memory blow-up), run
through the verifier as a trainer would. A language whose toolchain is not installed is
skipped, naming the Debian package (``.ci/run`` installs them all).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from verigrade.sandbox import Limits, Sandbox, SandboxDegraded, toolchains
from verigrade.sandbox.toolchains import TOOLS, ToolchainMissing, locate
from verigrade.verifiers import Sample
from verigrade.verifiers.code import CodeVerifier
from verigrade.verifiers.code.build import CompileError, build
from verigrade.verifiers.code.extract import LANGUAGE_TAGS
from verigrade.verifiers.code.languages import LANGUAGES as LANGUAGES_BY_NAME
from verigrade.verifiers.code.languages import java_names

# Sum of two 64-bit integers: the second test overflows 32 bits.
ADD = {
    "tests": [
        {"input": "1 2\n", "output": "3\n"},
        {"input": "4000000000 5000000000\n", "output": "9000000000\n"},
    ]
}
# n, then n words: print them sorted, one per line, then how many were distinct.
SORT = {
    "tests": [
        {"input": "3\npear apple pear\n", "output": "apple\npear\npear\n2\n"},
        {"input": "1\nz\n", "output": "z\n1\n"},
    ]
}

PROGRAMS: dict[str, dict[str, str]] = {
    "java": {
        "add": """
import java.util.*;
public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        System.out.println(in.nextLong() + in.nextLong());
    }
}""",
        # No public class, a helper class first, and the main class not named Main.
        "sort": """
import java.io.*;
import java.util.*;
class Helper { static int distinct(String[] w) { return new HashSet<>(Arrays.asList(w)).size(); } }
class Solution {
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(in.readLine().trim());
        String[] words = in.readLine().trim().split(" ");
        Arrays.sort(words);
        StringBuilder out = new StringBuilder();
        for (String w : words) out.append(w).append('\\n');
        System.out.print(out);
        System.out.println(Helper.distinct(words));
    }
}""",
        "wrong": """
import java.util.*;
public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        System.out.println((int) in.nextLong() + (int) in.nextLong());
    }
}""",
        "runtime_error": """
public class Main {
    public static void main(String[] args) { int[] a = new int[1]; System.out.println(a[5]); }
}""",
        "timeout": """
public class Main {
    public static void main(String[] args) { long x = 0; while (true) { x += System.nanoTime() % 7; } }
}""",
        "compile_error": """
public class Main {
    public static void main(String[] args) { int x = "not an int"; }
}""",
        "memory": """
import java.util.*;
public class Main {
    public static void main(String[] args) {
        List<long[]> hog = new ArrayList<>();
        while (true) hog.add(new long[1 << 20]);
    }
}""",
    },
    "javascript": {
        "add": """
const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(BigInt);
console.log((a + b).toString());""",
        "sort": """
const lines = require("fs").readFileSync(0, "utf8").split("\\n");
const words = lines[1].trim().split(" ").sort();
console.log(words.join("\\n"));
console.log(new Set(words).size);""",
        "wrong": """
const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);
console.log((a + b) | 0);""",
        "runtime_error": """
const data = require("fs").readFileSync(0, "utf8");
console.log(data.missing.length);""",
        "timeout": "let x = 0;\nwhile (true) { x = (x + 1) % 7; }",
        "compile_error": "function main( {\n  console.log(1);\n}",
        "memory": "const hog = [];\nwhile (true) hog.push(new Array(1 << 20).fill(1.5));",
    },
    "go": {
        "add": """
package main

import "fmt"

func main() {
    var a, b int64
    fmt.Scan(&a, &b)
    fmt.Println(a + b)
}""",
        "sort": """
package main

import (
    "bufio"
    "fmt"
    "os"
    "sort"
)

func main() {
    in := bufio.NewReader(os.Stdin)
    var n int
    fmt.Fscan(in, &n)
    words := make([]string, n)
    seen := map[string]bool{}
    for i := range words {
        fmt.Fscan(in, &words[i])
        seen[words[i]] = true
    }
    sort.Strings(words)
    for _, w := range words {
        fmt.Println(w)
    }
    fmt.Println(len(seen))
}""",
        "wrong": """
package main

import "fmt"

func main() {
    var a, b int64
    fmt.Scan(&a, &b)
    fmt.Println(int32(a + b))
}""",
        "runtime_error": """
package main

import "fmt"

func main() {
    var m map[string]int
    m["x"] = 1
    fmt.Println(m)
}""",
        "timeout": "package main\n\nfunc main() {\n    x := 0\n    for {\n        x = (x + 1) % 7\n    }\n}",
        "compile_error": "package main\n\nfunc main() {\n    x := 1\n}",
        "memory": """
package main

func main() {
    var hog [][]byte
    for {
        chunk := make([]byte, 1<<20)
        for i := range chunk {
            chunk[i] = 1
        }
        hog = append(hog, chunk)
    }
}""",
    },
    "rust": {
        "add": """
use std::io::Read;
fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();
    println!("{}", v[0] + v[1]);
}""",
        "sort": """
use std::collections::HashSet;
use std::io::Read;
fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    let mut words: Vec<&str> = s.split_whitespace().skip(1).collect();
    words.sort();
    for w in &words { println!("{}", w); }
    println!("{}", words.iter().collect::<HashSet<_>>().len());
}""",
        "wrong": """
use std::io::Read;
fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();
    println!("{}", (v[0] + v[1]) as i32);
}""",
        "runtime_error": """
fn main() {
    let v: Vec<i32> = Vec::new();
    let i = std::env::args().count() + 4;
    println!("{}", v[i]);
}""",
        "timeout": "fn main() {\n    let mut x: u64 = 0;\n    loop { x = std::hint::black_box(x + 1); }\n}",
        "compile_error": 'fn main() {\n    let x: i32 = "not an int";\n}',
        "memory": """
fn main() {
    let mut hog: Vec<Vec<u8>> = Vec::new();
    loop { hog.push(vec![1u8; 1 << 20]); }
}""",
    },
}

#: What a memory blow-up's reason may say, by language: the cgroup's kill, or the runtime's own
#: end when it reaches its limit first (Java's heap, V8's heap, an allocation RLIMIT_AS refused).
MEMORY_REASONS = {
    "java": ("memory limit exceeded", "OutOfMemoryError"),
    "javascript": ("memory limit exceeded", "SIGABRT"),
    "go": ("memory limit exceeded", "out of memory"),
    "rust": ("memory limit exceeded", "SIGABRT"),
}

OPTIONS = {"test_seconds": 2.0, "memory_mb": 256}


def installed(language: str) -> str | None:
    """Why ``language`` cannot be tested here, or None."""
    try:
        locate(language)
    except ToolchainMissing as error:
        return str(error)
    return None


def verify(language: str, name: str, reference: dict[str, Any]) -> Any:
    problem = installed(language)
    if problem is not None:
        pytest.skip(problem)
    fence = {"javascript": "js", "go": "golang", "rust": "rs"}.get(language, language)
    completion = f"Here it is.\n```{fence}\n{PROGRAMS[language][name].strip()}\n```\n"
    verifier = CodeVerifier.from_options({"language": language, **OPTIONS})
    return verifier.verify(Sample(completion=completion, reference=reference))


LANGUAGES = sorted(PROGRAMS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "reference"), [("add", ADD), ("sort", SORT)])
def test_a_correct_program_passes(language: str, name: str, reference: dict[str, Any]) -> None:
    verdict = verify(language, name, reference)
    assert (verdict.status, verdict.score) == ("ok", 1.0), verdict.reason
    assert verdict.details["language"] == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_answer_fails_the_test_it_gets_wrong(language: str) -> None:
    verdict = verify(language, "wrong", ADD)
    assert (verdict.status, verdict.score) == ("ok", 0.5), verdict.reason
    first, second = verdict.details["tests"]
    assert first["status"] == "passed"
    assert second["status"] == "failed" and "differs" in second["reason"], second


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_runtime_error_fails_every_test(language: str) -> None:
    verdict = verify(language, "runtime_error", ADD)
    assert (verdict.status, verdict.score) == ("ok", 0.0), verdict.reason
    for test in verdict.details["tests"]:
        assert test["status"] == "failed", test
        assert test["reason"].startswith(("exit status", "killed by")), test


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_loop_past_the_limit_times_out(language: str) -> None:
    verdict = verify(language, "timeout", ADD)
    assert (verdict.status, verdict.score) == ("timeout", 0.0), verdict.reason
    assert {test["status"] for test in verdict.details["tests"]} == {"timeout"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_compile_error_is_reported_with_the_compilers_first_lines(language: str) -> None:
    verdict = verify(language, "compile_error", ADD)
    assert (verdict.status, verdict.score) == ("ok", 0.0), verdict.reason
    assert verdict.reason.startswith("compile error: ")
    assert "rror" in verdict.reason, verdict.reason  # error / Error / SyntaxError
    assert {test["status"] for test in verdict.details["tests"]} == {"compile_error"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_memory_blow_up_fails_on_memory(language: str) -> None:
    verdict = verify(language, "memory", ADD)
    assert (verdict.status, verdict.score) == ("ok", 0.0), verdict.reason
    for test in verdict.details["tests"]:
        assert test["status"] == "failed", test
        assert any(word in test["reason"] for word in MEMORY_REASONS[language]), test


def test_every_language_of_the_option_has_a_toolchain_entry() -> None:
    options = CodeVerifier.options_schema()["properties"]["language"]["enum"]
    assert set(options) == {"python", *TOOLS}
    assert set(PROGRAMS) | {"python", "c", "cpp"} == set(options)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # javac wants the file named after the public class; that class runs.
        ("public class Solution { public static void main(String[] a) {} }", ("Solution.java", "Solution")),
        # A public nested class is not top-level; comments and strings do not count.
        (
            "// public class Fake {}\nclass Main { String s = \"class Nope\";\n"
            "  public static class Node {}\n  public static void main(String[] a) {} }",
            ("Main.java", "Main"),
        ),
        # No public class: the last class declared before main.
        ("class A {}\nclass B { static void main(String[] a) {} }", ("Main.java", "B")),
        # A package prefixes the class the JVM is told to run.
        ("package p.q;\npublic final class Main { }", ("Main.java", "p.q.Main")),
    ],
)  # fmt: skip
def test_java_file_and_class_names(source: str, expected: tuple[str, str]) -> None:
    assert java_names(source) == expected


EXTRA = {
    ("java", "package"): """
package contest.round1;
import java.util.*;
public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        System.out.println(in.nextLong() + in.nextLong());
    }
}""",
    ("javascript", "module"): """
import { readFileSync } from "fs";
const [a, b] = readFileSync(0, "utf8").trim().split(/\\s+/).map(BigInt);
console.log(String(a + b));""",
    ("javascript", "require_main"): """
function main() {
    const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(BigInt);
    console.log(String(a + b));
}
if (require.main === module) main();""",
}


@pytest.mark.parametrize(("language", "name"), sorted(EXTRA))
def test_language_specific_forms_pass(language: str, name: str) -> None:
    # A Java package, an ES module, a CommonJS main guard: each must run as written.
    PROGRAMS[language][name] = EXTRA[(language, name)]
    try:
        verdict = verify(language, name, ADD)
    finally:
        del PROGRAMS[language][name]
    assert (verdict.status, verdict.score) == ("ok", 1.0), verdict.reason


@pytest.fixture
def no_toolchains(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """A machine where no toolchain is installed: the search path is an empty directory."""
    monkeypatch.setattr(toolchains, "_SEARCH", str(tmp_path))
    toolchains._locate.cache_clear()
    yield
    toolchains._locate.cache_clear()


@pytest.mark.parametrize(
    ("language", "package"),
    [("java", "default-jdk-headless"), ("javascript", "nodejs"), ("go", "golang-go"),
     ("rust", "rustc-web"), ("cpp", "g++")],
)  # fmt: skip
def test_a_missing_toolchain_is_an_error_naming_the_package(
    no_toolchains: None, language: str, package: str
) -> None:
    completion = f"```\n{PROGRAMS.get(language, {}).get('add', 'int main(){}')}\n```"
    verifier = CodeVerifier.from_options({"language": language})
    verdict = verifier.verify(Sample(completion=completion, reference=ADD))
    assert (verdict.status, verdict.score) == ("error", 0.0)
    assert f"install the Debian package {package}" in verdict.reason, verdict.reason


def test_an_old_rustc_is_the_machines_fault_not_the_programs() -> None:
    # bookworm's rustc 1.63 panics without /proc ("failed to get current_exe"): a compile
    # error there would score every Rust program 0 for the machine's sake.
    output = "thread 'rustc' panicked at 'failed to get current_exe: no /proc/self/exe available"
    fault = LANGUAGES_BY_NAME["rust"].machine_fault(output)
    assert fault is not None and "rustc-web" in fault
    assert LANGUAGES_BY_NAME["rust"].machine_fault("error[E0308]: mismatched types") is None


DOC = (Path(__file__).resolve().parents[3] / "docs" / "code.md").read_text()
LANGUAGE_SECTION = DOC[DOC.index("## Languages") :]


def test_the_documented_language_table_is_the_code() -> None:
    # docs/code.md's table: each language's fence tags and Debian package, as the code has them.
    header = "| `language` | fence tags | Debian package |"
    lines = LANGUAGE_SECTION.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header)) + 2
    documented = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        documented[cells[0].strip("`")] = (re.findall(r"`([^`]+)`", cells[1]), cells[2])
    assert set(documented) == set(LANGUAGE_TAGS)
    for language, (tags, package) in documented.items():
        assert tuple(tags) == LANGUAGE_TAGS[language], language
        if language != "python":
            assert package == f"`{TOOLS[language].package}`", language


def test_the_documented_recipe_runs() -> None:
    problem = installed("java")
    if problem is not None:
        pytest.skip(problem)
    block = LANGUAGE_SECTION.split("````python\n", 1)[1].split("\n````", 1)[0]
    *body, last = block.splitlines()
    expression, _, comment = last.partition("  # ")
    namespace: dict[str, Any] = {}
    exec("\n".join(body), namespace)
    assert eval(expression, namespace) == float(comment)


def test_every_language_runs_in_a_sandbox_without_the_minimal_root() -> None:
    # Where the minimal root is missing (no mount namespace for a normal user), the host's
    # tree is there behind Landlock: a runtime that opens a host file it may not read (node's
    # /etc/ssl/openssl.cnf) must still start.
    box = Sandbox(disable=["minimal_root"])
    try:
        with pytest.warns(SandboxDegraded):
            box.active_layers()
        for language in LANGUAGES:
            if installed(language) is not None:
                continue
            program = build(box, PROGRAMS[language]["add"].strip(), language, 256)
            assert not isinstance(program, CompileError), (language, program.reason)
            result = program.run(box, stdin=b"2 3\n", limits=Limits(memory_bytes=256 << 20))
            assert (result.status, result.stdout) == ("ok", b"5\n"), (language, result)
    finally:
        box.close()
