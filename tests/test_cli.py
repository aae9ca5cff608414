"""The README's main job (`verl-srpo quickstart`), `verl-srpo check`, and the kits' subcommands
(`verl-srpo prepare`, `eval`, `release`), run as users run them."""

import importlib
import json
import re
import shlex

import pytest

from tests.conftest import REPO
from verl_srpo.cli import KITS, main


@pytest.mark.slow
def test_quickstart_rehearses_on_cpu(run_cli):
    proc = run_cli(["-m", "verl_srpo", "quickstart", "--cpu"], timeout=400)
    out = proc.stdout
    assert proc.returncode == 0, (out + proc.stderr)[-4000:]
    assert "algorithm.adv_estimator = srpo" in out  # the composed, validated config
    assert "not checked" not in out  # the rehearsal's config is checked whole (its context window is set)
    assert "#9  code acc [1 0 1 0]" in out and "timeout" in out  # the sandbox stopped the infinite loop
    assert "#1  math acc [1 1 1 1]" in out  # math-verify
    after = out.split("step stage epoch pool")[1]
    table = [line for line in after.splitlines() if re.match(r"^\s+\d+\s+[12]\s+\d+\s+\d+\s", line)]
    stages = [int(line.split()[1]) for line in table]
    pools = [int(line.split()[3]) for line in table]
    assert stages == [1, 1, 1, 2, 2, 2]  # switch after two stage-1 epochs
    assert pools[0] == 8 and pools[2] == 5  # 8 math prompts, then the 3 all-correct ones are dropped
    drawn = [line.split("  ")[-1].split() for line in table]
    assert all(tag.endswith("m") for step in drawn[:3] for tag in step)  # stage 1: math only
    assert any(tag.endswith("c") for step in drawn[3:] for tag in step)  # stage 2: code joins
    assert "drew the same batches: True" in out


def test_check_reports_problems(run_cli):
    proc = run_cli(["-m", "verl_srpo", "check", "actor_rollout_ref.rollout.n=1"])
    assert proc.returncode == 1 and "Set actor_rollout_ref.rollout.n>=2" in proc.stderr
    ok = run_cli(["-m", "verl_srpo", "check", "actor_rollout_ref.rollout.n=8"])
    assert ok.returncode == 0 and "trainer.v1.trainer_mode = srpo" in ok.stdout


def test_readme_cannot_start_example():
    """The README's "cannot start" block: a group of one and a misspelt new key (`+`), both listed, numbered."""
    from verl_srpo.cli import check

    with pytest.raises(SystemExit) as done:
        check(["actor_rollout_ref.rollout.n=1", "+algorithm.srpo_zero_truncated=false"])
    text = str(done.value.code)
    assert text.startswith("verl-srpo cannot start:\n  1. actor_rollout_ref.rollout.n=1: SRPO's advantage"), text
    assert "\n  2. unknown key `algorithm.srpo_zero_truncated`. Did you mean `algorithm.srpo_zero_truncated_adv`?" \
        in text


def test_check_says_what_it_could_not_check(capsys, tmp_path):
    """A null max_model_len with a model whose config.json is not here (offline, not cached): ``check`` says the
    context window was not checked, instead of passing it over; with the window set it has nothing to say."""
    from verl_srpo.cli import check

    missing = f"actor_rollout_ref.model.path={tmp_path / 'not-downloaded'}"
    check(["actor_rollout_ref.rollout.n=4", missing])
    out = capsys.readouterr().out
    assert "not checked here: the context window: actor_rollout_ref.rollout.max_model_len is null" in out
    assert "Set actor_rollout_ref.rollout.max_model_len" in out
    check(["actor_rollout_ref.rollout.n=4", missing, "actor_rollout_ref.rollout.max_model_len=4096"])
    assert "not checked" not in capsys.readouterr().out


@pytest.mark.parametrize(("kit", "argv", "prog"), [
    ("eval", ["aime24", "--help"], "python -m eval"), ("eval", ["lcb", "--help"], "python -m eval"),
    ("release", ["publish", "--help"], "python -m release"),
    ("prepare", ["all", "--help"], "python -m recipes.data.prepare"),
])  # fmt: skip
def test_kit_subcommands_are_the_kits_own_clis(kit, argv, prog, capsys):
    """``verl-srpo KIT ...`` prints the kit's own help (the same options), naming ``verl-srpo KIT``."""
    module, _, _ = KITS[kit]
    helps = []
    for run, name in ((lambda: main([kit, *argv]), f"verl-srpo {kit}"),
                      (lambda: importlib.import_module(module).main(argv), prog)):  # fmt: skip
        with pytest.raises(SystemExit) as done:
            run()
        assert done.value.code == 0
        helps.append(" ".join(capsys.readouterr().out.replace(name, "PROG").split()))
    assert helps[0] == helps[1] and helps[0].startswith("usage: PROG ")


def test_readme_kit_commands_parse():
    """Every ``verl-srpo prepare|eval|release ...`` of the README parses with the kit's own parser."""
    text = " ".join((REPO / "README.md").read_text().split())
    commands = re.findall(r"`(verl-srpo (?:prepare|eval|release) [^`]*)`", text)
    assert len(commands) >= 4, commands
    for command in commands:
        _, kit, *argv = [word for word in shlex.split(command) if word != "..."]
        module, _, _ = KITS[kit]
        assert importlib.import_module(module).build_parser().parse_args(argv), command


def test_check_turns_a_refused_override_into_one_line_with_a_hint(capsys):
    """A typo in an existing key without `+` is refused by Hydra; `check` says which key was meant."""
    from verl_srpo.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["check", "actor_rollout_ref.rollout.n=8", "srpo.history.enabel=false"])
    assert str(exc.value) == ("verl-srpo check: Could not override 'srpo.history.enabel'. "
                              "Did you mean `srpo.history.enable`?")


def test_gpu_quickstart_names_missing_data_before_launching(tmp_path, monkeypatch):
    """On a GPU the recipe would read its data only after Ray and vLLM started: quickstart checks it first."""
    from verl_srpo.cli import debug_data_problem

    monkeypatch.chdir(tmp_path)
    problem = debug_data_problem({})
    assert "data/srpo-debug/train.parquet and data/srpo-debug/val.parquet do not exist" in problem
    assert "verl-srpo prepare all --limit 200 --no-label --out-dir data/srpo-debug" in problem
    (tmp_path / "mine").mkdir()
    for name in ("train.parquet", "val.parquet"):
        (tmp_path / "mine" / name).write_bytes(b"")
    assert debug_data_problem({"DATA_DIR": "mine"}) is None


# What `verl-srpo ... --help` may not import: seconds each (bench: `python -X importtime -m verl_srpo --help`).
HEAVY = ("torch", "transfer_queue", "verl", "pandas", "ray", "transformers")
PROBE = """
import json, sys
from verl_srpo.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("LOADED " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize("argv", [["--help"], ["report", "--help"], ["eval", "--help"]])
def test_help_imports_nothing_heavy(argv, run_cli):
    """`verl-srpo --help` lists the subcommands without importing any; a subcommand imports its own module only
    (`report` reads verl's files: no torch, no TransferQueue)."""
    proc = run_cli(["-c", PROBE, *argv])
    assert proc.returncode == 0 and "usage: verl-srpo" in proc.stdout, proc.stderr[-3000:]
    loaded = set(json.loads(proc.stdout.split("LOADED ")[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    if argv == ["--help"]:
        assert "numpy" not in loaded and "omegaconf" not in loaded


def test_analysis_subcommands_parse_their_own_flags(capsys):
    with pytest.raises(SystemExit) as done:
        main(["report", "--help"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("usage: verl-srpo report ")
    with pytest.raises(SystemExit) as done:
        main(["plan", "--rollout-n", "8"])  # --data and --train-batch-size missing
    assert done.value.code == 2 and "the following arguments are required: --data" in capsys.readouterr().err
