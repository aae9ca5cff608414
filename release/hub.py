"""Plan and push a release to the Hugging Face Hub.

``make_plan`` looks (read-only) at the remote repository and says exactly what a push would do:
repo, tag, every file with its size and whether it is new, changed or unchanged, stale remote shards
to delete, and the diff of the model card. ``push`` then does it with ``huggingface_hub``:
``create_repo(exist_ok=True)``, ``upload_folder`` (one commit: uploads are staged as LFS objects
first, so a failure mid-upload leaves the branch as it was, and a rerun completes it) and a version
tag. A release whose tag already exists with the same files changes nothing. The token is
``huggingface_hub``'s own (``HF_TOKEN`` or ``hf auth login``); it is never printed.

``check_remote`` runs before any heavy work: it validates ids, and decides whether the Hub is consulted.
A dry run goes on without the Hub (offline, or unreachable) and says so; a push (``CONFIRM=1``) refuses
unless the Hub answers and the token may write to the namespace.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from verl_srpo.hashing import sha256_file
from verl_srpo.release.errors import ReleaseError, in_cli_terms

WEIGHT_PATTERNS = ["*.safetensors", "model.safetensors.index.json"]  # remote weights not in the folder go
IGNORE_PATTERNS = [".*", "**/.*"]  # .release/ (merge bookkeeping) and caches never leave the machine


@dataclass
class Plan:
    """What ``push`` will do. ``remote`` is None when the Hub was not consulted (offline)."""

    repo_id: str
    tag: str
    commit_message: str
    commit_description: str
    files: dict[str, int]
    card: str
    remote: dict[str, str] | None = None  # path -> "lfs:<sha256>" | "git:<sha1>" at main
    remote_readme: str | None = None
    tag_exists: bool = False
    status: dict[str, str] = field(default_factory=dict)  # path -> new | changed | unchanged | unknown
    deletions: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def changes(self) -> bool:
        return bool(self.deletions) or any(s != "unchanged" for s in self.status.values())

    def render(self, confirm: bool) -> str:
        total = sum(self.files.values())
        head = "PUSH" if confirm else in_cli_terms("DRY RUN (nothing leaves this machine; CONFIRM=1 pushes)")
        lines = [
            f"== release plan: {head}",
            f"repo:    https://huggingface.co/{self.repo_id} (model)"
            + ("" if self.remote is None else " [exists]" if self.remote else " [will be created]"),
            f"tag:     {self.tag}" + (" [exists: nothing to do if the files match]" if self.tag_exists else ""),
            f"commit:  {self.commit_message}",
            f"token:   {_token_note()}",
        ]
        if self.note:
            lines.append(f"remote:  {self.note}")
        lines.append(f"files ({len(self.files)}, {_mb(total)}):")
        for path, size in self.files.items():
            lines.append(f"  {self.status.get(path, 'unknown'):>9}  {_mb(size):>10}  {path}")
        lines += [f"    delete               {path}" for path in self.deletions]
        lines.append("model card (README.md) diff against the Hub:" if self.remote else "model card (README.md):")
        diff = difflib.unified_diff(
            (self.remote_readme or "").splitlines(keepends=True), self.card.splitlines(keepends=True),
            fromfile=f"hub:{self.repo_id}/README.md", tofile="local:README.md",
        )  # fmt: skip
        lines.append("".join(diff).rstrip("\n") or "  (unchanged)")
        if self.remote is None:
            verdict = "ready (remote state not consulted)"
        else:
            verdict = "ready" if self.changes else "nothing to change: this release is already published"
        lines.append(f"== {verdict}")
        return "\n".join(lines)


def _mb(n: int) -> str:
    """Human size: 9234 -> "9,234 B", 4_900_000_000 -> "4.90 GB"."""
    if n < 1e6:
        return f"{n:,} B"
    return f"{n / 1e6:.1f} MB" if n < 1e9 else f"{n / 1e9:.2f} GB"


def _token_note() -> str:
    from huggingface_hub import get_token

    return "found (HF_TOKEN or login; not shown)" if get_token() else "none: set HF_TOKEN or run `hf auth login`"


def local_oid(path: Path, lfs: bool, content: bytes | None = None) -> str:
    """The Hub's id of a file's content (``content`` when given, else the file's): ``lfs:<sha256>`` for
    LFS files, ``git:<sha1 of the blob>`` else."""
    from huggingface_hub.utils.sha import git_hash

    if content is not None:
        return ("lfs:" + hashlib.sha256(content).hexdigest()) if lfs else "git:" + git_hash(content)
    if lfs:
        return "lfs:" + sha256_file(path)
    return "git:" + git_hash(path.read_bytes())


def remote_files(api, repo_id: str, revision: str) -> dict[str, str]:
    """``{path: oid}`` of every file at ``revision`` (oids as in ``local_oid``)."""
    out = {}
    for entry in api.list_repo_tree(repo_id, revision=revision, recursive=True):
        if hasattr(entry, "blob_id"):  # a RepoFile, not a RepoFolder
            out[entry.path] = f"lfs:{entry.lfs.sha256}" if entry.lfs else f"git:{entry.blob_id}"
    return out


def _compare(plan: Plan, folder: Path, remote: dict[str, str]) -> None:
    import fnmatch

    for path in plan.files:
        if path not in remote:
            plan.status[path] = "new"
        else:
            card = plan.card.encode() if path == "README.md" else None
            same = local_oid(folder / path, remote[path].startswith("lfs:"), card) == remote[path]
            plan.status[path] = "unchanged" if same else "changed"
    plan.deletions = sorted(
        p for p in remote if p not in plan.files and any(fnmatch.fnmatch(p, pat) for pat in WEIGHT_PATTERNS)
    )


def make_plan(api, *, repo_id: str, folder: Path, files: dict[str, int], card: str, tag: str,
              commit_message: str, commit_description: str, remote: Remote) -> Plan:  # fmt: skip
    """Build the plan; reads the remote repository when ``remote.consulted``.

    ``files`` lists the folder's uploadable files with ``README.md`` as ``card`` (written after the plan).
    """
    plan = Plan(repo_id, tag, commit_message, commit_description, dict(files), card)
    plan.status = dict.fromkeys(files, "unknown")
    if not remote.consulted:
        plan.note = f"not consulted ({remote.reason}): every file is listed as it would be sent"
        return plan
    try:
        _read_remote(api, plan, folder)
    except Exception as exc:
        if not is_unreachable(exc) and not _is_hub_error(exc):
            raise
        raise ReleaseError(f"reading {repo_id} on the Hub failed: {one_line(exc)}; rerun when the Hub answers") \
            from None
    return plan


def _read_remote(api, plan: Plan, folder: Path) -> None:
    repo_id, tag = plan.repo_id, plan.tag
    if not api.repo_exists(repo_id):
        plan.remote, plan.status = {}, dict.fromkeys(plan.files, "new")
        return
    refs = api.list_repo_refs(repo_id)
    plan.tag_exists = any(t.name == tag for t in refs.tags)
    plan.remote = remote_files(api, repo_id, tag if plan.tag_exists else "main")
    if "README.md" in plan.remote:
        plan.remote_readme = Path(api.hf_hub_download(repo_id, "README.md", revision="main")).read_text()
    _compare(plan, folder, plan.remote)
    if plan.tag_exists and plan.changes:
        changed = sorted(p for p, s in plan.status.items() if s != "unchanged") + plan.deletions
        raise ReleaseError(
            f"tag {tag} already exists on {repo_id} with different files ({', '.join(changed)}): a published "
            "version is immutable; set a new VERSION"
        )


def _push(api, plan: Plan, folder: Path, *, private: bool = False) -> str:
    """Create the repo, upload the folder in one commit, tag it; returns the tagged commit id."""
    if plan.tag_exists and not plan.changes:
        print(f"[hub] {plan.repo_id}@{plan.tag} is already published with these files; nothing to do")
        return ""
    api.create_repo(plan.repo_id, repo_type="model", private=private, exist_ok=True)
    commit = api.upload_folder(
        repo_id=plan.repo_id, folder_path=str(folder), repo_type="model", commit_message=plan.commit_message,
        commit_description=plan.commit_description, ignore_patterns=IGNORE_PATTERNS,
        delete_patterns=WEIGHT_PATTERNS,
    )  # fmt: skip
    api.create_tag(plan.repo_id, tag=plan.tag, revision=commit.oid, tag_message=plan.commit_message)
    print(f"[hub] pushed {commit.commit_url}, tagged {plan.tag}")
    return commit.oid


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


# -- ids --------------------------------------------------------------------------------------------
def is_hub_id(value: str) -> bool:
    """True for a ``namespace/name`` id that ``huggingface_hub``'s own validator accepts."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return value.count("/") == 1


def check_hub_id(value: str, what: str = "REPO_ID") -> str:
    """``value`` if it is a ``namespace/name`` Hub id, else one ``ReleaseError`` line saying why.

    ``huggingface_hub.utils.validate_repo_id`` decides what a name may hold (letters, digits, ``-_.``,
    no ``--``/``..``, at most 96 characters); a release also needs the namespace (a user or an org):
    ``org/``, ``/x``, ``a/b/c``, ``my org/bad name!`` and ``name`` are all refused.
    """
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    example = "my-org/SRPO-Qwen-32B" if what == "REPO_ID" else "Qwen/Qwen2.5-32B"
    if not isinstance(value, str) or value.count("/") != 1:
        raise ReleaseError(f"{what}={value!r} must be <user or org>/<name>, e.g. {example}")
    try:
        validate_repo_id(value)
    except HFValidationError as exc:
        raise ReleaseError(f"{what}={value!r} is not a valid Hub id: {one_line(exc)}") from None
    return value


# -- the remote, before any heavy work ----------------------------------------------------------
@dataclass(frozen=True)
class Remote:
    """Whether the Hub is consulted for the plan, and if not, why (printed in the plan)."""

    consulted: bool
    reason: str = ""


def one_line(exc: BaseException) -> str:
    """``"ConnectError: [Errno -2] Name or service not known"``: the type and the first line of the message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def is_unreachable(exc: BaseException) -> bool:
    """A network failure (no route, DNS, timeout, offline mode), as opposed to an answer from the Hub."""
    import httpx
    from huggingface_hub.errors import HfHubHTTPError

    return isinstance(exc, (httpx.TransportError, ConnectionError)) or (
        isinstance(exc, OSError) and not isinstance(exc, HfHubHTTPError)
    )


def _is_hub_error(exc: BaseException) -> bool:
    from huggingface_hub.errors import HfHubHTTPError

    return isinstance(exc, HfHubHTTPError)


def check_remote(api, repo_id: str, *, confirm: bool, base_model: str | None = None, license: str | None = None,
                 config: dict | None = None) -> Remote:  # fmt: skip
    """Decide, before any heavy work, whether the Hub is consulted; refuse a push that cannot succeed.

    A push (``confirm``) needs: ``HF_HUB_OFFLINE`` unset, a token, the Hub reachable, the token valid,
    not read-only, and its user a member of ``repo_id``'s namespace. A dry run goes on without the Hub
    and says why. When the Hub answers, ``base_model`` must exist there, with ``license`` and, if
    ``config`` (the checkpoint's ``config.json``) is given, the same architecture.
    """
    from huggingface_hub import get_token

    if is_offline():
        if confirm:
            raise ReleaseError("CONFIRM=1 but HF_HUB_OFFLINE is set: unset it to push (a dry run works offline)")
        return Remote(False, "HF_HUB_OFFLINE=1")
    token = get_token()
    if confirm and not token:
        raise ReleaseError(
            "CONFIRM=1 needs a Hugging Face token with write access: set HF_TOKEN or run `hf auth login`"
        )
    try:
        if confirm:
            _check_token_can_write(api.whoami(token=token), repo_id)
        else:
            api.repo_exists(repo_id)  # the cheapest read: does the Hub answer?
    except Exception as exc:
        if is_unreachable(exc):
            if confirm:
                raise ReleaseError(f"CONFIRM=1 but the Hub is not reachable ({one_line(exc)}): check the network "
                                   "(HF_ENDPOINT, proxy) and rerun; a dry run works offline") from None
            return Remote(False, f"the Hub is not reachable: {one_line(exc)}")
        if not _is_hub_error(exc):
            raise
        if confirm:
            raise ReleaseError(f"the Hub refused the token ({one_line(exc)}): set HF_TOKEN to a valid token with "
                               "write access, or run `hf auth login`") from None
        return Remote(False, f"the Hub answered {one_line(exc)}")
    if base_model:
        try:
            check_base_model(api, base_model, license=license, config=config)
        except ReleaseError:
            raise
        except Exception as exc:
            if not is_unreachable(exc) and not _is_hub_error(exc):
                raise
            raise ReleaseError(f"checking the base model {base_model} on the Hub failed ({one_line(exc)}); "
                               "rerun when the Hub answers") from None
    return Remote(True)


def _check_token_can_write(who: dict, repo_id: str) -> None:
    role = ((who.get("auth") or {}).get("accessToken") or {}).get("role")
    if role == "read":
        raise ReleaseError("the Hugging Face token is read-only: create one with write access and set HF_TOKEN")
    namespace = repo_id.split("/")[0]
    mine = {who.get("name")} | {org.get("name") for org in who.get("orgs") or []}
    if namespace not in mine:
        raise ReleaseError(
            f"the token's user {who.get('name')!r} cannot create repositories in {namespace!r}: it is not one of "
            f"its namespaces {sorted(n for n in mine if n)}; set REPO_ID=<one of them>/<name>"
        )


# config.json keys that tell one architecture and size from another
_ARCH_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
              "intermediate_size", "vocab_size")  # fmt: skip


def check_base_model(api, base_model: str, *, license: str | None, config: dict | None) -> None:
    """Refuse a ``base_model`` that the Hub does not have, whose license differs from ``license``, or
    whose ``config.json`` describes another architecture than ``config`` (the checkpoint's)."""
    import json

    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        info = api.model_info(base_model)
    except GatedRepoError:
        return  # it exists; its files need an accepted licence, so there is nothing more to compare
    except RepositoryNotFoundError:
        raise ReleaseError(f"base model {base_model} is not a model on the Hub: fix BASE_MODEL "
                           "(or the run config's model path)") from None
    card = getattr(info, "card_data", None)
    base_license = card.get("license") if card is not None else None
    if license and base_license and base_license != license:
        raise ReleaseError(f"LICENSE={license}, but the base model {base_model} is licensed {base_license}: "
                           f"set LICENSE={base_license}")
    if config is not None and any(s.rfilename == "config.json" for s in info.siblings or []):
        try:
            remote = json.loads(Path(api.hf_hub_download(base_model, "config.json", revision=info.sha)).read_text())
        except GatedRepoError:
            return
        differ = [f"{k} {remote.get(k)} vs {config.get(k)}" for k in _ARCH_KEYS
                  if k in remote and k in config and remote[k] != config[k]]  # fmt: skip
        if differ:
            raise ReleaseError(f"the checkpoint is not a {base_model}: config.json differs in {', '.join(differ)} "
                               "(base vs checkpoint); fix BASE_MODEL")


def push(api, plan: Plan, folder: Path, *, private: bool = False) -> str:
    """``_push``, with a failure of the Hub or the network reported in one line: nothing was committed,
    a rerun resumes (huggingface_hub wraps a failed upload in a ``RuntimeError``; its cause is the Hub's)."""
    try:
        return _push(api, plan, folder, private=private)
    except Exception as exc:
        cause = next((e for e in _chain(exc) if is_unreachable(e) or _is_hub_error(e)), None)
        if cause is None:
            raise
        what = one_line(exc) if cause is exc else f"{one_line(exc)} {one_line(cause)}"
        raise ReleaseError(f"the push to {plan.repo_id} failed ({what}): the branch is unchanged "
                           "(one commit, all or nothing); rerun the same command to resume the upload") from None


def _chain(exc: BaseException | None):
    """``exc`` and the exceptions it was raised from, outermost first."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
