"""Render ``MODEL_CARD.md`` (the template at the repository root, shipped as package data of
``verl_srpo.release``) into the folder's ``README.md``.

The YAML metadata is built with ``huggingface_hub``'s ``ModelCardData`` and ``EvalResult`` (so the
``model-index`` is the Hub's own format); the body is a Jinja template rendered with
``StrictUndefined``, so a missing value fails instead of printing an empty cell.

Everything the card states is read from what ships or from the run: the base model (the run config or
``BASE_MODEL``), the parameter count and bf16 size (the shards), the chat template (the tokenizer in
the folder), the evaluation (what each ``results.json`` measured, on which data). No local path is
published: ``local_paths_in`` is checked on the rendered text.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from verl_srpo.release.errors import ReleaseError
from verl_srpo.release.evaluation import TaskResult
from verl_srpo.release.protocol import PAPER, PAPER_URL, PROTOCOL, TASKS
from verl_srpo.release.training import BaseModel
from verl_srpo.release.validate import FolderSummary

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# MODEL_CARD.md stays at the repository root; release/MODEL_CARD.md links to it, and the wheel holds a copy.
TEMPLATE = files("verl_srpo.release") / "MODEL_CARD.md"
TAGS = ["srpo", "grpo", "reinforcement-learning", "reasoning", "math", "code", "verl"]
LOCAL_DATASET_TYPE = "local-file"  # model-index dataset type of a result measured on local files


def eval_results(results: dict[str, TaskResult]) -> list:
    """One ``EvalResult`` per task, in percent, naming what the number was measured on.

    A Hub dataset is named by its id and resolved commit; local files by their names and sha256, with
    the type ``local-file`` (never the id of a Hub dataset they may be a copy of). The metric carries
    the real sampling (n, max_new_tokens, ...), e.g. "pass@1 (avg@32, 32768 new tokens)".
    """
    from huggingface_hub import EvalResult

    out = []
    for key, res in sorted(results.items()):
        task, ds, s = TASKS[key], res.dataset, res.sampling
        if res.on_hub:
            where = {"dataset_type": str(ds["source"]), "dataset_name": task.name,
                     "dataset_revision": str(ds["revision"]), "dataset_config": ds.get("release")}  # fmt: skip
        else:
            names = ", ".join(res.local_files()) or "?"
            where = {"dataset_type": LOCAL_DATASET_TYPE,
                     "dataset_name": f"{task.name} (local file {names}; not a Hub dataset)"}  # fmt: skip
        args = {"num_problems": res.num_problems}
        if isinstance(ds.get("window"), dict):
            args.update(contest_start=ds["window"].get("start"), contest_end=ds["window"].get("end"))
        if not res.on_hub:
            args["sha256"] = dict(res.local_files())
        graded = f", grader {res.grader}" if res.grader else ""
        out.append(EvalResult(
            task_type="text-generation", task_name="Text Generation", **where, dataset_args=args,
            metric_type="pass@1", metric_name=f"pass@1 ({res.metric}, {s.get('max_new_tokens')} new tokens{graded})",
            metric_value=round(100 * res.mean, 1),
            metric_args={k: s.get(k) for k in ("n", "temperature", "top_p", "max_new_tokens", "seed")},
            verified=False,
        ))  # fmt: skip
    return out


def card_data(model_name: str, results: dict[str, TaskResult], *, base: BaseModel, license: str,
              datasets: list[str], model_type: str | None = None):  # fmt: skip
    from huggingface_hub import ModelCardData

    return ModelCardData(
        model_name=model_name, base_model=base.hub_id, license=license, language=["en"],
        library_name="transformers", pipeline_tag="text-generation", tags=TAGS + ([model_type] if model_type else []),
        datasets=datasets or None, eval_results=eval_results(results) or None,
    )  # fmt: skip


def _measured(res: TaskResult | None) -> str:
    if res is None:
        return "not evaluated"
    return f"{100 * res.mean:.1f} [{100 * res.ci95_low:.1f}, {100 * res.ci95_high:.1f}]"


def _note(res: TaskResult) -> str:
    ds = res.dataset
    window = f", contests {ds['window']['start']}..{ds['window']['end']}" if isinstance(ds.get("window"), dict) else ""
    release = f" ({ds['release']})" if ds.get("release") else ""
    s = res.sampling
    cut = (f"; {100 * res.truncated_fraction:.0f}% of the samples hit the length limit"
           if res.truncated_fraction is not None else "")  # fmt: skip
    grader = f"; graded by `{res.grader}`" if res.grader else ""
    text = (
        f"{TASKS[res.task].name}: {res.metric} over {res.num_problems} problems of {res.dataset_text()}{release}"
        f"{window}; n={s.get('n')}, temperature {s.get('temperature')}, top_p {s.get('top_p')}, "
        f"max_new_tokens {s.get('max_new_tokens')}, seed {s.get('seed')}{grader}{cut}."
    )
    dev = res.deviations()
    return text + (f" **Deviates from the protocol:** {'; '.join(dev)}." if dev else "")


def _human_bytes(n: float) -> str:
    """Decimal units: 86_592 -> "86.6 KB", 65_500_000_000 -> "65.5 GB"."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    raise AssertionError("unreachable")


def _parameters(n: int) -> str:
    """43_296 -> "43,296"; 32_763_876_352 -> "32.76 B"."""
    return f"{n / 1e9:.2f} B" if n > 1e8 else f"{n:,}"


def chat_template_matches_prompt(folder: str | Path) -> bool:
    """True when the folder's tokenizer chat template renders ``chat_messages(q, d)`` into exactly the
    R1-Zero prompt ``r1_zero_text(q, d)`` the model was trained and evaluated with, for math and code."""
    from transformers import AutoTokenizer

    from verl_srpo.prompts import chat_messages, r1_zero_text

    tokenizer = AutoTokenizer.from_pretrained(folder)
    if not tokenizer.chat_template:
        return False
    question = "What is 1 + 1?"
    try:
        return all(
            tokenizer.apply_chat_template(chat_messages(question, d), tokenize=False, add_generation_prompt=True)
            == r1_zero_text(question, d)
            for d in ("math", "code")
        )
    except Exception:  # noqa: BLE001 - a template that cannot render these messages does not match
        return False


# /abs/dir/file or ~/dir/file (not the tail of a URL or of a relative path), and C:\dir\file
_ABSOLUTE = re.compile(r"(?<![\w:/.~-])~?/(?:[\w.@+-]+/)+[\w.@+-]*|\b[A-Za-z]:\\(?:[\w.@+-]+\\)+[\w.@+-]*")


def local_paths_in(text: str, known: list[str | Path] = ()) -> list[str]:
    """Local paths in ``text``: absolute or home paths (``/tmp/x``, ``~/x``, ``C:\\x``), and any of
    ``known`` (the release's own inputs: OUT, CKPT, RUN_CONFIG, EVAL, ...) as given or resolved."""
    found = [m.group(0) for m in _ABSOLUTE.finditer(text)]
    for path in known:
        for form in {str(path), str(Path(path).resolve())}:
            if ("/" in form or "\\" in form) and form in text:
                found.append(form)
    return sorted(set(found))


def render_card(
    *, repo_id: str, version: str, fingerprint: str, summary: FolderSummary, results: dict[str, TaskResult],
    training_rows: list[tuple[str, str]], run_config_name: str, base: BaseModel, license: str = "apache-2.0",
    datasets: list[str] | None = None, template: Path | Traversable = TEMPLATE, local_inputs: list[str | Path] = (),
) -> str:
    """The README.md text: YAML metadata + the rendered ``MODEL_CARD.md``.

    Raises ``ReleaseError`` when the text would hold a local path (``local_paths_in``).
    """
    import jinja2

    from verl_srpo.prompts import r1_zero_text

    if not training_rows:
        raise ReleaseError("no training details: the run config gave no rows")
    model_name = repo_id.split("/")[-1]
    config = json.loads((summary.folder / "config.json").read_text())
    data = card_data(model_name, results, base=base, license=license, datasets=list(datasets or []),
                     model_type=config.get("model_type"))  # fmt: skip
    math_template = r1_zero_text("{question}", "math")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    text = env.from_string(template.read_text()).render(
        card_data=data.to_yaml(), model_name=model_name, repo_id=repo_id, version=version,
        fingerprint=fingerprint, base=base, paper=PAPER, paper_url=PAPER_URL, protocol=PROTOCOL,
        num_parameters=_parameters(summary.num_parameters),
        num_shards=sum(name.endswith(".safetensors") for name in summary.files),
        weight_size=_human_bytes(summary.weight_bytes), bf16_size=_human_bytes(2 * summary.num_parameters),
        chat_template_is_prompt=chat_template_matches_prompt(summary.folder),
        baseline={k: t.r1_zero for k, t in TASKS.items()}, paper_numbers={k: t.srpo_paper for k, t in TASKS.items()},
        measured={k: _measured(results.get(k)) for k in TASKS},
        result_notes=[_note(r) for _, r in sorted(results.items())]
        or ["This model has not been evaluated yet."],
        training_rows=training_rows, run_config_name=run_config_name,
        math_template=math_template, code_template=r1_zero_text("{question}", "code"),
        math_template_py=repr(math_template),
    )  # fmt: skip
    leaked = local_paths_in(text, [summary.folder, *local_inputs])
    if leaked:
        raise ReleaseError(f"the model card would publish local paths {leaked}; this is a bug of the release kit")
    return text


def write_card(folder: str | Path, text: str) -> Path:
    path = Path(folder) / "README.md"
    path.write_text(text)
    return path
