"""Character-level tokenizers built in code, so offline runs download nothing.

The tokenizer is a real Hugging Face fast tokenizer (a ``tokenizers`` WordLevel model
over single characters), saved next to the model with ``save_pretrained``: the model
directory is then an ordinary Hugging Face checkpoint that ``AutoTokenizer``, TRL and
our trainer all load the same way.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PAD, BOS, EOS, UNK = "<|pad|>", "<|bos|>", "<|eos|>", "<|unk|>"
SPECIALS = (PAD, BOS, EOS, UNK)
DEFAULT_CHARS = string.digits + string.ascii_lowercase + " +-*/=<>()[]{}.,:;?!'\"\n"
"""Enough for arithmetic with R1's ``<think>...</think>`` template."""


def build_char_tokenizer(chars: Iterable[str] = DEFAULT_CHARS) -> Any:
    """A ``PreTrainedTokenizerFast`` with one token per character plus four specials.

    Ids 0-3 are pad, bos, eos and unk; characters follow in the order given (duplicates
    dropped), so the same ``chars`` always give the same ids.

    Example:
        >>> tok = build_char_tokenizer("0123456789+=")
        >>> tok.decode(tok("12+3=")["input_ids"])
        '12+3='
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    # Every character is its own "word"; Fuse joins them back without spaces.
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token=PAD, bos_token=BOS, eos_token=EOS, unk_token=UNK
    )


def build_tiny_llama(
    path: str | Path,
    *,
    chars: Iterable[str] = DEFAULT_CHARS,
    hidden_size: int = 128,
    num_layers: int = 4,
    num_heads: int = 4,
    intermediate_size: int = 256,
    max_positions: int = 256,
    seed: int = 0,
) -> Path:
    """Write a freshly initialised Llama-style causal LM and its char tokenizer to ``path``.

    The defaults give ~0.66M parameters (hidden 128, 4 layers, tied embeddings): small
    enough to train with RL on two CPU cores in minutes.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_char_tokenizer(chars)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    path = Path(path)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
