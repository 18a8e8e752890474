"""MkDocs hooks (mkdocs.yml ``hooks:``), for the site only: the Markdown pages stay as GitHub renders them."""

from __future__ import annotations

import re

_CODE = re.compile(r"<code[^>]*>.*?</code>", re.S)
# A Sphinx role in a docstring (:func:`~lrsweep.x.name`), as the Google-style reference renders it.
_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):<code>(~?)([^<]*)</code>")


def _role(match: re.Match[str]) -> str:
    """The role's name in code, as Sphinx shows it: ``~a.b.name`` as ``name``, a private module's path cut."""
    tilde, target = match.groups()
    parts = target.split(".")
    public = [part for part in parts if not part.startswith("_")]
    shown = parts[-1] if tilde or len(public) != len(parts) else target
    return f"<code>{shown}</code>"


def on_page_content(html: str, **kwargs: object) -> str:
    """A pipe escaped inside a table's code span (``a\\|b``, as GitHub needs it) shows as a plain pipe, and the
    docstrings' Sphinx roles show as their names."""
    html = _CODE.sub(lambda match: match.group(0).replace("\\|", "|"), html)
    return _ROLE.sub(_role, html)
