"""Where a source's rows come from: the files of one split, what identifies their content, and a
reader that streams them.

* **Split.** A dataset's files are assigned to splits the way ``datasets.load_dataset`` does it: by the
  ``configs: data_files`` of its card (``README.md`` front matter) when it has one, else by split words
  in the file path (``train``, ``test``/``eval``, ``validation``/``dev``, between separators, as in
  ``data/train-00000-of-00001.parquet`` or ``test2.jsonl``), else every file is ``train``. Only the
  requested split is read; a split the dataset lacks fails with the splits it has.
* **Content.** A Hub dataset is read at one resolved commit (the commit is its identity); local files
  are identified by their sha256, remembered per (path, size, mtime) so an unchanged file is not
  re-read on every run.
* **Streaming.** Rows come one at a time: parquet by record batches of the needed columns (unbuffered
  column chunks, so a row group of a million rows never sits in memory whole), ``datasets`` Arrow
  files by record batch, JSON Lines by line, and a JSON array by an incremental parser (``ijson``), so
  memory stays bounded by the largest row, not the file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from verl_srpo.eval.errors import cache_miss
from verl_srpo.hashing import sha256_file

DATA_SUFFIXES = (".parquet", ".arrow", ".jsonl", ".json")
# What a ``datasets.save_to_disk`` folder holds beside its data: metadata, never rows.
METADATA_FILES = frozenset({"dataset_info.json", "dataset_infos.json", "dataset_dict.json", "state.json"})
# ``datasets``' split words (datasets/data_files.py); a word counts between separators "-._ 0-9" or "/".
SPLIT_WORDS = {"train": ("train", "training"), "validation": ("validation", "valid", "dev", "val"),
               "test": ("test", "testing", "eval", "evaluation")}
_SEPARATORS = re.compile(r"[-._ 0-9/]+")
_CHUNK = 1 << 20


def is_data_file(relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1]
    return (name.endswith(DATA_SUFFIXES) and name not in METADATA_FILES
            and not name.startswith((".", "README")) and not any(p.startswith(".") for p in relpath.split("/")))


def split_of(relpath: str) -> str | None:
    """The split a file's path names (``None``: none). Raises on a path that names two splits."""
    words = set(_SEPARATORS.split(relpath.lower()))
    found = sorted(split for split, names in SPLIT_WORDS.items() if words & set(names))
    if len(found) > 1:
        raise ValueError(f"{relpath} names the splits {found}; rename it or give the card's data_files")
    return found[0] if found else None


def _glob_regex(pattern: str) -> re.Pattern:
    """``datasets``' data_files glob: ``**`` crosses folders, ``*`` and ``?`` do not."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i])))
            i += 1
    return re.compile("".join(out))


def card_data_files(card_text: str) -> tuple[str, dict[str, list[str]]] | None:
    """``(config_name, {split: [patterns]})`` from a dataset card's ``configs``, or None without one.

    The config marked ``default: true`` is used, else the first one (as ``load_dataset`` without a name).
    """
    import yaml

    m = re.match(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", card_text, re.S)
    meta = yaml.safe_load(m.group(1)) if m else None
    configs = meta.get("configs") if isinstance(meta, dict) else None
    if not configs or not isinstance(configs, list):
        return None
    config = next((c for c in configs if isinstance(c, dict) and c.get("default")), configs[0])
    data_files, name = config.get("data_files"), config.get("config_name", "default")
    if data_files is None:
        return None
    if isinstance(data_files, dict):
        return name, {split: _as_list(globs) for split, globs in data_files.items()}
    if isinstance(data_files, list) and all(isinstance(d, dict) for d in data_files):
        return name, {d["split"]: _as_list(d["path"]) for d in data_files}
    return name, {"train": _as_list(data_files)}


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def select_split(relpaths: Sequence[str], split: str, card_text: str | None) -> tuple[list[str], str]:
    """The data files of ``split``, and how the split was told (for the summary)."""
    data = sorted(p for p in relpaths if is_data_file(p))
    if not data:
        raise FileNotFoundError("no data files (" + ", ".join(DATA_SUFFIXES) + ")")
    layout = card_data_files(card_text) if card_text else None
    if layout is not None:
        config, patterns = layout
        by_split = {s: [p for p in data if any(_glob_regex(g).fullmatch(p) for g in globs)]
                    for s, globs in patterns.items()}
        how = f"the card's data_files (config {config})"
    else:
        named = {p: split_of(p) for p in data}
        if any(named.values()):
            by_split: dict[str, list[str]] = {}
            for p, s in named.items():
                by_split.setdefault(s or "train", []).append(p)
            how = "split words in the file names"
        else:
            by_split, how = {"train": data}, "one split (no split in the card or the file names)"
    if not by_split.get(split):
        have = ", ".join(f"{s} ({len(f)} files)" for s, f in sorted(by_split.items()) if f) or "none"
        raise FileNotFoundError(f"no files of split {split!r} (splits found by {how}: {have})")
    return by_split[split], how


class FileHashes:
    """sha256 of local files, remembered in ``memo_path`` per (absolute path, size, mtime)."""

    def __init__(self, memo_path: Path | None = None):
        self.memo_path = memo_path
        self.memo = json.loads(memo_path.read_text()) if memo_path and memo_path.exists() else {}

    def sha256(self, path: Path) -> str:
        stat = path.stat()
        key, stamp = str(path.resolve()), [stat.st_size, stat.st_mtime_ns]
        known = self.memo.get(key)
        if known and known[:2] == stamp:
            return known[2]
        self.memo[key] = [*stamp, "sha256:" + sha256_file(path)]
        if self.memo_path:
            self.memo_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.memo_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.memo, indent=0, sort_keys=True))
            os.replace(tmp, self.memo_path)
        return self.memo[key][2]


@dataclass
class DatasetFiles:
    """The files of one split of a dataset. ``revision`` is the Hub commit (None for local files)."""

    location: str
    split: str
    relpaths: list[str]
    layout: str
    revision: str | None = None
    root: Path | None = None  # local folder (or Hub snapshot) holding the files
    download: object = field(default=None, repr=False)  # relpath -> Path, for Hub files not yet local

    def path(self, relpath: str) -> Path:
        return self.download(relpath) if self.download else self.root / relpath

    def paths(self) -> Iterator[tuple[str, Path]]:
        for rel in self.relpaths:
            yield rel, self.path(rel)

    def identity(self, hashes: FileHashes) -> dict:
        """What the content is: the Hub commit, or the sha256 of every local file."""
        if self.revision:
            return {"location": self.location, "split": self.split, "revision": self.revision, "files": self.relpaths}
        return {"location": self.location, "split": self.split,
                "files": {rel: hashes.sha256(p) for rel, p in self.paths()}}


def resolve(location: str, split: str, use_card: bool = True) -> DatasetFiles:
    """The ``split`` files of a local file/folder, else of a Hub dataset id ``owner/name[@revision]`` (the
    Hub at that or the current commit, or else the local Hugging Face cache). Errors name the location.
    ``use_card=False`` ignores the card's ``configs`` (for datasets whose files are chosen by their own rule)."""
    path = Path(location)
    try:
        if path.exists():
            return _local(path, split, location, use_card)
        repo_id, _, revision = location.partition("@")
        if repo_id.count("/") != 1 or repo_id.startswith((".", "/")):
            raise FileNotFoundError("neither an existing path nor a Hub dataset id (owner/name[@revision])")
        try:
            return _hub(repo_id, split, revision or None, use_card)
        except FileNotFoundError:
            raise
        except Exception as hub_error:
            try:
                return _hub_cache(repo_id, split, revision or None, use_card)
            except Exception as cache_error:
                raise RuntimeError(f"Hub: {hub_error}; local cache: {cache_miss(cache_error)}. Download the dataset's "
                                   "files and pass its local folder") from cache_error
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        raise type(err)(f"{location}: {err}") from err


def _local(path: Path, split: str, location: str, use_card: bool = True) -> DatasetFiles:
    if path.is_file():
        root, rels = path.parent, [path.name]
    else:
        root = path
        rels = sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*") if p.is_file())
    card = root / "README.md"
    card_text = card.read_text(encoding="utf-8") if use_card and path.is_dir() and card.exists() else None
    chosen, how = select_split(rels, split, card_text)
    return DatasetFiles(location, split, chosen, how, root=root)


def _hub(repo_id: str, split: str, revision: str | None, use_card: bool = True) -> DatasetFiles:
    from huggingface_hub import HfApi, hf_hub_download

    info = HfApi().dataset_info(repo_id, revision=revision)
    names = [s.rfilename for s in info.siblings or []]
    card_text = None
    if use_card and "README.md" in names:
        card_text = Path(hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=info.sha)).read_text()
    chosen, how = select_split(names, split, card_text)

    def download(rel: str) -> Path:
        return Path(hf_hub_download(repo_id, rel, repo_type="dataset", revision=info.sha))

    return DatasetFiles(repo_id, split, chosen, how, revision=info.sha, download=download)


def _hub_cache(repo_id: str, split: str, revision: str | None, use_card: bool = True) -> DatasetFiles:
    from huggingface_hub import snapshot_download

    snap = Path(snapshot_download(repo_id, repo_type="dataset", revision=revision, local_files_only=True))
    files = _local(snap, split, repo_id, use_card)
    files.revision = snap.name  # the snapshot folder is named by its commit
    return files


# --- streaming readers --------------------------------------------------------------------------

def iter_rows(path: Path, columns: Sequence[str] | None = None) -> Iterator[dict]:
    """The rows of one data file as dicts, streamed; ``columns`` limits parquet/arrow reads to those
    (missing ones are skipped). JSON files may be an array of objects or JSON Lines."""
    name = path.name
    if name.endswith(".parquet"):
        yield from _parquet_rows(path, columns)
    elif name.endswith(".arrow"):
        yield from _arrow_rows(path, columns)
    elif name.endswith(".jsonl"):
        yield from _json_lines(path)
    elif name.endswith(".json"):
        yield from _json_rows(path)
    else:
        raise ValueError(f"{path}: unsupported format; use one of {DATA_SUFFIXES}")


def _parquet_rows(path: Path, columns, batch_size: int = 256) -> Iterator[dict]:
    import pyarrow.parquet as pq

    # pre_buffer=False + a read buffer: column chunks are decoded page by page, not read whole.
    pf = pq.ParquetFile(path, pre_buffer=False, buffer_size=_CHUNK)
    cols = [c for c in columns if c in pf.schema_arrow.names] if columns else None
    for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
        yield from batch.to_pylist()


def _arrow_rows(path: Path, columns) -> Iterator[dict]:
    """``datasets``' on-disk Arrow files (IPC stream format; the file format is read too)."""
    import pyarrow as pa

    with pa.OSFile(str(path)) as source:
        try:
            reader = pa.ipc.open_stream(source)
            batches = iter(reader)
        except pa.ArrowInvalid:
            source.seek(0)
            reader = pa.ipc.open_file(source)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        for batch in batches:
            if columns:
                batch = batch.select([c for c in columns if c in batch.schema.names])
            yield from batch.to_pylist()


def _json_lines(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{number}: not a JSON line ({err})") from err


def _json_rows(path: Path) -> Iterator[dict]:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(b"["):
        try:
            import ijson
        except ImportError as err:
            raise ImportError(f"{path} is a JSON array, which is streamed with ijson: pip install -e '.[data]' "
                              "(or pip install ijson)") from err

        with path.open("rb") as handle:
            yield from ijson.items(handle, "item", use_float=True)
    elif head.startswith(b"{"):
        yield from _json_lines(path)  # `datasets` reads a .json of one object per line too
    else:
        raise ValueError(f"{path}: expected a JSON array of objects or JSON Lines")
