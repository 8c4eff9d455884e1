"""Item pipelines: check each article record, then archive it (one transaction per article).

* :class:`ValidationPipeline` — a record that does not follow the schema is dropped with one log
  line naming the field (``storage.InvalidRecord``). Only when nothing is archived (``scrape``
  without ``--save``): the archive's upsert validates what it writes the same way, and skips
  validating a record identical to the one it stored last time.
* :class:`ArchivePipeline` — opens the archive, records the crawl run (started when the spider opens,
  finished when it closes, with the crawler's stats and the run's settings; the site's crawl lock and
  the run's field coverage go with it, see ``newscrawl/run_guard.py``) and upserts each article
  with the raw captures of every page it came from. Related links resolve as their targets arrive
  (the repository does it on upsert). A write that fails (database gone, locked) is logged and the
  article dropped; everything committed before stays; after a few failures in a row the crawl stops.

Both only speak to the archive through ``storage`` (the repository and ``storage.crawl_state``).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured
from scrapy.utils.reactor import is_reactor_installed

from newscrawl.extraction.dates import relative_precision
from newscrawl.run_guard import RunGuard
from newscrawl.spiders.items import ArticleItem, NotModifiedItem
from storage import Archive, InvalidRecord, StorageError, normalize_record
from storage.db import DEFAULT_PAGE_CACHE_KIB
from storage.locks import CrawlLocked

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

RECORDED_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
    "RETRY_TIMES",
    "RETRY_BACKOFF_BASE",
    "REDIRECT_MAX_TIMES",
    "JOBDIR",
    "NEWSCRAWL_INCREMENTAL",
    "NEWSCRAWL_REVISIT_POLICY",
    "NEWSCRAWL_RESOLVE",
    "NEWSCRAWL_WARC_DIR",
    "NEWSCRAWL_LISTING_HOPS",
)
"""Settings kept in the crawl run row (what the run was allowed to do)."""

FINISH_STATUS = {"finished": "finished", "max_articles": "finished"}
"""Scrapy's close reason → crawl run status; ``shutdown`` and ``closespider_*`` → interrupted, the rest failed."""


def crawl_archive(crawler: Crawler) -> Archive:
    """The crawl's archive, opened once per crawler and shared by the pipeline and the middlewares."""
    archive = getattr(crawler, "_newscrawl_archive", None)
    if archive is None:
        settings = crawler.settings
        archive = Archive(
            settings.get("NEWSCRAWL_DB"),
            busy_timeout=settings.getfloat("NEWSCRAWL_DB_BUSY_TIMEOUT"),
            # its lookups (incremental checks) are few per article: memory stays flat over a long run
            page_cache_kib=DEFAULT_PAGE_CACHE_KIB,
        )
        crawler._newscrawl_archive = archive  # type: ignore[attr-defined]
    return archive


def run_status(reason: str, stats: dict[str, Any] | None = None) -> str:
    """The crawl run's status from Scrapy's close reason and, given them, the crawl's stats: a crawl
    that ran to its end but fetched nothing, or could read no page of the site, or could not archive
    some articles, failed (the command exits 1 for them; monitoring reads the run's status)."""
    if reason in FINISH_STATUS:
        status = FINISH_STATUS[reason]
        if stats is not None and run_failure(stats):
            return "failed"
        return status
    if reason == "shutdown" or reason.startswith("closespider_"):
        return "interrupted"
    return "failed"


NOTHING_FETCHED = "nothing could be fetched"
NOTHING_READ = "nothing could be read"


def run_failure(stats: dict[str, Any]) -> str | None:
    """Why a crawl that ran to its end failed all the same, or None."""
    # A worker that joins a distributed job as it ends may have had nothing left to fetch.
    if not stats.get("newscrawl/frontier/job_finished"):
        if not stats.get("response_received_count"):
            return NOTHING_FETCHED
        # robots.txt answered, or the usual sitemap locations (404), but not one page of the site could
        # be read (its start pages failed, or were refused): the site is out of reach. A run that reads
        # nothing new (--incremental, everything unchanged) still reads its start pages and sitemaps.
        if not stats.get("newscrawl/pages_read"):
            return NOTHING_READ
    # Articles the archive refused (a record the schema does not allow) are lost as surely as ones
    # a database error kept out.
    unsaved = stats.get("newscrawl/archive_errors", 0) + stats.get("newscrawl/articles/invalid", 0)
    if unsaved:
        return f"{unsaved} article{'s' if unsaved > 1 else ''} could not be archived"
    return None


class ValidationPipeline:
    """Drop records that do not follow the schema, naming the field."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        if crawler.settings.getbool("NEWSCRAWL_ARCHIVE"):
            raise NotConfigured  # ArchivePipeline validates (once, not twice per article)
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            try:
                normalize_record(item.record)
            except InvalidRecord as error:
                self.stats.inc_value("newscrawl/errors")
                self.stats.inc_value("newscrawl/articles/invalid")
                raise DropItem(f"invalid record for {item.url}: {error}", log_level="ERROR") from None
        return item


class ArchivePipeline:
    """Write each article (with its raw captures) in its own transaction; record the crawl run."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.failures_to_stop = crawler.settings.getint("NEWSCRAWL_ARCHIVE_FAILURES_TO_STOP", 5)
        self.consecutive_failures = 0
        self.stopping = False
        """The failed writes stopped the crawl."""
        self.run_id: int | None = None
        self.archive: Archive | None = None
        self.guard = RunGuard(crawler)
        self._closed = False
        """The run was closed (spider_closed, or the reactor's shutdown without it)."""
        self._shutdown_trigger: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        if not crawler.settings.getbool("NEWSCRAWL_ARCHIVE"):
            raise NotConfigured
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    # ------------------------------------------------------------------ run

    def open_spider(self) -> None:
        spider = self.crawler.spider
        try:
            self.archive = crawl_archive(self.crawler)
            with self.archive.transaction() as repo:
                run_id = repo.start_crawl_run(self._run_name(spider), settings=self._run_settings(spider))
                self.guard.start(repo.session, run_id, spider)  # another run crawling the site: CrawlLocked
        except CrawlLocked as refusal:  # the run was rolled back: nothing recorded, nothing to fetch
            raise CloseSpider(self.guard.refused(refusal)) from None
        except StorageError as error:
            # A warning: the crawl's last line (`Error: crawl stopped: ...`) is the error, with the reason
            # under --quiet, which shows no warning.
            log.warning("archive unavailable: %s", error)
            self.stats.set_value("newscrawl/last_error", f"not archived: {error}")
            self.stats.set_value("newscrawl/stopped_because", str(error))
            raise CloseSpider("archive_unavailable") from None
        self.run_id = run_id
        if is_reactor_installed():
            from twisted.internet import reactor

            self._shutdown_trigger = reactor.addSystemEventTrigger(
                "before", "shutdown", self._close_before_shutdown
            )
        self.guard.started(self.archive)
        self.stats.set_value("newscrawl/crawl_run_id", self.run_id)
        log.info("crawl run %s started, archiving into %r", self.run_id, self.archive)

    def _close_before_shutdown(self) -> None:
        """Ctrl-C while the engine was still opening the spider: Scrapy stops the reactor without
        closing the spider (no spider_closed, no other signal). Close the run and release the site's
        lock as the reactor shuts down, whoever runs the crawl (``newscrawl crawl``, ``scrapy crawl``,
        scrapyd). After a normal end the run is already closed and this does nothing."""
        self._shutdown_trigger = None  # running now: nothing to remove
        if not self._closed and self.run_id is not None:
            self.spider_closed(self.crawler.spider, "shutdown")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        if self._shutdown_trigger is not None:
            from twisted.internet import reactor

            with contextlib.suppress(ValueError):
                reactor.removeSystemEventTrigger(self._shutdown_trigger)
            self._shutdown_trigger = None
        self.guard.stop()
        if self.archive is None or self.run_id is None:
            return
        stats = dict(self.stats.get_stats())
        status = run_status(reason, stats)
        stats["finish_reason"] = reason
        # Scrapy's stats hold only the counters that moved: a run without errors says 0 (`sites` and
        # `report` show a run's missing count as not known).
        stats.setdefault("newscrawl/errors", 0)
        stats.setdefault("finish_time", datetime.now(UTC))
        try:
            with self.archive.transaction() as repo:
                repo.finish_crawl_run(self.run_id, status=status, stats=stats)
                self.guard.finish(repo.session, self.run_id)
        except StorageError as error:
            log.error("could not record the end of crawl run %s: %s", self.run_id, error)
        finally:
            self.archive.close()
            self.crawler._newscrawl_archive = None  # type: ignore[attr-defined]

    @staticmethod
    def _run_name(spider: Any) -> str:
        return str(getattr(spider, "run_name", None) or getattr(spider, "target", None) or spider.name)

    def _run_settings(self, spider: Any) -> dict[str, Any]:
        settings = self.crawler.settings
        recorded: dict[str, Any] = {name: settings.get(name) for name in RECORDED_SETTINGS}
        recorded.update(getattr(spider, "run_options", {}) or {})
        return recorded

    # ------------------------------------------------------------------ items

    def process_item(self, item: Any) -> Any:
        if isinstance(item, NotModifiedItem):
            return self._not_modified(item)
        if not isinstance(item, ArticleItem):
            return item
        assert self.archive is not None
        try:
            with self.archive.transaction() as repo:
                result = repo.upsert_article(
                    item.record,
                    crawl_run_id=self.run_id,
                    captures=item.captures,
                    seen_at=item.fetched_at,
                    redirected_from=item.redirected_from,
                    date_precision=relative_precision,
                    comment_pages_missed=item.comment_pages_missed,
                )
        except InvalidRecord as error:
            self.stats.inc_value("newscrawl/errors")
            self.stats.inc_value("newscrawl/articles/invalid")
            raise DropItem(f"invalid record for {item.url}: {error}", log_level="ERROR") from None
        except StorageError as error:
            self._failed(item.url, error)
            raise DropItem(f"not archived: {item.url}", log_level="DEBUG") from None
        except Exception as error:  # a bug on the archive's side: counted like a failed write, traceback kept
            log.error("archive write of %s raised %s", item.url, type(error).__name__, exc_info=True)
            self._failed(item.url, error)
            raise DropItem(f"not archived: {item.url}", log_level="DEBUG") from None
        self.consecutive_failures = 0
        self.guard.count(item.record)
        stats = self.stats
        stats.inc_value(f"newscrawl/articles/{result.status}")
        stats.inc_value("newscrawl/comments/seen", len(item.record.get("comments") or ()))
        stats.inc_value("newscrawl/comments/added", result.comments_added)
        stats.inc_value("newscrawl/comments/updated", result.comments_updated)
        stats.inc_value("newscrawl/captures", result.captures_stored)
        stats.inc_value("newscrawl/links_resolved", result.links_resolved)
        item.status = result.status
        item.article_id = result.article_id
        log.info(
            "archived %s (%s, version %d, %d comments, +%d new)",
            item.url,
            result.status,
            result.version_number,
            len(item.record.get("comments") or ()),
            result.comments_added,
        )
        return item

    def _not_modified(self, item: NotModifiedItem) -> NotModifiedItem:
        from storage.crawl_state import mark_not_modified

        assert self.archive is not None
        try:
            with self.archive.session() as session:
                mark_not_modified(session, item.article_id, seen_at=item.fetched_at, crawl_run_id=self.run_id)
        except StorageError as error:
            self._failed(item.url, error)
            raise DropItem(f"not recorded: {item.url}", log_level="DEBUG") from None
        self.consecutive_failures = 0
        self.stats.inc_value("newscrawl/articles/unchanged")
        self.stats.inc_value("newscrawl/articles/not_modified")
        return item

    def _failed(self, url: str, error: Exception) -> None:
        self.consecutive_failures += 1
        self.stats.inc_value("newscrawl/errors")
        self.stats.inc_value("newscrawl/archive_errors")
        self.stats.set_value("newscrawl/last_error", f"not archived: {error}")
        log.error("archive write failed for %s (not saved; what is archived stays): %s", url, error)
        if self.consecutive_failures < self.failures_to_stop or self.stopping:
            return
        engine = self.crawler.engine
        if engine is not None:
            self.stopping = True  # the writes failing while the crawl stops are no news
            because = f"{self.consecutive_failures} archive writes failed in a row: {error}"
            # A warning, as the archive unavailable at the start (see open_spider)
            log.warning("stopping the crawl: %s", because)
            self.crawler.stats.set_value("newscrawl/stopped_by", "archive_unavailable")
            self.crawler.stats.set_value("newscrawl/stopped_because", because)
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason="archive_unavailable"))
