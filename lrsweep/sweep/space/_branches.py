"""The branches a sweep file may leave to each option's own sweep file.

``conditional: {schedule: sweep}`` makes each option ``X`` of the ``schedule`` choice a branch whose params are
``sweep/X.yaml``'s ``hydra.sweeper.params``, so every family's search space is written once, in its own sweep
file; without a ``schedule`` choice in ``params`` the options are every registered family.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lrsweep._errors import ConfigError
from lrsweep.sweep.space._grammar import parse_expression

__all__ = ["LoadParams", "derive_branches"]

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
