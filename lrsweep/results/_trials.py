"""Trials of one or more studies as a pandas DataFrame: one row per trial, one column per schedule parameter."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lrsweep import _keys as keys
from lrsweep._errors import ConfigError
from lrsweep._secrets import mask
from lrsweep.sweep import default_storage, study_storage

__all__ = ["TRIAL_COLUMNS", "load_study", "objectives_of", "trials_frame"]

TRIAL_COLUMNS = [
    "study",
    "number",
    "state",
    "family",
    "label",
    "verifies",
    "metric",
    "direction",
    "objective",
    "best_epoch",
    "epochs_run",
    "duration_s",
]


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


def _label(trial: Any) -> str:
    """Where the trial came from: the label its config gave (a tutorial setting), else verification (a search
    trial's configuration re-run with a fresh seed), enqueued or sampled."""
    label = trial.user_attrs.get(keys.TRIAL_LABEL)
    if label:
        return str(label)
    if keys.TRIAL_VERIFIES in trial.user_attrs:
        return "verification"
    if keys.TRIAL_CONTROL in trial.user_attrs:
        return f"control: {trial.user_attrs[keys.TRIAL_CONTROL]}"
    return "enqueued" if "fixed_params" in trial.system_attrs else "sampled"


def _row(study: Any, trial: Any, names: list[str], pareto: set[int] | None) -> dict[str, Any]:
    direction = study.directions[0].name.lower()
    curve = trial.intermediate_values  # Optuna's steps: epochs counted from 0
    best_epoch = None
    if curve:  # counted from 1, as Keras prints epochs and the figures draw them
        best_epoch = (max if direction == "maximize" else min)(curve, key=lambda epoch: curve[epoch]) + 1
    duration = None
    if trial.datetime_start and trial.datetime_complete:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    schedule = trial.user_attrs.get(keys.TRIAL_SCHEDULE) or {}
    row = {
        "study": study.study_name,
        "number": trial.number,
        "state": trial.state.name,
        "family": trial.user_attrs.get(keys.TRIAL_FAMILY) or schedule.get("family"),
        "label": _label(trial),
        "verifies": trial.user_attrs.get(keys.TRIAL_VERIFIES),
        "metric": names[0],
        "direction": direction,
        "objective": trial.values[0] if trial.values else None,
        "best_epoch": best_epoch,
        "epochs_run": len(curve),
        "duration_s": duration,
    }
    if pareto is not None:  # a multi-objective study: each objective, and whether the trial is on the front
        for index, name in enumerate(names):
            row[name] = trial.values[index] if trial.values else None
        row["pareto"] = trial.number in pareto
    for key, value in schedule.items():
        if key != "family":
            row[f"schedule.{key}"] = str(value) if isinstance(value, list | dict) else value
    return row


def trials_frame(study_names: Sequence[str], storage: str | None = None) -> pd.DataFrame:
    """Every trial of the studies, in order: :data:`TRIAL_COLUMNS` (``objective`` is the value of the study's first
    objective, named by ``metric`` and better as ``direction`` says; ``best_epoch`` counts epochs from 1;
    ``verifies``: for a verification trial, the search trial whose configuration it re-ran with a fresh seed),
    for a multi-objective study one column per objective and ``pareto`` (on the study's Pareto front), then
    ``schedule.<key>`` columns."""
    rows, leading = [], list(TRIAL_COLUMNS)
    for name in study_names:
        study = load_study(name, storage)
        names, pareto = objectives_of(study), None  # read once for all its rows
        if len(study.directions) > 1:  # its front
            pareto = {t.number for t in study.best_trials}
            leading += [c for c in [*names, "pareto"] if c not in leading]
        rows += [_row(study, trial, names, pareto) for trial in study.trials]
    frame = pd.DataFrame(rows)
    for column in leading:
        if column not in frame:
            frame[column] = pd.Series(dtype=object)
    extra = sorted(c for c in frame.columns if c not in leading)
    return frame[leading + extra]
