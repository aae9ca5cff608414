"""Merge a verl FSDP actor checkpoint into a Hugging Face folder with Hub-sized safetensors shards.

The merge itself is verl's (``verl.model_merger``'s ``FSDPModelMerger``; it writes bf16 weights, the
config and the tokenizer). verl saves with transformers' default 50 GB shards, the Hub's hard limit
per file, so ``reshard`` rewrites them into ``max_shard_size`` shards (default 5 GB (ours): resumable
downloads, like Qwen's own repositories), streaming one shard at a time. ``set_generation_defaults``
writes the evaluation protocol's sampling (not its length) into ``generation_config.json``.

A merged folder is never rewritten in place: its weights fingerprint is what evaluations attach to.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.protocol import PROTOCOL

INDEX = "model.safetensors.index.json"
SOURCE_RECORD = ".release/merged_from.json"  # dot-paths are never uploaded
HUB_MAX_FILE_BYTES = 50_000_000_000  # the Hub's limit per file
_DTYPE_BYTES = {"F64": 8, "F32": 4, "BF16": 2, "F16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def check_actor_dir(actor_dir: Path) -> None:
    """Fail early unless ``actor_dir`` looks like verl's ``global_step_N/actor``."""
    if not (actor_dir / "fsdp_config.json").is_file():
        raise ReleaseError(
            f"{actor_dir} has no fsdp_config.json: set CKPT to a verl FSDP checkpoint's actor folder, "
            "e.g. checkpoints/<project>/<experiment>/global_step_500/actor"
        )
    if not (actor_dir / "huggingface" / "config.json").is_file():
        raise ReleaseError(f"{actor_dir}/huggingface/config.json is missing: verl writes it on every save")


def parse_shard_size(max_shard_size: int | str) -> int:
    """``MAX_SHARD_SIZE`` in bytes (``"5GB"`` -> 5_000_000_000); refuses sizes the Hub cannot take."""
    from huggingface_hub.serialization._base import parse_size_to_int

    try:
        size = max_shard_size if isinstance(max_shard_size, int) else parse_size_to_int(str(max_shard_size))
    except ValueError:
        raise ReleaseError(f"MAX_SHARD_SIZE={max_shard_size!r} is not a size: use e.g. 5GB, 500MB or 40KB") from None
    if not 0 < size <= HUB_MAX_FILE_BYTES:
        raise ReleaseError(
            f"MAX_SHARD_SIZE={max_shard_size} must be above 0 and at most 50GB (the Hub's limit per file)"
        )
    return size


def merge_target_state(actor_dir: str | Path, out_dir: str | Path, max_shard_size: int | str = "5GB") -> str:
    """What merging ``actor_dir`` into ``out_dir`` would do, read without writing anything.

    Returns ``"fresh"`` (``out_dir`` is absent or empty: merge it) or ``"merged"`` (``out_dir`` already holds
    the complete merge of ``actor_dir`` in the shard layout ``max_shard_size`` gives: nothing to do).
    Raises ``ReleaseError`` when ``out_dir`` holds anything else, including the same merge sharded to
    another size: a merged folder is never rewritten in place, since that would change the weights
    fingerprint that its evaluations measured.
    """
    actor_dir, out_dir = Path(actor_dir).resolve(), Path(out_dir)
    check_actor_dir(actor_dir)
    parse_shard_size(max_shard_size)
    if not out_dir.exists() or (out_dir.is_dir() and not any(out_dir.iterdir())):
        return "fresh"
    record = _read_record(out_dir)
    if not record or {k: record.get(k) for k in ("ckpt", "files")} != _source_record(actor_dir):
        raise ReleaseError(f"{out_dir} exists and was not merged from {actor_dir}: pick an empty OUT or delete it")
    if not shard_layout_matches(out_dir, max_shard_size):
        was = record.get("max_shard_size", "another size")
        raise ReleaseError(
            f"{out_dir} already holds this merge, sharded with MAX_SHARD_SIZE={was}; MAX_SHARD_SIZE={max_shard_size} "
            "would rewrite its shards and change the weights fingerprint its evaluations measured. Use "
            f"MAX_SHARD_SIZE={was}, or merge into a new OUT and evaluate that"
        )
    return "merged"


def merge_fsdp_checkpoint(actor_dir: str | Path, out_dir: str | Path, max_shard_size: int | str = "5GB") -> Path:
    """Merge ``actor_dir`` with verl's FSDP merger into ``out_dir``: ``max_shard_size`` shards, the
    protocol's sampling in ``generation_config.json``, files readable as the umask allows.

    The folder is built next to ``out_dir`` (``.<name>.partial``) and renamed into place only when
    complete, so an interrupted merge leaves ``out_dir`` as it was. Skipped when ``out_dir`` already
    holds this merge (``merge_target_state``).
    """
    from verl.model_merger.base_model_merger import ModelMergerConfig
    from verl.model_merger.fsdp_model_merger import FSDPModelMerger

    actor_dir, out_dir = Path(actor_dir).resolve(), Path(out_dir)
    if merge_target_state(actor_dir, out_dir, max_shard_size) == "merged":
        print(f"[merge] {out_dir} already holds the merge of {actor_dir}; skipping (delete it to re-merge)")
        return out_dir
    staging = out_dir.parent / f".{out_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    config = ModelMergerConfig(
        operation="merge", backend="fsdp", local_dir=str(actor_dir), target_dir=str(staging),
        hf_model_config_path=str(actor_dir / "huggingface"),
    )  # fmt: skip
    merger = FSDPModelMerger(config)
    merger.merge_and_save()
    merger.cleanup()
    reshard(staging, max_shard_size)
    set_generation_defaults(staging)
    normalize_permissions(staging)
    record = {**_source_record(actor_dir), "max_shard_size": str(max_shard_size)}
    (staging / SOURCE_RECORD).parent.mkdir(exist_ok=True)
    (staging / SOURCE_RECORD).write_text(json.dumps(record, indent=1) + "\n")
    if out_dir.exists():
        out_dir.rmdir()  # empty (merge_target_state)
    staging.rename(out_dir)
    return out_dir


def _source_record(actor_dir: Path) -> dict:
    sizes = {p.name: p.stat().st_size for p in sorted(actor_dir.glob("model_world_size_*_rank_*.pt"))}
    return {"ckpt": str(actor_dir), "files": sizes}


def _read_record(out_dir: Path) -> dict | None:
    path = out_dir / SOURCE_RECORD
    return json.loads(path.read_text()) if path.is_file() else None


def normalize_permissions(folder: str | Path) -> None:
    """Give every file the mode a plain ``open()`` would (``0o666`` less the umask, e.g. 0644).

    safetensors writes its files with mode 0600, readable by their owner only.
    """
    umask = os.umask(0)
    os.umask(umask)
    for path in Path(folder).rglob("*"):
        if path.is_file():
            path.chmod(0o666 & ~umask)


def tensor_layout(folder: Path, errors: list[str] | None = None) -> dict[str, tuple[str, str, list[int]]]:
    """``{tensor name: (file, dtype, shape)}`` from the safetensors headers of every shard.

    A shard whose header does not parse raises, or is reported in ``errors`` when a list is given.
    """
    from safetensors import safe_open

    layout = {}
    for shard in sorted(Path(folder).glob("*.safetensors")):
        try:
            with safe_open(shard, framework="pt") as handle:
                for name in handle.keys():  # noqa: SIM118 - a safetensors handle, not a dict
                    piece = handle.get_slice(name)
                    layout[name] = (shard.name, piece.get_dtype(), list(piece.get_shape()))
        except Exception as exc:
            if errors is None:
                raise ReleaseError(f"{shard} is not a readable safetensors file: {exc}") from exc
            errors.append(f"{shard.name} is not a readable safetensors file: {exc}")
    return layout


def nbytes(dtype: str, shape: list[int]) -> int:
    """Bytes of one tensor from its safetensors dtype and shape; e.g. ("BF16", [3, 4]) -> 24."""
    count = 1
    for dim in shape:
        count *= dim
    return count * _DTYPE_BYTES[dtype]


def _shard_plan(folder: Path, max_shard_size: int | str):
    """The current layout and huggingface_hub's split of it into ``max_shard_size`` shards."""
    from huggingface_hub import split_state_dict_into_shards_factory

    layout = tensor_layout(folder)
    if not layout:
        raise ReleaseError(f"{folder} holds no *.safetensors to reshard")
    split = split_state_dict_into_shards_factory(
        dict(layout), get_storage_size=lambda spec: nbytes(*spec[1:]),
        filename_pattern="model{suffix}.safetensors", max_shard_size=parse_shard_size(max_shard_size),
    )  # fmt: skip
    return layout, split


def shard_layout_matches(folder: str | Path, max_shard_size: int | str) -> bool:
    """True when the folder's shards are already those ``reshard(folder, max_shard_size)`` would write.

    Reads the safetensors headers only.
    """
    folder = Path(folder)
    return _layout_is_plan(folder, *_shard_plan(folder, max_shard_size))


def _layout_is_plan(folder: Path, layout: dict, split) -> bool:
    same_files = all(layout[name][0] == file for name, file in split.tensor_to_filename.items())
    return same_files and (not split.is_sharded or (folder / INDEX).is_file())


def reshard(folder: str | Path, max_shard_size: int | str = "5GB") -> list[str]:
    """Rewrite the folder's safetensors into shards of at most ``max_shard_size``; returns the shard names.

    Tensors keep their names, dtypes and bytes; only the file they live in changes. A no-op when the
    current shards already match the plan. This rewrites ``folder`` in place: the release commands
    call it only on a folder they are building (``merge_fsdp_checkpoint``).
    """
    from safetensors import safe_open
    from safetensors.torch import save_file

    folder = Path(folder)
    layout, split = _shard_plan(folder, max_shard_size)
    if _layout_is_plan(folder, layout, split):
        return sorted(split.filename_to_tensors)
    staging = folder / ".release" / "reshard"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    handles = {}
    try:
        for file, names in split.filename_to_tensors.items():
            tensors = {}
            for name in names:
                src = layout[name][0]
                if src not in handles:
                    handles[src] = safe_open(folder / src, framework="pt")
                tensors[name] = handles[src].get_tensor(name)
            save_file(tensors, staging / file, metadata={"format": "pt"})
            del tensors
    finally:
        handles.clear()
    normalize_permissions(staging)
    for old in [*folder.glob("*.safetensors"), folder / INDEX]:
        old.unlink(missing_ok=True)
    for new in staging.iterdir():
        new.rename(folder / new.name)
    staging.rmdir()
    if split.is_sharded:
        total = sum(nbytes(*spec[1:]) for spec in layout.values())
        index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(split.tensor_to_filename.items()))}
        (folder / INDEX).write_text(json.dumps(index, indent=2) + "\n")
    return sorted(split.filename_to_tensors)


# Length settings in generation_config.json take precedence over the caller's: transformers prefers
# max_new_tokens to lm-eval's max_length, vLLM reads it as the default max_tokens. The length budget is
# stated in the model card instead.
LENGTH_KEYS = ("max_new_tokens", "max_length", "min_new_tokens", "min_length")


def generation_defaults() -> dict:
    """What ``generation_config.json`` must hold: the evaluation protocol's sampling (docs/SRPO.md)."""
    return {"do_sample": True, "temperature": PROTOCOL.temperature, "top_p": PROTOCOL.top_p}


def set_generation_defaults(folder: str | Path) -> dict:
    """Put the protocol's sampling into ``generation_config.json`` and drop every length setting
    (``LENGTH_KEYS``; Qwen2.5 base ships ``max_new_tokens: 2048``); returns the file's content."""
    from transformers import AutoConfig, GenerationConfig

    folder = Path(folder)
    path = folder / "generation_config.json"
    if path.is_file():
        gen = json.loads(path.read_text())
    else:
        gen = GenerationConfig.from_model_config(AutoConfig.from_pretrained(folder)).to_diff_dict()
    gen = {k: v for k, v in gen.items() if k not in LENGTH_KEYS} | generation_defaults()
    GenerationConfig.from_dict(gen).validate(strict=True)
    path.write_text(json.dumps(gen, indent=2, sort_keys=True) + "\n")
    return gen
