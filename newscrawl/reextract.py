"""``newscrawl reextract``: rebuild records from the raw captures with the current extractor, offline.

For each archived article, the captures of its current version (the article page and its comment
pages, as fetched) go through :func:`build_record`, the same assembly the spider does while crawling;
the result is upserted like a crawl would, so a new version appears only where the extractor's output
changed, and comments merge (none is lost). The visit dates stay those of the last real crawl.
The pass is recorded as a crawl run named ``reextract``, with the extractor's version and the field
coverage of the records it rebuilt (``storage.health``), so its effect shows in ``newscrawl report``.
It takes no crawl lock, so a crawl of the same site may run meanwhile: each article is re-read in its
own transaction with its row locked, and one that a crawl archived anew since the pass began is left
as the crawl wrote it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from newscrawl import __version__
from newscrawl.discovery import comment_page_number, merge_comment_pages
from newscrawl.extraction import ExtractionError, extract_article, extract_comment_page
from newscrawl.extraction.dates import relative_precision

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReextractReport:
    articles: int = 0
    updated: int = 0
    """Articles that got a new version (the extractor's output changed)."""
    unchanged: int = 0
    skipped: int = 0
    """Articles a crawl archived anew while the pass ran (their new version is the current extractor's)."""
    comments_added: int = 0
    without_captures: int = 0
    """Articles with no raw page to read again (records imported with ``newscrawl db ingest``)."""
    failed: list[str] = field(default_factory=list)
    """``"URL: reason"`` of articles left as they were."""
    crawl_run_id: int | None = None


def build_record(captures: Sequence[Any]) -> dict[str, Any]:
    """The record of one article from its pages (objects with ``url``, ``body``, ``headers``,
    ``fetched_at``): the latest capture of each URL, the article page first, then the comment pages in
    page order, comments merged. Raises ExtractionError when the article page gives no record."""
    latest: dict[str, Any] = {}
    for capture in captures:
        if capture.url not in latest or capture.fetched_at >= latest[capture.url].fetched_at:
            latest[capture.url] = capture
    articles = [c for c in latest.values() if comment_page_number(c.url) is None]
    if not articles:
        raise ExtractionError("no article page among the captures")
    page = max(articles, key=lambda c: c.fetched_at)
    article = extract_article(
        page.body, page.url, fetched_at=page.fetched_at, content_type=page.headers.get("content-type")
    )
    record = article.to_dict()
    pages = [(1, record["comments"])]
    for capture in latest.values():
        number = comment_page_number(capture.url)
        if number is None:
            continue
        try:
            comments = [
                comment.to_dict()
                for comment in extract_comment_page(
                    capture.body,
                    capture.url,
                    fetched_at=capture.fetched_at,
                    content_type=capture.headers.get("content-type"),
                    language=record["language"],
                )
            ]
        except ExtractionError as error:
            log.warning("comment page %s not re-read: %s", capture.url, error)
            continue
        pages.append((number, comments))
    record["comments"] = merge_comment_pages(pages)
    return record


def reextract_archive(
    archive: Any,
    *,
    site: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReextractReport:
    """Re-extract every article of the archive (or of one site key) from its stored captures."""
    from newscrawl.run_guard import extractor_version
    from storage import InvalidRecord
    from storage.crawl_state import articles_for_reextraction
    from storage.health import REEXTRACT_RUN, CoverageTally, store_coverage, tag_crawl_run

    report = ReextractReport()
    coverage = CoverageTally()
    with archive.session() as session:
        todo = articles_for_reextraction(session, site)
    with archive.transaction() as repo:
        report.crawl_run_id = repo.start_crawl_run(
            REEXTRACT_RUN, settings={"mode": "reextract", "site": site, "newscrawl": __version__}
        )
        # A site with nothing archived is not created by tagging the run with it.
        tag_crawl_run(
            repo.session,
            report.crawl_run_id,
            site=site if todo else None,
            extractor_version=extractor_version(),
        )
    for done, article in enumerate(todo, 1):
        report.articles += 1
        try:
            with archive.transaction() as repo:
                outcome = _reextract_one(repo, article, report.crawl_run_id)
        except (ExtractionError, InvalidRecord, ValueError) as error:
            report.failed.append(f"{article.canonical_url}: {error}")
            log.info("not re-extracted: %s: %s", article.canonical_url, error)  # listed by the command
        else:
            if outcome is None:
                report.skipped += 1
                log.info("re-crawled meanwhile, left as it is: %s", article.canonical_url)
            elif outcome is NO_CAPTURES:
                report.without_captures += 1
                log.debug("no raw capture to read again: %s", article.canonical_url)
            else:
                record, result = outcome
                coverage.add(record)
                report.comments_added += result.comments_added
                if result.status == "updated":
                    report.updated += 1
                else:
                    report.unchanged += 1
        if progress is not None:
            progress(done, len(todo))
    with archive.transaction() as repo:
        repo.finish_crawl_run(
            report.crawl_run_id,
            status="finished",
            stats={
                "articles": report.articles,
                "updated": report.updated,
                "skipped": report.skipped,
                "without_captures": report.without_captures,
                "failed": len(report.failed),
                "newscrawl/errors": len(report.failed),
            },
        )
        store_coverage(repo.session, report.crawl_run_id, coverage)
    return report


NO_CAPTURES: Any = object()


def _reextract_one(repo: Any, article: Any, crawl_run_id: int | None) -> tuple[dict[str, Any], Any] | None:
    """Re-extract one listed article in the caller's transaction: ``(record, upsert result)``, None
    when a crawl archived it anew since it was listed, :data:`NO_CAPTURES` when it has no raw page."""
    from storage.crawl_state import current_visit, restore_seen

    # Read again, locked: a crawl may have stored a newer version (or a visit) since the list was
    # made; re-extracting the older captures would make old content current again.
    current = current_visit(repo.session, article.article_id)
    if current is None or current.version_id != article.version_id:
        return None
    captures = list(repo.iter_captures(version_id=article.version_id))
    if not captures:
        return NO_CAPTURES
    record = build_record(captures)
    # The article keeps its identity even if the extractor now reads another canonical URL.
    record["canonical_url"] = article.canonical_url
    result = repo.upsert_article(
        record,
        crawl_run_id=crawl_run_id,
        captures=[_capture_dict(c) for c in captures],
        seen_at=max(c.fetched_at for c in captures),
        date_precision=relative_precision,
    )
    restore_seen(repo.session, article.article_id, current.last_seen_at, current.last_crawl_run_id)
    return record, result


def _capture_dict(capture: Any) -> dict[str, Any]:
    return {
        "url": capture.url,
        "status": capture.http_status,
        "headers": capture.headers,
        "fetched_at": capture.fetched_at,
        "body": capture.body,
    }
