"""What the crawler asks the archive between fetches (incremental crawls, revisits, re-extraction).

Small reads and two small writes next to :class:`~storage.repository.ArchiveRepository`, on a
session the caller owns (``Archive.session()``); like the repository, nothing here commits.

* :func:`known_article` — is this URL archived, when was it last seen, did its latest crawl miss
  comment pages, and the validators (``ETag``/``Last-Modified``) and sha256 of its latest capture,
  for conditional requests;
* :func:`mark_not_modified` — a ``304`` answer: the article was seen, nothing else changes;
* :func:`articles_to_revisit` — archived articles published after a date, or whose latest crawl
  missed comment pages (revisits);
* :func:`articles_for_reextraction` / :func:`restore_seen` — offline re-extraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.models import Article, ArticleUrl, ArticleVersion, CrawlRun, RawCapture, Site
from storage.record import url_key

__all__ = [
    "ArticleForReextraction",
    "ArticleToRevisit",
    "KnownArticle",
    "articles_for_reextraction",
    "articles_to_revisit",
    "known_article",
    "mark_not_modified",
    "restore_seen",
]

_ARTICLES = Article.__table__
_VERSIONS = ArticleVersion.__table__
_URLS = ArticleUrl.__table__
_CAPTURES = RawCapture.__table__
_SITES = Site.__table__
_RUNS = CrawlRun.__table__


@dataclass(frozen=True, slots=True)
class KnownArticle:
    article_id: int
    url: str
    """The URL of the latest fetch."""
    last_seen_at: datetime
    published_at: datetime | None
    etag: str | None
    """``ETag`` of the latest capture of the article page, if the server sent one."""
    last_modified: str | None
    """``Last-Modified`` of the latest capture of the article page, as the server sent it."""
    sha256: str | None = None
    """sha256 of the body of the latest capture of the article page (None without a capture)."""
    comment_pages_missed: int = 0
    """Comment pages its latest crawl could not fetch: it is to be fetched again, whatever the
    validators say."""


def known_article(session: Session, url: str) -> KnownArticle | None:
    """The archived article this URL (fetch or canonical, normalized) belongs to, or None."""
    row = session.execute(
        select(
            _ARTICLES.c.id,
            _ARTICLES.c.url,
            _ARTICLES.c.last_seen_at,
            _ARTICLES.c.comment_pages_missed,
            _VERSIONS.c.published_at,
        )
        .select_from(_URLS)
        .join(_ARTICLES, _ARTICLES.c.id == _URLS.c.article_id)
        .outerjoin(_VERSIONS, _VERSIONS.c.id == _ARTICLES.c.current_version_id)
        .where(_URLS.c.url_key == url_key(url))
    ).one_or_none()
    if row is None:
        return None
    # The newest capture of the article page (comment pages have other URLs) holds the validators.
    latest = session.execute(
        select(_CAPTURES.c.headers, _CAPTURES.c.sha256)
        .where(_CAPTURES.c.article_id == row.id, _CAPTURES.c.url.in_({url, row.url}))
        .order_by(_CAPTURES.c.id.desc())
        .limit(1)
    ).one_or_none()
    headers: dict[str, Any] = dict(latest.headers or {}) if latest is not None else {}
    return KnownArticle(
        article_id=row.id,
        url=row.url,
        last_seen_at=row.last_seen_at,
        published_at=row.published_at,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        sha256=latest.sha256 if latest is not None else None,
        comment_pages_missed=row.comment_pages_missed or 0,
    )


def mark_not_modified(
    session: Session, article_id: int, *, seen_at: datetime, crawl_run_id: int | None = None
) -> None:
    """Record a ``304 Not Modified``: the article was seen now; it counts as unchanged in the run."""
    session.execute(
        update(_ARTICLES)
        .where(_ARTICLES.c.id == article_id)
        .values(last_seen_at=seen_at, last_crawl_run_id=crawl_run_id)
    )
    if crawl_run_id is not None:
        session.execute(
            update(_RUNS)
            .where(_RUNS.c.id == crawl_run_id)
            .values(articles_unchanged=_RUNS.c.articles_unchanged + 1)
        )


@dataclass(frozen=True, slots=True)
class ArticleToRevisit:
    url: str
    published_at: datetime | None
    last_seen_at: datetime
    comment_pages_missed: int
    """Comment pages its latest crawl could not fetch (0: it got them all, or not known)."""


def articles_to_revisit(session: Session, site: str, published_after: datetime) -> list[ArticleToRevisit]:
    """The site's archived articles published after a date (comment revisits, as their age says), and
    those, of any age, whose latest crawl missed comment pages (fetched again until one gets them all);
    newest first."""
    rows = session.execute(
        select(
            _ARTICLES.c.url,
            _VERSIONS.c.published_at,
            _ARTICLES.c.last_seen_at,
            _ARTICLES.c.comment_pages_missed,
        )
        .join(_SITES, _SITES.c.id == _ARTICLES.c.site_id)
        .join(_VERSIONS, _VERSIONS.c.id == _ARTICLES.c.current_version_id)
        .where(
            _SITES.c.key == site,
            or_(_VERSIONS.c.published_at > published_after, _ARTICLES.c.comment_pages_missed > 0),
        )
        .order_by(_VERSIONS.c.published_at.desc())
    )
    return [
        ArticleToRevisit(row.url, row.published_at, row.last_seen_at, row.comment_pages_missed or 0)
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class ArticleForReextraction:
    article_id: int
    version_id: int
    canonical_url: str
    site: str
    last_seen_at: datetime
    last_crawl_run_id: int | None


_FOR_REEXTRACTION = (
    select(
        _ARTICLES.c.id,
        _ARTICLES.c.current_version_id,
        _ARTICLES.c.canonical_url,
        _SITES.c.key,
        _ARTICLES.c.last_seen_at,
        _ARTICLES.c.last_crawl_run_id,
    )
    .join(_SITES, _SITES.c.id == _ARTICLES.c.site_id)
    .where(_ARTICLES.c.current_version_id.is_not(None))
)


def articles_for_reextraction(session: Session, site: str | None = None) -> list[ArticleForReextraction]:
    """Every archived article (of one site) with its current version, oldest first."""
    query = _FOR_REEXTRACTION.order_by(_ARTICLES.c.id)
    if site is not None:
        query = query.where(_SITES.c.key == site)
    return [ArticleForReextraction(*row) for row in session.execute(query)]


def current_visit(session: Session, article_id: int) -> ArticleForReextraction | None:
    """The article's current version and last visit, its row locked until the transaction ends
    (PostgreSQL; an SQLite write transaction holds the whole database already): a crawl that archives
    it meanwhile waits, so what is read here stays true while the transaction writes."""
    row = session.execute(
        _FOR_REEXTRACTION.where(_ARTICLES.c.id == article_id).with_for_update(of=_ARTICLES)
    ).one_or_none()
    return None if row is None else ArticleForReextraction(*row)


def restore_seen(
    session: Session, article_id: int, last_seen_at: datetime, last_crawl_run_id: int | None
) -> None:
    """Put back when the article was last seen on the site (re-extraction does not visit it)."""
    session.execute(
        update(_ARTICLES)
        .where(_ARTICLES.c.id == article_id)
        .values(last_seen_at=last_seen_at, last_crawl_run_id=last_crawl_run_id)
    )
