"""Validation refuses broken folders, each with a message naming the problem and the fix."""

from __future__ import annotations

import json

import pytest

from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.merge import INDEX
from verl_srpo.release.validate import validate_folder


def _index(folder):
    return json.loads((folder / INDEX).read_text())


def test_the_merged_fixture_is_valid(folder):
    summary = validate_folder(folder)
    assert summary.num_tensors == 27 and summary.weight_bytes == _index(folder)["metadata"]["total_size"]
    assert "model-00001-of-00003.safetensors" in summary.files and ".release/merged_from.json" not in summary.files


def test_missing_shard(folder):
    (folder / "model-00002-of-00003.safetensors").unlink()
    with pytest.raises(ReleaseError, match="shard model-00002-of-00003.safetensors is listed in .* but missing"):
        validate_folder(folder)


def test_index_maps_a_tensor_to_the_wrong_shard(folder):
    index = _index(folder)
    name, file = next(iter(index["weight_map"].items()))
    other = next(f for f in sorted(set(index["weight_map"].values())) if f != file)
    index["weight_map"][name] = other
    (folder / INDEX).write_text(json.dumps(index))
    with pytest.raises(ReleaseError, match=f"maps {name} to {other}, but it is in {file}"):
        validate_folder(folder)


def test_index_total_size_disagrees_with_the_shards(folder):
    index = _index(folder)
    index["metadata"]["total_size"] += 2
    (folder / INDEX).write_text(json.dumps(index))
    with pytest.raises(ReleaseError, match="declares total_size"):
        validate_folder(folder)


def test_shapes_must_match_the_config(folder):
    config = json.loads((folder / "config.json").read_text())
    config["intermediate_size"] = 48
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ReleaseError, match=r"mlp\.down_proj\.weight in .* has shape \[32, 64\], config.json implies \[32, 48\]"):
        validate_folder(folder)


def test_missing_tokenizer(folder):
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ReleaseError, match="tokenizer files are missing"):
        validate_folder(folder)


def test_missing_chat_template(folder):
    (folder / "chat_template.jinja").unlink()
    with pytest.raises(ReleaseError, match="no chat template"):
        validate_folder(folder)


def test_generation_config_must_hold_the_protocol(folder):
    gen = json.loads((folder / "generation_config.json").read_text())
    gen["temperature"] = 1.0
    (folder / "generation_config.json").write_text(json.dumps(gen))
    with pytest.raises(ReleaseError, match="temperature=1.0, the evaluation protocol 0.6"):
        validate_folder(folder)


def test_corrupt_shard_does_not_load(folder):
    shard = folder / "model-00003-of-00003.safetensors"
    shard.write_bytes(shard.read_bytes()[:-64])
    with pytest.raises(ReleaseError, match="model-00003-of-00003.safetensors"):
        validate_folder(folder)
