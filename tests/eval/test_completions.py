"""``python -m eval {lcb,aime24} --completions FILE``: grading saved completions without a model."""

import json
import re
from pathlib import Path

import pytest

from verl_srpo.eval.cli import main
from verl_srpo.eval.completions import CompletionsError, read_completions

DATA = Path(__file__).parent / "data"
PAIRS_DIR = DATA / "lcb_pairs"
PAIRS = {p["completion"]: p for p in map(json.loads, (PAIRS_DIR / "pairs.jsonl").read_text().splitlines())}
LCB = ["lcb", "--dataset", str(PAIRS_DIR), "--release", "release_v1", "--timeout", "2"]


def _verdicts(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "verdicts.jsonl").read_text().splitlines()]


def _expected(key: str = "official") -> list[tuple]:
    """(question_id, sample, passed, per_test) of completions.jsonl, from LiveCodeBench's own verdicts."""
    rows = []
    lines = [json.loads(line) for line in (PAIRS_DIR / "completions.jsonl").read_text().splitlines()]
    for rec in sorted(lines, key=lambda r: r["question_id"]):
        for j, text in enumerate(rec["responses"]):
            rows.append((rec["question_id"], j, PAIRS[text][key]["passed"], PAIRS[text][key]["per_test"]))
    return rows


@pytest.mark.parametrize("name", ["completions.jsonl", "custom_outputs.json"])
def test_lcb_completions_reproduce_lcb_verdicts(name, tmp_path):
    """Raw responses (extracted as LiveCodeBench extracts) and LiveCodeBench's own extracted code give
    LiveCodeBench's verdicts, sample by sample."""
    out = tmp_path / "graded"
    assert main([*LCB, "--completions", str(PAIRS_DIR / name), "--out", str(out)]) == 0
    got = [(v["question_id"], v["sample"], v["passed"], v["per_test"]) for v in _verdicts(out)]
    assert got == _expected()
    assert {v["grader"] for v in _verdicts(out)} == {"official"}
    res = json.loads((out / "results.json").read_text())
    assert res["backend"] == "completions" and res["generation"] is None and res["prompt_style"] is None
    assert res["model"] == {"name": None, "revision": None, "fingerprint": None}
    assert res["sampling"] == {"n": 2, "temperature": None, "top_p": None, "max_new_tokens": None, "seed": None}
    assert res["completions"]["format"] == ("responses" if name.endswith("jsonl") else "code_list")
    assert res["completions"]["sha256"].startswith("sha256:")
    assert res["grader"]["name"] == res["headline"]["grader"] == "official"
    assert res["grader"]["lcb_commit"].startswith("b95a71c") and res["grader"]["test_timeout_s"] == 2
    assert "scoring_version" not in res["grader"]  # LiveCodeBench's rules, not the reward's
    passed = sum(r[2] for r in _expected())
    assert res["headline"]["metric"] == "pass@1" and res["headline"]["mean"] == pytest.approx(passed / len(_expected()))
    md = (out / "results.md").read_text()
    assert "- grader: `official`" in md and "| metric (official) |" in md and "completions" in md


def test_lcb_completions_judge_and_subset_window(tmp_path, capsys):
    """--grader judge is recorded; --start/--end grade the questions in the window and skip the rest."""
    out = tmp_path / "judge"
    args = [*LCB, "--completions", str(PAIRS_DIR / "completions.jsonl"), "--grader", "judge", "--start", "2024-08-01",
            "--end", "2024-09-30", "--out", str(out)]
    assert main(args) == 0
    assert "skipped 5 questions" in capsys.readouterr().out
    verdicts = _verdicts(out)
    assert [(v["question_id"], v["sample"], v["passed"]) for v in verdicts] == [
        ("div01", 0, True), ("div01", 1, False), ("sum01", 0, True), ("sum01", 1, True)]  # buffer readline: real judge
    assert {v["grader"] for v in verdicts} == {"judge"}
    res = json.loads((out / "results.json").read_text())
    assert res["grader"]["name"] == "judge" and "lcb_commit" not in res["grader"]
    from verl_srpo.rewards import SCORING_VERSION  # the judge is the training reward: its rules' version

    assert res["grader"]["scoring_version"] == SCORING_VERSION
    assert res["dataset"]["window"] == {"start": "2024-08-01", "end": "2024-09-30"}
    assert res["dataset"]["num_problems"] == 2 and res["headline"]["mean"] == pytest.approx(0.75)


def test_completions_with_model_records_the_weights(tiny_model, tmp_path):
    from verl_srpo.eval.fingerprint import local_fingerprint

    out = tmp_path / "with-model"
    assert main([*LCB, "--completions", str(PAIRS_DIR / "custom_outputs.json"), "--model", str(tiny_model),
                 "--start", "2024-08-01", "--end", "2024-08-31", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["model"]["name"] == str(tiny_model) and res["model"]["fingerprint"] == local_fingerprint(tiny_model)


def test_aime_completions(aime_file, tmp_path):
    out = tmp_path / "aime"
    assert main(["aime24", "--dataset", str(aime_file), "--expect-problems", "3", "--completions",
                 str(DATA / "aime_completions.jsonl"), "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["headline"] == {**res["metrics"]["avg@2"], "metric": "avg@2", "grader": "math_reward"}
    assert res["headline"]["mean"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    verdicts = _verdicts(out)
    assert [(v["question_id"], v["sample"], v["passed"], v["failure"], v["pred"]) for v in verdicts] == [
        ("60", 0, True, "none", "24"), ("60", 1, True, "none", "24"), ("61", 0, True, "none", "204"),
        ("61", 1, False, "wrong_answer", "200"), ("62", 0, True, "none", "9"), ("62", 1, False, "no_answer", None)]
    assert all(v["grader"] == "math_reward" and v["per_test"] is None for v in verdicts)
    from verl_srpo.rewards import SCORING_VERSION

    assert res["grader"]["scoring_version"] == SCORING_VERSION and res["metrics"]["math_verify_errors"] == 0
    assert f"(scoring rules v{SCORING_VERSION})" in (out / "results.md").read_text()


def test_aime_completions_count_math_verify_failures(aime_file, tmp_path, broken_math_verify):
    """math-verify broken where the run is scored: the answers it had to check count as wrong, and results.json
    (per sample and in total) and results.md say how many checks failed."""
    answers = [["2 \\cdot 12", "24"], ["204", "2 \\cdot 102"], ["3^2", "3 \\cdot 3"]]  # 4 need math-verify
    path = tmp_path / "symbolic.jsonl"
    path.write_text("".join(json.dumps({"question_id": q, "responses": [f"<answer>{a}</answer>" for a in pair]})
                            + "\n" for q, pair in zip(("60", "61", "62"), answers)))
    out = tmp_path / "aime"
    assert main(["aime24", "--dataset", str(aime_file), "--expect-problems", "3", "--completions", str(path),
                 "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["metrics"]["math_verify_errors"] == 4
    assert [[s["math_verify_errors"] for s in p["samples"]] for p in res["problems"]] == [[1, 0], [0, 1], [1, 1]]
    assert res["headline"]["mean"] == pytest.approx((0.5 + 0.5 + 0) / 3)  # every symbolic answer counted wrong
    assert "**math-verify failed on 4 checks**" in (out / "results.md").read_text()


def _write(tmp_path, lines) -> str:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return str(path)


def test_completions_files_are_checked(tmp_path):
    ok = {"question_id": "sum01", "responses": ["a", "b"]}
    with pytest.raises(CompletionsError, match="question sum01 appears twice"):
        read_completions(_write(tmp_path, [ok, ok]))
    with pytest.raises(CompletionsError, match=r"same number of responses .*\{1: \['div01'\], 2: \['sum01'\]\}"):
        read_completions(_write(tmp_path, [ok, {"question_id": "div01", "responses": ["a"]}]))
    with pytest.raises(CompletionsError, match="'responses' must be a non-empty list of strings"):
        read_completions(_write(tmp_path, [{"question_id": "sum01", "responses": "print(1)"}]))
    with pytest.raises(CompletionsError, match=r'expected \{"question_id": \.\.\., "responses"'):
        read_completions(_write(tmp_path, [{"id": "sum01", "responses": ["a"]}]))
    lists = tmp_path / "lists.json"
    lists.write_text(json.dumps([["print(1)"]]))
    with pytest.raises(CompletionsError, match=r'expected \{"question_id": \.\.\., "code_list"'):
        read_completions(lists)
    with pytest.raises(CompletionsError, match="only lcb takes"):
        read_completions(PAIRS_DIR / "custom_outputs.json", allow_code_list=False)
    with pytest.raises(CompletionsError, match="no such file"):
        read_completions(tmp_path / "absent.jsonl")


def test_completions_must_fit_the_selection(tmp_path, capsys):
    one = _write(tmp_path, [{"question_id": "sum01", "responses": ["x"]}])
    assert main([*LCB, "--completions", one, "--out", str(tmp_path / "o")]) == 2  # a user error: one line, code 2
    err = capsys.readouterr().err
    assert err.startswith("python -m eval lcb: error: ") and err.count("\n") == 1
    assert re.search(r"covers 1 of the 7 problems .*missing: \['3901', '3902', '3903', 'div01'", err)
    extra = [json.loads(line) for line in (PAIRS_DIR / "completions.jsonl").read_text().splitlines()]
    unknown = _write(tmp_path, [*extra, {"question_id": "abc999", "responses": ["x", "y"]}])
    match = r"1 question id\(s\) not in \S+lcb_pairs release_v1 \(first: \['abc999'\]\); check --dataset"
    assert main([*LCB, "--completions", unknown, "--out", str(tmp_path / "o")]) == 2
    assert re.search(match, capsys.readouterr().err)


def test_model_is_required_without_completions(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["lcb", "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    assert "--model is required (or --completions FILE" in capsys.readouterr().err
