"""``use_schedule.py``: the Python module an export writes beside ``schedule.json``, to train any model with it.

The module is complete: ``from use_schedule import fit; fit(model, x, y)`` compiles the user's model with the
trial's optimizer, loss and metrics and trains it under the exported schedule, with the trial's batch size and
epochs unless told otherwise. It imports only Keras and, for lrsweep's own schedule classes or epoch
functions, the lrsweep module that defines (and so registers) them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrialSetup", "snippet"]


@dataclass(frozen=True)
class TrialSetup:
    """How the trial compiled and fit its model: what the snippet repeats on the user's model."""

    study: str
    number: int
    family: str
    objective: str
    value: float
    optimizer: Mapping[str, Any] = field(default_factory=lambda: {"_target_": "keras.optimizers.SGD"})
    loss: Any = "sparse_categorical_crossentropy"
    metrics: Sequence[Any] = ("accuracy",)
    batch_size: int | None = None
    epochs: int | None = None
    steps_per_epoch: int | None = None
    retrain: str | None = None  # the lrsweep command that retrains the trial


def _literal(value: Any) -> str:
    """Python source for a JSON-like value, strings in double quotes as ruff formats them."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_literal(str(k))}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def _import_of(dotted: str) -> tuple[str, str]:
    """``("from a.b import C", "C")`` for ``a.b.C``; Keras names are used through ``keras.`` as they are."""
    if dotted.startswith("keras."):
        return "", dotted
    module, _, name = dotted.rpartition(".")
    return f"from {module} import {name}", name


def _object(node: Any, imports: list[str]) -> str:
    """Source for a loss or metric: a Keras name as it is, a ``_target_`` node as a constructor call."""
    if isinstance(node, Mapping) and "_target_" in node:
        imported, name = _import_of(str(node["_target_"]))
        imports += [imported] if imported else []
        arguments = ", ".join(f"{k}={_literal(v)}" for k, v in node.items() if k != "_target_")
        return f"{name}({arguments})"
    return _literal(node)


def _optimizer_call(optimizer: Mapping[str, Any], learning_rate: str) -> tuple[str, str]:
    target = str(optimizer.get("_target_", "keras.optimizers.SGD"))
    imported, name = _import_of(target)
    # `name` is lrsweep's label of the option (sgd, adam), not a training argument.
    arguments = [f"learning_rate={learning_rate}"]
    arguments += [f"{k}={_literal(v)}" for k, v in optimizer.items() if k not in ("_target_", "name")]
    return imported, f"{name}({', '.join(arguments)})"


def _fit_defaults(setup: TrialSetup) -> str:
    defaults = {"batch_size": setup.batch_size, "epochs": setup.epochs}
    return ", ".join(f"{_literal(k)}: {v}" for k, v in defaults.items() if v is not None)


def _docstring(setup: TrialSetup, serialized: Mapping[str, Any]) -> list[str]:
    notes = []
    if setup.steps_per_epoch and setup.epochs:
        total = setup.steps_per_epoch * setup.epochs
        notes.append(f"The trial ran {setup.epochs} epochs of {setup.steps_per_epoch} steps ({total} optimizer steps).")
    if serialized.get("class_name") == "keras.callbacks.ReduceLROnPlateau":
        notes.append("ReduceLROnPlateau watches a validation metric: pass validation_data.")
    if setup.retrain:
        notes += [
            "",
            "The trial itself (its model, data, optimizer and trainer) retrains with:",
            f"    {setup.retrain}",
        ]
    return [
        '"""Train a Keras model under the exported schedule, compiled and fit as the trial was.',
        "",
        "    from use_schedule import fit          # where use_schedule.py and schedule.json are",
        "    history = fit(model, x, y, validation_data=(x_val, y_val))",
        "",
        "fit() compiles `model` with the trial's optimizer, loss and metrics and calls model.fit with the trial's",
        "batch size and epochs; keyword arguments override them.",
        *notes,
        '"""',
    ]


def snippet(serialized: Mapping[str, Any], setup: TrialSetup) -> str:
    """The source of ``use_schedule.py`` for a schedule serialized by :func:`serialize_schedule`."""
    header = (
        f"# Exported by lrsweep: study '{setup.study}', trial {setup.number} ({setup.family}), "
        f"{setup.objective} = {setup.value:.4f}"
    )
    name = serialized.get("class_name", "")
    stdlib, local = ["import json", "from pathlib import Path"], []
    spec = 'json.loads(Path(__file__).with_name("schedule.json").read_text())'
    body: list[str] = []
    callbacks = "[*callbacks]"
    if name == "keras.callbacks.LearningRateScheduler":
        imported, function = _import_of(str(serialized["function"]))
        stdlib.insert(0, "import functools")
        local.append(imported)
        body = [
            f"spec = {spec}",
            f'function = functools.partial({function}, **spec["kwargs"])  # (epoch, lr) -> lr, at each epoch start',
        ]
        learning_rate = 'spec["initial_learning_rate"]'
        callbacks = "[keras.callbacks.LearningRateScheduler(function), *callbacks]"
    elif name == "keras.callbacks.ReduceLROnPlateau":
        body = [f"spec = {spec}"]
        learning_rate = 'spec["initial_learning_rate"]'
        callbacks = '[keras.callbacks.ReduceLROnPlateau(**spec["config"]), *callbacks]'
    else:
        module = str(serialized.get("module", "keras"))
        if not module.startswith("keras"):  # lrsweep's own class: importing it registers it for deserialize
            public = module.split("._")[0] if module.startswith("lrsweep.") else module
            local.append(f"from {public} import {name}  # noqa: F401  (registers {name} with Keras)")
        body = [f"schedule = keras.optimizers.schedules.deserialize({spec})"]
        learning_rate = "schedule"
    imported, optimizer = _optimizer_call(setup.optimizer, learning_rate)
    local += [imported] if imported else []
    loss = _object(setup.loss, local)
    metrics = "[" + ", ".join(_object(m, local) for m in setup.metrics) + "]"
    local = list(dict.fromkeys(x for x in local if x))
    imports = "\n\n".join("\n".join(group) for group in (stdlib, ["import keras"], local) if group)
    lines = [
        header,
        *_docstring(setup, serialized),
        "",
        imports,
        "",
        *body,
        "",
        "",
        "def fit(model, x, y=None, callbacks=(), **kwargs):",
        f"    optimizer = {optimizer}",
        f"    model.compile(optimizer=optimizer, loss={loss}, metrics={metrics})",
        f"    kwargs = {{{_fit_defaults(setup)}, **kwargs}}",
        f"    return model.fit(x, y, callbacks={callbacks}, **kwargs)",
    ]
    lines += ["", "", *_main(name, learning_rate, setup)]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _main(name: str, learning_rate: str, setup: TrialSetup) -> list[str]:
    """``python use_schedule.py``: the learning rate at the start, middle and end of the trial's run, whatever the
    family (a plateau family's depends on the metrics: its rule is printed instead)."""
    epochs = setup.epochs or 1
    if learning_rate == "schedule":
        total = (setup.steps_per_epoch or 0) * epochs
        steps = sorted({0, total // 2, max(total - 1, 0)})
        return [
            'if __name__ == "__main__":  # the learning rate at the start, middle and end of the run',
            f"    for step in {_literal(steps)}:",
            '        print(f"step {step}: learning rate {float(schedule(step)):.8g}")',
        ]
    if name == "keras.callbacks.ReduceLROnPlateau":
        return [
            'if __name__ == "__main__":  # the learning rate follows the metrics: its rule',
            '    rule, first = spec["config"], spec["initial_learning_rate"]',
            "    print(f\"epoch 0: learning rate {first:.8g}; then x{rule.get('factor')} after \"",
            "          f\"{rule.get('patience')} epoch(s) without improvement of {rule.get('monitor')}\")",
        ]
    shown = sorted({0, epochs // 2, epochs - 1})
    return [
        'if __name__ == "__main__":  # the learning rate at the start, middle and end of the run',
        f"    lr = {learning_rate}",
        f"    for epoch in range({epochs}):  # as LearningRateScheduler calls it, at the start of every epoch",
        "        lr = function(epoch, lr)",
        f"        if epoch in {_literal(shown)}:",
        '            print(f"epoch {epoch}: learning rate {float(lr):.8g}")',
    ]
