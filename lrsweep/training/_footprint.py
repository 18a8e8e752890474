"""How much accelerator memory one warm trial worker needs: the estimate behind ``hydra.sweeper.n_jobs=auto``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig

__all__ = ["CONTEXT_MIB", "footprint_mib"]

#: A process's fixed cost on a GPU: CUDA context, cuDNN/cuBLAS handles and workspaces, the compiled programs.
CONTEXT_MIB = 600.0
_FLOAT = 4  # bytes: float32 weights, activations and images


def footprint_mib(config: DictConfig | Mapping[str, Any], dataset: Any = None) -> float:
    """A generous estimate of the device memory (MiB) one worker training ``config`` needs.

    :data:`CONTEXT_MIB`, plus the training and validation images, plus four copies of the weights (weights,
    gradients and two optimizer slots), plus one batch's layer outputs three times over (kept for the backward
    pass, their gradients, temporaries). The model is built once on the host to count them.
    """
    from lrsweep._backend import load_keras
    from lrsweep.training._instantiate import instantiate
    from lrsweep.training._prepared import as_config

    keras = load_keras()

    config = as_config(config)
    if dataset is None:
        from lrsweep.training._data import trial_data

        dataset = trial_data(config.data, instantiate)
    model = instantiate(config.model, "model", input_shape=dataset.input_shape, num_classes=dataset.num_classes)
    outputs = sum(
        math.prod(int(d) for d in output.shape[1:] if d is not None)
        for layer in model.layers
        for output in keras.tree.flatten(layer.output)
    )
    arrays = [getattr(dataset, key, None) for key in ("x_train", "y_train", "x_val", "y_val")]
    images = sum(int(a.nbytes) for a in arrays if a is not None)  # batches streamed from the host: none held
    weights = 4 * model.count_params() * _FLOAT
    activations = 3 * int(config.trainer.batch_size) * outputs * _FLOAT
    return CONTEXT_MIB + (images + weights + activations) / 2**20
