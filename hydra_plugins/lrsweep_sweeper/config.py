"""Schemas of ``hydra/sweeper: lrsweep`` and its sampler and pruner presets, registered in Hydra's ConfigStore.

The fields follow hydra-optuna-sweeper's (``sampler``, ``direction``, ``study_name``, ``storage``, ``n_trials``,
``n_jobs``, ``max_failure_rate``, ``params``, ``custom_search_space``; its sampler presets and their fields), so a
sweep written for it runs here by changing the sweeper name (README: "Coming from hydra-optuna-sweeper").
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

# Light: dataclasses and lrsweep's error types only (Hydra imports this module at every start-up).
from lrsweep.sweep._settings import DEFAULTS as _DEFAULTS


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


@dataclass
class LRSweepSweeperConf:
    """``hydra.sweeper`` for ``hydra/sweeper=lrsweep``; every default is :data:`lrsweep.sweep._settings.DEFAULTS`'s.

    ``study_name`` null: the sweep's name (``+sweep=NAME``). ``storage`` null: ``sqlite:///lrsweep.db`` in the
    working directory; any Optuna storage URL works. ``direction`` null: the objective's own direction.
    ``n_trials`` is the study's total of COMPLETE and PRUNED trials: re-running resumes up to it.
    """

    _target_: str = "hydra_plugins.lrsweep_sweeper.sweeper.LRSweepSweeper"
    _recursive_: bool = False  # the sweep instantiates its sampler and pruner itself, when it starts
    defaults: list[Any] = field(default_factory=lambda: [{"sampler": "tpe"}, {"pruner": "median"}])
    sampler: Any = MISSING
    pruner: Any = MISSING
    study_name: str | None = _DEFAULTS.study_name
    storage: str | None = _DEFAULTS.storage
    direction: Any = _DEFAULTS.direction  # maximize, minimize, a list of them (multi-objective), or null
    n_trials: int = _DEFAULTS.n_trials
    n_jobs: Any = _DEFAULTS.n_jobs  # trials at a time: an int, or auto (1 on CPU, trials_per_device x GPUs)
    repeats: int = _DEFAULTS.repeats
    prune_from: str = _DEFAULTS.prune_from
    verify_top: int = _DEFAULTS.verify_top
    verify_seeds: int = _DEFAULTS.verify_seeds
    controls: list[str] = field(default_factory=lambda: list(_DEFAULTS.controls))
    timeout: float | None = _DEFAULTS.timeout
    max_failure_rate: float = _DEFAULTS.max_failure_rate
    params: dict[str, Any] = field(default_factory=dict)
    conditional: dict[str, Any] = field(default_factory=dict)
    enqueue: list[Any] = field(default_factory=list)
    study_attrs: dict[str, Any] = field(default_factory=dict)
    enqueue_share: float | None = _DEFAULTS.enqueue_share
    lr_range: str | None = _DEFAULTS.lr_range
    resume: str | None = _DEFAULTS.resume
    custom_search_space: str | None = _DEFAULTS.custom_search_space
    heartbeat_interval: int | None = _DEFAULTS.heartbeat_interval
    grace_period: int | None = _DEFAULTS.grace_period
    max_retry: int | None = _DEFAULTS.max_retry
    storage_timeout: float = _DEFAULTS.storage_timeout


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
