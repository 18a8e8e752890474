"""Accelerators, and how a sweep's worker processes share them.

``hydra.sweeper.n_jobs=auto`` (the default) runs one trial at a time on a host without an NVIDIA GPU, and on a GPU
host ``trials_per_device`` warm workers per GPU, chosen from the GPU's free memory, the model's estimated footprint
and the host's CPU cores. Workers are pinned to GPUs round-robin (``CUDA_VISIBLE_DEVICES``) and get a memory limit
for the active Keras backend, so several of them fit on one GPU:

- JAX: ``XLA_PYTHON_CLIENT_MEM_FRACTION`` = 0.9 / workers on that GPU (JAX would otherwise preallocate 75 % each);
- TensorFlow: ``TF_FORCE_GPU_ALLOW_GROWTH=true`` (TensorFlow would otherwise map the whole GPU);
- PyTorch: ``torch.cuda.set_per_process_memory_fraction`` with the same share.

A limit the user set in the environment is kept. GPUs are found with ``nvidia-smi``, which initialises no
backend: the sweep's own process stays off the GPUs while its workers use them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "MAX_TRIALS_PER_DEVICE",
    "Accelerator",
    "apply_environment",
    "keep_off_accelerators",
    "parse_nvidia_smi",
    "trials_per_device",
    "visible_accelerators",
    "worker_environments",
]

#: At most this many trials share one GPU by default: past it a small model's workers contend for the GPU and the
#: host's cores rather than add throughput. ``hydra.sweeper.n_jobs`` sets any other number.
MAX_TRIALS_PER_DEVICE = 8
#: The share of a GPU's memory the workers on it may take together (the rest: CUDA contexts, other processes).
MEMORY_SHARE = 0.9
QUERY = "index,uuid,name,memory.total,memory.free"


@dataclass(frozen=True)
class Accelerator:
    """One GPU: ``id`` as ``CUDA_VISIBLE_DEVICES`` names it (an index or a ``GPU-…`` UUID), memory in MiB."""

    id: str
    name: str
    memory_mib: int
    free_mib: int


def parse_nvidia_smi(text: str, visible: str | None = None) -> list[Accelerator]:
    """The GPUs in ``nvidia-smi --query-gpu=index,uuid,name,memory.total,memory.free --format=csv,noheader,nounits``
    output, restricted to ``visible`` (a ``CUDA_VISIBLE_DEVICES`` value) as CUDA does: entries are indices or
    UUID prefixes, and the list ends at the first entry that names no GPU."""
    gpus = []
    for line in text.strip().splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 5 or not fields[0].isdigit():
            continue
        index, uuid, name, total, free = fields
        try:
            gpus.append((index, uuid, Accelerator(index, name, int(float(total)), int(float(free)))))
        except ValueError:  # "[N/A]" memory, e.g. a GPU in MIG mode: not ours to share out
            continue
    if visible is None:
        return [gpu for _, _, gpu in gpus]
    chosen = []
    for entry in (e.strip() for e in visible.split(",")):
        match = next((g for i, u, g in gpus if entry and (entry == i or u.startswith(entry))), None)
        if match is None:
            break
        chosen.append(Accelerator(entry, match.name, match.memory_mib, match.free_mib))
    return chosen


def visible_accelerators(environ: Mapping[str, str] = os.environ) -> list[Accelerator]:
    """The NVIDIA GPUs this process may use; none where ``nvidia-smi`` is missing or fails."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        done = subprocess.run(
            [smi, f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi(done.stdout, environ.get("CUDA_VISIBLE_DEVICES"))


def trials_per_device(accelerator: Accelerator, footprint_mib: float, cpus: int, devices: int) -> int:
    """How many warm workers share ``accelerator`` by default: as many as fit in its free memory at
    ``footprint_mib`` each, one per CPU core left for that device (one core stays with the sweep), and at most
    :data:`MAX_TRIALS_PER_DEVICE`; at least one."""
    by_memory = int(MEMORY_SHARE * accelerator.free_mib // max(footprint_mib, 1.0))
    by_cores = (cpus - 1) // max(devices, 1)
    return max(1, min(MAX_TRIALS_PER_DEVICE, by_memory, by_cores))


def worker_environments(
    workers: int, accelerators: Sequence[Accelerator], backend: str, environ: Mapping[str, str] = os.environ
) -> list[dict[str, str | None]]:
    """Each worker's environment changes (``None``: unset), worker ``i`` on ``accelerators[i % len]``."""
    if not accelerators:
        return [{} for _ in range(workers)]
    placed = [accelerators[i % len(accelerators)] for i in range(workers)]
    sharing = Counter(gpu.id for gpu in placed)
    environments = []
    for gpu in placed:
        share = f"{MEMORY_SHARE / sharing[gpu.id]:.3f}"
        env: dict[str, str | None] = {
            "CUDA_VISIBLE_DEVICES": gpu.id,
            # The sweep's process hid the GPUs from itself (keep_off_accelerators); its workers get them back.
            "JAX_PLATFORMS": environ.get("JAX_PLATFORMS"),
        }
        if backend == "jax" and not {"XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_PYTHON_CLIENT_PREALLOCATE"} & set(environ):
            env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = share
        elif backend == "tensorflow" and "TF_FORCE_GPU_ALLOW_GROWTH" not in environ:
            env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        elif backend == "torch":
            env["LRSWEEP_TORCH_MEMORY_FRACTION"] = share
        environments.append(env)
    return environments


def apply_environment(changes: Mapping[str, str | None]) -> None:
    """Set (or unset) environment variables in this process before any backend touches a device."""
    for key, value in changes.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    if "JAX_PLATFORMS" in changes and "jax" in sys.modules:  # jax reads it at import: tell its config too
        import jax

        jax.config.update("jax_platforms", changes["JAX_PLATFORMS"])
    fraction = changes.get("LRSWEEP_TORCH_MEMORY_FRACTION")  # set for the torch backend only
    if fraction is not None:
        import torch

        if torch.cuda.is_available():
            torch.cuda.set_per_process_memory_fraction(float(fraction))


def keep_off_accelerators() -> None:
    """Hide the GPUs from this process (its workers use them)."""
    apply_environment({"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"})
