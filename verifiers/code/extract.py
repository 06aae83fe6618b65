"""Find the program in a completion: a fenced Markdown code block of the wanted language."""

from __future__ import annotations

import re

_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n`]*$")

LANGUAGE_TAGS: dict[str, tuple[str, ...]] = {
    "python": ("python", "py", "python3", "py3"),
    "c": ("c",),
    "cpp": ("cpp", "c++", "cc", "cxx", "cplusplus"),
    "java": ("java",),
    "javascript": ("javascript", "js", "node", "nodejs", "mjs", "cjs"),
    "go": ("go", "golang"),
    "rust": ("rust", "rs"),
}
"""Fence info strings that mean each language (compared lower-cased)."""


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Every closed fenced block as ``(info tag lower-cased, body)``, in order.

    A block closes on a line of the same fence character at least as long as the opener;
    an unclosed block (a truncated generation) is not a program and is left out.
    """
    blocks: list[tuple[str, str]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, tag = match.group(1), match.group(2).lower()
        for j in range(i + 1, len(lines)):
            closer = lines[j].strip()
            if closer and set(closer) == {fence[0]} and len(closer) >= len(fence):
                blocks.append((tag, "\n".join(lines[i + 1 : j])))
                i = j + 1
                break
        else:
            break
    return blocks


def extract_program(
    text: str, language: str, *, which: str = "last", accept_untagged: bool = True
) -> str | None:
    """The code block to run, or None when the completion has none.

    Args:
        text: the completion.
        language: a key of :data:`LANGUAGE_TAGS`.
        which: ``"last"`` (R1-style answers end with the final program) or ``"first"``.
        accept_untagged: when no block is tagged with the language, use untagged blocks.

    Example:
        >>> extract_program("try\\n```python\\nprint(1)\\n```", "python")
        'print(1)'
    """
    blocks = fenced_blocks(text)
    tags = LANGUAGE_TAGS[language]
    chosen = [body for tag, body in blocks if tag in tags]
    if not chosen and accept_untagged:
        chosen = [body for tag, body in blocks if tag == ""]
    chosen = [body for body in chosen if body.strip()]
    if not chosen:
        return None
    return chosen[-1] if which == "last" else chosen[0]
