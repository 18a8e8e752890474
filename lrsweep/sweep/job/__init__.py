"""The trial's side, inside its job: the report it hands back, the pruning callback, the overrides it runs with.

A room of the sweep engine (``docs/design.md``): it may import ``storage``.
"""
