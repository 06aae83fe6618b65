"""Finding the program in a completion."""

from __future__ import annotations

import pytest
from verigrade.verifiers.code.extract import extract_program


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("```python\nprint(1)\n```", "python", "print(1)"),
        ("```py\na\n```\nthen\n```python\nb\n```", "python", "b"),  # the last block
        ("```python\na\n```\n```text\nnot code\n```", "python", "a"),  # other tags ignored
        ("```\nuntagged\n```", "python", "untagged"),
        ("```python\na\n```\n```\nb\n```", "python", "a"),  # tagged beats untagged
        ("no code at all", "python", None),
        ("```python\nprint(1)", "python", None),  # unclosed: truncated generation
        ("```python\n\n```", "python", None),  # empty
        ("````python\nx = '```'\n````", "python", "x = '```'"),  # longer fence
        (
            "<think>\n```python\nwrong\n```\n</think>\n```cpp\nint main(){}\n```",
            "cpp",
            "int main(){}",
        ),
        ("```C\nint main(){}\n```", "c", "int main(){}"),
        ("  ```python\n  indented\n  ```", "python", "  indented"),
        # The tags models write for the other languages (GitHub's linguist names and aliases).
        ("```Java\nclass A {}\n```", "java", "class A {}"),
        ("```js\nf()\n```\n```javascript\ng()\n```", "javascript", "g()"),
        ("```node\nf()\n```", "javascript", "f()"),
        ("```typescript\nlet x: number\n```", "javascript", None),  # not JavaScript
        ("```golang\npackage main\n```", "go", "package main"),
        ("```rs\nfn main(){}\n```", "rust", "fn main(){}"),
        ("```rust\nfn main(){}\n```\n```python\nx\n```", "rust", "fn main(){}"),
    ],
)
def test_extraction(text: str, language: str, expected: str | None) -> None:
    assert extract_program(text, language) == expected


def test_first_block_and_untagged_off() -> None:
    text = "```python\na\n```\n```python\nb\n```"
    assert extract_program(text, "python", which="first") == "a"
    assert extract_program("```\nx\n```", "python", accept_untagged=False) is None
