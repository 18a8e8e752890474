"""The search space: the ``params:`` grammar turned into Optuna distributions, sampling, the branches and baselines
a sweep file leaves to be derived, the custom hook, the checks before the study exists, the LR range narrowing.

A room of the sweep engine (``docs/design.md``): it imports no other room.
"""
