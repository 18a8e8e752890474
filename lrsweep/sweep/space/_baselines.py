"""Baselines: the configurations a sweep tries first, from ``preset`` or from overrides.

An ``enqueue`` entry is ``preset`` or a mapping of overrides: the composed config of those overrides gives every
parameter of the space the entry does not name, so ``{schedule: constant}`` is the constant preset's setting and
``{+tutorial: sgd_decay}`` the tutorial's second run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from omegaconf import OmegaConf

from lrsweep._errors import ConfigError
from lrsweep.sweep.space._grammar import SearchSpace
from lrsweep.sweep.space._sample import to_override

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = ["PRESET", "baseline"]

PRESET = "preset"
_ABSENT = object()


def baseline(entry: Any, space: SearchSpace, compose: Callable[[list[str]], DictConfig]) -> dict[str, Any]:
    """The config keys and values of the space that an ``enqueue`` entry means (see the module doc)."""
    if entry == PRESET:
        entry = {}
    if not isinstance(entry, Mapping):
        raise ConfigError("hydra.sweeper.enqueue", entry, f"'{PRESET}' or a mapping of overrides")
    keys = set(space.params) | {key.partition("/")[2] for branch in space.conditional.values() for key in branch}
    given = {key: value for key, value in entry.items() if key in keys}
    others = [to_override(key, value) for key, value in entry.items() if key not in keys]
    overrides = [*others, *(to_override(key, value) for key, value in given.items())]
    try:
        config = compose(overrides)
    except Exception as error:  # Hydra's own message: an unknown key or option
        reason = str(error).strip().splitlines()[0]
        raise ConfigError("hydra.sweeper.enqueue", dict(entry), f"overrides of the config ({reason})") from None
    values = {key: _composed(config, key, given) for key in space.params}
    for choice, branch in space.conditional.items():
        key, _, option = choice.partition("=")
        if str(values.get(key)) == option:
            values.update({name.partition("/")[2]: _composed(config, name.partition("/")[2], given) for name in branch})
    return values


def _composed(config: DictConfig, key: str, given: Mapping[str, Any]) -> Any:
    if key in given:
        return given[key]
    group = key.lstrip("+~")
    choices = config.hydra.runtime.choices
    if group in choices:  # a config group: its chosen option
        return choices[group]
    value = OmegaConf.select(config, group, default=_ABSENT, throw_on_missing=False)
    if value is _ABSENT:
        raise ConfigError("hydra.sweeper.enqueue", key, "a key of the composed config (or give its value)")
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
