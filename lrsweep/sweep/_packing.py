"""Packed trials in a sweep (``hydra.sweeper.pack``): how many, the checks before the study, each member's job.

``pack`` K >= 2 trains up to K trials at once in the sweep's own process, in one jitted, vmapped JAX step
(:class:`~lrsweep.training.PackedTrainer`, through :class:`~lrsweep.sweep.workers._packed.PackedSlots`). A member
does what a job does (:func:`lrsweep.cli.run`): it reattaches to its Optuna trial (the pruning reporter), logs to
its MLflow run through its tracker, reports each epoch and may be pruned, and hands back a
:class:`~lrsweep.sweep.job._report.JobReport`. What cannot pack yet is refused here, in one line, before the
study exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lrsweep._errors import ConfigError
from lrsweep.sweep._settings import PACK_AUTO, SweepSettings

if TYPE_CHECKING:
    from hydra.plugins.launcher import Launcher
    from hydra.types import HydraContext
    from omegaconf import DictConfig

    from lrsweep.sweep.space._grammar import SearchSpace
    from lrsweep.sweep.workers._executors import Slots
    from lrsweep.sweep.workers._packed import PackedJob

__all__ = ["check_pack", "packed_job", "packed_slots", "planned_pack", "resolve_pack"]

_PACKABLE = ("schedule", "trainer.seed")  # what a packed sweep may search: the LR, and the seed


def planned_pack(settings: SweepSettings, space: SearchSpace, launcher: Launcher) -> int:
    """``pack`` resolved for this machine and checked (1: off), before anything is written."""
    from lrsweep._backend import backend_name
    from lrsweep._internals import is_basic_launcher
    from lrsweep.sweep.workers._devices import visible_accelerators

    if settings.pack in (None, 1):
        return 1  # off: no need to import Keras (seconds) to ask its backend before the cheaper checks
    gpus = len(visible_accelerators()) if settings.pack == "auto" else 0
    if settings.pack == "auto" and gpus == 0:
        return 1
    backend = backend_name()
    pack = resolve_pack(settings, backend, gpus)
    check_pack(settings, pack, space, backend, is_basic_launcher(launcher))
    return pack


def packed_slots(pack: int, hydra_context: HydraContext, config: DictConfig, launcher: Launcher) -> Slots:
    """``pack`` slots of one packed trainer in this process; a job that cannot pack runs through ``launcher``."""
    import logging

    from lrsweep.sweep.workers._executors import InlineSlots
    from lrsweep.sweep.workers._packed import PackedSlots
    from lrsweep.training import Population

    logging.getLogger("lrsweep.sweep").info(
        "pack=%d: up to %d trials train at once in this process, in one vmapped JAX step", pack, pack
    )
    return PackedSlots(Population(pack), packed_job(hydra_context, config), InlineSlots(launcher))


def resolve_pack(settings: SweepSettings, backend: str, gpus: int) -> int:
    """Trials per packed step: ``pack``, with ``auto`` at :data:`PACK_AUTO` on a GPU with JAX and 1 (off) else."""
    if settings.pack == "auto":
        return PACK_AUTO if backend == "jax" and gpus > 0 else 1
    return int(settings.pack or 1)


def check_pack(settings: SweepSettings, pack: int, space: SearchSpace, backend: str, basic_launcher: bool) -> None:
    """Refuse, in one line, a packed sweep this slice cannot run (nothing is checked for ``pack`` <= 1)."""
    if pack < 2:
        return
    field, value = "hydra.sweeper.pack", settings.pack

    def refuse(what: str, why: str) -> ConfigError:
        return ConfigError(field, value, f"null or 1 (off) with {what} ({why})")

    if backend != "jax":
        raise refuse(f"KERAS_BACKEND={backend}", "packed trials are one vmapped JAX step: set KERAS_BACKEND=jax")
    if not basic_launcher:
        raise refuse("another Hydra launcher", "packed trials train in the sweep's own process")
    if isinstance(settings.n_jobs, int) and settings.n_jobs > 1:
        raise refuse(f"hydra.sweeper.n_jobs={settings.n_jobs}", "packed trials train in the sweep's own process")
    if settings.rung_epochs is not None:
        raise refuse("hydra.sweeper.rung_epochs", "short runs do not pack yet")
    searched = space.keys()  # a conditional key as <option>/<key>
    for key in searched:
        name = key.partition("/")[2] if "/" in key else key
        name = name.lstrip("+~")
        if not any(name == allowed or name.startswith(f"{allowed}.") for allowed in _PACKABLE):
            raise refuse(
                f"hydra.sweeper.params.{name} searched",
                "packed trials share one compiled program: search only schedule and its keys, and trainer.seed",
            )


def packed_job(hydra_context: HydraContext, config: DictConfig) -> Callable[[list[str], int], PackedJob]:
    """What a packed member of the sweep's job ``overrides`` (number ``index``) is: its config composed as the
    in-process executor composes it, its trial reattached (the pruning reporter), its tracker."""

    def start(overrides: list[str], index: int) -> PackedJob:
        from hydra.core.hydra_config import HydraConfig
        from omegaconf import open_dict

        from lrsweep._preflight import release_composition_errors
        from lrsweep.sweep import trial_reporter
        from lrsweep.sweep.workers._packed import PackedJob
        from lrsweep.training import instantiate, validate

        job_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
        with open_dict(job_config):
            job_config.hydra.job.id = f"{job_config.hydra.job.name}_{index}"
            job_config.hydra.job.num = index
        HydraConfig.instance().set_config(job_config)
        with open_dict(job_config):  # the task's config, as Hydra's run_job hands it: without the hydra node
            del job_config["hydra"]
        release_composition_errors()
        validate(job_config)
        reporter = trial_reporter(job_config)
        record: dict[str, Any] = reporter.record if reporter is not None else {}
        tracker = instantiate(job_config.tracking, "tracking")
        return PackedJob(
            job_config,
            tracker,
            [reporter] if reporter is not None else [],
            lambda result: _report(result, record),
            lambda error: _carry(error, record),
        )

    return start


def _report(result: Any, record: dict[str, Any]) -> Any:
    """What :func:`lrsweep.cli.run` returns for a finished trial of a sweep: its objective(s) and what it measured."""
    from lrsweep.sweep.job._report import JobReport

    values = list(result.objectives.values())
    return JobReport(values if len(values) > 1 else result.objective, record)


def _carry(error: BaseException, record: dict[str, Any]) -> None:
    """As :func:`lrsweep.cli.run`: a failed job's error carries what it measured, and is said in one line."""
    from lrsweep._errors import LRSweepError, TrialPrunedError, report
    from lrsweep.sweep.job._report import carried_record, carry_record

    if not carried_record(error):  # a pruned member's error carries its record already
        carry_record(error, record)
    if isinstance(error, LRSweepError) and not isinstance(error, TrialPrunedError):
        report(error)
