"""The page readers of the spider give what separate parses and ``extract_article`` give."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.discovery import SiteScope, listing_links, page_kind
from newscrawl.extraction import ExtractionError, extract_article
from newscrawl.extraction.comments import comment_page_urls
from newscrawl.extraction.document import NotHTMLError, parse_document
from newscrawl.spiders.reading import (
    MAX_AUTO_READERS,
    MIN_UNDECLARED_ARTICLE_CHARS,
    read_comment_page,
    read_page,
    reader_processes,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGES = sorted(
    path
    for folder in ("golden", "comments", "crawl", "metadata")
    for path in (FIXTURES / folder).rglob("*.html")
)
FETCHED_AT = datetime(2024, 5, 3, 10, 0, tzinfo=UTC)
CONTENT_TYPE = "text/html; charset=utf-8"
URL = "https://www.example-news.test/2024/05/une-page/"
DOMAINS = ("example-news.test",)


def reference_read_page(body: bytes, verdict: str | None) -> tuple:
    """What read_page gave when it parsed once for links and let extract_article parse again."""
    scope = SiteScope(DOMAINS)
    try:
        root = parse_document(body, URL, CONTENT_TYPE).root
    except NotHTMLError:
        return ("unreadable",)
    if verdict is None:
        verdict, _why = page_kind(root, URL)
    if verdict == "listing":
        return ("listing", listing_links(root, URL, scope))
    comment_pages = [u for u in comment_page_urls(root, URL, keep_first=True) if scope.contains(u)]
    try:
        article = extract_article(body, URL, fetched_at=FETCHED_AT, content_type=CONTENT_TYPE)
    except ExtractionError:
        return ("unreadable",) if verdict == "article" else ("listing", listing_links(root, URL, scope))
    if verdict is None and (not article.title or len(article.body_text) < MIN_UNDECLARED_ARTICLE_CHARS):
        return ("listing", listing_links(root, URL, scope))
    return ("article", article.to_dict(), comment_pages)


def reading(body: bytes, verdict: str | None) -> tuple:
    result = read_page(
        body,
        URL,
        content_type=CONTENT_TYPE,
        fetched_at=FETCHED_AT,
        profile=None,
        domains=DOMAINS,
        verdict=verdict,
    )
    if result.kind == "unreadable":
        return ("unreadable",)
    if result.kind == "listing":
        return ("listing", result.links)
    return ("article", result.record, result.comment_pages)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_read_page_matches_separate_parses(page: Path) -> None:
    body = page.read_bytes()
    for verdict in (None, "article", "listing"):
        assert reading(body, verdict) == reference_read_page(body, verdict), verdict


THREAD_PAGES = {
    "comments/samples/drupal7.html",
    "comments/samples/spip.html",
    "metadata/pages/web-content-extraction-benchmark--0526.html",  # a forum thread
}
"""Pages whose content is their discussion: read whole, they are a thread whose posts are the body."""


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_read_comment_page_gives_the_comments_a_full_extraction_gives(page: Path) -> None:
    """A further comment page is read for its comments alone; on an article page that is what the
    whole extraction gives too (in the article's language), and never less."""
    body = page.read_bytes()
    try:
        expected = extract_article(body, URL, fetched_at=FETCHED_AT, content_type=CONTENT_TYPE)
    except ExtractionError:
        return
    comments, more = read_comment_page(
        body,
        URL,
        content_type=CONTENT_TYPE,
        fetched_at=FETCHED_AT,
        profile=None,
        domains=DOMAINS,
        language=expected.language,
    )
    full = expected.to_dict()["comments"]
    if str(page.relative_to(FIXTURES)) in THREAD_PAGES:
        assert [c for c in comments if c in full] == full  # every comment, in the same order ...
        assert len(comments) > len(full)  # ... and the posts the thread's body had taken
    else:
        assert comments == full
    root = parse_document(body, URL, CONTENT_TYPE).root
    assert more == [
        u for u in comment_page_urls(root, URL, keep_first=True) if SiteScope(DOMAINS).contains(u)
    ]


def test_a_comment_page_of_a_thread_keeps_its_posts_as_comments() -> None:
    """Page 2 of a discussion-only page: read whole it is a thread whose posts become the (discarded)
    body of that page; read as a comment page its posts are the article's comments."""
    body = (FIXTURES / "comments/samples/spip.html").read_bytes()
    assert extract_article(body, URL, fetched_at=FETCHED_AT, content_type=CONTENT_TYPE).comments == []
    comments, _ = read_comment_page(
        body, URL, content_type=CONTENT_TYPE, fetched_at=FETCHED_AT, profile=None, domains=DOMAINS
    )
    assert len(comments) == 3
    assert all(c["text"] and c["author"] for c in comments)


def test_read_comment_page_refuses_a_page_that_is_not_html() -> None:
    with pytest.raises(ExtractionError):
        read_comment_page(
            b"%PDF-1.4 \x00\x01\x02 binary",
            URL,
            content_type="application/pdf",
            fetched_at=FETCHED_AT,
            profile=None,
            domains=DOMAINS,
        )


def test_a_page_that_is_no_article_after_all_gives_its_links() -> None:
    listing = (
        "<html><body><h1>Actualités</h1><ul>"
        + "".join(f'<li><a href="/2024/05/article-{i}/">Article {i}</a></li>' for i in range(5))
        + "</ul></body></html>"
    ).encode()
    assert reading(listing, None)[0] == "listing"
    assert reading(listing, None) == reference_read_page(listing, None)


@pytest.mark.parametrize(
    ("setting", "mode", "cpus", "expected"),
    [
        ("auto", "crawl", 1, 0),  # one CPU: reading beside the crawl would only add hand-offs
        ("auto", "crawl", 2, 2),  # the crawl's event loop leaves part of its CPU to a reader
        ("auto", "crawl", 3, 3),
        ("auto", "crawl", 4, 3),
        ("auto", "crawl", 64, MAX_AUTO_READERS),
        (None, "crawl", 2, 2),
        ("auto", "scrape", 8, 0),  # one article: starting a process costs more than it saves
        ("0", "crawl", 8, 0),
        (2, "crawl", 1, 2),  # a count is taken as given
        (" 5 ", "scrape", 1, 5),
    ],
)
def test_reader_processes(setting, mode, cpus, expected) -> None:
    assert reader_processes(setting, mode=mode, cpus=cpus) == expected


@pytest.mark.parametrize("setting", ["many", "-1", "1.5"])
def test_reader_processes_refuses_what_is_not_a_count(setting) -> None:
    with pytest.raises(ValueError, match="NEWSCRAWL_READ_WORKERS must be 'auto' or a number"):
        reader_processes(setting)
