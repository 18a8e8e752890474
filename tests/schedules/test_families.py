"""Contract tests run against every schedule family in the registry, and each family against Keras."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from lrsweep import ConfigError, TraceUnavailableError
from lrsweep._paths import config_dir
from lrsweep.schedules import FAMILIES, EpochSchedule, MetricSchedule, StepSchedule, from_config, lr_trace

KS = keras.optimizers.schedules


def keras_values(schedule: keras.optimizers.schedules.LearningRateSchedule, n: int) -> np.ndarray:
    """Keras' own class called one step at a time, as the optimizer calls it."""
    return np.array([float(keras.ops.convert_to_numpy(schedule(step))) for step in range(n)], dtype=np.float32)


# --------------------------------------------------------------------------------------------- every family


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_has_a_preset_that_composes_and_builds(family, compose_config):
    """A preset file in conf/schedule/, or the family's schema when it gives every value."""
    config = compose_config(f"schedule={family}")
    params = from_config(config.schedule)
    assert params.family_name() == family
    built = params.build(total_steps=100)
    if isinstance(params, StepSchedule):
        assert isinstance(built.learning_rate, KS.LearningRateSchedule)
        assert built.callbacks == ()
    else:
        assert built.learning_rate == pytest.approx(config.schedule.initial_learning_rate)
        assert len(built.callbacks) == 1


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_family_documents_its_keras_object_and_formula(family):
    cls = FAMILIES[family]
    assert cls.kind in ("step", "epoch", "metric")
    assert cls.keras_object.startswith(("keras.", "lrsweep."))
    assert cls.formula


@pytest.mark.parametrize("family", sorted(f for f, c in FAMILIES.items() if c.kind != "metric"))
def test_trace_has_one_float32_value_per_step(family, compose_config):
    trace = lr_trace(compose_config(f"schedule={family}").schedule, steps_per_epoch=7, epochs=3)
    assert trace.dtype == np.float32
    assert trace.shape == (21,)
    assert np.all(np.isfinite(trace)) and np.all(trace >= 0)


def test_metric_driven_family_has_no_a_priori_trace(compose_config):
    with pytest.raises(TraceUnavailableError, match="no a-priori trace"):
        lr_trace(compose_config("schedule=reduce_on_plateau").schedule, 10, 2)


@pytest.mark.parametrize("family", sorted(f for f, c in FAMILIES.items() if c.kind == "step"))
def test_step_families_serialize_and_deserialize(family, compose_config):
    params = from_config(compose_config(f"schedule={family}").schedule)
    schedule = params.build(500).keras_schedule
    again = KS.deserialize(KS.serialize(schedule))
    assert type(again) is type(schedule)
    assert again.get_config() == schedule.get_config()
    np.testing.assert_allclose(lr_trace(params, 50, 10), keras_values(again, 500), rtol=2e-6, atol=1e-9)


# ----------------------------------------------------------------------------- step-wise against Keras' classes

STEP_CASES = [
    (
        "exponential_decay",
        KS.ExponentialDecay,
        dict(initial_learning_rate=0.001, decay_steps=500, decay_rate=0.98, staircase=True),
    ),
    (
        "exponential_decay",
        KS.ExponentialDecay,
        dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.5, staircase=False),
    ),
    (
        "exponential_decay",
        KS.ExponentialDecay,
        dict(initial_learning_rate=0.05, decay_steps=3, decay_rate=0.9, staircase=True),
    ),
    (
        "piecewise_constant",
        KS.PiecewiseConstantDecay,
        dict(boundaries=[1000, 2000, 3000], values=[0.003, 0.002, 0.001, 0.0001]),
    ),
    ("piecewise_constant", KS.PiecewiseConstantDecay, dict(boundaries=[0, 5], values=[0.3, 0.2, 0.1])),
    (
        "polynomial_decay",
        KS.PolynomialDecay,
        dict(initial_learning_rate=0.003, decay_steps=5000, end_learning_rate=0.001, power=1.5, cycle=False),
    ),
    (
        "polynomial_decay",
        KS.PolynomialDecay,
        dict(initial_learning_rate=0.01, decay_steps=40, end_learning_rate=0.0, power=0.5, cycle=True),
    ),
    (
        "polynomial_decay",
        KS.PolynomialDecay,
        dict(initial_learning_rate=0.01, decay_steps=40, end_learning_rate=0.001, power=2.0, cycle=False),
    ),
    (
        "inverse_time_decay",
        KS.InverseTimeDecay,
        dict(initial_learning_rate=0.003, decay_steps=100, decay_rate=0.5, staircase=False),
    ),
    (
        "inverse_time_decay",
        KS.InverseTimeDecay,
        dict(initial_learning_rate=0.003, decay_steps=25, decay_rate=2.0, staircase=True),
    ),
    (
        "cosine_decay",
        KS.CosineDecay,
        dict(initial_learning_rate=0.01, decay_steps=150, alpha=0.0, warmup_target=None, warmup_steps=0),
    ),
    (
        "cosine_decay",
        KS.CosineDecay,
        dict(initial_learning_rate=0.001, decay_steps=100, alpha=0.1, warmup_target=0.01, warmup_steps=50),
    ),
    (
        "cosine_decay",
        KS.CosineDecay,
        dict(initial_learning_rate=0.002, decay_steps=60, alpha=0.05, warmup_target=0.02, warmup_steps=1),
    ),
    (
        "cosine_decay_restarts",
        KS.CosineDecayRestarts,
        dict(initial_learning_rate=0.003, first_decay_steps=30, t_mul=2.0, m_mul=1.0, alpha=0.0),
    ),
    (
        "cosine_decay_restarts",
        KS.CosineDecayRestarts,
        dict(initial_learning_rate=0.01, first_decay_steps=17, t_mul=1.0, m_mul=0.5, alpha=0.1),
    ),
]


@pytest.mark.parametrize(("family", "keras_class", "arguments"), STEP_CASES)
def test_step_trace_equals_keras_schedule(family, keras_class, arguments):
    params = from_config({"family": family, **arguments})
    steps_per_epoch, epochs = 50, 4
    trace = lr_trace(params, steps_per_epoch, epochs)
    expected = keras_values(keras_class(**arguments), steps_per_epoch * epochs)
    np.testing.assert_allclose(trace, expected, rtol=2e-6, atol=1e-9)


def test_exponential_decay_closed_form_with_staircase():
    trace = lr_trace(
        {
            "family": "exponential_decay",
            "initial_learning_rate": 0.1,
            "decay_steps": 4,
            "decay_rate": 0.5,
            "staircase": True,
        },
        6,
        2,
    )
    expected = [0.1 * 0.5 ** (step // 4) for step in range(12)]
    np.testing.assert_allclose(trace, expected, rtol=1e-6)


def test_piecewise_boundary_belongs_to_the_earlier_value():
    trace = lr_trace({"family": "piecewise_constant", "boundaries": [2, 4], "values": [3.0, 2.0, 1.0]}, 3, 2)
    np.testing.assert_array_equal(trace, [3, 3, 3, 2, 2, 1])


def test_polynomial_cycle_restarts_the_decay():
    arguments = dict(initial_learning_rate=1.0, decay_steps=4, end_learning_rate=0.0, power=1.0, cycle=True)
    trace = lr_trace({"family": "polynomial_decay", **arguments}, 10, 1)
    # decay_steps grows to the next multiple of 4 above the step: 1 - step / (4 * ceil(step / 4))
    expected = [1.0] + [1 - s / (4 * math.ceil(s / 4)) for s in range(1, 10)]
    np.testing.assert_allclose(trace, expected, atol=1e-6)


def test_cosine_warmup_is_linear_then_cosine():
    arguments = dict(initial_learning_rate=0.0001, decay_steps=10, alpha=0.0, warmup_target=0.01, warmup_steps=5)
    trace = lr_trace({"family": "cosine_decay", **arguments}, 20, 1)
    np.testing.assert_allclose(trace[:6], np.linspace(0.0001, 0.01, 6), rtol=1e-5)
    np.testing.assert_allclose(trace[5 + 5], 0.005, rtol=1e-5)  # half way down the cosine
    assert trace[-1] == pytest.approx(0.0, abs=1e-9)


def test_inverse_time_with_decay_steps_1_reproduces_keras2_optimizer_decay():
    """The tutorial's ``SGD(learning_rate=lr, decay=lr/epochs)``: lr / (1 + decay * step) at each step."""
    lr, epochs = 0.001, 5
    decay = lr / epochs
    trace = lr_trace(
        {
            "family": "inverse_time_decay",
            "initial_learning_rate": lr,
            "decay_steps": 1,
            "decay_rate": decay,
            "staircase": False,
        },
        steps_per_epoch=938,
        epochs=epochs,
    )
    steps = np.arange(938 * epochs)
    np.testing.assert_allclose(trace, lr / (1 + decay * steps), rtol=1e-6)


# --------------------------------------------------------------------------------------- epoch-wise, closed form

EPOCH_CASES = [
    ({"family": "constant", "initial_learning_rate": 0.001}, lambda e: 0.001),
    (
        {"family": "step_decay", "initial_learning_rate": 0.01, "factor": 0.5, "drop_every": 2},
        lambda e: 0.01 * 0.5 ** (e // 2),
    ),
    ({"family": "step_decay", "initial_learning_rate": 0.01, "factor": 0.1, "drop_every": 1}, lambda e: 0.01 * 0.1**e),
    ({"family": "exponential_epoch", "initial_learning_rate": 0.01, "rate": 0.95}, lambda e: 0.01 * 0.95**e),
    ({"family": "time_based", "initial_learning_rate": 0.01, "decay": 0.1}, lambda e: 0.01 / (1 + 0.1 * e)),
    ({"family": "time_based", "initial_learning_rate": 0.01, "decay": 0.0}, lambda e: 0.01),
    (
        {"family": "custom", "initial_learning_rate": 0.001, "function": "lrsweep.schedules.functions.divide_by_three"},
        lambda e: 0.001 / 3 ** (e + 1),
    ),
    (
        {
            "family": "custom",
            "initial_learning_rate": 0.001,
            "function": "lrsweep.schedules.functions.step_decay",
            "kwargs": {"initial_learning_rate": 0.02, "factor": 0.5, "drop_every": 3},
        },
        lambda e: 0.02 * 0.5 ** (e // 3),
    ),
]


@pytest.mark.parametrize(("config", "formula"), EPOCH_CASES)
def test_epoch_trace_holds_the_closed_form_over_each_epoch(config, formula):
    steps_per_epoch, epochs = 4, 7
    trace = lr_trace(config, steps_per_epoch, epochs)
    expected = np.repeat([formula(epoch) for epoch in range(epochs)], steps_per_epoch)
    np.testing.assert_allclose(trace, expected, rtol=1e-6)


@pytest.mark.parametrize(("config", "formula"), EPOCH_CASES[:3])
def test_epoch_families_are_keras_learning_rate_schedulers(config, formula):
    built = from_config(config).build(10)
    (callback,) = built.callbacks
    assert isinstance(callback, keras.callbacks.LearningRateScheduler)
    assert [callback.schedule(epoch, built.learning_rate) for epoch in range(3)] == pytest.approx(
        [formula(epoch) for epoch in range(3)]
    )


def test_reduce_on_plateau_builds_keras_callback_with_its_arguments():
    built = from_config(
        {"family": "reduce_on_plateau", "initial_learning_rate": 0.01, "factor": 0.2, "patience": 3, "min_lr": 1e-5}
    ).build(10)
    (callback,) = built.callbacks
    assert isinstance(callback, keras.callbacks.ReduceLROnPlateau)
    assert (callback.factor, callback.patience, callback.min_lr, callback.monitor) == (0.2, 3, 1e-5, "val_loss")
    assert built.learning_rate == 0.01


def test_kinds_match_their_base_classes():
    for cls in FAMILIES.values():
        base = {"step": StepSchedule, "epoch": EpochSchedule, "metric": MetricSchedule}[cls.kind]
        assert issubclass(cls, base)


# ------------------------------------------------------------------------------------------------- bad input

BAD = [
    (
        {"family": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5},
        "`decay_steps` must be > 0. Received: decay_steps=0",
    ),
    (
        {"family": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.0},
        "`decay_rate` must be > 0. Received: decay_rate=0.0",
    ),
    (
        {"family": "exponential_decay", "initial_learning_rate": -1.0, "decay_steps": 10, "decay_rate": 0.5},
        "`initial_learning_rate` must be > 0. Received: initial_learning_rate=-1.0",
    ),
    (
        {"family": "inverse_time_decay", "initial_learning_rate": 0.1, "decay_steps": -5, "decay_rate": 0.5},
        "`decay_steps` must be > 0. Received: decay_steps=-5",
    ),
    (
        {"family": "inverse_time_decay", "initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": -0.5},
        "`decay_rate` must be > 0. Received: decay_rate=-0.5",
    ),
    (
        {"family": "polynomial_decay", "initial_learning_rate": 0.1, "decay_steps": 0},
        "`decay_steps` must be > 0. Received: decay_steps=0",
    ),
    (
        {"family": "piecewise_constant", "boundaries": [100, 100], "values": [0.3, 0.2, 0.1]},
        "`boundaries` must be strictly increasing. Received: boundaries=[100, 100]",
    ),
    (
        {"family": "piecewise_constant", "boundaries": [200, 100], "values": [0.3, 0.2, 0.1]},
        "`boundaries` must be strictly increasing. Received: boundaries=[200, 100]",
    ),
    (
        {"family": "piecewise_constant", "boundaries": [100, 200], "values": [0.3, 0.2]},
        "`values` must be a list of 3 values (one more than boundaries). Received: values=[0.3, 0.2]",
    ),
    (
        {"family": "cosine_decay", "initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 1.5},
        "`alpha` must be in [0.0, 1.0]. Received: alpha=1.5",
    ),
    (
        {"family": "cosine_decay", "initial_learning_rate": 0.1, "decay_steps": 10, "warmup_steps": 5},
        "`warmup_target` must be set when warmup_steps > 0",
    ),
    (
        {"family": "cosine_decay_restarts", "initial_learning_rate": 0.1, "first_decay_steps": 0},
        "`first_decay_steps` must be > 0. Received: first_decay_steps=0",
    ),
    (
        {"family": "step_decay", "initial_learning_rate": 0.1, "factor": 0.5, "drop_every": 0},
        "`drop_every` must be >= 1. Received: drop_every=0",
    ),
    (
        {"family": "custom", "initial_learning_rate": 0.1, "function": "no_such_module.halve"},
        "`function` must be the dotted path of an importable `(epoch, lr) -> lr` function",
    ),
    (
        {"family": "custom", "initial_learning_rate": 0.1, "function": "lrsweep.schedules.functions.nope"},
        "Received: function='lrsweep.schedules.functions.nope'",
    ),
    (
        {"family": "reduce_on_plateau", "initial_learning_rate": 0.1, "factor": 1.0},
        "`factor` must be in (0.0, 1.0). Received: factor=1.0",
    ),
    (
        {"family": "one_cycle", "max_learning_rate": 0.1, "pct_start": 1.0},
        "`pct_start` must be in (0.0, 1.0). Received: pct_start=1.0",
    ),
    (
        {"family": "cyclical", "initial_learning_rate": 0.01, "maximal_learning_rate": 0.001, "step_size": 10},
        "`maximal_learning_rate` must be > initial_learning_rate (0.01). Received: maximal_learning_rate=0.001",
    ),
    (
        {
            "family": "cyclical",
            "initial_learning_rate": 0.001,
            "maximal_learning_rate": 0.01,
            "step_size": 10,
            "mode": "sine",
        },
        "`mode` must be one of ['triangular', 'triangular2', 'exp_range']. Received: mode='sine'",
    ),
    ({"family": "no_such_family"}, "`family` must be one of ['constant', 'cosine_decay'"),
    ({"initial_learning_rate": 0.1}, "`family` must be one of"),
    (
        {"family": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 10},
        "`decay_rate` must be set: exponential_decay has no default for it",
    ),
    (
        {
            "family": "exponential_decay",
            "initial_learning_rate": 0.1,
            "decay_steps": 10,
            "decay_rate": 0.5,
            "decay_rat": 0.5,
        },
        "`decay_rat` must be a parameter of exponential_decay",
    ),
]


@pytest.mark.parametrize(("config", "message"), BAD)
def test_invalid_parameters_name_the_field_and_value(config, message):
    with pytest.raises(ConfigError) as caught:
        from_config(config)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_error_under_a_prefix_names_the_full_config_path():
    with pytest.raises(ConfigError) as caught:
        from_config({"family": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 1})
    assert str(caught.value.under("schedule")) == (
        "`schedule.decay_steps` must be > 0. Received: schedule.decay_steps=0"
    )


def test_family_field_must_match_the_parameter_class():
    with pytest.raises(ConfigError, match="`family` must be 'exponential_decay' for this preset"):
        FAMILIES["exponential_decay"](family="cosine_decay", initial_learning_rate=0.1, decay_steps=1, decay_rate=1)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_no_number_of_any_family_may_be_infinite_or_nan(family, compose_config):
    from omegaconf import OmegaConf

    preset = OmegaConf.to_container(compose_config(f"schedule={family}").schedule, resolve=True)
    if family == "cosine_decay":
        preset["warmup_target"] = 0.01  # a float field whose preset is null
    numbers = [k for k, v in preset.items() if isinstance(v, float) or (isinstance(v, list) and v)]
    assert numbers, f"{family} has no numeric parameter to check"
    for key in numbers:
        for bad in (math.inf, -math.inf, math.nan):
            value = [*preset[key][:-1], bad] if isinstance(preset[key], list) else bad
            with pytest.raises(ConfigError, match=rf"`{key}` must be a (list of )?finite number"):
                from_config({**preset, key: value})


def test_a_custom_function_must_take_epoch_and_lr_with_its_kwargs():
    base = {"family": "custom", "initial_learning_rate": 0.01}
    with pytest.raises(ConfigError, match=r"`function` must be a function Keras can call as function\(epoch, lr\)"):
        from_config({**base, "function": "os.system"})
    with pytest.raises(ConfigError, match=r"function\(epoch, lr, factor=\.\.\.\) \(it says: .*'factor'"):
        from_config({**base, "function": "lrsweep.schedules.functions.divide_by_three", "kwargs": {"factor": 2}})
    bound = {"initial_learning_rate": 0.1, "factor": 0.5, "drop_every": 2}
    assert from_config({**base, "function": "lrsweep.schedules.functions.step_decay", "kwargs": bound})


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_preset_states_only_what_differs_from_its_schema(family):
    """Each default lives once: in the schema (the Keras constructor's defaults), or in the preset where it differs."""
    import dataclasses

    import yaml

    file = config_dir() / "schedule" / f"{family}.yaml"
    if not file.exists():  # the schema is the preset (lrsweep.config registers it)
        return
    preset = yaml.safe_load(file.read_text())
    defaults = {
        f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
        for f in dataclasses.fields(FAMILIES[family])
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    }
    restated = {k: v for k, v in preset.items() if k != "defaults" and k in defaults and defaults[k] == v}
    assert restated == {}, f"conf/schedule/{family}.yaml restates its schema's defaults"
