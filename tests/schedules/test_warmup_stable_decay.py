"""warmup_stable_decay against Hugging Face's get_wsd_schedule, written out in plain Python."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrsweep import ConfigError
from lrsweep.schedules import from_config, lr_trace


def hugging_face_wsd(step, *, peak, warmup, stable, decay, shape, min_ratio):
    """transformers.optimization._get_wsd_scheduler_lambda (num_cycles=0.5), times the peak LR."""
    if step < warmup:
        return peak * step / max(1, warmup)
    if step < warmup + stable:
        return peak
    if step < warmup + stable + decay:
        progress = (step - warmup - stable) / max(1, decay)
        value = {"linear": 1.0 - progress, "cosine": 0.5 * (1.0 + math.cos(math.pi * progress))}.get(
            shape, 1.0 - math.sqrt(progress)
        )
        return peak * ((1.0 - min_ratio) * max(0.0, value) + min_ratio)
    return peak * min_ratio


@pytest.mark.parametrize("shape", ["linear", "cosine", "sqrt"])
@pytest.mark.parametrize(("warmup_fraction", "decay_fraction", "min_ratio"), [(0.05, 0.2, 0.0), (0.0, 0.5, 0.1)])
def test_trace_is_hugging_faces_wsd(shape, warmup_fraction, decay_fraction, min_ratio):
    config = {
        "family": "warmup_stable_decay",
        "peak_learning_rate": 0.1,
        "warmup_fraction": warmup_fraction,
        "decay_fraction": decay_fraction,
        "decay_shape": shape,
        "min_ratio": min_ratio,
    }
    trace = lr_trace(config, steps_per_epoch=100, epochs=10)  # total_steps null: the run's 1000 steps
    warmup, decay = round(warmup_fraction * 1000), round(decay_fraction * 1000)
    expected = [
        hugging_face_wsd(
            s, peak=0.1, warmup=warmup, stable=1000 - warmup - decay, decay=decay, shape=shape, min_ratio=min_ratio
        )
        for s in range(1000)
    ]
    np.testing.assert_allclose(trace, expected, rtol=2e-5, atol=1e-8)


def test_the_keras_class_takes_the_same_arguments_and_an_explicit_length():
    from lrsweep.schedules import WarmupStableDecay

    schedule = WarmupStableDecay(peak_learning_rate=0.1, total_steps=100, warmup_fraction=0.1, decay_fraction=0.5)
    assert [round(float(schedule(s)), 6) for s in (0, 5, 10, 50, 75, 100)] == [0.0, 0.05, 0.1, 0.1, 0.029289, 0.0]
    assert schedule.get_config()["total_steps"] == 100


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"peak_learning_rate": 0.0}, "`peak_learning_rate` must be > 0"),
        ({"warmup_fraction": 0.3, "decay_fraction": 0.8}, "`decay_fraction` must be <= 1 - warmup_fraction (0.7)"),
        ({"decay_shape": "step"}, "`decay_shape` must be one of ['linear', 'cosine', 'sqrt']"),
        ({"min_ratio": 1.5}, "`min_ratio` must be in [0.0, 1.0]"),
    ],
)
def test_bad_arguments_name_the_field(changes, message):
    with pytest.raises(ConfigError) as caught:
        from_config({"family": "warmup_stable_decay", **changes})
    assert message in str(caught.value)
