"""Packed slots: ``size`` trials of one program trained at once in this process, by one vmapped JAX step.

:class:`PackedSlots` is a :class:`~lrsweep.sweep.workers._executors.Slots` like the others: :meth:`submit` takes
a trial's jobs and returns a future of their outcomes. Each job becomes a member of a
:class:`~lrsweep.training.Population` (its config composed and its job side made by ``start_job``, as a job of the
in-process executor), which joins at the next epoch boundary; :meth:`flush` trains epochs until a trial ends, so
the loop hands its slot the next trial at once (no batch barrier). A job that cannot pack (a schedule without an
LR trace, a control with another optimizer) runs unpacked through ``fallback``, with one line per reason.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optuna.trial import TrialState

from lrsweep.sweep.trials._outcome import Outcome, job_outcome

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from lrsweep.sweep.workers._executors import Slots
    from lrsweep.training import MemberEnd, Population

__all__ = ["PackedJob", "PackedSlots"]

log = logging.getLogger("lrsweep.sweep")


@dataclass(frozen=True)
class PackedJob:
    """A job's side as a packed member: its config, tracker and callbacks, what it returns once finished (from
    its :class:`~lrsweep.training.TrialResult`), and how its error carries what it measured."""

    config: DictConfig
    tracker: Any
    callbacks: list[Any]
    report: Callable[[Any], Any]
    carry: Callable[[BaseException], None]


class PackedSlots:
    """``population.slots`` trials at a time in one packed trainer; jobs that cannot pack go to ``fallback``."""

    def __init__(
        self, population: Population, start_job: Callable[[list[str], int], PackedJob], fallback: Slots
    ) -> None:
        self.size = population.slots
        self.population, self.start_job, self.fallback = population, start_job, fallback
        self._pending: list[Future[list[Outcome]]] = []
        self._said: set[str] = set()

    def submit(self, jobs: Sequence[Sequence[str]], first_index: int) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        self._pending.append(future)
        self._start(future, [list(job) for job in jobs], first_index, [])
        return future

    def _start(self, future: Future[list[Outcome]], jobs: list[list[str]], first: int, done: list[Outcome]) -> None:
        """Start the trial's next job (its seeds run one after another, as elsewhere): packed, or unpacked."""
        index = first + len(done)
        try:
            job = self.start_job(jobs[len(done)], index)
        except Exception as error:
            future.set_result([*done, job_outcome(error=error)])
            return
        why = self.population.packs(job.config)
        if why is not None:
            if why not in self._said:
                self._said.add(why)
                log.info("trials that cannot pack run unpacked, one at a time: %s", why)
            future.set_result([*done, *self.fallback.submit(jobs[len(done) :], index).result()])
            return

        def ended(end: MemberEnd) -> None:
            if end.error is None:
                outcome = job_outcome(job.report(end.result))
            else:
                job.carry(end.error)
                outcome = job_outcome(error=end.error)
            outcomes = [*done, outcome]
            if outcome.state == TrialState.COMPLETE and len(outcomes) < len(jobs):
                self._start(future, jobs, first, outcomes)
            else:
                future.set_result(outcomes)

        self.population.add(job.config, job.tracker, job.callbacks, ended)

    def flush(self) -> None:
        """Train epochs until one of the trials submitted ends (none: return at once)."""
        while self.population.members and not any(f.done() for f in self._pending):
            self.population.run_epoch()
        self._pending = [f for f in self._pending if not f.done()]

    def close(self, cancel: bool = False) -> None:
        with contextlib.suppress(Exception):  # the sweep is stopping: end the members' runs as killed
            self.population.close(KeyboardInterrupt() if cancel else RuntimeError("the sweep closed"))
        self.fallback.close(cancel)
