"""Adversarial suite for the sandbox: each attack is contained, scored 0, and the next program runs.

Runs in "namespaces" mode (root + unshare; required when CI=true) and, for the attacks the
fallback claims to stop, in "fallback" mode. Small limits keep every case to about a second.
"""

from __future__ import annotations

import os
import pathlib
import socket
import threading
import time

import pytest

from verl_srpo.rewards import sandbox
from verl_srpo.rewards.code import score_code
from verl_srpo.rewards.sandbox import Limits, run_program

SMALL = Limits(timeout_s=1.0, memory_mb=256, output_bytes=64 << 10, nproc=16, nofile=32, scratch_mb=8)
ECHO = "print(int(input()) * 2)"
SECRET = "hf_do_not_leak_0123456789"


USED_UIDS: set[int] = set()  # sandbox uids this test process ran programs as


@pytest.fixture(autouse=True)
def _record_uids(monkeypatch):
    """Other processes on a shared machine run sandboxes too: the leftover checks look at this process's uids only."""
    from contextlib import contextmanager

    real = sandbox._uid_slot

    @contextmanager
    def recording():
        with real() as uid:
            if uid is not None:
                USED_UIDS.add(uid)
            yield uid

    monkeypatch.setattr(sandbox, "_uid_slot", recording)


def _set_mode(monkeypatch, mode):
    monkeypatch.setenv("VERL_SRPO_SANDBOX", mode)
    sandbox.isolation_mode.cache_clear()


@pytest.fixture(params=["namespaces", "fallback"])
def mode(request, monkeypatch):
    """Both isolation modes; namespaces is skipped only off-CI on machines that lack it."""
    sandbox.isolation_mode.cache_clear()
    if request.param == "namespaces":
        monkeypatch.setenv("VERL_SRPO_SANDBOX", "auto")
        if sandbox.isolation_mode() != "namespaces":
            if os.environ.get("CI"):
                pytest.fail("CI must run the sandbox with namespaces (root + util-linux unshare)")
            pytest.skip("namespaces unavailable here (needs root and unshare)")
    else:
        _set_mode(monkeypatch, "fallback")
    yield request.param
    sandbox.isolation_mode.cache_clear()


def _sandbox_processes() -> list[int]:
    """PIDs of live processes owned by a sandbox uid this test process used."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if uid in USED_UIDS and state != "Z":
            pids.append(int(pid))
    return pids


def _next_program_runs():
    runs = run_program(ECHO, ["21\n"], limits=SMALL)
    assert [(r.status, r.out) for r in runs] == [("ok", "42\n")]


def _run1(code: str, limits: Limits = SMALL):
    (run,) = run_program(code, [""], limits=limits)
    return run


def test_normal_programs_both_kinds(mode):
    runs = run_program(ECHO, ["1\n", "5\n"], limits=SMALL)
    assert [(r.status, r.out) for r in runs] == [("ok", "2\n"), ("ok", "10\n")]
    code = "class Solution:\n    def add(self, xs: List[int], k: int) -> List[int]:\n        return [x + k for x in xs]"
    runs = run_program(code, [[[1, 2], 3]], fn_name="add", limits=SMALL)
    assert (runs[0].status, runs[0].out) == ("ok", "[4, 5]")


def test_fork_bomb_is_stopped_by_nproc(mode):
    if os.geteuid() != 0 and mode == "fallback":
        pytest.skip("without root the fallback's nproc budget is shared with this user's processes")
    code = (
        "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
        "            time.sleep(30)\n            os._exit(0)\n        n += 1\nexcept OSError:\n    print(n)\n"
    )
    run = _run1(code)
    assert run.status == "ok" and int(run.out) < SMALL.nproc  # forks stopped at the limit
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    start = time.monotonic()
    assert score_code(f"```python\n{bomb}```", {"inputs": [""], "outputs": ["x"]}, timeout_s=1, memory_mb=256, nproc=16)[
        "failure"] == "timeout"
    assert time.monotonic() - start < 10
    assert _wait_no_sandbox_processes()
    _next_program_runs()


def _wait_no_sandbox_processes(seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while _sandbox_processes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_infinite_loop_times_out(mode):
    start = time.monotonic()
    runs = run_program("while True:\n    pass\n", ["", ""], limits=SMALL)
    assert [r.status for r in runs] == ["timeout", "skipped"]  # after a timeout the rest is skipped
    assert time.monotonic() - start < 5
    _next_program_runs()


def test_total_budget_bounds_many_slow_tests(mode):
    limits = Limits(timeout_s=0.5, memory_mb=256, total_timeout_s=1.0)
    start = time.monotonic()
    runs = run_program("import time\ntime.sleep(0.3)\nprint(1)", [""] * 10, limits=limits)
    assert time.monotonic() - start < 4
    assert runs[0].status == "ok"
    assert {r.status for r in runs[5:]} <= {"timeout", "skipped"}  # 0.3 s each: the 1 s budget ends by test 5


def test_10gb_allocation_is_a_memory_failure(mode):
    assert _run1("x = bytearray(10 * 1024 ** 3)\nprint(len(x))").status == "memory"
    _next_program_runs()


def test_writes_outside_scratch_fail(mode, tmp_path):
    token = f"pwned_{os.getpid()}_{time.monotonic_ns()}"
    home = os.path.expanduser("~")
    for target in (os.path.join(home, token), os.path.join("/tmp", token), os.path.join("/var/tmp", token)):
        run = _run1(f"open({target!r}, 'w').write('x')\nprint('wrote')")
        assert run.status == "runtime_error", target
        assert not os.path.exists(target)
    # inside scratch is fine, and scratch is gone afterwards
    run = _run1("import os\nopen('f.txt', 'w').write('x')\nprint(os.getcwd())")
    assert run.status == "ok" and not os.path.exists(run.out.strip())
    _next_program_runs()


def test_no_network_localhost_or_outside(mode):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    try:
        for host, p in (("127.0.0.1", port), ("203.0.113.1", 80)):  # 203.0.113.0/24: TEST-NET-3, never routed
            code = f"import socket\ns = socket.create_connection(({host!r}, {p}), timeout=0.5)\nprint('connected')"
            assert _run1(code).status == "runtime_error"
        with pytest.raises(socket.timeout):
            server.accept()  # nothing ever reached the local server
    finally:
        server.close()
    _next_program_runs()


def test_secrets_invisible_in_env_and_parent_environ(mode, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    code = (
        "import os\nprint(sorted(os.environ))\nprint(os.environ.get('HF_TOKEN'))\n"
        f"for pid in ['self', str(os.getppid()), '1', '{os.getpid()}']:\n"
        "    try:\n        print(open(f'/proc/{pid}/environ').read())\n    except OSError as e:\n        print(pid, e)\n"
    )
    run = _run1(code)
    assert run.status == "ok"
    assert SECRET not in run.out and "None" in run.out
    assert not any(k in run.out for k in ("HF_TOKEN'", "WANDB", "AWS_"))


def test_huge_output_is_cut(mode):
    code = "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n"
    start = time.monotonic()
    assert _run1(code).status == "output_limit"
    assert time.monotonic() - start < 5
    _next_program_runs()


def test_killing_the_parent_fails_and_later_tests_run(mode):
    code = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(1, signal.SIGKILL)\nprint(int(input()) * 2)"
    runs = run_program(code, ["1\n", "2\n"], limits=SMALL)
    assert [r.status for r in runs] == ["runtime_error", "runtime_error"]  # PermissionError, runner survives
    assert os.getpid() and os.getppid()  # this (the reward worker's) process is alive
    _next_program_runs()


def test_daemon_does_not_outlive_the_run(mode, tmp_path):
    if mode == "fallback" and os.geteuid() != 0:
        pytest.skip("without a dedicated uid the fallback cannot find a setsid() daemon")
    code = (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(60)\n    os._exit(0)\nprint('parent done')\n"
    )
    assert _run1(code).status == "ok"
    assert _wait_no_sandbox_processes()
    _next_program_runs()


def test_recursion_bombs(mode):
    deep = "import sys\nsys.setrecursionlimit(10 ** 9)\ndef f(n):\n    return f(n + 1)\nf(0)\n"
    assert _run1(deep).status in ("runtime_error", "memory", "timeout")  # Python frames live on the heap
    c_stack = "import sys\nsys.setrecursionlimit(10 ** 9)\nx = []\nfor _ in range(10 ** 5):\n    x = [x]\nprint(repr(x))\n"
    assert _run1(c_stack).status in ("runtime_error", "memory", "timeout")  # C stack overflow: contained
    plain = "def f(n):\n    return f(n + 1)\nf(0)\n"
    assert _run1(plain).status == "runtime_error"
    _next_program_runs()


def test_hostile_output_and_exit_codes(mode):
    assert _run1("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe ok')").status == "ok"  # undecodable bytes
    assert _run1("import os\nos.close(1)\nos.close(0)\nprint('x')").status == "runtime_error"
    assert _run1("import sys\nsys.exit(3)").status == "runtime_error"  # exit status 3, as CPython (and real judges)
    assert _run1("def broken(:\n    pass").status == "compile_error"
    _next_program_runs()


def test_concurrent_runs_from_threads(mode):
    """The reward loop calls from an executor thread pool: runs must not interfere."""
    results = {}

    def worker(i):
        results[i] = run_program(ECHO, [f"{i}\n"], limits=SMALL)[0].out

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: f"{2 * i}\n" for i in range(6)}


def test_world_readable_files_in_tmp_and_home_are_hidden(mode, tmp_path):
    """Sockets and token files under /tmp, /root, /home (e.g. Ray's, a HF token) are not visible."""
    if mode == "fallback":
        pytest.skip("the fallback does not hide files; it only guards writes (documented)")
    secret = tmp_path / "token"
    secret.write_text(SECRET)
    os.chmod(secret, 0o644)
    os.chmod(tmp_path, 0o755)
    run = _run1(f"import os\ntry:\n    print(open({str(secret)!r}).read())\nexcept OSError as e:\n    print(e)\n"
                "print(os.listdir('/tmp'), os.listdir('/root'))")
    assert run.status == "ok" and SECRET not in run.out
    assert "No such file or directory" in run.out


def test_hung_runner_is_killed_at_the_wall_budget(mode, monkeypatch, tmp_path):
    """Whatever happens inside, the caller gets an answer: a runner that never replies is killed."""
    hung = tmp_path / "hung_runner.py"
    hung.write_text("import time\ntime.sleep(600)\n")
    os.chmod(tmp_path, 0o755)
    os.chmod(hung, 0o644)
    sandbox.sandbox_python()  # probe with the real runner first (cached)
    real_runner = sandbox.RUNNER
    monkeypatch.setattr(sandbox, "RUNNER", str(hung))
    start = time.monotonic()
    try:
        runs = run_program(ECHO, ["1\n"], limits=Limits(timeout_s=0.5, total_timeout_s=0.5))
    finally:
        monkeypatch.setattr(sandbox, "RUNNER", real_runner)
        for key, idle in list(sandbox._WARM.items()):
            if str(hung) in key:
                for proc in sandbox._WARM.pop(key):
                    sandbox._kill_tree(proc)
    assert [r.status for r in runs] == ["sandbox_error"]
    assert time.monotonic() - start < 15
    _next_program_runs()


def test_a_machine_that_cannot_fork_is_a_sandbox_error_not_an_exception(monkeypatch):
    """fork failing for want of memory or processes (EAGAIN), or no fd left, must not raise out of the reward."""
    import errno

    from verl_srpo.rewards import compute_score

    def no_fork(cmd):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    sandbox.sandbox_python()  # chosen once per process, before the machine runs out
    monkeypatch.setattr(sandbox, "_spawn", no_fork)
    (run,) = run_program(ECHO, ["21\n"], limits=SMALL)
    assert run.status == "sandbox_error" and "Errno 11" in run.detail
    row = compute_score("livecodebench", "```python\nprint(3)\n```", {"inputs": ["1 2"], "outputs": ["3"]},
                        {"domain": "code"})
    assert (row["acc"], row["failure"]) == (0.0, "sandbox_error")


def test_fallback_nproc_budget_counts_existing_tasks():
    assert sandbox._fallback_nproc(16) > 16  # this process's own threads are already counted


@pytest.fixture
def reachable(monkeypatch):
    """A world-writable directory the sandbox uid can reach (pytest's tmp_path lies under a 0700 directory, where
    every attack would fail for want of access, guard or no guard), and the uid the next runs use, which owns
    ``victim`` in it, as the program's own files would be when the fallback runs without root."""
    import shutil
    import tempfile
    from contextlib import contextmanager

    folder = tempfile.mkdtemp(prefix="verl_srpo_victim_", dir="/tmp")
    os.chmod(folder, 0o777)
    victim = os.path.join(folder, "victim")
    with open(victim, "w") as f:
        f.write("keep me")
    os.chmod(victim, 0o666)
    os.utime(victim, (1_000_000, 1_000_000))
    with sandbox._uid_slot() as uid:  # held for the test: every run gets this uid
        if uid is not None:
            USED_UIDS.add(uid)
            os.chown(victim, uid, uid)

            @contextmanager
            def same_uid():
                yield uid

            monkeypatch.setattr(sandbox, "_uid_slot", same_uid)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def test_fallback_guard_blocks_file_changes_and_signals(monkeypatch, reachable):
    """The fallback's audit hook (its only guard when not root): os.open, remove, rename, kill."""
    _set_mode(monkeypatch, "fallback")
    tmp_path = pathlib.Path(reachable)
    victim = tmp_path / "victim"
    attacks = [
        f"import os\nos.close(os.open({str(victim)!r}, os.O_WRONLY | os.O_TRUNC))",
        f"import os\nos.remove({str(victim)!r})",
        f"import os\nos.rename({str(victim)!r}, {str(tmp_path / 'moved')!r})",
        "import os, signal\nos.kill(os.getppid(), signal.SIGTERM)",
        "import subprocess\nsubprocess.run(['true'])",
        # reopening a file by its descriptor's name is judged by the file it names (only own streams pass)
        f"import os\nfd = os.open({str(victim)!r}, os.O_RDONLY)\nopen(f'/proc/self/fd/{{fd}}', 'w').write('x')",
        f"import os\nfd = os.open({str(victim)!r}, os.O_RDONLY)\nopen(f'/dev/fd/{{fd}}', 'a').write('x')",
    ]
    try:
        for code in attacks:
            assert _run1(code).status == "runtime_error", code
        assert victim.read_text() == "keep me"
        ok = _run1("import os\nfd = os.open('mine', os.O_WRONLY | os.O_CREAT)\nos.close(fd)\nos.rename('mine', 'b')\n"
                   "os.remove('b')\nprint('fine')")
        assert (ok.status, ok.out) == ("ok", "fine\n")  # inside scratch everything works
    finally:
        sandbox.isolation_mode.cache_clear()


def test_fallback_guard_follows_descriptors_and_native_writers(monkeypatch, reachable):
    """What the "open" audit event does not show (a dir_fd), calls on a descriptor (fchmod, futimes), and C code of
    the standard library that writes files (sqlite's ATTACH) must not reach a file outside scratch either."""
    _set_mode(monkeypatch, "fallback")
    tmp_path = pathlib.Path(reachable)
    victim = tmp_path / "victim"
    here = str(tmp_path)
    attacks = [
        f"import os\nd = os.open({here!r}, os.O_RDONLY)\nos.mkdir('made', dir_fd=d)",
        f"import os\nd = os.open({here!r}, os.O_RDONLY)\nos.close(os.open('made', os.O_WRONLY | os.O_CREAT, dir_fd=d))",
        f"import os\nd = os.open({here!r}, os.O_RDONLY)\nos.rename('victim', 'made', src_dir_fd=d, dst_dir_fd=d)",
        f"import os\nos.chmod(os.open({str(victim)!r}, os.O_RDONLY), 0o600)",
        f"import os\nos.utime(os.open({str(victim)!r}, os.O_RDONLY), (0, 0))",
        f"import sqlite3\nc = sqlite3.connect(':memory:')\nc.execute('ATTACH ? AS x', ({str(tmp_path / 'made')!r},))\n"
        "c.execute('CREATE TABLE x.t(a)')\nc.commit()",
        f"import os\nos.mkfifo({str(tmp_path / 'made')!r})",
    ]
    try:
        for code in attacks:
            assert _run1(code).status == "runtime_error", code
        assert sorted(os.listdir(tmp_path)) == ["victim"] and victim.read_text() == "keep me"
        assert (victim.stat().st_mode & 0o777, victim.stat().st_mtime) == (0o666, 1_000_000)
        ok = _run1("import os, tempfile\nwith tempfile.TemporaryDirectory() as t:\n"
                   "    open(os.path.join(t, 'f'), 'w').write('x')\nd = os.open('.', os.O_RDONLY)\n"
                   "os.mkdir('z', dir_fd=d)\nos.chmod('z', 0o700, dir_fd=d)\nos.rmdir('z', dir_fd=d)\nprint('fine')")
        assert (ok.status, ok.out) == ("ok", "fine\n")  # inside scratch, descriptors and dir_fd work
    finally:
        sandbox.isolation_mode.cache_clear()


def test_no_signal_through_a_pidfd_and_no_fifo(mode):
    """signal.pidfd_send_signal and os.mkfifo raise no audit event: seccomp refuses them (EPERM), in both modes."""
    code = ("import os, signal\nfor call in (lambda: signal.pidfd_send_signal(os.pidfd_open(os.getpid()), 0),\n"
            "             lambda: os.mkfifo('fifo')):\n    try:\n        call()\n        print('done')\n"
            "    except OSError as e:\n        print('refused', e.errno)")
    run = _run1(code)
    assert (run.status, run.out) == ("ok", "refused 1\nrefused 1\n")


# --- what a judge's `python3 main.py` gives a program (issue 11) ---------------------------------------------------


def test_prelude_never_shadows_a_builtin(mode):
    """`from math import *` would replace pow: three-argument and exact big-integer pow must be the builtin's."""
    code = ("import builtins\nprint(pow(2, 10, 1000), pow(7, -1, 13), pow(2, 64))\n"
            "print([n for n in dir(builtins) if not n.startswith('__') and n in globals()"
            " and globals()[n] is not getattr(builtins, n)])\n"
            "print(gcd(12, 18), deque([1]), floor(2.5), Counter('aab')['a'], List[int])")
    run = _run1(code)
    # 1024 mod 1000 = 24; 7 * 2 = 14 = 1 mod 13; 2**64 exactly (math.pow would print 1.8446744073709552e+19)
    assert (run.status, run.out) == ("ok", "24 2 18446744073709551616\n[]\n6 deque([1]) 2 2 typing.List[int]\n")


@pytest.mark.parametrize("leave", ["exit()", "quit()", "exit(0)", "quit(0)", "import sys\nsys.exit()"])
def test_exit_and_quit_after_printing(mode, leave):
    """The runner's interpreter runs without `site`, which is what defines exit and quit."""
    run = _run1(f"print('answer')\n{leave}\nprint('never')")
    assert (run.status, run.out) == ("ok", "answer\n")


def test_text_and_binary_stdout_keep_their_order(mode):
    code = ("import sys\nprint('a')\nsys.stdout.buffer.write(b'b\\n')\nsys.stdout.write('c\\n')\n"
            "sys.stdout.buffer.write(b'd\\n')\nsys.__stdout__.write('e\\n')\nprint('f', flush=False)")
    run = _run1(code)
    assert (run.status, run.out) == ("ok", "a\nb\nc\nd\ne\nf\n")


def test_large_output_through_both_layers_stays_fast_and_ordered(mode):
    code = "import sys\nfor i in range(100000):\n    print(i)\n    sys.stdout.buffer.write(b'.\\n')\n"
    run = _run1(code, Limits(timeout_s=5.0, memory_mb=256, output_bytes=8 << 20))
    assert run.status == "ok" and run.time_s < 5
    lines = run.out.split("\n")
    assert lines[:4] == ["0", ".", "1", "."] and lines[-3:] == ["99999", ".", ""]


# --- programs that manipulate stdout, end in odd ways, or need something first in their module ---------------------
# Each row: (code, status, stdout) checked by hand, and checked again against CPython running the same text as
# `python3 main.py` with stdin and stdout pipes (exit 0 <=> "ok", same stdout), as a real judge runs it.
SCRIPTS = {
    # stdout closed, flushed, replaced, detached, or written through another file on fd 1
    "close_after_print": ("import sys\nprint(1)\nsys.stdout.close()", "ok", "1\n"),
    "print_after_close": ("import sys\nprint(1)\nsys.stdout.close()\nprint(2)", "runtime_error", ""),  # ValueError
    "flush_then_os_close": ("import os, sys\nprint(1)\nsys.stdout.flush()\nos.close(1)", "ok", "1\n"),
    "os_close_unflushed": ("import os\nprint(1)\nos.close(1)", "runtime_error", ""),  # the exit flush fails: 120
    "replaced_by_stringio": ("import io, sys\nprint(1)\nsys.stdout = io.StringIO()\nprint(2)", "ok", "1\n"),
    "replaced_by_none": ("import sys\nprint(1)\nsys.stdout = None\nprint(2)", "ok", "1\n"),  # print() to None: no-op
    "replaced_by_stderr": ("import sys\nprint(1)\nsys.stdout = sys.stderr\nprint(2)", "ok", "1\n"),
    "swapped_with_stderr": ("import sys\nsys.stdout, sys.stderr = sys.stderr, sys.stdout\nprint('e')\n"
                            "print(1, file=sys.stderr)", "ok", "1\n"),
    "stderr_interleaved": ("import sys\nprint(1)\nprint('x', file=sys.stderr)\nsys.stderr.flush()\nprint(2)",
                           "ok", "1\n2\n"),
    "open_fd1_never_closed": ("out = open(1, 'w')\nout.write('1\\n')", "ok", "1\n"),
    "dev_stdout_as_stdout": ("import sys\nsys.stdout = open('/dev/stdout', 'w')\nprint(1)", "ok", "1\n"),
    "dev_fd_1": ("out = open('/dev/fd/1', 'w')\nout.write('1\\n')\nout.close()", "ok", "1\n"),
    "proc_self_fd_1": ("with open('/proc/self/fd/1', 'w') as f:\n    f.write('1\\n')", "ok", "1\n"),
    "dev_stderr_and_null": ("print(1)\nfor name in ('/dev/stderr', '/dev/null'):\n    with open(name, 'w') as f:\n"
                            "        f.write('x')", "ok", "1\n"),
    "dev_stdin": ("print(open('/dev/stdin').read().strip() or 1)", "ok", "1\n"),
    "fdopen_as_stdout": ("import os, sys\nsys.stdout = os.fdopen(1, 'w')\nprint(1)", "ok", "1\n"),
    "detached_and_rewrapped": ("import io, sys\nsys.stdout = io.TextIOWrapper(sys.stdout.detach(), encoding='utf-8')\n"
                               "print(1)", "ok", "1\n"),
    "detached_only": ("import sys\nb = sys.stdout.detach()\nb.write(b'1\\n')", "runtime_error", ""),  # 120
    "binary_then_exit": ("import sys\nsys.stdout.buffer.write(b'1\\n')\nsys.exit()", "ok", "1\n"),
    "no_final_newline": ("import sys\nsys.stdout.write('1')\nraise SystemExit", "ok", "1"),
    "os_exit_unflushed": ("import os\nprint(1)\nos._exit(0)", "ok", ""),  # CPython loses the buffer too
    "os_exit_flushed": ("import os, sys\nprint(1)\nsys.stdout.flush()\nos._exit(0)", "ok", "1\n"),
    # the exit status: SystemExit as CPython maps it; non-zero is a runtime error
    "quit": ("print(1)\nquit()", "ok", "1\n"),
    "exit_false": ("import sys\nprint(1)\nsys.exit(False)", "ok", "1\n"),
    "exit_256": ("import sys\nprint(1)\nsys.exit(256)", "ok", "1\n"),  # status 256 & 0xFF = 0
    "exit_1": ("print(1)\nexit(1)", "runtime_error", ""),
    "exit_true": ("import sys\nprint(1)\nsys.exit(True)", "runtime_error", ""),
    "exit_text": ("import sys\nprint(1)\nsys.exit('bye')", "runtime_error", ""),  # text to stderr, status 1
    "exception_after_print": ("print(1)\nraise ValueError", "runtime_error", ""),
    "exit_inside_finally": ("try:\n    print(1)\n    exit()\nfinally:\n    print(2)", "ok", "1\n2\n"),
    # what runs after the main module: threads, atexit
    "thread_not_joined": ("import sys, threading, time\ndef main():\n    time.sleep(0.2)\n    print(1)\n"
                          "threading.stack_size(1 << 26)\nsys.setrecursionlimit(10 ** 6)\n"
                          "threading.Thread(target=main).start()", "ok", "1\n"),
    "daemon_thread_dropped": ("import threading, time\ndef late():\n    time.sleep(0.5)\n    print(2)\n"
                              "threading.Thread(target=late, daemon=True).start()\nprint(1)", "ok", "1\n"),
    "thread_raises": ("import threading\nt = threading.Thread(target=lambda: 1 / 0)\nt.start()\nt.join()\nprint(1)",
                      "ok", "1\n"),
    "atexit_prints": ("import atexit\natexit.register(lambda: print(2))\nprint(1)", "ok", "1\n2\n"),
    "atexit_raises": ("import atexit\natexit.register(lambda: 1 / 0)\nprint(1)", "ok", "1\n"),
    "asyncio_run": ("import asyncio\nasync def main():\n    await asyncio.sleep(0)\n    print(1)\nasyncio.run(main())",
                    "ok", "1\n"),
    # what must come first in a module
    "future_annotations": ("from __future__ import annotations\ndef f(x: Undefined) -> int:\n    return 1\nprint(f(0))",
                           "ok", "1\n"),
    "docstring_then_future": ('"""doc"""\nfrom __future__ import annotations\nprint(__doc__)', "ok", "doc\n"),
    "future_after_code": ("import sys\nfrom __future__ import annotations\nprint(1)", "compile_error", ""),
    "future_braces": ("from __future__ import braces\nprint(1)", "compile_error", ""),  # "not a chance"
    "cookie_latin1": ("# -*- coding: latin-1 -*-\nprint('\u00e9')", "ok", "\u00c3\u00a9\n"),  # UTF-8 read as latin-1
    "cookie_unknown": ("# coding: nope\nprint(1)", "compile_error", ""),
    "shebang_and_cookie": ("#!/usr/bin/env python3\n# vim: set fileencoding=utf-8 :\nprint('\u00e9')", "ok",
                           "\u00e9\n"),
    "bom": ("\ufeffprint(1)", "ok", "1\n"),
    "nul_byte": ("print(1)\x00", "compile_error", ""),
    # the program is __main__, a module of its own
    "module_dunders": ("import sys\nprint(__name__, __doc__, __spec__, sys.argv, sys.modules['__main__'] is "
                       "sys.modules[__name__])", "ok", "__main__ None None ['main.py'] True\n"),
    "main_module_globals": ("import sys\nx = 5\nprint(sys.modules['__main__'].x)", "ok", "5\n"),
    "pickle_own_class": ("import pickle\nclass P:\n    pass\nprint(type(pickle.loads(pickle.dumps(P()))).__name__)",
                         "ok", "P\n"),
    "type_hints_of_own_class": ("from __future__ import annotations\nimport typing\nclass A:\n    x: A\n"
                                "print(typing.get_type_hints(A)['x'].__name__)", "ok", "A\n"),
    "dataclass_with_future": ("from __future__ import annotations\nfrom dataclasses import dataclass\n@dataclass\n"
                              "class N:\n    v: int\n    nxt: N | None = None\nprint(N(1))", "ok",
                              "N(v=1, nxt=None)\n"),
    # the script's directory is sys.path[0]; POSIX semaphores work (multiprocessing)
    "import_own_module": ("open('helper.py', 'w').write('X = 5\\n')\nimport helper\nprint(helper.X)", "ok", "5\n"),
    "multiprocessing_pool": ("import multiprocessing as mp\nif __name__ == '__main__':\n    lock = mp.Lock()\n"
                             "    with mp.Pool(2) as pool:\n        print(pool.map(abs, [-1, -2]))", "ok", "[1, 2]\n"),
    "signal_own_child": ("import os, signal, time\npid = os.fork()\nif pid == 0:\n    time.sleep(10)\n    os._exit(0)\n"
                         "os.kill(pid, signal.SIGTERM)\nprint(os.waitpid(pid, 0)[1])", "ok", "15\n"),
    "own_file": ("import os\nprint(os.path.basename(__file__), open(__file__).read().count('print'))", "ok",
                 "main.py 2\n"),  # its own text: "print" twice
}


def _cpython(code: str, cwd) -> tuple[int, str]:
    """Exit status and stdout of `python3 main.py` (pipes for stdin and stdout), as a judge runs a program."""
    import subprocess
    import sys

    (cwd / "main.py").write_bytes(code.encode("utf-8", "surrogatepass"))
    proc = subprocess.run([sys.executable, "main.py"], cwd=cwd, input=b"", capture_output=True,
                          env=dict(sandbox.SAFE_ENV), timeout=30, check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_programs_run_and_end_as_cpython_scripts(mode, name, tmp_path):
    code, status, out = SCRIPTS[name]
    run = _run1(code, Limits(timeout_s=5.0, memory_mb=512, output_bytes=64 << 10, nproc=16, nofile=32, scratch_mb=8))
    assert (run.status, run.out) == (status, out), run.detail
    if mode == "namespaces":  # the reference, once: CPython itself agrees with the hand-checked row
        returncode, stdout = _cpython(code, tmp_path)
        assert (returncode == 0) == (status == "ok") and (status != "ok" or stdout == out), (returncode, stdout)


def test_runner_flags_never_reach_the_program(mode):
    """`from __future__ import annotations` in the runner must not make the program's annotations lazy."""
    from verl_srpo.rewards import _runner

    assert "annotations" not in _runner.__dict__  # the runner has none today; dont_inherit keeps it so anyway
    run = _run1("def f(x: int) -> None:\n    pass\nprint(f.__annotations__['x'].__name__)")
    assert (run.status, run.out) == ("ok", "int\n")


FORK_EXEC = """import _posixsubprocess, os
r, w = os.pipe()
try:
    pid = _posixsubprocess.fork_exec([b'/bin/sh', b'-c', b'echo pwned; echo pwned > {marker}'], [b'/bin/sh'], True,
        (w,), None, None, -1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None, False)
    os.close(w)
    print('child error:', b''.join(iter(lambda: os.read(r, 100), b'')))  # the child writes it in pieces
    os.waitpid(pid, 0)
except OSError as e:
    print('refused', e.errno)
"""


def test_no_program_can_be_executed_however_it_is_spawned(mode, tmp_path):
    """The fallback's audit hook never saw _posixsubprocess.fork_exec; the seccomp filter refuses the exec itself."""
    os.chmod(tmp_path, 0o777)
    marker = tmp_path / "marker"
    run = _run1(FORK_EXEC.format(marker=marker))
    assert run.status == "ok" and "pwned" not in run.out and "OSError:1" in run.out  # EPERM from execve
    assert not marker.exists()
    for code in ("import os\nos.execv('/bin/echo', ['echo', 'pwned'])",
                 "import subprocess\nprint(subprocess.run(['/bin/echo', 'pwned'], capture_output=True).stdout)"):
        run = _run1(code)
        assert run.status == "runtime_error" and "pwned" not in run.out, code
    for code in ("import os\nprint(os.system('echo pwned'))", "import pty\npty.spawn(['/bin/echo', 'pwned'])"):
        run = _run1(code)  # the forked child's exec fails (namespaces), or the call is refused (fallback)
        assert run.status in ("ok", "runtime_error") and "pwned" not in run.out, code
    _next_program_runs()


def test_sockets_refused_but_local_socketpairs_work(mode):
    run = _run1("import socket\ntry:\n    socket.socket(socket.AF_UNIX)\n    print('socket')\nexcept OSError as e:\n"
                "    print('refused', e.errno)\na, b = socket.socketpair()\na.sendall(b'x')\nprint(b.recv(1))")
    assert (run.status, run.out) == ("ok", "refused 1\nb'x'\n")


def test_no_access_to_other_processes_or_the_runners_libc(mode):
    """ptrace is refused by seccomp (namespaces mode: ctypes allowed, the call fails); in the fallback every ctypes
    use is refused, including the runner's own already-loaded libc handle."""
    ptrace = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
              "print(libc.ptrace(0, 0, 0, 0), ctypes.get_errno())")
    run = _run1(ptrace)
    assert (run.status, run.out) == (("ok", "-1 1\n") if mode == "namespaces" else ("runtime_error", ""))
    run = _run1("print(exit.__globals__['_libc'].getpid())")  # the runner's handle, reached through its exit()
    assert run.status == ("ok" if mode == "namespaces" else "runtime_error")


def test_seccomp_filter_is_refused_on_unknown_architectures():
    from verl_srpo.rewards import _runner

    assert _runner.seccomp_program("riscv64") is None
    prog = _runner.seccomp_program("x86_64")
    assert prog[1] == (_runner.JEQ_K, 1, 0, 0xC000003E) and prog[2][3] == _runner.RET_KILL_PROCESS  # other ABIs die
    assert (_runner.JEQ_K, 0, 1, 59) in prog and (_runner.JEQ_K, 0, 1, 322) in prog  # execve, execveat
    assert prog[-1] == (_runner.RET_K, 0, 0, _runner.RET_ALLOW)
    assert (_runner.JEQ_K, 0, 1, 424) in prog and (_runner.JEQ_K, 0, 1, 259) in prog  # pidfd_send_signal, mknodat
    assert (_runner.JEQ_K, 0, 1, 33) in _runner.seccomp_program("aarch64")  # mknodat (aarch64 has no mknod)


def test_fallback_warning_says_what_it_does_not_contain():
    for words in ("does NOT hide files", "Native code", "seccomp", "VERL_SRPO_SANDBOX=namespaces", "dir_fd",
                  "sqlite3", "/dev/shm", "no FIFOs"):
        assert words in sandbox.FALLBACK_WARNING
    assert "_posixsubprocess.fork_exec" in sandbox.SECCOMP_WARNING and "_posixsubprocess.fork_exec" in sandbox.__doc__
