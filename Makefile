# lrsweep — two commands on a fresh machine:
#   make sweep   create .venv, install lrsweep and the dataset, run the main job
#   make test    create .venv with the dev extras and Chromium (for the MLflow UI test), run the test suite
# and one for the documentation site:
#   make docs    build docs/ (mkdocs.yml) into site/, failing on any warning; preview: .venv/bin/mkdocs serve
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The main job: one Optuna study over every schedule family, on a subset of Fashion-MNIST, about 10 minutes on
# a 2-core CPU. Re-running it resumes the study (lrsweep.db) until it is done. The LR range test sets the
# learning-rate bounds (on this budget it beat plain TPE); 25 trainings in all: 17 searched, then the best 3
# configurations and a constant-LR control each with 2 fresh seeds, ranked by their mean (benchmarks/README.md).
# The export of the verified best follows (SWEEP_STUDY and SWEEP_STORAGE name the study and its storage when
# SWEEP_ARGS or ARGS name others).
SWEEP_ARGS ?= +sweep=all_families hydra.sweeper.lr_range=auto hydra.sweeper.n_trials=17 \
	hydra.sweeper.verify_top=3 hydra.sweeper.verify_seeds=2 trainer.epochs=3 data.train_size=10000 data.val_size=2000
SWEEP_STUDY ?= all_families
SWEEP_STORAGE ?=

.PHONY: sweep test install dataset browser lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Fashion-MNIST: Debian's dataset-fashion-mnist where apt-get exists, else the Keras download.
dataset: install
	@if $(BIN)/python -c "import sys; from lrsweep.data import find_fashion_mnist; sys.exit(find_fashion_mnist() is None)"; then \
	  echo "Fashion-MNIST: found"; \
	elif command -v apt-get >/dev/null 2>&1 && $(SUDO) apt-get update -q && \
	     DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q dataset-fashion-mnist; then \
	  echo "Fashion-MNIST: installed Debian's dataset-fashion-mnist"; \
	else \
	  $(BIN)/python -c "import keras; keras.datasets.fashion_mnist.load_data()"; \
	fi

# Chromium and its driver, for the MLflow UI test: Debian's packages where apt-get exists (else that test is skipped).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
	  echo "Chromium: found"; \
	elif command -v apt-get >/dev/null 2>&1 && $(SUDO) apt-get update -q && \
	     DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver; then \
	  echo "Chromium: installed Debian's chromium and chromium-driver"; \
	else \
	  echo "Chromium: could not install chromium and chromium-driver; the MLflow UI test will be skipped"; \
	fi

sweep: dataset
	$(BIN)/lrsweep -m $(SWEEP_ARGS) $(ARGS)
	$(BIN)/lrsweep export --study $(SWEEP_STUDY) $(if $(SWEEP_STORAGE),--storage $(SWEEP_STORAGE))
	@echo "(mlflow, optuna-dashboard and lrsweep are in $(BIN): source $(BIN)/activate first)"

# The warm-trial, packed-trial, device-pinning and benchmark tests run again on JAX (CPU), the backend of the
# GPU hosts (packed trials run on JAX only).
JAX_TESTS ?= tests/training/test_warm.py tests/training/test_packed.py tests/sweep/workers/test_packed.py tests/sweep/workers/test_devices.py tests/test_benchmarks.py

# Two test files at a time (pytest-xdist; each file's tests stay in one process, in order): most tests wait on a
# subprocess's imports or a server, so two share the 2 cores well. TEST_WORKERS=0 runs them one at a time.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test: install browser
	$(BIN)/python -m pytest $(XDIST) $(ARGS)
	KERAS_BACKEND=jax $(BIN)/python -m pytest $(XDIST) $(JAX_TESTS) $(ARGS)

lint: install
	$(BIN)/ruff check lrsweep tests hydra_plugins benchmarks examples
	$(BIN)/ruff format --check lrsweep tests hydra_plugins benchmarks examples
	$(BIN)/mypy lrsweep hydra_plugins

# The documentation site: docs/ and the API reference from the docstrings; a broken link fails it. Preview it
# with $(BIN)/mkdocs serve.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) outputs multirun mlruns mlflow.db lrsweep.db .pytest_cache
