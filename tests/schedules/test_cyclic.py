"""lrsweep's own Keras schedules against their closed forms, and through Keras serialization."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from lrsweep import ConfigError
from lrsweep.schedules import Cyclical, OneCycle, lr_trace

KS = keras.optimizers.schedules


def values(schedule, n):
    return np.asarray(keras.ops.convert_to_numpy(schedule(np.arange(n))), dtype=np.float64)


def one_cycle_reference(step, peak, total, pct, div, final_div, anneal):
    start, end, up = peak / div, peak / div / final_div, pct * total

    def interp(a, b, f):
        f = min(max(f, 0.0), 1.0)
        return b + (a - b) * 0.5 * (1 + math.cos(math.pi * f)) if anneal == "cos" else a + (b - a) * f

    return interp(start, peak, step / up) if step < up else interp(peak, end, (step - up) / (total - up))


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize(("total", "pct"), [(100, 0.3), (37, 0.5), (10, 0.1)])
def test_one_cycle_matches_closed_form(anneal, total, pct):
    schedule = OneCycle(0.02, total_steps=total, pct_start=pct, div_factor=20.0, final_div_factor=100.0, anneal=anneal)
    n = total + 10  # beyond total_steps it holds the final value
    expected = [one_cycle_reference(s, 0.02, total, pct, 20.0, 100.0, anneal) for s in range(n)]
    np.testing.assert_allclose(values(schedule, n), expected, rtol=1e-5, atol=1e-9)


def test_one_cycle_peaks_at_the_end_of_warmup_and_ends_at_min():
    v = values(OneCycle(0.01, total_steps=1000), 1001)
    assert v.argmax() == 300
    assert v[0] == pytest.approx(0.01 / 25, rel=1e-6)
    assert v[-1] == pytest.approx(0.01 / 25 / 1e4, rel=1e-4)


def cyclical_reference(step, low, high, size, mode, gamma):
    cycle = math.floor(1 + step / (2 * size))
    x = abs(step / size - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": gamma**step}[mode]
    return low + (high - low) * max(0.0, 1 - x) * scale


@pytest.mark.parametrize(("mode", "gamma"), [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.99)])
def test_cyclical_matches_closed_form(mode, gamma):
    schedule = Cyclical(0.001, 0.006, step_size=20, mode=mode, gamma=gamma)
    expected = [cyclical_reference(s, 0.001, 0.006, 20, mode, gamma) for s in range(130)]
    np.testing.assert_allclose(values(schedule, 130), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "schedule",
    [OneCycle(0.05, 300, pct_start=0.25, anneal="linear"), Cyclical(0.001, 0.01, 25, mode="exp_range", gamma=0.9)],
)
def test_get_config_round_trips_and_serialize_is_registered(schedule):
    assert type(schedule).from_config(schedule.get_config()).get_config() == schedule.get_config()
    serialized = KS.serialize(schedule)
    assert serialized["registered_name"] == f"lrsweep>{type(schedule).__name__}"
    again = KS.deserialize(serialized)
    np.testing.assert_array_equal(values(again, 400), values(schedule, 400))


def test_trains_inside_a_compiled_optimizer_step():
    """The schedule runs in the backend's compiled train step: the optimizer applies its values."""
    schedule = Cyclical(0.001, 0.005, step_size=2)
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    variable = keras.Variable(np.zeros(1, dtype="float32"))
    applied = []
    for _ in range(6):
        applied.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))
        optimizer.apply_gradients([(keras.ops.ones(1), variable)])
    np.testing.assert_allclose(applied, values(schedule, 6), rtol=1e-6)
    assert float(keras.ops.convert_to_numpy(variable)[0]) == pytest.approx(-sum(applied), rel=1e-5)


def test_one_cycle_family_uses_the_run_length_when_total_steps_is_null():
    trace = lr_trace({"family": "one_cycle", "max_learning_rate": 0.01, "total_steps": None}, 10, 10)
    assert trace.argmax() == 30
    fixed = lr_trace({"family": "one_cycle", "max_learning_rate": 0.01, "total_steps": 50}, 10, 10)
    assert fixed.argmax() == 15


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: OneCycle(0.0, 100), "`max_learning_rate` must be > 0"),
        (lambda: OneCycle(0.1, 0), "`total_steps` must be > 0"),
        (lambda: OneCycle(0.1, 100, anneal="exp"), "`anneal` must be one of ['cos', 'linear']"),
        (lambda: OneCycle(0.1, 100, div_factor=0.5), "`div_factor` must be >= 1.0"),
        (lambda: Cyclical(0.01, 0.01, 10), "`maximal_learning_rate` must be > initial_learning_rate"),
        (lambda: Cyclical(0.001, 0.01, 0), "`step_size` must be > 0"),
        (lambda: Cyclical(0.001, 0.01, 10, gamma=0.0), "`gamma` must be in (0.0, 1.0]"),
    ],
)
def test_invalid_arguments(build, message):
    with pytest.raises(ConfigError) as caught:
        build()
    assert message in str(caught.value)
