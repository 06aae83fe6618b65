"""Turning OpenRLHF's ``query`` strings (prompt + response, special tokens kept) back
into the response the model wrote."""

from __future__ import annotations

# End-of-turn and padding tokens of common chat templates (Qwen, Llama 2/3, Mistral,
# Phi, Gemma, DeepSeek). OpenRLHF decodes without skipping special tokens, so these
# trail (and pad tokens may lead) the text.
SPECIAL_TOKENS = (
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "</s>",
    "<|end|>",
    "<eos>",
    "<end_of_turn>",
    "<|end▁of▁sentence|>",
    "<\uff5cend\u2581of\u2581sentence\uff5c>",  # DeepSeek (full-width bars)
    "<pad>",
    "<|pad|>",
)


def split_response(query: str, prompt: str | None) -> str:
    """The response part of ``query``: the text after ``prompt`` (wherever left padding
    put it), with trailing special tokens and whitespace removed. Without a prompt, or
    when the prompt is not found, the whole query is graded."""
    response = query
    if prompt:
        at = query.find(prompt)
        if at >= 0:
            response = query[at + len(prompt) :]
    return strip_trailing_tokens(response)


def strip_trailing_tokens(text: str) -> str:
    """``text`` without trailing end-of-turn/padding tokens."""
    text = text.rstrip()
    stripped = True
    while stripped:
        stripped = False
        for token in SPECIAL_TOKENS:
            if text.endswith(token):
                text = text[: -len(token)].rstrip()
                stripped = True
    return text
