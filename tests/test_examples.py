"""The worked examples that are not the tutorial, end to end as ``docs/your-model-and-data.md`` runs them: a
2-trial sweep, export (whose module trains the example's model in a fresh process), report; and a user's own
module imported from the working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from mlflow import MlflowClient

from tests.commands import LRSWEEP

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {  # experiment: (direction, objective, the fresh-process script that trains with the export)
    "digits": (
        "MAXIMIZE",
        "val_accuracy",
        "from examples.digits import load, small_cnn; (x, y), (xv, yv) = load(); model = small_cnn(x.shape[1:], 10)",
    ),
    "diabetes": (
        "MINIMIZE",
        "val_loss",
        "from examples.diabetes import load, mlp; d = load(); x, y, xv, yv = (d[k] for k in "
        "('x_train', 'y_train', 'x_val', 'y_val')); model = mlp(x.shape[1:])",
    ),
}


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=environment, timeout=600)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_sweeps_exports_and_reports(example, tmp_path):
    direction, objective, build = EXAMPLES[example]
    done = run(
        LRSWEEP,
        "-m",
        "+sweep=cosine_decay",
        f"+experiment={example}",
        "hydra.sweeper.n_trials=2",
        "trainer.epochs=2",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "best trial #" in done.stdout and f"{objective} = " in done.stdout
    study = optuna.load_study(study_name="cosine_decay", storage=f"sqlite:///{tmp_path / 'lrsweep.db'}")
    assert study.direction.name == direction and len(study.trials) == 2
    values = [t.value for t in study.trials]
    assert study.best_value == (max(values) if direction == "MAXIMIZE" else min(values))

    done = run(LRSWEEP, "export", "--study", "cosine_decay", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    script = f"{build}\nfrom use_schedule import fit\nh = fit(model, x, y, validation_data=(xv, yv), verbose=0)\n"
    script += f"print(sorted(h.history), len(h.history['{objective}']))"
    done = run(sys.executable, "-c", script, cwd=tmp_path / "export", PYTHONPATH=f"{ROOT}{os.pathsep}.")
    assert done.returncode == 0, done.stderr[-3000:]
    assert objective in done.stdout and done.stdout.strip().endswith(" 2")

    done = run(LRSWEEP, "report", "--study", "cosine_decay", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    trials = pd.read_csv(tmp_path / "report" / "trials.csv")
    assert len(trials) == 2 and (tmp_path / "report" / "best_by_family.png").stat().st_size > 5_000


def test_a_users_module_in_the_working_directory_is_imported(tmp_path):
    (tmp_path / "my_project.py").write_text(
        "import numpy as np\n\n"
        "def data(n=96):\n"
        "    rng = np.random.default_rng(0)\n"
        "    y = rng.integers(0, 2, n)\n"
        "    x = (rng.normal(size=(n, 4)) + y[:, None]).astype('float32')\n"
        "    return {'x_train': x[:64], 'y_train': y[:64], 'x_val': x[64:], 'y_val': y[64:]}\n\n"
        "def model(input_shape, num_classes):\n"
        "    import keras\n"
        "    return keras.Sequential([keras.Input(input_shape), keras.layers.Dense(num_classes, 'softmax')])\n"
    )
    done = subprocess.run(
        [
            LRSWEEP,
            "data=factory",
            "data._target_=my_project.data",
            "model._target_=my_project.model",
            "trainer.epochs=1",
            "trainer.verbose=0",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "val_accuracy" in done.stdout


def test_a_sweep_on_an_image_folder_with_the_seed_cnn(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for index, name in enumerate(("circle", "square", "star")):
        (tmp_path / "photos" / name).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 60, size=(16, 16, 3), dtype=np.uint8)
            pixels[4 * index : 4 * index + 4] = 220
            Image.fromarray(pixels).save(tmp_path / "photos" / name / f"{i}.png")
    done = run(
        LRSWEEP,
        "-m",
        "+sweep=cosine_decay",
        "data=image_folder",
        f"data.path={tmp_path / 'photos'}",
        "data.image_size=[16,16]",
        "hydra.sweeper.n_trials=2",
        "trainer.epochs=2",
        "trainer.batch_size=8",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    study = optuna.load_study(study_name="cosine_decay", storage=f"sqlite:///{tmp_path / 'lrsweep.db'}")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
    total = 2 * 4  # 29 training images (80 %) in batches of 8, two epochs
    assert all(t.user_attrs["lrsweep.fit"]["steps_per_epoch"] == 4 for t in study.trials)
    assert 1 <= study.trials[1].params["schedule.decay_steps_fraction"] * total <= total  # sized from the data
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run_ = client.get_run(study.trials[1].user_attrs["mlflow_run_id"])
    (logged,) = run_.inputs.dataset_inputs
    assert logged.dataset.name == "photos" and '"train": [29, 16, 16, 3]' in logged.dataset.profile
    assert run_.data.params["data.image_size"] == "[16, 16]"
