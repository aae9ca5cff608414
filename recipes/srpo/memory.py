"""Per-GPU memory and disk estimates of a launch recipe, worked out from its composed verl config.

    python -m recipes.srpo.memory run_srpo_qwen2.5_32b.sh run_srpo_qwen2.5_7b.sh
    MAX_RESPONSE_LEN=32768 python -m recipes.srpo.memory run_srpo_qwen2.5_32b.sh --gpu-gb 80

The recipe's override list (``DRY_RUN=1``, with this environment's knobs) is composed with Hydra
against the installed verl, exactly as ``main_ppo`` composes it, and every figure is a formula of
that config and of the model's architecture (its ``config.json``). These are estimates, not
measurements: they count the big tensors (sharded model state, gathered weights, activations,
logits, entropy temporaries, vLLM's KV cache) and a flat allowance for the rest. 1 GB = 10^9 bytes.

Phases (verl 0.9.1, FSDP engine, Ulysses sequence parallel; recipes/srpo/README.md "Memory and disk"):

- training (``update_actor``): a micro-batch packs up to ``ppo_max_token_len_per_gpu`` x SP tokens
  over one SP group, so each GPU holds T = ``ppo_max_token_len_per_gpu`` tokens. Model state 16 B per
  parameter (fp32 weights, fp32 gradients, AdamW's two fp32 moments) over all FSDP ranks; the
  gathered bf16 weights of the root unit (embeddings, lm_head) and of two layers (the running and the
  prefetched one); each layer's input kept by gradient checkpointing (L x T x hidden x 2 B); then the
  larger of one layer's recompute (6 x T x intermediate x 2 B: MLP gate, up, activation, product and
  their gradients) and the logits with their gradient (2 x T x vocab x 2 B).
- log-probs (``compute_log_prob``, with entropy: verl's v1 trainer always asks for it): T =
  ``rollout.log_prob_max_token_len_per_gpu``, no gradients; fp32 weights only when offloaded (16 B
  per parameter otherwise), the larger of one layer's MLP (3 x T x intermediate x 2 B) and the bf16
  logits (T x vocab x 2 B) plus the entropy's temporaries: about 7 B per logit element unchunked
  (verl's docs/perf/perf_tuning.rst, "Memory optimization for entropy calculation from logits") or
  3 fp32 copies of one chunk (``entropy_from_logits_chunk_size`` rows) with chunking.
- rollout: vLLM takes ``gpu_memory_utilization`` of the GPU (weights 2 B x params / TP, an activation
  reserve, the rest KV cache), plus what the actor keeps resident (nothing when offloaded).
- checkpoint (``trainer.save_freq``): every rank writes its shard of the fp32 weights (4 B per
  parameter) and of AdamW's moments (8 B per parameter); verl's retention keeps at most
  ``max(max_actor_ckpt_to_keep, 2)`` on disk at once (the old one is deleted after the new one is written).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GB = 1e9
RECIPE_DIR = Path(__file__).resolve().parent
GPU_GB = 80.0  # the recipes' hardware: 80 GB cards (H100/H800/A100-80G)
RUNTIME_GB = 2.0  # CUDA contexts of the trainer and vLLM processes, NCCL buffers, fragmentation (assumed)
UNCHUNKED_ENTROPY_BYTES = 7  # per logit element: 4 (fp32) + 2 (autocast) + 1 (softmax), verl perf_tuning.rst


@dataclass(frozen=True)
class Architecture:
    """A decoder-only transformer with a gated MLP (Qwen2/Llama); fields as in its ``config.json``."""

    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    vocab_size: int
    max_position_embeddings: int
    tie_word_embeddings: bool
    attention_bias: bool = True  # Qwen2 has q/k/v biases

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def layer_params(self) -> int:
        h, d = self.hidden_size, self.head_dim
        q, kv = self.num_attention_heads * d, self.num_key_value_heads * d
        attention = h * (q + 2 * kv) + q * h + (q + 2 * kv if self.attention_bias else 0)
        return attention + 3 * h * self.intermediate_size + 2 * h  # + gated MLP + two RMSNorms

    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size * (1 if self.tie_word_embeddings else 2)  # embed (+ lm_head)

    def params(self) -> int:
        return self.embedding_params() + self.num_hidden_layers * self.layer_params() + self.hidden_size

    @classmethod
    def from_config_json(cls, path: Path) -> Architecture:
        c = json.loads(Path(path).read_text())
        return cls(c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["num_attention_heads"],
                   c.get("num_key_value_heads", c["num_attention_heads"]), c["vocab_size"],
                   c["max_position_embeddings"], bool(c.get("tie_word_embeddings", False)),
                   bool(c.get("attention_bias", c.get("model_type") == "qwen2")))


# Known models, from each model's config.json on the Hugging Face Hub (the Hub is not reachable from the tests):
# hidden, intermediate, layers, heads, KV heads, vocab, max positions, tied embeddings.
ARCHITECTURES = {
    # https://huggingface.co/Qwen/Qwen2.5-32B/blob/main/config.json (32,763,876,352 parameters)
    "Qwen/Qwen2.5-32B": Architecture(5120, 27648, 64, 40, 8, 152064, 131072, False),
    # https://huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json (7,615,616,512 parameters)
    "Qwen/Qwen2.5-7B": Architecture(3584, 18944, 28, 28, 4, 152064, 131072, False),
    # https://huggingface.co/Qwen/Qwen2.5-0.5B/blob/main/config.json (494,032,768 parameters)
    "Qwen/Qwen2.5-0.5B": Architecture(896, 4864, 24, 14, 2, 151936, 32768, True),
}


def architecture(model_path: str) -> Architecture:
    """The model's ``config.json`` when ``model_path`` is a local folder, else the known-models table."""
    config = Path(model_path).expanduser() / "config.json"
    if config.is_file():
        return Architecture.from_config_json(config)
    if model_path in ARCHITECTURES:
        return ARCHITECTURES[model_path]
    raise ValueError(f"unknown model {model_path!r}: point MODEL_PATH at a local folder with its config.json, "
                     f"or add it to ARCHITECTURES in {__file__} (known: {', '.join(ARCHITECTURES)}).")


def recipe_overrides(recipe: str, env: dict | None = None) -> list[str]:
    """The override list ``recipe`` (a ``run_*.sh`` name or path) hands to verl, with ``env``'s knobs."""
    path = Path(recipe) if Path(recipe).exists() else RECIPE_DIR / Path(recipe).name
    proc = subprocess.run(["bash", str(path)], capture_output=True, text=True, check=True,
                          env={**(os.environ if env is None else env), "DRY_RUN": "1"})
    return proc.stdout.splitlines()


def sp_size(cfg: Any) -> int:
    """The Ulysses size the FSDP engine uses: the actor's (deprecated) key wins when > 1, as in FSDPActorConfig."""
    actor = cfg.actor_rollout_ref.actor
    return actor.ulysses_sequence_parallel_size if actor.ulysses_sequence_parallel_size > 1 else \
        actor.fsdp_config.ulysses_sequence_parallel_size


def _entropy_bytes(tokens: int, vocab: int, engine: Any) -> tuple[float, str]:
    if engine.entropy_from_logits_with_chunking:
        rows = min(tokens, engine.entropy_from_logits_chunk_size)
        return 12 * rows * vocab, f"entropy in chunks of {rows:,} rows x 3 fp32 copies"
    return UNCHUNKED_ENTROPY_BYTES * tokens * vocab, f"entropy unchunked, {UNCHUNKED_ENTROPY_BYTES} B per logit"


def estimate(cfg: Any, arch: Architecture, gpu_gb: float = GPU_GB) -> dict[str, dict]:
    """``{phase: {"gb": per-GPU (or disk) estimate, "terms": [(name, GB)], ...}}`` for a composed verl config."""
    actor, rollout, trainer = cfg.actor_rollout_ref.actor, cfg.actor_rollout_ref.rollout, cfg.trainer
    engine = actor.fsdp_config
    n_gpus = trainer.nnodes * trainer.n_gpus_per_node
    p, h, inter, vocab, layers = (arch.params(), arch.hidden_size, arch.intermediate_size, arch.vocab_size,
                                  arch.num_hidden_layers)
    master = 4 if engine.model_dtype == "fp32" else 2
    state = (2 * master + 8) * p / n_gpus / GB  # weights + gradients + AdamW moments, sharded over all ranks
    gathered = 2 * (arch.embedding_params() + 2 * arch.layer_params()) / GB
    phases: dict[str, dict] = {}

    t = actor.ppo_max_token_len_per_gpu
    kept = layers * t * h * 2 if cfg.actor_rollout_ref.model.enable_gradient_checkpointing else \
        layers * t * (h + 4 * inter) * 2
    head = 2 * t * vocab * 2
    trains_entropy = actor.calculate_entropy or actor.entropy_coeff != 0
    if trains_entropy:
        head += _entropy_bytes(t, vocab, engine)[0]
    phases["training"] = _phase(
        [("model state", state), ("gathered weights", gathered), ("checkpointed layer inputs", kept / GB),
         ("max(layer recompute, logits + gradient)", max(6 * t * inter * 2, head) / GB), ("runtime", RUNTIME_GB)],
        tokens=t, entropy=trains_entropy)

    t = rollout.log_prob_max_token_len_per_gpu
    grads, moments = (0 if engine.param_offload else master), (0 if engine.optimizer_offload else 8)
    resident = (master + grads + moments) * p / n_gpus / GB  # weights are on the GPU for the forward
    entropy, how = _entropy_bytes(t, vocab, engine)
    head = t * vocab * 2 + entropy
    phases["log-probs"] = _phase(
        [("model state", resident), ("gathered weights", gathered),
         ("max(layer, logits + entropy)", max(3 * t * inter * 2, head) / GB), ("runtime", RUNTIME_GB)],
        tokens=t, entropy_gb=entropy / GB, entropy_how=how,
        unchunked_gb=UNCHUNKED_ENTROPY_BYTES * t * vocab / GB)

    tp = rollout.tensor_model_parallel_size
    vllm = rollout.gpu_memory_utilization * gpu_gb
    weights = 2 * p / tp / GB
    reserve = (rollout.max_num_batched_tokens * 2 * inter / tp * 2 + 3 * rollout.max_num_seqs * vocab * 4) / GB
    kv_per_token = 2 * layers * max(1, arch.num_key_value_heads // tp) * arch.head_dim * 2
    kv_tokens = max(0.0, vllm - weights - reserve) * GB / kv_per_token
    sequence = cfg.data.max_prompt_length + cfg.data.max_response_length
    actor_left = ((0 if engine.param_offload else 2 * master) + moments) * p / n_gpus / GB
    phases["rollout"] = _phase([("vLLM", vllm), ("actor resident", actor_left), ("runtime", RUNTIME_GB)],
                               weights=weights, reserve=reserve, kv_tokens=kv_tokens,
                               full_sequences=kv_tokens / sequence, cuda_graphs=not rollout.enforce_eager)

    contents = list(actor.checkpoint.save_contents)
    parts = [(f"{engine.model_dtype} weights", master if "model" in contents else 0),
             ("AdamW moments", 8 if "optimizer" in contents else 0),
             ("HF weights", master if "hf_model" in contents else 0)]
    parts = [(name, b) for name, b in parts if b]
    size = p * sum(b for _, b in parts) / GB
    steps, freq, keep = trainer.total_training_steps, trainer.save_freq, trainer.max_actor_ckpt_to_keep
    saves = math.ceil(steps / freq) if freq and freq > 0 and steps else 0
    on_disk = min(saves, max(keep, 2)) if keep and keep > 0 else saves
    phases["checkpoint"] = {"gb": size, "bytes": parts, "params": p, "saves": saves, "keep": keep,
                            "peak_gb": on_disk * size, "unretained_gb": saves * size}
    return phases


def _phase(terms: list[tuple[str, float]], **extra) -> dict:
    return {"gb": sum(gb for _, gb in terms), "terms": terms, **extra}


def render(name: str, cfg: Any, arch: Architecture, gpu_gb: float = GPU_GB) -> str:
    """The markdown block of recipes/srpo/README.md "Memory and disk" for one recipe."""
    e = estimate(cfg, arch, gpu_gb)
    trainer, rollout = cfg.trainer, cfg.actor_rollout_ref.rollout
    n_gpus = trainer.nnodes * trainer.n_gpus_per_node
    tr, lp, ro, ck = e["training"], e["log-probs"], e["rollout"], e["checkpoint"]

    def terms(phase: dict) -> str:
        return " + ".join(f"{name} {gb:.1f}" for name, gb in phase["terms"])

    unchunked = f" (unchunked: {lp['unchunked_gb']:.1f})" if lp["entropy_gb"] < lp["unchunked_gb"] else ""
    graphs = "; CUDA graphs on: their memory is not counted and stays through training" if ro["cuda_graphs"] else ""
    keep = f"keep {ck['keep']} -> {ck['peak_gb']:,.0f} GB at peak" if ck["keep"] and ck["keep"] > 0 else \
        "no retention"
    saves = f"{ck['saves']} saves: {keep}; {ck['unretained_gb']:,.0f} GB without retention" if ck["saves"] else \
        "never saved (trainer.save_freq <= 0)"
    title = (f"`{name}`: {cfg.actor_rollout_ref.model.path}, {arch.params() / 1e9:.2f} B parameters; "
             f"{trainer.nnodes} x {trainer.n_gpus_per_node} GPUs of {gpu_gb:.0f} GB; FSDP over {n_gpus}, "
             f"Ulysses SP {sp_size(cfg)}, vLLM TP {rollout.tensor_model_parallel_size}.")
    log_probs = (f"{lp['tokens']:,} tokens per GPU: {terms(lp)}; {lp['entropy_how']} {lp['entropy_gb']:.1f}"
                 f"{unchunked}")
    vllm = (f"{terms(ro)}; in vLLM: weights {ro['weights']:.1f}, activations ~{ro['reserve']:.1f}, KV cache for "
            f"{ro['kv_tokens']:,.0f} tokens = {ro['full_sequences']:.0f} full-length sequences per engine{graphs}")
    disk = (f"{sum(b for _, b in ck['bytes'])} B per parameter ({' + '.join(f'{n} {b}' for n, b in ck['bytes'])}) "
            f"x {ck['params']:,} parameters; {saves}")
    lines = [
        title,
        "",
        "| phase | per GPU | worked out (GB) |",
        "| --- | --- | --- |",
        f"| training | {tr['gb']:.1f} GB | {tr['tokens']:,} tokens per GPU: {terms(tr)} |",
        f"| log-probs | {lp['gb']:.1f} GB | {log_probs} |",
        f"| rollout | {ro['gb']:.1f} GB | {vllm} |",
        f"| checkpoint (disk) | {ck['gb']:,.1f} GB each | {disk} |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None, env: dict | None = None) -> int:
    from verl_srpo.compose import compose_verl

    parser = argparse.ArgumentParser(prog="python -m recipes.srpo.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("recipes", nargs="+", help="run_*.sh names (in recipes/srpo/) or paths; knobs come from env")
    parser.add_argument("--gpu-gb", type=float, default=GPU_GB, help="memory of one GPU in GB (default 80)")
    args = parser.parse_args(argv)
    blocks = []
    for recipe in args.recipes:
        cfg = compose_verl(recipe_overrides(recipe, env))
        blocks.append(render(Path(recipe).name, cfg, architecture(cfg.actor_rollout_ref.model.path), args.gpu_gb))
    print("\n\n".join(blocks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
