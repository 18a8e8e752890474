"""Heartbeats for the trials a sweep runs, and what happens to a trial whose worker died.

Optuna records a trial's heartbeat only inside ``study.optimize``; lrsweep drives ``ask``/``tell`` itself, so
:class:`Heartbeats` beats for every trial this worker has running, from one thread, every
``heartbeat_interval`` seconds. When a worker is killed its beats stop; after ``grace_period`` seconds the next
worker that looks (:func:`optuna.storages.fail_stale_trials`) marks the trial FAIL and calls
:class:`RetryStaleTrial`, which closes the trial's MLflow run as failed and queues the same parameters again
(Optuna's :class:`~optuna.storages.RetryHeartbeatStaleTrialCallback`), so a live worker re-runs them.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import FrozenTrial

from lrsweep import _keys as keys

if TYPE_CHECKING:
    from optuna import Study
    from optuna.storages import RDBStorage

    from lrsweep.tracking import StudyTracker

__all__ = ["Heartbeats", "RetryStaleTrial", "fail_stale_trials"]

log = logging.getLogger("lrsweep.sweep")


class Heartbeats:
    """A daemon thread recording the heartbeat of each trial in :meth:`add` until :meth:`remove`."""

    def __init__(self, storage: RDBStorage, interval: float | None) -> None:
        self.storage, self.interval = storage, interval
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if interval is not None:
            self._thread = threading.Thread(target=self._run, name="lrsweep-heartbeat", daemon=True)
            self._thread.start()

    def add(self, trial_id: int) -> None:
        with self._lock:
            self._ids.add(trial_id)
        self._wake.set()  # the first beat now, so the trial has one before anyone can look

    def remove(self, trial_id: int) -> None:
        with self._lock:
            self._ids.discard(trial_id)

    def beat_once(self, trial_ids: list[int]) -> None:
        """Record one heartbeat for each of ``trial_ids`` (trials this worker does not run included)."""
        for trial_id in trial_ids:
            self.storage.record_heartbeat(trial_id)

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            with self._lock:
                ids = sorted(self._ids)
            try:
                self.beat_once(ids)
                if failing:
                    log.warning("heartbeats recorded again")
                failing = False
            except Exception as error:  # the storage is down: the sweep's own calls wait for it
                if not failing:
                    log.warning("could not record heartbeats (%s): retrying", str(error).splitlines()[0])
                failing = True
            self._wake.wait(self.interval)
            self._wake.clear()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class RetryStaleTrial:
    """Optuna's heartbeat-stale callback: close the dead trial's MLflow run as FAILED, then queue a retry.

    ``runs`` (the study's :class:`~lrsweep.tracking.StudyTracker`) is set once the sweep has opened its parent run.
    """

    def __init__(self, max_retry: int | None, grace_period: float) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self._retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
        self.grace_period = grace_period
        self.runs: StudyTracker | None = None

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        worker = trial.user_attrs.get(keys.TRIAL_WORKER, "its worker")
        reason = f"worker lost: no heartbeat from {worker} for {self.grace_period:.0f} s"
        log.warning("trial %d failed: %s; its parameters are queued again", trial.number, reason)
        close_stale_run(self.runs, trial, reason)
        retried = {k: v for k, v in trial.user_attrs.items() if k not in keys.TRIAL_RETRIED_WITHOUT}
        self._retry(study, _with_user_attrs(trial, retried))


def _with_user_attrs(trial: FrozenTrial, user_attrs: dict[str, Any]) -> FrozenTrial:
    import copy

    copied = copy.copy(trial)
    copied.user_attrs = user_attrs
    return copied


def fail_stale_trials(study: Study) -> None:
    """Optuna's :func:`~optuna.storages.fail_stale_trials`, without its experimental warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def close_stale_run(runs: StudyTracker | None, trial: FrozenTrial, reason: str) -> None:
    """Close the MLflow run of a trial whose worker died (the heartbeat-stale callback's part)."""
    run_id = trial.user_attrs.get(keys.TRIAL_RUN)
    if runs is None or run_id is None:
        return
    try:
        runs.finish_child(run_id, "FAIL", None, reason)
    except Exception as error:  # MLflow unreachable: the retry matters more
        log.warning("could not close the MLflow run of trial %d: %s", trial.number, error)
