"""Learning-rate schedule families: the registry, config parsing and the pure LR trace.

Example:
    >>> from lrsweep.schedules import from_config, lr_trace
    >>> params = from_config({"family": "exponential_decay", "initial_learning_rate": 0.1,
    ...                       "decay_steps": 10, "decay_rate": 0.5})
    >>> lr_trace(params, steps_per_epoch=10, epochs=2)[[0, 10, 19]].round(4).tolist()
    [0.1, 0.05, 0.0268]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from lrsweep._errors import ConfigError, TraceUnavailableError
from lrsweep._plain import plain
from lrsweep.schedules._base import (
    BuiltSchedule,
    EpochSchedule,
    MetricSchedule,
    OwnSchedule,
    ScheduleParams,
    StepSchedule,
)
from lrsweep.schedules._families import ALL

__all__ = [
    "FAMILIES",
    "BuiltSchedule",
    "EpochSchedule",
    "MetricSchedule",
    "OwnSchedule",
    "ScheduleParams",
    "StepSchedule",
    "TraceUnavailableError",
    "from_config",
    "get_family",
    "lr_trace",
]

FAMILIES: Mapping[str, type[ScheduleParams]] = MappingProxyType({cls.family_name(): cls for cls in ALL})
"""Every schedule family by name: the one registry that configs, docs and tests read."""


_OWN: Mapping[str, type[OwnSchedule]] = MappingProxyType(
    {cls.schedule_name: cls for cls in ALL if issubclass(cls, OwnSchedule)}
)
__all__ += sorted(_OWN)  # OneCycle, Cyclical, …: the registry's own schedule classes


def __getattr__(name: str) -> Any:
    # lrsweep's own Keras schedules (OneCycle, Cyclical, …) import Keras, and so a backend: made on first use only.
    if name in _OWN:
        return _OWN[name].schedule_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_family(name: str) -> type[ScheduleParams]:
    """The parameter class of a family, or :class:`ConfigError` naming the families there are."""
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ConfigError("family", name, f"one of {sorted(FAMILIES)}") from None


def from_config(config: ScheduleParams | Mapping[str, Any]) -> ScheduleParams:
    """Typed, validated parameters from a schedule config (a dict, an OmegaConf node or a dataclass).

    Raises:
        ConfigError: for an unknown family or key, a missing value, or a value the family does not allow.
    """
    if isinstance(config, ScheduleParams):
        return config
    values = dict(plain(config))
    family = get_family(values.get("family"))  # type: ignore[arg-type]
    fields = {f.name: f for f in dataclasses.fields(family)}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(key, value, f"a parameter of {family.family_name()}: one of {sorted(fields)}")
    for name, spec in fields.items():
        has_default = spec.default is not dataclasses.MISSING or spec.default_factory is not dataclasses.MISSING
        if (name not in values or values[name] == "???") and not has_default:
            raise ConfigError(name, values.get(name), f"set: {family.family_name()} has no default for it")
    return family(**values)


def lr_trace(config: ScheduleParams | Mapping[str, Any], steps_per_epoch: int, epochs: int) -> np.ndarray:
    """The learning rate at every optimizer step of a run, as float32.

    Step-wise families are the Keras schedule evaluated at steps ``0 .. steps_per_epoch * epochs - 1``;
    epoch-wise families hold each epoch's value over its steps.

    Raises:
        TraceUnavailableError: for metric-driven families (``reduce_on_plateau``).
    """
    if steps_per_epoch < 1:
        raise ConfigError("steps_per_epoch", steps_per_epoch, ">= 1")
    if epochs < 1:
        raise ConfigError("epochs", epochs, ">= 1")
    return from_config(config).trace(steps_per_epoch, epochs)
