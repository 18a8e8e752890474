"""Trials of one or more studies as a pandas DataFrame: one row per trial, one column per schedule parameter."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lrsweep import _records as keys
from lrsweep._errors import ConfigError
from lrsweep._secrets import mask
from lrsweep.sweep import default_storage, study_storage

__all__ = ["TRIAL_COLUMNS", "load_study", "objectives_of", "trials_frame"]

TRIAL_COLUMNS = ["study", "number", "state", "family", "label", "objective", "best_epoch", "epochs_run", "duration_s"]


def load_study(name: str, storage: str | None = None) -> Any:
    """The Optuna study, or a :class:`ConfigError` listing the studies the storage has."""
    import optuna

    url = storage or default_storage()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():  # not create it
        raise ConfigError("--storage", mask(url), "an existing study storage (run a sweep here, or pass its URL)")
    try:
        return optuna.load_study(study_name=name, storage=study_storage(url))
    except KeyError:
        names = optuna.get_all_study_names(study_storage(url))
        raise ConfigError("--study", name, f"one of the studies in {mask(url)}: {sorted(names)}") from None


def objectives_of(study: Any) -> list[str]:
    """The study's objective names (Optuna's metric names, set by the sweep; ``value``, ``value_1``… otherwise)."""
    names = study.metric_names
    if names is None:
        count = len(study.directions)
        return ["value"] if count == 1 else [f"value_{i}" for i in range(count)]
    return [str(name) for name in names]


def _row(study: Any, trial: Any, front: tuple[list[str], set[int]] | None) -> dict[str, Any]:
    maximize = study.directions[0].name == "MAXIMIZE"
    curve = trial.intermediate_values
    best_epoch = None
    if curve:
        best_epoch = (max if maximize else min)(curve, key=lambda epoch: curve[epoch])
    duration = None
    if trial.datetime_start and trial.datetime_complete:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    schedule = trial.user_attrs.get(keys.TRIAL_SCHEDULE) or {}
    row = {
        "study": study.study_name,
        "number": trial.number,
        "state": trial.state.name,
        "family": trial.user_attrs.get(keys.TRIAL_FAMILY) or schedule.get("family"),
        "label": trial.user_attrs.get(keys.TRIAL_LABEL),
        "objective": trial.values[0] if trial.values else None,
        "best_epoch": best_epoch,
        "epochs_run": len(curve),
        "duration_s": duration,
    }
    if front is not None:  # a multi-objective study: each objective, and whether the trial is on the front
        names, pareto = front
        for index, name in enumerate(names):
            row[name] = trial.values[index] if trial.values else None
        row["pareto"] = trial.number in pareto
    for key, value in schedule.items():
        if key != "family":
            row[f"schedule.{key}"] = str(value) if isinstance(value, list | dict) else value
    return row


def trials_frame(study_names: Sequence[str], storage: str | None = None) -> pd.DataFrame:
    """Every trial of the studies, in order: :data:`TRIAL_COLUMNS` (``objective`` is the first objective's value),
    for a multi-objective study one column per objective and ``pareto`` (on the study's Pareto front), then
    ``schedule.<key>`` columns."""
    rows, leading = [], list(TRIAL_COLUMNS)
    for name in study_names:
        study = load_study(name, storage)
        front = None
        if len(study.directions) > 1:  # its objective names and front, read once for all its rows
            front = (objectives_of(study), {t.number for t in study.best_trials})
            leading += [c for c in [*front[0], "pareto"] if c not in leading]
        rows += [_row(study, trial, front) for trial in study.trials]
    frame = pd.DataFrame(rows)
    for column in leading:
        if column not in frame:
            frame[column] = pd.Series(dtype=object)
    extra = sorted(c for c in frame.columns if c not in leading)
    return frame[leading + extra]
