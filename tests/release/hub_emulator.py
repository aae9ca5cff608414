"""An in-process emulation of the Hugging Face Hub HTTP API, for tests without network.

It speaks the endpoints ``huggingface_hub`` calls to create a repository, upload a folder through
the legacy LFS protocol (``HF_HUB_DISABLE_XET=1``), tag it, list and download its files: requests go
through an ``httpx.MockTransport`` installed with ``huggingface_hub.set_client_factory``. State is
git-like: a repository is a list of commits (each a full ``{path: File}`` snapshot), refs point to
commits, LFS objects live in a content-addressed store, and a commit is applied all-or-nothing.
Every request is recorded in ``calls`` (method, path, parsed payload) so tests can assert the real
sequence; ``fail_when`` injects a failure response for matching requests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import yaml

ENDPOINT = "https://huggingface.co"
LFS_HOST = "https://lfs.emulator.invalid"
GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"


def git_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass(frozen=True)
class File:
    content: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def oid(self) -> str:
        """What preupload reports: sha256 for LFS files, the git blob sha1 for regular ones."""
        return self.sha256 if self.lfs else git_sha1(self.content)


@dataclass
class Commit:
    oid: str
    message: str
    files: dict[str, File]


@dataclass
class Repo:
    commits: list[Commit] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def resolve(self, rev: str) -> Commit | None:
        oid = self.head.oid if rev == "main" else self.tags.get(rev, rev)
        return next((c for c in self.commits if c.oid == oid), None)


@dataclass
class Call:
    method: str
    path: str
    payload: object = None
    authorized: bool = False


def _is_lfs(path: str, size: int, content_sample: bytes) -> bool:
    return path.endswith((".safetensors", ".bin")) or size > 10_000_000 or b"\0" in content_sample


class HubEmulator:
    def __init__(self, token: str, user: str = "my-org", orgs: tuple[str, ...] = (), role: str = "write"):
        self.token = token
        self.user, self.orgs, self.role = user, orgs, role  # what /api/whoami-v2 says about the token
        self.repos: dict[str, Repo] = {}
        self.lfs_store: dict[str, bytes] = {}
        self.calls: list[Call] = []
        self.failures: list[Callable[[httpx.Request], httpx.Response | None]] = []

    # -- test helpers -------------------------------------------------------------------------
    def client_factory(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle), follow_redirects=True)

    def fail_when(self, rule: Callable[[httpx.Request], httpx.Response | None]) -> None:
        self.failures.append(rule)

    def add_model(self, repo_id: str, files: dict[str, bytes]) -> None:
        """A model repository that exists before the test (e.g. a base model), with ``files`` at main."""
        snapshot = {".gitattributes": File(GITATTRIBUTES, lfs=False)}
        snapshot.update({p: File(c, lfs=_is_lfs(p, len(c), c[:512])) for p, c in files.items()})
        self.repos[repo_id] = Repo([Commit(self._oid(f"init {repo_id}", snapshot), "initial commit", snapshot)])

    def names(self) -> list[str]:
        """The recorded calls as ``"METHOD /path"``, with the repository id shortened to ``{repo}``."""
        out = []
        for c in self.calls:
            path = c.path
            for repo_id in self.repos:
                path = path.replace(repo_id, "{repo}")
            out.append(f"{c.method} {path}")
        return out

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        auth = request.headers.get("authorization") == f"Bearer {self.token}"
        call = Call(request.method, path, self._payload(request), auth)
        self.calls.append(call)
        for rule in self.failures:
            if (response := rule(request)) is not None:
                return response
        for method, pattern, handler in self._routes():
            if request.method == method and (m := re.fullmatch(pattern, path)):
                # validate-yaml is a read; the LFS PUT goes to a pre-signed URL, as to S3 on the real Hub
                writes = method in ("POST", "DELETE") and "validate-yaml" not in path
                if writes and not auth:
                    return httpx.Response(401, json={"error": "Invalid credentials in Authorization header"})
                return handler(request, *m.groups())
        return httpx.Response(404, json={"error": f"emulator: no route for {request.method} {path}"})

    @staticmethod
    def _payload(request: httpx.Request):
        body = request.content if request.method != "PUT" else b""
        if not body:
            return None
        if request.headers.get("content-type", "").startswith("application/x-ndjson"):
            return [json.loads(line) for line in body.decode().splitlines() if line]
        try:
            return json.loads(body)
        except ValueError:
            return None

    def _routes(self):
        r = r"([^/]+/[^/]+)"
        return [
            ("POST", r"/api/repos/create", self.create_repo),
            ("GET", r"/api/whoami-v2", self.whoami),
            ("GET", rf"/api/models/{r}", lambda q, repo: self.repo_info(q, repo, "main")),
            ("GET", rf"/api/models/{r}/revision/(.+)", self.repo_info),
            ("GET", rf"/api/models/{r}/refs", self.refs),
            ("GET", rf"/api/models/{r}/tree/([^/]+)(?:/.*)?", self.tree),
            ("POST", r"/api/validate-yaml", self.validate_yaml),
            ("POST", rf"/api/models/{r}/preupload/(.+)", self.preupload),
            ("POST", rf"/{r}\.git/info/lfs/objects/batch", self.lfs_batch),
            ("PUT", r"/upload/([0-9a-f]{64})", self.lfs_put),
            ("POST", rf"/api/models/{r}/commit/(.+)", self.commit),
            ("POST", rf"/api/models/{r}/tag/(.+)", self.tag),
            ("DELETE", rf"/api/models/{r}/tag/(.+)", self.delete_tag),
            ("HEAD", rf"/{r}/resolve/([^/]+)/(.+)", self.resolve),
            ("GET", rf"/{r}/resolve/([^/]+)/(.+)", self.resolve),
        ]

    def _repo(self, repo_id: str) -> Repo | httpx.Response:
        if repo_id not in self.repos:
            return httpx.Response(404, headers={"x-error-code": "RepoNotFound"}, json={"error": "Repository not found"})
        return self.repos[repo_id]

    # -- endpoints ------------------------------------------------------------------------------
    def whoami(self, request):
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": "Invalid credentials in Authorization header"})
        return httpx.Response(200, json={
            "type": "user", "name": self.user, "orgs": [{"name": org} for org in self.orgs],
            "auth": {"type": "access_token", "accessToken": {"displayName": "emulator", "role": self.role}},
        })  # fmt: skip

    def create_repo(self, request):
        body = json.loads(request.content)
        repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else body["name"]
        if repo_id in self.repos:
            return httpx.Response(409, json={"error": "You already created this model repo", "url": f"{ENDPOINT}/{repo_id}"})
        files = {".gitattributes": File(GITATTRIBUTES, lfs=False)}
        self.repos[repo_id] = Repo([Commit(self._oid("initial commit", files), "initial commit", files)])
        return httpx.Response(200, json={"url": f"{ENDPOINT}/{repo_id}", "name": repo_id})

    def repo_info(self, request, repo_id, rev):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        commit = repo.resolve(rev)
        if commit is None:
            return httpx.Response(404, headers={"x-error-code": "RevisionNotFound"}, json={"error": "Invalid rev"})
        siblings = [{"rfilename": p, "size": len(f.content), "blobId": git_sha1(f.content),
                     **({"lfs": {"sha256": f.sha256, "size": len(f.content), "pointerSize": 134}} if f.lfs else {})}
                    for p, f in sorted(commit.files.items())]  # fmt: skip
        card = commit.files.get("README.md")
        meta = re.match(r"^---\n(.*?)\n---\n", card.content.decode(), re.DOTALL) if card else None
        return httpx.Response(200, json={"id": repo_id, "modelId": repo_id, "sha": commit.oid, "private": False,
                                         "tags": [], "siblings": siblings,
                                         **({"cardData": yaml.safe_load(meta.group(1))} if meta else {})})  # fmt: skip

    def refs(self, request, repo_id):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        return httpx.Response(200, json={
            "branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": repo.head.oid}],
            "tags": [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": oid} for t, oid in repo.tags.items()],
            "converts": [],
        })  # fmt: skip

    def tree(self, request, repo_id, rev):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        commit = repo.resolve(rev)
        entries = [{"type": "file", "oid": git_sha1(f.content), "size": len(f.content), "path": p,
                    **({"lfs": {"oid": f.sha256, "size": len(f.content), "pointerSize": 134}} if f.lfs else {})}
                   for p, f in sorted(commit.files.items())]  # fmt: skip
        return httpx.Response(200, json=entries)

    def validate_yaml(self, request):
        from huggingface_hub.repocard_data import model_index_to_eval_results

        content = json.loads(request.content)["content"]
        match = re.match(r"^---\n(.*?)\n---\n", content, re.DOTALL)
        errors = []
        if not match:
            errors.append("README.md has no YAML metadata block")
        else:
            try:
                meta = yaml.safe_load(match.group(1))
                if "model-index" in meta:
                    model_index_to_eval_results(meta["model-index"])
                if not isinstance(meta.get("license"), str):
                    errors.append('"license" must be a string')
            except Exception as exc:  # noqa: BLE001 - any parse failure is a validation error
                errors.append(f"invalid metadata: {exc}")
        if errors:
            return httpx.Response(400, json={"errors": [{"message": e} for e in errors], "warnings": []})
        return httpx.Response(200, json={"errors": [], "warnings": []})

    def preupload(self, request, repo_id, rev):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        head = repo.resolve(rev)
        files = []
        for f in json.loads(request.content)["files"]:
            sample = base64.b64decode(f["sample"])
            remote = head.files.get(f["path"])
            files.append({"path": f["path"], "uploadMode": "lfs" if _is_lfs(f["path"], f["size"], sample) else "regular",
                          "shouldIgnore": False, "oid": remote.oid if remote else None})  # fmt: skip
        return httpx.Response(200, json={"files": files, "commitOid": head.oid})

    def lfs_batch(self, request, repo_id):
        objects = []
        for obj in json.loads(request.content)["objects"]:
            entry = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.lfs_store:
                entry["actions"] = {"upload": {"href": f"{LFS_HOST}/upload/{obj['oid']}", "header": {}}}
            objects.append(entry)
        return httpx.Response(200, json={"transfer": "basic", "objects": objects})

    def lfs_put(self, request, oid):
        content = request.read()
        if hashlib.sha256(content).hexdigest() != oid:
            return httpx.Response(400, json={"error": "sha256 mismatch"})
        self.lfs_store[oid] = content
        return httpx.Response(200)

    def commit(self, request, repo_id, rev):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        lines = [json.loads(line) for line in request.content.decode().splitlines() if line]
        header, ops = lines[0]["value"], lines[1:]
        if header.get("parentCommit") not in (None, repo.head.oid):
            return httpx.Response(412, json={"error": "parent commit is not the head"})
        files = dict(repo.resolve(rev).files)
        for op in ops:  # staged on a copy: the branch moves only if every operation applies
            value = op["value"]
            if op["key"] == "file":
                files[value["path"]] = File(base64.b64decode(value["content"]), lfs=False)
            elif op["key"] == "lfsFile":
                if value["oid"] not in self.lfs_store:
                    return httpx.Response(422, json={"error": f"LFS object {value['oid']} was never uploaded"})
                files[value["path"]] = File(self.lfs_store[value["oid"]], lfs=True)
            elif op["key"] == "deletedFile":
                files.pop(value["path"])
            else:
                return httpx.Response(400, json={"error": f"emulator: unsupported op {op['key']}"})
        commit = Commit(self._oid(f"{len(repo.commits)} {header['summary']}", files), header["summary"], files)
        repo.commits.append(commit)
        return httpx.Response(200, json={"commitUrl": f"{ENDPOINT}/{repo_id}/commit/{commit.oid}",
                                         "commitOid": commit.oid, "pullRequestUrl": None})  # fmt: skip

    def tag(self, request, repo_id, rev):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        name = json.loads(request.content)["tag"]
        if name in repo.tags:
            return httpx.Response(409, json={"error": f"tag {name} already exists"})
        repo.tags[name] = repo.resolve(rev).oid
        return httpx.Response(200, json={})

    def delete_tag(self, request, repo_id, name):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        if repo.tags.pop(name, None) is None:
            return httpx.Response(404, headers={"x-error-code": "RevisionNotFound"}, json={"error": f"no tag {name}"})
        return httpx.Response(200, json={})

    def resolve(self, request, repo_id, rev, path):
        repo = self._repo(repo_id)
        if isinstance(repo, httpx.Response):
            return repo
        commit = repo.resolve(rev)
        if commit is None or path not in commit.files:
            return httpx.Response(404, headers={"x-error-code": "EntryNotFound"}, json={"error": "Entry not found"})
        f = commit.files[path]
        headers = {"x-repo-commit": commit.oid, "etag": f'"{git_sha1(f.content)}"', "content-length": str(len(f.content))}
        if f.lfs:
            headers.update({"x-linked-etag": f'"{f.sha256}"', "x-linked-size": str(len(f.content))})
        return httpx.Response(200, headers=headers, content=b"" if request.method == "HEAD" else f.content)

    @staticmethod
    def _oid(message: str, files: dict[str, File]) -> str:
        digest = hashlib.sha1(message.encode())
        for path, f in sorted(files.items()):
            digest.update(f"{path}\0{f.oid}\n".encode())
        return digest.hexdigest()
