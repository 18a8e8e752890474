"""Schemas of ``hydra/sweeper: lrsweep`` and its sampler and pruner presets, registered in Hydra's ConfigStore.

The fields follow hydra-optuna-sweeper's (``sampler``, ``direction``, ``study_name``, ``storage``, ``n_trials``,
``n_jobs``, ``max_failure_rate``, ``params``, ``custom_search_space``; its sampler presets and their fields), so a
sweep written for it runs here by changing the sweeper name (``docs/coming-from-hydra-optuna-sweeper.md``).
"""

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

# Light: dataclasses and lrsweep's error types only (Hydra imports this module at every start-up).
from lrsweep.sweep._settings import PRESETS, SweepSettings


@dataclass
class TPESamplerConf:
    """``optuna.samplers.TPESampler``: every field hydra-optuna-sweeper exposes, plus ``group`` and ``constant_liar``.

    lrsweep's defaults differ from Optuna's where its sweeps need it: ``multivariate``, ``group`` (conditional
    families) and ``constant_liar`` (parallel workers) on, 5 start-up trials instead of 10, seed 0. A null field
    is not passed: Optuna's default (the fields Optuna 4.9 deprecated are null unless set).
    """

    _target_: str = "optuna.samplers.TPESampler"
    seed: int | None = 0
    consider_prior: bool | None = None
    prior_weight: float | None = None
    consider_magic_clip: bool | None = None
    consider_endpoints: bool | None = None
    n_startup_trials: int = 5
    n_ei_candidates: int | None = None
    gamma: Any = None  # a node with _target_ (and _partial_: true) for a function
    weights: Any = None
    multivariate: bool = True
    group: bool = True
    constant_liar: bool = True
    warn_independent_sampling: bool | None = None
    constraints_func: Any = None


@dataclass
class RandomSamplerConf:
    _target_: str = "optuna.samplers.RandomSampler"
    seed: int | None = 0


@dataclass
class QMCSamplerConf:
    """``optuna.samplers.QMCSampler`` (``independent_sampler``: a node with ``_target_``, null: random)."""

    _target_: str = "optuna.samplers.QMCSampler"
    seed: int | None = 0
    qmc_type: str = "sobol"
    scramble: bool = True
    independent_sampler: Any = None
    warn_asynchronous_seeding: bool | None = None
    warn_independent_sampling: bool | None = None


@dataclass
class CmaEsSamplerConf:
    """``optuna.samplers.CmaEsSampler``: hydra-optuna-sweeper's fields (``restart_strategy``: ``ipop`` or
    ``bipop``; ``independent_sampler``: a node with ``_target_``)."""

    _target_: str = "optuna.samplers.CmaEsSampler"
    seed: int | None = 0
    x0: dict[str, Any] | None = None
    sigma0: float | None = None
    n_startup_trials: int = 1
    independent_sampler: Any = None
    warn_independent_sampling: bool | None = None
    consider_pruned_trials: bool | None = None
    restart_strategy: str | None = None
    popsize: int | None = None
    inc_popsize: int | None = None
    use_separable_cma: bool | None = None
    with_margin: bool | None = None
    lr_adapt: bool | None = None
    source_trials: Any = None


@dataclass
class NSGAIISamplerConf:
    """``optuna.samplers.NSGAIISampler``, the genetic sampler for multi-objective studies (``crossover``: a node
    with ``_target_``, e.g. ``optuna.samplers.nsgaii.BLXAlphaCrossover``)."""

    _target_: str = "optuna.samplers.NSGAIISampler"
    seed: int | None = 0
    population_size: int | None = None
    mutation: Any = None
    mutation_prob: float | None = None
    crossover: Any = None
    crossover_prob: float | None = None
    swapping_prob: float | None = None
    constraints_func: Any = None
    elite_population_selection_strategy: Any = None
    child_generation_strategy: Any = None
    after_trial_strategy: Any = None


@dataclass
class GPSamplerConf:
    """Optuna 5's Gaussian-process sampler, for budgets of a few hundred trials (needs PyTorch:
    ``pip install lrsweep[gp]``; ``independent_sampler``: a node with ``_target_``)."""

    _target_: str = "optuna.samplers.GPSampler"
    seed: int | None = 0
    n_startup_trials: int = 10
    deterministic_objective: bool = False
    independent_sampler: Any = None
    warn_independent_sampling: bool | None = None
    constraints_func: Any = None


def motpe_removed(*args: Any, **kwargs: Any) -> Any:
    """``hydra/sweeper/sampler=motpe``, as hydra-optuna-sweeper keeps it: a sweep file that names it gets one line."""
    from lrsweep._errors import ConfigError

    allowed = "tpe: Optuna 4.0 removed MOTPESampler, and TPESampler samples multi-objective studies"
    raise ConfigError("hydra.sweeper.sampler", "motpe", allowed)


@dataclass
class MOTPESamplerConf:
    _target_: str = "hydra_plugins.lrsweep_sweeper.config.motpe_removed"


@dataclass
class GridSamplerConf:
    """The search space is filled in from ``params`` (choices and ranges only)."""

    _target_: str = "optuna.samplers.GridSampler"
    _partial_: bool = True
    seed: int | None = 0


@dataclass
class MedianPrunerConf:
    _target_: str = "optuna.pruners.MedianPruner"
    n_startup_trials: int = 3
    n_warmup_steps: int = 0
    interval_steps: int = 1


@dataclass
class SuccessiveHalvingPrunerConf:
    _target_: str = "optuna.pruners.SuccessiveHalvingPruner"
    min_resource: Any = 1
    reduction_factor: int = 3
    min_early_stopping_rate: int = 0


@dataclass
class HyperbandPrunerConf:
    _target_: str = "optuna.pruners.HyperbandPruner"
    min_resource: int = 1
    max_resource: Any = "auto"
    reduction_factor: int = 3


@dataclass
class NopPrunerConf:
    _target_: str = "optuna.pruners.NopPruner"


def _schema_type(hint: Any) -> Any:
    """A :class:`SweepSettings` field's type as an OmegaConf schema holds it: primitives, their Optional, lists and
    dicts as they are; a union of several types (``int | str``) as ``Any``, which OmegaConf's schemas cannot say."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return hint if len(args) == 1 and args[0] in (int, float, str, bool) else Any
    return hint


def _sweeper_schema() -> type:
    """``hydra.sweeper``'s schema, made from :class:`SweepSettings`: the same fields, types and defaults (one
    declaration), plus Hydra's ``_target_`` and the defaults list of the sampler and pruner presets."""
    hints = typing.get_type_hints(SweepSettings)
    specs: list[tuple[str, Any, Any]] = [
        ("_target_", str, "hydra_plugins.lrsweep_sweeper.sweeper.LRSweepSweeper"),
        ("_recursive_", bool, False),  # the sweep instantiates its sampler and pruner itself, when it starts
        ("defaults", list[Any], field(default_factory=lambda: [{role: name} for role, name in PRESETS.items()])),
    ]
    for spec in dataclasses.fields(SweepSettings):
        if spec.name in PRESETS:  # the sampler and pruner nodes: the chosen preset's
            specs.append((spec.name, Any, MISSING))
        elif spec.default_factory is not dataclasses.MISSING:
            specs.append((spec.name, _schema_type(hints[spec.name]), field(default_factory=spec.default_factory)))
        else:
            specs.append((spec.name, _schema_type(hints[spec.name]), spec.default))
    schema = dataclasses.make_dataclass("LRSweepSweeperConf", specs)
    schema.__module__ = __name__
    schema.__doc__ = """``hydra.sweeper`` for ``hydra/sweeper=lrsweep``: the fields and defaults of
    :class:`lrsweep.sweep._settings.SweepSettings` (``docs/configuration.md`` lists them).

    ``study_name`` null: the sweep's name (``+sweep=NAME``). ``storage`` null: ``sqlite:///lrsweep.db`` in the
    working directory; any Optuna storage URL works. ``direction`` null: the objective's own direction.
    ``n_trials`` is the study's total of COMPLETE and PRUNED trials: re-running resumes up to it.
    """
    return schema


LRSweepSweeperConf = _sweeper_schema()


SAMPLERS: dict[str, type] = {
    "tpe": TPESamplerConf,
    "random": RandomSamplerConf,
    "qmc": QMCSamplerConf,
    "cmaes": CmaEsSamplerConf,
    "gp": GPSamplerConf,
    "nsgaii": NSGAIISamplerConf,
    "grid": GridSamplerConf,
}
"""``hydra/sweeper/sampler=NAME``: the sampler presets. Their fields are the Optuna constructor's arguments; a null
field is not passed (Optuna's default)."""

PRUNERS: dict[str, type] = {
    "median": MedianPrunerConf,
    "successive_halving": SuccessiveHalvingPrunerConf,
    "hyperband": HyperbandPrunerConf,
    "none": NopPrunerConf,
}
"""``hydra/sweeper/pruner=NAME``: the pruner presets."""

_store = ConfigStore.instance()
_store.store(group="hydra/sweeper", name="lrsweep", node=LRSweepSweeperConf, provider="lrsweep")
for _name, _node in SAMPLERS.items():
    _store.store(group="hydra/sweeper/sampler", name=_name, node=_node, provider="lrsweep")
_store.store(group="hydra/sweeper/sampler", name="motpe", node=MOTPESamplerConf, provider="lrsweep")
for _name, _node in PRUNERS.items():
    _store.store(group="hydra/sweeper/pruner", name=_name, node=_node, provider="lrsweep")
