"""Per-prompt outcome history for SRPO's History Resampling (``docs/SRPO.md``, "History Resampling (HR)").

HR records how each prompt's last group of rollouts went and, at every epoch boundary, takes the
prompts whose last group was *all correct* out of the pool. Mixed and all-wrong prompts stay: the
all-wrong ones may become solvable later, which acts as a curriculum. Outcomes are judged on
*accuracy* (the reward function's ``acc``), never on the shaped score, so an all-wrong group that
earned format bonuses still counts as all wrong.

Storage is two ``int8``/``bool`` arrays over the prompts (2 bytes a prompt), indexed as the sampler
indexes them: by the rank of the prompt's stable ``extra_info.index``, so the state does not depend on
the order of the dataset's rows. Recording a step is O(batch); an epoch boundary is O(N) in vectorised
numpy. :class:`BoundaryReport` is what the sampler logs of each boundary.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)
logger.setLevel(os.getenv("VERL_LOGGING_LEVEL", "INFO"))  # as verl's own modules: INFO lines reach the log

UNSEEN, ALL_WRONG, MIXED, ALL_CORRECT = 0, 1, 2, 3


def group_outcomes(positions: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome of each prompt's group.

    Args:
        positions: (n,) int, the dataset row of each response.
        correct: (n,) bool, whether each response is correct.

    Returns:
        ``(prompts (g,), outcome (g,) int8)``: the distinct rows and their ALL_WRONG / MIXED / ALL_CORRECT.
        Responses to the same row are one group, even if the row was drawn twice in the step.
    """
    prompts, inverse = np.unique(np.asarray(positions), return_inverse=True)
    total = np.bincount(inverse, minlength=len(prompts))
    n_correct = np.bincount(inverse, weights=np.asarray(correct, dtype=np.float64), minlength=len(prompts))
    outcome = np.where(n_correct == 0, ALL_WRONG, np.where(n_correct == total, ALL_CORRECT, MIXED))
    return prompts, outcome.astype(np.int8)


def readmit_count(fraction: float, dropped: float, carry: float = 0.0) -> tuple[float, float]:
    """How many of ``dropped`` prompts (dropped at earlier boundaries) one epoch boundary re-admits.

    ``srpo.history.readmit_fraction`` (ours, ``docs/SRPO.md``): ``floor(carry + fraction * dropped)``, the
    fractional remainder carried to the next boundary. So over a run the re-admitted count is ``fraction`` of
    the dropped prompts at each boundary within one prompt, also when one boundary's share is under one
    (0.05 of 10: 0, then 1, ...; rounding each boundary alone re-admitted none, ever). Deterministic: the
    carry is saved in the history's state, so a resumed run re-admits as the uninterrupted one.

    Returns ``(count, carry)``; ``carry`` is in [0, 1). ``dropped`` may be an expected (fractional) count
    (``verl-srpo plan``).
    """
    owed = carry + fraction * dropped
    count = min(dropped, math.floor(owed + 1e-9))  # 1e-9: 0.1 * 10 + ... summed in floats is still 1
    return count, max(0.0, owed - count)


@dataclass
class Floor:
    """A part of the eligible rows that an epoch boundary never shrinks below ``size`` active prompts.

    ``rows`` is an (N,) bool mask; ``name`` and ``why`` go into the warning when the floor holds prompts back.
    """

    name: str
    rows: np.ndarray
    size: int
    why: str = "srpo.history.min_pool_size, at least data.train_batch_size"


@dataclass
class Moves:
    """What one epoch boundary did, as row arrays: ``dropped``, ``readmitted``, and the all-correct
    prompts ``held_back`` because a floor was reached."""

    dropped: np.ndarray
    readmitted: np.ndarray
    held_back: np.ndarray


@dataclass
class BoundaryReport:
    """What one epoch boundary did, per domain (each array is (D,), aligned with ``domains``).

    ``pool`` is the prompts the new epoch draws from, after the boundary; ``exhausted`` names the domains of
    the stage left with none (every prompt solved and dropped).
    """

    epoch: int
    stage: int
    domains: list[str]
    dropped: np.ndarray
    readmitted: np.ndarray
    held_back: np.ndarray
    pool: np.ndarray
    exhausted: list[str]

    def metrics(self) -> dict[str, float]:
        """``srpo/boundary/{dropped,readmitted,held_back,pool_size}`` in total and per domain."""
        out: dict[str, float] = {"srpo/boundary/epoch": self.epoch, "srpo/boundary/exhausted": len(self.exhausted)}
        fields = {"dropped": self.dropped, "readmitted": self.readmitted, "held_back": self.held_back,
                  "pool_size": self.pool}
        for key, values in fields.items():
            out[f"srpo/boundary/{key}"] = int(values.sum())
            for name, value in zip(self.domains, values):
                out[f"srpo/boundary/{name}/{key}"] = int(value)
        return out

    def summary(self) -> str:
        """One log line: ``srpo: epoch 3 (stage 2) boundary: dropped 5 (math 4, code 1), ...``."""

        def per(values: np.ndarray) -> str:
            parts = ", ".join(f"{n} {int(v)}" for n, v in zip(self.domains, values))
            return f"{int(values.sum())} ({parts})" if len(self.domains) > 1 else str(int(values.sum()))

        line = (f"srpo: epoch {self.epoch} (stage {self.stage}) boundary: dropped {per(self.dropped)}, "
                f"readmitted {per(self.readmitted)}, held back {per(self.held_back)}, pool {per(self.pool)}")
        return line + (f"; exhausted: {', '.join(self.exhausted)}" if self.exhausted else "")


class PromptHistory:
    """The last outcome and pool membership of every prompt.

    Args:
        num_prompts: rows in the training dataset.
        readmit_fraction: share of the dropped eligible prompts put back at each boundary (0 = gone for good;
            the count is :func:`readmit_count`'s, its remainder carried in ``readmit_carry``).
        min_pool_size: an epoch boundary never shrinks the eligible pool below this many prompts (the default
            floor; :meth:`boundary` takes per-domain floors instead).
    """

    def __init__(self, num_prompts: int, readmit_fraction: float = 0.0, min_pool_size: int = 0):
        self.outcome = np.zeros(num_prompts, dtype=np.int8)
        self.active = np.ones(num_prompts, dtype=bool)
        self.readmit_fraction = float(readmit_fraction)
        self.min_pool_size = int(min_pool_size)
        self.dropped_total = 0
        self.readmitted_total = 0
        self.readmit_carry = 0.0  # the fraction of a prompt owed to the next boundary's re-admission
        self._warned: dict[str, tuple] = {}  # floor name -> the numbers last warned about

    def __len__(self) -> int:
        return len(self.outcome)

    @property
    def nbytes(self) -> int:
        return self.outcome.nbytes + self.active.nbytes

    def record(self, positions: np.ndarray, correct: np.ndarray) -> np.ndarray:
        """Store the outcome of this step's groups; returns the (g,) outcomes. O(batch)."""
        prompts, outcome = group_outcomes(positions, correct)
        self.outcome[prompts] = outcome
        return outcome

    def boundary(self, eligible: np.ndarray, rng: np.random.Generator, floors: list[Floor] | None = None) -> Moves:
        """Apply HR at an epoch boundary to the ``eligible`` (N,) bool rows (the current stage's domains).

        Drops the active eligible prompts whose last group was all correct, but never below a floor: each of
        ``floors`` (default: one floor of ``min_pool_size`` over all eligible rows) keeps at least its size of
        active prompts, dropping a random subset of its solved prompts then, with a warning that repeats only
        when its numbers change. Then re-admits :func:`readmit_count` of the previously dropped eligible
        prompts (``readmit_fraction`` of them, the remainder carried), at random, with their history
        cleared. O(N).
        """
        if floors is None:
            floors = [Floor("the pool", eligible, self.min_pool_size)]
        previously_dropped = np.flatnonzero(eligible & ~self.active)
        dropped, held = [], []
        for floor in floors:
            pool = floor.rows & self.active
            solved = np.flatnonzero(pool & (self.outcome == ALL_CORRECT))
            room = max(0, int(pool.sum()) - floor.size)
            if len(solved) > room:
                self._warn_floor(floor, len(solved), room)
                kept = solved
                solved = np.sort(rng.choice(solved, size=room, replace=False))
                held.append(np.setdiff1d(kept, solved, assume_unique=True))
            dropped.append(solved)
        dropped_rows = np.concatenate(dropped) if dropped else np.zeros(0, dtype=np.int64)
        self.active[dropped_rows] = False
        self.dropped_total += len(dropped_rows)
        back = np.zeros(0, dtype=np.int64)
        if self.readmit_fraction > 0 and len(previously_dropped):
            readmit, self.readmit_carry = readmit_count(self.readmit_fraction, len(previously_dropped),
                                                        self.readmit_carry)
            readmit = int(readmit)
            back = np.sort(rng.choice(previously_dropped, size=readmit, replace=False))
            self.active[back] = True
            self.outcome[back] = UNSEEN
            self.readmitted_total += readmit
        held_rows = np.concatenate(held) if held else np.zeros(0, dtype=np.int64)
        return Moves(dropped_rows, back, held_rows)

    def _warn_floor(self, floor: Floor, solved: int, room: int) -> None:
        """WARNING the first time a floor holds prompts back (and when its size changes); after that each
        boundary it binds is an INFO line, and ``srpo/boundary/held_back`` counts it every epoch."""
        args = (solved, floor.name, floor.name, floor.size, floor.why, room, solved - room)
        text = ("srpo: %d prompts of %s were all correct at this epoch boundary, but %s keeps at least %d prompts "
                "(%s): dropping %d at random, holding back %d.")
        if self._warned.get(floor.name) == floor.size:
            logger.info(text, *args)
            return
        self._warned[floor.name] = floor.size
        logger.warning(text + " Later boundaries where this floor binds are logged at INFO (srpo/boundary/held_back).",
                       *args)

    def state_dict(self) -> dict:
        return {
            "outcome": self.outcome.copy(),
            "active": np.packbits(self.active),
            "dropped_total": self.dropped_total,
            "readmitted_total": self.readmitted_total,
            "readmit_carry": self.readmit_carry,
        }

    def load_state_dict(self, state: dict) -> None:
        outcome = np.asarray(state["outcome"], dtype=np.int8)
        if len(outcome) != len(self.outcome):
            raise ValueError(
                f"srpo: the checkpoint's prompt history covers {len(outcome)} prompts but the training data has "
                f"{len(self.outcome)}. Resume with the same data.train_files (and filtering) as the saved run."
            )
        self.outcome = outcome.copy()
        self.active = np.unpackbits(np.asarray(state["active"], dtype=np.uint8), count=len(outcome)).astype(bool)
        self.dropped_total = int(state["dropped_total"])
        self.readmitted_total = int(state["readmitted_total"])
        self.readmit_carry = float(state.get("readmit_carry", 0.0))  # absent from states saved before it existed
