"""Sandbox runner: executes ONE untrusted Python program against a list of test inputs.

Started by ``sandbox.py`` as ``python -I -S _runner.py`` (stdlib only; ``-I`` keeps this
package's directory off ``sys.path``), usually as PID 1 of fresh pid + net + mount
namespaces created by ``unshare``. It reads one JSON request on stdin and writes one JSON
reply on stdout. It never sees the expected outputs: comparison happens in the trusted
caller, so a program cannot find the answers in its own (forked) memory.

Per test it forks a child that becomes its own session, gets stdin/stdout from anonymous
memfds, drops to the unprivileged ``uid``, lowers its rlimits, installs a seccomp filter
(no exec, no sockets, no ptrace; see :func:`install_seccomp`) and only then compiles and
runs the program. After each test every process of ``uid`` is killed (daemons included).

The program sees what a judge's ``python3 main.py`` gives it: the builtins (``exit`` and ``quit``
too, which ``-S`` would drop), the usual imports of LiveCodeBench's prelude without any name that
shadows a builtin (``from math import *`` would replace ``pow``), and a stdout whose text and binary
layers (``print`` and ``sys.stdout.buffer.write``) share one buffer, so writes keep program order as
under ``python -u``, still buffered underneath.
"""

import builtins
import ctypes
import io
import json
import os
import resource
import select
import signal
import sys
import time

EXIT_OK, EXIT_MEMORY, EXIT_RUNTIME, EXIT_COMPILE = 0, 93, 94, 95
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_NOSUID, MS_NODEV = 1, 32, 4096, 16384, 2, 4
PR_SET_NO_NEW_PRIVS = 38
# Inside the mount namespace these are replaced by empty read-only tmpfs (hiding sockets such as
# Ray's under /tmp, token files in home directories, other users' files), except a path that holds
# this interpreter, which stays visible read-only. Everything else is read-only too.
HIDDEN_PATHS = ("/tmp", "/var/tmp", "/dev/shm", "/run", "/root", "/home", "/mnt", "/media", "/srv")
# Names a solution may use without importing them (LeetCode-style code relies on this), as LiveCodeBench's
# prelude gives them: these modules by name, and the public names of the STAR_MODULES, except any name
# that would shadow a builtin (``from math import *`` brings ``math.pow``, which has no modulus and
# turns big integers into floats). Built once here, so each forked test pays nothing for them.
PRELUDE_MODULES = ("sys", "os", "math", "collections", "heapq", "bisect", "itertools", "functools", "string", "re",
                   "random", "operator", "copy", "typing")
STAR_MODULES = ("typing", "collections", "heapq", "bisect", "itertools", "functools", "math")
for _name in (*PRELUDE_MODULES, "io", "decimal", "fractions", "statistics"):
    __import__(_name)


def prelude_names() -> dict:
    """{name: object} the program starts with (module docstring); never a builtin's name."""
    shadowed = set(dir(builtins))
    names = {}
    for mod in (sys.modules[m] for m in STAR_MODULES):
        public = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        names.update({n: getattr(mod, n) for n in public if n not in shadowed and hasattr(mod, n)})
    names.update({m: sys.modules[m] for m in PRELUDE_MODULES})
    return names


PRELUDE = prelude_names()


def _quit(code=None):
    """``exit()``/``quit()`` as ``site`` defines them: raise SystemExit (``-S`` leaves them undefined)."""
    raise SystemExit(code)


for _name in ("exit", "quit"):
    if not hasattr(builtins, _name):
        setattr(builtins, _name, _quit)

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(src, target, fstype, flags, data):
    args = [None if v is None else v.encode() for v in (src, target, fstype, data)]
    if _libc.mount(args[0], args[1], args[2], flags, args[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def setup_namespace(req):
    """As root in the new mount + pid namespace: read-only root, hidden /tmp, /home, ..., a tmpfs
    scratch (the only writable place) and a /proc that shows only this namespace."""
    if os.getpid() != 1:
        raise RuntimeError("namespaces mode needs the runner to be PID 1 of a new pid namespace")
    _mount("/", "/", None, MS_BIND | MS_REC, None)
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    keep = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, os.path.dirname(os.__file__))]
    hidden = []
    for path in HIDDEN_PATHS:
        if not os.path.isdir(path) or os.path.islink(path):
            continue
        if any(k == path or k.startswith(path + "/") for k in keep):
            _mount(path, path, None, MS_BIND | MS_REC, None)
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
        else:
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
            hidden.append(path)
    lim = req["limits"]
    os.makedirs(req["scratch"], exist_ok=True)  # inside a fresh tmpfs when its parent is hidden
    opts = f"size={lim['scratch_mb']}m,mode=0700,uid={req['uid']},gid={req['uid']}"
    _mount("tmpfs", req["scratch"], "tmpfs", MS_NOSUID | MS_NODEV, opts)
    for path in hidden:
        _mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV, None)


# seccomp (both modes): refuse exec (any new program, however it is spawned: subprocess, os.exec*,
# _posixsubprocess.fork_exec, ctypes), sockets (socket(); socketpair() only for AF_UNIX, as multiprocessing
# pipes use), and access to other processes' memory (ptrace, process_vm_*, pidfd_getfd). A kernel filter,
# so no Python-level trick gets around it. Syscall numbers per architecture; an unknown one gets no filter.
SECCOMP_ARCH = {  # machine: (AUDIT_ARCH, {syscall: number})
    "x86_64": (0xC000003E, {"execve": 59, "execveat": 322, "socket": 41, "socketpair": 53, "ptrace": 101,
                            "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438}),
    "aarch64": (0xC00000B7, {"execve": 221, "execveat": 281, "socket": 198, "socketpair": 199, "ptrace": 117,
                             "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438}),
}
PR_SET_SECCOMP, SECCOMP_MODE_FILTER, X32_SYSCALL_BIT, AF_UNIX, EPERM = 22, 2, 0x40000000, 1, 1
RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def seccomp_program(machine: str) -> list[tuple[int, int, int, int]] | None:
    """The BPF program (code, jt, jf, k) for ``machine``, or None where the syscall numbers are unknown."""
    if machine not in SECCOMP_ARCH:
        return None
    arch, nr = SECCOMP_ARCH[machine]
    deny = (RET_K, 0, 0, RET_ERRNO | EPERM)
    prog = [(LD_W_ABS, 0, 0, 4), (JEQ_K, 1, 0, arch), (RET_K, 0, 0, RET_KILL_PROCESS),  # another ABI: kill
            (LD_W_ABS, 0, 0, 0)]
    if machine == "x86_64":  # the x32 ABI numbers its syscalls from bit 30: refuse all of them
        prog += [(JGE_K, 0, 1, X32_SYSCALL_BIT), deny]
    for name in ("execve", "execveat", "socket", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd"):
        prog += [(JEQ_K, 0, 1, nr[name]), deny]
    # socketpair: allowed for AF_UNIX (args[0], low 32 bits at offset 16 on these little-endian ABIs)
    prog += [(JEQ_K, 0, 4, nr["socketpair"]), (LD_W_ABS, 0, 0, 16), (JEQ_K, 1, 0, AF_UNIX), deny,
             (RET_K, 0, 0, RET_ALLOW)]
    return prog + [(RET_K, 0, 0, RET_ALLOW)]


def install_seccomp() -> bool:
    """Install the filter on this process (and its future children). Needs no_new_privs. False if refused."""
    prog = seccomp_program(os.uname().machine)
    if prog is None:
        return False
    filters = (_SockFilter * len(prog))(*(_SockFilter(*ins) for ins in prog))
    fprog = _SockFprog(len(prog), filters)
    return _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def seccomp_works() -> bool:
    """Whether this kernel accepts the filter (tried in a throwaway child, never on this process)."""
    pid = os.fork()
    if pid == 0:
        ok = _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 and install_seccomp()
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# Audit events whose path arguments must lie inside scratch (fallback mode).
PATH_EVENTS = {"os.remove": 1, "os.rename": 2, "os.rmdir": 1, "os.mkdir": 1, "os.symlink": 2, "os.link": 2,
               "os.chmod": 1, "os.chown": 1, "os.truncate": 1, "os.utime": 1, "shutil.rmtree": 1}
BANNED_EVENTS = ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn",
                 "os.spawn", "os.forkpty", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
                 "socket.getaddrinfo")


def _audit_guard(scratch):
    """Fallback (no namespaces): a Python-level guard against network, subprocesses, native code,
    signals to other processes and file changes outside scratch. Best effort, not a boundary."""
    scratch = os.path.realpath(scratch)
    me = os.getpid()

    def inside(path):
        if isinstance(path, int):  # a file descriptor the program already holds
            return True
        real = os.path.realpath(os.fsdecode(path))
        return real == scratch or real.startswith(scratch + "/")

    def hook(event, args):
        if event in BANNED_EVENTS or event.startswith("ctypes."):  # every ctypes use: loading, lookup, calls
            raise PermissionError(f"{event} is disabled in the sandbox")
        if event == "open":
            path, mode, flags = (list(args) + [None, None])[:3]
            writes = (mode and any(c in str(mode) for c in "wax+")) or (flags or 0) & WRITE_FLAGS
            if writes and path is not None and not inside(path):
                raise PermissionError("writes outside the scratch directory are disabled")
        elif event in PATH_EVENTS and not all(inside(p) for p in args[:PATH_EVENTS[event]] if p is not None):
            raise PermissionError(f"{event} outside the scratch directory is disabled")
        elif event in ("os.kill", "os.killpg") and args[0] not in (0, me, os.getpid()):
            raise PermissionError("signals to other processes are disabled in the sandbox")

    sys.addaudithook(hook)


def _child(req, code, stdin_fd, out_fd, res_fd, test_input):
    """In the forked child: isolate, drop privileges, run the program. Never returns."""
    try:
        lim = req["limits"]
        os.setsid()
        os.dup2(stdin_fd, 0)
        os.dup2(out_fd, 1)
        if not req.get("debug"):  # debug (tests only) keeps the runner's stderr for tracebacks
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        os.dup2(res_fd, 3)
        os.closerange(4, 1 << 16)
        os.chdir(req["scratch"])
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; we want the kill
        cpu = max(1, int(lim["timeout_s"] + 1))
        for res, val in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, lim["memory_mb"] << 20),
                         (resource.RLIMIT_FSIZE, lim["output_bytes"]), (resource.RLIMIT_NOFILE, lim["nofile"]),
                         (resource.RLIMIT_NPROC, req["nproc"]), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(res, (val, val))
        if req["uid"] is not None:
            os.setgroups([])
            os.setgid(req["uid"])
            os.setuid(req["uid"])
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        install_seccomp()  # refused by an old kernel: the namespaces (or the fallback's audit hook) remain
        os.environ.clear()
        os.environ.update(req["env"])
        if req["mode"] != "namespaces":
            _audit_guard(req["scratch"])
        sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", errors="replace", closefd=False)
        # one buffer under both layers: print() and sys.stdout.buffer.write() keep their order (as ``python -u``)
        binary = io.BufferedWriter(io.FileIO(1, "w", closefd=False), buffer_size=1 << 16)
        sys.stdout = sys.__stdout__ = io.TextIOWrapper(binary, encoding="utf-8", write_through=True)
        sys.argv = ["main.py"]
    except BaseException:
        os._exit(EXIT_RUNTIME)  # sandbox setup failed: never run the program unconfined
    status = EXIT_OK
    try:
        try:
            compiled = compile(code, "main.py", "exec")
        except BaseException:
            os._exit(EXIT_COMPILE)
        env = dict(PRELUDE) if req["prelude"] else {}
        env.update({"__name__": "__main__" if req["fn_name"] is None else "solution", "__builtins__": builtins})
        try:
            exec(compiled, env)
        except SystemExit:
            pass
        if req["fn_name"] is not None:
            owner = env["Solution"]() if "Solution" in env else None
            fn = getattr(owner, req["fn_name"]) if owner is not None else env[req["fn_name"]]
            value = fn(*test_input)
            os.write(3, json.dumps(value, default=repr).encode())
    except MemoryError:
        status = EXIT_MEMORY
    except BaseException:
        status = EXIT_RUNTIME
        if req.get("debug"):
            sys.excepthook(*sys.exc_info())
    try:
        sys.stdout.flush()
    except BaseException:
        status = status or EXIT_RUNTIME
    os._exit(status)


def _memfd(data=b""):
    fd = os.memfd_create("io")
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read(fd, limit):
    os.lseek(fd, 0, os.SEEK_SET)
    chunks, total = [], 0
    while total < limit:
        chunk = os.read(fd, min(1 << 20, limit - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _sweep(req, pgid):
    """Kill everything the test left behind: its process group, and daemons that left it."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
    if req["mode"] == "namespaces" and os.getpid() == 1:
        try:
            os.kill(-1, signal.SIGKILL)  # PID 1 of our own pid namespace: every other process in it, never us
        except ProcessLookupError:
            pass  # nothing left to kill
    elif req["uid"] is not None:
        pid = os.fork()
        if pid == 0:
            try:
                os.setgid(req["uid"])
                os.setuid(req["uid"])
                os.kill(-1, signal.SIGKILL)  # every process of the dedicated uid (never us: we are root)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    _reap()


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_one(req, code, test_input):
    """Run the program on one test input. Returns {"status": ..., "out": ...}."""
    lim = req["limits"]
    stdin_fd = _memfd(test_input.encode() if isinstance(test_input, str) else b"")
    out_fd, res_fd = _memfd(), _memfd()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(req, code, stdin_fd, out_fd, res_fd, test_input)
        finally:
            os._exit(EXIT_RUNTIME)
    pidfd = os.pidfd_open(pid)
    ready, _, _ = select.select([pidfd], [], [], lim["timeout_s"])
    os.close(pidfd)
    timed_out = not ready
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, wstatus = os.waitpid(pid, 0)
    _sweep(req, pid)
    elapsed = time.monotonic() - start
    if timed_out or os.WIFSIGNALED(wstatus) and os.WTERMSIG(wstatus) == signal.SIGXCPU:
        status = "timeout"
    elif os.WIFSIGNALED(wstatus) and os.WTERMSIG(wstatus) == signal.SIGXFSZ:
        status = "output_limit"
    else:
        code_ = os.WEXITSTATUS(wstatus) if os.WIFEXITED(wstatus) else -1
        status = {EXIT_OK: "ok", EXIT_MEMORY: "memory", EXIT_COMPILE: "compile_error"}.get(code_, "runtime_error")
    out = ""
    if status == "ok":
        out = _read(res_fd if req["fn_name"] is not None else out_fd, lim["output_bytes"])
    for fd in (stdin_fd, out_fd, res_fd):
        os.close(fd)
    detail = f"signal {os.WTERMSIG(wstatus)}" if os.WIFSIGNALED(wstatus) else f"exit {os.WEXITSTATUS(wstatus)}"
    return {"status": status, "out": out, "time_s": round(elapsed, 4), "detail": detail}


def main():
    req = json.loads(sys.stdin.read())
    sys.stdin.close()
    reply = {"results": [], "setup_error": None, "seccomp": None}
    try:
        if req["mode"] == "namespaces":
            setup_namespace(req)
        reply["seccomp"] = seccomp_works()
        deadline = time.monotonic() + req["limits"]["total_timeout_s"]
        for test_input in req["inputs"]:
            if reply["results"] and reply["results"][-1]["status"] in ("timeout", "compile_error"):
                reply["results"].append({"status": "skipped", "out": "", "time_s": 0.0})
                continue
            if time.monotonic() > deadline:
                reply["results"].append({"status": "timeout", "out": "", "time_s": 0.0})
                continue
            reply["results"].append(run_one(req, req["code"], test_input))
    except Exception as exc:  # report, never hang: the caller scores this as a sandbox error
        reply["setup_error"] = f"{type(exc).__name__}: {exc}"
    sys.stdout.write(json.dumps(reply))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
