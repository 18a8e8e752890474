"""Where a sweep's trials run: in this process, in warm worker processes, or through another Hydra launcher.

A *trial* is one or more Hydra jobs (``repeats`` seeds) run one after another; the runner stops at the first
job that does not complete. Every runner returns a :class:`concurrent.futures.Future` of the jobs' outcomes.
:class:`InlineSlots` and :class:`ProcessSlots` hand a freed slot its next trial the moment a trial ends (no batch
barrier); :class:`LauncherSlots` gives a launcher such as joblib or submitit (SLURM) ``size`` trials per
``launch`` call, Hydra's contract for launchers, and waits for the batch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from optuna.trial import TrialState

from lrsweep.sweep.trials._outcome import Outcome, outcome_of

if TYPE_CHECKING:
    from hydra.plugins.launcher import Launcher
    from hydra.types import HydraContext, TaskFunction
    from omegaconf import DictConfig

__all__ = ["InlineSlots", "LauncherSlots", "ProcessSlots", "Slots", "worker_pool"]


class Slots(Protocol):
    """Where trials run: ``size`` at a time; :meth:`submit` one, :meth:`flush` after a round of submits."""

    size: int

    def submit(self, jobs: Sequence[Sequence[str]], first_index: int) -> Future[list[Outcome]]: ...

    def flush(self) -> None: ...

    def close(self, cancel: bool = False) -> None: ...


def _until_incomplete(
    run_one: Callable[[list[str], int], Outcome], jobs: Sequence[Sequence[str]], first_index: int
) -> list[Outcome]:
    outcomes = []
    for offset, overrides in enumerate(jobs):
        outcome = run_one(list(overrides), first_index + offset)
        outcomes.append(outcome)
        if outcome.state != TrialState.COMPLETE:
            break
    return outcomes


class InlineSlots:
    """One slot: each job goes through the configured Hydra launcher (in this process for the basic one)."""

    size = 1

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher

    def _run(self, overrides: list[str], index: int) -> Outcome:
        (result,) = self.launcher.launch([overrides], initial_job_idx=index)
        return outcome_of(result)

    def submit(self, jobs: Sequence[Sequence[str]], first_index: int) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        future.set_result(_until_incomplete(self._run, jobs, first_index))
        return future

    def flush(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        pass


class LauncherSlots:
    """``size`` trials per ``launcher.launch`` call, for launchers that run a batch of jobs in parallel.

    :meth:`submit` queues a trial; :meth:`flush` launches the queue as one batch (every seed of every trial)
    and resolves the futures when the launcher returns.
    """

    def __init__(self, launcher: Launcher, size: int) -> None:
        self.launcher, self.size = launcher, size
        self._queue: list[tuple[list[list[str]], int, Future[list[Outcome]]]] = []

    def submit(self, jobs: Sequence[Sequence[str]], first_index: int) -> Future[list[Outcome]]:
        future: Future[list[Outcome]] = Future()
        self._queue.append(([list(job) for job in jobs], first_index, future))
        return future

    def flush(self) -> None:
        batch, self._queue = self._queue, []
        if not batch:
            return
        overrides = [job for jobs, _, _ in batch for job in jobs]
        results = iter(self.launcher.launch(overrides, initial_job_idx=batch[0][1]))
        for jobs, _, future in batch:
            outcomes = [outcome_of(next(results)) for _ in jobs]
            complete = next((i for i, o in enumerate(outcomes) if o.state != TrialState.COMPLETE), len(outcomes) - 1)
            future.set_result(outcomes[: complete + 1])

    def close(self, cancel: bool = False) -> None:
        for _, _, future in self._queue:
            future.cancel()
        self._queue.clear()


class ProcessSlots:
    """``size`` worker processes that stay up for the whole sweep and run Hydra's ``run_job`` for each job.

    Workers are started with ``spawn`` and keep their imports (Keras, the backend) between trials.
    """

    def __init__(
        self,
        size: int,
        hydra_context: HydraContext,
        config: DictConfig,
        task_function: TaskFunction,
        environments: Sequence[Mapping[str, str | None]] = (),
    ) -> None:
        import cloudpickle
        from hydra.core.singleton import Singleton

        self.size = size
        # Hydra's singletons (ConfigStore, plugins, OmegaConf resolvers) travel with the job, as with joblib.
        self._context = cloudpickle.dumps((hydra_context, config, task_function, Singleton.get_state()))
        self._pool = worker_pool(size, environments)

    def submit(self, jobs: Sequence[Sequence[str]], first_index: int) -> Future[list[Outcome]]:
        return self._pool.submit(_worker_run, self._context, [list(job) for job in jobs], first_index)

    def flush(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


def worker_pool(size: int, environments: Sequence[Mapping[str, str | None]] = ()) -> ProcessPoolExecutor:
    """``size`` fresh (``spawn``) processes; the i-th to start gets ``environments[i % len]`` applied first."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        size,
        mp_context=context,
        initializer=_start_worker,
        initargs=([dict(e) for e in environments], context.Value("i", 0)),
    )


def _start_worker(environments: list[dict[str, str | None]], started: Any) -> None:
    """A new worker takes the next environment in turn (its GPU and memory limit), before any backend starts."""
    from lrsweep.sweep.workers._devices import apply_environment

    _die_with_parent()
    if environments:
        with started.get_lock():
            ordinal, started.value = started.value, started.value + 1
        apply_environment(environments[ordinal % len(environments)])


def _die_with_parent() -> None:
    """On Linux, a worker is killed when the sweep's process dies, even by SIGKILL, instead of training on as an
    orphan whose trial the study has already given to another worker (``PR_SET_PDEATHSIG``)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):  # elsewhere the worker stops when it next reads the pool
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


def _worker_run(context: bytes, jobs: list[list[str]], first_index: int) -> list[Outcome]:
    import cloudpickle
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.singleton import Singleton
    from hydra.core.utils import run_job, setup_globals
    from omegaconf import open_dict

    hydra_context, config, task_function, singleton_state = cloudpickle.loads(context)
    setup_globals()
    Singleton.set_state(singleton_state)

    def run_one(overrides: list[str], index: int) -> Outcome:
        job_config = hydra_context.config_loader.load_sweep_config(config, overrides)
        with open_dict(job_config):
            job_config.hydra.job.id = f"{job_config.hydra.job.name}_{index}"
            job_config.hydra.job.num = index
        HydraConfig.instance().set_config(job_config)
        result = run_job(
            hydra_context=hydra_context,
            config=job_config,
            task_function=task_function,
            job_dir_key="hydra.sweep.dir",
            job_subdir_key="hydra.sweep.subdir",
        )
        return outcome_of(result)

    return _until_incomplete(run_one, jobs, first_index)
