"""A study's fingerprint (lrsweep.sweep._fingerprint): what it holds fixed, and what differs between two runs."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import optuna
import pytest

from lrsweep.sweep._fingerprint import differences, fingerprint
from lrsweep.sweep.space._grammar import parse_space
from tests.commands import run_lrsweep

DATA = {"name": "fashion_mnist", "source": "/here/fashion-mnist", "digest": "abc", "train": [320, 28, 28, 1]}
SPACE = {"schedule.decay_rate": "interval(0.5, 0.99)", "optimizer.momentum": "choice(0.0, 0.9)"}


def _print(compose_config, *overrides, space=SPACE, data=DATA):
    return fingerprint(compose_config(*overrides), parse_space(space), data, ["maximize"], "tensorflow")


def test_it_holds_the_model_data_optimizer_budget_loss_objective_space_and_backend(compose_config):
    found = _print(compose_config)
    assert found["model._target_"] == "lrsweep.models.seed_cnn"
    assert found["data.digest"] == "abc" and "data.source" not in found  # what the data holds, not where
    assert found["optimizer._target_"] == "keras.optimizers.SGD" and found["trainer.epochs"] == "5"
    assert found["trainer.loss"] == "sparse_categorical_crossentropy" and found["trainer.objective"] == "val_accuracy"
    assert found["direction"] == "maximize" and found["backend"] == "tensorflow"
    assert found["space.schedule.decay_rate"].startswith("FloatDistribution(")
    assert "optimizer.momentum" not in found  # searched: not fixed
    assert not any(key.startswith(("trainer.seed", "trainer.verbose", "trainer.reuse")) for key in found)


def test_speed_settings_and_the_seed_leave_it_unchanged(compose_config):
    same = _print(compose_config, "trainer.verbose=0", "trainer.reuse=false", "trainer.seed=3")
    assert differences(_print(compose_config), same) == []


def test_differences_name_each_key_old_and_new(compose_config):
    old = _print(compose_config)
    changed = [
        ("optimizer=adam", "optimizer._target_: keras.optimizers.SGD → keras.optimizers.Adam"),
        ("trainer.epochs=3", "trainer.epochs: 5 → 3"),
        ("trainer.loss=mse", "trainer.loss: sparse_categorical_crossentropy → mse"),
        ("+model.filters=8", "model.filters: — → 8"),
    ]
    for override, expected in changed:
        assert expected in differences(old, _print(compose_config, override)), override
    other_space = {**SPACE, "schedule.decay_rate": "interval(0.5, 0.9)"}
    assert [d.partition(":")[0] for d in differences(old, _print(compose_config, space=other_space))] == [
        "space.schedule.decay_rate"
    ]
    assert differences(old, _print(compose_config, data={**DATA, "digest": "def"})) == ["data.digest: abc → def"]


BASE = ("-m", "+sweep=constant", "hydra.sweeper.n_trials=1", "trainer.epochs=1", "trainer.verbose=0")
# End to end, the two changes only a real run sees: the data's digest and a space typed on the command line (the
# other keys' differences are test_differences_name_each_key_old_and_new's, in process).
CHANGES = {
    "data": ("data.normalize=false", "data.digest: "),
    "space": ("schedule.initial_learning_rate=tag(log, interval(1e-3, 1e-2))", "space.schedule.initial_learning_rate"),
}


def _lrsweep(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return run_lrsweep(*args, cwd=cwd, with_repo=True)


@pytest.mark.slow
def test_a_changed_experiment_never_joins_the_old_study_unless_forced(tmp_path):
    """A change of data or space is refused in one line naming the key; a forced join (of another optimizer) is
    recorded on the study; export and check show the fingerprint's main keys."""
    assert _lrsweep(*BASE, cwd=tmp_path).returncode == 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        reruns = dict(
            zip(CHANGES, pool.map(lambda c: _lrsweep(*BASE, c[0], cwd=tmp_path), CHANGES.values()), strict=True)
        )
    for name, rerun in reruns.items():
        lines = [line for line in rerun.stderr.splitlines() if line.strip()]
        assert rerun.returncode == 2 and len(lines) == 1, (name, rerun.stderr[-2000:])
        assert lines[0].startswith("lrsweep: error: `hydra.sweeper.study_name` must be a study of this experiment")
        assert CHANGES[name][1] in lines[0] and "hydra.sweeper.resume=force" in lines[0], (name, lines[0])
    storage = f"sqlite:///{tmp_path / 'lrsweep.db'}"
    study = optuna.load_study(study_name="constant", storage=storage)
    assert len(study.trials) == 1 and study.user_attrs["lrsweep.fingerprint"]["optimizer._target_"].endswith("SGD")
    forced = _lrsweep(*BASE, "optimizer=adam", "hydra.sweeper.n_trials=2", "hydra.sweeper.resume=force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr[-2000:]
    study = optuna.load_study(study_name="constant", storage=storage)
    (join,) = study.user_attrs["lrsweep.forced_joins"]
    assert "optimizer._target_: keras.optimizers.SGD → keras.optimizers.Adam" in join["differences"]
    assert all(d.startswith("optimizer.") for d in join["differences"]) and join["worker"]
    assert len(study.trials) == 2
    for command in (("check", "--study", "constant"), ("export", "--study", "constant")):
        shown = _lrsweep(*command, cwd=tmp_path)
        assert "model._target_ lrsweep.models.seed_cnn · data.name" in shown.stdout, shown.stdout
