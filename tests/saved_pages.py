"""Where the tests' saved pages live: each page is stored once.

The golden folder holds every page that has a full expected record; the comment, metadata and
archive-capture tests read those pages from there (by name, or by the URL they were fetched from) and keep in
their own folders only the pages no other test has.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"


def saved_page(name: str, *folders: Path) -> Path:
    """``<name>.html`` from the first of ``folders`` that has it, else from the golden folder."""
    for folder in (*folders, GOLDEN):
        path = folder / f"{name}.html"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no saved page {name}.html in {', '.join(str(f) for f in (*folders, GOLDEN))}")


@cache
def _golden_pages_by_url() -> dict[str, Path]:
    pages = {}
    for answers in GOLDEN.glob("*.json"):
        url = json.loads(answers.read_text(encoding="utf-8"))["url"]
        pages[url] = answers.with_suffix(".html")
    return pages


def golden_page_for_url(url: str) -> Path:
    """The golden page fetched from ``url`` (the reference mirror's articles and comment pages)."""
    try:
        return _golden_pages_by_url()[url]
    except KeyError:
        raise FileNotFoundError(f"no golden page was fetched from {url}") from None
