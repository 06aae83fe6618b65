"""What ``select`` writes is what TRL trains on: TRL's own ``SFTTrainer`` and ``DPOTrainer``
take each shape (strings, chat messages, ``messages``) for a step, from real model outputs,
and read the prompt and completion sides where ``select`` put them."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from verigrade.verifiers import SelectOptions, select

pytest.importorskip("trl", reason="TRL is installed by scripts/setup.sh; absent here")
pytestmark = [
    # transformers 5 renamed gradient checkpointing; TRL 1.16 still reads the old names.
    pytest.mark.filterwarnings(
        r"ignore:`\w*gradient_checkpointing\w*` is deprecated:FutureWarning"
    ),
]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "select" / "math_samples.jsonl"
TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer Llama and a character tokenizer with a chat template, on disk (DPO loads
    its reference model from the path)."""
    from transformers import LlamaConfig, LlamaForCausalLM
    from verigrade.trainer_client.trainer.tokenizer import build_char_tokenizer

    tokenizer = build_char_tokenizer(string.printable)
    tokenizer.chat_template = TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=8192,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("tiny")
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def rows(chat: bool) -> Iterator[dict[str, Any]]:
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if chat:
            row["prompt"] = [{"role": "user", "content": row["prompt"]}]
        yield row


def selected(tmp: Path, chat: bool, fmt: str) -> tuple[Path, Path]:
    options = SelectOptions(min_reward=1.0, best_k=2, pairs_per_prompt=1, format=fmt)  # type: ignore[arg-type]
    sft, dpo = tmp / "sft.jsonl", tmp / "dpo.jsonl"
    with open(sft, "w") as s, open(dpo, "w") as d:
        for selection in select(rows(chat), {"math": 1.0}, options, workers=0):
            s.writelines(json.dumps(r) + "\n" for r in selection.sft)
            d.writelines(json.dumps(r) + "\n" for r in selection.pairs)
    return sft, dpo


def config(kind: Any, tmp: Path) -> Any:
    return kind(
        output_dir=str(tmp / "out"), max_steps=1, per_device_train_batch_size=2,
        max_length=4096, report_to=[], use_cpu=True, save_strategy="no", disable_tqdm=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("chat", "fmt", "columns"),
    [
        (False, "prompt-completion", ["prompt", "completion"]),
        (True, "prompt-completion", ["prompt", "completion"]),
        (False, "messages", ["messages"]),
    ],
)
def test_sft_trainer_trains_on_the_rows(
    model_dir: Path, tmp_path: Path, chat: bool, fmt: str, columns: list[str]
) -> None:
    from datasets import load_dataset
    from trl import SFTConfig, SFTTrainer
    from trl.data_utils import is_conversational

    sft, _ = selected(tmp_path, chat, fmt)
    data = load_dataset("json", data_files=str(sft), split="train")
    assert data.column_names == columns and len(data) == 9
    assert is_conversational(data[0]) == (chat or fmt == "messages")
    trainer = SFTTrainer(
        model=str(model_dir), args=config(SFTConfig, tmp_path), train_dataset=data.select(range(4))
    )
    labels = trainer.train_dataset[0]["labels"]
    trained = sum(label != -100 for label in labels)
    if "completion" in columns:
        # TRL saw a prompt and a completion: the loss is on the completion (one token per
        # character, + EOS, + the template's few) and the prompt is masked out.
        row = data[0]
        completion, prompt = row["completion"], row["prompt"]
        text = completion if isinstance(completion, str) else completion[0]["content"]
        asked = prompt if isinstance(prompt, str) else prompt[0]["content"]
        assert len(text) + 1 <= trained <= len(text) + 3
        assert len(labels) - trained >= len(asked)
    else:
        assert trained == len(labels)  # one chat, all of it trained on
    result = trainer.train()
    assert result.global_step == 1 and result.training_loss > 0


@pytest.mark.parametrize("chat", [False, True])
def test_dpo_trainer_trains_on_the_pairs(model_dir: Path, tmp_path: Path, chat: bool) -> None:
    from datasets import load_dataset
    from trl import DPOConfig, DPOTrainer

    _, dpo = selected(tmp_path, chat, "prompt-completion")
    data = load_dataset("json", data_files=str(dpo), split="train")
    assert data.column_names == ["prompt", "chosen", "rejected"] and len(data) == 3
    trainer = DPOTrainer(
        model=str(model_dir), args=config(DPOConfig, tmp_path), train_dataset=data.select(range(2))
    )
    first, source = trainer.train_dataset[0], data[0]
    chosen = (
        source["chosen"] if isinstance(source["chosen"], str) else source["chosen"][0]["content"]
    )
    rejected = source["rejected"]
    rejected = rejected if isinstance(rejected, str) else rejected[0]["content"]
    # TRL found the prompt and the two sides where select put them.
    assert len(first["chosen_ids"]) >= len(chosen) and len(first["rejected_ids"]) >= len(rejected)
    assert len(first["prompt_ids"]) >= len(
        source["prompt"] if not chat else source["prompt"][0]["content"]
    )
    result = trainer.train()
    assert result.global_step == 1
