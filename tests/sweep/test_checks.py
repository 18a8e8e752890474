"""What a sweep checks of its search before the study exists (lrsweep.sweep._checks), in process."""

from __future__ import annotations

import pytest
from hydra import compose as hydra_compose
from hydra import initialize_config_dir

from lrsweep._errors import ConfigError
from lrsweep._paths import config_dir
from lrsweep._preflight import quote_sweeper_params
from lrsweep.schedules import FAMILIES
from lrsweep.sweep._checks import baseline_params, check_custom_hook, check_group_choices, check_run_length
from lrsweep.sweep._custom import custom_space
from lrsweep.sweep._space import parse_space


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


def test_baselines_are_computed_before_the_study():
    space = parse_space(
        {"schedule.initial_learning_rate": "interval(1e-3, 1e-1)", "schedule.decay_rate": "choice(0.5, 0.98)"}
    )

    def compose(overrides):  # as the sweeper composes a job's config: with its hydra node (the group choices)
        with initialize_config_dir(str(config_dir()), version_base="1.3"):
            return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)

    found = baseline_params(["preset", {"schedule.decay_rate": 0.7}], space, compose, 100)
    assert found == [{"schedule.initial_learning_rate": 0.001, "schedule.decay_rate": 0.98}]  # 0.7: not a choice
    with pytest.raises(ConfigError, match=r"`hydra.sweeper.enqueue` must be overrides of the config"):
        baseline_params([{"schedule.nope": 1}], space, compose, 100)


def test_sweeper_params_on_the_command_line_are_quoted_for_hydra():
    argv = ["-m", "hydra.sweeper.params.schedule=choice(cosine_decay,one_cycle)", "hydra.sweeper.params.x=1"]
    assert quote_sweeper_params(argv) == [
        "-m",
        "++hydra.sweeper.params.schedule='choice(cosine_decay,one_cycle)'",
        "hydra.sweeper.params.x=1",
    ]
