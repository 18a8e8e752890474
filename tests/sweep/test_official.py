"""Compatibility with Hydra's official Optuna sweeper (hydra-optuna-sweeper), checked against its own tests.

Its expression → distribution table and override table, and its example sweep files (in ``official/``, the
sweeper line switched and the params moved onto a schedule's keys) run here. What lrsweep does on purpose
otherwise is asserted as such: ``range`` excludes its end.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import optuna
import pytest
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from mlflow import MlflowClient
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hydra_plugins.lrsweep_sweeper.config import SAMPLERS
from lrsweep.results import check_study, export_trial, write_report
from lrsweep.sweep._samplers import build_sampler
from lrsweep.sweep.job._overrides import fixed_overrides
from lrsweep.sweep.space._grammar import parse_expression, parse_space
from tests.commands import run_lrsweep

OFFICIAL = Path(__file__).with_name("official")

# hydra-optuna-sweeper's test_create_optuna_distribution_from_override, input → its expected distribution.
OFFICIAL_TABLE = [
    ("key=choice(1,2)", CategoricalDistribution([1, 2])),
    ("key=choice(true, false)", CategoricalDistribution([True, False])),
    ("key=choice('hello', 'world')", CategoricalDistribution(["hello", "world"])),
    ("key=shuffle(range(1,3))", CategoricalDistribution((1, 2))),
    ("key=range(1,3)", IntDistribution(1, 3)),
    ("key=interval(1, 5)", FloatDistribution(1, 5)),
    ("key=int(interval(1, 5))", IntDistribution(1, 5)),
    ("key=tag(log, interval(1, 5))", FloatDistribution(1, 5, log=True)),
    ("key=tag(log, int(interval(1, 5)))", IntDistribution(1, 5, log=True)),
    ("key=range(0.5, 5.5, step=1)", FloatDistribution(0.5, 5.5, step=1)),
]
# The deliberate difference (docs/coming-from-hydra-optuna-sweeper.md): range(a, b) stops below b, as Python's
# range and Hydra's own range sweep do, for every sampler alike (the official plugin includes b except in grid).
RANGE_EXCLUDES_ITS_END = {
    "key=range(1,3)": IntDistribution(1, 2),
    "key=range(0.5, 5.5, step=1)": FloatDistribution(0.5, 4.5, step=1),
}


def _same(expected, actual) -> bool:
    if isinstance(expected, CategoricalDistribution):  # the official test ignores order (shuffle)
        return isinstance(actual, CategoricalDistribution) and set(expected.choices) == set(actual.choices)
    return expected == actual


@pytest.mark.parametrize(("override", "official"), OFFICIAL_TABLE, ids=[o for o, _ in OFFICIAL_TABLE])
def test_the_official_expression_table_gives_the_official_distributions_but_for_range(override, official):
    key, _, expression = override.partition("=")
    ours = parse_expression(key, expression)
    if override in RANGE_EXCLUDES_ITS_END:
        assert not _same(official, ours)
        assert ours == RANGE_EXCLUDES_ITS_END[override]
    else:
        assert _same(official, ours)


@pytest.mark.parametrize(
    ("overrides", "params", "fixed"),
    [  # hydra-optuna-sweeper's test_create_params_from_overrides; its third list (deletions) is in our fixed
        (["key=choice(1,2)"], {"key": CategoricalDistribution([1, 2])}, []),
        (["key=5"], {}, ["key=5"]),
        (["key1=choice(1,2)", "key2=5"], {"key1": CategoricalDistribution([1, 2])}, ["key2=5"]),
        (
            ["key1=choice(1,2)", "key2=5", "key3=range(1,3)"],
            {"key1": CategoricalDistribution([1, 2]), "key3": IntDistribution(1, 2)},  # range: its end excluded
            ["key2=5"],
        ),
        (["~z"], {}, ["~z"]),
        (["~z=10"], {}, ["~z=10"]),
    ],
)
def test_the_official_override_table_splits_params_fixed_values_and_deletions(overrides, params, fixed):
    parsed = {}
    for text in overrides:  # as the sweeper reads its command line: key and expression as typed
        key, _, expression = text.partition("=")
        parsed[key] = expression
    space = parse_space(parsed)
    assert dict(space.params) == params
    assert fixed_overrides(space.fixed) == fixed
    for text in fixed:  # each passes to the job as an override Hydra parses as the same kind
        (override,) = OverridesParser.create().parse_overrides([text])
        assert override.is_delete() == text.startswith("~")


def test_the_official_grid_file_gives_the_official_grid():
    """tests/conf/test_grid.yaml: 2 x 2 x 2 = 8 points, as in the official plugin, whose grid also stops range
    below its end (its other samplers do not: here they all draw from these values)."""
    config = OmegaConf.load(OFFICIAL / "sweep" / "grid.yaml")
    space = parse_space(dict(config.hydra.sweeper.params))
    sampler, n_trials = build_sampler(OmegaConf.structured(SAMPLERS["grid"]), space, int(config.hydra.sweeper.n_trials))
    assert n_trials == 8
    assert sorted(sampler._search_space["schedule.decay_rate"]) == [0.5, 0.75]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(OFFICIAL / "official_space.py", tmp_path)  # a user's hook module, beside their sweep
    done = run_lrsweep("-m", f"--config-dir={OFFICIAL}", f"hydra.sweep.dir={tmp_path / 'sweep'}", *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _runs(tmp_path: Path, study_name: str) -> dict[int, object]:
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(study_name)
    found = client.search_runs([experiment.experiment_id], filter_string="tags.`lrsweep.role` = 'trial'")
    return {int(run.data.tags["optuna.trial_number"]): run for run in found}


def _study(tmp_path: Path, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{tmp_path / 'lrsweep.db'}")


@pytest.mark.slow
def test_the_official_example_runs_with_its_sampler_fields_and_a_deleted_key(tmp_path, fast):
    """example/conf/config.yaml with test_optuna_example's command line: TPE's official fields, `~z`."""
    _run(
        tmp_path,
        "+sweep=sphere",
        *fast,
        "hydra.sweeper.n_trials=3",
        "hydra/sweeper/sampler=tpe",
        "hydra.sweeper.sampler.seed=123",
        "hydra.sweeper.sampler.prior_weight=2.0",
        "hydra.sweeper.sampler.consider_endpoints=true",
        "hydra.sweeper.sampler.n_ei_candidates=8",
        "+z=1",  # a key the job's config gets, then deletes (the official test's `~z`)
        "~z",
    )
    study = _study(tmp_path, "sphere")
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    returns = yaml.safe_load((tmp_path / "sweep" / "optimization_results.yaml").read_text())
    best = study.best_trial
    assert returns["best_value"] == best.value
    overrides = (override.partition("=") for override in best.user_attrs["overrides"])
    assert returns["best_params"] == {key: yaml.safe_load(value) for key, _, value in overrides}  # config keys
    runs = _runs(tmp_path, "sphere")
    assert len(runs) == 3
    for trial in study.trials:
        params = runs[trial.number].data.params
        assert "z" not in params and params["trainer.objective"] == "val_loss"
        assert runs[trial.number].data.metrics["optuna.value"] == pytest.approx(trial.value)
    assert check_study("sphere", f"sqlite:///{tmp_path / 'lrsweep.db'}").ok


@pytest.mark.slow
def test_the_official_multi_objective_example_gives_a_pareto_front(tmp_path, fast):
    """example/multi-objective-conf/config.yaml (NSGA-II, two directions): Optuna and MLflow agree trial by trial
    on both objectives; the front is in optimization_results.yaml, the report and export."""
    _run(
        tmp_path, "+sweep=multi_objective", *fast, "hydra.sweeper.n_trials=4", "hydra.sweeper.sampler.population_size=2"
    )
    storage = f"sqlite:///{tmp_path / 'lrsweep.db'}"
    study = _study(tmp_path, "multi-objective")
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    assert study.metric_names == ["val_accuracy", "fit_seconds"]
    runs = _runs(tmp_path, "multi-objective")
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.COMPLETE  # never pruned
        assert trial.intermediate_values == {}
        metrics = runs[trial.number].data.metrics
        assert metrics["optuna.value.val_accuracy"] == pytest.approx(trial.values[0])
        assert metrics["optuna.value.fit_seconds"] == pytest.approx(trial.values[1])
        assert metrics["fit_seconds"] == pytest.approx(trial.values[1])  # what the job logged, as it returned it
        assert metrics["steps"] > 0
    assert check_study("multi-objective", storage).ok

    returns = yaml.safe_load((tmp_path / "sweep" / "optimization_results.yaml").read_text())
    front = sorted(study.best_trials, key=lambda t: t.number)
    assert [s["trial"] for s in returns["solutions"]] == [t.number for t in front]
    for x in returns["solutions"]:
        for y in returns["solutions"]:  # no solution dominates another (val_accuracy up, fit_seconds down)
            better = (x["values"][0] >= y["values"][0]) and (x["values"][1] <= y["values"][1])
            assert x is y or not (better and x["values"] != y["values"])

    report = write_report(["multi-objective"], storage, tmp_path / "report")
    table = report.trials.set_index("number")
    assert set(table.index[table.pareto == True]) == {t.number for t in front}  # noqa: E712
    assert (tmp_path / "report" / "pareto_front.png").stat().st_size > 0
    assert "Pareto front of 'multi-objective'" in report.text()
    exported = export_trial("multi-objective", storage, tmp_path / "export")
    assert exported.trial_number == max(front, key=lambda t: (t.values[0], -t.values[1])).number
    assert exported.rule is not None and "the best val_accuracy" in exported.rule


@pytest.mark.slow
def test_the_official_custom_search_space_example_runs_on_gp(tmp_path, fast):
    """example/custom-search-space/config.yaml with test_optuna_custom_search_space_example's command line, on
    Optuna 5's GPSampler: the hook's parameters reach the jobs and are recorded like sampled ones."""
    _run(
        tmp_path,
        "+sweep=custom_search_space",
        *fast,
        "hydra.sweeper.n_trials=3",
        "hydra/sweeper/sampler=gp",
        "hydra.sweeper.sampler.seed=123",
        "hydra.sweeper.sampler.n_startup_trials=2",
        "+max_end_ratio=0.3",
    )
    study = _study(tmp_path, "custom-search-space")
    runs = _runs(tmp_path, "custom-search-space")
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    parent = client.get_run(study.user_attrs["mlflow_parent_run_id"])
    assert parent.data.params["sampler"] == "GPSampler"
    for trial in study.trials:
        x, end, w = (trial.params[k] for k in ("schedule.initial_learning_rate", "schedule.end_learning_rate", "+w"))
        assert x * 0.03 <= end <= x * 0.3 and 0 <= w <= 1
        assert f"+w={w!r}" in trial.user_attrs["overrides"]
        params = runs[trial.number].data.params
        assert float(params["schedule.end_learning_rate"]) == pytest.approx(end)
        assert float(params["w"]) == pytest.approx(w)
    returns = yaml.safe_load((tmp_path / "sweep" / "optimization_results.yaml").read_text())
    assert 0 <= returns["best_params"]["+w"] <= 1
    assert returns["best_value"] == study.best_value


def test_a_sweep_file_naming_motpe_is_told_to_use_tpe():
    """test_example_with_removed_motpe: the preset exists, and says in one line what replaced it."""
    from hydra_plugins.lrsweep_sweeper.config import MOTPESamplerConf
    from lrsweep import ConfigError
    from lrsweep.sweep._samplers import checked

    with pytest.raises(ConfigError, match=r"must be tpe: Optuna 4\.0 removed MOTPESampler"):
        checked(OmegaConf.structured(MOTPESamplerConf), "sampler")


@pytest.mark.parametrize("name", ["tpe", "random", "cmaes", "qmc", "nsgaii", "gp", "grid"])
def test_every_official_sampler_field_is_a_preset_field(name):
    """Every field hydra-optuna-sweeper's sampler configs expose (its config.py) is one of ours, so a sweep file
    setting it runs unchanged."""
    official = {
        "tpe": ["seed", "consider_prior", "prior_weight", "consider_magic_clip", "consider_endpoints",
                "n_startup_trials", "n_ei_candidates", "multivariate", "warn_independent_sampling"],
        "random": ["seed"],
        "cmaes": ["seed", "x0", "sigma0", "independent_sampler", "warn_independent_sampling",
                  "consider_pruned_trials", "restart_strategy", "inc_popsize", "use_separable_cma", "source_trials"],
        "nsgaii": ["seed", "population_size", "mutation_prob", "crossover_prob", "swapping_prob", "constraints_func"],
        "gp": ["seed", "independent_sampler", "n_startup_trials", "deterministic_objective", "constraints_func",
               "warn_independent_sampling"],
        "qmc": ["seed", "qmc_type", "scramble", "independent_sampler", "warn_asynchronous_seeding",
                "warn_independent_sampling"],
        "grid": [],
    }[name]  # fmt: skip
    assert set(official) <= set(OmegaConf.structured(SAMPLERS[name]).keys())
