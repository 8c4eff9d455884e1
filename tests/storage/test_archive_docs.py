"""The ten example queries of docs/schema.md run, read-only, on both backends and find something."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record

from storage import run_query

SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def example_queries() -> list[str]:
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    section = text.split("## Example queries", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_the_guide_has_ten_example_queries() -> None:
    assert len(example_queries()) == 10


@pytest.fixture
def analyst_archive(fresh_archive):
    """Fixture records plus what makes every example meaningful: an edit, a link to an article not
    archived, comments missing from a crawl."""
    suv = load_record(SUV)
    suv["comment_count"] = 5
    suv["related_links"].append(
        {"label": "Lire aussi", "title": "Essai Zoé", "url": "https://blog-auto-info.com/essai-zoe/"}
    )
    with fresh_archive.transaction() as repo:
        for record in (load_record(TESLA), load_record(FLAGSHIP), suv, load_record(APPLE)):
            repo.upsert_article(record)
        repo.upsert_article(edited(load_record(FLAGSHIP), title="Renault et Xiaomi : la suite"))
    return fresh_archive


@pytest.mark.parametrize("number", range(1, 11))
def test_example_query_runs_and_returns_rows(analyst_archive, number: int) -> None:
    result = run_query(analyst_archive, example_queries()[number - 1])
    assert result.columns
    assert result.rows, f"query {number} found nothing"
