"""One domain rule (verl_srpo/domains.py) for the sampler, the start-up check and the reward.

Each row kind goes through what the trainer does with it: read from verl's RLHFDataset at start-up
(``read_rows``), then drawn through verl's own ``collate_fn`` wrapped by ``WithDomains``, and handed to the
reward the way verl's reward manager hands it (``data_source``, ``extra_info``). The domain the reward sees is
the domain the sampler drew the row for.
"""

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn

from verl_srpo.domains import UnplacedRow, WithDomains, domain_of
from verl_srpo.rewards import compute_score, resolve_domain
from verl_srpo.stages import read_rows

# (index, ability, extra_info.domain, data_source, the domain the rule gives)
KINDS = [
    (1, "Math", None, "mystery", "math"),  # ability only
    (2, None, "code", "mystery", "code"),  # extra_info.domain only
    (3, "", None, "HuggingFaceH4/aime_2024", "math"),  # data_source only: a known source name
    (4, None, None, "my/puzzles", "code"),  # data_source only: srpo.stages.data_source_domains
    (5, "coding", "CODE", "lcb", "code"),  # mixed: both labels, agreeing through an alias
    (6, " math ", None, "livecodebench", "math"),  # mixed: the label wins over the source's name
]
SOURCES = {"my/puzzles": "code"}


def write(path, rows):
    frame = pd.DataFrame({
        "data_source": [r[3] for r in rows],
        "prompt": [[{"role": "user", "content": f"q{r[0]}"}] for r in rows],
        "ability": [r[1] for r in rows],
        "reward_model": [{"style": "rule", "ground_truth": "1"} for _ in rows],
        "extra_info": [{"index": r[0], "split": "train", "domain": r[2]} for r in rows],
    })
    frame.to_parquet(path)
    return RLHFDataset(str(path), tokenizer=None, config=OmegaConf.create(
        {"filter_overlong_prompts": False, "cache_dir": str(path) + ".cache"}))


def test_sampler_and_reward_agree_on_every_row_kind(tmp_path):
    dataset = write(tmp_path / "d.parquet", KINDS)
    rows = read_rows(dataset, "ability", SOURCES)
    sampled = {int(i): rows.domain_names[c] for i, c in zip(rows.ids, rows.domain)}
    assert sampled == {r[0]: r[4] for r in KINDS}

    batch = WithDomains(collate_fn, "ability", SOURCES)([dataset[i] for i in range(len(dataset))])
    for source, info in zip(batch["data_source"], batch["extra_info"]):
        # what verl's reward manager passes: data_source and extra_info (not the ability column)
        assert resolve_domain(source, info) == sampled[info["index"]]
        assert compute_score(source, "no answer", "1", extra_info=info)["domain"] == sampled[info["index"]]
    # the reward without the trainer's extra_info.domain would not see the ability column nor the map
    with pytest.raises(ValueError, match="cannot tell the domain"):
        resolve_domain("mystery", {"index": 1})


def test_labels_that_disagree_stop_the_start_up(tmp_path):
    dataset = write(tmp_path / "d.parquet", [*KINDS, (7, "math", "code", "x", None)])
    with pytest.raises(UnplacedRow, match=r"1 training rows cannot be placed.*`ability`='math' but "
                                          r"extra_info.domain='code'"):
        read_rows(dataset, "ability", SOURCES)


def test_an_unplaceable_row_stops_the_start_up_and_the_reward_says_the_same(tmp_path):
    dataset = write(tmp_path / "d.parquet", [*KINDS, (8, None, None, "openai/humaneval-ish", None),
                                             (9, None, None, "openai/humaneval-ish", None)])
    with pytest.raises(UnplacedRow) as err:
        read_rows(dataset, "ability", SOURCES)
    assert "2 training rows cannot be placed" in str(err.value) and "'openai/humaneval-ish'" in str(err.value)
    with pytest.raises(ValueError) as reward_err:
        resolve_domain("openai/humaneval-ish", None)
    assert str(err.value).split(": ", 2)[2] in str(reward_err.value)  # the same reason, word for word


def test_the_rule_by_hand():
    assert domain_of("Mathematics", None, "x") == "math"
    assert domain_of(None, {"domain": "programming"}, None) == "code"
    assert domain_of(None, {}, "deepscaler_math", {"deepscaler_math": "code"}) == "code"  # the map before names
    assert domain_of(float("nan"), {"domain": ""}, "taco-verified") == "code"
    assert domain_of("science", None, "aime") == "science"  # any label: the reward alone scores math and code
    with pytest.raises(UnplacedRow, match="neither in"):
        domain_of(None, None, "math_and_code_mix")  # names a source of each domain: not placed
    with pytest.raises(ValueError, match="scores \\['math', 'code'\\]"):
        resolve_domain("aime", {"domain": "science"})


def test_sorted_codes_do_not_depend_on_row_order(tmp_path):
    a = read_rows(write(tmp_path / "a.parquet", KINDS), "ability", SOURCES)
    b = read_rows(write(tmp_path / "b.parquet", KINDS[::-1]), "ability", SOURCES)
    assert a.domain_names == b.domain_names == ["code", "math"]
    assert np.array_equal(a.domain, b.domain[::-1])
