"""Validate a Hugging Face folder before anything leaves the machine.

``validate_folder`` collects every problem it finds and raises one ``ReleaseError`` that lists them
all, so a broken folder is fixed in one round:

- ``config.json`` loads and names a causal-LM architecture;
- the safetensors index and the shards agree: every indexed shard exists, every shard is indexed,
  each shard holds exactly the tensors the index maps to it, ``total_size`` is the sum of the tensor
  bytes, and names, shapes and dtypes match the model that ``config.json`` describes;
- the tokenizer loads, fits the embedding, and ships a chat template;
- ``generation_config.json`` holds the evaluation protocol's sampling defaults and no length setting;
- every tensor loads, and is finite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.merge import INDEX, LENGTH_KEYS, generation_defaults, nbytes, tensor_layout

_TORCH_TO_SAFETENSORS = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}


@dataclass(frozen=True)
class FolderSummary:
    """What a valid folder holds: ``files`` maps each uploadable file to its size in bytes."""

    folder: Path
    files: dict[str, int]
    num_tensors: int
    num_parameters: int
    weight_bytes: int


def uploadable_files(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` except dot-paths (``.release/``, ``.cache/``), with its size."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def validate_folder(folder: str | Path, *, load_tensors: bool = True) -> FolderSummary:
    """Check ``folder`` as described in the module docstring; raise ``ReleaseError`` listing every problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReleaseError(f"{folder} is not a directory: run the merge first (make release CKPT=...)")
    errors: list[str] = []
    config = _check_config(folder, errors)
    layout = _check_index(folder, errors)
    if config is not None and layout:
        _check_against_model(config, layout, errors)
    _check_tokenizer(folder, config, errors)
    _check_generation_config(folder, errors)
    if load_tensors and layout and not errors:
        _check_tensors_load(folder, layout, errors)
    if errors:
        raise ReleaseError(f"{folder} is not ready to publish:\n" + "\n".join(f"  - {e}" for e in errors))
    return FolderSummary(
        folder=folder, files=uploadable_files(folder), num_tensors=len(layout),
        num_parameters=sum(nbytes("U8", shape) for _, _, shape in layout.values()),
        weight_bytes=sum(nbytes(dtype, shape) for _, dtype, shape in layout.values()),
    )  # fmt: skip


def _check_config(folder: Path, errors: list[str]):
    from transformers import AutoConfig

    if not (folder / "config.json").is_file():
        errors.append("config.json is missing: the merge writes it from the checkpoint's huggingface/config.json")
        return None
    try:
        config = AutoConfig.from_pretrained(folder)
    except Exception as exc:  # noqa: BLE001 - any load failure is a validation failure
        errors.append(f"config.json does not load: {exc}")
        return None
    if not any(arch.endswith("ForCausalLM") for arch in config.architectures or []):
        errors.append(f"config.json architectures {config.architectures} name no *ForCausalLM class")
    return config


def _check_index(folder: Path, errors: list[str]) -> dict:
    """The tensor layout, after checking the index (if any) against the shards' headers."""
    if list(folder.glob("*.bin")) or list(folder.glob("*.pt")):
        errors.append("pickle weights (*.bin / *.pt) in the folder: ship safetensors only")
    layout = tensor_layout(folder, errors)
    shards = sorted({file for file, _, _ in layout.values()} | {p.name for p in folder.glob("*.safetensors")})
    index_path = folder / INDEX
    if not index_path.is_file():
        if shards != ["model.safetensors"]:
            errors.append(f"no {INDEX}, so expected one model.safetensors, found {shards or 'none'}")
        return layout
    index = json.loads(index_path.read_text())
    weight_map = index.get("weight_map") or {}
    indexed = sorted(set(weight_map.values()))
    for missing in sorted(set(indexed) - set(shards)):
        errors.append(f"shard {missing} is listed in {INDEX} but missing from the folder")
    for extra in sorted(set(shards) - set(indexed)):
        errors.append(f"shard {extra} is in the folder but not in {INDEX}")
    for name, file in sorted(weight_map.items()):
        if file in shards and layout.get(name, (None,))[0] != file:
            where = layout[name][0] if name in layout else "no shard"
            errors.append(f"{INDEX} maps {name} to {file}, but it is in {where}")
    for name in sorted(set(layout) - set(weight_map)):
        errors.append(f"tensor {name} (in {layout[name][0]}) is missing from {INDEX}")
    total = sum(nbytes(dtype, shape) for _, dtype, shape in layout.values())
    declared = (index.get("metadata") or {}).get("total_size")
    if not set(indexed) - set(shards) and declared != total:
        errors.append(f"{INDEX} declares total_size {declared}, but the shards hold {total} bytes of tensors")
    return layout


def _check_against_model(config, layout: dict, errors: list[str]) -> None:
    """Names, shapes and dtypes of the shards against the model ``config`` describes (built on meta)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    expected = {name: list(t.shape) for name, t in model.state_dict().items()}
    if getattr(config, "tie_word_embeddings", False):
        expected.pop("lm_head.weight", None)
    for name in sorted(set(expected) - set(layout)):
        errors.append(f"tensor {name} {expected[name]} is missing from the shards")
    for name in sorted(set(layout) - set(expected)):
        errors.append(f"tensor {name} in {layout[name][0]} is not a parameter of {config.architectures[0]}")
    want_dtype = _TORCH_TO_SAFETENSORS.get(str(getattr(config, "dtype", None)).replace("torch.", ""))
    for name in sorted(set(expected) & set(layout)):
        file, dtype, shape = layout[name]
        if shape != expected[name]:
            errors.append(f"tensor {name} in {file} has shape {shape}, config.json implies {expected[name]}")
        if want_dtype and dtype != want_dtype:
            errors.append(f"tensor {name} in {file} is {dtype}, config.json says {want_dtype}")


def _check_tokenizer(folder: Path, config, errors: list[str]) -> None:
    from transformers import AutoTokenizer

    if not (folder / "tokenizer.json").is_file() and not (folder / "vocab.json").is_file():
        errors.append("tokenizer files are missing (tokenizer.json): the merge copies them from huggingface/")
        return
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except Exception as exc:  # noqa: BLE001
        errors.append(f"the tokenizer does not load: {exc}")
        return
    if not tokenizer.chat_template:
        errors.append("the tokenizer has no chat template (chat_template.jinja or tokenizer_config.json)")
    if tokenizer.eos_token is None:
        errors.append("the tokenizer has no eos_token: generation would never stop")
    if config is not None and len(tokenizer) > config.vocab_size:
        errors.append(f"the tokenizer has {len(tokenizer)} tokens, the embedding only {config.vocab_size}")


def _check_generation_config(folder: Path, errors: list[str]) -> None:
    path = folder / "generation_config.json"
    fix = "run `python -m release merge --ckpt CKPT --out OUT` (it rewrites generation_config.json only)"
    if not path.is_file():
        errors.append(f"generation_config.json is missing: {fix}")
        return
    gen = json.loads(path.read_text())
    for key, value in generation_defaults().items():
        if gen.get(key) != value:
            errors.append(
                f"generation_config.json has {key}={gen.get(key)!r}, the evaluation protocol {value!r}: {fix}"
            )
    for key in sorted(set(LENGTH_KEYS) & set(gen)):
        errors.append(
            f"generation_config.json sets {key}={gen[key]}, which overrides the length callers ask for "
            f"(lm-eval's max_gen_toks, vLLM's max_tokens); the card states the length budget instead: {fix}"
        )


def _check_tensors_load(folder: Path, layout: dict, errors: list[str]) -> None:
    import torch
    from safetensors import safe_open

    for file in sorted({f for f, _, _ in layout.values()}):
        try:
            with safe_open(folder / file, framework="pt") as handle:
                for name in handle.keys():  # noqa: SIM118 - a safetensors handle, not a dict
                    if not torch.isfinite(handle.get_tensor(name).float()).all():
                        errors.append(f"tensor {name} in {file} holds NaN or Inf")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{file} does not load: {exc}")
