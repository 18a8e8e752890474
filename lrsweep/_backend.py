"""Facts about the Keras backend in use; the one place that touches backend-specific modules.

:func:`load_keras` imports Keras once per process with the backend's native start-up lines (TensorFlow's absl
and CUDA probing: ``oneDNN custom operations are on``, ``failed call to cuInit`` on a machine without a GPU) sent
to a log file instead of the terminal, so a one-line error is one line on screen. ``$LRSWEEP_BACKEND_LOG`` names
that file (default ``lrsweep-backend.log`` in the temporary folder); ``LRSWEEP_BACKEND_LOG=-`` keeps them on the
terminal. What the block logs through Python (JAX's "Unable to initialize backend 'tpu'") goes there too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["backend_log", "backend_name", "device_description", "load_keras", "native_output_to_log", "peak_memory"]

_loaded = False


def backend_log() -> Path | None:
    """Where the backend's native start-up lines go (``None``: the terminal)."""
    named = os.environ.get("LRSWEEP_BACKEND_LOG")
    if named == "-":
        return None
    return Path(named) if named else Path(tempfile.gettempdir()) / "lrsweep-backend.log"


@contextlib.contextmanager
def _native_output_to(path: Path | None) -> Iterator[None]:
    """File descriptors 1 and 2 (where C++ libraries, and the log handlers of Hydra's job, write) redirected to
    ``path`` for the block."""
    if path is None:
        yield
        return
    try:
        log = open(path, "a")  # noqa: SIM115  (closed below, after the descriptors are restored)
    except OSError:
        yield  # an unwritable log folder: the lines stay on the terminal
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
        log.close()


def native_output_to_log() -> contextlib.AbstractContextManager[None]:
    """A block whose native start-up lines (a user's module importing TensorFlow, say) go to :func:`backend_log`."""
    return _native_output_to(backend_log())


def load_keras() -> Any:
    """``keras``, imported (and its backend's devices probed) with the native start-up lines in
    :func:`backend_log`; later calls return the module at once."""
    global _loaded
    if not _loaded:
        with native_output_to_log():
            import keras

            _probe_devices(str(keras.backend.backend()))
        _loaded = True
    return sys.modules["keras"]


def _probe_devices(backend: str) -> None:
    """Initialise the device runtimes now (CUDA probing prints its lines here, not mid-run): the backend's, and
    TensorFlow's where it is installed, since Keras' data adapters import it whatever the backend."""
    import importlib.util

    try:
        if backend == "jax":
            import jax

            jax.devices()
        if importlib.util.find_spec("tensorflow") is not None:  # Keras' data adapters import it on any backend
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")
    except Exception:  # a runtime that cannot list its devices still trains on the CPU
        pass


def backend_name() -> str:
    return str(load_keras().backend.backend())


def device_description() -> str:
    """The accelerator trials run on, e.g. ``gpu:NVIDIA H100 80GB HBM3``, or ``cpu``; a worker pinned to one GPU
    of several adds its ``CUDA_VISIBLE_DEVICES``, e.g. ``gpu:NVIDIA H100 80GB HBM3 (CUDA_VISIBLE_DEVICES=1)``."""
    import os

    described = _device()
    pinned = os.environ.get("CUDA_VISIBLE_DEVICES")
    return f"{described} (CUDA_VISIBLE_DEVICES={pinned})" if pinned and described.startswith("gpu") else described


def _device() -> str:
    backend = backend_name()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            return "cpu" if device.platform == "cpu" else f"{device.platform}:{device.device_kind}"
        if backend == "torch":
            import torch

            return f"gpu:{torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "cpu"
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return f"gpu:{details.get('device_name', gpus[0].name)}"
    except Exception:  # a backend that cannot describe its device still trains
        return "unknown"
    return "cpu"


def peak_memory() -> dict[str, float]:
    """This process's peak memory in MiB: ``host`` (max RSS) and, on an accelerator, ``device`` (the backend's
    allocator peak: JAX ``peak_bytes_in_use``, TensorFlow ``get_memory_info()['peak']``, torch
    ``max_memory_allocated``)."""
    import resource
    import sys

    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    peak = {"host": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20}
    backend = backend_name()
    try:
        if backend == "jax":
            import jax

            device = jax.local_devices()[0]
            stats = device.memory_stats() if device.platform != "cpu" else None
            if stats:
                peak["device"] = stats.get("peak_bytes_in_use", 0) / 2**20
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                peak["device"] = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                peak["device"] = torch.cuda.max_memory_allocated() / 2**20
    except Exception:  # a backend that cannot tell still trains
        pass
    return peak
