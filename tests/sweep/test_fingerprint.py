"""A study's fingerprint (lrsweep.sweep._fingerprint): what it holds fixed, and what differs between two runs."""

from __future__ import annotations

from lrsweep.sweep._fingerprint import differences, fingerprint
from lrsweep.sweep._space import parse_space

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
