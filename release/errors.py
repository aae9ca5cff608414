"""The release kit's one error type, and the names its messages give the release's inputs.

``python -m release`` / ``verl-srpo release`` print a :class:`ReleaseError` as one line. Messages name each input
as ``make release`` does (``VERSION=v1.0``, ``CONFIRM=1``); :func:`in_cli_terms` turns those names into the
command line's flags (``--version v1.0``, ``--confirm``) unless the Makefile ran the command (it sets
``SRPO_RELEASE_VIA_MAKE=1``), so each user reads the names they typed.
"""

from __future__ import annotations

import os
import re

MAKE_ENV = "SRPO_RELEASE_VIA_MAKE"  # set to 1 by the Makefile's release targets
# make's variable -> the command line's flag (release/cli.py); the switches take no value (NAME=1 -> --flag).
OPTIONS = {"CKPT": "--ckpt", "OUT": "--out", "REPO_ID": "--repo-id", "RUN_CONFIG": "--run-config", "EVAL": "--eval",
           "VERSION": "--version", "BASE_MODEL": "--base-model", "LICENSE": "--license", "DATASETS": "--dataset",
           "MAX_SHARD_SIZE": "--max-shard-size", "CONFIRM": "--confirm", "ALLOW_NO_EVAL": "--allow-no-eval",
           "PRIVATE": "--private"}  # fmt: skip
SWITCHES = ("CONFIRM", "ALLOW_NO_EVAL", "PRIVATE")
_NAMES = "|".join(sorted(OPTIONS, key=len, reverse=True))


class ReleaseError(RuntimeError):
    """A release cannot go on; the message says what is wrong and what to do instead."""


def via_make() -> bool:
    return os.environ.get(MAKE_ENV) == "1"


def in_cli_terms(text: str) -> str:
    """``text`` with make's names for the inputs as the command line's flags: ``VERSION=v1.0`` -> ``--version v1.0``,
    ``CONFIRM=1`` -> ``--confirm``, a bare ``OUT`` -> ``--out``. Unchanged when the Makefile ran the command."""
    if via_make():
        return text
    text = re.sub(rf"\b({'|'.join(SWITCHES)})=1\b", lambda m: OPTIONS[m.group(1)], text)
    text = re.sub(rf"\b({_NAMES})=", lambda m: OPTIONS[m.group(1)] + " ", text)
    return re.sub(rf"\b({_NAMES})\b", lambda m: OPTIONS[m.group(1)], text)
