"""What the spider hands to the item pipelines (picklable dataclasses, no Scrapy types inside)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class ArticleItem:
    """One article: its record (comments of every comment page merged) and the raw pages it came from."""

    url: str
    record: dict[str, Any]
    """The record of ``article.schema.json`` (``Article.to_dict()``)."""
    captures: list[dict[str, Any]]
    """Every page fetched for it, article page first: ``url, status, headers, fetched_at, body``."""
    fetched_at: datetime
    comment_pages: int = 0
    """Comment pages fetched besides the article page."""
    comment_pages_failed: list[str] = field(default_factory=list)
    """``"URL: reason"`` of comment pages that could not be fetched (the article is archived anyway)."""
    comment_pages_missed: int = 0
    """How many of those a later crawl may get (not the ones the site says are gone, 404/410): the
    archive remembers it, and the next incremental crawl fetches the article and its comment pages again."""
    source: str | None = None
    """How the article was found: sitemap, feed, listing, related, revisit, start."""
    redirected_from: list[str] = field(default_factory=list)
    """The URLs that redirected to the article's page (a renamed page's old address)."""
    status: str | None = None
    """Set by the archive pipeline: new, updated or unchanged."""
    article_id: int | None = None

    def __repr__(self) -> str:  # items show up in logs: never dump page bodies there
        return f"<ArticleItem {self.url} comments={len(self.record.get('comments') or ())} pages={len(self.captures)}>"


@dataclass(slots=True)
class NotModifiedItem:
    """An archived article the server answered ``304 Not Modified`` for: only the visit is recorded."""

    url: str
    article_id: int
    fetched_at: datetime
