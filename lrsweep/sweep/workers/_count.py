"""How many trials run at a time, where, and the slots they run in (see :mod:`lrsweep.sweep.workers._executors`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lrsweep._internals import is_basic_launcher

if TYPE_CHECKING:
    from hydra.plugins.launcher import Launcher
    from hydra.types import HydraContext
    from omegaconf import DictConfig

    from lrsweep.sweep.workers._devices import Accelerator
    from lrsweep.sweep.workers._executors import Slots

__all__ = ["WorkerPlan", "open_slots", "own_workers", "plan_workers"]

log = logging.getLogger("lrsweep.sweep")


@dataclass(frozen=True)
class WorkerPlan:
    """``workers`` trials at a time; with GPUs, the environment each worker process starts with."""

    workers: int
    environments: list[dict[str, str | None]] = field(default_factory=list)


def own_workers(launcher: Launcher, n_jobs: int | str) -> bool:
    """Whether trials may run in the sweep's own worker processes (Hydra's basic launcher, not n_jobs=1)."""
    return is_basic_launcher(launcher) and n_jobs != 1


def plan_workers(
    n_jobs: int | str, accelerators: list[Accelerator], job_config: DictConfig, environ: Mapping[str, str]
) -> WorkerPlan:
    """Resolve ``n_jobs`` (``auto``: trials_per_device x GPUs, 1 without a GPU) and each worker's environment."""
    from lrsweep._backend import backend_name
    from lrsweep.sweep.workers._devices import trials_per_device, worker_environments

    workers = n_jobs if isinstance(n_jobs, int) else 1
    if not accelerators:
        return WorkerPlan(workers)
    if n_jobs == "auto":
        from lrsweep.training._footprint import footprint_mib

        footprint = footprint_mib(job_config)
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        per_device = min(trials_per_device(gpu, footprint, cpus, len(accelerators)) for gpu in accelerators)
        workers = per_device * len(accelerators)
        log.info(
            "n_jobs=auto: %d trials at a time, %d on each of %d GPU(s) (%s, %d MiB free; about %.0f MiB per trial)",
            workers,
            per_device,
            len(accelerators),
            accelerators[0].name,
            accelerators[0].free_mib,
            footprint,
        )
    return WorkerPlan(workers, worker_environments(workers, accelerators, backend_name(), dict(environ)))


def open_slots(plan: WorkerPlan, launcher: Launcher, hydra_context: HydraContext, config: DictConfig) -> Slots:
    """Warm worker processes (basic launcher, several workers or GPUs), batches for other launchers, else inline."""
    from lrsweep.sweep.workers._executors import InlineSlots, LauncherSlots, ProcessSlots

    if is_basic_launcher(launcher) and (plan.workers > 1 or plan.environments):
        assert launcher.task_function is not None  # set by Hydra's setup
        return ProcessSlots(plan.workers, hydra_context, config, launcher.task_function, plan.environments)
    if plan.workers > 1:  # joblib, submitit, ray, …: that many trials per launch
        return LauncherSlots(launcher, plan.workers)
    return InlineSlots(launcher)
