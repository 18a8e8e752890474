"""The throughput benchmark's packed arm: the sweep's configurations trained K at a time, in this process, by one
:class:`~lrsweep.training.PackedTrainer` (one jitted, vmapped JAX step for K trials of the seed CNN).

Every slot starts a trial; when a trial ends (its last epoch, or divergence) the slot takes the next waiting one,
so the population stays full until the queue is empty (K is the trial count when there are fewer trials). The
wall time runs from building the trainer to the last trial's end. Objectives differ from lrsweep's for the same
trial by the batch order: :data:`SHUFFLE_NOTE`.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = ["SHUFFLE_NOTE", "packed_rows", "packed_run", "skip_reason"]

SHUFFLE_NOTE = (
    "packed objectives differ from lrsweep's by the shuffling order: the packed trainer shuffles with its own RNG "
    "(np.random.default_rng([seed, epoch])), not Keras' data adapter"
)


def skip_reason(backend: str) -> str | None:
    """Why the packed arm cannot run on ``backend`` (``None``: it can)."""
    if backend == "jax":
        return None
    return f"packed arm skipped: PackedTrainer vmaps one JAX step, so it needs KERAS_BACKEND=jax (this run: {backend})"


def _device_stats() -> dict[str, int] | None:
    """The first JAX device's allocator statistics; ``None`` on a CPU, which keeps none."""
    import jax

    device = jax.local_devices()[0]
    return (device.memory_stats() or None) if device.platform != "cpu" else None


def packed_run(config: DictConfig, dataset: Any, schedules: Sequence[Mapping[str, Any]], slots: int) -> dict[str, Any]:
    """Train every schedule in ``schedules`` (the composed ``config``'s model, optimizer, trainer and seed) through
    a ``slots``-slot trainer; the wall time, each epoch's seconds, the device memory and each trial's outcome."""
    from lrsweep.training import PackedTrainer

    epochs, seed, objective = int(config.trainer.epochs), int(config.trainer.seed), str(config.trainer.objective)
    k = min(int(slots), len(schedules))
    capacity = dataset.steps_per_epoch(int(config.trainer.batch_size)) * epochs
    waiting = deque(range(len(schedules)))
    members: dict[int, int] = {}  # slot -> the index of the trial it trains
    epochs_done: dict[int, int] = {}
    objectives: list[float | None] = [None] * len(schedules)
    statuses = ["waiting"] * len(schedules)
    before = _device_stats()

    started = time.perf_counter()
    trainer = PackedTrainer(config, dataset, slots=k, capacity_steps=capacity)

    def refill(slot: int) -> None:
        if not waiting:
            trainer.stop(slot)
            members.pop(slot, None)
            return
        index = waiting.popleft()
        trainer.start(slot, seed, trainer.trace(schedules[index], epochs))
        members[slot], epochs_done[slot], statuses[index] = index, 0, "running"

    for slot in range(k):
        refill(slot)
    seconds: list[float] = []
    while members:
        begun = time.perf_counter()
        logs = trainer.run_epoch()  # ends in a device_get: the epoch's work is done when it returns
        seconds.append(time.perf_counter() - begun)
        for slot, index in list(members.items()):
            epochs_done[slot] += 1
            if slot in trainer.diverged:
                statuses[index] = "diverged"
            elif epochs_done[slot] == epochs:
                statuses[index], objectives[index] = "complete", float(logs[slot][objective])
            else:
                continue
            refill(slot)
    wall = time.perf_counter() - started

    after = _device_stats()
    steady = statistics.median(seconds[1:]) if len(seconds) > 1 else None
    device = None
    if before is not None and after is not None and "peak_bytes_in_use" in after:
        device = (after["peak_bytes_in_use"] - before.get("bytes_in_use", 0)) / 2**20 / k
    return {
        "slots": k,
        "requested_slots": int(slots),
        "wall_s": wall,
        "trials_per_hour": 3600 * len(schedules) / wall,
        "epoch_seconds": seconds,
        "steady_epoch_s": steady,
        "steady_epoch_s_per_member": None if steady is None else steady / k,
        "compile_s": None if steady is None else seconds[0] - steady,
        "device_mib_per_member": device,
        "objectives": objectives,
        "statuses": statuses,
    }


def packed_rows(
    config: DictConfig, schedules: Sequence[Mapping[str, Any]], slot_counts: Sequence[int], ours: Sequence[float | None]
) -> list[dict[str, Any]]:
    """One :func:`packed_run` per K, smallest first (JAX's allocator peak only grows), each with its objectives'
    largest difference from lrsweep's ``ours`` for the same trials."""
    import gc

    from lrsweep.training import instantiate, trial_data

    dataset = trial_data(config.data, instantiate)
    rows = []
    for slots in sorted(set(slot_counts)):
        row = packed_run(config, dataset, schedules, slots)
        gc.collect()  # the last trainer's device buffers go before the next is built
        pairs = [(a, b) for a, b in zip(row["objectives"], ours, strict=True) if a is not None and b is not None]
        row["max_objective_difference"] = max((abs(a - b) for a, b in pairs), default=None)
        rows.append(row)
    return rows
