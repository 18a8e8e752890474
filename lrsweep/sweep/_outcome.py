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

from optuna.trial import FrozenTrial, Trial, TrialState

from lrsweep import _records as keys
from lrsweep._errors import LRSweepError, TrialPrunedError
from lrsweep.sweep._job import JobReport, carried_record

if TYPE_CHECKING:
    from hydra.core.utils import JobReturn
    from optuna import Study

    from lrsweep.sweep._retry import Retry
    from lrsweep.sweep._runs import StudyRuns

__all__ = ["Outcome", "TrialRecords", "best", "close_stale_run", "counts", "outcome_of"]

log = logging.getLogger("lrsweep.sweep")
_DONE = (TrialState.COMPLETE, TrialState.PRUNED)


@dataclass(frozen=True)
class Outcome:
    """What one job gave: the Optuna state it means, the objective, the failure reason, what it measured."""

    state: TrialState
    value: float | None = None
    reason: str | None = None
    record: Mapping[str, Any] = field(default_factory=dict)


def outcome_of(result: JobReturn) -> Outcome:
    """The outcome of a finished Hydra job."""
    from hydra.core.utils import JobStatus

    if result.status == JobStatus.COMPLETED:
        returned = result.return_value
        record = returned.record if isinstance(returned, JobReport) else {}
        raw = returned.value if isinstance(returned, JobReport) else returned
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return Outcome(TrialState.FAIL, reason=f"the job returned {raw!r}, not a number", record=record)
        if not math.isfinite(value):
            return Outcome(TrialState.FAIL, reason=f"the objective is {value}", record=record)
        return Outcome(TrialState.COMPLETE, value, record=record)
    error = result._return_value
    record = carried_record(error)
    if isinstance(error, TrialPrunedError):
        return Outcome(TrialState.PRUNED, error.value, record=record)
    reason = str(error) if isinstance(error, LRSweepError) else f"{type(error).__name__}: {error}"
    return Outcome(TrialState.FAIL, reason=reason, record=record)


def _attrs_of(outcomes: Sequence[Outcome]) -> tuple[TrialState, float | None, str | None, dict[str, Any]]:
    """The trial's state, value (the mean over seeds), reason and user attrs from its jobs' outcomes."""
    last = outcomes[-1]
    attrs: dict[str, Any] = dict(outcomes[0].record)  # the first seed is the one that reports to the trial
    value = None
    if last.state == TrialState.COMPLETE:
        values = [o.value for o in outcomes if o.value is not None]
        value = statistics.fmean(values)
        if len(values) > 1:
            attrs.update({keys.TRIAL_VALUES: values, keys.TRIAL_STD: statistics.stdev(values)})
    if last.reason is not None:
        attrs[keys.TRIAL_FAIL_REASON] = last.reason
    return last.state, value, last.reason, attrs


def counts(study: Study) -> tuple[int, int]:
    """(COMPLETE + PRUNED trials, RUNNING trials) of the study, read from its storage now."""
    trials = study.get_trials(deepcopy=False, states=(*_DONE, TrialState.RUNNING))
    running = sum(t.state == TrialState.RUNNING for t in trials)
    return len(trials) - running, running


def best(study: Study) -> tuple[int, float] | None:
    """(number, value) of the study's best trial so far, or ``None``."""
    try:
        trial = study.best_trial
    except ValueError:
        return None
    return trial.number, float(trial.value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TrialRecords:
    """The sweeper's writes to a trial: its user attrs, its told state, its MLflow run's tags and status."""

    study: Study
    runs: StudyRuns | None
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

    def finish(self, trial: Trial, run_id: str | None, outcomes: Sequence[Outcome]) -> tuple[TrialState, float | None]:
        """Tell Optuna how the trial ended and close its MLflow run; the state as told, and the value."""
        state, value, reason, attrs = _attrs_of(outcomes)
        told = self.retry(lambda: self._tell(trial, attrs, values=value, state=state), "reporting a finished trial")
        if not told:  # another worker declared it lost meanwhile (no heartbeat for the grace period)
            state, reason, value = TrialState.FAIL, "its heartbeat lapsed while it ran; another worker failed it", None
            log.warning("trial %d: %s, so its result is not counted", trial.number, reason)
        recorded = self.retry(lambda: self.study._storage.get_trial(trial._trial_id), "reading a trial")
        value = recorded.value if told else None
        if self.runs is not None and run_id is not None:
            self.runs.finish_child(run_id, state.name, value, reason)
            top = self.retry(lambda: best(self.study), "reading the best trial")
            if top is not None and top[0] == trial.number:
                self.runs.log_best(*top)
        return state, value

    def abandon(self, trial: Trial, run_id: str | None, reason: str, status: str = "FAILED") -> None:
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


def close_stale_run(runs: StudyRuns | None, trial: FrozenTrial, reason: str) -> None:
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
