"""Contract tests over the registries, as Optuna runs one sampler suite over every sampler: every schedule class
lrsweep writes and every sweep file, found from the registry and the folders, never listed here. (Every family's
preset composing, building, tracing and serializing in-process is in test_families.py, over the same registry.)"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import optuna
import pytest
import yaml

from lrsweep._paths import config_dir
from lrsweep.schedules import FAMILIES, OwnSchedule, StepSchedule, from_config, lr_trace
from lrsweep.sweep._settings import flatten
from lrsweep.sweep.space._branches import derive_branches
from lrsweep.sweep.space._grammar import parse_space
from lrsweep.sweep.space._sample import sample

OWN = sorted(name for name, cls in FAMILIES.items() if cls.keras_object.startswith("lrsweep.schedules."))
SWEEP_FILES = sorted(p.stem for p in (config_dir() / "sweep").glob("*.yaml"))


def test_own_schedule_classes_round_trip_keras_serialization_in_a_fresh_process(compose_config):
    """Serialized here, deserialized in a new interpreter that imports only ``lrsweep.schedules``'s class."""
    import keras

    cases = {}
    for family in OWN:
        params = from_config(compose_config(f"schedule={family}").schedule)
        schedule = params.build(400).keras_schedule
        cases[family] = {
            "name": params.keras_object.rsplit(".", 1)[1],
            "serialized": keras.optimizers.schedules.serialize(schedule),
            "config": schedule.get_config(),
            "values": [float(schedule(step)) for step in (0, 57, 399)],
        }
    script = (
        "import importlib, json, sys\n"
        "import keras\n"
        "cases = json.load(sys.stdin)\n"
        "out = {}\n"
        "for family, case in cases.items():\n"
        "    getattr(importlib.import_module('lrsweep.schedules'), case['name'])  # registers it with Keras\n"
        "    again = keras.optimizers.schedules.deserialize(case['serialized'])\n"
        "    out[family] = {'type': type(again).__name__, 'config': again.get_config(),\n"
        "                   'values': [float(again(step)) for step in (0, 57, 399)]}\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=json.dumps(cases), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    again = json.loads(done.stdout.strip().splitlines()[-1])
    for family, case in cases.items():
        assert again[family]["type"] == case["name"], family
        assert again[family]["config"] == case["config"], family
        assert again[family]["values"] == pytest.approx(case["values"], rel=1e-6), family


@pytest.mark.parametrize("family", OWN)
def test_own_families_are_step_schedules_named_in_lrsweep_schedules(family):
    import lrsweep.schedules

    cls = FAMILIES[family]
    assert issubclass(cls, StepSchedule)
    name = cls.keras_object.rsplit(".", 1)[1]
    made = getattr(lrsweep.schedules, name)
    assert made.__name__ == name and issubclass(made, __import__("keras").optimizers.schedules.LearningRateSchedule)
    if issubclass(cls, OwnSchedule):
        assert made is cls.schedule_class()


@pytest.mark.parametrize("family", [name for name, cls in FAMILIES.items() if issubclass(cls, OwnSchedule)])
def test_an_own_family_is_its_classs_constructor_and_keeps_its_defaults(family):
    """The family's fields are the class's arguments, and where the class has a default it is the family's (one
    default, said twice: the schema Hydra checks and the Keras class a user builds by hand)."""
    import inspect

    cls = FAMILIES[family]
    parameters = inspect.signature(cls.schedule_class()).parameters
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "family"}
    assert set(parameters) - {"name"} == set(fields)
    for name, parameter in parameters.items():
        if name != "name" and parameter.default is not inspect.Parameter.empty:
            assert fields[name].default == parameter.default, name


def sweep_file_params(path: str) -> dict | None:
    file = config_dir() / f"{path}.yaml"
    return flatten(yaml.safe_load(file.read_text())["hydra"]["sweeper"]["params"]) if file.exists() else None


@pytest.mark.parametrize("name", SWEEP_FILES)
def test_every_sweep_file_parses_and_samples_one_trial(name):
    sweeper = yaml.safe_load((config_dir() / "sweep" / f"{name}.yaml").read_text())["hydra"]["sweeper"]
    params, conditional = derive_branches(
        flatten(sweeper.get("params") or {}), sweeper.get("conditional") or {}, sweep_file_params
    )
    space = parse_space(params, conditional)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = sample(study.ask(), space, total_steps=1000, segments={"schedule.values": 4})
    assert values and all(key.startswith(("schedule", "+")) for key in values), values


def test_every_family_has_a_sweep_file():
    assert set(FAMILIES) <= set(SWEEP_FILES), sorted(set(FAMILIES) - set(SWEEP_FILES))


def test_validating_an_own_familys_config_imports_no_keras():
    """A sweep checks its configs before it hides the GPUs from its own process: no backend may start then."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from lrsweep.schedules import FAMILIES, OwnSchedule, from_config\n"
        "from lrsweep.schedules._arguments import CHECKS\n"
        "given = {'one_cycle': {'max_learning_rate': 0.1}, 'cyclical': {'initial_learning_rate': 0.001, "
        "'maximal_learning_rate': 0.01, 'step_size': 10}}\n"
        "own = [n for n, c in FAMILIES.items() if issubclass(c, OwnSchedule)]\n"
        "for name in own:\n"
        "    from_config({'family': name, **given.get(name, {})})\n"
        "assert sorted(FAMILIES[n].schedule_name for n in own) == sorted(CHECKS)\n"
        "print([m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("family", ["rex", "warmup_stable_decay", "inverse_square_root"])
def test_an_integer_learning_rate_is_a_float_schedule(family):
    as_int = lr_trace({"family": family, "peak_learning_rate": 1}, 10, 2)
    as_float = lr_trace({"family": family, "peak_learning_rate": 1.0}, 10, 2)
    assert as_int.dtype == np.float32 and np.array_equal(as_int, as_float)
