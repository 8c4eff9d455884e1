"""The repository the crawler writes through: records in, records out. It never commits.

Whoever owns the unit of work commits (``Archive.transaction()``, later the Scrapy item pipeline,
one transaction per article). All methods take and return plain dicts / small dataclasses.

Writing::

    run_id = repo.start_crawl_run("blog-auto-info", settings={"DOWNLOAD_DELAY": 1})
    result = repo.upsert_article(record, crawl_run_id=run_id, captures=[
        {"url": response.url, "status": 200, "headers": response.headers,
         "fetched_at": datetime.now(UTC), "body": response.body},
    ])
    result.status            # "new" | "updated" | "unchanged"
    repo.finish_crawl_run(run_id, status="finished", stats={...})

Reading: ``get_record(article_id)`` gives back the current record exactly as it was upserted
(normalized: see :func:`storage.record.normalize_record`), with the merged comments;
``iter_captures()`` streams the raw pages for re-extraction and ``replace_version_record()`` stores
what re-extraction found.

Writes are batched (one executemany per child table, prepared once: see storage/prepared.py). A
re-crawl reads little: the very record stored last time is recognized by its fingerprint (one
SELECT, one UPDATE); otherwise the current version's content hash and the article's comments
digest are compared before anything else is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar, Literal, NamedTuple

import zstandard
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from storage import fulltext
from storage.db import OWN_CONNECTION
from storage.errors import InvalidRecord
from storage.models import (
    CRAWL_RUN_STATUSES,
    Article,
    ArticleTable,
    ArticleUrl,
    ArticleVersion,
    Comment,
    CrawlRun,
    KeyPoint,
    Paragraph,
    RawCapture,
    RelatedLink,
    Section,
    Site,
    TableCell,
    TableRow,
    Tag,
    VersionAuthor,
)
from storage.prepared import PreparedStatement
from storage.record import (
    CONTENT_FIELDS,
    CommentEntry,
    DatePrecision,
    changed_fields,
    comment_content_hash,
    comment_entries,
    comments_digest,
    content_hash,
    normalize_record,
    parse_datetime,
    same_relative_date,
    site_from_url,
    url_key,
)

SELECTED_HEADERS = (
    "content-type",
    "content-language",
    "content-encoding",
    "last-modified",
    "etag",
    "date",
    "expires",
    "cache-control",
    "location",
    "link",
    "x-robots-tag",
)
"""Response headers kept with a raw capture (the rest are noise for re-extraction)."""

CAPTURE_COMPRESSION = "zstd"
"""How new raw captures are compressed (``raw_captures.compression``); rows written before keep
theirs (``zlib``) and read back the same (:func:`decompress_capture`)."""
CAPTURE_ZSTD_LEVEL = 3
"""zstd's default level: on 150 real article pages (205 KB on average) it compressed 6.6× faster than
zlib level 6 (0.8 against 5.3 ms a page; the crawl's event loop does it) into 3 % fewer bytes."""
_codecs = threading.local()  # zstd contexts are not to be shared between threads


def compress_capture(body: bytes) -> bytes:
    compressor = getattr(_codecs, "compressor", None)
    if compressor is None:
        compressor = _codecs.compressor = zstandard.ZstdCompressor(level=CAPTURE_ZSTD_LEVEL)
    return compressor.compress(body)


def decompress_capture(body: bytes, compression: str) -> bytes:
    """A stored capture's bytes; ValueError if they cannot be decompressed."""
    try:
        if compression == "zstd":
            decompressor = getattr(_codecs, "decompressor", None)
            if decompressor is None:
                decompressor = _codecs.decompressor = zstandard.ZstdDecompressor()
            return decompressor.decompress(body)
        if compression == "zlib":
            return zlib.decompress(body)
    except (zstandard.ZstdError, zlib.error) as error:
        raise ValueError(f"cannot decompress ({compression}): {error}") from None
    raise ValueError(f"unknown compression {compression!r}")


_LOOKUP_CHUNK = 500
"""Articles looked up by one statement of :meth:`ArchiveRepository.touch_unchanged` (SQLite allows
32,766 parameters, and a longer IN list gains nothing more)."""

_ARTICLES = Article.__table__
_VERSIONS = ArticleVersion.__table__
_URLS = ArticleUrl.__table__
_AUTHORS = VersionAuthor.__table__
_SECTIONS = Section.__table__
_PARAGRAPHS = Paragraph.__table__
_LINKS = RelatedLink.__table__
_KEY_POINTS = KeyPoint.__table__
_TABLES = ArticleTable.__table__
_ROWS = TableRow.__table__
_CELLS = TableCell.__table__
_TAGS = Tag.__table__
_COMMENTS = Comment.__table__
_CAPTURES = RawCapture.__table__
_RUNS = CrawlRun.__table__
_SITES = Site.__table__


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What one upsert did."""

    article_id: int
    version_id: int
    """The article's current version after the upsert."""
    status: Literal["new", "updated", "unchanged"]
    version_number: int
    changed_fields: tuple[str, ...] = ()
    """Content fields that differ from the previous version ("updated" only)."""
    comments_added: int = 0
    comments_updated: int = 0
    captures_stored: int = 0
    links_resolved: int = 0
    """Related links of other articles that waited for this one and now point at it.

    (The article's own links are resolved as they are stored, against what is archived already.)"""


@dataclass(frozen=True, slots=True)
class StoredCapture:
    """A raw capture as stored, body decompressed."""

    id: int
    article_id: int
    version_id: int
    crawl_run_id: int | None
    url: str
    http_status: int
    headers: dict[str, str]
    fetched_at: datetime
    sha256: str
    body: bytes


@dataclass(slots=True)
class _CommentMerge:
    added: int = 0
    updated: int = 0
    digest: str | None = None
    texts: list[str] | None = None
    """All comment texts in order, when the merge read them (None: comments were not touched)."""


# --------------------------------------------------------------------------- small helpers


def _split_datetime(iso: str | None) -> tuple[datetime | None, int | None]:
    """(aware datetime, UTC offset in minutes) of a normalized ISO string. A date-time given without
    its zone is stored as written, read as UTC, with no offset (NULL): nothing else stores one."""
    if iso is None:
        return None, None
    parsed = datetime.fromisoformat(iso)
    offset = parsed.utcoffset()
    if offset is None:
        return parsed.replace(tzinfo=UTC), None
    return parsed, int(offset.total_seconds()) // 60


def _join_datetime(value: datetime | None, offset_minutes: int | None) -> str | None:
    """The ISO string a record carried, from the stored instant and the page's UTC offset (none: the
    record gave the date-time without its zone)."""
    if value is None:
        return None
    if offset_minutes is None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return value.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()


def _header_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_header_text(v) for v in value)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value).replace("\x00", "")  # PostgreSQL's JSONB cannot hold NUL


def select_headers(headers: Mapping[Any, Any] | None) -> dict[str, str]:
    """The :data:`SELECTED_HEADERS` of a response, names lower-cased, bytes and lists decoded."""
    selected: dict[str, str] = {}
    for name, value in (headers or {}).items():
        key = (name.decode("latin-1") if isinstance(name, bytes) else str(name)).lower()
        if key in SELECTED_HEADERS:
            selected[key] = _header_text(value)
    return selected


def prepare_capture(capture: Mapping[str, Any], path: str = "captures[0]") -> dict[str, Any]:
    """Check a capture dict and turn it into a row (sha256, size, selected headers); the body is
    compressed only when the row is stored (:meth:`ArchiveRepository._store_captures`)."""
    if not isinstance(capture, Mapping):
        raise InvalidRecord(path, "expected object with url, status, headers, fetched_at, body")
    for key in ("url", "status", "body"):
        if key not in capture:
            raise InvalidRecord(f"{path}.{key}", "required field missing")
    url, status, body = capture["url"], capture["status"], capture["body"]
    if not isinstance(url, str) or not url:
        raise InvalidRecord(f"{path}.url", "expected non-empty string")
    if isinstance(status, bool) or not isinstance(status, int):
        raise InvalidRecord(f"{path}.status", "expected integer HTTP status")
    if not isinstance(body, bytes | bytearray | memoryview):
        raise InvalidRecord(f"{path}.body", "expected bytes (the response body as fetched)")
    fetched_at = capture.get("fetched_at") or datetime.now(UTC)
    if isinstance(fetched_at, str):
        fetched_at = parse_datetime(fetched_at, f"{path}.fetched_at")
    if not isinstance(fetched_at, datetime) or fetched_at.tzinfo is None:
        raise InvalidRecord(f"{path}.fetched_at", "expected timezone-aware datetime or ISO 8601 string")
    raw = bytes(body)
    return {
        "url": url,
        "http_status": status,
        "headers": select_headers(capture.get("headers")),
        "fetched_at": fetched_at,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
        "compression": CAPTURE_COMPRESSION,
        "body": raw,
    }


def record_fingerprint(record: Any) -> str | None:
    """sha256 of a record exactly as received (None if it cannot be serialized): the same record
    again needs no validation nor comparison.

    ``marshal`` serializes the plain dicts, lists and strings of a record three times faster than
    ``json``, which made up a fifth of an unchanged re-ingest."""
    try:
        data = marshal.dumps(record, _MARSHAL_FORMAT)
    except ValueError:
        return None
    return hashlib.sha256(data).hexdigest()


_MARSHAL_FORMAT = 2
"""Pinned, so that a Python upgrade keeps fingerprints (one that changed would only cost one full
comparison per article). Version 2 writes values only: from version 3 on, marshal also writes which
values are the same object, and whether a string is interned, both depending on reference counts, so
that the very same record received again got another fingerprint about a third of the time (the
full comparison then found it unchanged, at several times the cost)."""


def _former_urls(urls: Sequence[str]) -> list[str]:
    """The checked ``redirected_from`` URLs of an upsert."""
    if isinstance(urls, str) or not all(isinstance(url, str) and url.strip() for url in urls):
        raise InvalidRecord("redirected_from", "expected a list of URLs")
    return list(urls)


def _record_key(record: Any) -> tuple[str, str] | None:
    """(site, identity URL) of a raw record as normalize_record would give them, None if malformed."""
    if not isinstance(record, Mapping):
        return None
    url, site, canonical = record.get("url"), record.get("site"), record.get("canonical_url")
    if (
        not isinstance(url, str)
        or not url.strip()
        or not isinstance(site, str | None)
        or not isinstance(canonical, str | None)
    ):
        return None
    return (site or site_from_url(url)), (canonical or url)


def merged_comment_order(
    stored: Sequence[str], incoming: Sequence[str], parent_of: Mapping[str, str | None] | None = None
) -> list[str]:
    """Order of the merged comment list: the incoming order, stored-only comments kept in place,
    replies after their parent.

    A stored comment missing from the new crawl (deleted on the site, or on a comment page that was
    not fetched this time) stays right after the comment it followed before. A reply archived
    before its parent (its page was crawled first) moves right after the parent once it is there.
    """
    present = set(incoming)
    followers: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for key in stored:
        if key not in present:
            followers.setdefault(anchor, []).append(key)
        anchor = key
    order: list[str] = []

    def emit(key: str) -> None:
        order.append(key)
        for follower in followers.get(key, ()):
            emit(follower)

    for key in followers.get(None, ()):
        emit(key)
    for key in incoming:
        emit(key)
    return _replies_after_parents(order, parent_of or {})


def _replies_after_parents(order: list[str], parent_of: Mapping[str, str | None]) -> list[str]:
    listed = set(order)
    placed: set[str] = set()
    waiting: dict[str, list[str]] = {}
    threaded: list[str] = []

    def place(key: str) -> None:
        if key in placed:
            return
        placed.add(key)
        threaded.append(key)
        for reply in waiting.pop(key, ()):
            place(reply)

    for key in order:
        parent = parent_of.get(key)
        if parent is not None and parent in listed and parent not in placed and parent != key:
            waiting.setdefault(parent, []).append(key)
        else:
            place(key)
    if waiting:  # replies whose parent never got placed (a cycle in bad data) keep their turn
        for key in order:
            place(key)
    return threaded


def _param(column: Any) -> Any:
    """A bind parameter typed like ``column`` (so dates go through UTCDateTime) named ``p_<column>``."""
    return bindparam(f"p_{column.name}", type_=column.type)


def _owner_of_link() -> Any:
    return select(_URLS.c.article_id).where(_URLS.c.url_key == _LINKS.c.url_key).scalar_subquery()


def _insert_columns(table: Any, *exclude: str) -> list[str]:
    """Columns an INSERT gives values for: all but the generated surrogate key ``id``."""
    return [c.name for c in table.c if c.name not in ("id", *exclude)]


def _bulk(table: Any, *exclude: str, statement: Any = None) -> PreparedStatement:
    """An executemany INSERT of every column but ``exclude`` and the surrogate key."""
    return PreparedStatement(
        statement if statement is not None else insert(table).inline(), _insert_columns(table, *exclude)
    )


class _Found(NamedTuple):
    site_id: int
    id: int | None
    url: str | None
    comments_digest: str | None
    record_fingerprint: str | None
    version_id: int | None
    content_hash: str | None
    version_number: int | None
    comment_pages_missed: int | None

    def stores(self, fingerprint: str | None) -> bool:
        """The article's current version is this very record (the same fingerprint as last time)."""
        return (
            self.id is not None
            and self.version_id is not None
            and fingerprint is not None
            and self.record_fingerprint == fingerprint
        )


_FOUND_COLUMNS = (
    _SITES.c.id,
    _ARTICLES.c.id,
    _ARTICLES.c.url,
    _ARTICLES.c.comments_digest,
    _ARTICLES.c.record_fingerprint,
    _VERSIONS.c.id,
    _VERSIONS.c.content_hash,
    _VERSIONS.c.version_number,
    _ARTICLES.c.comment_pages_missed,
)
"""What an upsert reads of the article it is given (the fields of :class:`_Found`)."""


class _Statements:
    """Every statement of the write path, built once: building and cache-keying statements costs
    more than SQLite takes to run them, and re-ingest speed matters (see bench/archive_bench.py)."""

    find_article = PreparedStatement(
        select(*_FOUND_COLUMNS)
        .select_from(_SITES)
        .outerjoin(
            _ARTICLES,
            (_ARTICLES.c.site_id == _SITES.c.id) & (_ARTICLES.c.canonical_url == bindparam("identity")),
        )
        .outerjoin(_VERSIONS, _VERSIONS.c.id == _ARTICLES.c.current_version_id)
        .where(_SITES.c.key == bindparam("site"))
    )
    # the same for many articles at once, each with the key it was asked by
    find_articles = (
        select(_SITES.c.key, _ARTICLES.c.canonical_url, *_FOUND_COLUMNS)
        .select_from(_ARTICLES)
        .join(_SITES, _SITES.c.id == _ARTICLES.c.site_id)
        .outerjoin(_VERSIONS, _VERSIONS.c.id == _ARTICLES.c.current_version_id)
        .where(_ARTICLES.c.canonical_url.in_(bindparam("identities", expanding=True)))
    )
    # The articles known by either of two URL keys, with their canonical URL (see _find_moved).
    find_articles_by_url = PreparedStatement(
        select(*_FOUND_COLUMNS, _URLS.c.url_key, _ARTICLES.c.canonical_url)
        .select_from(_URLS)
        .join(_ARTICLES, _ARTICLES.c.id == _URLS.c.article_id)
        .join(_SITES, _SITES.c.id == _ARTICLES.c.site_id)
        .outerjoin(_VERSIONS, _VERSIONS.c.id == _ARTICLES.c.current_version_id)
        .where(
            _URLS.c.url_key.in_((bindparam("identity_key"), bindparam("fetch_key"))),
            _SITES.c.key == bindparam("site"),
        )
        .order_by((_URLS.c.url_key == bindparam("identity_key")).desc())
    )
    # Evidence that a record is an archived article it is not found as (see _find_moved): one of the
    # article's versions has the record's content, or one of its comments a site id the record's have.
    same_content = (
        select(_VERSIONS.c.id)
        .where(
            _VERSIONS.c.article_id == bindparam("article_id"),
            _VERSIONS.c.content_hash == bindparam("content_hash"),
        )
        .limit(1)
    )
    shared_comment = (
        select(_COMMENTS.c.id)
        .where(
            _COMMENTS.c.article_id == bindparam("article_id"),
            _COMMENTS.c.comment_key.in_(bindparam("comment_ids", expanding=True)),
            _COMMENTS.c.site_comment_id.is_not(None),
        )
        .limit(1)
    )
    rename_article = PreparedStatement(
        update(_ARTICLES)
        .where(_ARTICLES.c.id == bindparam("p_article_id"))
        .values(canonical_url=bindparam("p_canonical_url"))
    )
    site_id = select(_SITES.c.id).where(_SITES.c.key == bindparam("site"))
    # ON CONFLICT DO NOTHING: a concurrent crawler may archive the same new article first; the
    # upsert then carries on as for an existing article instead of failing.
    insert_article: ClassVar[dict[str, PreparedStatement]] = {
        name: PreparedStatement(
            dialect.insert(_ARTICLES).on_conflict_do_nothing().returning(_ARTICLES.c.id),
            _insert_columns(_ARTICLES),
        )
        for name, dialect in (("postgresql", postgresql_dialect), ("sqlite", sqlite_dialect))
    }
    touch_article = PreparedStatement(
        update(_ARTICLES)
        .where(_ARTICLES.c.id == bindparam("p_article_id"))
        .values(
            {
                column: _param(column)
                for column in (
                    _ARTICLES.c.url,
                    _ARTICLES.c.last_seen_at,
                    _ARTICLES.c.comment_count,
                    _ARTICLES.c.last_crawl_run_id,
                    _ARTICLES.c.current_version_id,
                    _ARTICLES.c.comments_digest,
                    _ARTICLES.c.record_fingerprint,
                )
            }
        )
    )
    note_comment_pages_missed = PreparedStatement(
        update(_ARTICLES)
        .where(_ARTICLES.c.id == bindparam("p_article_id"))
        .values(comment_pages_missed=_param(_ARTICLES.c.comment_pages_missed))
    )
    seen_again = PreparedStatement(
        update(_ARTICLES)
        .where(_ARTICLES.c.id == bindparam("p_article_id"))
        .values(
            last_seen_at=_param(_ARTICLES.c.last_seen_at),
            last_crawl_run_id=_param(_ARTICLES.c.last_crawl_run_id),
        )
    )
    insert_version = PreparedStatement(
        insert(_VERSIONS).returning(_VERSIONS.c.id), _insert_columns(_VERSIONS)
    )
    insert_authors = _bulk(_AUTHORS)
    insert_sections = _bulk(_SECTIONS)
    insert_paragraphs = _bulk(_PARAGRAPHS)
    # The link's target is looked up while inserting: the article it names may already be archived.
    insert_links = _bulk(
        _LINKS,
        "target_article_id",
        statement=insert(_LINKS)
        .inline()
        .values(
            target_article_id=select(_URLS.c.article_id)
            .where(_URLS.c.url_key == bindparam("target_key"))
            .scalar_subquery()
        ),
    )
    insert_key_points = _bulk(_KEY_POINTS)
    insert_tables = _bulk(_TABLES)
    insert_rows = _bulk(_ROWS)
    insert_cells = _bulk(_CELLS)
    insert_tags = _bulk(_TAGS)
    resolve_links_to_key = PreparedStatement(
        update(_LINKS)
        .where(_LINKS.c.target_article_id.is_(None), _LINKS.c.url_key == bindparam("p_key"))
        .values(target_article_id=_owner_of_link())
    )
    resolve_all_links = (
        update(_LINKS)
        .where(_LINKS.c.target_article_id.is_(None), _owner_of_link().is_not(None))
        .values(target_article_id=_owner_of_link())
    )
    stored_comments = (
        select(
            _COMMENTS.c.id,
            _COMMENTS.c.comment_key,
            _COMMENTS.c.content_hash,
            _COMMENTS.c.position,
            _COMMENTS.c.text,
            _COMMENTS.c.parent_key,
            _COMMENTS.c.published_at,
            _COMMENTS.c.published_offset,
            _COMMENTS.c.published_raw,
        )
        .where(_COMMENTS.c.article_id == bindparam("article_id"))
        .order_by(_COMMENTS.c.position)
    )
    version_dates = select(
        _VERSIONS.c.published_at,
        _VERSIONS.c.published_offset,
        _VERSIONS.c.published_raw,
        _VERSIONS.c.modified_at,
        _VERSIONS.c.modified_offset,
        _VERSIONS.c.modified_raw,
    ).where(_VERSIONS.c.id == bindparam("version_id"))
    comment_texts = (
        select(_COMMENTS.c.text)
        .where(_COMMENTS.c.article_id == bindparam("article_id"))
        .order_by(_COMMENTS.c.position)
    )
    insert_comments = _bulk(_COMMENTS)
    insert_numbered_comments = PreparedStatement(insert(_COMMENTS).inline(), [c.name for c in _COMMENTS.c])
    last_comment_id = PreparedStatement(select(func.max(_COMMENTS.c.id)))
    update_comment = (
        update(_COMMENTS)
        .where(_COMMENTS.c.id == bindparam("p_id"))
        .values(
            {
                column: _param(column)
                for column in _COMMENTS.c
                if column.name not in ("id", "article_id", "first_seen_at", "first_crawl_run_id")
            }
        )
    )
    move_comment = (
        update(_COMMENTS).where(_COMMENTS.c.id == bindparam("p_id")).values(position=bindparam("p_position"))
    )
    _parent = _COMMENTS.alias("parent")
    link_comment_parents = PreparedStatement(
        update(_COMMENTS)
        .where(
            _COMMENTS.c.article_id == bindparam("p_article_id"),
            _COMMENTS.c.parent_key.is_not(None),
            _COMMENTS.c.parent_id.is_(None),
        )
        .values(
            parent_id=select(_parent.c.id)
            .where(
                _parent.c.article_id == _COMMENTS.c.article_id,
                _parent.c.comment_key == _COMMENTS.c.parent_key,
            )
            .scalar_subquery()
        )
    )
    count_in_run = PreparedStatement(
        update(_RUNS)
        .where(_RUNS.c.id == bindparam("p_run_id"))
        .values(
            {
                _RUNS.c[name]: _RUNS.c[name] + bindparam(f"p_{name}")
                for name in (
                    "articles_new",
                    "articles_updated",
                    "articles_unchanged",
                    "comments_added",
                    "comments_updated",
                    "captures_stored",
                )
            }
        )
    )
    stored_capture_keys = select(_CAPTURES.c.url, _CAPTURES.c.sha256).where(
        _CAPTURES.c.version_id == bindparam("version_id")
    )
    insert_captures = _bulk(_CAPTURES)
    ignoring_duplicates: ClassVar[dict[str, dict[str, Any]]] = {
        name: {table.name: dialect.insert(table).on_conflict_do_nothing() for table in (_SITES, _URLS)}
        for name, dialect in (("postgresql", postgresql_dialect), ("sqlite", sqlite_dialect))
    }
    insert_urls: ClassVar[dict[str, PreparedStatement]] = {
        name: PreparedStatement(statements["article_urls"], _insert_columns(_URLS))
        for name, statements in ignoring_duplicates.items()
    }


class _QuietAbortedPipeline(logging.Filter):
    """A statement that fails in a psycopg pipeline raises its error, and the pipeline, aborted by
    it, then logs "error ignored terminating <psycopg.Pipeline ...>: pipeline aborted" as it closes:
    a second line after the error's own, printed by every command whose write failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("error ignored terminating")


logging.getLogger("psycopg").addFilter(_QuietAbortedPipeline())


class ArchiveRepository:
    """Reads and writes records through a session it never commits (see module doc)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._ignoring_duplicates = _Statements.ignoring_duplicates[self.dialect]
        self._transaction: Any = None
        self._connection_of_transaction: Any = None
        self._own_connection: Connection | None = session.info.get(OWN_CONNECTION)
        """The connection of an archive write unit of work (``Archive.transaction``), whose transaction
        the archive runs: written on directly, without starting the session's own transaction."""

    def _connection(self) -> Connection:
        """The connection to write on: the archive's own in its write units of work, else the
        session's, looked up once per transaction (the lookup is not free)."""
        if self._own_connection is not None:
            return self._own_connection
        transaction = self.session.get_transaction()
        if transaction is None or transaction is not self._transaction:
            self._connection_of_transaction = self.session.connection()
            self._transaction = self.session.get_transaction()
        return self._connection_of_transaction

    def _execute(self, statement: Any, params: Any = None) -> Any:
        """Run a Core statement on the session's connection (skips ORM bookkeeping on the hot path)."""
        return self._connection().execute(statement, params)

    @contextmanager
    def _without_waiting(self) -> Iterator[None]:
        """For statements whose results nobody reads: on PostgreSQL they are sent in one pipeline and
        the server is waited for once, at the end, instead of once per statement (errors surface there
        too; see :class:`_QuietAbortedPipeline`). Elsewhere they simply run."""
        if self.dialect != "postgresql":
            yield
            return
        with self._connection().connection.driver_connection.pipeline():
            yield

    # ----------------------------------------------------------------------- crawl runs

    def start_crawl_run(
        self, name: str, *, settings: Mapping[str, Any] | None = None, started_at: datetime | None = None
    ) -> int:
        """Record the start of a crawl; returns its id (pass it to :meth:`upsert_article`)."""
        return self.session.execute(
            insert(_RUNS)
            .values(
                name=name,
                started_at=started_at or datetime.now(UTC),
                status="running",
                settings=_json_safe(settings or {}),
                stats={},
                articles_new=0,
                articles_updated=0,
                articles_unchanged=0,
                comments_added=0,
                comments_updated=0,
                captures_stored=0,
            )
            .returning(_RUNS.c.id)
        ).scalar_one()

    def finish_crawl_run(
        self,
        run_id: int,
        *,
        status: str = "finished",
        stats: Mapping[str, Any] | None = None,
        finished_at: datetime | None = None,
    ) -> CrawlRun:
        """Close a crawl run with its final status and the crawler's stats; returns the run."""
        if status not in CRAWL_RUN_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CRAWL_RUN_STATUSES)}, not {status!r}")
        self.session.execute(
            update(_RUNS)
            .where(_RUNS.c.id == run_id)
            .values(
                status=status, finished_at=finished_at or datetime.now(UTC), stats=_json_safe(stats or {})
            )
        )
        return self.get_crawl_run(run_id)

    def get_crawl_run(self, run_id: int) -> CrawlRun:
        run = self.session.scalars(
            select(CrawlRun).where(CrawlRun.id == run_id).execution_options(populate_existing=True)
        ).one_or_none()
        if run is None:
            raise LookupError(f"no crawl run {run_id}")
        return run

    # ----------------------------------------------------------------------- upsert

    def upsert_article(
        self,
        record: Mapping[str, Any],
        *,
        crawl_run_id: int | None = None,
        captures: Iterable[Mapping[str, Any]] = (),
        seen_at: datetime | None = None,
        redirected_from: Sequence[str] = (),
        date_precision: DatePrecision | None = None,
        comment_pages_missed: int | None = None,
    ) -> UpsertResult:
        """Store one record (and the raw pages it came from); idempotent.

        * unknown article: creates it with version 1, its comments and captures → ``new``;
        * same content: only ``last_seen_at`` (and the declared comment count) change → ``unchanged``;
        * changed content: a new version, the old one kept → ``updated``;
        * comments merge in every case: new ones added, edited ones updated, none removed.

        ``captures`` are the raw responses the record was extracted from: dicts with ``url``,
        ``status``, ``headers`` (only :data:`SELECTED_HEADERS` are kept), ``fetched_at`` (aware
        datetime or ISO string, default now) and ``body`` (bytes). ``redirected_from``: the URLs that
        redirected to the record's ``url`` (a renamed page answers its old address with a 301): the
        article is known by them too, and found by them when its canonical URL was one.
        ``date_precision``: how precise a date given as an age is (see
        :data:`~storage.record.DatePrecision`); with it, a re-crawl that reads "il y a 5 heures" where
        the archive has "il y a 3 heures" of the same instant keeps the archived date (of the article
        and of each comment) instead of making a version or an edit of a date that did not change.
        ``comment_pages_missed``: how many of the article's comment pages the crawl could not fetch
        (``articles.comment_pages_missed``, for the next incremental crawl); None (an import, a
        re-extraction: not known) keeps what the archive says.
        Raises :class:`InvalidRecord` (naming the field) before touching the database.

        Re-crawls are cheap: the very record stored last time (same fingerprint) only updates
        ``last_seen_at``; otherwise the current version's content hash and the comments digest are
        compared before anything else is read.
        """
        prepared = [prepare_capture(c, f"captures[{i}]") for i, c in enumerate(captures)]
        former = _former_urls(redirected_from)
        now = seen_at or datetime.now(UTC)
        connection = self._connection()
        fingerprint = record_fingerprint(record)
        key = _record_key(record)
        found = self._find(connection, *key) if key is not None else None
        if found is not None and found.stores(fingerprint):
            stored = self._store_captures(
                found.id, found.version_id, crawl_run_id, prepared, new_version=False
            )
            self._note_comment_pages_missed(found, comment_pages_missed)
            with self._without_waiting():
                _Statements.seen_again.one(
                    connection,
                    {"p_article_id": found.id, "p_last_seen_at": now, "p_last_crawl_run_id": crawl_run_id},
                )
                self._count(crawl_run_id, "unchanged", 0, 0, stored)
            assert found.version_number is not None
            return UpsertResult(
                found.id, found.version_id, "unchanged", found.version_number, captures_stored=stored
            )

        rec = normalize_record(record)
        digest = content_hash(rec)
        entries = comment_entries(rec)
        incoming_comments = comments_digest([(e.key, e.content_hash) for e in entries])
        identity = rec["canonical_url"] or rec["url"]
        if key != (rec["site"], identity):
            found = self._find(connection, rec["site"], identity)
        # Not found by its canonical URL on a site that has articles: maybe archived under another one.
        moved = (
            self._find_moved(connection, rec, identity, former, digest, entries)
            if found is not None and found.id is None
            else None
        )
        if moved is not None:
            found = moved
        elif found is None or found.id is None:
            site_id = found.site_id if found is not None else self._create_site(rec["site"], now)
            inserted = self._insert_article(
                site_id,
                rec,
                identity,
                digest,
                entries,
                incoming_comments,
                prepared,
                now,
                crawl_run_id,
                fingerprint,
                former,
                comment_pages_missed,
            )
            if inserted is not None:
                return inserted
            found = self._find(connection, rec["site"], identity)  # archived meanwhile by another writer
            assert found is not None and found.id is not None

        article_id = found.id
        if moved is not None:
            _Statements.rename_article.one(
                connection, {"p_article_id": article_id, "p_canonical_url": identity}
            )
            links_resolved = self._register_urls(article_id, [identity, rec["url"], *former])
        else:
            known = [rec["url"]] if rec["url"] != found.url else []
            links_resolved = self._register_urls(article_id, [*known, *former]) if known or former else 0
        status: Literal["updated", "unchanged"] = "unchanged"
        changed: list[str] = []
        version_id, version_number = found.version_id, found.version_number or 0
        if (
            found.content_hash != digest
            and date_precision is not None
            and found.version_id is not None
            and self._keep_archived_dates(found.version_id, rec, date_precision)
        ):
            digest = content_hash(rec)
        if found.content_hash != digest:
            status = "updated"
            previous = self._load_versions([found.version_id])[found.version_id] if found.version_id else None
            changed = changed_fields(previous, rec) if previous else list(CONTENT_FIELDS)
            version_number += 1
            version_id = self._insert_version(
                article_id, version_number, rec, digest, changed, now, crawl_run_id
            )
            with self._without_waiting():
                self._insert_version_children(version_id, rec)
        assert version_id is not None

        merge = _CommentMerge(digest=found.comments_digest)
        if found.comments_digest != incoming_comments:
            merge = self._merge_comments(
                article_id, entries, now, crawl_run_id, new_article=False, date_precision=date_precision
            )
        self._touch(article_id, rec, now, crawl_run_id, version_id, merge.digest, fingerprint)
        self._note_comment_pages_missed(found, comment_pages_missed)
        if status == "updated" or merge.added or merge.updated:
            texts = merge.texts if merge.texts is not None else self._comment_texts(article_id)
            fulltext.index_article(self._connection(), article_id, rec, texts, new=False)
        stored = self._store_captures(
            article_id, version_id, crawl_run_id, prepared, new_version=status == "updated"
        )
        self._count(crawl_run_id, status, merge.added, merge.updated, stored)
        return UpsertResult(
            article_id=article_id,
            version_id=version_id,
            status=status,
            version_number=version_number,
            changed_fields=tuple(changed),
            comments_added=merge.added,
            comments_updated=merge.updated,
            captures_stored=stored,
            links_resolved=links_resolved,
        )

    def touch_unchanged(
        self,
        records: Sequence[Any],
        *,
        crawl_run_id: int | None = None,
        seen_at: datetime | None = None,
    ) -> list[UpsertResult | None]:
        """The batch form of :meth:`upsert_article`'s cheapest case, for imports: each record that is
        the very record stored last time (same fingerprint) has its ``last_seen_at`` updated, found
        with one lookup for the whole batch and touched with one statement, instead of two round
        trips each (on PostgreSQL, most of an unchanged re-ingest's time). Returns, in order, the
        ``unchanged`` result of each such record and None for the others, which the caller upserts
        one by one, after these. A key given twice in the batch is left to those upserts, so that
        their order decides as it would have record by record."""
        keys = [_record_key(record) for record in records]
        seen: dict[tuple[str, str], int] = {}
        for key in keys:
            if key is not None:
                seen[key] = seen.get(key, 0) + 1
        once = {key for key, times in seen.items() if times == 1}
        results: list[UpsertResult | None] = [None] * len(records)
        if not once:
            return results
        connection = self._connection()
        stored: dict[tuple[str, str], _Found] = {}
        identities = sorted({identity for _site, identity in once})
        for start in range(0, len(identities), _LOOKUP_CHUNK):
            rows = connection.execute(
                _Statements.find_articles, {"identities": identities[start : start + _LOOKUP_CHUNK]}
            )
            for site, identity, *found in rows:
                if (site, identity) in once:
                    stored[site, identity] = _Found(*found)
        touched: list[dict[str, Any]] = []
        now = seen_at or datetime.now(UTC)
        for position, (record, key) in enumerate(zip(records, keys, strict=True)):
            found = stored.get(key) if key is not None else None
            # (the record is fingerprinted only when the article has a fingerprint to compare)
            if (
                found is None
                or found.record_fingerprint is None
                or not found.stores(record_fingerprint(record))
            ):
                continue
            assert found.version_number is not None
            touched.append(
                {"p_article_id": found.id, "p_last_seen_at": now, "p_last_crawl_run_id": crawl_run_id}
            )
            results[position] = UpsertResult(found.id, found.version_id, "unchanged", found.version_number)
        if touched:
            _Statements.seen_again.many(connection, touched)
            self._count(crawl_run_id, "unchanged", 0, 0, 0, articles=len(touched))
        return results

    @staticmethod
    def _find(connection: Connection, site: str, identity: str) -> _Found | None:
        row, _ = _Statements.find_article.one(connection, {"site": site, "identity": identity})
        return None if row is None else _Found(*row)

    @staticmethod
    def _find_moved(
        connection: Connection,
        rec: dict[str, Any],
        identity: str,
        former: Sequence[str] = (),
        digest: str | None = None,
        entries: Sequence[CommentEntry] = (),
    ) -> _Found | None:
        """The site's article this record is, archived under another canonical URL (None if none).

        The article's own canonical URL decides, not any URL it was fetched from: it is the record's
        canonical URL spelled otherwise (moved to https, "www." dropped, other escapes), or the
        address the record was fetched from (the page there now declares another canonical URL: a
        renamed page still served at its old address). A URL that only served the article (an
        "article du jour" page, a reused slug) serves other articles later: those stay apart,
        unless the article archived there is this record by its content (one of its versions has
        the record's ``digest``) or its comments (one has a site id of the record's ``entries``):
        the same rename seen in the other order (the renamed page archived first, then a record
        from before the rename: an import out of order), or a page renamed back."""
        identity_key, fetch_key = url_key(identity), url_key(rec["url"])
        rows = _Statements.find_articles_by_url.all(
            connection, {"site": rec["site"], "identity_key": identity_key, "fetch_key": fetch_key}
        )
        for key in dict.fromkeys(url_key(url) for url in former):  # a page renamed with a redirect
            rows += _Statements.find_articles_by_url.all(
                connection, {"site": rec["site"], "identity_key": key, "fetch_key": key}
            )
        for row in rows:  # the new canonical URL's key first
            *found, key, canonical_url = row
            if url_key(canonical_url) == key:
                return _Found(*found)
        comment_ids = [entry.key for entry in entries if entry.comment["id"] is not None]
        for row in rows:
            *found, key, _canonical_url = row
            article = {"article_id": found[1]}
            if key == identity_key and (
                connection.execute(_Statements.same_content, {**article, "content_hash": digest}).first()
                or (
                    comment_ids
                    and connection.execute(
                        _Statements.shared_comment, {**article, "comment_ids": comment_ids}
                    ).first()
                )
            ):
                return _Found(*found)
        return None

    def _touch(
        self,
        article_id: int,
        rec: dict[str, Any],
        now: datetime,
        crawl_run_id: int | None,
        version_id: int,
        comments_digest: str | None,
        fingerprint: str | None,
    ) -> None:
        _Statements.touch_article.one(
            self._connection(),
            {
                "p_article_id": article_id,
                "p_url": rec["url"],
                "p_last_seen_at": now,
                "p_comment_count": rec["comment_count"],
                "p_last_crawl_run_id": crawl_run_id,
                "p_current_version_id": version_id,
                "p_comments_digest": comments_digest,
                "p_record_fingerprint": fingerprint,
            },
        )

    def _note_comment_pages_missed(self, found: _Found, missed: int | None) -> None:
        """Record how many comment pages this crawl of the article missed; a statement only when that
        changes (most crawls get every page, as the one before)."""
        if missed is None or missed == found.comment_pages_missed:
            return
        _Statements.note_comment_pages_missed.one(
            self._connection(), {"p_article_id": found.id, "p_comment_pages_missed": missed}
        )

    def _insert_article(
        self,
        site_id: int,
        rec: dict[str, Any],
        identity: str,
        digest: str,
        entries: list[CommentEntry],
        incoming_comments: str,
        captures: list[dict[str, Any]],
        now: datetime,
        crawl_run_id: int | None,
        fingerprint: str | None,
        former: list[str],
        comment_pages_missed: int | None,
    ) -> UpsertResult | None:
        """Create the article with version 1; None if another writer created it first."""
        row, _ = _Statements.insert_article[self.dialect].one(
            self._connection(),
            {
                "site_id": site_id,
                "canonical_url": identity,
                "url": rec["url"],
                "first_seen_at": now,
                "last_seen_at": now,
                "current_version_id": None,
                "comment_count": rec["comment_count"],
                "comments_digest": incoming_comments,
                "record_fingerprint": None,
                "first_crawl_run_id": crawl_run_id,
                "last_crawl_run_id": crawl_run_id,
                "comment_pages_missed": comment_pages_missed,
            },
        )
        if row is None:
            return None
        article_id = row[0]
        # URLs first, so that the article's own version resolves self-links like any other.
        links_resolved = self._register_urls(article_id, [identity, rec["url"], *former])
        filled = [name for name in CONTENT_FIELDS if rec[name] not in (None, [], "")]
        version_id = self._insert_version(article_id, 1, rec, digest, filled, now, crawl_run_id)
        with self._without_waiting():
            self._insert_version_children(version_id, rec)
            merge = self._merge_comments(article_id, entries, now, crawl_run_id, new_article=True)
            self._touch(article_id, rec, now, crawl_run_id, version_id, merge.digest, fingerprint)
            fulltext.index_article(self._connection(), article_id, rec, merge.texts or [], new=True)
            stored = self._store_captures(article_id, version_id, crawl_run_id, captures, new_version=True)
            self._count(crawl_run_id, "new", merge.added, 0, stored)
        return UpsertResult(
            article_id=article_id,
            version_id=version_id,
            status="new",
            version_number=1,
            changed_fields=tuple(filled),
            comments_added=merge.added,
            captures_stored=stored,
            links_resolved=links_resolved,
        )

    def _create_site(self, key: str, now: datetime) -> int:
        self._execute(self._ignoring_duplicates["sites"], {"key": key, "first_seen_at": now})
        return self._execute(_Statements.site_id, {"site": key}).scalar_one()

    def _count(
        self, run_id: int | None, status: str, added: int, updated: int, captures: int, *, articles: int = 1
    ) -> None:
        """Add to the crawl run's counters: ``articles`` articles of this status, with their comments
        and captures."""
        if run_id is None:
            return
        _Statements.count_in_run.one(
            self._connection(),
            {
                "p_run_id": run_id,
                "p_articles_new": articles if status == "new" else 0,
                "p_articles_updated": articles if status == "updated" else 0,
                "p_articles_unchanged": articles if status == "unchanged" else 0,
                "p_comments_added": added,
                "p_comments_updated": updated,
                "p_captures_stored": captures,
            },
        )

    # ----------------------------------------------------------------------- versions

    def _keep_archived_dates(self, version_id: int, rec: dict[str, Any], precision: DatePrecision) -> bool:
        """Put the archived version's publication and update dates into ``rec`` where ``rec`` reads the
        same dates as ages, again (:func:`~storage.record.same_relative_date`); True if it changed."""
        if precision(rec["published_raw"]) is None and precision(rec["modified_raw"]) is None:
            return False  # the usual case: no date given as an age, nothing to read back
        row = self._execute(_Statements.version_dates, {"version_id": version_id}).one()
        kept = False
        for name, (value, offset, raw) in (("published", row[0:3]), ("modified", row[3:6])):
            archived = _join_datetime(value, offset)
            if same_relative_date(precision, rec[f"{name}_at"], rec[f"{name}_raw"], archived, raw):
                rec[f"{name}_at"], rec[f"{name}_raw"] = archived, raw
                kept = True
        return kept

    def _insert_version(
        self,
        article_id: int,
        number: int,
        rec: dict[str, Any],
        digest: str,
        changed: list[str],
        now: datetime,
        crawl_run_id: int | None,
    ) -> int:
        """Insert a version (its row only: :meth:`_insert_version_children` adds its content); returns its id."""
        row, _ = _Statements.insert_version.one(
            self._connection(),
            {
                "article_id": article_id,
                "version_number": number,
                "content_hash": digest,
                "changed_fields": changed,
                "first_seen_at": now,
                "crawl_run_id": crawl_run_id,
                **self._version_columns(rec),
            },
        )
        assert row is not None
        version_id: int = row[0]
        return version_id

    @staticmethod
    def _version_columns(rec: dict[str, Any]) -> dict[str, Any]:
        published_at, published_offset = _split_datetime(rec["published_at"])
        modified_at, modified_offset = _split_datetime(rec["modified_at"])
        return {
            "url": rec["url"],
            "canonical_url": rec["canonical_url"],
            "language": rec["language"],
            "title": rec["title"],
            "lead": rec["lead"],
            "published_at": published_at,
            "published_offset": published_offset,
            "published_raw": rec["published_raw"],
            "modified_at": modified_at,
            "modified_offset": modified_offset,
            "modified_raw": rec["modified_raw"],
            "category": rec["category"],
        }

    def _insert_version_children(self, version_id: int, rec: dict[str, Any]) -> None:
        """Insert everything a version says, one executemany per table."""
        connection = self._connection()
        if rec["authors"]:
            _Statements.insert_authors.many(
                connection,
                [
                    {"version_id": version_id, "position": i, "name": name}
                    for i, name in enumerate(rec["authors"])
                ],
            )
        sections = rec["sections"]
        if sections:
            _Statements.insert_sections.many(
                connection,
                [
                    {"version_id": version_id, "position": i, "heading": s["heading"], "level": s["level"]}
                    for i, s in enumerate(sections)
                ],
            )
            paragraphs = [
                {"version_id": version_id, "section_position": s, "position": i, "text": text}
                for s, section in enumerate(sections)
                for i, text in enumerate(section["paragraphs"])
            ]
            if paragraphs:
                _Statements.insert_paragraphs.many(connection, paragraphs)
        if rec["related_links"]:
            rows = []
            for i, link in enumerate(rec["related_links"]):
                key = url_key(link["url"])
                rows.append(
                    {
                        "version_id": version_id,
                        "position": i,
                        "label": link["label"],
                        "title": link["title"],
                        "url": link["url"],
                        "url_key": key,
                        "section_index": link["section_index"],
                        "target_key": key,
                    }
                )
            _Statements.insert_links.many(connection, rows)
        if rec["key_points"]:
            _Statements.insert_key_points.many(
                connection,
                [
                    {"version_id": version_id, "position": i, "text": text}
                    for i, text in enumerate(rec["key_points"])
                ],
            )
        if rec["tables"]:
            self._insert_tables(version_id, rec["tables"])
        if rec["tags"]:
            _Statements.insert_tags.many(
                connection,
                [
                    {"version_id": version_id, "position": i, "name": name}
                    for i, name in enumerate(rec["tags"])
                ],
            )

    def _insert_tables(self, version_id: int, tables: list[dict[str, Any]]) -> None:
        connection = self._connection()
        _Statements.insert_tables.many(
            connection,
            [
                {"version_id": version_id, "position": i, "caption": t["caption"], "header": t["header"]}
                for i, t in enumerate(tables)
            ],
        )
        rows, cells = [], []
        for t, table in enumerate(tables):
            header = table["header"]
            for r, row in enumerate(table["rows"]):
                rows.append({"version_id": version_id, "table_position": t, "position": r})
                cells.extend(
                    {
                        "version_id": version_id,
                        "table_position": t,
                        "row_position": r,
                        "position": i,
                        "column_name": header[i] if i < len(header) else None,
                        "value": value,
                    }
                    for i, value in enumerate(row)
                )
        if rows:
            _Statements.insert_rows.many(connection, rows)
        if cells:
            _Statements.insert_cells.many(connection, cells)

    # ----------------------------------------------------------------------- comments

    def _merge_comments(
        self,
        article_id: int,
        entries: list[CommentEntry],
        now: datetime,
        crawl_run_id: int | None,
        *,
        new_article: bool,
        date_precision: DatePrecision | None = None,
    ) -> _CommentMerge:
        stored = (
            []
            if new_article
            else self._execute(_Statements.stored_comments, {"article_id": article_id}).all()
        )
        by_key = {row.comment_key: row for row in stored}
        if date_precision is not None and stored:
            entries = [_with_archived_date(entry, by_key.get(entry.key), date_precision) for entry in entries]
        parent_of = {row.comment_key: row.parent_key for row in stored}
        parent_of.update((entry.key, entry.comment["parent_id"]) for entry in entries)
        order = merged_comment_order(
            [row.comment_key for row in stored], [entry.key for entry in entries], parent_of
        )
        position = {key: i for i, key in enumerate(order)}

        inserts, updates = [], []
        for entry in entries:
            columns = self._comment_columns(entry)
            old = by_key.get(entry.key)
            if old is None:
                inserts.append(
                    {
                        "article_id": article_id,
                        "position": position[entry.key],
                        "first_seen_at": now,
                        "first_crawl_run_id": crawl_run_id,
                        "updated_at": None,
                        **columns,
                    }
                )
            elif old.content_hash != entry.content_hash:
                updates.append(
                    {"p_id": old.id, "p_position": position[entry.key], "p_updated_at": now}
                    | {f"p_{name}": value for name, value in columns.items()}
                )
        updated_ids = {u["p_id"] for u in updates}
        moves = [
            {"p_id": row.id, "p_position": position[row.comment_key]}
            for row in stored
            if row.position != position[row.comment_key] and row.id not in updated_ids
        ]
        linked = False
        if inserts and new_article and self.dialect == "sqlite":
            linked = self._number_new_comments(inserts)
            _Statements.insert_numbered_comments.many(self._connection(), inserts)
        elif inserts:
            _Statements.insert_comments.many(self._connection(), inserts)
        if updates:
            self._execute(_Statements.update_comment, updates)
        if moves:
            self._execute(_Statements.move_comment, moves)
        if not linked and (inserts or updates) and (stored or any(e.comment["parent_id"] for e in entries)):
            # Replies point at their parent row; a parent from a later comment page links up then.
            _Statements.link_comment_parents.one(self._connection(), {"p_article_id": article_id})

        hashes = {row.comment_key: row.content_hash for row in stored}
        hashes.update((entry.key, entry.content_hash) for entry in entries)
        texts = {row.comment_key: row.text for row in stored}
        texts.update((entry.key, entry.comment["text"]) for entry in entries)
        return _CommentMerge(
            added=len(inserts),
            updated=len(updates),
            digest=comments_digest([(key, hashes[key]) for key in order]),
            texts=[texts[key] for key in order],
        )

    def _number_new_comments(self, inserts: list[dict[str, Any]]) -> bool:
        """SQLite, a new article: give its comment rows the ids SQLite would (the largest so far, plus
        one, in insert order; the transaction holds the write lock, nobody else inserts) and point
        each reply at its parent in the same INSERT, instead of an UPDATE after it. A reply whose
        parent is on a page not in this record links up when the parent arrives. A reply listed
        before its parent (a page listing the newest first, or replies in a cycle in bad data) is
        left for the UPDATE: SQLite checks the foreign key row by row, and a parent row inserted
        after its reply failed the whole article. Returns whether every reply was pointed at its
        parent here."""
        row, _ = _Statements.last_comment_id.one(self._connection(), {})
        first = (row[0] if row is not None and row[0] is not None else 0) + 1
        ids = {comment["comment_key"]: first + n for n, comment in enumerate(inserts)}
        linked = True
        for comment in inserts:
            comment["id"] = ids[comment["comment_key"]]
            parent = ids.get(comment["parent_key"]) if comment["parent_key"] is not None else None
            if parent is not None and parent > comment["id"]:
                linked, parent = False, None
            comment["parent_id"] = parent
        return linked

    @staticmethod
    def _comment_columns(entry: CommentEntry) -> dict[str, Any]:
        comment = entry.comment
        published_at, published_offset = _split_datetime(comment["published_at"])
        return {
            "comment_key": entry.key,
            "site_comment_id": comment["id"],
            "parent_key": comment["parent_id"],
            "parent_id": None,  # set by link_comment_parents once the parent is archived
            "author": comment["author"],
            "published_at": published_at,
            "published_offset": published_offset,
            "published_raw": comment["published_raw"],
            "text": comment["text"],
            "content_hash": entry.content_hash,
        }

    def _comment_texts(self, article_id: int) -> list[str]:
        return list(self._execute(_Statements.comment_texts, {"article_id": article_id}).scalars())

    # ----------------------------------------------------------------------- URLs and related links

    def _register_urls(self, article_id: int, urls: list[str]) -> int:
        """Make the article findable by these URLs; returns how many waiting links now resolve."""
        connection = self._connection()
        keys = {url_key(url): url for url in urls}
        _Statements.insert_urls[self.dialect].many(
            connection, [{"url_key": key, "article_id": article_id, "url": url} for key, url in keys.items()]
        )
        return sum(_Statements.resolve_links_to_key.one(connection, {"p_key": key})[1] for key in keys)

    def resolve_related_links(self) -> int:
        """Point every unresolved related link whose target is archived at it; returns the count.

        Upserts already do this as articles arrive; this is the catch-all after bulk imports or
        repairs.
        """
        return self._execute(_Statements.resolve_all_links).rowcount or 0

    def find_article_id(self, url: str) -> int | None:
        """The archived article known by this URL (fetch or canonical URL, normalized), if any."""
        return self.session.scalar(select(_URLS.c.article_id).where(_URLS.c.url_key == url_key(url)))

    # ----------------------------------------------------------------------- captures

    def _store_captures(
        self,
        article_id: int,
        version_id: int,
        crawl_run_id: int | None,
        captures: list[dict[str, Any]],
        *,
        new_version: bool,
    ) -> int:
        """Keep each page once per version: identical bytes from a re-crawl are not stored again."""
        if not captures:
            return 0
        seen: set[tuple[str, str]] = set()
        if not new_version:
            seen.update(
                map(tuple, self._execute(_Statements.stored_capture_keys, {"version_id": version_id}).all())
            )
        rows = []
        for capture in captures:
            if (capture["url"], capture["sha256"]) in seen:
                continue
            seen.add((capture["url"], capture["sha256"]))
            rows.append(
                {
                    "article_id": article_id,
                    "version_id": version_id,
                    "crawl_run_id": crawl_run_id,
                    **capture,
                    "body": compress_capture(capture["body"]),
                }
            )
        if rows:
            _Statements.insert_captures.many(self._connection(), rows)
        return len(rows)

    def iter_captures(
        self,
        *,
        article_id: int | None = None,
        version_id: int | None = None,
        site: str | None = None,
        crawl_run_id: int | None = None,
        batch_size: int = 200,
    ) -> Iterator[StoredCapture]:
        """Stream raw captures (oldest first), bodies decompressed and checked against their sha256."""
        conditions = []
        if article_id is not None:
            conditions.append(_CAPTURES.c.article_id == article_id)
        if version_id is not None:
            conditions.append(_CAPTURES.c.version_id == version_id)
        if crawl_run_id is not None:
            conditions.append(_CAPTURES.c.crawl_run_id == crawl_run_id)
        if site is not None:
            conditions.append(
                _CAPTURES.c.article_id.in_(
                    select(_ARTICLES.c.id)
                    .join(_SITES, _SITES.c.id == _ARTICLES.c.site_id)
                    .where(_SITES.c.key == site)
                )
            )
        last_id = 0
        while True:
            rows = self.session.execute(
                select(_CAPTURES)
                .where(_CAPTURES.c.id > last_id, *conditions)
                .order_by(_CAPTURES.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                return
            for row in rows:
                try:
                    body = decompress_capture(row.body, row.compression)
                except ValueError as error:
                    raise ValueError(f"raw capture {row.id} ({row.url}) is corrupt: {error}") from None
                if hashlib.sha256(body).hexdigest() != row.sha256:
                    raise ValueError(f"raw capture {row.id} ({row.url}) is corrupt: sha256 mismatch")
                yield StoredCapture(
                    id=row.id,
                    article_id=row.article_id,
                    version_id=row.version_id,
                    crawl_run_id=row.crawl_run_id,
                    url=row.url,
                    http_status=row.http_status,
                    headers=dict(row.headers),
                    fetched_at=row.fetched_at,
                    sha256=row.sha256,
                    body=body,
                )
            last_id = rows[-1].id

    def replace_version_record(self, version_id: int, record: Mapping[str, Any]) -> bool:
        """Store what re-extracting a version's captures gave; False when the content is the same.

        The version keeps its id and number; its content rows are replaced, ``changed_fields`` of it
        and of the next version are recomputed, the search index follows if it is the current
        version, and the record's comments merge into the article (none are removed).
        """
        rec = normalize_record(record)
        version = self.session.execute(
            select(_VERSIONS.c.article_id, _VERSIONS.c.content_hash, _VERSIONS.c.version_number).where(
                _VERSIONS.c.id == version_id
            )
        ).one_or_none()
        if version is None:
            raise LookupError(f"no article version {version_id}")
        digest = content_hash(rec)
        if version.content_hash == digest:
            return False
        article_id = version.article_id
        neighbours = dict(
            self.session.execute(
                select(_VERSIONS.c.version_number, _VERSIONS.c.id).where(
                    _VERSIONS.c.article_id == article_id,
                    _VERSIONS.c.version_number.in_([version.version_number - 1, version.version_number + 1]),
                )
            ).all()
        )
        previous_id, next_id = (
            neighbours.get(version.version_number - 1),
            neighbours.get(version.version_number + 1),
        )
        contents = self._load_versions([i for i in (previous_id, next_id) if i is not None])

        for table in (_SECTIONS, _LINKS, _KEY_POINTS, _TABLES, _TAGS, _AUTHORS):
            self.session.execute(delete(table).where(table.c.version_id == version_id))
        changed = (
            changed_fields(contents[previous_id], rec)
            if previous_id
            else [name for name in CONTENT_FIELDS if rec[name] not in (None, [], "")]
        )
        self.session.execute(
            update(_VERSIONS)
            .where(_VERSIONS.c.id == version_id)
            .values(content_hash=digest, changed_fields=changed, **self._version_columns(rec))
        )
        self._insert_version_children(version_id, rec)
        if next_id is not None:
            self.session.execute(
                update(_VERSIONS)
                .where(_VERSIONS.c.id == next_id)
                .values(changed_fields=changed_fields(rec, contents[next_id]))
            )
        now = datetime.now(UTC)
        merge = self._merge_comments(article_id, comment_entries(rec), now, None, new_article=False)
        # The stored content no longer comes from the last record received: forget its fingerprint.
        self.session.execute(
            update(_ARTICLES)
            .where(_ARTICLES.c.id == article_id)
            .values(comments_digest=merge.digest, record_fingerprint=None)
        )
        current = self.session.scalar(
            select(_ARTICLES.c.current_version_id).where(_ARTICLES.c.id == article_id)
        )
        if current == version_id:
            fulltext.index_article(self._connection(), article_id, rec, merge.texts or [], new=False)
        return True

    # ----------------------------------------------------------------------- reading records back

    def get_record(self, article_id: int) -> dict[str, Any] | None:
        """The article's current record (schema dict, merged comments), or None if unknown."""
        records = self.get_records([article_id])
        return records[0] if records else None

    def get_records(self, article_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Current records of several articles in one batch of queries, in the order given."""
        rows = {
            row.id: row
            for row in self.session.execute(
                select(
                    _ARTICLES.c.id,
                    _ARTICLES.c.url,
                    _ARTICLES.c.canonical_url,
                    _ARTICLES.c.comment_count,
                    _ARTICLES.c.current_version_id,
                    _SITES.c.key.label("site"),
                )
                .join(_SITES, _SITES.c.id == _ARTICLES.c.site_id)
                .where(_ARTICLES.c.id.in_(list(article_ids)))
            )
        }
        versions = self._load_versions(
            [row.current_version_id for row in rows.values() if row.current_version_id]
        )
        comments = self._load_comments(list(rows))
        records = []
        for article_id in article_ids:
            row = rows.get(article_id)
            if row is None or row.current_version_id not in versions:
                continue
            content = versions[row.current_version_id]
            # The article's canonical URL is the latest one the site declared (it may have moved
            # since the content last changed); None stays None: the page declared none.
            canonical = row.canonical_url if content["canonical_url"] is not None else None
            records.append(
                self._assemble(content, row.url, canonical, row.site, row.comment_count, comments[article_id])
            )
        return records

    def version_record(self, version_id: int) -> dict[str, Any] | None:
        """The record as of one version (its fetch URL and content), with the article's comments."""
        row = self.session.execute(
            select(_VERSIONS.c.article_id, _ARTICLES.c.comment_count, _SITES.c.key.label("site"))
            .join(_ARTICLES, _ARTICLES.c.id == _VERSIONS.c.article_id)
            .join(_SITES, _SITES.c.id == _ARTICLES.c.site_id)
            .where(_VERSIONS.c.id == version_id)
        ).one_or_none()
        if row is None:
            return None
        content = self._load_versions([version_id])[version_id]
        comments = self._load_comments([row.article_id])[row.article_id]
        return self._assemble(
            content, content["url"], content["canonical_url"], row.site, row.comment_count, comments
        )

    @staticmethod
    def _assemble(
        content: dict[str, Any],
        url: str,
        canonical_url: str | None,
        site: str,
        comment_count: int | None,
        comments: list[dict[str, Any]],
    ) -> dict[str, Any]:
        return {
            "url": url,
            "canonical_url": canonical_url,
            "site": site,
            **{name: content[name] for name in CONTENT_FIELDS[:10]},
            "sections": content["sections"],
            "body_text": content["body_text"],
            "related_links": content["related_links"],
            "key_points": content["key_points"],
            "tables": content["tables"],
            "comment_count": comment_count,
            "comments": comments,
        }

    def _load_versions(self, version_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Content of versions, keyed by id: scalar columns plus every child list, in page order."""
        if not version_ids:
            return {}
        execute = self.session.execute
        contents: dict[int, dict[str, Any]] = {}
        for v in execute(select(_VERSIONS).where(_VERSIONS.c.id.in_(version_ids))):
            contents[v.id] = {
                "url": v.url,
                "canonical_url": v.canonical_url,
                "language": v.language,
                "title": v.title,
                "lead": v.lead,
                "authors": [],
                "published_at": _join_datetime(v.published_at, v.published_offset),
                "published_raw": v.published_raw,
                "modified_at": _join_datetime(v.modified_at, v.modified_offset),
                "modified_raw": v.modified_raw,
                "category": v.category,
                "tags": [],
                "sections": [],
                "body_text": "",
                "related_links": [],
                "key_points": [],
                "tables": [],
            }
        ids = list(contents)
        for version_id, name in execute(
            select(_AUTHORS.c.version_id, _AUTHORS.c.name)
            .where(_AUTHORS.c.version_id.in_(ids))
            .order_by(_AUTHORS.c.version_id, _AUTHORS.c.position)
        ):
            contents[version_id]["authors"].append(name)
        for version_id, name in execute(
            select(_TAGS.c.version_id, _TAGS.c.name)
            .where(_TAGS.c.version_id.in_(ids))
            .order_by(_TAGS.c.version_id, _TAGS.c.position)
        ):
            contents[version_id]["tags"].append(name)
        sections: dict[tuple[int, int], dict[str, Any]] = {}
        for section in execute(
            select(_SECTIONS)
            .where(_SECTIONS.c.version_id.in_(ids))
            .order_by(_SECTIONS.c.version_id, _SECTIONS.c.position)
        ):
            sections[section.version_id, section.position] = {
                "heading": section.heading,
                "level": section.level,
                "paragraphs": [],
            }
            contents[section.version_id]["sections"].append(sections[section.version_id, section.position])
        for version_id, section_position, text in execute(
            select(_PARAGRAPHS.c.version_id, _PARAGRAPHS.c.section_position, _PARAGRAPHS.c.text)
            .where(_PARAGRAPHS.c.version_id.in_(ids))
            .order_by(_PARAGRAPHS.c.version_id, _PARAGRAPHS.c.section_position, _PARAGRAPHS.c.position)
        ):
            sections[version_id, section_position]["paragraphs"].append(text)
        for link in execute(
            select(_LINKS)
            .where(_LINKS.c.version_id.in_(ids))
            .order_by(_LINKS.c.version_id, _LINKS.c.position)
        ):
            contents[link.version_id]["related_links"].append(
                {
                    "label": link.label,
                    "title": link.title,
                    "url": link.url,
                    "section_index": link.section_index,
                }
            )
        for version_id, text in execute(
            select(_KEY_POINTS.c.version_id, _KEY_POINTS.c.text)
            .where(_KEY_POINTS.c.version_id.in_(ids))
            .order_by(_KEY_POINTS.c.version_id, _KEY_POINTS.c.position)
        ):
            contents[version_id]["key_points"].append(text)
        tables: dict[tuple[int, int], dict[str, Any]] = {}
        for table in execute(
            select(_TABLES)
            .where(_TABLES.c.version_id.in_(ids))
            .order_by(_TABLES.c.version_id, _TABLES.c.position)
        ):
            tables[table.version_id, table.position] = {
                "caption": table.caption,
                "header": list(table.header),
                "rows": [],
            }
            contents[table.version_id]["tables"].append(tables[table.version_id, table.position])
        if tables:
            rows: dict[tuple[int, int, int], list[str]] = {}
            for version_id, table_position, position in execute(
                select(_ROWS.c.version_id, _ROWS.c.table_position, _ROWS.c.position)
                .where(_ROWS.c.version_id.in_(ids))
                .order_by(_ROWS.c.version_id, _ROWS.c.table_position, _ROWS.c.position)
            ):
                rows[version_id, table_position, position] = []
                tables[version_id, table_position]["rows"].append(rows[version_id, table_position, position])
            for version_id, table_position, row_position, value in execute(
                select(_CELLS.c.version_id, _CELLS.c.table_position, _CELLS.c.row_position, _CELLS.c.value)
                .where(_CELLS.c.version_id.in_(ids))
                .order_by(
                    _CELLS.c.version_id, _CELLS.c.table_position, _CELLS.c.row_position, _CELLS.c.position
                )
            ):
                rows[version_id, table_position, row_position].append(value)
        for content in contents.values():
            content["body_text"] = "\n".join(
                p for section in content["sections"] for p in section["paragraphs"]
            )
        return contents

    def _load_comments(self, article_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        comments: dict[int, list[dict[str, Any]]] = {article_id: [] for article_id in article_ids}
        if not article_ids:
            return comments
        for c in self.session.execute(
            select(_COMMENTS)
            .where(_COMMENTS.c.article_id.in_(article_ids))
            .order_by(_COMMENTS.c.article_id, _COMMENTS.c.position)
        ):
            comments[c.article_id].append(
                {
                    "id": c.site_comment_id,
                    "parent_id": c.parent_key,
                    "author": c.author,
                    "published_at": _join_datetime(c.published_at, c.published_offset),
                    "published_raw": c.published_raw,
                    "text": c.text,
                }
            )
        return comments


def _with_archived_date(entry: CommentEntry, stored: Any, precision: DatePrecision) -> CommentEntry:
    """The entry with the archived comment's date where it reads that date again as an age, within
    its precision (see :func:`~storage.record.same_relative_date`); else the entry. (An edited
    comment keeps its date too.)"""
    if stored is None or stored.content_hash == entry.content_hash:
        return entry
    comment = entry.comment
    archived = _join_datetime(stored.published_at, stored.published_offset)
    if not same_relative_date(
        precision, comment["published_at"], comment["published_raw"], archived, stored.published_raw
    ):
        return entry
    comment = {**comment, "published_at": archived, "published_raw": stored.published_raw}
    return CommentEntry(entry.key, comment_content_hash(comment), comment)


def _json_safe(value: Mapping[str, Any]) -> dict[str, Any]:
    """Settings and stats as JSON (crawler settings hold objects: they are stored as their text)."""
    return json.loads(json.dumps(dict(value), default=str))
