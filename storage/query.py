"""Read-only SQL for analysts (``newscrawl query``) and archive statistics (``newscrawl stats``)."""

from __future__ import annotations

import base64
import json
import math
import os
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.db import Archive, current_revision, sqlite_file
from storage.errors import StorageError
from storage.models import Article, ArticleVersion, Comment, CrawlRun, RawCapture, RelatedLink, Site


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool
    """True when the query had more rows than ``max_rows``."""


def run_query(archive: Archive, sql: str, *, max_rows: int | None = None) -> QueryResult:
    """Run one SQL statement on a connection that cannot write.

    SQLite: ``PRAGMA query_only`` (and the driver runs a single statement only); PostgreSQL: a
    ``READ ONLY`` transaction, rolled back afterwards, and a single statement too. A write, or more
    than one statement, is refused with :class:`StorageError`.
    """
    if not sql.strip():
        raise StorageError("empty SQL query")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:  # bytes of another encoding on the command line (Python keeps them so)
        raise StorageError(
            "the SQL query is not UTF-8 text (is the terminal set to another encoding?)"
        ) from None
    with archive.read_only_connection() as connection:
        if archive.backend == "postgresql":
            columns, rows = _run_one_postgresql_statement(connection, sql, max_rows)
        else:
            result = connection.exec_driver_sql(sql)
            if not result.returns_rows:
                raise StorageError(_NO_ROWS)
            columns = list(result.keys())
            rows = [
                tuple(row)
                for row in (result.fetchmany(max_rows + 1) if max_rows is not None else result.all())
            ]
    truncated = max_rows is not None and len(rows) > max_rows
    return QueryResult(columns, rows[:max_rows] if truncated else rows, truncated)


_NO_ROWS = (
    "refused: this connection is read-only and `newscrawl query` runs SELECT queries only "
    "(the statement returns no rows)"
)


def _run_one_postgresql_statement(
    connection: Any, sql: str, max_rows: int | None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """psycopg sends a query without parameters through the simple protocol, which runs every statement
    of ``COMMIT; DELETE ...`` in turn, the first one ending the READ ONLY transaction. Prepared, the
    query is parsed by the server as one statement, or refused."""
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        try:
            columns = _columns_of_a_statement_with_rows(driver, sql)
        except Exception as error:
            if "cannot insert multiple commands" in str(error):
                raise StorageError(
                    "one statement at a time: `newscrawl query` runs a single SELECT query"
                ) from None
            raise
        if max_rows is None:
            cursor.execute(sql, prepare=True)
            return columns, [tuple(row) for row in cursor.fetchall()]
        # Row by row, no further than shown: a query run whole had every row in memory (GBs for
        # `SELECT * FROM paragraphs --max-rows 20`); the rest of the result is cancelled.
        with closing(cursor.stream(sql)) as stream:
            return columns, [tuple(row) for row in islice(stream, max_rows + 1)]
    finally:
        cursor.close()


def _columns_of_a_statement_with_rows(driver: Any, sql: str) -> list[str]:
    """Have the server parse and describe the statement without running it, and refuse one that
    returns no rows; returns its column names. A READ ONLY transaction refuses writes to the
    database, not ``COPY ... TO`` a file of the server or a ``PROGRAM`` it runs (both ran, before
    the query was refused for returning no rows), nor ``CHECKPOINT``, ``LOCK`` and the like."""
    from psycopg import errors, pq

    encoding = driver.info.encoding
    parsed = driver.pgconn.prepare(b"", sql.encode(encoding))
    if parsed.status != pq.ExecStatus.COMMAND_OK:  # the server's own error (syntax, several statements)
        raise errors.error_from_result(parsed, encoding=encoding)
    described = driver.pgconn.describe_prepared(b"")
    if described.nfields == 0:
        raise StorageError(_NO_ROWS)
    return [(described.fname(i) or b"").decode(encoding) for i in range(described.nfields)]


def jsonable(value: Any) -> Any:
    """A value of a result row as JSON can carry it: dates and times ISO 8601, intervals ISO 8601
    durations, whole numerics as integers, bytes base64, arrays and JSON values item by item, NaN and infinities as PostgreSQL
    writes them (JSON has no such numbers), anything else (UUID, inet, ranges) as its text. An
    interval or an array of dates, everyday values on PostgreSQL, stopped ``query --json`` with a
    traceback."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):  # PostgreSQL's numeric: sum() of bigints, avg(), round() ...
        if value.is_finite() and value == value.to_integral_value():
            return int(value)  # exact (a float keeps 15 to 17 digits), and 4, not 4.0
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _iso_duration(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return str(value)


def _iso_duration(value: timedelta) -> str:
    """``P2DT3H4M5.5S``; ``-PT1S`` for a negative interval."""
    if value < timedelta(0):
        return "-" + _iso_duration(-value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if value.microseconds:
        clock += f"{seconds}.{value.microseconds:06d}".rstrip("0") + "S"
    elif seconds:
        clock += f"{seconds}S"
    duration = "P" + (f"{value.days}D" if value.days else "") + (f"T{clock}" if clock else "")
    return "PT0S" if duration == "P" else duration


def result_as_json(result: QueryResult) -> str:
    """The rows as a JSON array of objects keyed by column name; StorageError if two columns have one
    name (``SELECT a.id, v.id``, ``SELECT *`` of a join), of which an object would keep one only."""
    repeated = sorted({name for name in result.columns if result.columns.count(name) > 1})
    if repeated:
        raise StorageError(
            f"JSON rows need distinct column names: {', '.join(map(repr, repeated))} names several "
            "columns (give them other names with AS)"
        )
    return json.dumps(
        [
            {name: jsonable(value) for name, value in zip(result.columns, row, strict=True)}
            for row in result.rows
        ],
        ensure_ascii=False,
        indent=1,
    )


def render_table(columns: list[str], rows: list[tuple[Any, ...]], *, max_width: int = 60) -> str:
    """A plain-text table with aligned columns; long cells are cut with an ellipsis, NULL shows as ∅,
    JSON columns as JSON on both backends."""

    def cell(value: Any) -> str:
        converted = jsonable(value)
        if value is None:
            shown = "∅"
        elif isinstance(converted, dict | list):  # JSONB and arrays, read as Python objects: as JSON
            shown = json.dumps(converted, ensure_ascii=False)
        else:
            shown = str(converted)
        shown = " ".join(shown.split())
        return shown if len(shown) <= max_width else shown[: max_width - 1] + "…"

    cells = [[cell(value) for value in row] for row in rows]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(columns)]
    lines = [
        "  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)).rstrip(),
        "  ".join("-" * width for width in widths),
    ]
    lines.extend(
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )
    return "\n".join(lines)


def archive_stats(archive: Archive) -> dict[str, Any]:
    """Counts, per-site figures and the latest crawl run, as a JSON-ready dict."""
    with archive.session() as session:
        return _stats(archive, session)


def archived_site_keys(session: Session) -> list[str]:
    """Keys of the sites the archive holds, sorted."""
    return list(session.scalars(select(Site.key).order_by(Site.key)))


def comment_counts_by_site(session: Session) -> dict[str, int]:
    """Archived comments per site key (sites without comments are absent)."""
    return dict(
        session.execute(
            select(Site.key, func.count(Comment.id))
            .join(Article, Article.site_id == Site.id)
            .join(Comment, Comment.article_id == Article.id)
            .group_by(Site.key)
        ).all()
    )


def _count(session: Session, model: Any, *conditions: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def _stats(archive: Archive, session: Session) -> dict[str, Any]:
    captures = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(RawCapture.size), 0),
            func.coalesce(func.sum(func.length(RawCapture.body)), 0),
        )
    ).one()
    per_site = session.execute(
        select(
            Site.key,
            func.count(Article.id),
            func.min(ArticleVersion.published_at),
            func.max(ArticleVersion.published_at),
            func.max(Article.last_seen_at),
        )
        .join(Article, Article.site_id == Site.id)
        .join(ArticleVersion, ArticleVersion.id == Article.current_version_id)
        .group_by(Site.key)
        .order_by(Site.key)
    ).all()
    comments_per_site = comment_counts_by_site(session)
    last_run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).one_or_none()
    size = None
    database = sqlite_file(archive.url)
    if archive.backend == "sqlite" and database:
        size = sum(
            os.path.getsize(database + suffix) for suffix in ("", "-wal") if os.path.exists(database + suffix)
        )
    else:  # the archive's own tables, with their indexes and TOAST, not the whole database's
        size = session.scalar(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            )
        )
        size = int(size)  # sum() of bigints is numeric
    return {
        "database": archive.url.render_as_string(hide_password=True),
        "schema_revision": current_revision(session.connection()),
        "size_bytes": size,
        "sites": _count(session, Site),
        "articles": _count(session, Article),
        "article_versions": _count(session, ArticleVersion),
        "comments": _count(session, Comment),
        "related_links": _count(session, RelatedLink),
        "related_links_resolved": _count(session, RelatedLink, RelatedLink.target_article_id.is_not(None)),
        "search_rows_waiting": session.scalar(text("SELECT count(*) FROM article_search_pending"))
        if archive.backend == "sqlite"
        else 0,
        "raw_captures": captures[0],
        "raw_capture_bytes": int(captures[1]),
        "raw_capture_stored_bytes": int(captures[2]),
        "crawl_runs": _count(session, CrawlRun),
        "last_crawl_run": None
        if last_run is None
        else {
            "id": last_run.id,
            "name": last_run.name,
            "status": last_run.status,
            "started_at": jsonable(last_run.started_at),
            "finished_at": jsonable(last_run.finished_at),
            "articles_new": last_run.articles_new,
            "articles_updated": last_run.articles_updated,
            "articles_unchanged": last_run.articles_unchanged,
            "comments_added": last_run.comments_added,
        },
        "per_site": [
            {
                "site": key,
                "articles": articles,
                "comments": comments_per_site.get(key, 0),
                "first_published_at": jsonable(first),
                "last_published_at": jsonable(last),
                "last_seen_at": jsonable(seen),
            }
            for key, articles, first, last, seen in per_site
        ],
    }
