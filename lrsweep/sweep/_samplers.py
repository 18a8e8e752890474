"""Samplers and pruners from their config nodes, and what the grid sampler needs from the space."""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import optuna
from omegaconf import DictConfig

from lrsweep._errors import ConfigError
from lrsweep.sweep.space._grammar import SearchSpace, grid_values

__all__ = ["build_pruner", "build_sampler", "checked", "instantiate"]


def instantiate(node: Any, **overrides: Any) -> Any:
    """A sampler or pruner from its config node (``_target_`` and arguments), or the object given."""
    if not isinstance(node, DictConfig):
        return node
    from hydra.utils import instantiate as hydra_instantiate
    from omegaconf import OmegaConf

    # A null argument is Optuna's own default: not passed, so deprecated ones do not warn on every sweep.
    node = OmegaConf.create({k: v for k, v in node.items() if v is not None or k in overrides})

    with warnings.catch_warnings():
        # TPE's group/multivariate/constant_liar work well but Optuna still flags them experimental.
        warnings.filterwarnings("ignore", message=r"Argument ``\w+`` is an experimental feature")
        return hydra_instantiate(node, **overrides)


def checked(node: Any, role: str, **overrides: Any) -> Any:
    """``instantiate``, or a :class:`ConfigError` naming the presets when ``node`` is not a sampler or pruner
    (``hydra.sweeper.sampler=nope``) or Optuna refuses its arguments: before any study is opened."""
    from hydra.errors import InstantiationException

    from hydra_plugins.lrsweep_sweeper.config import PRUNERS, SAMPLERS

    presets, base = (
        (SAMPLERS, optuna.samplers.BaseSampler) if role == "sampler" else (PRUNERS, optuna.pruners.BasePruner)
    )
    allowed = (
        f"a preset, hydra/sweeper/{role}=" + "|".join(presets) + f" (or a node whose _target_ is an Optuna {role})"
    )
    try:
        made = instantiate(node, **overrides)
    except InstantiationException as error:
        if isinstance(error.__cause__, ConfigError):  # e.g. the motpe preset: the reason is the preset's own
            raise error.__cause__ from None
        reason = str(error.__cause__ or error).strip().splitlines()[0]
        raise ConfigError(f"hydra.sweeper.{role}", dict(node), f"arguments Optuna accepts ({reason})") from None
    grid = isinstance(made, functools.partial) and made.func is optuna.samplers.GridSampler
    if not (isinstance(made, base) or grid):
        shown = node if not isinstance(node, DictConfig) else dict(node)
        raise ConfigError(f"hydra.sweeper.{role}", shown, allowed)
    return made


def build_pruner(node: Any, objectives: int) -> optuna.pruners.BasePruner:
    """The study's pruner from its node (or the pruner itself), checked; Optuna's ``NopPruner`` in a study of
    several objectives (Optuna's pruners are single-objective). The sweep and each of its jobs build it here, so
    a job is pruned as its study is."""
    pruner: optuna.pruners.BasePruner = checked(node, "pruner")
    return optuna.pruners.NopPruner() if objectives > 1 else pruner


def build_sampler(
    node: Any, space: SearchSpace, n_trials: int, ordinal: int = 0
) -> tuple[optuna.samplers.BaseSampler, int]:
    """The sampler and the number of trials it can give; worker ``ordinal`` > 0 samples with seed + ordinal.

    Workers sharing a study (and each resumed run) count as workers 0, 1, 2, …: with one seed for all, their
    random start-up trials would repeat each other's.
    """
    if ordinal and isinstance(node, DictConfig) and node.get("seed") is not None:
        sampler = checked(node, "sampler", seed=int(node.seed) + ordinal)
    else:
        sampler = checked(node, "sampler")
    if isinstance(sampler, functools.partial) and sampler.func is optuna.samplers.GridSampler:
        if space.conditional:
            raise ConfigError("hydra.sweeper.sampler", "grid", "a sampler other than grid for conditional spaces")
        grid = {name: grid_values(name, distribution) for name, distribution in space.params.items()}
        sampler = sampler(search_space=grid)
        n_trials = min(n_trials, math.prod(len(values) for values in grid.values()))
    return sampler, n_trials
