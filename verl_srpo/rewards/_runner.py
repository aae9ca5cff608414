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

The program sees what a judge's ``python3 main.py`` (stdin and stdout pipes) gives it, the standard
library only:

- its source: compiled from UTF-8 bytes as CPython reads a file, so whatever must come first in a module
  works (``from __future__`` imports, after a docstring too; an encoding cookie, honoured; a BOM; a
  shebang), and no future flag of this runner leaks in; ``main.py`` in scratch holds it (``__file__``);
- its module: a fresh ``__main__`` in ``sys.modules`` (``solution`` for functional tests, whose
  ``if __name__ == "__main__":`` block must not run), so ``pickle``, ``typing.get_type_hints`` and
  ``sys.modules["__main__"]`` find the program, never this runner; ``sys.argv == ["main.py"]``, and
  ``sys.path[0]`` is scratch, the script's directory (a module the program writes there imports);
- its names: the builtins (``exit`` and ``quit`` too, which ``-S`` would drop), and the usual imports of
  LiveCodeBench's prelude without any name that shadows a builtin (``from math import *`` would replace
  ``pow``), as globals that the program's own assignments and imports override;
- its stdout: text and binary layers (``print`` and ``sys.stdout.buffer.write``) share one buffer, so
  writes keep program order as under ``python -u``, still buffered underneath; stderr goes nowhere;
- its end, as CPython's (:func:`_run_script`): the exit status of ``SystemExit`` (``exit()``, ``quit()``,
  ``sys.exit(0)`` are 0; ``sys.exit(3)``, ``sys.exit("text")`` and an uncaught exception are not, and a
  test whose program exits non-zero is a runtime error, as on real judges); then non-daemon threads are
  waited for (``threading.Thread(target=main).start()``), atexit callbacks run, ``sys.stdout`` and
  ``sys.stderr`` are flushed unless closed (a failure, e.g. after ``os.close(1)`` with output still
  buffered, is status 120), module globals are dropped (a file opened on fd 1 is flushed), and what the
  original stdout buffers is written, so a program that closed (``sys.stdout.close()``), replaced
  (``sys.stdout = io.StringIO()``, ``os.fdopen(1, "w")``) or detached its stdout keeps what it printed.
  ``os._exit`` skips all that, as in CPython: output still buffered is lost.
"""

import atexit
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
import types

EXIT_OK, EXIT_MEMORY, EXIT_RUNTIME, EXIT_COMPILE = 0, 93, 94, 95
EXIT_FLUSH = 120  # CPython's status when flushing stdout at exit fails
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_NOSUID, MS_NODEV = 1, 32, 4096, 16384, 2, 4
PR_SET_NO_NEW_PRIVS = 38
# Inside the mount namespace these are replaced by empty read-only tmpfs (hiding sockets such as
# Ray's under /tmp, token files in home directories, other users' files), except a path that holds
# this interpreter, which stays visible read-only, and /dev/shm, an empty private tmpfs as writable as scratch
# (POSIX semaphores live there: ``multiprocessing.Lock``, ``Pool``). Everything else is read-only too.
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
        if path == "/dev/shm":  # private to this namespace, as writable as scratch: multiprocessing's semaphores
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={req['limits']['scratch_mb']}m,mode=1777")
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
# pipes use), access to other processes' memory (ptrace, process_vm_*, pidfd_getfd), signals through a pidfd, and
# making FIFOs or device nodes (mknod, mknodat). A kernel filter,
# so no Python-level trick gets around it. Syscall numbers per architecture; an unknown one gets no filter.
SECCOMP_ARCH = {  # machine: (AUDIT_ARCH, {syscall: number})
    "x86_64": (0xC000003E, {"execve": 59, "execveat": 322, "socket": 41, "socketpair": 53, "ptrace": 101,
                            "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
                            "pidfd_send_signal": 424, "mknod": 133, "mknodat": 259}),
    "aarch64": (0xC00000B7, {"execve": 221, "execveat": 281, "socket": 198, "socketpair": 199, "ptrace": 117,
                             "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438,
                             "pidfd_send_signal": 424, "mknodat": 33}),
}
# refused outright: no program runs (exec), no network (socket), no other process is read, written or signalled
# (the audit hook sees os.kill but not signal.pidfd_send_signal), no FIFO or device node is made anywhere
# (os.mkfifo and os.mknod raise no audit event)
SECCOMP_DENY = ("execve", "execveat", "socket", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
                "pidfd_send_signal", "mknod", "mknodat")
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
    for name in SECCOMP_DENY:
        if name in nr:  # aarch64 has no mknod (only mknodat)
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
# Audit events whose path arguments must lie inside scratch (fallback mode): event -> (positions of the paths,
# positions of their dir_fd arguments: -1 or None when absent, else the directory a relative path starts from).
PATH_EVENTS = {"os.remove": ((0,), (1,)), "os.rename": ((0, 1), (2, 3)), "os.rmdir": ((0,), (1,)),
               "os.mkdir": ((0,), (2,)), "os.symlink": ((0, 1), (2, 2)), "os.link": ((0, 1), (2, 3)),
               "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.truncate": ((0,), ()),
               "os.utime": ((0,), (3,)), "shutil.rmtree": ((0,), (1,)), "os.setxattr": ((0,), ()),
               "os.removexattr": ((0,), ())}
BANNED_EVENTS = ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn",
                 "os.spawn", "os.forkpty", "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg",
                 "socket.getaddrinfo", "sqlite3.connect")
# Standard-library extension modules that write files from C, where no audit hook sees the path: refused as if
# not built (ImportError) in the fallback. sqlite (ATTACH writes any path), dbm, readline's history files, and
# POSIX shared memory (files in the host's /dev/shm).
NATIVE_WRITERS = ("_sqlite3", "_dbm", "_gdbm", "readline", "_posixshmem")


def _audit_guard(scratch):
    """Fallback (no namespaces): a Python-level guard against network, subprocesses, native code,
    signals to other processes and file changes outside scratch. Best effort, not a boundary."""
    scratch = os.path.realpath(scratch)
    me = os.getpid()

    def fd_path(fd):
        """What descriptor ``fd`` refers to ("/a/file", "/memfd:io (deleted)", "pipe:[7]"), or None if not open."""
        try:
            return os.readlink(f"/proc/self/fd/{int(fd)}")
        except (OSError, ValueError, OverflowError):
            return None

    def resolve(path, dir_fd=None):
        """The real path ``path`` names, a relative one starting from ``dir_fd`` (a directory descriptor) when
        given, else from the cwd; a descriptor names its file."""
        if isinstance(path, int):
            return fd_path(path)
        path = os.fsdecode(path)
        if dir_fd is not None and dir_fd != -1 and not os.path.isabs(path):
            base = fd_path(dir_fd)
            if base is None:
                return None  # not open: the call fails with EBADF
            path = os.path.join(base, path)
        return os.path.realpath(path)

    def inside(path, dir_fd=None):
        real = resolve(path, dir_fd)
        if real is None or not real.startswith("/") or real.startswith("/memfd:"):
            return True  # not open, a pipe, a memfd: no file outside scratch
        return real == scratch or real.startswith(scratch + "/")

    def writable(path):
        """Inside scratch, or a stream of the program's own reopened by name (``/dev/stdout``, ``/dev/fd/1``,
        ``/proc/self/fd/N``: its memfds; ``/dev/stderr``: /dev/null), as a judge's ``python3 main.py`` may."""
        if inside(path):
            return True
        real = os.path.realpath(os.fsdecode(path))
        return real == os.devnull or real.startswith("/memfd:")

    def paths_inside(event, args):
        paths, dir_fds = PATH_EVENTS[event]
        args = list(args)
        for i, pos in enumerate(paths):
            if pos >= len(args) or args[pos] is None:
                continue
            dir_fd = args[dir_fds[i]] if i < len(dir_fds) and dir_fds[i] < len(args) else None
            if event == "os.symlink" and pos == 0 and isinstance(args[0], (str, bytes)):
                # a link's target is read from the link's own directory, not from the cwd
                link = resolve(args[1], dir_fd)
                target = os.fsdecode(args[0])
                if link is None or not inside(os.path.join(os.path.dirname(link), target)):
                    return False
                continue
            if not inside(args[pos], dir_fd):
                return False
        return True

    def own_process(pid):
        """Whether ``pid`` (a process, or a group as -pgid or a killpg argument) is this program or one it started:
        its session is the program's (the runner made the program a session leader; multiprocessing terminates its
        workers). -1 (every process) never is."""
        if pid in (0, me, os.getpid()):
            return True
        if not isinstance(pid, int) or pid == -1:
            return False
        try:
            return os.getsid(abs(pid)) == os.getsid(0)
        except OSError:
            return False

    def hook(event, args):
        if event in BANNED_EVENTS or event.startswith("ctypes."):  # every ctypes use: loading, lookup, calls
            raise PermissionError(f"{event} is disabled in the sandbox")
        if event == "import" and args and args[0] in NATIVE_WRITERS:
            raise ImportError(f"{args[0]} is disabled in the sandbox", name=args[0])
        if event == "open":
            path, mode, flags = (list(args) + [None, None])[:3]
            if path is None:
                return
            writes = (mode and any(c in str(mode) for c in "wax+")) or (flags or 0) & WRITE_FLAGS
            if writes and not writable(path):
                raise PermissionError("writes outside the scratch directory are disabled")
            if writes and not isinstance(path, int) and ".." in os.fsdecode(path).split("/") and \
                    not os.path.isabs(path):  # the event hides dir_fd: a relative ".." may start elsewhere
                raise PermissionError("writes through a relative '..' path are disabled")
            if mode is None and not isinstance(path, int) and os.path.isdir(path) and not inside(path):
                # os.open (mode None; open() refuses directories itself): a directory descriptor outside scratch
                # would let dir_fd= calls reach files there, and the "open" audit event does not carry dir_fd
                raise PermissionError("opening a directory outside the scratch directory is disabled")
        elif event in PATH_EVENTS and not paths_inside(event, args):
            raise PermissionError(f"{event} outside the scratch directory is disabled")
        elif event in ("os.kill", "os.killpg") and not own_process(args[0]):
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
        sys.path.insert(0, req["scratch"])  # the script's directory comes first, as for ``python3 main.py``
        module = _main_module(req)
    except BaseException:
        os._exit(EXIT_RUNTIME)  # sandbox setup failed: never run the program unconfined
    try:
        # bytes, as ``python3 main.py`` reads its file: an encoding cookie or a BOM is honoured; no future
        # flag of this runner leaks into the program (dont_inherit)
        compiled = compile(code.encode("utf-8", "surrogatepass"), module.__file__, "exec", dont_inherit=True)
    except BaseException:
        os._exit(EXIT_COMPILE)
    if req["fn_name"] is None:
        os._exit(_run_script(compiled, module, sys.stdout, binary, req.get("debug")))
    status = EXIT_OK
    try:
        try:
            exec(compiled, module.__dict__)
        except SystemExit:
            pass
        env = module.__dict__
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
    os._exit(status)


def _main_module(req):
    """The program's module, registered in ``sys.modules`` as a script's is: ``__main__`` for a stdin program
    (``solution`` for a functional one, so its ``if __name__ == "__main__":`` block stays off), with
    ``__file__`` naming its source in scratch, the prelude's names (when asked) and nothing of the runner's."""
    module = types.ModuleType("__main__" if req["fn_name"] is None else "solution")
    if req["prelude"]:
        module.__dict__.update(PRELUDE)
    module.__file__ = os.path.join(req["scratch"], "main.py")
    module.__builtins__ = builtins
    sys.modules[module.__name__] = module
    return module


def _run_script(compiled, module, stdout, binary, debug=False) -> int:
    """Run a stdin/stdout program to its end as ``python3 main.py`` does; returns its exit status.

    An uncaught exception is status 1 (EXIT_MEMORY for MemoryError); ``SystemExit`` gives its code as
    CPython does (None 0, an int its low byte, anything else 1). Then, on a clean end, what CPython's
    ``Py_FinalizeEx`` does that a program can see: non-daemon threads are waited for, atexit callbacks run,
    ``sys.stdout`` and ``sys.stderr`` are flushed unless closed (a failure is status 120), the module's
    globals are dropped (their files are flushed), and what the original stdout still buffers is written
    (a program that replaced or closed ``sys.stdout`` keeps what it printed before)."""
    try:
        exec(compiled, module.__dict__)
        status = EXIT_OK
    except SystemExit as exc:
        status = _exit_code(exc)
    except MemoryError:
        return EXIT_MEMORY
    except BaseException:
        if debug:
            sys.excepthook(*sys.exc_info())
        return 1
    if status != EXIT_OK:  # never one of the runner's own codes (memory, compile)
        return EXIT_RUNTIME if status in (EXIT_MEMORY, EXIT_COMPILE) else status
    for step in (_join_threads, atexit._run_exitfuncs):  # an error in either is only reported by CPython
        try:
            step()
        except BaseException:
            pass
    status = EXIT_OK if _flush(sys.stdout) & _flush(sys.stderr) else EXIT_FLUSH
    try:
        module.__dict__.clear()  # files the program left open are flushed as they go
    except BaseException:
        pass
    for stream in (stdout, binary):  # errors here are CPython's "Exception ignored" at teardown
        _flush(stream)
    return status


def _join_threads():
    """CPython's ``wait_for_thread_shutdown``: wait for the program's non-daemon threads."""
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()


def _exit_code(exc) -> int:
    """CPython's exit status for an uncaught ``SystemExit`` (``handle_system_exit``)."""
    try:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return int.__and__(code, 0xFF) if -(1 << 63) <= code < (1 << 63) else 0xFF
        return 1  # CPython prints the object to stderr (here /dev/null)
    except BaseException:
        return 1


def _flush(stream) -> bool:
    """Flush ``stream`` unless it is None or closed, as CPython's ``flush_std_files``; False when that fails."""
    try:
        if stream is None or stream.closed:
            return True
    except BaseException:
        pass  # no usable ``closed``: try the flush, as CPython does
    try:
        stream.flush()
        return True
    except BaseException:
        return False


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


def _write_source(req):
    """The program's text as ``main.py`` in scratch (its ``__file__``), read-only, as a judge's file would be."""
    path = os.path.join(req["scratch"], "main.py")
    try:
        with open(path, "wb") as f:
            f.write(req["code"].encode("utf-8", "surrogatepass"))
        os.chmod(path, 0o444)
    except OSError:
        pass  # a full scratch: the program still runs, only without its file


def main():
    req = json.loads(sys.stdin.read())
    sys.stdin.close()
    reply = {"results": [], "setup_error": None, "seccomp": None}
    try:
        if req["mode"] == "namespaces":
            setup_namespace(req)
        if req.get("probe_seccomp", True):  # once per caller process: only its warning needs the answer
            reply["seccomp"] = seccomp_works()
        _write_source(req)
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
