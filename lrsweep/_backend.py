"""Facts about the Keras backend in use; the one place that touches backend-specific modules."""

from __future__ import annotations

__all__ = ["backend_name", "device_description", "peak_memory"]


def backend_name() -> str:
    import keras

    return str(keras.backend.backend())


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
