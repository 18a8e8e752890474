"""What a sweep checks of its search before the study exists (lrsweep.sweep.space._checks), in process."""

from __future__ import annotations

import optuna
import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir

from lrsweep._errors import ConfigError
from lrsweep._paths import config_dir
from lrsweep._preflight import quote_sweeper_params
from lrsweep.schedules import FAMILIES
from lrsweep.sweep.space._checks import baseline_params, check_custom_hook, check_group_choices, check_run_length
from lrsweep.sweep.space._custom import custom_space
from lrsweep.sweep.space._grammar import parse_space


def _groups(key):
    return list(FAMILIES) if key == "schedule" else None


def test_a_choice_over_a_group_names_only_its_options():
    check_group_choices({"schedule": "choice(cosine_decay, one_cycle)", "x": "choice(1, 2)"}, _groups)
    with pytest.raises(ConfigError, match=r"`hydra.sweeper.params.schedule` must be one of \['constant'.*nope'"):
        check_group_choices({"schedule": "choice(cosine_decay, nope)"}, _groups)


def test_boundaries_must_fit_the_shortest_run():
    space = parse_space({"schedule.boundaries": "tag(boundaries, int(interval(1, 8)))"})
    check_run_length(space, steps_per_epoch=5, epochs=1)  # 1 to 4 boundaries fit inside 5 steps: draws can
    with pytest.raises(ConfigError, match=r"must be at most 4 boundaries: a run of 5 optimizer steps"):
        check_run_length(parse_space({"schedule.boundaries": "tag(boundaries, int(interval(5, 8)))"}), 5, 1)
    searched = parse_space(
        {"schedule.boundaries": "tag(boundaries, int(interval(5, 8)))", "trainer.epochs": "range(1, 4)"}
    )
    with pytest.raises(ConfigError, match=r"a run of 5 optimizer steps"):  # the fewest epochs drawn: 1
        check_run_length(searched, 5, 3)


def test_a_range_with_step_zero_is_one_line():
    with pytest.raises(ConfigError, match=r"must be a sweep expression Hydra can expand \(Invalid range values"):
        parse_space({"schedule.initial_learning_rate": "range(0.1, 0.9, 0)"})


def failing(cfg, trial):
    trial.suggest_float("+w", 0, 1)
    raise ZeroDivisionError("the hook divided by zero")


def suggests(cfg, trial):
    trial.suggest_float("+w", 0, trial.params["schedule.initial_learning_rate"])


def test_the_custom_hook_runs_once_on_a_throwaway_trial(compose_config, tmp_path):
    config = compose_config()
    space = parse_space({"schedule.initial_learning_rate": "tag(log, interval(1e-3, 1e-1))"})
    check_custom_hook(custom_space(f"{__name__}.suggests", config), "suggests", space, (10, {}, 1), ["maximize"])
    path = f"{__name__}.failing"
    with pytest.raises(ConfigError, match=r"must be a function fn\(cfg, trial\) that runs .* ZeroDivisionError: the"):
        check_custom_hook(custom_space(path, config), path, space, (10, {}, 1), ["maximize"])
    assert list(tmp_path.iterdir()) == []  # the throwaway study is in memory


def _compose(overrides):  # as the sweeper composes a job's config: with its hydra node (the group choices)
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)


RUN = (100, {}, 1)  # 100 optimizer steps, no fixed boundaries, 1 epoch


def test_baselines_are_computed_before_the_study_and_only_inside_the_space():
    space = parse_space(
        {"schedule.initial_learning_rate": "interval(1e-3, 1e-1)", "schedule.decay_rate": "choice(0.5, 0.98)"}
    )
    config = _compose([])
    found = baseline_params(["preset", {"schedule.decay_rate": 0.7}], space, _compose, RUN, 5, config)
    assert found == [{"schedule.initial_learning_rate": 0.001, "schedule.decay_rate": 0.98}]  # 0.7: not a choice
    below = {"schedule.initial_learning_rate": 1e-4}
    assert baseline_params([below], space, _compose, RUN, 5, config) == []  # outside interval(1e-3, 1e-1)
    fraction = parse_space({"schedule.decay_steps": "tag(fraction, interval(0.2, 1.0))"})
    assert baseline_params(["preset"], fraction, _compose, RUN, 5, config) == []  # 500 steps: 5 runs of 100
    assert baseline_params(["preset"], fraction, _compose, (1000, {}, 1), 5, config) == [
        {"schedule.decay_steps_fraction": 0.5}
    ]
    with pytest.raises(ConfigError, match=r"`hydra.sweeper.enqueue` must be overrides of the config"):
        baseline_params([{"schedule.nope": 1}], space, _compose, RUN, 5, config)


def test_the_tutorials_sgd_rates_are_enqueued_only_for_its_setup():
    space = parse_space({"schedule.initial_learning_rate": "tag(log, interval(1e-4, 1e-1))"})
    entries = [{"+tutorial": "constant"}, "preset"]
    tutorial = _compose(["schedule=constant"])
    assert len(baseline_params(entries, space, _compose, RUN, 5, tutorial)) == 2
    adam = _compose(["schedule=constant", "optimizer=adam"])
    assert baseline_params(entries, space, _compose, RUN, 5, adam) == [{"schedule.initial_learning_rate": 0.001}]
    mine = _compose(["schedule=constant", "model._target_=tests.training.helpers.tiny_dense"])
    assert len(baseline_params(entries, space, _compose, RUN, 5, mine)) == 1


def test_baselines_take_at_most_their_share():
    space = parse_space({"schedule.initial_learning_rate": "tag(log, interval(1e-4, 1e-1))"})
    entries = [{"schedule.initial_learning_rate": rate} for rate in (1e-3, 1e-2, 3e-2)]
    found = baseline_params(entries, space, _compose, RUN, 2, _compose(["schedule=constant"]))
    assert [params["schedule.initial_learning_rate"] for params in found] == [1e-3, 1e-2]


def test_sweeper_params_on_the_command_line_are_quoted_for_hydra():
    argv = ["-m", "hydra.sweeper.params.schedule=choice(cosine_decay,one_cycle)", "hydra.sweeper.params.x=1"]
    assert quote_sweeper_params(argv) == [
        "-m",
        "++hydra.sweeper.params.schedule='choice(cosine_decay,one_cycle)'",
        "hydra.sweeper.params.x=1",
    ]


def test_tpe_observes_only_values_inside_the_all_families_space():
    """make sweep's study: the tutorial's baselines that fit its space are enqueued; every trial TPE then sees,
    baselines included, lies inside the distributions the space declares."""
    from lrsweep.sweep.space._branches import derive_branches
    from lrsweep.sweep.space._sample import sample
    from tests.sweep.space.test_branches import all_families_sweeper, composer, sweep_file_params

    sweeper = all_families_sweeper()
    params, conditional = derive_branches({}, sweeper["conditional"], sweep_file_params)
    space = parse_space(params, conditional)
    compose = composer("+sweep=all_families", "data.train_size=10000", "trainer.epochs=3")
    run = (3 * 157, {}, 3)  # 10,000 images in batches of 64, 3 epochs
    baselines = baseline_params(sweeper["enqueue"], space, compose, run, 6, compose([]))
    assert 1 <= len(baselines) <= 6
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=3))
    for params in baselines:
        study.enqueue_trial(params)
    for number in range(len(baselines) + 8):
        trial = study.ask()
        sample(trial, space, *run)
        study.tell(trial, 0.5 + 0.01 * number)
    for trial in study.trials:
        for name, value in trial.params.items():
            distribution = trial.distributions[name]
            inside = (
                value in distribution.choices
                if hasattr(distribution, "choices")
                else (distribution.low <= value <= distribution.high)
            )
            assert inside, (trial.number, name, value, distribution)
    adam = composer("+sweep=all_families", "optimizer=adam", "trainer.epochs=3")
    assert baseline_params(sweeper["enqueue"], space, adam, run, 6, adam([])) == []  # no SGD rates for Adam
