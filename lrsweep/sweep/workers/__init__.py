"""How many trials run at a time and where: the accelerators, the count of workers, the executors.

A room of the sweep engine (``docs/design.md``): it may import ``trials``.
"""
