"""The tracker interface a trial logs through; MLflow and "none" implement it."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Metric", "Tracker"]

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
