"""The executors' contract, one for each (Optuna's sampler test case is the model): ``InlineSlots`` (the basic
launcher, in this process), ``ProcessSlots`` (warm ``spawn`` workers) and ``LauncherSlots`` (joblib, a batch per
``launch``), on a real Hydra context and task function: a trial's jobs run in order and hand back their
outcomes, a trial stops at its first job that does not complete, and a slot of size 2 runs two trials at once."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hydra._internal.callbacks import Callbacks
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.core.singleton import Singleton
from hydra.core.utils import setup_globals
from hydra.types import HydraContext, RunMode
from omegaconf import DictConfig
from optuna.trial import TrialState

from lrsweep.sweep.workers._executors import InlineSlots, LauncherSlots, ProcessSlots, Slots

KINDS = ["inline", "process", "launcher"]


def task(config: DictConfig) -> float:
    """A job: fails when asked, waits for a partner when asked (up to a minute), else returns 2x."""
    if config.fail:
        raise ValueError(f"job failed at x={config.x}")
    if config.meet:
        folder = Path(config.meet)
        (folder / f"started_{config.x}").touch()
        deadline = time.monotonic() + 60
        while len(list(folder.glob("started_*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        if len(list(folder.glob("started_*"))) < 2:
            raise TimeoutError("no other trial ran alongside this one")
    return float(config.x) * 2


@pytest.fixture(params=KINDS)
def slots(request, tmp_path) -> Iterator[Slots]:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("x: 0.0\nfail: false\nmeet: null\n")
    state = Singleton.get_state()
    setup_globals()
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path(str(tmp_path / "conf")))
    context = HydraContext(config_loader=loader, callbacks=Callbacks())
    launcher_name = "joblib" if request.param == "launcher" else "basic"
    overrides = [f"hydra.sweep.dir={tmp_path / 'sweep'}", "hydra.job.chdir=false", f"hydra/launcher={launcher_name}"]
    config = loader.load_configuration("config", overrides=overrides, run_mode=RunMode.MULTIRUN)
    HydraConfig.instance().set_config(config)
    made: Slots
    if request.param == "process":
        made = ProcessSlots(2, context, config, task)
    else:
        launcher = Plugins.instance().instantiate_launcher(hydra_context=context, task_function=task, config=config)
        made = InlineSlots(launcher) if request.param == "inline" else LauncherSlots(launcher, 2)
    try:
        yield made
    finally:
        made.close()
        Singleton.set_state(state)


def test_a_trials_jobs_run_in_order_and_hand_back_their_outcomes(slots):
    future = slots.submit([["x=1.5"], ["x=2.5"]], 0)
    slots.flush()
    outcomes = future.result(timeout=120)
    assert [(o.state, o.values) for o in outcomes] == [(TrialState.COMPLETE, (3.0,)), (TrialState.COMPLETE, (5.0,))]


def test_a_trial_stops_at_its_first_job_that_does_not_complete(slots):
    failing = slots.submit([["x=3", "fail=true"], ["x=4"]], 0)
    fine = slots.submit([["x=5"]], 2)
    slots.flush()
    (outcome,) = failing.result(timeout=120)
    assert outcome.state == TrialState.FAIL and outcome.reason == "ValueError: job failed at x=3"
    assert [o.values for o in fine.result(timeout=120)] == [(10.0,)]  # the other trial is not affected


def test_a_slot_of_size_two_runs_two_trials_at_once(slots, tmp_path):
    if slots.size < 2:
        pytest.skip("one trial at a time: the inline slot")
    meet = tmp_path / "meet"
    meet.mkdir()
    futures = [slots.submit([[f"x={x}", f"meet={meet}"]], x) for x in (1, 2)]
    slots.flush()
    states = [[o.state for o in f.result(timeout=180)] for f in futures]
    assert states == [[TrialState.COMPLETE], [TrialState.COMPLETE]]  # each waited for the other: they overlapped
    assert sorted(os.listdir(meet)) == ["started_1", "started_2"]
