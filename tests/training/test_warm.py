"""Warm trials: a process's later trials reuse the compiled model, give a fresh process's results, recompile
nothing when the schedule changes, apply exactly the schedule's LR, and do not grow in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from lrsweep.schedules import FAMILIES, lr_trace
from lrsweep.training import _warm, run_trial
from tests.conftest import BATCH, N_TRAIN
from tests.training.helpers import AppliedLR
from tests.training.test_trial import MOVING

STEPS = -(-N_TRAIN // BATCH)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def warm(fast: list[str]) -> list[str]:
    return [*(o for o in fast if not o.startswith("trainer.reuse")), "trainer.reuse=true", "tracking=none"]


@pytest.fixture(autouse=True)
def _fresh_session():
    _warm._session = None
    yield
    _warm._session = None


@pytest.mark.parametrize("family", sorted(f for f in FAMILIES if FAMILIES[f].kind != "metric"))
def test_a_warm_trial_applies_the_keras_schedule_at_every_step(family, compose_config, warm):
    run_trial(compose_config("schedule=constant", extra=warm))  # the session exists: this trial is a later one
    config = compose_config(f"schedule={family}", "trainer.epochs=3", *MOVING.get(family, []), extra=warm)
    applied = AppliedLR()
    result = run_trial(config, callbacks=[applied])
    assert _warm._session[1].trials == 2
    expected = lr_trace(config.schedule, STEPS, 3)
    np.testing.assert_allclose(applied.values, expected, rtol=1e-6, atol=1e-10)
    np.testing.assert_array_equal(result.lr, expected)  # what lrsweep logs as `lr`


def test_changing_the_schedule_recompiles_nothing(compose_config, warm):
    run_trial(compose_config("schedule=exponential_decay", extra=warm))
    session = _warm._session[1]
    model, function = session.model, session.model.train_function
    traced = []
    original = model.train_step
    model.train_step = lambda data: (traced.append(1), original(data))[1]  # runs only while tracing a graph
    for overrides in (
        ("schedule=piecewise_constant", "schedule.boundaries=[3,6,9]", "schedule.values=[0.1,0.05,0.01,0.001]"),
        ("schedule=cosine_decay", "schedule.decay_steps=10"),
        ("schedule=step_decay",),
        ("schedule=exponential_decay", "trainer.seed=3"),
    ):
        run_trial(compose_config(*overrides, extra=warm))
    assert _warm._session[1] is session and session.trials == 5
    assert model.train_function is function, "fit built a new train function"
    assert traced == [], "the train step was traced again"


def _trials_in_a_new_process(*trials: str) -> list[dict]:
    """Run trials one after another in a fresh Python process; their histories."""
    script = (
        "import json, sys\n"
        "from hydra import compose, initialize_config_dir\n"
        "from lrsweep._paths import config_dir\n"
        "from lrsweep.config import register_configs\n"
        "from lrsweep.training import run_trial\n"
        "register_configs()\n"
        "out = []\n"
        "for overrides in json.loads(sys.argv[1]):\n"
        "    with initialize_config_dir(str(config_dir()), version_base='1.3'):\n"
        "        config = compose('config', overrides=overrides)\n"
        "    out.append(run_trial(config).history)\n"
        "print(json.dumps(out))\n"
    )
    base = ["tracking=none", "trainer.epochs=2", f"trainer.batch_size={BATCH}", "trainer.verbose=0"]
    overrides = [[*base, *trial.split()] for trial in trials]
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(overrides)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def user_npz(tmp_path) -> str:
    """A user's classification arrays in an .npz (not images: a tabular model)."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, 400)
    x = (rng.normal(size=(400, 12)) + y[:, None]).astype(np.float32)
    path = tmp_path / "tabular.npz"
    np.savez(path, x_train=x[:320], y_train=y[:320], x_val=x[320:], y_val=y[320:])
    return str(path)


USER = "model._target_=tests.training.helpers.tiny_dense data=arrays data.path={}"


@pytest.mark.slow
def test_warm_trials_on_a_users_data_equal_fresh_process_trials(user_npz):
    data = USER.format(user_npz)
    trial = f"{data} schedule=exponential_decay schedule.initial_learning_rate=0.05 trainer.seed=7"
    (fresh,) = _trials_in_a_new_process(trial)
    (_, warm) = _trials_in_a_new_process(f"{data} schedule=cosine_decay trainer.seed=1", trial)
    assert warm == fresh  # every metric of every epoch, bit for bit


@pytest.mark.slow
def test_warm_trials_equal_fresh_process_trials_for_the_same_seed():
    trial = "schedule=exponential_decay schedule.initial_learning_rate=0.05 trainer.seed=7"
    (fresh,) = _trials_in_a_new_process(trial)
    (_, _, warm) = _trials_in_a_new_process(
        "schedule=cosine_decay schedule.initial_learning_rate=0.2 trainer.seed=1", "schedule=step_decay", trial
    )
    assert warm == fresh  # every metric of every epoch, bit for bit
    if keras.backend.backend() == "tensorflow":
        # The same as a trial that builds its own model with the Keras schedule in it. (On JAX, Keras' first fit
        # in a process draws one more shuffle permutation, so a rebuilt trial shuffles differently.)
        (rebuilt,) = _trials_in_a_new_process(f"{trial} trainer.reuse=false")
        assert rebuilt == fresh


def _rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads this process's memory from /proc (Linux)")
@pytest.mark.parametrize("data", ["fashion_mnist", "users_npz"])
def test_fifty_warm_trials_do_not_grow_memory(compose_config, warm, data, user_npz):
    families = ["exponential_decay", "cosine_decay", "step_decay", "constant", "polynomial_decay"]
    own = USER.format(user_npz).split() if data == "users_npz" else []
    if own:
        warm = [o for o in warm if not o.startswith("data.")]  # the Fashion-MNIST folder
    sizes = {}
    for number in range(50):
        config = compose_config(
            f"schedule={families[number % 5]}", "trainer.epochs=1", f"trainer.seed={number}", *own, extra=warm
        )
        run_trial(config)
        if number + 1 in (10, 50):
            sizes[number + 1] = _rss_mib()
    assert _warm._session[1].trials == 50
    # Measured from trial 10: the first two trials of each family fill the allocator's pools (the dataset is
    # built once per process, so nothing larger hides them); the 40 trials after must not grow.
    assert sizes[50] <= 1.10 * sizes[10], sizes


def test_a_reset_gives_the_optimizer_its_built_state_not_zeros(compose_config, warm):
    """Adagrad's accumulators start at initial_accumulator_value, as a fresh fit's do, in every warm trial."""
    from omegaconf import OmegaConf, open_dict

    config = compose_config(extra=warm)
    with open_dict(config):
        config.optimizer = OmegaConf.create({"_target_": "keras.optimizers.Adagrad", "initial_accumulator_value": 0.1})
    run_trial(config)
    session = _warm._session[1]
    session.reset(seed=0, trace=np.full(STEPS, 0.01))
    accumulators = [v for v in session.optimizer.variables if "accumulator" in v.path]
    assert accumulators
    for variable in accumulators:
        np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), 0.1)
    assert int(keras.ops.convert_to_numpy(session.optimizer.iterations)) == 0


def test_a_reset_starts_schedule_free_momentum_at_the_trials_own_weights(compose_config, warm):
    """ScheduleFreeAdamW's momentum starts as a copy of the weights: those of the trial's seed, not the first
    model's, nor zeros."""
    run_trial(compose_config("optimizer=schedule_free_adamw", extra=warm))
    session = _warm._session[1]
    session.reset(seed=5, trace=np.full(STEPS, 0.01))
    momentums = [v for v in session.optimizer.variables if "momentum" in v.path]
    weights = session.model.trainable_variables
    assert len(momentums) == len(weights)
    for momentum, weight in zip(momentums, weights, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(momentum), keras.ops.convert_to_numpy(weight))
