"""lrsweep's Hydra sweeper: Optuna 5 studies with pruning, resumable budgets and one MLflow run per trial.

Hydra imports every ``hydra_plugins.*`` module at start-up, so nothing here imports Optuna, Keras or MLflow;
the work happens in :mod:`lrsweep.sweep`, imported when a sweep starts.
"""
