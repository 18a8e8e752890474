"""Facts about the Keras backend in use; the one place that touches backend-specific modules."""

from __future__ import annotations

__all__ = ["backend_name", "device_description"]


def backend_name() -> str:
    import keras

    return str(keras.backend.backend())


def device_description() -> str:
    """The accelerator trials run on, e.g. ``gpu:NVIDIA H100 80GB HBM3``, or ``cpu``."""
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
