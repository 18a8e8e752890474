"""How a trial compiles its model and what it returns: ``trainer.loss``, ``trainer.metrics``, ``trainer.objective``
and the objective's direction.

The loss and each metric are a Keras name (``"mse"``, ``"accuracy"``) or a node with ``_target_``
(``{_target_: keras.metrics.AUC, name: auc}``). The objective is any key ``model.fit`` logs: ``loss``, a metric's
name, or either with ``val_`` in front. Its direction is ``trainer.direction`` when set, else known from its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lrsweep import _keys as keys
from lrsweep._errors import ConfigError
from lrsweep._plain import plain

__all__ = [
    "LOSS",
    "MEASURED",
    "METRICS",
    "check_objective",
    "compile_arguments",
    "logged_keys",
    "objective_direction",
    "objective_names",
    "setup_record",
    "trainer_direction",
    "trainer_directions",
]

LOSS = "sparse_categorical_crossentropy"
"""The default loss: integer class labels, softmax outputs (the tutorial's)."""

METRICS = ("accuracy",)
"""The default metrics, besides the loss."""

# Words in a metric's name that say which way is better (Keras' metric names and their short forms).
_MAXIMIZE = ("accuracy", "acc", "auc", "precision", "recall", "f1_score", "fbeta_score", "r2_score", "iou")
_MINIMIZE = ("loss", "error", "mae", "mse", "rmse", "mape", "msle", "crossentropy", "hinge", "divergence", "poisson")
_DIRECTIONS = ("maximize", "minimize")


def _build(node: Any, field: str, instantiate: Callable[..., Any] | None) -> Any:
    node = plain(node)
    if isinstance(node, str):
        return node
    if isinstance(node, Mapping) and "_target_" in node:
        if instantiate is None:
            from hydra.utils import instantiate as hydra_instantiate

            return hydra_instantiate(node)
        return instantiate(node, field)
    raise ConfigError(field, node, "a Keras name (e.g. 'mse') or a node with _target_")


def compile_arguments(trainer: Any, instantiate: Callable[..., Any] | None = None) -> dict[str, Any]:
    """``model.compile``'s ``loss`` and ``metrics`` from the ``trainer`` config."""
    loss = _build(trainer.get("loss", LOSS), "trainer.loss", instantiate)
    metrics = [_build(m, "trainer.metrics", instantiate) for m in plain(trainer.get("metrics", list(METRICS)))]
    return {"loss": loss, "metrics": metrics}


def _metric_name(metric: Any) -> str:
    if isinstance(metric, str):
        return metric
    return re.sub(r"_\d+$", "", str(getattr(metric, "name", type(metric).__name__)))  # auc_1: a second AUC()


def logged_keys(metrics: Sequence[Any], validation: bool = True) -> list[str]:
    """The keys ``model.fit`` logs for these compiled metrics: ``loss`` and each metric, and their ``val_``."""
    keys = ["loss", *(_metric_name(m) for m in metrics)]
    return keys + [f"val_{k}" for k in keys] if validation else keys


MEASURED = {"fit_seconds": "minimize", "steps": "minimize"}
"""Objectives a trial measures itself, besides what Keras logs: the wall time of ``model.fit`` and the optimizer
steps it ran (as objectives of a multi-objective study: ``trainer.objective=[val_accuracy,fit_seconds]``)."""


def objective_names(trainer: Any) -> list[str]:
    """``trainer.objective`` as a list: one name, or several for a multi-objective study."""
    value = plain(trainer.objective)
    names = [value] if isinstance(value, str) else value
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)) or len(set(names)) < len(
        names
    ):
        raise ConfigError("trainer.objective", value, "a key the run logs, or a list of distinct keys")
    return names


def check_objective(trainer: Any, instantiate: Callable[..., Any] | None = None) -> None:
    """A :class:`ConfigError` for an objective the run will not log, or a direction that is neither way."""
    keys = logged_keys(compile_arguments(trainer, instantiate)["metrics"])
    for objective in objective_names(trainer):
        if objective not in keys and objective not in MEASURED:
            allowed = [*keys, *MEASURED]
            raise ConfigError("trainer.objective", objective, f"a key the run logs or measures: one of {allowed}")
    _given_directions(trainer)


def _given_directions(trainer: Any) -> list[str | None]:
    """``trainer.direction`` as one entry per objective (null: from the objective), checked."""
    names, direction = objective_names(trainer), plain(trainer.get("direction"))
    given = direction if isinstance(direction, list) else [direction] * len(names)
    if len(given) != len(names) or (isinstance(direction, str) and len(names) > 1):
        raise ConfigError("trainer.direction", direction, f"a list of {len(names)} directions, one per objective")
    for entry in given:
        if entry is not None and entry not in _DIRECTIONS:
            raise ConfigError("trainer.direction", direction, f"null or one of {list(_DIRECTIONS)}")
    return given


def trainer_directions(trainer: Any, instantiate: Callable[..., Any] | None = None) -> list[str]:
    """The direction of each of ``trainer.objective``: ``trainer.direction`` when set, else from the objective's
    name or, for a metric object named otherwise (``{_target_: keras.metrics.AUC, name: roc}``), its class."""
    return [
        given or _direction_of(name, trainer, instantiate)
        for name, given in zip(objective_names(trainer), _given_directions(trainer), strict=True)
    ]


def trainer_direction(trainer: Any, instantiate: Callable[..., Any] | None = None) -> str:
    """The direction of a single ``trainer.objective`` (the first, for several)."""
    return trainer_directions(trainer, instantiate)[0]


def _direction_of(objective: str, trainer: Any, instantiate: Callable[..., Any] | None) -> str:
    if objective in MEASURED:
        return MEASURED[objective]
    name = objective.removeprefix("val_")
    metrics = compile_arguments(trainer, instantiate)["metrics"]
    classes = [snake_case(type(m).__name__) for m in metrics if not isinstance(m, str) and _metric_name(m) == name]
    for hint in [objective, *classes]:
        try:
            return objective_direction(hint)
        except ConfigError:
            continue
    return objective_direction(objective)  # raises, naming the objective


def snake_case(name: str) -> str:
    """A Keras class name in snake case: ``SparseCategoricalCrossentropy`` → ``sparse_categorical_crossentropy``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def objective_direction(objective: str, direction: str | None = None) -> str:
    """``maximize`` or ``minimize``: ``direction`` when given, else from the objective's name (``val_auc`` →
    maximize, ``val_mae`` → minimize); a :class:`ConfigError` asking for ``trainer.direction`` otherwise."""
    if direction is not None:
        if direction not in _DIRECTIONS:
            raise ConfigError("trainer.direction", direction, f"null or one of {list(_DIRECTIONS)}")
        return direction
    name = objective.lower().removeprefix("val_")
    words = set(re.split(r"[^a-z0-9]+", name))
    if any(w in words or name.endswith(w) for w in _MINIMIZE):
        return "minimize"
    if any(w in words or name.endswith(w) for w in _MAXIMIZE):
        return "maximize"
    raise ConfigError(
        "trainer.direction", None, f"set to maximize or minimize: lrsweep cannot tell which is better for {objective}"
    )


def setup_record(config: Any) -> dict[str, Any]:
    """How a composed config compiles and fits its model, as a trial's record keeps it for ``lrsweep export``:
    under :data:`~lrsweep._keys.TRIAL_JOB`, the groups' chosen options (where Hydra composed the config) and
    their resolved values, from which the export writes an experiment that retrains the trial."""
    record = {keys.TRIAL_SCHEDULE: plain(config.schedule), keys.TRIAL_FAMILY: str(config.schedule.family)}
    if config.get("label"):
        record[keys.TRIAL_LABEL] = str(config.label)
    choices = config.get("hydra", {}).get("runtime", {}).get("choices", {})
    record[keys.TRIAL_JOB] = {
        "choices": {group: choices[group] for group in keys.JOB_GROUPS if choices.get(group)},
        **{group: plain(config[group]) for group in keys.JOB_GROUPS},
    }
    return record
