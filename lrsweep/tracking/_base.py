"""The tracker interface a trial logs through; MLflow and "none" implement it."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optuna import Study

__all__ = ["Metric", "NullTracker", "StudyTracker", "Tracker"]

Metric = tuple[str, float, int]
"""``(key, value, step)``."""


class Tracker(abc.ABC):
    """Where a trial's params, per-step/per-epoch metrics, tags and artifacts go.

    A tracker holds at most one active run: ``start`` opens it, ``end`` closes it with a status.
    """

    run_id: str | None = None

    @abc.abstractmethod
    def start(self, *, run_name: str, params: Mapping[str, str], tags: Mapping[str, str]) -> None: ...

    @abc.abstractmethod
    def log_metrics(self, metrics: Iterable[Metric]) -> None:
        """Log many metric points at once (one request, whatever their number)."""

    @abc.abstractmethod
    def set_tags(self, tags: Mapping[str, str]) -> None: ...

    @abc.abstractmethod
    def log_text(self, text: str, path: str) -> None: ...

    @abc.abstractmethod
    def log_dict(self, data: Mapping[str, Any], path: str) -> None: ...

    @abc.abstractmethod
    def log_figure(self, figure: Any, path: str) -> None: ...

    @abc.abstractmethod
    def end(self, status: str) -> None:
        """Close the run; ``status`` is ``finished``, ``failed`` or ``killed``."""

    def check_params(self, params: Mapping[str, str]) -> None:  # noqa: B027  (optional: a no-op by default)
        """Raise a :class:`~lrsweep._errors.ConfigError` for a param this tracker would cut or refuse, before
        anything is logged."""

    def log_input(self, dataset: Mapping[str, Any]) -> None:  # noqa: B027  (optional: a no-op by default)
        """Record the run's dataset: ``name``, ``source``, ``digest`` and shapes (``TrialData.describe()``)."""

    def describe(self) -> str:
        """A line saying where the run can be seen."""
        return ""

    def study_tracker(
        self, study: Study, settings: Mapping[str, str], objectives: Sequence[str]
    ) -> StudyTracker | None:
        """The study-level side of this tracker, for a sweep whose trials track here (experiment: the study's
        name; ``settings``: params of the parent run); ``None``: the tracker keeps no study-level record."""
        return None


class NullTracker(Tracker):
    """Tracks nothing: ``tracking=none``."""

    def start(self, *, run_name: str, params: Mapping[str, str], tags: Mapping[str, str]) -> None:
        pass

    def log_metrics(self, metrics: Iterable[Metric]) -> None:
        pass

    def set_tags(self, tags: Mapping[str, str]) -> None:
        pass

    def log_text(self, text: str, path: str) -> None:
        pass

    def log_dict(self, data: Mapping[str, Any], path: str) -> None:
        pass

    def log_figure(self, figure: Any, path: str) -> None:
        pass

    def end(self, status: str) -> None:
        pass


class StudyTracker(abc.ABC):
    """A study's side of tracking, which the sweep opens and closes: one parent run per study (found again when the
    sweep resumes, not duplicated), one child run per trial.

    A child is opened (running) by :meth:`child` before the trial's job starts, filled by the job's own
    :class:`Tracker`, and closed by :meth:`finish_child` with the trial's Optuna state. Statuses are the tracker's
    words: ``finished``, ``failed``, ``killed``.
    """

    parent_run_id: str
    experiment_id: str
    tracking_uri: str

    @abc.abstractmethod
    def child(self, number: int) -> str:
        """Open trial ``number``'s run under the parent; its id."""

    @abc.abstractmethod
    def finish_child(
        self,
        run_id: str,
        state: str,
        values: Sequence[float] | None,
        reason: str | None,
        status: str | None = None,
        front_size: int | None = None,
    ) -> None:
        """Record the trial's Optuna ``state`` (its ``values`` or the ``reason`` it failed) and close its run:
        ``finished`` for COMPLETE and PRUNED, else ``failed``, or ``status``; ``front_size``: the Pareto front's
        size now, in a multi-objective study."""

    @abc.abstractmethod
    def log_best(self, number: int, value: float) -> None:
        """The study's best value so far, on the parent run, at step ``number``."""

    @abc.abstractmethod
    def log_params(self, params: Mapping[str, str]) -> None:
        """Params of the study itself (the LR range test's bounds), on the parent run."""

    @abc.abstractmethod
    def nested(self) -> Tracker:
        """A trial-level tracker whose run goes under the parent run (the study's LR range test logs through it)."""

    @abc.abstractmethod
    def finish(self, status: str) -> None:
        """Close the parent run."""

    def ui_lines(self, what: str = "the study's runs") -> list[str]:
        """The lines that tell how to see the study's runs."""
        return []
