"""The hardware floor for the seed CNN: a hand-written JAX epoch (``lax.scan`` over batches, one ``jit``).

Same network as :func:`lrsweep.models.seed_cnn` (Conv2D 32 → Conv2D 16 → Dense, ReLU, softmax), plain SGD at a
fixed learning rate, the data on the device. Only the JAX backend runs it; it bounds what any Keras path can reach.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = ["jax_floor"]


def _init(key: Any, num_classes: int, image: tuple[int, int, int]) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    k1, k2, k3 = jax.random.split(key, 3)
    h, w, c = image

    def glorot(k: Any, shape: tuple[int, ...], fan_in: int, fan_out: int) -> Any:
        limit = np.sqrt(6 / (fan_in + fan_out))
        return jax.random.uniform(k, shape, minval=-limit, maxval=limit)

    return {
        "c1": glorot(k1, (3, 3, c, 32), 9 * c, 9 * 32),
        "b1": jnp.zeros(32),
        "c2": glorot(k2, (3, 3, 32, 16), 9 * 32, 9 * 16),
        "b2": jnp.zeros(16),
        "d": glorot(k3, (h * w * 16, num_classes), h * w * 16, num_classes),
        "bd": jnp.zeros(num_classes),
    }


def _forward(params: dict[str, Any], x: Any) -> Any:
    import jax
    import jax.numpy as jnp

    dims = ("NHWC", "HWIO", "NHWC")
    x = jax.nn.relu(
        jax.lax.conv_general_dilated(x, params["c1"], (1, 1), "SAME", dimension_numbers=dims) + params["b1"]
    )
    x = jax.nn.relu(
        jax.lax.conv_general_dilated(x, params["c2"], (1, 1), "SAME", dimension_numbers=dims) + params["b2"]
    )
    return jnp.reshape(x, (x.shape[0], -1)) @ params["d"] + params["bd"]


def jax_floor(
    x_train: np.ndarray, y_train: np.ndarray, *, batch_size: int, epochs: int, lr: float = 0.01
) -> dict[str, float]:
    """Train ``epochs`` epochs; returns the first epoch's seconds (with compilation) and the steady epoch's."""
    import jax
    import jax.numpy as jnp

    n = (len(x_train) // batch_size) * batch_size
    xs = jnp.asarray(x_train[:n].reshape(-1, batch_size, *x_train.shape[1:]))
    ys = jnp.asarray(y_train[:n].reshape(-1, batch_size))
    params = _init(jax.random.PRNGKey(0), 10, tuple(x_train.shape[1:]))

    def loss(p: dict[str, Any], x: Any, y: Any) -> Any:
        logits = _forward(p, x)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

    @jax.jit
    def epoch(p: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        def step(carry: dict[str, Any], batch: tuple[Any, Any]) -> tuple[dict[str, Any], Any]:
            value, grads = jax.value_and_grad(loss)(carry, *batch)
            return jax.tree_util.tree_map(lambda w, g: w - lr * g, carry, grads), value

        return jax.lax.scan(step, p, (xs, ys))

    seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        params, losses = epoch(params)
        losses.block_until_ready()
        seconds.append(time.perf_counter() - started)
    return {"first_epoch_s": seconds[0], "steady_epoch_s": float(np.median(seconds[1:] or seconds))}
