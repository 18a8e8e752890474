"""Run the LR range test: train the configured model from its seed weights while the LR grows exponentially.

Each optimizer step is one ``model.train_on_batch`` call, which resets the metrics first, so the loss it returns
is that batch's own loss: not the running mean over the epoch that ``fit``'s ``on_train_batch_end`` logs give
(tensorflow#58098, the reason finders built on ``fit`` suggest rates that are too high).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrsweep._errors import ConfigError
from lrsweep.lrfind._curve import DivergenceWatch, Suggestions, exponential_lrs, smooth, suggest

if TYPE_CHECKING:
    from omegaconf import DictConfig

__all__ = ["RangeTest", "check_settings", "range_test", "steps_for"]

_MIN_STEPS, _MAX_STEPS, _PER_DECADE = 100, 300, 15


@dataclass(frozen=True)
class RangeTest:
    """A finished range test: the LR and the true loss of each step it ran, the smoothed loss, the suggestions."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestions: Suggestions
    min_lr: float
    max_lr: float
    num_steps: int
    seconds: float
    optimizer: str

    def summary(self) -> str:
        s = self.suggestions
        end = "diverged" if s.diverged else "reached max_lr"
        return (
            f"usable LR {s.lower:.2e} … {s.upper:.2e} · steepest {s.steepest:.2e}, minimum/10 {s.minimum_tenth:.2e}, "
            f"valley {s.valley:.2e} · {len(self.lrs)} of {self.num_steps} steps ({end}), {self.optimizer}, "
            f"loss {self.losses[0]:.3g} → {float(self.smoothed.min()):.3g}"
        )

    def record(self) -> dict[str, Any]:
        """What a study keeps of it (user attr ``lrsweep.lr_range``)."""
        return {
            **self.suggestions.as_dict(),
            "min_lr": self.min_lr,
            "max_lr": self.max_lr,
            "num_steps": self.num_steps,
            "steps_run": len(self.lrs),
            "seconds": round(self.seconds, 3),
            "optimizer": self.optimizer,
        }

    def csv(self) -> str:
        rows = ["step,lr,loss,smoothed_loss"]
        rows += [
            f"{i},{lr:.8g},{loss:.8g},{sm:.8g}"
            for i, (lr, loss, sm) in enumerate(zip(self.lrs, self.losses, self.smoothed, strict=True))
        ]
        return "\n".join(rows) + "\n"


def check_settings(settings: Any) -> None:
    """``lr_find``'s values, checked before anything trains."""
    if not (isinstance(settings.min_lr, int | float) and math.isfinite(settings.min_lr) and settings.min_lr > 0):
        raise ConfigError("lr_find.min_lr", settings.min_lr, "a finite number > 0")
    if not (math.isfinite(settings.max_lr) and settings.max_lr > settings.min_lr):
        raise ConfigError("lr_find.max_lr", settings.max_lr, f"a finite number > lr_find.min_lr ({settings.min_lr})")
    if settings.num_steps is not None and settings.num_steps < 10:
        raise ConfigError("lr_find.num_steps", settings.num_steps, ">= 10, or null (about one epoch)")
    if not 0.0 <= settings.smoothing < 1.0:
        raise ConfigError("lr_find.smoothing", settings.smoothing, "in [0.0, 1.0)")
    if not (math.isfinite(settings.diverge) and settings.diverge > 1.0):
        raise ConfigError("lr_find.diverge", settings.diverge, "> 1 (times the best smoothed loss)")


def steps_for(settings: Any, steps_per_epoch: int) -> int:
    """``num_steps``, or about one epoch: at least 100 steps (fastai's default) and 15 per decade of LR (enough
    for the robust curve's quarter-decade windows), at most 300."""
    if settings.num_steps is not None:
        return int(settings.num_steps)
    per_decade = math.ceil(_PER_DECADE * math.log10(float(settings.max_lr) / float(settings.min_lr)))
    return min(max(steps_per_epoch, _MIN_STEPS, per_decade), _MAX_STEPS)


def _batches(dataset: Any, batch_size: int, seed: int) -> Iterator[tuple[Any, Any]]:
    """Training batches, forever: arrays reshuffled each pass (from ``seed``), streams iterated again."""
    rng = np.random.default_rng(seed)
    if hasattr(dataset, "x_train"):
        x, y = dataset.x_train, dataset.y_train
        while True:
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch_size):
                index = np.sort(order[start : start + batch_size])
                yield x[index], y[index]
    train = dataset.train
    while True:
        if hasattr(train, "__getitem__") and hasattr(train, "__len__") and not hasattr(train, "element_spec"):
            batches: Any = (train[i] for i in range(len(train)))  # a PyDataset
        else:
            batches = iter(train)
        for batch in batches:
            yield np.asarray(batch[0]), np.asarray(batch[1])


def range_test(config: DictConfig, *, dataset: Any = None) -> RangeTest:
    """Run the range test of ``config.lr_find`` on ``config``'s model, data, optimizer, loss and seed.

    Raises:
        ConfigError: a bad ``lr_find`` value (before any data is loaded).
        CurveError: the loss never fell, so there is no usable range.
    """
    from lrsweep._backend import load_keras
    from lrsweep.training import instantiate, validate
    from lrsweep.training._checks import check_model, check_targets, make_optimizer, resolve_compile

    started = time.perf_counter()  # its whole cost: data, model, compilation and steps
    settings = config.lr_find
    check_settings(settings)
    validate(config)
    trainer = config.trainer
    if dataset is None:  # as a trial: a bad data file is named before the backend loads
        from lrsweep.training._data import trial_data

        dataset = trial_data(config.data, instantiate)
    keras = load_keras()
    compiled = resolve_compile(trainer, instantiate)
    check_targets(dataset, compiled["loss"])
    batch_size, seed = int(trainer.batch_size), int(trainer.seed)
    num_steps = steps_for(settings, dataset.steps_per_epoch(batch_size))
    lrs = exponential_lrs(float(settings.min_lr), float(settings.max_lr), num_steps)

    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)  # the trial's seed weights
    optimizer = make_optimizer(config, float(lrs[0]), instantiate)
    model = instantiate(config.model, "model", input_shape=dataset.input_shape, num_classes=dataset.num_classes)
    check_model(model, dataset, compiled["loss"])
    model.compile(optimizer=optimizer, **compiled)

    beta = float(settings.smoothing)
    warmup = max(5, round(0.5 * (num_steps - 1) / math.log10(lrs[-1] / lrs[0])))  # the first half-decade
    watch = DivergenceWatch(factor=float(settings.diverge), beta=beta, warmup=warmup)
    diverged = False
    for step, (x, y) in zip(range(num_steps), _batches(dataset, batch_size, seed), strict=False):
        model.optimizer.learning_rate.assign(float(lrs[step]))
        if watch.add(float(model.train_on_batch(x, y, return_dict=True)["loss"])):
            diverged = True
            break
    losses = watch.losses
    seconds = time.perf_counter() - started
    ran = lrs[: len(losses)]
    return RangeTest(
        lrs=ran,
        losses=np.asarray(losses),
        smoothed=smooth(losses, beta),
        suggestions=suggest(ran, losses, beta=beta, diverged=diverged),
        min_lr=float(settings.min_lr),
        max_lr=float(settings.max_lr),
        num_steps=num_steps,
        seconds=seconds,
        optimizer=type(optimizer).__name__,
    )
