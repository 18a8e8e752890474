"""How a trial's jobs ended, and the one writer of its records: the sweeper tells Optuna and closes the MLflow run.

A sweep's job (one seed of one trial) trains and reports its epochs for pruning; it returns a :class:`JobReport`
(or raises, carrying what it measured), which the slot turns into an :class:`Outcome`. The sweep then writes the
trial's user attrs and tells its state through :class:`TrialRecords`: the job never writes the trial's attrs,
and never opens or closes its MLflow run.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, Trial, TrialState

from lrsweep import _records as keys
from lrsweep._errors import LRSweepError, TrialPrunedError
from lrsweep.sweep._job import JobReport, carried_record

if TYPE_CHECKING:
    from hydra.core.utils import JobReturn
    from optuna import Study

    from lrsweep.sweep._retry import Retry
    from lrsweep.tracking import StudyTracker

__all__ = [
    "Outcome",
    "TrialRecords",
    "Values",
    "best",
    "best_label",
    "close_stale_run",
    "counts",
    "front",
    "outcome_of",
    "standing",
]

log = logging.getLogger("lrsweep.sweep")
_DONE = (TrialState.COMPLETE, TrialState.PRUNED)


Values = tuple[float, ...]
"""A trial's objectives: one value, or one per objective of a multi-objective study."""


@dataclass(frozen=True)
class Outcome:
    """What one job gave: the Optuna state it means, the objectives, the failure reason, what it measured."""

    state: TrialState
    values: Values | None = None
    reason: str | None = None
    record: Mapping[str, Any] = field(default_factory=dict)


def _numbers(raw: Any) -> Values | str:
    """The job's return value as finite numbers, or why it is not."""
    try:
        values = tuple(float(v) for v in raw) if isinstance(raw, list | tuple) else (float(raw),)
    except (TypeError, ValueError):
        return f"the job returned {raw!r}, not a number"
    bad = [v for v in values if not math.isfinite(v)]
    return f"the objective is {bad[0]}" if bad else values


def outcome_of(result: JobReturn) -> Outcome:
    """The outcome of a finished Hydra job."""
    from hydra.core.utils import JobStatus

    if result.status == JobStatus.COMPLETED:
        returned = result.return_value
        record = returned.record if isinstance(returned, JobReport) else {}
        values = _numbers(returned.value if isinstance(returned, JobReport) else returned)
        if isinstance(values, str):
            return Outcome(TrialState.FAIL, reason=values, record=record)
        return Outcome(TrialState.COMPLETE, values, record=record)
    error = result._return_value
    record = carried_record(error)
    if isinstance(error, TrialPrunedError):
        return Outcome(TrialState.PRUNED, (error.value,), record=record)
    reason = str(error) if isinstance(error, LRSweepError) else f"{type(error).__name__}: {error}"
    return Outcome(TrialState.FAIL, reason=reason, record=record)


def _attrs_of(outcomes: Sequence[Outcome]) -> tuple[TrialState, Values | None, str | None, dict[str, Any]]:
    """The trial's state, values (each the mean over seeds), reason and user attrs from its jobs' outcomes."""
    last = outcomes[-1]
    attrs: dict[str, Any] = dict(outcomes[0].record)  # the first seed is the one that reports to the trial
    values = None
    if last.state == TrialState.COMPLETE:
        seeds = [o.values for o in outcomes if o.values is not None]
        values = tuple(statistics.fmean(column) for column in zip(*seeds, strict=True))
        if len(seeds) > 1:
            spread = [statistics.stdev(column) for column in zip(*seeds, strict=True)]
            single = len(values) == 1
            attrs[keys.TRIAL_VALUES] = [s[0] for s in seeds] if single else [list(s) for s in seeds]
            attrs[keys.TRIAL_STD] = spread[0] if single else spread
    if last.reason is not None:
        attrs[keys.TRIAL_FAIL_REASON] = last.reason
    return last.state, values, last.reason, attrs


def counts(study: Study, verifying: bool = False) -> tuple[int, int]:
    """(COMPLETE + PRUNED trials, RUNNING trials) of the study's search (or, ``verifying``, of its verification
    and control trials), read from its storage now."""
    trials = [
        t
        for t in study.get_trials(deepcopy=False, states=(*_DONE, TrialState.RUNNING))
        if (keys.TRIAL_SEED in t.user_attrs) == verifying  # verification and control trials carry their seed
    ]
    running = sum(t.state == TrialState.RUNNING for t in trials)
    return len(trials) - running, running


def best(study: Study) -> tuple[int, float] | None:
    """(number, value) of the study's best search trial so far (a verification trial's lucky seed is not a search
    result); ``None`` before one, and in a multi-objective study."""
    if len(study.directions) > 1:
        return None
    complete = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None and keys.TRIAL_SEED not in t.user_attrs
    ]
    if not complete:
        return None
    pick = max if study.direction == StudyDirection.MAXIMIZE else min
    trial = pick(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]
    return trial.number, float(trial.value)  # type: ignore[arg-type]


def front(study: Study) -> list[FrozenTrial]:
    """The study's best trials: its Pareto front (the best trial, in a single-objective study), by number."""
    return sorted(study.best_trials, key=lambda trial: trial.number)


def standing(study: Study) -> tuple[tuple[int, float] | None, int | None]:
    """Where the study stands now, read once: its best trial (:func:`best`), or, in a multi-objective study, the
    size of its Pareto front."""
    if len(study.directions) > 1:
        return None, len(study.best_trials)
    return best(study), None


def best_label(top: tuple[int, float] | None, front_size: int | None) -> str | None:
    """The best so far as the progress line shows it: ``0.8512 (#3)``, or ``front of 4`` (multi-objective)."""
    if front_size is not None:
        return f"front of {front_size}" if front_size else None
    return None if top is None else f"{top[1]:.4f} (#{top[0]})"


@dataclass(frozen=True)
class TrialRecords:
    """The sweeper's writes to a trial: its user attrs, its told state, its MLflow run's tags and status."""

    study: Study
    runs: StudyTracker | None
    retry: Retry
    worker: str

    def start(self, trial: Trial, attrs: Mapping[str, Any]) -> str | None:
        """Record what the trial runs (and by whom); open its MLflow run. Returns the run's id."""
        attrs = {**attrs, keys.TRIAL_WORKER: self.worker}
        run_id = None
        if self.runs is not None:
            runs = self.runs
            run_id = self.retry(lambda: runs.child(trial.number), "opening the trial's MLflow run")
            attrs[keys.TRIAL_RUN] = run_id
        self.retry(lambda: _set_attrs(trial, attrs), "recording a trial")
        return run_id

    def finish(
        self, trial: Trial, run_id: str | None, outcomes: Sequence[Outcome]
    ) -> tuple[TrialState, Values | None, str | None]:
        """Tell Optuna how the trial ended and close its MLflow run; the state as told, the values as stored, and
        the study's best so far as :func:`best_label` shows it."""
        state, values, reason, attrs = _attrs_of(outcomes)
        told_values = list(values) if values is not None else None
        told = self.retry(lambda: self._tell(trial, attrs, values=told_values, state=state), "reporting a trial")
        if not told:  # another worker declared it lost meanwhile (no heartbeat for the grace period)
            state, reason = TrialState.FAIL, "its heartbeat lapsed while it ran; another worker failed it"
            log.warning("trial %d: %s, so its result is not counted", trial.number, reason)
        recorded = self.retry(lambda: self.study._storage.get_trial(trial._trial_id), "reading a trial")
        stored = tuple(recorded.values) if told and recorded.values is not None else None
        top, front_size = self.retry(lambda: standing(self.study), "reading the best trials")
        if self.runs is not None and run_id is not None:
            self.runs.finish_child(run_id, state.name, stored, reason, front_size=front_size)
            if top is not None and top[0] == trial.number:
                self.runs.log_best(*top)
        return state, stored, best_label(top, front_size)

    def abandon(self, trial: Trial, run_id: str | None, reason: str, status: str = "failed") -> None:
        """Mark a trial that will not finish FAIL, so a re-run of the sweep replaces it."""
        try:
            self._tell(trial, {keys.TRIAL_FAIL_REASON: reason}, state=TrialState.FAIL)
            if self.runs is not None and run_id is not None:
                self.runs.finish_child(run_id, "FAIL", None, reason, status=status)
        except Exception as error:  # e.g. the storage is down: its heartbeat stops, another worker fails it
            log.warning("could not mark trial %d failed (%s)", trial.number, str(error).splitlines()[0])

    def _tell(self, trial: Trial, attrs: Mapping[str, Any], **kwargs: Any) -> bool:
        """Set the trial's user attrs and tell its outcome; False if the trial was already finished elsewhere.

        Run again after a lost connection, it finds the trial already told (by itself) and returns True.
        """
        stored = self.study._storage.get_trial(trial._trial_id)
        if stored.state.is_finished():
            return bool(stored.user_attrs.get(keys.TRIAL_TOLD_BY) == self.worker)
        _set_attrs(trial, {**attrs, keys.TRIAL_TOLD_BY: self.worker})
        try:
            self.study.tell(trial, **kwargs)
        except RuntimeError as error:  # the grid sampler's "grid exhausted" study.stop() is for optimize() only
            if "Study.stop" not in str(error):
                raise
        return True


def close_stale_run(runs: StudyTracker | None, trial: FrozenTrial, reason: str) -> None:
    """Close the MLflow run of a trial whose worker died (the heartbeat-stale callback's part)."""
    run_id = trial.user_attrs.get(keys.TRIAL_RUN)
    if runs is None or run_id is None:
        return
    try:
        runs.finish_child(run_id, "FAIL", None, reason)
    except Exception as error:  # MLflow unreachable: the retry matters more
        log.warning("could not close the MLflow run of trial %d: %s", trial.number, error)


def _set_attrs(trial: Trial, attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
