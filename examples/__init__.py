"""Worked examples of lrsweep on a user's own model and data (see ``docs/your-model-and-data.md``)."""
