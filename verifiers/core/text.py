"""Text helpers shared by verifiers: splitting reasoning from the answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThinkSplit:
    """A completion cut at its reasoning tags.

    ``reasoning`` is None when no closing tag was found; ``answer`` is what follows
    the last closing tag (the whole text when there is none).
    """

    reasoning: str | None
    answer: str


def split_think(text: str, open_tag: str = "<think>", close_tag: str = "</think>") -> ThinkSplit:
    """Split ``text`` into reasoning and answer.

    The reasoning runs from the first ``open_tag`` (or the start, since many chat
    templates put the opening tag in the prompt) to the last ``close_tag``.
    """
    end = text.rfind(close_tag)
    if end < 0:
        return ThinkSplit(None, text)
    start = text.find(open_tag, 0, end)
    start = 0 if start < 0 else start + len(open_tag)
    return ThinkSplit(text[start:end], text[end + len(close_tag) :])


def answer_text(text: str, close_tag: str = "</think>") -> str:
    """What follows the last reasoning block: the part an accuracy verifier should read."""
    end = text.rfind(close_tag)
    return text if end < 0 else text[end + len(close_tag) :]
