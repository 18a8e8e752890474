"""The Hydra plugin: registered where Hydra looks, and light to import (Hydra imports it at every start-up)."""

from __future__ import annotations

import subprocess
import sys

from hydra.core.config_store import ConfigStore


def test_plugin_import_loads_no_heavy_library():
    code = (
        "import sys, hydra_plugins.lrsweep_sweeper.sweeper\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'jax', 'torch', 'mlflow', 'optuna') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_sweeper_sampler_and_pruner_presets_are_registered():
    import hydra_plugins.lrsweep_sweeper.config  # noqa: F401

    repo = ConfigStore.instance().repo["hydra"]["sweeper"]
    assert "lrsweep.yaml" in repo
    assert {"tpe.yaml", "random.yaml", "qmc.yaml", "cmaes.yaml", "grid.yaml"} <= set(repo["sampler"])
    assert {"median.yaml", "successive_halving.yaml", "hyperband.yaml", "none.yaml"} <= set(repo["pruner"])
