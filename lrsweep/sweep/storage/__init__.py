"""Where studies live: storage URLs, studies on any URL, the study's lock, riding out an unanswering storage, and
heartbeats.

A room of the sweep engine (``docs/design.md``): it imports no other room.
"""
