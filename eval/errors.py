"""Errors a user can fix. ``python -m eval`` prints each as one line and exits with code 2.

Each class also derives from the built-in exception it replaces, so callers that catch
``FileNotFoundError`` / ``ValueError`` / ``RuntimeError`` keep working.
"""

from __future__ import annotations


class EvalError(Exception):
    """A run cannot start or go on; the message says what is wrong and what to do instead."""


class DatasetNotFound(EvalError, FileNotFoundError):
    """The dataset path does not exist, or holds none of the files the task needs."""


class ModelNotFound(EvalError, FileNotFoundError):
    """The model directory holds no weights the evaluation can read (``*.safetensors``)."""


class DatasetError(EvalError, ValueError):
    """The dataset or its selection is wrong: problem count, duplicate ids, release name, empty window."""


class MissingColumns(EvalError, KeyError):
    """A row lacks the columns the task reads."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class Unavailable(EvalError, RuntimeError):
    """A Hub model or dataset that is neither reachable nor in the local Hugging Face cache."""


def first_line(exc: BaseException) -> str:
    """``"LocalEntryNotFoundError: Cannot find ..."``: the exception's type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def cache_miss(exc: BaseException) -> str:
    """Why the local Hugging Face cache could not serve a repository, in a few words, with no end stop (the
    callers go on with ". ..."). A miss (huggingface_hub's ``LocalEntryNotFoundError``, whose own text says to pass
    ``local_files_only=False``, no option of ours) says so plainly; any other error, such as a cached snapshot
    without the files wanted, is named as it is."""
    from huggingface_hub.errors import LocalEntryNotFoundError

    if isinstance(exc, LocalEntryNotFoundError):
        return "not in the local Hugging Face cache (HF_HOME)"
    return first_line(exc).rstrip(".")
