"""A trial's records as the sweeper keeps them: how its jobs ended, the one writer of its records, the study
queries.

A room of the sweep engine (``docs/design.md``): it may import ``job`` and ``storage``.
"""
