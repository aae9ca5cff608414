"""Every check that can refuse a release without reading the weights, run before any heavy work.

``check(args, api)`` validates, in order: the repo id, the card inputs (license, dataset ids, the run
config and its base model, the version tag), the checkpoint and ``OUT`` (``merge_target_state``: an
evaluated folder is never re-sharded in place), the evaluation files, and the Hub (``hub.check_remote``:
token, reach, namespace, base model). Each refusal is one ``ReleaseError`` line; nothing is written.
Only the refusals that need the merged weights come later: the weights fingerprint of the evaluations,
the folder's validation, and a published tag that would change.
"""

from __future__ import annotations

import json
import re
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path

from verl_srpo.release import evaluation, hub, training
from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.evaluation import TaskResult
from verl_srpo.release.hub import Remote
from verl_srpo.release.training import BaseModel

_LICENSE = re.compile(r"[a-z0-9][a-z0-9.+-]*")  # Hub license ids: apache-2.0, mit, llama3.1, other, ...
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a git tag name without '/', spaces or '..'


@dataclass(frozen=True)
class Checked:
    """What the checks established: all a release needs before it reads the weights."""

    rows: list[tuple[str, str]]
    base: BaseModel
    version: str
    step: int | None
    results: dict[str, TaskResult]
    merge: str  # "fresh" (merge CKPT into OUT), "merged" (OUT holds it), "given" (no CKPT: OUT as it is)
    remote: Remote


def check(args: Namespace, api) -> Checked:
    """Run every check that needs no weights (see the module docstring); raise the first refusal."""
    hub.check_hub_id(args.repo_id, "REPO_ID")
    if not _LICENSE.fullmatch(args.license or ""):
        raise ReleaseError(f"LICENSE={args.license!r} is not a Hub license id (e.g. apache-2.0, mit, other)")
    for dataset in args.dataset:
        hub.check_hub_id(dataset, "DATASETS entry")
    if args.ckpt and not Path(args.ckpt).is_dir():
        raise ReleaseError(f"CKPT={args.ckpt} does not exist: point it at a verl checkpoint's "
                           "global_step_N/actor folder (under trainer.default_local_dir)")
    base = training.resolve_base_model(args.run_config, args.base_model)
    rows = training.training_details(args.run_config, args.ckpt, base)
    step = training.global_step(args.ckpt)
    version = args.version or (f"step-{step}" if step is not None else None)
    if not version:
        raise ReleaseError("no VERSION: set VERSION=v1.0 (the tag), or point CKPT at a global_step_N/actor")
    if not _TAG.fullmatch(version) or ".." in version:
        raise ReleaseError(f"VERSION={version!r} is not a tag name: use letters, digits and . _ - (e.g. v1.0)")
    merge, config = _check_folder(args)
    results = evaluation.read_results(args.eval) if args.eval else {}
    if not results and not args.allow_no_eval:
        raise ReleaseError(
            f"no evaluation attached: run `python -m eval aime24 --model {args.out} --out runs/aime24` (and lcb), "
            "then pass EVAL=runs/aime24/results.json ..., or ALLOW_NO_EVAL=1 to publish without numbers"
        )
    remote = hub.check_remote(api, args.repo_id, confirm=args.confirm, base_model=base.hub_id,
                              license=args.license, config=config)  # fmt: skip
    return Checked(rows, base, version, step, results, merge, remote)


def _check_folder(args: Namespace) -> tuple[str, dict]:
    """``(merge state, the model's config.json)``, from the checkpoint's ``huggingface/`` or ``OUT``."""
    from verl_srpo.release.merge import merge_target_state

    out = Path(args.out)
    if args.ckpt:
        state = merge_target_state(args.ckpt, out, args.max_shard_size)
        return state, json.loads((Path(args.ckpt) / "huggingface" / "config.json").read_text())
    if not (out / "config.json").is_file() or not list(out.glob("*.safetensors")):
        raise ReleaseError(f"OUT={out} holds no merged model (config.json + *.safetensors): set CKPT to merge one")
    return "given", json.loads((out / "config.json").read_text())
