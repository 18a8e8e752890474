"""The params grammar: every construct, the same value set whatever the sampler, clear errors."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from lrsweep import ConfigError
from lrsweep.sweep.space._grammar import Structured, grid_values, parse_expression, parse_space
from lrsweep.sweep.space._sample import sample


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("interval(0.5, 0.99)", FloatDistribution(0.5, 0.99)),
        ("interval(1, 10)", FloatDistribution(1.0, 10.0)),  # Hydra's interval is float unless cast
        ("int(interval(1, 10))", IntDistribution(1, 10)),
        ("tag(log, interval(1e-4, 1e-1))", FloatDistribution(1e-4, 1e-1, log=True)),
        ("int(tag(log, interval(10, 1000)))", IntDistribution(10, 1000, log=True)),
        ("range(1, 10, 3)", IntDistribution(1, 7, step=3)),
        ("range(1, 10)", IntDistribution(1, 9, step=1)),
        ("range(0.5, 2.0, 0.5)", FloatDistribution(0.5, 1.5, step=0.5)),
        ("choice(true, false)", CategoricalDistribution((True, False))),
        ("choice(cos, linear)", CategoricalDistribution(("cos", "linear"))),
        ("choice(1, 2.5, abc)", CategoricalDistribution((1, 2.5, "abc"))),
    ],
)
def test_each_construct_maps_to_an_optuna_distribution(expression, expected):
    assert parse_expression("k", expression) == expected


def test_non_sweep_values_are_fixed_overrides():
    space = parse_space(
        {
            "trainer.epochs": 3,
            "schedule.staircase": True,
            "optimizer.name": "sgd",
            "schedule.decay_rate": "interval(0.5, 0.9)",
        }
    )
    assert space.fixed == {"trainer.epochs": "3", "schedule.staircase": "true", "optimizer.name": "sgd"}
    assert list(space.params) == ["schedule.decay_rate"]


@pytest.mark.parametrize(
    ("expression", "values"),
    [("range(1, 10, 3)", {1, 4, 7}), ("range(0.5, 2.0, 0.5)", {0.5, 1.0, 1.5}), ("choice(2, 4, 8)", {2, 4, 8})],
)
def test_every_sampler_draws_from_the_same_value_set(expression, values):
    """range excludes its end (as Python's and Hydra's do) for the grid sampler and every other sampler alike."""
    distribution = parse_expression("x", expression)
    allowed = set(grid_values("x", distribution))
    assert allowed == values
    samplers = {
        "tpe": optuna.samplers.TPESampler(seed=0, n_startup_trials=3),
        "random": optuna.samplers.RandomSampler(seed=0),
        "qmc": optuna.samplers.QMCSampler(seed=0, warn_independent_sampling=False),
        "grid": optuna.samplers.GridSampler({"x": sorted(allowed)}, seed=0),
    }
    for name, sampler in samplers.items():
        study = optuna.create_study(sampler=sampler)
        drawn = set()
        for _ in range(len(allowed) if name == "grid" else 25):
            trial = study.ask()
            drawn.add(sample(trial, parse_space({"x": expression}))["x"])
            try:
                study.tell(trial, 0.0)
            except RuntimeError:  # the grid sampler stops the study once the grid is exhausted
                assert name == "grid"
        assert drawn <= allowed, name
        if name == "grid":
            assert drawn == allowed


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"schedule.decay_rate": "interval(1)"}, "`hydra.sweeper.params.schedule.decay_rate` must be a Hydra sweep"),
        ({"x": "choice()"}, "`hydra.sweeper.params.x` must be a Hydra sweep expression"),
        ({"x": "interval(0.9, 0.5)"}, "`hydra.sweeper.params.x` must be interval(a, b) with a < b"),
        ({"x": "tag(log, interval(0, 1))"}, "tag(log, interval(a, b)) with a > 0"),
        ({"x": "range(5, 1)"}, "range(a, b, step) with at least one value"),
        ({"x": "tag(linear, interval(0, 1))"}, "tags among log, non_increasing and one of"),
        ({"x": "tag(fraction, interval(0.5, 2))"}, "tag(fraction, interval(a, b)) with 0 < a < b <= 1"),
        ({"x": "tag(boundaries, interval(1, 4))"}, "tag(boundaries, int(interval(a, b))) with 1 <= a"),
    ],
)
def test_malformed_expressions_name_the_key(params, message):
    with pytest.raises(ConfigError) as caught:
        parse_space(params)
    assert message in str(caught.value)


def test_grid_sampler_refuses_continuous_intervals():
    with pytest.raises(ConfigError, match=r"choice\(\.\.\.\) or range\(\.\.\.\) for the grid sampler"):
        grid_values("x", parse_expression("x", "interval(0, 1)"))


def test_conditional_branches_must_name_a_choice():
    with pytest.raises(ConfigError, match="keyed by KEY=OPTION"):
        parse_space({"schedule": "choice(a, b)"}, {"optimizer=adam": {"x": "interval(0, 1)"}})
    with pytest.raises(ConfigError, match="one of the choices of schedule"):
        parse_space({"schedule": "choice(a, b)"}, {"schedule=c": {"x": "interval(0, 1)"}})


def test_structured_tags():
    space = parse_space(
        {
            "schedule.boundaries": "tag(boundaries, int(interval(1, 4)))",
            "schedule.values": "tag(values, log, non_increasing, interval(1e-4, 1e-1))",
            "schedule.decay_steps": "tag(fraction, interval(0.1, 1.0))",
        }
    )
    assert space.params["schedule.boundaries"] == Structured("boundaries", IntDistribution(1, 4))
    assert space.params["schedule.values"] == Structured("values", FloatDistribution(1e-4, 1e-1, log=True), True)
    assert space.params["schedule.decay_steps"].kind == "fraction"
    assert space.structured
