"""A tiny, real verl FSDP actor checkpoint (random Qwen2 + offline tokenizer), for tests and demos.

``build_fsdp_checkpoint(root)`` writes ``root/global_step_1/actor`` exactly the way a verl run does:
the model is wrapped with torch FSDP2 (``fully_shard`` per decoder layer, then the root, as verl's
``apply_fsdp2``) on a CPU/gloo process group of ``world_size`` processes, and verl's own
``FSDPCheckpointManager.save_checkpoint`` writes ``model_world_size_W_rank_R.pt``, the optimizer and
extra state, ``fsdp_config.json`` and ``huggingface/`` (config + tokenizer). Nothing is faked: the
release kit then merges it with verl's own ``verl.model_merger``.

    python -m release fixture --out /tmp/srpo-fixture
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Text the fixture tokenizer is trained on: the prompt template plus some arithmetic, so that the
# documented prompt tokenizes into real merges rather than bytes.
_CORPUS = [
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it.",
    "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags.",
    "User: What is 1 + 1? Put the final answer inside the <answer> </answer> tags. Assistant: <think>",
    "Wait, let me recheck and verify: 1 + 1 = 2. </think> <answer> 2 </answer>",
    "Write a complete Python 3 solution. Put the final program in one fenced code block ```python```.",
]


def build_tokenizer(vocab_size: int = 384):
    """A byte-level BPE tokenizer trained offline on ``_CORPUS``, with Qwen2.5's special tokens and a cut-down
    ChatML chat template (the release checks that a chat template ships)."""
    from verl_srpo.testing.tiny import ENDOFTEXT, bpe_tokenizer

    return bpe_tokenizer(_CORPUS * 4, vocab_size, eos=ENDOFTEXT, pad=ENDOFTEXT)


def build_base_model(out_dir: str | Path, seed: int = 0) -> Path:
    """A random tiny Qwen2 saved as a Hugging Face folder: the stand-in for ``Qwen/Qwen2.5-32B``: 2 layers, GQA
    (4 heads, 2 KV heads), an untied head, ~0.1 M parameters. Qwen2.5 base ships a generation_config.json;
    verl copies it into the checkpoint's huggingface/."""
    from verl_srpo.testing.tiny import tiny_qwen2

    return tiny_qwen2(out_dir, build_tokenizer(), seed=seed, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=512, tie_word_embeddings=False, bos_token_id=0,
                      generation={"bos_token_id": 0, "eos_token_id": 0, "max_new_tokens": 2048})


def _save_rank(rank: int, world_size: int, init_file: str, actor_dir: str, base_dir: str) -> None:
    """One FSDP rank: wrap the same random model, take an optimizer step, save with verl's manager."""
    import torch
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from verl.utils.checkpoint.fsdp_checkpoint_manager import FSDPCheckpointManager

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world_size)
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
        mesh = init_device_mesh("cpu", mesh_shape=(world_size,), mesh_dim_names=("fsdp",))
        for layer in model.model.layers:  # verl's apply_fsdp2: each decoder layer, then the root
            fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        # AdamW betas (0.9, 0.95), lr 1e-6: docs/SRPO.md ("Loss and optimiser").
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6, betas=(0.9, 0.95))
        ids = torch.tensor([tokenizer("User: What is 1 + 1? Assistant: <think>")["input_ids"]])
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        manager = FSDPCheckpointManager(model=model, optimizer=optimizer, processing_class=tokenizer)
        manager.save_checkpoint(actor_dir, global_step=1)
    finally:
        dist.destroy_process_group()


def build_fsdp_checkpoint(root: str | Path, world_size: int = 2, seed: int = 0) -> Path:
    """Write a real verl FSDP actor checkpoint under ``root``; returns ``root/global_step_1/actor``.

    ``root/base_model`` holds the random starting weights (verl loads the actor from such a folder).
    """
    base_dir = build_base_model(Path(root) / "base_model", seed)
    return save_actor_checkpoint(base_dir, Path(root) / "global_step_1" / "actor", world_size)


def save_actor_checkpoint(model_dir: str | Path, actor_dir: str | Path, world_size: int = 1) -> Path:
    """Write a real verl FSDP actor checkpoint of the HF model in ``model_dir`` to ``actor_dir``.

    ``world_size`` CPU ranks on a gloo group wrap the model with FSDP2 and save it with verl's own
    ``FSDPCheckpointManager`` (see ``_save_rank``).
    """
    import torch.multiprocessing as mp

    actor_dir = Path(actor_dir)
    actor_dir.parent.mkdir(parents=True, exist_ok=True)
    fd, init_file = tempfile.mkstemp(prefix="srpo-fsdp-", suffix=".rendezvous")
    os.close(fd)
    os.unlink(init_file)  # gloo's FileStore creates it
    try:
        mp.start_processes(
            _save_rank, args=(world_size, init_file, str(actor_dir), str(model_dir)), nprocs=world_size,
            start_method="spawn",
        )
    finally:
        Path(init_file).unlink(missing_ok=True)
    return actor_dir


FIXTURE_SHARD_SIZE = "40KB"  # small enough that the ~90 KB fixture is split into an index + 3 shards
AIME_FIXTURE = [  # two AIME-style rows in eval's local-file format (columns of HuggingFaceH4/aime_2024)
    {"id": "fixture-1", "problem": "What is 1 + 1?", "answer": "2", "solution": "", "url": "", "year": 2024},
    {"id": "fixture-2", "problem": "What is 2 + 3?", "answer": "5", "solution": "", "url": "", "year": 2024},
]


def write_run_config(path: str | Path, base_model: str | Path) -> Path:
    """Compose verl's real ``ppo_trainer`` + ``+plugin=verl_srpo`` for a tiny run and save it as hydra does.

    The SRPO values (estimator, loss, optimiser, HR, stages) are the plugin's; the scale is the fixture's.
    """
    from omegaconf import OmegaConf

    from verl_srpo.compose import compose_verl

    overrides = [
        "+plugin=verl_srpo",
        f"actor_rollout_ref.model.path={base_model}",
        "actor_rollout_ref.actor.strategy=fsdp2",
        "actor_rollout_ref.actor.ppo_mini_batch_size=2",
        "actor_rollout_ref.rollout.n=2",
        "data.train_batch_size=2",
        "data.max_response_length=64",
        "data.train_files=fixture/train.parquet",
        "trainer.total_training_steps=1",
    ]
    config = compose_verl(overrides)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(config, path)
    return path


def build_release_fixture(root: str | Path) -> dict[str, str]:
    """Everything ``make release`` needs, built for real: checkpoint, merged folder, run config, evaluation.

    Returns the Makefile variables (``CKPT``, ``OUT``, ``RUN_CONFIG``, ``EVAL``, ``MAX_SHARD_SIZE``).
    """
    import json

    from verl_srpo.eval.cli import main as eval_main
    from verl_srpo.release.merge import merge_fsdp_checkpoint

    root = Path(root)
    actor = build_fsdp_checkpoint(root / "checkpoints")
    run_config = write_run_config(root / "run" / ".hydra" / "config.yaml", root / "checkpoints" / "base_model")
    out = merge_fsdp_checkpoint(actor, root / "release", FIXTURE_SHARD_SIZE)
    data = root / "data" / "aime24.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("".join(json.dumps(row) + "\n" for row in AIME_FIXTURE))
    eval_dir = root / "eval" / "aime24"
    code = eval_main([
        "aime24", "--model", str(out), "--out", str(eval_dir), "--backend", "transformers",
        "--dataset", str(data), "--expect-problems", "0", "--n", "2", "--max-new-tokens", "8",
    ])  # fmt: skip
    if code != 0:
        raise RuntimeError(f"evaluating the fixture failed with exit code {code}")
    return {"CKPT": str(actor), "OUT": str(out), "RUN_CONFIG": str(run_config),
            "EVAL": str(eval_dir / "results.json"), "MAX_SHARD_SIZE": FIXTURE_SHARD_SIZE}  # fmt: skip
