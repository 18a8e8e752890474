"""Schemas of ``hydra/sweeper: lrsweep`` and its sampler and pruner presets, registered in Hydra's ConfigStore.

The fields follow hydra-optuna-sweeper's (``sampler``, ``direction``, ``study_name``, ``storage``, ``n_trials``,
``n_jobs``, ``max_failure_rate``, ``params``), so a sweep written for it runs here by changing the sweeper name.
"""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

# Light: dataclasses and lrsweep's error types only (Hydra imports this module at every start-up).
from lrsweep.sweep._settings import DEFAULTS as _DEFAULTS


@dataclass
class TPESamplerConf:
    _target_: str = "optuna.samplers.TPESampler"
    seed: int | None = 0
    n_startup_trials: int = 5
    multivariate: bool = True
    group: bool = True
    constant_liar: bool = True


@dataclass
class RandomSamplerConf:
    _target_: str = "optuna.samplers.RandomSampler"
    seed: int | None = 0


@dataclass
class QMCSamplerConf:
    _target_: str = "optuna.samplers.QMCSampler"
    seed: int | None = 0
    qmc_type: str = "sobol"
    scramble: bool = True


@dataclass
class CmaEsSamplerConf:
    _target_: str = "optuna.samplers.CmaEsSampler"
    seed: int | None = 0
    n_startup_trials: int = 1


@dataclass
class GPSamplerConf:
    """Optuna 5's Gaussian-process sampler (needs PyTorch: ``pip install lrsweep[gp]``)."""

    _target_: str = "optuna.samplers.GPSampler"
    seed: int | None = 0
    n_startup_trials: int = 10
    deterministic_objective: bool = False


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
    direction: str | None = _DEFAULTS.direction
    n_trials: int = _DEFAULTS.n_trials
    n_jobs: Any = _DEFAULTS.n_jobs  # trials at a time: an int, or auto (1 on CPU, trials_per_device x GPUs)
    repeats: int = _DEFAULTS.repeats
    timeout: float | None = _DEFAULTS.timeout
    max_failure_rate: float = _DEFAULTS.max_failure_rate
    params: dict[str, Any] | None = None
    conditional: dict[str, Any] | None = None
    enqueue: list[Any] = field(default_factory=list)
    study_attrs: dict[str, Any] = field(default_factory=dict)
    lr_range: str | None = _DEFAULTS.lr_range
    heartbeat_interval: int | None = _DEFAULTS.heartbeat_interval
    grace_period: int | None = _DEFAULTS.grace_period
    max_retry: int | None = _DEFAULTS.max_retry
    storage_timeout: float = _DEFAULTS.storage_timeout


_store = ConfigStore.instance()
_store.store(group="hydra/sweeper", name="lrsweep", node=LRSweepSweeperConf, provider="lrsweep")
for _name, _node in {
    "tpe": TPESamplerConf,
    "random": RandomSamplerConf,
    "qmc": QMCSamplerConf,
    "cmaes": CmaEsSamplerConf,
    "gp": GPSamplerConf,
    "grid": GridSamplerConf,
}.items():
    _store.store(group="hydra/sweeper/sampler", name=_name, node=_node, provider="lrsweep")
for _name, _node in {
    "median": MedianPrunerConf,
    "successive_halving": SuccessiveHalvingPrunerConf,
    "hyperband": HyperbandPrunerConf,
    "none": NopPrunerConf,
}.items():
    _store.store(group="hydra/sweeper/pruner", name=_name, node=_node, provider="lrsweep")
