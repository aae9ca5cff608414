"""Merge: verl's FSDP checkpoint -> Hugging Face folder, resharded, with the protocol's sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.merge import INDEX, check_actor_dir, nbytes, reshard, tensor_layout


def test_nbytes_hand_computed():
    assert nbytes("BF16", [3, 4]) == 24
    assert nbytes("F32", [5]) == 20
    assert nbytes("U8", []) == 1


def test_fixture_is_a_real_verl_fsdp_checkpoint(release_fixture):
    """verl's FSDPCheckpointManager wrote per-rank DTensor shards, fsdp_config.json and huggingface/."""
    from torch.distributed.tensor import DTensor, Shard

    actor = Path(release_fixture["CKPT"])
    assert json.loads((actor / "fsdp_config.json").read_text()) == {"FSDP_version": 2, "world_size": 2}
    for name in ("config.json", "tokenizer.json", "generation_config.json"):
        assert (actor / "huggingface" / name).is_file()
    rank0 = torch.load(actor / "model_world_size_2_rank_0.pt", weights_only=False)
    weight = rank0["model.embed_tokens.weight"]
    assert isinstance(weight, DTensor) and weight.placements == (Shard(0),)
    assert weight.to_local().shape[0] * 2 == weight.shape[0]  # each rank holds half the rows


def test_merged_weights_are_the_concatenated_rank_shards(release_fixture):
    """Spot-check verl's merge: each tensor is the rank-ordered concat of the local shards, in bf16."""
    actor, out = Path(release_fixture["CKPT"]), Path(release_fixture["OUT"])
    shards = [torch.load(actor / f"model_world_size_2_rank_{r}.pt", weights_only=False) for r in (0, 1)]
    merged = {}
    for file in out.glob("*.safetensors"):
        merged.update(load_file(file))
    for name in ("model.embed_tokens.weight", "model.layers.1.mlp.down_proj.weight", "lm_head.weight"):
        expected = torch.cat([s[name].to_local() for s in shards]).bfloat16()
        assert torch.equal(merged[name], expected), name


def test_reshard_keeps_every_tensor_and_respects_the_size(folder):
    before = {}
    for file in folder.glob("*.safetensors"):
        before.update(load_file(file))
    shards = reshard(folder, "30KB")
    layout = tensor_layout(folder)
    assert shards == sorted({f for f, _, _ in layout.values()}) and len(shards) > 3
    for shard in shards:  # a shard only exceeds the limit when one tensor alone does
        sizes = [nbytes(d, s) for f, d, s in layout.values() if f == shard]
        assert sum(sizes) <= 30_000 or len(sizes) == 1
    index = json.loads((folder / INDEX).read_text())
    assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in before.values())
    after = {}
    for file in folder.glob("*.safetensors"):
        after.update(load_file(file))
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert reshard(folder, "30KB") == shards  # idempotent
    assert reshard(folder, "1GB") == ["model.safetensors"] and not (folder / INDEX).exists()


def test_generation_config_carries_the_sampling_but_no_length(release_fixture):
    """The base ships ``max_new_tokens: 2048`` (as Qwen2.5 does); the release keeps only the sampling."""
    base = json.loads((Path(release_fixture["CKPT"]) / "huggingface" / "generation_config.json").read_text())
    assert base["max_new_tokens"] == 2048
    gen = json.loads((Path(release_fixture["OUT"]) / "generation_config.json").read_text())
    assert (gen["do_sample"], gen["temperature"], gen["top_p"]) == (True, 0.6, 0.95)
    assert not {"max_new_tokens", "max_length", "min_new_tokens", "min_length"} & set(gen)
    assert gen["eos_token_id"] == base["eos_token_id"]  # everything else is kept


def test_validation_refuses_a_length_in_generation_config(folder):
    from verl_srpo.release.validate import validate_folder

    gen = json.loads((folder / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps({**gen, "max_new_tokens": 32768}))
    with pytest.raises(ReleaseError, match="generation_config.json sets max_new_tokens=32768, which overrides"):
        validate_folder(folder, load_tensors=False)


def test_shards_are_written_with_the_umask_mode(release_fixture, folder):
    """safetensors writes 0600; the merged folder (and a reshard) give every file 0666 less the umask."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    modes = {p.name: p.stat().st_mode & 0o777 for p in Path(release_fixture["OUT"]).iterdir() if p.is_file()}
    assert set(modes.values()) == {0o666 & ~umask}, modes
    reshard(folder, "30KB")
    assert {p.stat().st_mode & 0o777 for p in folder.glob("*.safetensors")} == {0o666 & ~umask}


def test_merge_refuses_an_out_with_other_content_and_is_atomic(release_fixture, tmp_path):
    from verl_srpo.release.merge import merge_target_state, parse_shard_size

    out = tmp_path / "out"
    assert merge_target_state(release_fixture["CKPT"], out, "40KB") == "fresh"
    out.mkdir()
    assert merge_target_state(release_fixture["CKPT"], out, "40KB") == "fresh"  # empty
    assert merge_target_state(release_fixture["CKPT"], release_fixture["OUT"], "40KB") == "merged"
    (out / "x").write_text("")
    with pytest.raises(ReleaseError, match="exists and was not merged from"):
        merge_target_state(release_fixture["CKPT"], out, "40KB")
    assert parse_shard_size("5GB") == 5_000_000_000 and parse_shard_size("40KB") == 40_000


def test_not_a_checkpoint_fails_early(tmp_path):
    with pytest.raises(ReleaseError, match="fsdp_config.json"):
        check_actor_dir(tmp_path)
