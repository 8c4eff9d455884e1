"""Exports (JSONL, CSV, Parquet), read-only queries and stats, on both backends."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from archive_helpers import APPLE, FLAGSHIP, SUV, TESLA, load_record
from sqlalchemy import create_engine, text

from storage import (
    Archive,
    StorageError,
    archive_stats,
    export_records,
    normalize_record,
    render_table,
    result_as_json,
    run_query,
)
from storage.export import CSV_LIST_FIELDS
from tests.services import PG_URL


@pytest.fixture
def records() -> list[dict]:
    return [load_record(name) for name in (TESLA, FLAGSHIP, SUV, APPLE)]


@pytest.fixture
def filled(fresh_archive, records):
    with fresh_archive.transaction() as repo:
        for record in records:
            repo.upsert_article(record)
    return fresh_archive


def test_jsonl_export_gives_back_the_schema_records(repo, session, records) -> None:
    for record in records:
        repo.upsert_article(record)
    out = io.StringIO()
    progress: list[tuple[int, int]] = []
    assert (
        export_records(
            session, "jsonl", stdout=out, progress=lambda done, total: progress.append((done, total))
        )
        == 4
    )
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    assert exported == [normalize_record(record) for record in records]
    assert [normalize_record(record) for record in exported] == exported  # valid records, as exported
    assert progress[-1] == (4, 4)


def test_export_filters_by_site_and_publication_date(repo, session, records) -> None:
    for record in records:
        repo.upsert_article(record)
    out = io.StringIO()
    assert export_records(session, "jsonl", stdout=out, since=date(2024, 4, 27)) == 2
    assert export_records(session, "jsonl", stdout=io.StringIO(), site="other.example") == 0


def test_csv_export_is_one_row_per_article(repo, session, records, tmp_path: Path) -> None:
    for record in records:
        repo.upsert_article(record)
    target = tmp_path / "articles.csv"
    assert export_records(session, "csv", target) == 4
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert [row["title"] for row in rows] == [record["title"] for record in records]
    flagship = rows[1]
    assert flagship["comment_count"] == "43"
    for name in CSV_LIST_FIELDS:
        assert json.loads(flagship[name]) == normalize_record(records[1])[name]


def test_parquet_export_reads_back_with_pyarrow(repo, session, records, tmp_path: Path) -> None:
    for record in records:
        repo.upsert_article(record)
    target = tmp_path / "articles.parquet"
    assert export_records(session, "parquet", target) == 4
    table = pq.read_table(target)
    assert table.num_rows == 4
    assert table.to_pylist() == [normalize_record(record) for record in records]


def test_parquet_export_keeps_integers_beyond_32_bits(tmp_path: Path) -> None:
    # An archive written before records' integers were bounded may hold them (SQLite stores them
    # whatever the column's type); the Parquet schema's int32 failed the whole export ("Value
    # 3000000000 too large to fit in C integer type").
    from sqlalchemy import text

    huge = 3_000_000_000
    target = tmp_path / "articles.parquet"
    with Archive(f"sqlite:///{tmp_path / 'news.sqlite'}") as archive:
        with archive.transaction() as repo:
            flagship = repo.upsert_article(load_record(FLAGSHIP))
            repo.upsert_article(load_record(TESLA))
            for sql in (
                "UPDATE articles SET comment_count = :huge WHERE id = :article",
                "UPDATE sections SET level = :huge WHERE version_id = :version AND position = 0",
                "UPDATE related_links SET section_index = :huge WHERE version_id = :version AND position = 0",
            ):
                repo.session.execute(
                    text(sql), {"huge": huge, "article": flagship.article_id, "version": flagship.version_id}
                )
        with archive.session() as session:
            assert export_records(session, "parquet", target) == 2
    expected = normalize_record(load_record(FLAGSHIP))
    expected["comment_count"] = expected["sections"][0]["level"] = huge
    expected["related_links"][0]["section_index"] = huge
    exported = pq.read_table(target).to_pylist()
    assert exported == [expected, normalize_record(load_record(TESLA))]


def test_export_mistakes_are_clear_and_leave_no_partial_file(session, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="unknown export format 'xml'"):
        export_records(session, "xml", tmp_path / "x.xml")
    with pytest.raises(StorageError, match="Parquet is a binary file format"):
        export_records(session, "parquet", "-")
    with pytest.raises(StorageError, match="cannot write"):
        export_records(session, "jsonl", tmp_path / "missing-dir" / "x.jsonl")
    (tmp_path / "a-dir").mkdir()
    with pytest.raises(
        StorageError, match=r"cannot write .*a-dir: it is a directory"
    ):  # it named a temp file
        export_records(session, "jsonl", tmp_path / "a-dir")
    assert list(tmp_path.iterdir()) == [tmp_path / "a-dir"]
    assert list((tmp_path / "a-dir").iterdir()) == []
    # a name ending in / names a directory: "new-dir/" made a file named new-dir
    for meant_as_a_directory in (f"{tmp_path}/new-dir/", f"{tmp_path}/a-dir/"):
        with pytest.raises(StorageError, match=f"cannot write {meant_as_a_directory}: it names a directory"):
            export_records(session, "jsonl", meant_as_a_directory)
    assert list(tmp_path.iterdir()) == [tmp_path / "a-dir"]


def test_query_returns_columns_and_rows(filled) -> None:
    result = run_query(filled, "SELECT site, count(*) AS articles FROM v_articles GROUP BY site")
    assert result.columns == ["site", "articles"]
    assert result.rows == [("blog-auto-info.com", 4)]
    table = render_table(result.columns, result.rows)
    assert table.splitlines()[0].split() == ["site", "articles"]
    assert "blog-auto-info.com  4" in table
    assert json.loads(result_as_json(result)) == [{"site": "blog-auto-info.com", "articles": 4}]
    limited = run_query(filled, "SELECT comment_id FROM v_comments", max_rows=5)
    assert len(limited.rows) == 5 and limited.truncated


def test_query_json_refuses_two_columns_of_one_name(filled) -> None:
    # An object keeps one value per name: the JSON rows of `SELECT a.url, v.url ...` silently lost one.
    result = run_query(
        filled,
        "SELECT a.id, v.id, a.url, v.url, v.title FROM articles a JOIN article_versions v ON v.article_id = a.id",
    )
    with pytest.raises(
        StorageError, match=r"^JSON rows need distinct column names: 'id', 'url' names several"
    ):
        result_as_json(result)
    assert render_table(result.columns, result.rows).splitlines()[0].split() == [
        "id",
        "id",
        "url",
        "url",
        "title",
    ]


def test_query_shows_json_columns_as_json_on_both_backends(filled) -> None:
    # PostgreSQL hands JSONB over as Python lists and dicts: the table showed ['title', 'lead'].
    result = run_query(filled, "SELECT changed_fields FROM article_versions ORDER BY id LIMIT 1")
    shown = render_table(result.columns, result.rows, max_width=1000).splitlines()[2]
    assert json.loads(shown)[:2] == ["language", "title"]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM comments",
        "UPDATE articles SET url = 'x'",
        "INSERT INTO sites (key, first_seen_at) VALUES ('x', '2024-01-01')",
        "DROP TABLE comments",
        "CREATE TABLE scratch (x integer)",
    ],
)
def test_query_refuses_writes(filled, sql: str) -> None:
    with pytest.raises(StorageError, match="read-only"):
        run_query(filled, sql)
    assert run_query(filled, "SELECT count(*) FROM comments").rows == [(47,)]


@pytest.mark.parametrize(
    "sql",
    [
        "COMMIT; DELETE FROM comments",
        "END; DELETE FROM comments",
        "ROLLBACK; SET TRANSACTION READ WRITE; DELETE FROM comments",
        "SELECT 1; DELETE FROM comments",
    ],
)
def test_query_runs_one_statement_so_a_write_cannot_follow_a_commit(filled, sql: str) -> None:
    # PostgreSQL's simple query protocol ran each statement: "COMMIT" ended the READ ONLY transaction
    # and the DELETE was committed.
    with pytest.raises(StorageError, match="one statement at a time"):
        run_query(filled, sql)
    assert run_query(filled, "SELECT count(*) FROM comments").rows == [(47,)]


def test_query_cannot_create_files(filled, tmp_path: Path) -> None:
    # SQLite's query_only let ATTACH create an empty database file wherever the query said.
    target = tmp_path / "elsewhere.db"
    with pytest.raises(StorageError):
        run_query(filled, f"ATTACH DATABASE '{target}' AS elsewhere")
    with pytest.raises(StorageError):
        run_query(filled, f"VACUUM INTO '{target}'")
    assert not target.exists()


def test_postgresql_query_refuses_a_statement_without_rows_before_the_server_runs_it(pg_schemas) -> None:
    # READ ONLY does not stop COPY TO: the server wrote the file (or ran the PROGRAM) and only then
    # was the query refused for returning no rows. /dev/full refuses every write: a COPY that runs
    # fails on it (or on its permission check), one refused beforehand never gets there.
    with Archive(pg_schemas.new()) as archive:
        for sql in ("COPY (SELECT 1) TO '/dev/full'", "COPY (SELECT 1) TO PROGRAM 'cat > /dev/full'"):
            with pytest.raises(StorageError, match="runs SELECT queries only"):
                run_query(archive, sql)
        assert run_query(archive, "SELECT count(*) FROM articles").rows == [(0,)]


def test_query_json_carries_intervals_arrays_and_the_other_postgresql_values(pg_schemas) -> None:
    # An interval (last_seen_at - first_seen_at), an array of dates or numbers, a UUID... stopped
    # `query --json` with a traceback; NaN and Infinity came out as JSON has no such numbers.
    def no_bare_constant(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    sql = (
        "SELECT interval '1 day 2 hours 3.5 seconds' AS span, "
        "ARRAY[timestamptz '2024-04-29 12:00+02'] AS dates, ARRAY[1.5::numeric] AS numbers, "
        "'NaN'::float8 AS nan, '-Infinity'::float8 AS low, "
        "'00000000-0000-0000-0000-000000000001'::uuid AS id, time '12:30' AS at"
    )
    with Archive(pg_schemas.new()) as archive:
        result = run_query(archive, sql)
    assert json.loads(result_as_json(result), parse_constant=no_bare_constant) == [
        {
            "span": "P1DT2H3.5S",
            "dates": ["2024-04-29T10:00:00+00:00"],
            "numbers": [1.5],
            "nan": "NaN",
            "low": "-Infinity",
            "id": "00000000-0000-0000-0000-000000000001",
            "at": "12:30:00",
        }
    ]
    assert render_table(result.columns, result.rows).splitlines()[2].split()[:3] == [
        "P1DT2H3.5S",
        '["2024-04-29T10:00:00+00:00"]',
        "[1.5]",
    ]


def test_query_gives_whole_postgresql_numerics_as_exact_integers(pg_schemas) -> None:
    # numeric (sum() of bigints, a window's sum of counts, round()) went through float: 4.0 where
    # SQLite says 4, and 12345678901234567890 came out as 1.2345678901234567e+19.
    sql = (
        "SELECT 12345678901234567890::numeric AS big, sum(count(*)) OVER () AS total, "
        "round(2.5::numeric) AS rounded, 1.25::numeric AS part"
    )
    with Archive(pg_schemas.new()) as archive:
        result = run_query(archive, sql)
    assert json.loads(result_as_json(result)) == [
        {"big": 12345678901234567890, "total": 1, "rounded": 3, "part": 1.25}
    ]
    assert result_as_json(result).count(".") == 1
    assert render_table(result.columns, result.rows).splitlines()[2].split() == [
        "12345678901234567890",
        "1",
        "3",
        "1.25",
    ]


def test_postgresql_query_reads_no_further_than_max_rows(pg_schemas) -> None:
    # The whole result was fetched (into memory: GBs for `SELECT * FROM paragraphs --max-rows 20` on
    # a large archive) and cut after; the third row here fails, and was computed.
    with Archive(pg_schemas.new()) as archive:
        result = run_query(archive, "SELECT 1 / (3 - g) AS n FROM generate_series(1, 5) g", max_rows=1)
        assert (result.columns, result.rows, result.truncated) == (["n"], [(0,)], True)
        empty = run_query(archive, "SELECT id, url FROM articles", max_rows=10)
        assert (empty.columns, empty.rows, empty.truncated) == (["id", "url"], [], False)
        with pytest.raises(StorageError, match="division by zero"):
            run_query(archive, "SELECT 1 / (3 - g) FROM generate_series(1, 5) g", max_rows=3)
        assert run_query(archive, "SELECT count(*) FROM articles", max_rows=1).rows == [(0,)]


def test_what_a_postgresql_query_leaves_in_its_session_ends_with_the_query(pg_schemas) -> None:
    # Its connection went back to the archive's pool: an advisory lock a query took (a function with
    # effects outside the READ ONLY transaction) stayed held for as long as the archive was open.
    other = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with Archive(pg_schemas.new()) as archive, other.connect() as connection:
            assert len(run_query(archive, "SELECT pg_advisory_lock(7243)").rows) == 1
            assert connection.scalar(text("SELECT pg_try_advisory_lock(7243)")) is True
            connection.execute(text("SELECT pg_advisory_unlock(7243)"))
            assert run_query(archive, "SELECT count(*) FROM articles").rows == [(0,)]
    finally:
        other.dispose()


def test_a_postgresql_query_ends_on_the_server_when_its_process_is_killed(pg_schemas) -> None:
    # The server noticed a client gone only when it sent it rows: a query killed outright (SIGKILL,
    # a lost ssh session's SIGHUP) that never ends went on for good, a CPU busy and its snapshot
    # holding back vacuum.
    url = pg_schemas.new()
    Archive(url).close()
    marker = uuid.uuid4().hex
    endless = (
        f"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*), '{marker}' FROM n"
    )
    running = text(
        "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
        "AND position(:marker IN query) > 0"
    ).bindparams(marker=marker)

    def within(seconds: float, done) -> None:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            time.sleep(0.1)

    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with (
            subprocess.Popen([sys.executable, "-m", "newscrawl", "query", endless, "--db", url]) as client,
            engine.connect() as connection,
        ):
            within(30, lambda: connection.execute(running).all())
            assert connection.execute(running).all(), "the query did not start"
            client.kill()
            client.wait()
            within(10, lambda: not connection.execute(running).all())
            left = connection.execute(running).scalars().all()
            for pid in left:  # (for the next tests)
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert left == []
    finally:
        engine.dispose()


def test_query_keeps_percent_signs_and_a_final_semicolon(filled) -> None:
    result = run_query(filled, "SELECT count(*) AS n FROM articles WHERE url LIKE '%blog-auto-info%';")
    assert result.rows == [(4,)]


def test_query_reports_bad_sql_in_one_line(filled) -> None:
    with pytest.raises(StorageError) as raised:
        run_query(filled, "SELECT nope FROM articles")
    assert "\n" not in str(raised.value) and "nope" in str(raised.value)
    with pytest.raises(StorageError, match="empty SQL"):
        run_query(filled, "  ")
    # a Latin-1 "é" typed in a UTF-8 terminal reaches Python as a lone surrogate: a traceback
    latin1 = b"SELECT 'caf\xe9'".decode("utf-8", "surrogateescape")
    with pytest.raises(StorageError, match=r"^the SQL query is not UTF-8 text"):
        run_query(filled, latin1)


def test_stats_count_what_is_archived(filled) -> None:
    figures = archive_stats(filled)
    assert (figures["articles"], figures["comments"], figures["sites"]) == (4, 47, 1)
    assert figures["related_links"] == figures["related_links_resolved"] == 4
    assert figures["per_site"][0]["site"] == "blog-auto-info.com"
    assert figures["per_site"][0]["comments"] == 47
    json.dumps(figures)  # ready for --json
    if filled.backend == "postgresql":  # this schema's tables, not the whole (shared) database
        with filled.session() as session:
            database = session.scalar(text("SELECT pg_database_size(current_database())"))
        assert 0 < figures["size_bytes"] < database
