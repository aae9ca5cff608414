"""A process sandbox for model-written Python programs (used by the code reward and by evaluation).

``run_program(code, inputs, fn_name=None, limits=Limits())`` runs ONE program against all its
test inputs in ONE sandboxed process tree and returns one :class:`TestRun` per input (status and
raw output). It never raises for anything the program does, and it never compares outputs: the
caller does, so the expected outputs never enter the sandbox.

Isolation (``isolation_mode()`` tells which one this machine gets):

``"namespaces"`` (root, or CAP_SYS_ADMIN, with util-linux ``unshare``; CI and most clusters):
  - fresh pid, network and mount namespaces (``unshare --net --mount --pid --fork --kill-child``):
    no network at all (only a loopback that is down: localhost services are unreachable too), a
    private ``/proc`` that shows only the sandbox (no ``/proc/<parent>/environ``), and when the
    runner (PID 1 of the namespace) ends, the kernel kills every process left in it;
  - ``/`` is read-only; ``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run``, ``/root``, ``/home``,
    ``/mnt``, ``/media``, ``/srv`` are replaced by empty read-only tmpfs (hiding Ray's sockets,
    token files, other users' files), except a path holding the runner's interpreter, which stays
    read-only. The only writable places are the scratch directory, a size-limited tmpfs that is the
    program's cwd, ``$HOME`` and ``sys.path[0]``, and a private ``/dev/shm`` of the same size (POSIX
    semaphores: ``multiprocessing``), both vanishing with the namespace;
  - the program runs as a dedicated unprivileged uid (``UID_BASE`` + a slot locked per
    concurrent sandbox), so ``RLIMIT_NPROC`` binds (it does not bind root) and a fork bomb stops
    at ``nproc`` processes; it cannot signal the runner (root) nor other sandboxes;
  - after every test everything else in the namespace is killed (daemons that ``setsid()``).
``"fallback"`` (no usable ``unshare``, e.g. an unprivileged user; ``VERL_SRPO_SANDBOX=fallback`` forces
  it; ``VERL_SRPO_SANDBOX=namespaces`` makes the lack of namespaces an error instead). A warning saying
  what follows is logged once. It *contains*:
  - the rlimits and the minimal environment below, and the program's own session, killed on timeout;
  - as root: a uid drop, and a kill of that uid's processes after each test;
  - the seccomp filter below (a kernel boundary: no program can be executed, however it is spawned,
    ``_posixsubprocess.fork_exec`` and ctypes included; no sockets; no ptrace);
  - a Python audit hook refusing every ctypes use, ``os.system``/``subprocess``/``os.exec*``/
    ``posix_spawn``, sockets, signals to processes outside the program's session (its own children,
    e.g. ``multiprocessing``'s workers, may be signalled), and file writes, renames, deletions, mode,
    owner, time and xattr changes outside scratch, judged by the file reached: through a descriptor
    (``os.chmod(fd)``), a ``dir_fd`` or a link's own directory; opening a directory outside scratch
    (the "open" event does not carry ``dir_fd``) and writes through a relative ``..`` path are refused
    too (writes to the program's own streams reopened by name, ``/dev/stdout``, ``/dev/fd/1``,
    ``/proc/self/fd/N`` of its memfds, and to ``/dev/null`` pass, as in a judge);
  - the standard library's C modules that write files where no audit event shows the path
    (``sqlite3``, whose ``ATTACH`` writes anywhere; ``dbm.gnu``/``dbm.ndbm``; ``readline``'s history
    files; ``_posixshmem``, i.e. ``multiprocessing.shared_memory``) do not import (ImportError), and
    ``os.mkfifo``/``os.mknod`` and ``signal.pidfd_send_signal`` are refused by seccomp.
  It does *not* contain:
  - reads: nothing is hidden, so every file this uid can read stays readable (``/tmp``, home
    directories, and, when not root, ``/proc/<pid>/environ`` of this user's processes, secrets
    included; with no network and no exec, the program's only channel out is its own output, which
    is compared and dropped);
  - native code the program writes into scratch and loads as an extension module: it escapes the
    audit hook, so its file writes (wherever this uid may write) and signals (to this uid's
    processes) are not refused; exec, sockets and ptrace stay refused by seccomp;
  - POSIX semaphores: ``multiprocessing`` makes them in the host's ``/dev/shm`` (``sem.*`` files, removed at
    once, unless the program keeps one through ``_multiprocessing.SemLock``);
  - when not root: daemons that ``setsid()`` may outlive the run, and ``RLIMIT_NPROC`` is shared with
    this user's other processes (the budget is what they use now plus ``nproc``).
  If the kernel refuses the seccomp filter (a kernel before 3.5, an architecture other than x86_64 or
  aarch64), a second warning says so: exec, sockets and ptrace are then refused by the audit hook
  only, which native code or ``_posixsubprocess.fork_exec`` bypasses, and FIFOs and pidfd signals are not
  refused.

Both modes: rlimits on CPU time, address space, file size (= output size), open files,
processes, no core dumps; a minimal environment (no ``HF_TOKEN``, ``WANDB_API_KEY``, ``AWS_*``,
nothing inherited); the whole tree killed when the wall-clock budget runs out; ``no_new_privs`` and a
seccomp filter that refuses ``execve``/``execveat`` (no other program ever runs: no shell, no
compiler), ``socket`` (``socketpair`` only for AF_UNIX, as multiprocessing uses), ``ptrace``,
``process_vm_readv``/``writev`` and ``pidfd_getfd`` (no access to other processes' memory or files),
``pidfd_send_signal`` and ``mknod``/``mknodat`` (no FIFO or device node).
Programs get the standard library only. The runner's interpreter must be readable by the sandbox uid (a pyenv
Python under ``/root`` is not): :func:`sandbox_python` picks one, ``VERL_SRPO_SANDBOX_PYTHON``
overrides. Throughput: all tests of a program run in one runner (one ``fork`` per test), and each
process keeps ``WARM_RUNNERS`` runners started ahead of time.
"""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from contextlib import contextmanager

logger = logging.getLogger(__name__)

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_runner.py")
UID_BASE = 200_000  # sandbox uids are UID_BASE .. UID_BASE + N_SLOTS - 1 (no passwd entry needed)
N_SLOTS = 1024
STATE_DIR = os.path.join(tempfile.gettempdir(), "verl_srpo_sandbox")
SAFE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
WARM_RUNNERS = 2  # runners started ahead per process, hiding interpreter start-up (ours)
_WARM: dict[tuple, list[subprocess.Popen]] = {}
_WARM_LOCK = threading.Lock()
FALLBACK_WARNING = (
    "sandbox: no pid/net/mount namespaces here (needs root and util-linux unshare), using the fallback. It keeps the "
    "rlimits, a clean environment, a seccomp filter (no exec of any program, no sockets, no ptrace, no FIFOs, no pidfd "
    "signals) and a Python audit hook (no ctypes, no file changes outside scratch, also through a descriptor or "
    "dir_fd, no sqlite3/dbm/readline/shared_memory, no signals to other processes). It does NOT hide files: "
    "whatever this uid can read stays readable (when not root: /proc/<pid>/environ of your processes, secrets "
    "included). Native code a "
    "program writes and loads as an extension module escapes the audit hook (not seccomp). multiprocessing's "
    "semaphores are made in the host's /dev/shm. When not root, setsid() daemons may outlive a run. Run as root with "
    "unshare, or set VERL_SRPO_SANDBOX=namespaces to require it. "
    "Details: verl_srpo.rewards.sandbox."
)
SECCOMP_WARNING = (
    "sandbox: the kernel refused the seccomp filter, so exec, sockets and ptrace are refused only by the fallback's "
    "Python audit hook, which native code and _posixsubprocess.fork_exec bypass, and FIFOs and pidfd signals are not "
    "refused (in namespaces mode the namespaces still contain them). Needs Linux >= 3.5 on x86_64 or aarch64."
)
_WARNED: set[str] = set()
_SECCOMP_PROBED: set[str] = set()  # modes whose runner already said whether the kernel takes the filter


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits for one program; the one definition of their defaults (the reward's
    ``code_timeout_s`` and ``code_memory_mb`` default to these). The time follows LiveCodeBench's 6 s per
    test; the rest are ours."""

    timeout_s: float = 6.0  # wall time per test; CPU time is limited to timeout_s + 1
    memory_mb: int = 2048  # address space per process
    output_bytes: int = 4 << 20  # stdout per test (and the largest file the program may write)
    nproc: int = 32  # processes + threads of the sandbox uid
    nofile: int = 64  # open files per process
    scratch_mb: int = 64  # size of the scratch tmpfs (namespaces mode)
    total_timeout_s: float | None = None  # whole program; default: timeout_s * n_tests, at most 60 s

    def __post_init__(self):
        for name in ("timeout_s", "memory_mb", "output_bytes", "nproc", "nofile", "scratch_mb"):
            if not getattr(self, name) > 0:
                raise ValueError(f"sandbox limit {name} must be > 0, got {getattr(self, name)!r}")


@dataclasses.dataclass
class TestRun:
    """One test's outcome: ``status`` is one of "ok", "runtime_error", "timeout", "memory", "output_limit",
    "compile_error", "skipped" or "sandbox_error"; ``out`` is stdout (stdin tests) or
    the JSON-encoded return value (functional tests), only when status is "ok"."""

    status: str
    out: str = ""
    time_s: float = 0.0
    detail: str = ""  # how the test process ended: "exit N" or "signal N"


@functools.lru_cache(maxsize=1)
def isolation_mode() -> str:
    """"namespaces" when ``unshare`` can create pid/net/mount namespaces here, else "fallback"."""
    wanted = os.environ.get("VERL_SRPO_SANDBOX", "auto")
    if wanted not in ("auto", "namespaces", "fallback"):
        raise ValueError(f"VERL_SRPO_SANDBOX={wanted!r}: expected auto, namespaces or fallback")
    if wanted == "fallback":
        return "fallback"
    probe = [*_unshare_prefix(), "true"]
    ok = shutil.which("unshare") is not None and os.geteuid() == 0
    if ok:
        try:
            ok = subprocess.run(probe, check=False, capture_output=True, timeout=10, env=SAFE_ENV).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
    if not ok and wanted == "namespaces":
        raise RuntimeError("VERL_SRPO_SANDBOX=namespaces but `unshare --net --mount --pid` fails here: "
                           "run as root (or with CAP_SYS_ADMIN) with util-linux installed, or unset it")
    if not ok:
        logger.warning(FALLBACK_WARNING)
    return "namespaces" if ok else "fallback"


@functools.lru_cache(maxsize=1)
def sandbox_python() -> str:
    """The interpreter for the runner: one whose stdlib an unprivileged uid can read.

    A pyenv/conda Python under /root is unreadable after the uid drop, so as root this tries
    ``$VERL_SRPO_SANDBOX_PYTHON``, ``sys.executable``, then the system ``python3``. Programs
    get the standard library only (the runner runs with ``-I -S``).
    """
    candidates = [os.environ.get("VERL_SRPO_SANDBOX_PYTHON"), sys.executable, "/usr/bin/python3",
                  "/usr/local/bin/python3", shutil.which("python3")]
    candidates = [c for c in dict.fromkeys(candidates) if c and os.access(c, os.X_OK)]
    if os.geteuid() != 0:
        return candidates[0]
    probe = "import socket, traceback, decimal, sys\nprint(sys.version_info >= (3, 9))"
    tried = []
    for cand in candidates:
        runs = _run(probe, [""], None, Limits(timeout_s=20), False, cand, warm=False)
        if runs[0].status == "ok" and runs[0].out.strip() == "True":
            return cand
        tried.append(f"{cand}: {runs[0].status} {runs[0].detail}".strip())
    raise RuntimeError(f"the sandbox cannot run a probe program in {isolation_mode()!r} mode ({'; '.join(tried)}). "
                       f"Either no Python >= 3.9 has a standard library that uid {UID_BASE}+ can read (set "
                       "VERL_SRPO_SANDBOX_PYTHON, e.g. to the system /usr/bin/python3), or the namespaces cannot "
                       "be set up here (set VERL_SRPO_SANDBOX=fallback to accept the weaker isolation)")


def _unshare_prefix() -> list[str]:
    return ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private"]


@contextmanager
def _uid_slot():
    """Lock one sandbox uid for the duration of a run (across threads and processes)."""
    if os.geteuid() != 0:
        yield None
        return
    lock_dir = os.path.join(STATE_DIR, "locks")
    os.makedirs(lock_dir, mode=0o700, exist_ok=True)
    start = random.randrange(N_SLOTS)
    for i in range(N_SLOTS):
        slot = (start + i) % N_SLOTS
        fd = os.open(os.path.join(lock_dir, f"{slot}.lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield UID_BASE + slot
        finally:
            os.close(fd)  # releases the lock
        return
    raise RuntimeError(f"all {N_SLOTS} sandbox uid slots are busy")


def _fallback_nproc(limit: int) -> int:
    """Without a dedicated uid, RLIMIT_NPROC counts all our tasks: allow ``limit`` more."""
    uid, count = os.getuid(), 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                count += len(os.listdir(f"/proc/{pid}/task")) if os.stat(f"/proc/{pid}").st_uid == uid else 0
            except OSError:
                pass
    return count + limit


def run_program(code: str, inputs: list, fn_name: str | None = None, limits: Limits = Limits(),
                prelude: bool = True) -> list[TestRun]:
    """Run ``code`` once per element of ``inputs``; returns one :class:`TestRun` per input.

    ``inputs`` are stdin strings when ``fn_name`` is None, else lists of positional arguments for
    ``fn_name`` (a function, or a method of class ``Solution`` when the program defines one). A machine
    that cannot start a runner now (no fork, no file descriptor, no free uid slot) gives status "sandbox_error"
    for every input, with a warning; nothing the program does makes this raise.
    ``prelude`` prepends common imports (``typing``, ``collections``, ...) as LiveCodeBench does.
    """
    return _run(code, inputs, fn_name, limits, prelude, sandbox_python())


def _run(code, inputs, fn_name, limits, prelude, python, warm=True) -> list[TestRun]:
    n = len(inputs)
    total = limits.total_timeout_s or min(60.0, limits.timeout_s * max(n, 1))
    mode = isolation_mode()
    try:
        os.makedirs(STATE_DIR, mode=0o711, exist_ok=True)
        with _uid_slot() as uid:
            scratch = tempfile.mkdtemp(prefix="run-", dir=STATE_DIR)
            try:
                if uid is not None:
                    os.chown(scratch, uid, uid)
                req = {"mode": mode, "uid": uid, "scratch": scratch, "code": code, "fn_name": fn_name,
                       "inputs": inputs, "prelude": prelude, "env": dict(SAFE_ENV, HOME=scratch, TMPDIR=scratch),
                       "nproc": limits.nproc if uid is not None else _fallback_nproc(limits.nproc),
                       "limits": dict(dataclasses.asdict(limits), total_timeout_s=total),
                       "probe_seccomp": mode not in _SECCOMP_PROBED}  # the kernel's answer never changes
                reply = _launch(req, mode, wall=total + 5.0, python=python, warm=warm)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    except (OSError, RuntimeError) as exc:  # the machine, not the program: no fork (EAGAIN), no fd, no uid slot
        logger.warning("sandbox could not start a runner: %s: %s", type(exc).__name__, exc)
        return [TestRun("sandbox_error", detail=f"{type(exc).__name__}: {exc}") for _ in range(n)]
    if reply is not None and reply.get("seccomp") is not None:
        _SECCOMP_PROBED.add(mode)
    if reply is not None and reply.get("seccomp") is False and "seccomp" not in _WARNED:
        _WARNED.add("seccomp")
        logger.warning(SECCOMP_WARNING)
    if reply is None or reply.get("setup_error") or len(reply.get("results", [])) != n:
        if reply and reply.get("setup_error"):
            logger.warning("sandbox setup failed: %s", reply["setup_error"])
        return [TestRun("sandbox_error") for _ in range(n)]
    return [TestRun(r["status"], r["out"], r["time_s"], r.get("detail", "")) for r in reply["results"]]


def _spawn(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=dict(SAFE_ENV), start_new_session=True, close_fds=True)


def _take_runner(cmd: list[str]) -> subprocess.Popen:
    """A runner started ahead of time (namespaces made, interpreter loaded, waiting for its
    request on stdin), topping the stock back up to ``WARM_RUNNERS``. Idle runners hold no uid
    and no scratch; they exit on their own when this process dies (their stdin closes)."""
    key = (os.getpid(), *cmd)  # a forked child never shares its parent's runners
    with _WARM_LOCK:
        idle = _WARM.setdefault(key, [])
        proc = None
        while idle and proc is None:
            cand = idle.pop(0)
            if cand.poll() is None:
                proc = cand
            else:
                _kill_tree(cand)
        while len(idle) < WARM_RUNNERS:
            idle.append(_spawn(cmd))
    return proc or _spawn(cmd)


def _launch(req: dict, mode: str, wall: float, python: str, warm: bool = True) -> dict | None:
    """Start (or take a warm) runner, feed it the request, return its reply (None if it died or hung)."""
    cmd = [python, "-I", "-S", "-B", RUNNER]
    if mode == "namespaces":
        cmd = [*_unshare_prefix(), "--", *cmd]
    proc = _take_runner(cmd) if warm else _spawn(cmd)
    try:
        out, _ = proc.communicate(json.dumps(req).encode(), timeout=wall)
    except subprocess.TimeoutExpired:
        out = None
    finally:
        _kill_tree(proc)
    try:
        return json.loads(out) if out else None
    except ValueError:
        return None


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill the runner's session (in namespaces mode this also ends its pid namespace)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass
    try:
        proc.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass
