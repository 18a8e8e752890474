"""One trial the naive way, in a fresh process: import Keras, build, compile, ``model.fit``, exit.

``python -m benchmarks._naive '<json>'`` with the trial's composed ``schedule``, ``optimizer``, ``trainer`` and
``data`` configs; prints one JSON line: the objective, each epoch's seconds, the peak memory. No lrsweep machinery
beyond building the same Keras objects (data loader, model, the family's real Keras schedule or callback).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def main(spec: dict[str, Any]) -> dict[str, Any]:
    import keras

    from lrsweep._backend import peak_memory
    from lrsweep.data import load_fashion_mnist
    from lrsweep.models import seed_cnn
    from lrsweep.schedules import from_config

    trainer, data_config = spec["trainer"], {k: v for k, v in spec["data"].items() if k != "_target_"}
    keras.utils.set_random_seed(int(trainer["seed"]))
    data = load_fashion_mnist(**data_config)
    steps = data.steps_per_epoch(int(trainer["batch_size"]))
    built = from_config(spec["schedule"]).build(steps * int(trainer["epochs"]))
    optimizer_args = {k: v for k, v in spec["optimizer"].items() if k not in ("_target_", "name")}
    optimizer = keras.optimizers.SGD(learning_rate=built.learning_rate, **optimizer_args)
    model = seed_cnn(data.input_shape, data.num_classes)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    seconds: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            seconds.append(time.perf_counter() - self.started)

    history = model.fit(
        data.x_train,
        data.y_train,
        batch_size=int(trainer["batch_size"]),
        epochs=int(trainer["epochs"]),
        validation_data=(data.x_val, data.y_val),
        callbacks=[*built.callbacks, Timer()],
        verbose=0,
    )
    objective = float(history.history[trainer["objective"]][-1])
    return {"objective": objective, "epoch_seconds": seconds, "peak_memory": peak_memory()}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
