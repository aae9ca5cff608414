"""LiveCodeBench's test harness, re-enacted inside the sandbox for ONE program and ALL its tests.

Grading never imports this file (the tests do, to check its pieces): :func:`eval.lcb_official.harness_source`
reads its source, pastes the source of :mod:`verl_srpo.rewards.lcb_keys` in place of the one import of it, and
runs the result as the program of one sandbox run (:func:`verl_srpo.rewards.sandbox.run_program`: one script,
standard library only, no ``verl_srpo``), with one JSON request on stdin::

    {"code": str, "inputs": [str, ...], "fn_name": str | null, "timeout": float, "stdin": "2501" | "2505"}

and writes one JSON reply to the stdout it was started with::

    {"results": [{"status": "ok", "key": str[, "unprintable": bool]} | {"status": "timeout" | "runtime_error",
                                                                      "error": str}, ...]}
    {"setup": {"kind": "compile_error" | "runtime_error", "error": str}}   # the program never got to a test
    {"killed": str}                                                       # LCB's worker process would die

It reproduces, in its own code, what LiveCodeBench's ``lcb_runner/evaluation/testing_util.py`` does in the
process that runs a program (commit b95a71c, 2025-01-18, unchanged until 2025-05-23 and identical to PyPI
``nvidia-livecodebench`` 26.3; ``"stdin": "2505"`` selects the stdin stand-in of commit 16de2a1):

- the process: ``exit`` as ``site`` defines it (it closes ``sys.stdin``); ``reliability_guard()`` (``quit``,
  ``help``, ``os.kill``/``getcwd``/``chdir``/... set to None; ``resource``, ``psutil``, ... unimportable),
  ``sys.set_int_max_str_digits(50000)``; the real stdin and stdout are the harness's own (empty; unread, of
  any size), ``sys.__stdin__`` is closed and ``sys.argv`` is LCB's command line (:data:`LCB_ARGV`);
- every program gets the same import prelude (star imports of 18 modules, ``sys.setrecursionlimit(50000)``);
- stdin programs: a last ``if __name__ == '__main__':`` is unwrapped, top-level imports are kept and every
  other top-level statement becomes the body of ``wrapped_function()``, called once per test with stdout
  captured in a ``StringIO`` and stdin patched as LCB patches it; ``SystemExit`` ends a test normally;
- functional programs: run once; ``Solution()`` is built once if the text contains ``class Solution``; the
  same function or instance serves every test; a returned tuple becomes a list; whether ``str()`` of the value
  raises goes back too (LCB formats a wrong value inside the test's ``try``);
- each test under a wall-clock alarm of ``timeout`` seconds; the first error or timeout ends the program.

The expected outputs never enter this process. Each test's result goes back as a digest under LCB's
comparison rule (:mod:`verl_srpo.rewards.lcb_keys`: ``stdout_key`` of the captured stdout, ``value_key`` of the
return value), and the caller compares it with the same digest of the expected output: a few bytes per test,
whatever the output size.
"""

import ast
import builtins
import json
import os
import shutil
import signal
import subprocess
import sys
import types
from contextlib import ExitStack
from io import StringIO
from unittest import mock

from verl_srpo.rewards.lcb_keys import stdout_key, value_key  # harness_source() pastes lcb_keys.py here

# LCB's import prelude: star imports in this order (later ones shadow earlier names), then plain imports.
STAR_MODULES = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
                "statistics", "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing")
PLAIN_MODULES = STAR_MODULES[:-2]
PRELUDE = ("".join(f"from {m} import *\n" for m in STAR_MODULES) + "".join(f"import {m}\n" for m in PLAIN_MODULES)
           + "sys.setrecursionlimit(50000)\n")
# reliability_guard(): names set to None before any program runs.
OS_DISABLED = ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork", "forkpty",
               "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown", "chmod", "chown",
               "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir")
MODULES_DISABLED = ("ipdb", "joblib", "resource", "psutil", "tkinter")
ERROR_CHARS = 300
# sys.argv of LCB's process: its command line (README: ``python -m lcb_runner.runner.main --model ... --scenario
# codegeneration --evaluate``), so ``len(sys.argv) > 1`` and ``sys.argv[1]`` is an option, not a file. (ours: the
# model's name stands as MODEL; no program should depend on it)
LCB_ARGV = ("lcb_runner/runner/main.py", "--model", "MODEL", "--scenario", "codegeneration", "--evaluate")


class TimeoutException(Exception):  # LCB's name: a test is a timeout when repr(e) contains it
    pass


def _on_alarm(signum, frame):
    print("timeout occured: alarm went off")  # LCB prints this into the captured stdout, typo included
    raise TimeoutException


def _arm(seconds):
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _site_exit(code=None):
    """``exit()`` as ``site`` defines it (the sandbox runs Python with ``-S``; LCB's guard keeps ``exit``): it
    closes ``sys.stdin`` (in a stdin test, that test's input) before raising SystemExit."""
    try:
        sys.stdin.close()
    except BaseException:
        pass
    raise SystemExit(code)


def _guard():
    builtins.exit = _site_exit
    builtins.quit = None
    builtins.help = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in OS_DISABLED:
        setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None
    for name in MODULES_DISABLED:
        sys.modules[name] = None


def unwrap_main_guard(code):
    """A last top-level ``if __name__ == '__main__':`` replaced by its body (other positions stay)."""
    try:
        tree = ast.parse(code)
        last = tree.body[-1]
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
            return ast.unparse(tree.body[:-1]) + "\n" + ast.unparse(last.body)
    except Exception:
        pass
    return code


def as_function(code):
    """The prelude, the program's top-level imports, and ``def wrapped_function():`` holding the rest.

    Unparsable code comes back unchanged (it then fails to compile, as in LCB)."""
    try:
        tree = ast.parse(code)
        imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
        rest = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
        args = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])
        func = ast.FunctionDef(name="wrapped_function", args=args, body=rest, decorator_list=[], lineno=-1)
        if "type_params" in ast.FunctionDef._fields:  # Python >= 3.12; LCB runs on 3.11, which has none
            func.type_params = []
        return PRELUDE + "\n" + ast.unparse(imports) + "\n" + ast.unparse(func)
    except Exception:
        return code


def load(code, attr, timeout):
    """Execute the program as module ``tmp_sol``; its ``attr`` (on ``Solution()`` when the text says
    ``class Solution``), or None. Raises what the program raises."""
    _arm(timeout)
    try:
        module = types.ModuleType("tmp_sol", "")
        exec(code, module.__dict__)
        owner = module.Solution() if "class Solution" in code else module
    finally:
        _arm(0)
    try:
        return getattr(owner, attr)
    except Exception:
        return None


class _Buffer2505:
    def __init__(self, text):
        self._data = text.encode("utf-8")

    def read(self, *args):
        return self._data

    def readline(self, *args):  # always the first line
        return self._data.split(b"\n")[0] + b"\n"


class _Stdin2505:
    """sys.stdin of LCB since 2025-05-23: whole input on every read()/readlines(), a ``buffer``, no iteration."""

    def __init__(self, text):
        self._text, self._io, self.buffer = text, StringIO(text), _Buffer2505(text)

    def read(self, *args):
        return self._text

    def readline(self, *args):
        return self._io.readline(*args)

    def readlines(self, *args):
        return self._text.split("\n")

    def __getattr__(self, name):
        return getattr(self._io, name)


def _patch_stdin(stack, text, variant):
    """LCB stacks five ``mock.patch`` decorators, entered bottom-up: ``read``, ``readlines`` and ``readline``
    are patched on the process's real stdin (what ``from sys import stdin`` bound at load time sees), and
    only then ``sys.stdin`` and ``builtins.open`` are replaced (a name bound by ``from builtins import *``
    keeps the real ``open``)."""
    lines = iter(text.split("\n"))
    stack.enter_context(mock.patch("sys.stdin.read", lambda *args: text))
    stack.enter_context(mock.patch("sys.stdin.readlines", lambda *args: text.split("\n")))
    stack.enter_context(mock.patch("sys.stdin.readline", lambda *args: next(lines)))
    stack.enter_context(mock.patch("sys.stdin", StringIO(text) if variant == "2501" else _Stdin2505(text)))
    stack.enter_context(mock.patch("builtins.open", mock.mock_open(read_data=text)))


def _failed(exc):
    kind = "timeout" if "timeoutexception" in repr(exc).lower() else "runtime_error"
    return {"status": kind, "error": repr(exc)[:ERROR_CHARS]}


def run_stdin_test(func, text, timeout, variant):
    captured = StringIO()
    captured.close = lambda _unused: 1  # LCB's capture ignores close(x); a bare close() raises TypeError
    saved = sys.stdout
    _arm(timeout)
    sys.stdout = captured
    try:
        with ExitStack() as stack:
            _patch_stdin(stack, text, variant)
            try:
                func()
            except SystemExit:
                pass
        _arm(0)
        output = captured.getvalue()
    except Exception as exc:
        _arm(0)
        return _failed(exc)
    finally:
        _arm(0)
        sys.stdout = saved
    return {"status": "ok", "key": stdout_key(output)}


def _printable(value):
    """Whether ``str(value)`` works, as LCB's message for a wrong value needs it (inside the test's ``try``, after
    the alarm: a failure there is a runtime error after the wrong answer). A BaseException ends the run, as in LCB.
    """
    try:
        str(value)
        return True
    except Exception:
        return False


def run_call_test(func, args, timeout):
    _arm(timeout)
    try:
        value = func(*args)
        _arm(0)
        if isinstance(value, tuple):  # LCB: "don't penalize model if it produces tuples instead of lists"
            value = list(value)
        try:
            key = value_key(value)  # LCB compares inside its try: errors are runtime errors
        except RecursionError:  # nested deeper than any JSON value LCB reads: == is False, a wrong answer, and
            return {"status": "ok", "key": "too deep", "unprintable": True}  # str() raises RecursionError too
        return {"status": "ok", "key": key, "unprintable": not _printable(value)}
    except Exception as exc:
        _arm(0)
        return _failed(exc)
    finally:
        _arm(0)


def grade(request):
    code, fn_name, timeout = request["code"], request["fn_name"], request["timeout"]
    if fn_name is None:
        code = as_function(unwrap_main_guard(code))
    else:
        code = PRELUDE + "\n\n" + code
    try:
        func = load(code, fn_name or "wrapped_function", timeout)
        if func is None:
            raise AttributeError(f"the program defines no {fn_name or 'wrapped_function'}")
        inputs = request["inputs"] if fn_name is None else [[json.loads(a) for a in t.split("\n")]
                                                              for t in request["inputs"]]
    except Exception as exc:
        kind = "compile_error" if isinstance(exc, SyntaxError) else "runtime_error"
        return {"setup": {"kind": kind, "error": repr(exc)[:ERROR_CHARS]}}
    results = []
    for test in inputs:
        if fn_name is None:
            results.append(run_stdin_test(func, test, timeout, request["stdin"]))
        else:
            results.append(run_call_test(func, test, timeout))
        if results[-1]["status"] != "ok":
            break
    return {"results": results}


def main():
    request = json.loads(sys.stdin.read())
    reply_fd = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the harness's own stdin: empty
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # and its own stdout, which nobody reads (of any size)
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    # LCB's worker is a multiprocessing child: it closed the original stdin (sys.__stdin__) and reads /dev/null
    sys.__stdin__ = open(os.devnull, encoding="utf-8")
    sys.__stdin__.close()
    sys.argv = list(LCB_ARGV)
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)
    _guard()
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        reply = grade(request)
    except BaseException as exc:  # SystemExit & co. escape LCB's handlers and end its worker process
        reply = {"killed": repr(exc)[:ERROR_CHARS]}
    data = json.dumps(reply).encode()
    while data:
        data = data[os.write(reply_fd, data):]
    os._exit(0)


if __name__ == "__main__":
    main()
