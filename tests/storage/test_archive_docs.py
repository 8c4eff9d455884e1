"""The ten example queries of docs/schema.md run, read-only, on both backends and find something."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, edited, load_record

from storage import Archive, ArchiveRepository, run_query

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


def test_postgresql_dates_are_utc_whatever_the_server_s_time_zone(pg_schemas) -> None:
    # A server set to its team's time zone (initdb takes the system's) gave query 6's "comments per
    # day (UTC)", and every date `newscrawl query` shows, in that zone: other days than on SQLite.
    far_east = pg_schemas.new() + "%20-ctimezone%3DPacific%2FKiritimati"  # UTC+14
    record = load_record(FLAGSHIP)
    with Archive(far_east) as archive:
        with archive.transaction() as repo:
            repo.upsert_article(record)
        per_day = run_query(archive, example_queries()[5]).rows
        published = run_query(archive, "SELECT published_at FROM comments WHERE published_at IS NOT NULL")
    days = Counter(
        datetime.fromisoformat(c["published_at"]).astimezone(UTC).date() for c in record["comments"]
    )
    assert [(str(day), count) for day, count in per_day] == [(str(d), n) for d, n in sorted(days.items())]
    assert {value.utcoffset() for (value,) in published.rows} == {timedelta(0)}


def test_the_documented_portable_date_text_is_the_same_on_both_backends(analyst_archive) -> None:
    # docs/schema.md: query shows SQLite's text and PostgreSQL's timestamptz; this gives one text.
    (shown,) = run_query(
        analyst_archive,
        "SELECT substr(CAST(published_at AS TEXT), 1, 19), CAST(date(published_at) AS TEXT) FROM v_articles "
        "WHERE title LIKE 'Les prix des Tesla%'",
    ).rows
    published = datetime.fromisoformat(load_record(TESLA)["published_at"]).astimezone(UTC)
    assert shown == (f"{published:%Y-%m-%d %H:%M:%S}", f"{published:%Y-%m-%d}")


@pytest.mark.parametrize("date_style", ["German", "SQL", "Postgres"])
def test_postgresql_dates_are_read_whatever_the_server_s_date_style(pg_schemas, date_style: str) -> None:
    # psycopg reads dates written in ISO 8601 only: with another DateStyle (postgresql.conf, ALTER
    # DATABASE ... SET datestyle) every command stopped with a NotImplementedError traceback.
    record = load_record(FLAGSHIP)
    with Archive(f"{pg_schemas.new()}%20-cdatestyle%3D{date_style}") as archive:
        with archive.transaction() as repo:
            article_id = repo.upsert_article(record).article_id
        with archive.session() as session:
            assert ArchiveRepository(session).get_record(article_id)["published_at"] == record["published_at"]
        (text_form,) = run_query(archive, "SELECT CAST(published_at AS TEXT) FROM v_articles").rows[0]
    assert text_form.startswith(
        datetime.fromisoformat(record["published_at"]).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    )
