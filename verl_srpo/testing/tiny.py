"""Tiny tokenizers and a tiny random Qwen2, built offline: the one fixture builder of the project.

Tests, the release kit's fixture (``release/fixture.py``), the GPU smoke task (``benchmarks/e2e``) and the
CPU harness all need "a model" that is real (verl, vLLM and transformers load it as they load Qwen2.5)
but costs nothing: a few-thousand-parameter Qwen2 with random weights and a tokenizer trained here, on the
texts the caller will use, so that those texts tokenize into real merges. What differs between callers is
a parameter: the texts, the vocabulary size, the special tokens, the chat template, the model's shape.

* :func:`bpe_tokenizer`: byte-level BPE (as Qwen2's), ``texts`` as the training corpus;
* :func:`word_tokenizer`: one token per whitespace-separated word of ``texts`` (the CPU harness, which
  counts response lengths in words);
* :func:`tiny_qwen2`: a random Qwen2 for a tokenizer, saved with it as a Hugging Face folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END)  # Qwen2.5's: the ids 0, 1, 2 of a tokenizer built here
# Qwen2.5's ChatML, cut down: <|im_start|>role\ncontent<|im_end|>\n, and the assistant's turn to generate.
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
# A 2-layer Qwen2 with the real architecture (GQA): ~0.1 M parameters with a 400-token vocabulary.
TINY_QWEN2 = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "num_key_value_heads": 1, "max_position_embeddings": 2048}


def bpe_tokenizer(texts: list[str], vocab_size: int = 400, *, special_tokens: tuple[str, ...] = SPECIAL_TOKENS,
                  eos: str = IM_END, pad: str = ENDOFTEXT, chat_template: str | None = CHATML,
                  split_digits: bool = False, vocab: dict[str, int] | None = None, **kwargs: Any) -> Any:
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained offline on ``texts`` (no Hub).

    Args:
        texts: the training corpus (repeat short ones: BPE merges need counts).
        vocab_size: the vocabulary's size, special tokens and the 256 byte symbols included.
        special_tokens: added first, so their ids are 0, 1, ...
        eos, pad: the end-of-sequence and padding tokens (one of ``special_tokens`` each).
        chat_template: a Jinja chat template, or None.
        split_digits: one token per digit, as Qwen2's pre-tokenizer does (arithmetic stays learnable).
        vocab: a fixed ``{token: id}`` with no merges instead of training on ``texts`` (e.g. one token per
            character, so that any text decodes and re-encodes to the same tokens).
        kwargs: more ``PreTrainedTokenizerFast`` arguments (``additional_special_tokens``, ``model_max_length``).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]) if vocab is not None else models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level]) \
        if split_digits else byte_level
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(special_tokens), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    if vocab is None:
        tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=eos, pad_token=pad, **kwargs)
    if chat_template is not None:
        fast.chat_template = chat_template
    return fast


def word_tokenizer(texts: list[str], pad: str | None = "[PAD]") -> Any:
    """A word-level ``PreTrainedTokenizerFast`` over the words of ``texts`` (``[UNK]`` is id 0, ``pad`` id 1;
    verl pads with the padding token)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = sorted({w for t in texts for w in t.split()} - {"[UNK]", pad})
    vocab = ["[UNK]", *([pad] if pad else []), *words]
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", **({"pad_token": pad} if pad else {}))


def tiny_qwen2(out: str | Path, tokenizer: Any, *, seed: int = 0, pad_vocab_to: int = 1,
               generation: dict | None = None, dtype: Any = None, **config: Any) -> Path:
    """A random Qwen2 for ``tokenizer``, saved with it to ``out`` (safetensors); returns ``out``.

    Args:
        seed: ``torch.manual_seed`` for the weights.
        pad_vocab_to: round the embedding rows up to a multiple of this (64 suits GPU kernels).
        generation: a ``generation_config.json`` to save (e.g. ``{"max_new_tokens": 2048}``), or None.
        dtype: the weights' dtype on disk (default float32).
        config: ``Qwen2Config`` fields over :data:`TINY_QWEN2` and the tokenizer's eos/pad ids, with tied
            embeddings (e.g. ``hidden_size=128``, ``tie_word_embeddings=False``).
    """
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    vocab = -(-len(tokenizer) // pad_vocab_to) * pad_vocab_to
    fields = {**TINY_QWEN2, "vocab_size": vocab, "eos_token_id": tokenizer.eos_token_id,
              "pad_token_id": tokenizer.pad_token_id, "tie_word_embeddings": True,
              "architectures": ["Qwen2ForCausalLM"], **config}
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(Qwen2Config(**fields))
    if dtype is not None:
        model = model.to(dtype)
    if generation is not None:
        model.generation_config = GenerationConfig(**generation)
    out = Path(out)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out
