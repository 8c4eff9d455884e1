"""Reading fetched pages: one pure function per kind of page, runnable in this process or in workers.

:func:`read_page` turns an HTML page into what the spider needs to route: an article record and its
other comment pages, or a listing's links. :func:`read_comment_page` reads one comment page. Both
take and return plain data only (bytes, strings, dicts), so :class:`PageReader` can run them in
worker processes (``NEWSCRAWL_READ_WORKERS``, :mod:`newscrawl.spiders.workers`): extraction is CPU
work, and the crawl's event loop then only downloads, routes and writes. Each page is parsed once:
its links are read before extraction prunes the tree.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from newscrawl.discovery import ListingLinks, SiteScope, listing_links, page_kind
from newscrawl.extraction import ExtractionError
from newscrawl.extraction.article import extract_parsed_article, extract_parsed_comments
from newscrawl.extraction.comments import comment_page_urls
from newscrawl.extraction.document import NotHTMLError, parse_document
from newscrawl.extraction.text import normalize_space
from newscrawl.items import Section
from newscrawl.sites import SiteProfile, get_profile
from newscrawl.spiders.workers import WorkerPool

log = logging.getLogger(__name__)

DECLARED_LISTING = frozenset({"body class", "JSON-LD type"})
"""Reasons of :func:`page_kind` by which a page says it is a listing (the others are guesses from its
shape, which an article with a few teasers can take)."""
MIN_UNDECLARED_ARTICLE_CHARS = 500
"""A page with no article evidence counts as one when its body has this much text under a headline."""


@dataclass(slots=True)
class PageReading:
    kind: str
    """``article``, ``listing`` or ``unreadable``."""
    record: dict[str, Any] | None = None
    comment_pages: list[str] = field(default_factory=list)
    """The article's other comment pages its page links to (on the site's domains), a link to its first
    comment page (``comment-page-1/``) as written: :func:`is_first_comment_page`."""
    links: ListingLinks | None = None
    problem: str | None = None
    """Why an article page gave no record (``unreadable``: not HTML, or no article where one was expected)."""


@cache
def _profile(name: str | None) -> SiteProfile | None:
    return get_profile(name) if name else None


def read_page(
    body: bytes,
    url: str,
    *,
    content_type: str | None,
    fetched_at: datetime,
    profile: str | None,
    domains: tuple[str, ...],
    verdict: str | None,
) -> PageReading:
    """Read an HTML page. ``verdict`` is what the caller already knows (``article`` or ``listing``, from
    the profile's URL rules or because it knows the article); None lets the page's evidence decide,
    then the extractor (a long body under a headline is an article). ``expected``: asked for as an
    article (``scrape``), read as one unless the page declares itself a listing."""
    scope = SiteScope(domains)
    try:
        document = parse_document(body, url, content_type)
    except NotHTMLError as error:
        return PageReading("unreadable", problem=f"unreadable page ({error})")
    root = document.root
    guessed_listing = None
    declared = False
    teasers: set[str] = set()
    expected = verdict == "expected"
    if expected:
        kind, why = page_kind(root, url)
        if kind == "listing" and why in DECLARED_LISTING:
            return PageReading("unreadable", problem=f"not an article: the page is a listing ({why})")
        guessed_listing = why if kind == "listing" else None
        declared = kind == "article"
        if guessed_listing:
            teasers = _teaser_headings(root)  # read before extraction prunes the tree
        verdict = "article"
    elif verdict is None:
        verdict, _why = page_kind(root, url)
    if verdict == "listing":
        return PageReading("listing", links=listing_links(root, url, scope))
    comment_pages = [u for u in comment_page_urls(root, url, keep_first=True) if scope.contains(u)]
    try:
        # One parse for both: the links above are read first, since extraction prunes the tree.
        article = extract_parsed_article(document, fetched_at=fetched_at, profile=_profile(profile))
    except ExtractionError as error:
        if verdict == "article":
            return PageReading("unreadable", problem=f"no article extracted ({error})")
        return _listing_after_all(body, url, content_type, scope)
    if verdict is None and (not article.title or len(article.body_text) < MIN_UNDECLARED_ARTICLE_CHARS):
        return _listing_after_all(body, url, content_type, scope)
    if (
        guessed_listing
        and len(article.body_text) < MIN_UNDECLARED_ARTICLE_CHARS
        and not _mostly_its_own_text(article.sections, teasers)
    ):
        # shaped like a listing, with little text, most of it under the headings of teasers: a listing
        # after all (a short article followed by cards of other articles has its text to itself)
        return PageReading("unreadable", problem=f"not an article: the page is a listing ({guessed_listing})")
    if expected and not declared and not article.body_text and not article.comments:
        # (a page saying it is an article, a video or a photo gallery with no paragraph, still is one)
        return PageReading("unreadable", problem="not an article: no text on the page")
    return PageReading("article", record=article.to_dict(), comment_pages=comment_pages)


def _teaser_headings(root) -> set[str]:
    """Texts of the headings that present other pages: a heading holding a link, or the heading of an
    ``<article>`` block that holds no ``<h1>`` (a teaser of a listing, a card after an article)."""
    out = set()
    for heading in root.iter("h2", "h3", "h4"):
        teaser = heading.find(".//a[@href]") is not None
        if not teaser:
            block = next((a for a in heading.iterancestors("article")), None)
            teaser = block is not None and block.find(".//h1") is None
        if teaser:
            out.add(normalize_space("".join(heading.itertext())))
    return out


def _mostly_its_own_text(sections: list[Section], teasers: set[str]) -> bool:
    """More of the body's text is the page's own than under the headings of teasers."""
    own = under_teasers = 0
    for section in sections:
        size = sum(len(p) for p in section.paragraphs)
        if normalize_space(section.heading or "") in teasers:
            under_teasers += size
        else:
            own += size
    return own > under_teasers


def _listing_after_all(body: bytes, url: str, content_type: str | None, scope: SiteScope) -> PageReading:
    """A page that gave no article: its links, from a fresh parse (extraction pruned the first one's
    tree; this is rare enough that parsing again costs less than copying every tree up front)."""
    root = parse_document(body, url, content_type).root
    return PageReading("listing", links=listing_links(root, url, scope))


def read_comment_page(
    body: bytes,
    url: str,
    *,
    content_type: str | None,
    fetched_at: datetime,
    profile: str | None,
    domains: tuple[str, ...],
    language: str | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The comments of one further comment page of an article and the comment pages it links to (a first
    comment page as written, like :func:`read_page`); ExtractionError if unreadable. Only the comment area is read; ``language`` is the article's."""
    try:
        document = parse_document(body, url, content_type)
    except NotHTMLError as error:
        raise ExtractionError(str(error)) from None
    more = [
        u for u in comment_page_urls(document.root, url, keep_first=True) if SiteScope(domains).contains(u)
    ]
    comments = extract_parsed_comments(
        document, fetched_at=fetched_at, profile=_profile(profile), language=language
    )
    return [comment.to_dict() for comment in comments], more


def _warm_up() -> None:
    """Worker start: import what reading needs once, before the first page arrives."""
    import newscrawl.extraction.article  # noqa: F401


MAX_AUTO_READERS = 3
"""``auto`` starts at most this many reader processes: beyond that the crawl's own event loop (fetching,
routing, archiving) is the limit."""


def reader_processes(setting: Any, *, mode: str = "crawl", cpus: int | None = None) -> int:
    """``NEWSCRAWL_READ_WORKERS`` as a number of processes. ``auto`` (the default): one per CPU, at most
    :data:`MAX_AUTO_READERS`; none on one CPU, and none for a one-article ``scrape``, where starting a
    process costs more than it saves. The crawl's event loop leaves part of its CPU idle (it waits
    for pages and answers), which one more reader uses: on 2 CPUs, two readers crawled the bench
    site 5 % faster than one. ValueError for anything else than ``auto`` or a count."""
    text = str(setting).strip().lower() if setting is not None else "auto"
    if text in ("", "auto"):
        if mode == "scrape":
            return 0
        available = cpus if cpus is not None else (os.cpu_count() or 1)
        return min(available, MAX_AUTO_READERS) if available > 1 else 0
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(
            f"NEWSCRAWL_READ_WORKERS must be 'auto' or a number of processes (0: read in the crawl "
            f"process), not {setting!r}"
        )
    return count


class PageReader:
    """Runs the reading functions here (``workers=0``) or in worker processes (:mod:`.workers`)."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = max(0, workers)
        self._pool: WorkerPool | None = (
            WorkerPool(self.workers, initializer=_warm_up) if self.workers else None
        )

    def start_soon(self) -> None:
        """Start the worker processes (with the event loop running): each imports the extractor for about
        a second, better spent while robots.txt and the sitemaps are fetched than after the first page."""
        if self._pool is not None:
            self._pool.start_soon()

    async def run(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        if self._pool is None:
            return function(*args, **kwargs)
        return await self._pool.run(function, *args, **kwargs)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
