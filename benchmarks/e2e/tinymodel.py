"""The tiny base model of the smoke run: a random Qwen2 with a byte-level BPE tokenizer trained offline.

The tokenizer is trained on the warm-up texts (rendered with the chat template, so the system prompt and
the tags become few tokens) and splits digits one by one, as Qwen2's does, so arithmetic is learnable.
ChatML template: ``<|im_start|>role\\ncontent<|im_end|>\\n``; a reply ends with ``<|im_end|>`` (eos).

    python -m benchmarks.e2e.tinymodel --sft WORK/data/sft.jsonl --out WORK/model/base
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from verl_srpo.testing.tiny import ENDOFTEXT, IM_END, IM_START, bpe_tokenizer, tiny_qwen2

EOS, PAD = IM_END, ENDOFTEXT
# (ours) big enough to learn the task family in a minute of GPU warm-up, small enough for CPU tests.
# head_dim 64: the shape shared/gpu/make_tiny.py ran with vLLM's FlashAttention 3 on the H100.
MODEL_SHAPE = {"hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 3, "num_attention_heads": 2,
               "num_key_value_heads": 2, "head_dim": 64}


def read_sft(path: str | Path) -> list[dict]:
    """The warm-up pairs written by ``tinytask``: ``{"messages", "response", "domain", "level"}`` per line."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    if not rows or not {"messages", "response"} <= set(rows[0]):
        raise ValueError(f"{path}: expected JSON lines with 'messages' and 'response' (python -m benchmarks.e2e.tinytask)")
    return rows


def train_tokenizer(texts: list[str], vocab_size: int = 1024):
    """A ``PreTrainedTokenizerFast``: byte-level BPE over ``texts``, digits split, ChatML template."""
    return bpe_tokenizer(texts, vocab_size, eos=EOS, pad=PAD, split_digits=True, additional_special_tokens=[IM_START],
                         model_max_length=1024)


def build_base(sft_path: str | Path, out: str | Path, seed: int = 0) -> Path:
    """Train the tokenizer on the warm-up set and save it with a random Qwen2 (bf16-ready, fp32 on disk)."""
    rows = read_sft(sft_path)
    scratch = train_tokenizer(["x"], vocab_size=300)  # only to render the chat template for the corpus
    texts = [scratch.apply_chat_template(r["messages"], tokenize=False, add_generation_prompt=True)
             + r["response"] + EOS for r in rows]
    tok = train_tokenizer(texts)
    ids = {"eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id, "bos_token_id": tok.pad_token_id}
    return tiny_qwen2(out, tok, seed=seed, pad_vocab_to=64, generation=ids, max_position_embeddings=1024,
                      rope_theta=10000.0, bos_token_id=tok.pad_token_id, **MODEL_SHAPE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sft", required=True, help="sft.jsonl from benchmarks.e2e.tinytask")
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = build_base(args.sft, args.out, args.seed)
    from transformers import AutoConfig, AutoTokenizer

    tok, cfg = AutoTokenizer.from_pretrained(out), AutoConfig.from_pretrained(out)
    print(f"base model {out}: vocab {len(tok)} (padded {cfg.vocab_size}), hidden {cfg.hidden_size}, "
          f"layers {cfg.num_hidden_layers}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
