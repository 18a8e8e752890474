from __future__ import annotations

from pathlib import Path

from lrsweep._docs import families_table, settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_family_table_is_the_registry():
    assert families_table() in README.read_text(), "regenerate with: python -m lrsweep._docs"


def test_readme_sweeper_table_is_the_settings_schema():
    assert settings_table() in README.read_text(), "regenerate with: python -m lrsweep._docs"


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make sweep", "make test"]
