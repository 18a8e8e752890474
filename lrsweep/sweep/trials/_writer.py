"""The one writer of a trial's records: the sweeper writes the trial's user attrs, tells its state and closes its
MLflow run (through the study's tracker); the job never writes the trial's attrs, and never opens or closes its
run.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from optuna.trial import Trial, TrialState

from lrsweep import _keys as keys
from lrsweep._internals import stored_trial, trial_id
from lrsweep.sweep.trials._outcome import Outcome, Values, combine
from lrsweep.sweep.trials._queries import best_label, standing

if TYPE_CHECKING:
    from optuna import Study

    from lrsweep.sweep.storage._retry import Retry
    from lrsweep.tracking import StudyTracker

__all__ = ["TrialRecords", "ctrl_c_waits"]

log = logging.getLogger("lrsweep.sweep")


@contextlib.contextmanager
def ctrl_c_waits() -> Iterator[None]:
    """Within, Ctrl-C (SIGINT) waits until the block is done, then acts as it would have: a trial is never left
    half-told (told in Optuna, its MLflow run still open) or, when the sweep stops, RUNNING beside trials marked
    failed. Nested blocks pass a press outwards. Outside the main thread (where Python runs signal handlers) it
    changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        if callable(previous):
            previous(signal.SIGINT, None)  # Python's default raises KeyboardInterrupt; an outer block records it
        elif previous == signal.SIG_DFL:
            raise KeyboardInterrupt


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
        the study's best so far as :func:`best_label` shows it. A Ctrl-C meanwhile waits until both are written."""
        with ctrl_c_waits():
            return self._finish(trial, run_id, outcomes)

    def _finish(
        self, trial: Trial, run_id: str | None, outcomes: Sequence[Outcome]
    ) -> tuple[TrialState, Values | None, str | None]:
        state, values, reason, attrs = combine(outcomes)
        told_values = list(values) if values is not None else None
        told = self.retry(lambda: self._tell(trial, attrs, values=told_values, state=state), "reporting a trial")
        if not told:  # another worker declared it lost meanwhile (no heartbeat for the grace period)
            state, reason = TrialState.FAIL, "its heartbeat lapsed while it ran; another worker failed it"
            log.warning("trial %d: %s, so its result is not counted", trial.number, reason)
        recorded = self.retry(lambda: stored_trial(self.study, trial_id(trial)), "reading a trial")
        stored = tuple(recorded.values) if told and recorded.values is not None else None
        top, front_size = self.retry(lambda: standing(self.study), "reading the best trials")
        if self.runs is not None and run_id is not None:
            self.runs.finish_child(run_id, state.name, stored, reason, front_size=front_size)
            if top is not None and top[0] == trial.number:
                self.runs.log_best(*top)
        return state, stored, best_label(top, front_size)

    def abandon(self, trial: Trial, run_id: str | None, reason: str, status: str = "failed") -> None:
        """Mark a trial that will not finish FAIL, so a re-run of the sweep replaces it; one this worker already
        told (the sweep stopped as it was told) is left as told. A Ctrl-C meanwhile waits until both are written."""
        try:
            with ctrl_c_waits():
                stored = stored_trial(self.study, trial_id(trial))
                if stored.state.is_finished() and stored.user_attrs.get(keys.TRIAL_TOLD_BY) == self.worker:
                    return
                self._tell(trial, {keys.TRIAL_FAIL_REASON: reason}, state=TrialState.FAIL)
                if self.runs is not None and run_id is not None:
                    self.runs.finish_child(run_id, "FAIL", None, reason, status=status)
        except Exception as error:  # e.g. the storage is down: its heartbeat stops, another worker fails it
            log.warning("could not mark trial %d failed (%s)", trial.number, str(error).splitlines()[0])

    def _tell(self, trial: Trial, attrs: Mapping[str, Any], **kwargs: Any) -> bool:
        """Set the trial's user attrs and tell its outcome; False if the trial was already finished elsewhere.

        Run again after a lost connection, it finds the trial already told (by itself) and returns True.
        """
        stored = stored_trial(self.study, trial_id(trial))
        if stored.state.is_finished():
            return bool(stored.user_attrs.get(keys.TRIAL_TOLD_BY) == self.worker)
        _set_attrs(trial, {**attrs, keys.TRIAL_TOLD_BY: self.worker})
        try:
            self.study.tell(trial, **kwargs)
        except RuntimeError as error:  # the grid sampler's "grid exhausted" study.stop() is for optimize() only
            if "Study.stop" not in str(error):
                raise
        return True


def _set_attrs(trial: Trial, attrs: Mapping[str, Any]) -> None:
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
