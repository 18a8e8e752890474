"""What a sweep file may leave to be derived: branches from each option's own sweep file, baselines from presets.

``conditional: {schedule: sweep}`` makes each option ``X`` of the ``schedule`` choice a branch whose params are
``sweep/X.yaml``'s ``hydra.sweeper.params``, so every family's search space is written once, in its own sweep
file; without a ``schedule`` choice in ``params`` the options are every registered family.

An ``enqueue`` entry is ``preset`` or a mapping of overrides: the composed config of those overrides gives every
parameter of the space the entry does not name, so ``{schedule: constant}`` is the constant preset's setting and
``{+tutorial: sgd_decay}`` the tutorial's second run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from omegaconf import OmegaConf

from lrsweep._errors import ConfigError
from lrsweep.sweep._sample import to_override
from lrsweep.sweep._space import SearchSpace, parse_expression

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = ["PRESET", "baseline", "derive_branches"]

PRESET = "preset"
_ABSENT = object()

LoadParams = Callable[[str], Mapping[str, Any] | None]
"""``load("sweep/cosine_decay")``: that config file's ``hydra.sweeper.params``, or ``None`` if there is none."""


def derive_branches(
    params: Mapping[str, Any], conditional: Mapping[str, Any], load: LoadParams
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``params`` and ``conditional`` with every ``KEY: GROUP`` entry of ``conditional`` expanded into branches."""
    params, expanded = dict(params), {}
    for choice, branch in conditional.items():
        if not isinstance(branch, str):
            expanded[choice] = branch
            continue
        if "=" in choice:
            raise ConfigError(f"hydra.sweeper.conditional.{choice}", branch, "a mapping of params")
        if choice not in params:
            from lrsweep.schedules import FAMILIES

            params[choice] = f"choice({', '.join(FAMILIES)})"
        for option in _options(choice, params[choice]):
            found = load(f"{branch}/{option}")
            if found is None:
                raise ConfigError(
                    f"hydra.sweeper.conditional.{choice}",
                    branch,
                    f"a config group with a sweep file for every option of {choice}: {branch}/{option}.yaml is missing",
                )
            expanded.setdefault(f"{choice}={option}", dict(found))
    return params, expanded


def _options(key: str, expression: Any) -> list[str]:
    from optuna.distributions import CategoricalDistribution

    parsed = parse_expression(key, expression)
    if not isinstance(parsed, CategoricalDistribution):
        raise ConfigError(f"hydra.sweeper.params.{key}", expression, "a choice(...) when conditional names a group")
    return [str(option) for option in parsed.choices]


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
