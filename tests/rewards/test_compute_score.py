"""compute_score: composition, options, domains, and verl loading it through `+plugin=verl_srpo`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verl_srpo.rewards import compute_score, resolve_domain
from verl_srpo.rewards.format import format_ok, is_mixed_language, script_counts

CODE_TESTS = json.dumps({"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"], "fn_name": None})
GOOD_CODE = "<think>double it</think> <answer>```python\nprint(int(input()) * 2)\n```</answer>"
KEYS = {"score": float, "acc": float, "format": float, "lang_penalty": float, "domain": str, "pred": str,
        "pass_frac": float, "failure": str, "n_tests": int, "math_verify_errors": int}


@pytest.mark.parametrize("reply, ok", [
    ("<think>a</think><answer>1</answer>", True),
    ("reasoning</think>\n<answer>1</answer>\n", True),        # prompt ended in "<think>"
    ("<think>a</think><answer>1</answer> trailing", False),
    ("<think>a</think><answer> </answer>", False),
    ("<think>a</think></think><answer>1</answer>", False),
    ("<answer>1</answer>", False),
])
def test_format(reply, ok):
    assert format_ok(reply) is ok


def test_mixed_language_hand_checked():
    assert script_counts("ab 中文 αβ") == {"latin": 2, "cjk": 2}  # Greek is maths, not counted
    assert is_mixed_language("The answer is easy to see. 所以答案是四十二对吧")
    assert not is_mixed_language("所以答案是四十二对吧，我们验证一下 $\\frac{a}{b}$ \\sqrt{x}")  # maths is not prose
    assert not is_mixed_language("Pure English reasoning with ```python\n# 注释注释注释注释注释注释\n``` code")
    assert not is_mixed_language("The answer is 42. 好", min_chars=10)


def test_score_composition_and_pure_acc():
    right = compute_score("aime24", "<think>t</think><answer>033</answer>", "33")
    assert (right["score"], right["acc"], right["format"], right["lang_penalty"]) == (1.1, 1.0, 1.0, 0.0)
    wrong_formatted = compute_score("aime24", "<think>t</think><answer>7</answer>", "33")
    assert (wrong_formatted["score"], wrong_formatted["acc"]) == (pytest.approx(0.1), 0.0)  # acc stays pure
    mixed = compute_score("aime24", "Let me think about this. 让我们仔细地计算一下这个问题 \\boxed{33}", "33")
    assert mixed["score"] == pytest.approx(0.9) and mixed["lang_penalty"] == pytest.approx(0.1)
    off = compute_score("aime24", "Let me think about this. 让我们仔细地计算一下这个问题 \\boxed{33}", "33",
                        format_weight=0.0, lang_penalty=0.0)
    assert off["score"] == 1.0


def test_every_row_has_the_same_keys_and_types():
    rows = [
        compute_score("aime24", "<answer>1</answer>", "1"),
        compute_score("x", "no answer", "1", extra_info={"domain": "math"}),
        compute_score("livecodebench", GOOD_CODE, CODE_TESTS, extra_info={"num_turns": None}),
        compute_score("y", "no code", CODE_TESTS, extra_info={"domain": "code"}),
    ]
    for row in rows:
        assert {k: type(v) for k, v in row.items()} == KEYS
    assert [r["failure"] for r in rows] == ["none", "no_answer", "none", "no_code"]
    assert rows[2]["score"] == pytest.approx(1.1)


def test_domain_resolution():
    """The rule of verl_srpo/domains.py on what verl hands the reward (tests/test_domains.py: the sampler agrees)."""
    assert resolve_domain("whatever", {"domain": "code"}) == "code"
    assert resolve_domain("whatever", {"domain": " MATH "}) == "math"
    assert resolve_domain("HuggingFaceH4/aime_2024", None) == "math"
    assert resolve_domain("livecodebench/code_generation_lite", {}) == "code"
    with pytest.raises(ValueError, match="Set `ability` or extra_info.domain in the data"):
        resolve_domain("openai/humaneval-ish", None)
    with pytest.raises(ValueError, match="expected one of"):
        resolve_domain("aime", {"domain": "chemistry"})


def test_options_validated_with_clear_errors():
    from verl_srpo.config.schema import OptionsError, RewardConfig, reward_config

    assert reward_config({"format_weight": 0.5, "reward_router_address": None}).format_weight == 0.5
    with pytest.raises(ValueError, match="Did you mean `reward.custom_reward_function.reward_kwargs.format_weight`"):
        compute_score("aime24", "<answer>1</answer>", "1", format_wieght=0.2)
    with pytest.raises(OptionsError, match="reward_kwargs.lang_penalty=-1 must be >= 0"):
        RewardConfig(lang_penalty=-1)
    with pytest.raises(OptionsError, match="reward_kwargs.code_timeout_s=0 must be > 0"):
        RewardConfig(code_timeout_s=0)
    with pytest.raises(OptionsError, match="code_memory_mb=2048.0 must be an integer"):
        reward_config({"code_memory_mb": 2048.0})


def _tiny_tokenizer():
    from verl_srpo.testing.tiny import ENDOFTEXT, bpe_tokenizer

    return bpe_tokenizer([GOOD_CODE, "<think>t</think><answer>033</answer>"] * 4, 300, special_tokens=(ENDOFTEXT,),
                         eos=ENDOFTEXT, pad=ENDOFTEXT, chat_template=None)


def _row(tokenizer, response: str, data_source: str, ground_truth, extra_info: dict):
    import torch
    from verl import DataProto

    prompt = tokenizer("Q:", return_tensors="pt")["input_ids"]
    resp = tokenizer(response, return_tensors="pt")["input_ids"]
    return DataProto.from_dict(
        tensors={"prompts": prompt, "responses": resp,
                 "attention_mask": torch.ones(1, prompt.shape[1] + resp.shape[1], dtype=torch.long)},
        non_tensors={"data_source": np.array([data_source], dtype=object),
                     "reward_model": np.array([{"ground_truth": ground_truth}], dtype=object),
                     "extra_info": np.array([extra_info], dtype=object)},
    )


def test_verl_reward_loop_calls_it_through_the_plugin(compose):
    """Compose with `+plugin=verl_srpo`, load the function exactly as verl does (pkg:// path,
    reward_kwargs merged), and score rows through verl's own naive reward manager, which calls
    the function from an executor thread."""
    from verl.trainer.ppo.reward import get_custom_reward_fn, load_reward_manager

    cfg = compose([
        "+plugin=verl_srpo",
        "++reward.custom_reward_function.path=pkg://verl_srpo.rewards",
        "++reward.custom_reward_function.name=compute_score",
        "++reward.custom_reward_function.reward_kwargs.format_weight=0.25",
        "++reward.custom_reward_function.reward_kwargs.code_timeout_s=2",
    ])
    fn = get_custom_reward_fn(cfg)
    assert fn(data_source="aime24", solution_str="<think>t</think><answer>033</answer>", ground_truth="33")["score"] == 1.25

    tokenizer = _tiny_tokenizer()
    manager = load_reward_manager(cfg, tokenizer)
    rows = [_row(tokenizer, "<think>t</think><answer>\\frac{2}{4}</answer>", "aime24", "\\frac{1}{2}", {}),
            _row(tokenizer, GOOD_CODE, "livecodebench", CODE_TESTS, {"domain": "code"})]
    outs = [manager.loop.run_until_complete(manager.run_single(r)) for r in rows]
    assert [o["reward_score"] for o in outs] == [1.25, 1.25]
    infos = [o["reward_extra_info"] for o in outs]
    stacked = {k: np.array([info[k] for info in infos]) for k in infos[0]}  # how verl batches them
    assert stacked["acc"].tolist() == [1.0, 1.0] and stacked["domain"].tolist() == ["math", "code"]

    bad = compose(["+plugin=verl_srpo", "++reward.custom_reward_function.path=pkg://verl_srpo.rewards",
                   "++reward.custom_reward_function.reward_kwargs.format_weigth=0.2"])
    with pytest.raises(ValueError, match="Did you mean `reward.custom_reward_function.reward_kwargs.format_weight`"):
        get_custom_reward_fn(bad)(data_source="aime24", solution_str="<answer>1</answer>", ground_truth="1")


def test_a_row_never_raises_for_its_data(caplog, monkeypatch):
    """An unusable ground truth is the failure kind bad_ground_truth (warned once per source), never an exception:
    an exception in the reward would kill the training step."""
    import verl_srpo.rewards as rewards

    monkeypatch.setattr(rewards, "_WARNED", set())  # earlier tests may have warned about the same problems
    rows = [
        compute_score("aime24", "<answer>1</answer>", ""),
        compute_score("aime24", "<answer>1</answer>", None),
        compute_score("livecodebench", GOOD_CODE, '{"inputs": ["1"]}'),
        compute_score("livecodebench", GOOD_CODE, {"inputs": ["[1]\n"], "outputs": ["2"], "fn_name": "not a name"}),
        compute_score("aime24", None, "1"),
        compute_score("livecodebench", None, CODE_TESTS),
    ]
    for row in rows:
        assert {k: type(v) for k, v in row.items()} == KEYS
    assert [r["failure"] for r in rows] == ["bad_ground_truth"] * 4 + ["no_answer", "no_code"]
    assert [r["acc"] for r in rows] == [0.0] * 6  # (the format reward still counts: acc stays pure)
    assert "ground truth cannot be used" in caplog.text and "'inputs' and 'outputs'" in caplog.text
