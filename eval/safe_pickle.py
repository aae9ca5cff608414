"""Decode LiveCodeBench's private tests without unpickling arbitrary objects.

``livecodebench/code_generation_lite`` stores ``private_test_cases`` either as a JSON string or as
``base64(zlib(pickle(json_string)))``. ``pickle.loads`` on that field would run whatever the pickle
names (``os.system``, ...), so the pickle is read by an unpickler that admits only plain builtin
values (str, bytes, numbers, bool, None, list, tuple, dict, set) and refuses every global lookup.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import zlib


class UnsafePickleError(ValueError):
    """The payload names a global (a class or a function): refused, never imported or called."""


class PlainUnpickler(pickle.Unpickler):
    """An unpickler for plain data only: any ``GLOBAL``/``STACK_GLOBAL`` opcode is refused.

    Builtin containers and scalars are built by opcodes that never consult ``find_class``, so refusing
    every ``find_class`` admits exactly the plain types; ``persistent_load`` is refused too.
    """

    def find_class(self, module: str, name: str):  # noqa: D102 (documented on the class)
        raise UnsafePickleError(
            f"refusing to unpickle global {module}.{name}: LiveCodeBench private tests hold only plain "
            "types (a JSON string); this payload is not a genuine test file"
        )

    def persistent_load(self, pid):  # noqa: D102
        raise UnsafePickleError("refusing a persistent id in a pickled test payload")


def plain_loads(data: bytes):
    """``pickle.loads`` restricted to plain builtin values; raises :class:`UnsafePickleError`."""
    return PlainUnpickler(io.BytesIO(data)).load()


def decode_private_tests(field: str) -> list[dict]:
    """The list of ``{"input", "output", "testtype"}`` tests of one ``private_test_cases`` field.

    Accepts both encodings of the dataset: plain JSON, or base64 + zlib + pickle of a JSON string.
    """
    text = field.strip()
    if text.startswith("["):
        tests = json.loads(text)
    else:
        try:
            # base64 may be wrapped over lines (the official decoder skips them too): drop the whitespace
            raw = zlib.decompress(base64.b64decode("".join(text.split()).encode("ascii"), validate=True))
        except (binascii.Error, zlib.error, UnicodeEncodeError) as err:
            raise ValueError(f"private_test_cases is neither JSON nor base64+zlib: {err}") from err
        inner = plain_loads(raw)
        tests = json.loads(inner) if isinstance(inner, (str, bytes)) else inner
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        raise ValueError(f"private_test_cases must decode to a list of dicts, got {type(tests).__name__}")
    return tests


def encode_private_tests(tests: list[dict]) -> str:
    """The inverse of :func:`decode_private_tests` (the dataset's compressed form); used by fixtures."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("ascii")
