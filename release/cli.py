"""``verl-srpo release`` (``python -m release`` in the checkout): merge, validate, publish (a dry run unless
``--confirm``), fixture.

    python -m release merge --ckpt CKPT/global_step_N/actor --out OUT
    python -m release validate --folder OUT
    python -m release publish --ckpt CKPT --out OUT --repo-id ORG/NAME --eval RESULTS... \
        --run-config RUN/.hydra/config.yaml [--base-model ORG/BASE] [--version TAG] [--confirm]
    python -m release fixture --out DIR     # a tiny real verl checkpoint + run config + evaluation

``make release`` / ``make release-fixture`` call these; release/README.md documents every variable.
Every error is one line on stderr and exit code 2; a refusal leaves OUT and the Hub as they were. Errors name the
inputs by these flags (`make release` prints its own variable names: release/errors.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from verl_srpo.release.errors import ReleaseError, in_cli_terms


def cmd_merge(args) -> int:
    from verl_srpo.release.merge import (
        merge_fsdp_checkpoint,
        merge_target_state,
        normalize_permissions,
        set_generation_defaults,
    )
    from verl_srpo.release.validate import validate_folder

    state = merge_target_state(args.ckpt, args.out, args.max_shard_size)  # refuses before any work
    out = merge_fsdp_checkpoint(args.ckpt, args.out, args.max_shard_size)
    if state == "merged":  # a folder of an older kit: settings and modes only, the weights stay as they are
        set_generation_defaults(out)
        normalize_permissions(out)
    summary = validate_folder(out)
    shards = sum(name.endswith(".safetensors") for name in summary.files)
    print(f"[merge] {out}: {shards} shard(s), {summary.num_tensors} tensors, valid")
    return 0


def cmd_validate(args) -> int:
    from verl_srpo.release.validate import validate_folder

    summary = validate_folder(args.folder)
    print(f"[validate] {summary.folder}: {summary.num_tensors} tensors, {summary.weight_bytes} bytes of weights, OK")
    return 0


def cmd_publish(args) -> int:
    from huggingface_hub import HfApi

    from verl_srpo.eval.fingerprint import local_fingerprint
    from verl_srpo.release import card, evaluation, hub, preflight
    from verl_srpo.release.merge import merge_fsdp_checkpoint
    from verl_srpo.release.validate import uploadable_files, validate_folder

    api = HfApi()
    checked = preflight.check(args, api)  # every refusal that needs no weights; nothing written yet
    out = Path(args.out)
    if checked.merge == "fresh":
        merge_fsdp_checkpoint(args.ckpt, out, args.max_shard_size)
    elif checked.merge == "merged":
        print(f"[merge] {out} already holds the merge of {args.ckpt}; skipping (delete it to re-merge)")
    fingerprint = local_fingerprint(out)
    evaluation.check_fingerprints(checked.results, out, fingerprint)
    summary = validate_folder(out)
    local_inputs = [args.out, args.run_config, *args.eval, *([args.ckpt] if args.ckpt else []), checked.base.local_path,
                    *(r.dataset.get("source", "") for r in checked.results.values() if not r.on_hub)]  # fmt: skip
    text = card.render_card(
        repo_id=args.repo_id, version=checked.version, fingerprint=fingerprint, summary=summary,
        results=checked.results, training_rows=checked.rows, run_config_name=Path(args.run_config).name,
        base=checked.base, license=args.license, datasets=args.dataset, local_inputs=local_inputs,
    )  # fmt: skip
    files = dict(sorted({**uploadable_files(out), "README.md": len(text.encode())}.items()))
    model_name = args.repo_id.split("/")[-1]
    step = checked.step
    message = f"Release {checked.version}: {model_name}" + (f" (verl global_step_{step})" if step is not None else "")
    description = "\n".join(
        [f"Weights fingerprint: {fingerprint}"]
        + [f"{r.task}: {r.metric} = {100 * r.mean:.1f}%" for _, r in sorted(checked.results.items())]
        + ["Published with the verl-srpo release kit (make release)."]
    )
    plan = hub.make_plan(
        api, repo_id=args.repo_id, folder=out, files=files, card=text, tag=checked.version,
        commit_message=message, commit_description=description, remote=checked.remote,
    )  # fmt: skip
    card.write_card(out, text)  # after the last refusal: a refused release leaves OUT as it was
    print(plan.render(confirm=args.confirm))
    if args.confirm:
        hub.push(api, plan, out, private=args.private)
    return 0


def cmd_fixture(args) -> int:
    from verl_srpo.release.fixture import build_release_fixture

    paths = build_release_fixture(args.out)
    for name, path in paths.items():
        print(f"{name}={path}")
    return 0


def build_parser(prog: str = "python -m release") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    merge = sub.add_parser("merge", help="verl FSDP checkpoint -> validated Hugging Face folder")
    validate = sub.add_parser("validate", help="check a Hugging Face folder before it is published")
    validate.add_argument("--folder", required=True)
    publish = sub.add_parser("publish", help="merge, validate, attach evaluation, render the card, plan, push")
    for p in (merge, publish):
        p.add_argument("--ckpt", required=p is merge, help="verl checkpoint: .../global_step_N/actor")
        p.add_argument("--out", required=True, help="the Hugging Face folder to write / publish")
        p.add_argument("--max-shard-size", default="5GB", help="safetensors shard size (ours: 5GB)")
    publish.add_argument("--repo-id", required=True, help="Hub repository, <user or org>/<name>")
    publish.add_argument("--eval", nargs="*", default=[], help="results.json files (or dirs) from python -m eval")
    publish.add_argument("--allow-no-eval", action="store_true", help="publish without evaluation numbers")
    publish.add_argument("--run-config", required=True, help="the run's composed config: <run dir>/.hydra/config.yaml")
    publish.add_argument("--version", default=None, help="the version tag (default: step-N from --ckpt)")
    publish.add_argument("--base-model", default=None,
                         help="Hub id of the base model, needed when the run trained from a local path "
                              "(`none`: not on the Hub); default: the run config's actor_rollout_ref.model.path")
    publish.add_argument("--license", default="apache-2.0",
                         help="card license, the base model's (checked against it when the Hub answers)")
    publish.add_argument("--dataset", nargs="*", default=[], help="Hub ids of the training datasets (card metadata)")
    publish.add_argument("--private", action="store_true", help="create the repository private")
    publish.add_argument("--confirm", action="store_true", help="push for real (default: print the plan only)")
    fixture = sub.add_parser("fixture", help="a tiny real verl checkpoint, run config and evaluation")
    fixture.add_argument("--out", required=True)
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m release") -> int:
    """Run the command line ``argv``; ``prog`` names the command in its help (``verl-srpo release``)."""
    args = build_parser(prog).parse_args(argv)
    command = {"merge": cmd_merge, "validate": cmd_validate, "publish": cmd_publish, "fixture": cmd_fixture}
    try:
        return command[args.command](args)
    except ReleaseError as exc:
        print(f"release: error: {in_cli_terms(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
