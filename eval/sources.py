"""Where dataset files come from: a local file or directory, or a Hub dataset at a pinned commit.

Both return the files to read and a provenance record for the results JSON (the resolved Hub commit,
or the sha256 of each local file), so a result can always be traced to the exact bytes it used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from verl_srpo.eval.errors import DatasetError, DatasetNotFound, Unavailable, cache_miss, first_line

DATA_SUFFIXES = (".parquet", ".jsonl", ".json")


def local_files(path: Path, keep: Callable[[str], bool]) -> tuple[list[Path], dict]:
    """Data files of a local file or directory (recursively), filtered by name."""
    from verl_srpo.hashing import sha256_file

    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and keep(p.name))
    if not files:
        raise DatasetNotFound(f"no dataset files in {path}: pass a {'/'.join(DATA_SUFFIXES)} file or a folder of them")
    prov = {"source": str(path), "revision": None, "files": {f.name: "sha256:" + sha256_file(f) for f in files}}
    return files, prov


def hub_files(repo_id: str, revision: str | None, keep: Callable[[str], bool]) -> tuple[list[Path], dict]:
    """Download the Hub dataset files whose names ``keep`` accepts, at one resolved commit."""
    from huggingface_hub import HfApi, hf_hub_download

    info = HfApi().dataset_info(repo_id, revision=revision)
    names = sorted(s.rfilename for s in info.siblings or [] if keep(s.rfilename.rsplit("/", 1)[-1]))
    if not names:
        raise FileNotFoundError(f"dataset {repo_id}@{info.sha} has no matching data files")
    files = [Path(hf_hub_download(repo_id, n, repo_type="dataset", revision=info.sha)) for n in names]
    return files, {"source": repo_id, "revision": info.sha, "files": names}


def cached_hub_files(repo_id: str, revision: str | None, keep: Callable[[str], bool]) -> tuple[list[Path], dict]:
    """The same files from the local Hugging Face cache (offline machines)."""
    from huggingface_hub import snapshot_download

    snap = Path(snapshot_download(repo_id, repo_type="dataset", revision=revision, local_files_only=True))
    files, _ = local_files(snap, keep)
    return files, {"source": repo_id, "revision": snap.name, "files": [str(f.relative_to(snap)) for f in files]}


def resolve(source: str, revision: str | None, keep: Callable[[str], bool]) -> tuple[list[Path], dict]:
    """``source`` is a local path if it exists, else a Hub dataset id (the Hub, or else the local cache)."""
    path = Path(source)
    if path.exists():
        if revision:
            raise DatasetError(f"--dataset-revision {revision} applies to Hub ids only; {source} is a local path")
        return local_files(path, keep)
    if source.count("/") != 1 or source.startswith((".", "/")):
        raise DatasetNotFound(f"--dataset {source} is neither an existing path nor a Hub dataset id (owner/name): "
                              "check the path")
    try:
        return hub_files(source, revision, keep)
    except Exception as hub_error:
        try:
            return cached_hub_files(source, revision, keep)
        except Exception as cache_error:
            raise Unavailable(
                f"cannot read dataset {source}: no such local path; the Hub: {first_line(hub_error)}; the local "
                f"cache: {cache_miss(cache_error)}. Check the path, or download the dataset where the Hub is "
                f"reachable (hf download --repo-type dataset {source}) and pass --dataset PATH"
            ) from cache_error


def read_records(path: Path) -> list[dict]:
    """Rows of a parquet, jsonl or json (list of objects) file."""
    if path.suffix == ".parquet":
        import pandas as pd  # here, not at the top: eval.lcb's constants are imported by the release kit

        return pd.read_parquet(path).to_dict(orient="records")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if path.suffix == ".json":
        data = json.loads(text)
        if isinstance(data, list):
            return data
        raise DatasetError(f"{path}: expected a JSON list of problems, got {type(data).__name__}")
    raise DatasetError(f"{path}: unsupported format {path.suffix!r}; use one of {DATA_SUFFIXES}")
