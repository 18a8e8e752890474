"""The documentation: the site builds strictly, every page in its nav exists, the generated tables are the ones on
their pages, and the README stays a landing page that starts with the two commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from lrsweep._docs import families_table, settings_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
REGENERATE = "regenerate with: python -m lrsweep._docs"


def _nav_pages(nav: list) -> list[str]:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(_nav_pages(value) if isinstance(value, list) else [value])
    return pages


def test_family_table_is_the_registry():
    assert families_table() in (DOCS / "families.md").read_text(), REGENERATE


def test_sweeper_table_is_the_settings_schema():
    assert settings_table() in (DOCS / "configuration.md").read_text(), REGENERATE


def test_readme_starts_with_the_two_commands():
    text = README.read_text()
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make sweep", "make test"]


def test_readme_is_a_landing_page():
    lines = README.read_text().splitlines()
    assert len(lines) <= 120, f"README.md has {len(lines)} lines: move the text to a page in docs/"


def test_every_page_in_the_nav_exists():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages = _nav_pages(config["nav"])
    assert pages, "mkdocs.yml has no nav"
    assert [page for page in pages if not (DOCS / page).is_file()] == []


def test_the_site_builds_strictly(tmp_path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    assert mkdocs.exists(), f"{mkdocs} is missing: pip install -e '.[docs]'"
    built = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "index.html").is_file()
