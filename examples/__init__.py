"""Worked examples of lrsweep on a user's own model and data (see the README's "Your model and data")."""
