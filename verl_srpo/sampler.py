"""The SRPO batch sampler: one stateful sampler over one combined math + code dataset.

It yields lists of dataset rows (``data.gen_batch_size`` each) for verl's ``StatefulDataLoader``.
One *epoch* is one pass over the current pool: the active prompts (not dropped by history
resampling) of the current stage's domains, cut to a whole number of training steps
(``data.train_batch_size`` prompts each), so no step straddles two epochs. At each epoch boundary it
applies history resampling (:mod:`verl_srpo.history`), logs what the boundary did
(:class:`~verl_srpo.history.BoundaryReport`: one INFO line, and ``srpo/boundary/*`` metrics at the
step that draws the new epoch's first batch), and builds the next order.

Every prompt is known by its stable ``extra_info.index``: internally by its *rank* among the sorted
ids. History, epoch order and cursors are kept by rank, so they do not depend on the order of the
dataset's rows (``data.train_files`` in another order, a shuffled rewrite of a parquet); the dataset
row of a rank is looked up only when a batch is yielded.

Everything that decides the future batches (seed, epoch, stage, position, order, history) is in
:meth:`state_dict`, which verl saves in each checkpoint's ``data.pt`` (the dataloader's state holds
its batch sampler's), with a fingerprint of the prompts' ids and domains. A resumed run draws exactly
the batches of the uninterrupted run; resuming on other prompts is refused, naming what changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from verl_srpo.history import BoundaryReport, Floor, Moves, PromptHistory
from verl_srpo.stages import Rows, StagePlan, floor_sizes, step_counts

logger = logging.getLogger(__name__)
logger.setLevel(os.getenv("VERL_LOGGING_LEVEL", "INFO"))  # as verl's own modules: INFO lines reach the log

STATE_VERSION = 2  # 1: by row position, without ids (refused: it cannot be checked against the data)


class SRPOBatchSampler(Sampler[list[int]]):
    """Stateful batch sampler with two stages and history resampling.

    Args:
        rows: stable ids and domains of the dataset rows (:func:`verl_srpo.stages.read_rows`).
        plan: the stages' domains and weights.
        batch_size: rows per yielded list (verl's dataloader fetch size, ``data.gen_batch_size``).
        step_batch: prompts per training step (``data.train_batch_size``); epochs are cut to a multiple.
        seed: shuffling seed (saved in the state).
        history: the HR state; ``None`` turns HR off (plain staged GRPO).
        shuffle: shuffle each epoch (verl's ``data.shuffle``); ``False`` draws in the dataset's row order,
            each epoch continuing where the previous one stopped, so the prompts past a cut are not starved.
    """

    def __init__(self, rows: Rows, plan: StagePlan, batch_size: int, step_batch: int, seed: int,
                 history: PromptHistory | None, shuffle: bool = True):
        if step_batch % batch_size:
            raise ValueError(f"data.train_batch_size={step_batch} must be a multiple of data.gen_batch_size={batch_size}.")
        self._row = np.argsort(rows.ids, kind="stable").astype(np.int32)  # rank -> dataset row
        self.ids = rows.ids[self._row]  # rank -> extra_info.index, increasing
        self.domain = rows.domain[self._row]  # rank -> domain code
        self._rank_by_row = np.empty(len(self._row), dtype=np.int32)
        self._rank_by_row[self._row] = np.arange(len(self._row))
        self.plan = plan
        self.batch_size = batch_size
        self.step_batch = step_batch
        self.seed = int(seed)
        self.history = history
        self.shuffle = shuffle
        self.stage = 1
        self._pool_size: int | None = None  # cached: it changes only at epoch boundaries
        self.epoch = 0  # epochs built so far, over the whole run
        self._stage_epochs = 0  # epochs built in the current stage
        self._order: np.ndarray | None = None  # ranks
        self._pos = 0
        self._cursor: dict[str, int] = {}  # without shuffle: the last rank each stream placed in an order
        self._carry = np.zeros(len(plan.domain_names))  # stage 2's share remainders, carried across epochs
        self._reports: list[BoundaryReport] = []  # boundaries not yet reported in a step's metrics
        self._said: dict[str, tuple] = {}  # warnings already given, with their numbers
        self._fingerprints: tuple[str, str] | None = None
        for stage in (1, 2):
            size = int(self.eligible(stage).sum())
            if size < step_batch:
                names = [plan.name(c) for c in plan.domains(stage)]
                raise ValueError(
                    f"srpo: stage {stage} draws from {names}, which have {size} training rows, fewer than one step "
                    f"(data.train_batch_size={step_batch}). Add data or lower data.train_batch_size."
                )
        if not plan.natural2:  # a weighted domain with fewer rows than its share of a step: say so at start-up
            share = np.ceil(self._weights(self.eligible(2)) * step_batch - 1e-9)  # step_counts' most a step
            for code in plan.domains(2):
                self._check_share(int(code), int(share[code]), int((self.domain == code).sum()))

    # ------------------------------------------------------------------ queries

    def eligible(self, stage: int | None = None) -> np.ndarray:
        """(N,) bool by rank: the prompts of ``stage``'s domains (default: the current stage)."""
        return np.isin(self.domain, self.plan.domains(self.stage if stage is None else stage))

    def pool_size(self) -> int:
        """Prompts the current stage can draw (O(1) but after a stage switch)."""
        if self._pool_size is None:
            eligible = self.eligible()
            self._pool_size = int((eligible & self.history.active).sum() if self.history is not None else eligible.sum())
        return self._pool_size

    def _exhausted(self) -> bool:
        return self._order is None or self._pos + self.batch_size > len(self._order)

    @property
    def epochs_done_in_stage(self) -> int:
        """Epochs of the current stage drawn to the end."""
        return self._stage_epochs if self._exhausted() else self._stage_epochs - 1

    def ranks(self, ids: np.ndarray) -> np.ndarray:
        """Ranks (n,) of stable ids (n,) (``extra_info.index``): the index into history and ``domain``. O(n log N)."""
        ids = np.asarray(ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        if not np.array_equal(self.ids[at], ids):
            unknown = ids[self.ids[at] != ids]
            raise KeyError(f"srpo: rollouts carry extra_info.index values not in the training data: {unknown[:5]}")
        return at

    def ids_of_rows(self, rows: list[int] | np.ndarray) -> np.ndarray:
        """The ``extra_info.index`` (n,) of dataset rows (n,), e.g. of a yielded batch."""
        return self.ids[self._rank_by_row[np.asarray(rows, dtype=np.int64)]]

    def pop_boundaries(self) -> list[BoundaryReport]:
        """The epoch boundaries applied since the last call (the trainer logs them with the step's metrics)."""
        reports, self._reports = self._reports, []
        return reports

    # ------------------------------------------------------------------ updates

    def record(self, ids: np.ndarray, correct: np.ndarray) -> np.ndarray:
        """Record one step's outcomes: ``ids`` (n,) stable ids, ``correct`` (n,) bool. Returns the ranks (n,)."""
        ranks = self.ranks(ids)
        if self.history is not None:
            self.history.record(ranks, correct)
        return ranks

    def enter_stage(self, stage: int) -> None:
        """Start ``stage`` now: the rest of the current epoch's order (drawn ahead) is discarded."""
        self.stage = stage
        self._pool_size = None
        self._stage_epochs = 0
        self._order = None
        self._pos = 0
        self._carry[:] = 0.0

    # ------------------------------------------------------------------ one epoch

    def _say(self, key: str, numbers: tuple, message: str, *args: object) -> None:
        """Warn once, and again only when ``numbers`` change."""
        if self._said.get(key) != numbers:
            self._said[key] = numbers
            logger.warning(message, *args)

    def _weights(self, pool: np.ndarray) -> np.ndarray:
        """Stage 2's weights (D,) over the domains present in ``pool`` (N,) bool, summing to 1."""
        present = np.bincount(self.domain[pool], minlength=len(self.plan.weights2)) > 0
        weights = self.plan.weights2 * present
        return weights / weights.sum()

    def _check_share(self, code: int, share: int, members: int) -> None:
        """A step holds ``share`` prompts of domain ``code``: with fewer ``members``, some repeat. Say so."""
        name = self.plan.name(code)
        if share <= members:
            self._said.pop(f"share:{name}", None)
            return
        self._say(
            f"share:{name}", (share, members),
            "srpo: stage 2 draws up to %d %s prompts a step (srpo.stages.stage2_weights of data.train_batch_size=%d), "
            "but only %d %s prompts can be drawn: each such step holds some %s prompts twice. Add %s data, or lower "
            "its weight or data.train_batch_size.",
            share, name, self.step_batch, members, name, name, name,
        )

    def _floors(self, eligible: np.ndarray) -> list[Floor] | None:
        """HR's floors: with stage-2 weights, each weighted domain keeps its share of the pool floor
        (:func:`verl_srpo.stages.floor_sizes`: a domain with fewer rows than its share hands the rest to the
        others, so the floors add up to at least one step)."""
        if self.history is None or self.stage == 1 or self.plan.natural2:
            return None  # one floor over the stage's pool: history.min_pool_size
        total = self.history.min_pool_size
        codes = self.plan.domains(2)
        rows = [eligible & (self.domain == code) for code in codes]
        counts = [int(r.sum()) for r in rows]
        weights = self.plan.weights2[codes]
        sizes = floor_sizes(weights, counts, total)
        short = [self.plan.name(c) for c, w, n in zip(codes, weights, counts) if w / weights.sum() * total > n]
        floors = []
        for code, weight, r, n, size in zip(codes, weights, rows, counts, sizes):
            why = (f"its stage2_weights share {float(weight):.3g} of the pool floor {total}, which is "
                   "srpo.history.min_pool_size and at least data.train_batch_size")
            if self.plan.name(code) in short:
                why = f"all its {n} rows, fewer than {why}"
            elif short:
                why += f", plus what the {' and '.join(short)} pool cannot hold"
            floors.append(Floor(f"the {self.plan.name(code)} pool", r, int(size), why))
        return floors

    def _boundary(self, eligible: np.ndarray, rng: np.random.Generator) -> None:
        moves: Moves = self.history.boundary(eligible, rng, self._floors(eligible))
        codes = self.plan.domains(self.stage)
        size = len(self.plan.domain_names)

        def per(ranks: np.ndarray) -> np.ndarray:  # (D,) counts of the stage's domains
            return np.bincount(self.domain[ranks], minlength=size)[codes]

        pool = per(eligible & self.history.active)  # boolean masks index like their rows
        rows = per(eligible)
        names = [self.plan.name(c) for c in codes]
        exhausted = [n for n, p, r in zip(names, pool, rows) if p == 0 and r > 0]
        report = BoundaryReport(self.epoch + 1, self.stage, names, per(moves.dropped), per(moves.readmitted),
                                per(moves.held_back), pool, exhausted)
        logger.info(report.summary())
        self._reports.append(report)
        if exhausted:
            self._say(
                f"exhausted:{self.stage}", tuple(exhausted),
                "srpo: %s exhausted at the epoch %d boundary: every prompt solved and dropped by history resampling. "
                "Stage %d now draws only %s. To keep a domain in the mix, give it a weight in "
                "srpo.stages.stage2_weights (each weighted domain keeps a floor), or bring solved prompts back "
                "with srpo.history.readmit_fraction > 0.",
                " and ".join(exhausted) + (" is" if len(exhausted) == 1 else " are"), report.epoch, self.stage,
                [n for n, p in zip(names, pool) if p > 0],
            )

    def _canonical(self, mask: np.ndarray) -> np.ndarray:
        """Ranks of ``mask`` (N,) bool in draw order before mixing: id order, or the row order without shuffle."""
        return np.flatnonzero(mask) if self.shuffle else self._rank_by_row[mask[self._rank_by_row]]

    def _stream(self, key: str, members: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
        """``length`` draws from ``members`` (k,) ranks, cycling over one pass: shuffled, or in row order from
        just after the last rank this stream placed (so a stream never repeats a prompt within k draws)."""
        if self.shuffle:
            members = rng.permutation(members)
        elif key in self._cursor and len(members):
            last_row = self._row[self._cursor[key]]
            start = int(np.searchsorted(self._row[members], last_row, side="right")) % len(members)
            members = np.roll(members, -start)
        out = members[:length] if length <= len(members) else np.resize(members, length)  # resize: cycles
        if not self.shuffle and length:
            self._cursor[key] = int(out[-1])
        return out

    def _arrange(self, pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One epoch's order (ranks) over ``pool`` (N,) bool, cut to whole steps.

        Unweighted (stage 1, or stage 2 in natural proportions): one pass over the pool. Weighted: each
        step holds each domain's share of the step (:func:`verl_srpo.stages.step_counts`, its remainders
        carried from epoch to epoch, so a share under one prompt a step is still drawn), from that domain's
        cycling stream; a domain with fewer prompts than a step's share repeats within the epoch
        (across steps), and within a step only when its pool is smaller than its share (then it says so).
        """
        steps = int(pool.sum()) // self.step_batch
        if self.stage == 1 or self.plan.natural2:
            return self._stream(f"stage {self.stage}", self._canonical(pool), steps * self.step_batch, rng)
        weights = self._weights(pool)
        codes = np.flatnonzero(weights)
        counts, self._carry[codes] = step_counts(weights[codes], self.step_batch, steps, self._carry[codes])
        labels = np.repeat(np.tile(np.arange(len(codes)), steps), counts.ravel())
        order = np.empty(steps * self.step_batch, dtype=np.int64)
        for j, code in enumerate(codes):
            members = self._canonical(pool & (self.domain == code))
            slots = labels == j
            order[slots] = self._stream(f"stage 2 {self.plan.name(code)}", members, int(slots.sum()), rng)
            self._check_share(int(code), int(counts[:, j].max(initial=0)), len(members))
        if self.shuffle:
            order = rng.permuted(order.reshape(steps, self.step_batch), axis=1).ravel()
        return order

    def _new_epoch(self) -> None:
        rng = np.random.default_rng([self.seed, self.epoch])
        eligible = self.eligible()
        if self.history is not None:
            self._boundary(eligible, rng)
            eligible &= self.history.active
        self._pool_size = int(eligible.sum())
        if self._pool_size < self.step_batch:
            raise RuntimeError(
                f"srpo: stage {self.stage}'s pool has {self._pool_size} prompts to draw, fewer than one step "
                f"(data.train_batch_size={self.step_batch}). Raise srpo.history.min_pool_size or add data."
            )
        self._order = self._arrange(eligible, rng).astype(np.int32)
        self._pos = 0
        self.epoch += 1
        self._stage_epochs += 1

    # ------------------------------------------------------------------ Sampler protocol

    def __iter__(self) -> Iterator[list[int]]:
        # Reads the live state at every batch: a stage switch (order discarded) ends this pass, and
        # verl's dataloader then starts a new one, which builds the stage-2 epoch.
        if self._exhausted():
            self._new_epoch()
        while not self._exhausted():
            batch = self._row[self._order[self._pos : self._pos + self.batch_size]].tolist()
            self._pos += self.batch_size
            yield batch

    def __len__(self) -> int:
        size = len(self._order) if self._order is not None else self.pool_size() // self.step_batch * self.step_batch
        return size // self.batch_size

    # ------------------------------------------------------------------ checkpoint state

    def fingerprints(self) -> tuple[str, str]:
        """``(data, row order)``: sha256 of the sorted ids with each one's domain name, and of the ids in row order."""
        if self._fingerprints is None:
            names = "\n".join(self.plan.domain_names).encode()
            data = hashlib.sha256(self.ids.tobytes() + self.domain.astype(np.int8).tobytes() + names).hexdigest()
            rows = hashlib.sha256(self.ids[self._rank_by_row].tobytes()).hexdigest()
            self._fingerprints = (data, rows)
        return self._fingerprints

    def state_dict(self) -> dict:
        data, rows = self.fingerprints()
        return {
            "version": STATE_VERSION,
            "num_prompts": len(self.ids),
            "data_fingerprint": data,
            "row_order_fingerprint": rows,
            "ids": self.ids.copy(),
            "domain": self.domain.copy(),
            "domain_names": list(self.plan.domain_names),
            "seed": self.seed,
            "stage": self.stage,
            "epoch": self.epoch,
            "stage_epochs": self._stage_epochs,
            "pos": self._pos,
            "step_batch": self.step_batch,
            "order": None if self._order is None else self._order.astype(np.int32),
            "cursor": dict(self._cursor),
            "carry": self._carry.copy(),
            "history": None if self.history is None else self.history.state_dict(),
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a checkpoint's state; refuse one saved over other prompts, naming what changed."""
        version = state.get("version")
        if version != STATE_VERSION:
            raise ValueError(
                f"srpo: the checkpoint's sampler state is version {version}; this verl-srpo reads version "
                f"{STATE_VERSION}. Version 1 kept history and epoch order by row position without the prompts' "
                "extra_info.index, so it cannot be checked against this run's data (rows in another order would "
                "silently bind to other prompts). Resume with the verl-srpo that wrote the checkpoint, or start a "
                "new run (trainer.resume_mode=disable)."
            )
        data, rows = self.fingerprints()
        if state["data_fingerprint"] != data:
            raise ValueError(what_changed(state, self.ids, self.domain, self.plan.domain_names))
        if (state["history"] is None) != (self.history is None):
            raise ValueError("srpo: srpo.history.enable differs from the checkpoint's run; keep it as it was.")
        self.seed, self.stage, self.epoch = int(state["seed"]), int(state["stage"]), int(state["epoch"])
        self._stage_epochs, self._pos = int(state["stage_epochs"]), int(state["pos"])
        self._order = None if state["order"] is None else np.asarray(state["order"], dtype=np.int64).copy()
        self._cursor = {str(k): int(v) for k, v in state["cursor"].items()}
        self._carry = np.asarray(state["carry"], dtype=np.float64).copy()
        self._pool_size = None
        if self.history is not None:
            self.history.load_state_dict(state["history"])
        if state["row_order_fingerprint"] != rows:
            logger.info(
                "srpo: the training rows come in another order than in the checkpoint's run (data.train_files order, "
                "or a rewritten file); the sampler state is kept by extra_info.index, so each prompt keeps its "
                "history and place.%s",
                " With data.shuffle=false the next epochs follow the new row order." if not self.shuffle else "",
            )
        if int(state["step_batch"]) != self.step_batch:
            self._resize_epoch(int(state["step_batch"]))

    def _resize_epoch(self, saved: int) -> None:
        """A new ``data.train_batch_size`` on resume: cut the rest of the current epoch to whole new steps."""
        new = self.step_batch
        if self._order is None or self._pos >= len(self._order):
            logger.warning(
                "srpo: data.train_batch_size is %d, the checkpoint's run had %d. The checkpoint is at the end of "
                "epoch %d, so the new size applies from the next epoch.", new, saved, self.epoch,
            )
            return
        left = len(self._order) - self._pos
        keep = left // new * new
        self._order = self._order[: self._pos + keep]
        logger.warning(
            "srpo: data.train_batch_size is %d, the checkpoint's run had %d, and the checkpoint is %d prompts into "
            "epoch %d with %d left. No step may straddle two epochs: the rest of epoch %d is cut to %d step(s) of %d, "
            "the other %d prompts stay in the pool for epoch %d, and every later epoch is cut to whole steps of %d. "
            "To keep the old schedule, resume with data.train_batch_size=%d.",
            new, saved, self._pos, self.epoch, left, self.epoch, keep // new, new, left - keep, self.epoch + 1, new,
            saved,
        )


def what_changed(state: dict, ids: np.ndarray, domain: np.ndarray, names: list[str]) -> str:
    """The refusal message for a checkpoint whose prompts (ids, domains) are not this run's."""
    saved_ids = np.asarray(state["ids"], dtype=np.int64)
    gone, new = np.setdiff1d(saved_ids, ids), np.setdiff1d(ids, saved_ids)
    parts = []
    if len(gone):
        parts.append(f"{len(gone)} of its prompts are not in this run's data (extra_info.index "
                     f"{gone[:5].tolist()}{' ...' if len(gone) > 5 else ''})")
    if len(new):
        parts.append(f"{len(new)} of this run's prompts are not in it ({new[:5].tolist()}"
                     f"{' ...' if len(new) > 5 else ''})")
    if not parts:
        saved_names = list(state["domain_names"])
        before = np.array(saved_names, dtype=object)[np.asarray(state["domain"], dtype=np.int64)]
        now = np.array(names, dtype=object)[domain.astype(np.int64)]
        moved = np.flatnonzero(before != now)
        examples = ", ".join(f"{ids[i]}: {before[i]} -> {now[i]}" for i in moved[:5])
        parts.append(f"{len(moved)} prompts changed domain ({examples})")
    counts = f"{len(saved_ids)} prompts then, {len(ids)} now"
    return (
        f"srpo: the checkpoint's sampler state was saved over other training prompts ({counts}): {'; '.join(parts)}. "
        "Its history and epoch order are kept by extra_info.index and domain, so they cannot be applied to this "
        "data. Resume with the checkpoint's training data (rows and train_files may come in any order), or start "
        "a new run (trainer.resume_mode=disable)."
    )
