"""MkDocs hooks (mkdocs.yml ``hooks:``), for the site only: the Markdown pages stay as GitHub renders them."""

from __future__ import annotations

import re

_CODE = re.compile(r"<code[^>]*>.*?</code>", re.S)


def on_page_content(html: str, **kwargs: object) -> str:
    """A pipe escaped inside a table's code span (``a\\|b``, as GitHub needs it) shows as a plain pipe."""
    return _CODE.sub(lambda match: match.group(0).replace("\\|", "|"), html)
