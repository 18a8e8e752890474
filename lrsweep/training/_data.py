"""A trial's data, built once per process: the process's warm trials (and the sweep's checks) share it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig, OmegaConf

__all__ = ["LRSWEEP_DATA_KEYS", "clear_data", "trial_data"]

LRSWEEP_DATA_KEYS = ("num_classes", "steps_per_epoch")
"""Keys of a ``data`` node that lrsweep reads itself; the rest are the factory's arguments."""

_built: dict[str, Any] = {}  # one entry: the data of the config this process last trained on


def _key(data: DictConfig) -> str:
    return json.dumps(OmegaConf.to_container(data, resolve=True), sort_keys=True, default=str)


def trial_data(data: DictConfig, instantiate: Callable[..., Any]) -> Any:
    """The :class:`~lrsweep.data.TrialData` for a ``data`` config: ``instantiate(factory node, "data")`` the
    first time, through :func:`~lrsweep.data.as_dataset`; the same object for the same config afterwards.

    Raises:
        ConfigError: the factory returned something else than the data contract allows, or data that breaks it.
    """
    from lrsweep.data import as_dataset

    key = _key(data)
    if key not in _built:
        _built.clear()  # a new dataset replaces the last: memory holds one
        node = OmegaConf.create(OmegaConf.to_container(data, resolve=False))
        assert isinstance(node, DictConfig)
        lrsweep_keys = {k: node.pop(k) for k in LRSWEEP_DATA_KEYS if k in node}
        value = instantiate(node, "data")
        target = str(node.get("_target_", "data"))
        _built[key] = as_dataset(
            value,
            field_name="data._target_",
            name=target.rpartition(".")[2],
            source=target,
            num_classes=lrsweep_keys.get("num_classes"),
            steps_per_epoch=lrsweep_keys.get("steps_per_epoch"),
        )
    return _built[key]


def clear_data() -> None:
    """Forget the process's data (tests; a notebook that changed the files behind a config)."""
    _built.clear()
