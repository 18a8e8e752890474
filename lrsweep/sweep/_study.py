"""Optuna studies on any storage URL, and the trial a job reattaches to."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import optuna

__all__ = ["default_storage", "load_trial", "make_storage", "open_study"]

log = logging.getLogger(__name__)

# SQLite serialises writers; wait for the lock instead of failing with "database is locked".
_SQLITE_TIMEOUT_S = 120


def default_storage() -> str:
    """The embedded default: ``lrsweep.db`` (SQLite) in the working directory."""
    return f"sqlite:///{Path.cwd() / 'lrsweep.db'}"


def make_storage(url: str | None) -> Any:
    """An Optuna storage for a URL (``sqlite:///…``, ``postgresql://…``, ``mysql+pymysql://…``).

    One storage object per URL and process, so the trials a sweep runs in its own process share one
    connection pool instead of opening one per trial.
    """
    return _storage(url or default_storage())


@functools.lru_cache(maxsize=8)
def _storage(url: str) -> Any:
    if url.startswith("sqlite"):
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": _SQLITE_TIMEOUT_S}})
    return optuna.storages.RDBStorage(url, engine_kwargs={"pool_pre_ping": True})


def open_study(name: str, storage: str | None, *, direction: str, sampler: Any = None, pruner: Any = None) -> Any:
    """Create the study or load it if it exists (a re-run resumes it)."""
    return optuna.create_study(
        study_name=name,
        storage=make_storage(storage),
        direction=direction,  # type: ignore[arg-type]
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )


def load_trial(study_name: str, storage: str | None, trial_number: int, pruner: Any = None) -> Any:
    """The running trial ``trial_number`` of a study, attached through the storage (works in any process)."""
    study = optuna.load_study(study_name=study_name, storage=make_storage(storage), pruner=pruner)
    trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, trial_number)
    return optuna.trial.Trial(study, trial_id)
