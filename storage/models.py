"""The archive's tables as typed SQLAlchemy 2 models.

One article (per site and canonical URL) has versions, one per real content change; everything the
article *says* (sections and paragraphs, related links, key points, tables with rows and cells,
tags, authors) hangs off a version, so old versions stay complete. Comments hang off the article:
they merge across crawls and never create versions. Raw captures keep the fetched HTML (zstd) of
the pages that produced a version.

Date-times are timezone-aware. PostgreSQL stores ``timestamptz``; SQLite has no such type, so
:class:`UTCDateTime` stores UTC there (``YYYY-MM-DD HH:MM:SS.ffffff``, comparable as text) and
gives aware UTC datetimes back. The offset the page stated is kept next to each publication date
(``*_offset``, minutes east of UTC) so records read back exactly as they were written.

A version's content rows are keyed by their place in the record: ``sections (version_id,
position)``, ``paragraphs (version_id, section_position, position)``, ``table_cells (version_id,
table_position, row_position, position)`` ... They are WITHOUT ROWID on SQLite and indexes are few
on purpose:
every B-tree an insert touches is a page written per transaction, and one transaction per article
is the crawler's unit of work.

Full-text search tables and analyst views are created by the migrations only (they differ per
backend); see ``storage/fulltext.py`` and ``docs/schema.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import text as sql_text
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CRAWL_RUN_STATUSES = ("running", "finished", "failed", "interrupted")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetime; naive values are refused, SQLite stores UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        # The text SQLite's DATETIME would store (its default format), in one step: the generic path
        # (this decorator, then the dialect's %-formatting) cost ~2 µs a value, 20 comment dates per
        # article (test_archive_schema checks both give the same text).
        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError(
                    f"naive datetime {value!r}: the archive stores timezone-aware datetimes only"
                )
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON on SQLite, JSONB on PostgreSQL (indexable, queryable with ->>)."""


_Conditional = TypeVar("_Conditional", Index, UniqueConstraint)


ONLY_ON: dict[str, str] = {}
"""The indexes and constraints created on one backend only, by name: that backend (for
:func:`storage.db.include_object`, which compares each backend with what the models create on it)."""


def only_on(dialect: str, item: _Conditional) -> _Conditional:
    assert isinstance(item.name, str), "name it: it is known by its name"
    ONLY_ON[item.name] = dialect
    return item.ddl_if(dialect=dialect)


def sqlite_only(item: _Conditional) -> _Conditional:
    return only_on("sqlite", item)


def postgresql_only(item: _Conditional) -> _Conditional:
    """An index PostgreSQL has in place of SQLite's unique constraint over a text that may be long (a
    URL, a site's comment id): a PostgreSQL B-tree row holds at most ~2.7 KB, where SQLite stores any
    length. It is unique on the md5 of the text instead (migration 0014); lookups go by the columns
    before it, or by a hash index."""
    return only_on("postgresql", item)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONDocument,
        list[str]: JSONDocument,
    }


class Site(Base):
    """A news site, keyed by its registered domain (``blog-auto-info.com``)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    first_seen_at: Mapped[datetime]


class CrawlRun(Base):
    """One crawl: when, how it ended, what it found, and the settings it ran with."""

    __tablename__ = "crawl_runs"
    __table_args__ = (CheckConstraint(f"status IN {CRAWL_RUN_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    articles_new: Mapped[int] = mapped_column(default=0)
    articles_updated: Mapped[int] = mapped_column(default=0)
    articles_unchanged: Mapped[int] = mapped_column(default=0)
    comments_added: Mapped[int] = mapped_column(default=0)
    comments_updated: Mapped[int] = mapped_column(default=0)
    captures_stored: Mapped[int] = mapped_column(default=0)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    """The site crawled (NULL: a run over several sites, e.g. an import or a re-extraction of all)."""
    extractor_version: Mapped[str | None] = mapped_column(Text)
    """``newscrawl-VERSION+HASH``: the package version and a short hash of the extraction code."""
    process: Mapped[str | None] = mapped_column(Text)
    """``host:pid:token`` of the process running a crawl (NULL: runs that keep no heartbeat)."""
    heartbeat_at: Mapped[datetime | None]
    """Refreshed while a crawl runs. A ``running`` run whose heartbeat is older than the lock TTL
    (or whose process is known gone) was abandoned: the next run of its site, or a live worker of
    its job, closes it as ``failed`` as of this time."""
    lock_holder: Mapped[str | None] = mapped_column(Text)
    """The holder the run presented for its site's lock: its job, or its process."""


class Article(Base):
    """One article of a site, whatever URL it was fetched from, across all its versions."""

    __tablename__ = "articles"
    # SQLite: canonical_url first: the same index serves lookups by URL alone (analysts) and the
    # uniqueness. PostgreSQL: unique on md5(canonical_url) (see postgresql_only), looked up through a
    # hash index on canonical_url, which holds a URL of any length.
    # (site_id, current_version_id): a site's articles joined to their current versions (v_articles by
    # site) read from the index alone.
    __table_args__ = (
        sqlite_only(UniqueConstraint("canonical_url", "site_id", name="uq_articles_canonical_url_site_id")),
        postgresql_only(
            Index(
                "uq_articles_canonical_url_md5_site_id",
                func.md5(sql_text("canonical_url")),
                "site_id",
                unique=True,
            )
        ),
        postgresql_only(Index("ix_articles_canonical_url_hash", "canonical_url", postgresql_using="hash")),
        Index("ix_articles_site_id_current_version_id", "site_id", "current_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    canonical_url: Mapped[str] = mapped_column(Text)
    """The record's canonical_url, or its url when the page declares none."""
    url: Mapped[str] = mapped_column(Text)
    """The URL of the latest fetch."""
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, ondelete="SET NULL"), index=True
    )
    """Indexed: the views join a version to the article it is current for (inbound links)."""
    comment_count: Mapped[int | None]
    """The comment count the page declared at the latest fetch."""
    comments_digest: Mapped[str | None] = mapped_column(String(64))
    """Digest of the archived comment list, so an unchanged re-crawl skips reading comments."""
    record_fingerprint: Mapped[str | None] = mapped_column(String(64))
    """sha256 of the last record upserted as received: receiving the very same record again only
    updates last_seen_at (no validation, no comparison)."""
    first_crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    last_crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    comment_pages_missed: Mapped[int | None]
    """Comment pages the latest crawl of the article could not fetch (a timeout, a 500 after its
    retries): the next incremental crawl fetches the article and all its comment pages again, whatever
    its validators say. 0 once a crawl got them all; NULL when not known (archived before the column,
    imported, or no crawl)."""


class ArticleUrl(Base):
    """Every URL an article was known by (fetch URL, canonical URL), normalized for link matching."""

    __tablename__ = "article_urls"
    __table_args__ = ({"sqlite_with_rowid": False},)

    url_key: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)


class ArticleVersion(Base):
    """The article's content as of one real change; children rows hang off the version."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version_number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    changed_fields: Mapped[list[str]] = mapped_column(default=list)
    """Content fields that differ from the previous version (all non-empty ones for version 1)."""
    first_seen_at: Mapped[datetime]
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    published_offset: Mapped[int | None] = mapped_column(SmallInteger)
    published_raw: Mapped[str | None] = mapped_column(Text)
    modified_at: Mapped[datetime | None]
    modified_offset: Mapped[int | None] = mapped_column(SmallInteger)
    modified_raw: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)


class VersionAuthor(Base):
    __tablename__ = "version_authors"
    __table_args__ = ({"sqlite_with_rowid": False},)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = ({"sqlite_with_rowid": False},)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    heading: Mapped[str | None] = mapped_column(Text)
    level: Mapped[int | None] = mapped_column(SmallInteger)


class Paragraph(Base):
    __tablename__ = "paragraphs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["version_id", "section_position"],
            ["sections.version_id", "sections.position"],
            ondelete="CASCADE",
        ),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(primary_key=True)
    section_position: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class RelatedLink(Base):
    """A link to another article; target_article_id is set once that article is archived."""

    __tablename__ = "related_links"
    # Each index holds only the links it is looked up for (migration 0010): by URL, the links still
    # waiting for their target (to resolve them when it arrives); by target, the resolved ones.
    __table_args__ = (
        Index(
            "ix_related_links_url_key",
            "url_key",
            sqlite_where=sql_text("target_article_id IS NULL"),
            postgresql_where=sql_text("target_article_id IS NULL"),
        ),
        Index(
            "ix_related_links_target_article_id",
            "target_article_id",
            sqlite_where=sql_text("target_article_id IS NOT NULL"),
            postgresql_where=sql_text("target_article_id IS NOT NULL"),
        ),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(Text)
    """The URL normalized for matching (storage.record.url_key): what targets are resolved on."""
    section_index: Mapped[int | None]
    target_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))


class KeyPoint(Base):
    __tablename__ = "key_points"
    __table_args__ = ({"sqlite_with_rowid": False},)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class ArticleTable(Base):
    """A data table of the body; its rows and cells live in table_rows / table_cells."""

    __tablename__ = "article_tables"
    __table_args__ = ({"sqlite_with_rowid": False},)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    caption: Mapped[str | None] = mapped_column(Text)
    header: Mapped[list[str]] = mapped_column(default=list)


class TableRow(Base):
    __tablename__ = "table_rows"
    __table_args__ = (
        ForeignKeyConstraint(
            ["version_id", "table_position"],
            ["article_tables.version_id", "article_tables.position"],
            ondelete="CASCADE",
        ),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(primary_key=True)
    table_position: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)


class TableCell(Base):
    """One cell; column_name repeats the header cell of its column (NULL past the header's width)."""

    __tablename__ = "table_cells"
    __table_args__ = (
        ForeignKeyConstraint(
            ["version_id", "table_position", "row_position"],
            ["table_rows.version_id", "table_rows.table_position", "table_rows.position"],
            ondelete="CASCADE",
        ),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(primary_key=True)
    table_position: Mapped[int] = mapped_column(primary_key=True)
    row_position: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    column_name: Mapped[str | None] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)


class Tag(Base):
    """A tag of a version, in page order (``SELECT name, count(*) FROM tags GROUP BY name``)."""

    __tablename__ = "tags"
    __table_args__ = ({"sqlite_with_rowid": False},)

    version_id: Mapped[int] = mapped_column(
        ForeignKey("article_versions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class Comment(Base):
    """A reader comment; unique per article by comment_key (the site's id, or a content hash)."""

    __tablename__ = "comments"
    __table_args__ = (
        sqlite_only(UniqueConstraint("article_id", "comment_key", name="uq_comments_article_id_comment_key")),
        postgresql_only(
            Index(
                "uq_comments_article_id_comment_key_md5",
                "article_id",
                func.md5(sql_text("comment_key")),
                unique=True,
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    comment_key: Mapped[str] = mapped_column(Text)
    site_comment_id: Mapped[str | None] = mapped_column(Text)
    parent_key: Mapped[str | None] = mapped_column(Text)
    """The parent's site comment id, as the record gives it (kept even before the parent arrives)."""
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    position: Mapped[int]
    """Order within the article's merged comment list (page order, replies after their parent)."""
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    published_offset: Mapped[int | None] = mapped_column(SmallInteger)
    published_raw: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    """When an edit of the comment was last seen."""
    first_crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))


class RawCapture(Base):
    """A fetched page kept verbatim (compressed) so its version can be re-extracted without the network."""

    __tablename__ = "raw_captures"
    __table_args__ = (
        sqlite_only(
            UniqueConstraint("version_id", "url", "sha256", name="uq_raw_captures_version_id_url_sha256")
        ),
        postgresql_only(
            Index(
                "uq_raw_captures_version_id_url_md5_sha256",
                "version_id",
                func.md5(sql_text("url")),
                "sha256",
                unique=True,
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("article_versions.id", ondelete="CASCADE"))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    url: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int]
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64))
    """sha256 (hex) of the uncompressed body."""
    size: Mapped[int]
    """Length of the uncompressed body in bytes."""
    compression: Mapped[str] = mapped_column(String(16))
    """How ``body`` is compressed: ``zstd`` (``zlib`` in rows written by earlier versions)."""
    body: Mapped[bytes] = mapped_column(LargeBinary)


class CrawlLock(Base):
    """The site is being crawled: one row per site while a run holds it (see ``storage/locks.py``).

    Processes presenting the same ``holder`` share the row (``processes`` counts them); a row whose
    ``heartbeat_at`` is older than the taker's TTL is stale and may be taken over.
    """

    __tablename__ = "crawl_locks"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    processes: Mapped[int]
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    """The run that took the lock (the first one, when several processes share it)."""


class CrawlRunCoverage(Base):
    """How many of the articles a run read on a site had a field (``covered`` of ``articles``)."""

    __tablename__ = "crawl_run_coverage"
    __table_args__ = (
        CheckConstraint("covered >= 0 AND covered <= articles", name="covered"),
        {"sqlite_with_rowid": False},
    )

    crawl_run_id: Mapped[int] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(Text, primary_key=True)
    articles: Mapped[int]
    covered: Mapped[int]
