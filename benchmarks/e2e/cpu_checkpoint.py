"""CPU rehearsal only: a real verl FSDP checkpoint of the warm-up model, where the GPU run saves its own.

Without a GPU no SRPO step runs, but everything after training (merge, evaluation, release dry run) can
still run for real on a real verl checkpoint. This writes ``ROOT/global_step_STEP/actor`` the way verl's
FSDP workers do: the release kit's fixture code (``release.fixture``) wraps the model with FSDP2 on a
CPU/gloo group and saves it with verl's own ``FSDPCheckpointManager``, after one AdamW step at the
paper's learning rate 1e-6 (docs/SRPO.md), so the weights are the warm-up model's to within ~1e-6.

    python -m benchmarks.e2e.cpu_checkpoint --model WORK/model/warm --root WORK/runs/srpo/ckpt --step 12
"""

from __future__ import annotations

import argparse
from pathlib import Path


def save_actor_checkpoint(model_dir: str | Path, root: str | Path, step: int) -> Path:
    """Write ``root/global_step_<step>/actor`` from ``model_dir`` (one CPU rank); returns the actor folder."""
    from verl_srpo.release.fixture import save_actor_checkpoint as save

    return save(model_dir, Path(root) / f"global_step_{step}" / "actor", world_size=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="Hugging Face folder (the warm-up model)")
    parser.add_argument("--root", required=True, help="checkpoint root (trainer.default_local_dir)")
    parser.add_argument("--step", type=int, required=True)
    args = parser.parse_args(argv)
    actor = save_actor_checkpoint(args.model, args.root, args.step)
    print(f"[cpu_checkpoint] {actor}: {sorted(p.name for p in actor.iterdir())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
