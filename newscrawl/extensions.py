"""Crawl-wide extensions: the progress line, WARC output, robots.txt's Crawl-delay, and log lines
that stay short.

* :class:`Progress` — a status line on stderr every few seconds (pages, articles new / updated /
  unchanged / skipped, comments, pages redirected off-site, broken links, errors, pages per second) and a
  summary at the end; off with ``--quiet``.
* :class:`WarcWriter` — ``--warc DIR``: every download (robots.txt, sitemaps, feeds, listings,
  articles, comment pages, redirects, errors) as a WARC request/response pair, one gzipped file per run.
* :class:`CrawlDelay` and :class:`CrawlDelayAutoThrottle` — a host whose robots.txt declares a
  ``Crawl-delay`` for us gets its requests at least that far apart, AutoThrottle included.
* :class:`ShortLogFormatter` and :class:`TidyLogs` — Scrapy's log lines without item dumps (items carry
  page bodies) and without tracebacks for routine network failures.
"""

from __future__ import annotations

import io
import logging
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.logformatter import LogFormatter
from scrapy.utils.asyncio import create_looping_call

from newscrawl import __version__
from newscrawl.wording import counted

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.core.downloader import Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser
    from scrapy.statscollectors import StatsCollector

log = logging.getLogger(__name__)


def crawl_counts(stats: StatsCollector | dict[str, Any]) -> dict[str, int]:
    """The figures the progress line and the summary show, from the crawler's stats."""
    get = stats.get if isinstance(stats, dict) else stats.get_value
    names = {
        "pages": "response_received_count",
        "new": "newscrawl/articles/new",
        "updated": "newscrawl/articles/updated",
        "unchanged": "newscrawl/articles/unchanged",
        "skipped": "newscrawl/incremental/skipped",
        "older_than_since": "newscrawl/articles/too_old",
        "comments": "newscrawl/comments/seen",
        "comments_added": "newscrawl/comments/added",
        "comment_pages": "newscrawl/comment_pages/fetched",
        "comment_pages_failed": "newscrawl/comment_pages/failed",
        "errors": "newscrawl/errors",
        "redirected_offsite": "newscrawl/redirected_offsite",
        "broken_links": "newscrawl/broken_links",
        "links_resolved": "newscrawl/links_resolved",
    }
    return {key: int(get(name, 0) or 0) for key, name in names.items()}


def format_counts(counts: dict[str, int], elapsed: float) -> str:
    rate = counts["pages"] / elapsed if elapsed > 0 else 0.0
    line = (
        f"{counted(counts['pages'], 'page')} ({rate:.1f}/s) | articles {counts['new']:,} new, "
        f"{counts['updated']:,} updated, {counts['unchanged']:,} unchanged"
    )
    if counts["skipped"]:
        line += f", {counts['skipped']:,} skipped"
    if counts["older_than_since"]:
        line += f", {counts['older_than_since']:,} older than --since"
    line += f" | comments {counts['comments']:,} (+{counts['comments_added']:,})"
    if counts["comment_pages_failed"]:
        line += f" | {counted(counts['comment_pages_failed'], 'comment page')} failed"
    if counts["redirected_offsite"]:  # not errors: the site sent them out of the crawl's domains
        line += f" | {counts['redirected_offsite']:,} redirected off-site"
    if counts["broken_links"]:  # not errors: links of the site to pages it does not have (404/410)
        line += f" | {counted(counts['broken_links'], 'broken link')}"
    return line + f" | errors {counts['errors']:,}"


class Progress:
    """A status line on stderr while crawling and a summary when done (``NEWSCRAWL_PROGRESS``)."""

    def __init__(self, crawler: Crawler, interval: float, stream: TextIO) -> None:
        self.crawler = crawler
        self.interval = interval
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.task: Any = None
        self.width = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not crawler.settings.getbool("NEWSCRAWL_PROGRESS"):
            raise NotConfigured
        extension = cls(crawler, crawler.settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL", 2.0), sys.stderr)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self.task = create_looping_call(self.show)
            self.task.start(self.interval, now=False)

    def show(self) -> None:
        line = format_counts(crawl_counts(self.crawler.stats), time.monotonic() - self.started)
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        elapsed = time.monotonic() - self.started
        counts = crawl_counts(self.crawler.stats)
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
        if reason == "crawl_locked":  # skipped before fetching anything: the command says why, in one line
            return
        from newscrawl.pipelines import FINISH_STATUS, run_failure

        # A crawl that ran to its end can still have failed (nothing fetched, articles not archived):
        # the summary says so, as the run's status and the exit status do.
        failure = run_failure(self.crawler.stats.get_stats()) if reason in FINISH_STATUS else None
        ending = f"failed: {failure}" if failure else reason
        self.stream.write(f"done ({ending}) in {elapsed:.1f} s: {format_counts(counts, elapsed)}\n")
        self.stream.flush()


class WarcWriter:
    """``NEWSCRAWL_WARC_DIR``: a gzipped WARC file of everything this run downloaded, begun with its
    first download (a run that downloads nothing, skipped for another run's lock, leaves no file)."""

    def __init__(self, crawler: Crawler, directory: Path) -> None:
        self.crawler = crawler
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.path = directory / f"newscrawl-{stamp}-{uuid.uuid4().hex[:8]}.warc.gz"
        self.file: Any = None
        self.writer: Any = None
        self.info: dict[str, str] = {}
        self.records = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcWriter:
        directory = crawler.settings.get("NEWSCRAWL_WARC_DIR")
        if not directory:
            raise NotConfigured
        extension = cls(crawler, Path(directory))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.info = {
            "software": f"newscrawl/{__version__} (Scrapy)",
            "format": "WARC File Format 1.0",
            "isPartOf": str(getattr(spider, "target", spider.name)),
            "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": str(self.crawler.settings.get("USER_AGENT")),
        }

    def _open(self) -> None:
        from warcio.warcwriter import WARCWriter

        self.file = self.path.open("wb")
        self.writer = WARCWriter(self.file, gzip=True)
        self.writer.write_record(self.writer.create_warcinfo_record(self.path.name, self.info))
        self.crawler.stats.set_value("newscrawl/warc_file", str(self.path))

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        from warcio.statusandheaders import StatusAndHeaders

        try:
            from urllib.parse import urlsplit

            if self.file is None:
                self._open()
            parts = urlsplit(request.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request_headers = [("Host", parts.netloc), *_header_list(request.headers)]
            request_record = self.writer.create_warc_record(
                request.url,
                "request",
                payload=io.BytesIO(request.body or b""),
                http_headers=StatusAndHeaders(
                    f"{request.method} {target} HTTP/1.1", request_headers, is_http_request=True
                ),
            )
            body = response.body
            # The body is stored as received (still compressed if it was), but de-chunked by the client.
            headers = [
                (name, value)
                for name, value in _header_list(response.headers)
                if name.lower() not in ("transfer-encoding", "content-length")
            ]
            headers.append(("Content-Length", str(len(body))))
            status = f"{response.status} {_reason(response.status)}"
            response_record = self.writer.create_warc_record(
                response.url,
                "response",
                payload=io.BytesIO(body),
                http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            )
            self.writer.write_request_response_pair(request_record, response_record)
            self.records += 1
        except (OSError, ValueError) as error:
            log.error("WARC write failed for %s: %s", request.url, error)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.file is None:
            return
        self.file.close()
        log.info("WARC: %d responses written to %s", self.records, self.path)


def _header_list(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class CrawlDelay:
    """robots.txt's ``Crawl-delay``: the least time between two requests to its host.

    Scrapy's robots.txt middleware reads only the rules. This reads the delay of each robots.txt it
    parses (for ``ROBOTSTXT_USER_AGENT`` or our user agent, else ``*``), held to
    ``NEWSCRAWL_MAX_CRAWL_DELAY``, and raises the host's download slot to it whenever a request reaches
    the downloader: a slot is created at the default delay, and recreated after a minute idle. A longer
    delay (``DOWNLOAD_DELAY``, AutoThrottle's) stays. Requests to a host wait for its robots.txt, so
    the delay is known before its first page."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.maximum = settings.getfloat("NEWSCRAWL_MAX_CRAWL_DELAY")
        self.robots_user_agent = settings.get("ROBOTSTXT_USER_AGENT")
        self.user_agent = settings.get("USER_AGENT")
        self.delays: dict[str, float] = {}
        """Seconds by host (``host[:port]``, as robots.txt files are), for the hosts that declare one."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelay:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY") or not settings.getbool("NEWSCRAWL_OBEY_CRAWL_DELAY"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(
            extension.request_reached_downloader, signal=signals.request_reached_downloader
        )
        return extension

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        # The user agent Scrapy's robots.txt middleware judges the rules with.
        user_agent = self.robots_user_agent or request.headers.get(b"User-Agent") or self.user_agent
        declared = robotparser.crawl_delay(user_agent)
        if declared is None or not declared > 0:  # also "nan"
            return
        host = urlsplit(request.url).netloc
        delay = min(declared, self.maximum)
        self.delays[host] = delay
        self.crawler.stats.max_value("newscrawl/crawl_delay", delay)
        asked = f"robots.txt of {host} asks for Crawl-delay {declared:g} s"
        longer = self.crawler.settings.getfloat("DOWNLOAD_DELAY")
        if declared > delay:
            log.warning("%s: held to %g s between its requests (NEWSCRAWL_MAX_CRAWL_DELAY)", asked, delay)
        elif longer > delay:
            log.info("%s: DOWNLOAD_DELAY's %g s is longer and stays", asked, longer)
        else:
            log.info("%s: its requests go at least that far apart", asked)

    def delay_for(self, url: str) -> float | None:
        """The crawl delay of the URL's host, if its robots.txt declares one."""
        return self.delays.get(urlsplit(url).netloc) if self.delays else None

    def request_reached_downloader(self, request: Request) -> None:
        delay = self.delay_for(request.url)
        if delay is None:
            return
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot"))
        if slot is not None:
            hold_slot(slot, delay)


def hold_slot(slot: Slot, delay: float) -> None:
    """Raise a download slot's delay to ``delay`` seconds if it is shorter, and narrow its random
    variation (``DOWNLOAD_DELAY_JITTER``, ±50 %) so that no single wait falls below ``delay``."""
    slot.delay = max(slot.delay, delay)
    if slot.jitter and slot.delay > 0:
        slot.jitter = min(slot.jitter, 1 - delay / slot.delay)


class CrawlDelayAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, which shortens a slot's delay when its host answers fast, but never below
    the host's robots.txt ``Crawl-delay`` (:class:`CrawlDelay`)."""

    crawl_delay: CrawlDelay | None = None

    def _spider_opened(self, spider: Spider) -> None:
        super()._spider_opened(spider)
        self.crawl_delay = self.crawler.get_extension(CrawlDelay)

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        # The response's URL is its request's (a redirect is a response of its own).
        delay = self.crawl_delay.delay_for(response.url) if self.crawl_delay is not None else None
        if delay is not None:
            hold_slot(slot, delay)


class _RobotsErrorsInOneLine(logging.Filter):
    """Scrapy logs a failed robots.txt download with a traceback; one warning line says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.levelno >= logging.ERROR:
            error = record.exc_info[1]
            request = record.args.get("request") if isinstance(record.args, dict) else None
            from urllib.parse import urlsplit

            parts = urlsplit(getattr(request, "url", ""))
            record.msg = "%s://%s/robots.txt not fetched (%s): crawling as if it allowed everything"
            record.args = (parts.scheme, parts.netloc, " ".join(str(error).split()) or type(error).__name__)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class TidyLogs:
    """Routine network failures are one log line each, not tracebacks."""

    def __init__(self) -> None:
        self.filter = _RobotsErrorsInOneLine()
        self.logger = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TidyLogs:
        extension = cls()
        extension.logger.addFilter(extension.filter)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.logger.removeFilter(self.filter)


class ShortLogFormatter(LogFormatter):
    """Scrapy's messages, with items shown by their URL instead of their whole content."""

    def scraped(self, item: Any, response: Any, spider: Spider) -> Any:
        result = super().scraped(item, response, spider)
        if result:
            result["args"]["item"] = _short(item)
        return result

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Spider) -> Any:
        result = super().dropped(item, exception, response, spider)
        if result:
            result["msg"] = "Dropped: %(exception)s"
        return result

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Spider) -> Any:
        result = super().item_error(item, exception, response, spider)
        if result:
            result["args"]["item"] = _short(item)
        return result


def _short(item: Any) -> str:
    url = getattr(item, "url", None)
    return f"<{type(item).__name__} {url}>" if url else repr(item)[:200]
