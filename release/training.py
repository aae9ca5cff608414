"""Training details for the model card, read from the run's own composed config.

Hydra writes the composed config of every ``python -m verl.trainer.main_ppo`` run to
``<run dir>/.hydra/config.yaml`` (``outputs/DATE/TIME/`` by default); verl's checkpoints do not
store it. ``training_details`` turns that file into ``(setting, value)`` rows, so the card shows
what was run, not what someone remembers. Every ``srpo`` section of the config is listed in full.

Nothing local is published: a value that is a local path is shown by its file name only, and the base
model is named by its Hub id (``base_model``), never by the folder the run loaded it from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from verl_srpo.release.errors import ReleaseError

MODEL_PATH_KEY = "actor_rollout_ref.model.path"
NO_BASE = "none"  # BASE_MODEL=none: the base weights are not on the Hub; the card names no base_model
_HF_CACHE_SNAPSHOT = re.compile(r"(?:^|/)models--(?P<org>[^/]+?)--(?P<name>[^/]+)/snapshots/(?P<rev>[^/]+)")
_FILE_SUFFIXES = {".parquet", ".json", ".jsonl", ".yaml", ".yml", ".csv", ".arrow", ".txt", ".pt", ".safetensors",
                  ".py", ".bin", ".gz", ".zip"}  # fmt: skip

# (row label, dotted key in verl's ppo_trainer config)
ROWS = [  # "base model" comes first, from resolve_base_model
    ("advantage estimator", "algorithm.adv_estimator"),
    ("trainer mode", "trainer.v1.trainer_mode"),
    ("prompts per step", "data.train_batch_size"),
    ("rollouts per prompt", "actor_rollout_ref.rollout.n"),
    ("PPO mini-batch (prompts)", "actor_rollout_ref.actor.ppo_mini_batch_size"),
    ("max prompt length", "data.max_prompt_length"),
    ("max response length", "data.max_response_length"),
    ("loss aggregation", "actor_rollout_ref.actor.loss_agg_mode"),
    ("clip ratio (low / high)", ("actor_rollout_ref.actor.clip_ratio_low", "actor_rollout_ref.actor.clip_ratio_high")),
    ("KL loss", "actor_rollout_ref.actor.use_kl_loss"),
    ("KL in reward", "algorithm.use_kl_in_reward"),
    ("entropy coefficient", "actor_rollout_ref.actor.entropy_coeff"),
    ("optimizer", "actor_rollout_ref.actor.optim.optimizer"),
    ("learning rate", "actor_rollout_ref.actor.optim.lr"),
    ("lr schedule", "actor_rollout_ref.actor.optim.lr_scheduler_type"),
    ("AdamW betas", "actor_rollout_ref.actor.optim.betas"),
    ("weight decay", "actor_rollout_ref.actor.optim.weight_decay"),
    ("gradient clip", "actor_rollout_ref.actor.optim.clip_grad"),
    ("rollout engine", "actor_rollout_ref.rollout.name"),
    ("rollout temperature / top_p", ("actor_rollout_ref.rollout.temperature", "actor_rollout_ref.rollout.top_p")),
    ("training strategy", "actor_rollout_ref.actor.strategy"),
    ("train files", "data.train_files"),
    ("epochs", "trainer.total_epochs"),
    ("total training steps", "trainer.total_training_steps"),
    ("nodes / GPUs per node", ("trainer.nnodes", "trainer.n_gpus_per_node")),
]


def load_run_config(path: str | Path):
    """The run's composed config (OmegaConf), with a clear error when it is not one."""
    from omegaconf import OmegaConf

    path = Path(path)
    if not path.is_file():
        raise ReleaseError(
            f"run config {path} not found: set RUN_CONFIG to the run's composed config, which hydra "
            "writes to <run dir>/.hydra/config.yaml (outputs/DATE/TIME/ unless hydra.run.dir is set)"
        )
    config = OmegaConf.load(path)
    if "actor_rollout_ref" not in config or "algorithm" not in config:
        raise ReleaseError(f"{path} is not a verl ppo_trainer config (no actor_rollout_ref/algorithm section)")
    return config


def _get(config, key: str):
    from omegaconf import OmegaConf

    value = OmegaConf.select(config, key, default=None, throw_on_resolution_failure=False)
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def _fmt(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    return "-" if value is None else str(value)


def _srpo_rows(config, prefix: str = "") -> list[tuple[str, str]]:
    """Every key named ``srpo*`` (the plugin's namespace), flattened to ``(dotted key, value)`` leaves; the
    ``_target_`` keys (the options' dataclasses) are not options and are left out."""
    from omegaconf import DictConfig, OmegaConf

    rows = []
    for key, node in config.items_ex(resolve=False):
        path = f"{prefix}{key}"
        if key == "_target_":
            continue
        if str(key).startswith("srpo"):
            value = _get(config, str(key)) if not isinstance(node, DictConfig) else None
            if isinstance(node, DictConfig):
                rows += [(f"{path}.{k}", _fmt(v)) for k, v in _flatten(OmegaConf.to_container(node, resolve=True))]
            else:
                rows.append((path, _fmt(value)))
        elif isinstance(node, DictConfig) and prefix.count(".") < 4:
            rows += _srpo_rows(node, path + ".")
    return rows


def _flatten(tree: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for key, value in tree.items():
        if key == "_target_":
            continue
        if isinstance(value, dict):
            out += _flatten(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def global_step(ckpt: str | Path | None) -> int | None:
    """``N`` of a ``.../global_step_N/actor`` path, else None."""
    match = re.search(r"global_step_(\d+)", str(ckpt or ""))
    return int(match.group(1)) if match else None


def training_details(path: str | Path, ckpt: str | Path | None = None,
                     base: BaseModel | None = None) -> list[tuple[str, str]]:  # fmt: skip
    """``(setting, value)`` rows for the card: the base model, the main knobs, the checkpoint's step,
    every srpo key. Local paths are reduced to file names (``public_value``)."""
    config = load_run_config(path)
    rows = [("base model", base.row())] if base else []
    for label, key in ROWS:
        keys = key if isinstance(key, tuple) else (key,)
        values = [_get(config, k) for k in keys]
        if any(v is not None for v in values):
            rows.append((label, " / ".join(_fmt(v) for v in values)))
    step = global_step(ckpt)
    if step is not None:
        rows.append(("released checkpoint", f"global_step_{step}"))
    return [(label, public_value(value)) for label, value in rows + _srpo_rows(config)]


def looks_like_local_path(text: str) -> bool:
    """True for ``/abs/path``, ``~/x``, ``./x``, ``C:\\x``, ``hdfs://x``, ``data/train.parquet``, an existing path."""
    text = text.strip()
    if not text or text.startswith(("http://", "https://", "pkg://")):
        return False
    if text.startswith(("/", "~", "./", "../", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text) or "://" in text:
        return True
    return ("/" in text or "\\" in text) and (Path(text).suffix.lower() in _FILE_SUFFIXES or Path(text).exists())


def public_value(value: str) -> str:
    """``value`` with each local path (in a ``", "``-joined list) reduced to its file name, marked local;
    e.g. ``"/data/a.parquet, /data/b.parquet"`` -> ``"a.parquet (local), b.parquet (local)"``."""
    parts = str(value).split(", ")
    return ", ".join(f"{Path(p.rstrip('/')).name} (local)" if looks_like_local_path(p) else p for p in parts)


@dataclass(frozen=True)
class BaseModel:
    """The model the run started from, as the card may name it.

    ``hub_id`` is the card's ``base_model`` (None: not on the Hub); ``from_run`` tells whether the run
    config itself shows it (a Hub id, or a Hugging Face cache path naming it) or ``BASE_MODEL`` gave it.
    """

    hub_id: str | None
    from_run: bool
    run_path: str = ""  # actor_rollout_ref.model.path as the run had it; never published when local

    @property
    def local_path(self) -> str:
        """The run's model path when it is local (to keep it out of the card), else ""."""
        return self.run_path if self.run_path and self.run_path != self.hub_id else ""

    def row(self) -> str:
        if self.from_run:
            return str(self.hub_id)
        if self.hub_id:
            return f"{self.hub_id} (local copy; Hub id given at release as BASE_MODEL)"
        return "local weights, not on the Hugging Face Hub"


def _hub_id_in(path: str) -> str | None:
    """The Hub id ``path`` names: itself when it is one (and no such local path exists here), or the
    repository of a Hugging Face cache snapshot (``.../models--Qwen--Qwen2.5-32B/snapshots/<sha>``)."""
    from verl_srpo.release.hub import is_hub_id

    if match := _HF_CACHE_SNAPSHOT.search(path.replace("\\", "/")):
        return f"{match['org']}/{match['name']}"
    if not looks_like_local_path(path) and not Path(path).exists() and is_hub_id(path):
        return path
    return None


def resolve_base_model(run_config: str | Path, explicit: str | None = None) -> BaseModel:
    """The base model of the run (``actor_rollout_ref.model.path``), checked against ``BASE_MODEL``.

    - the run names a Hub id: that is the base; ``BASE_MODEL``, if set, must be the same id;
    - the run trained from a local path: ``BASE_MODEL`` must say which Hub model those weights are
      (a ``namespace/name`` id), or ``none`` when they are not on the Hub.

    Raises ``ReleaseError`` with what to set otherwise.
    """
    from verl_srpo.release.hub import check_hub_id

    config = load_run_config(run_config)
    path = _get(config, MODEL_PATH_KEY)
    if not path:
        raise ReleaseError(f"{run_config} has no {MODEL_PATH_KEY}: is it the run's composed config?")
    explicit = (explicit or "").strip() or None
    hub_id = _hub_id_in(str(path))
    if hub_id:
        if explicit and explicit.lower() != hub_id.lower():
            raise ReleaseError(
                f"BASE_MODEL={explicit} disagrees with the run, which trained from {hub_id} ({MODEL_PATH_KEY}): "
                "drop BASE_MODEL (the card names the run's base)"
            )
        return BaseModel(hub_id, from_run=True, run_path=str(path))
    if explicit is None:
        raise ReleaseError(
            f"the run trained from a local path ({MODEL_PATH_KEY}), so the card cannot name its base model: set "
            f"BASE_MODEL=<the Hub id of those weights, e.g. Qwen/Qwen2.5-32B>, or BASE_MODEL={NO_BASE} if they "
            "are not on the Hub"
        )
    if explicit.lower() == NO_BASE:
        return BaseModel(None, from_run=False, run_path=str(path))
    check_hub_id(explicit, "BASE_MODEL")
    return BaseModel(explicit, from_run=False, run_path=str(path))
