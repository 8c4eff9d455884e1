"""Downloader-side pieces: host mapping (``--resolve``), retries with backoff, redirects that keep to the
site, incremental requests.

* :class:`ResolvingDownloadHandler` — the HTTP download handler, fetching the URLs of a mapped host
  from another server (``--resolve blog-auto-info.com=http://127.0.0.1:8000``). The mapping happens
  at the very bottom, so robots.txt, redirects, retries, the dupefilter, the job directory, WARC files
  and the archive only ever see the real URLs; the local server is what answers.
* :class:`HttpCompressionMiddleware` — Scrapy's decompression, a body over ``DOWNLOAD_MAXSIZE`` once
  decompressed failing its request as one over it on the wire does.
* :class:`BackoffRetryMiddleware` — Scrapy's retries, each after an exponential pause (``Retry-After``
  honoured), without holding a download slot.
* :class:`RedirectMiddleware` and :class:`MetaRefreshMiddleware` — Scrapy's redirects, except to a host
  outside the crawl's domains (:class:`RedirectedOffsite`); the latter without decoding pages that
  hold no "refresh" at all.
* :class:`IncrementalMiddleware` — ``--incremental``: skips archived articles whose sitemap lastmod
  did not move, makes the other requests conditional (``If-None-Match``/``If-Modified-Since``) and
  lets the comment revisit policy through.
* :class:`RobotsTxtMiddleware` — Scrapy's robots.txt rules, with each host's robots.txt fetched once:
  the spider's own request for it (its ``Sitemap:`` lines) is answered from that fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.downloadermiddlewares.httpcompression import (
    HttpCompressionMiddleware as ScrapyHttpCompressionMiddleware,
)
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as ScrapyMetaRefreshMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response

try:  # private to Scrapy: its reason for ignoring a body over the max size once decompressed
    from scrapy.utils._compression import _DecompressionMaxSizeExceeded
except ImportError:  # another Scrapy: such a page stays the response Scrapy ignores, with its own warning
    _DecompressionMaxSizeExceeded = None

from newscrawl.discovery import RevisitPolicy, SiteScope, parse_date
from newscrawl.stopping import crawl_stopping

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)

# Request meta keys the spider sets and these components read.
META_ARTICLE = "newscrawl_article"
"""True on requests for an article candidate (incremental checks apply)."""
META_LASTMOD = "newscrawl_lastmod"
"""ISO ``lastmod`` the sitemap gave for the URL."""
META_KNOWN = "newscrawl_known_article"
"""Archive id of the article, set when the incremental check found it archived."""
META_REVISIT = "newscrawl_revisit"
"""The request re-visits an archived article for new comments (no conditional headers)."""
META_KNOWN_SHA256 = "newscrawl_known_sha256"
"""sha256 of the archived body of the page, set with the conditional headers: a body fetched again
byte for byte is unchanged, as a 304 would say (a server whose ETag changes with the same bytes)."""


class ResolveError(ValueError):
    """A ``--resolve`` mapping that cannot be used; the message says why."""


def parse_resolve(values: list[str] | tuple[str, ...] | dict[str, str]) -> dict[str, str]:
    """``["HOST=http://127.0.0.1:PORT", ...]`` → ``{host: base URL}``; :class:`ResolveError` if malformed."""
    items = values.items() if isinstance(values, dict) else [_split_resolve(v) for v in values]
    mapping: dict[str, str] = {}
    for host, target in items:
        host = host.strip().lower()
        if not host or "/" in host or ":" in host or " " in host:
            raise ResolveError(
                f"--resolve {host}={target}: HOST must be a bare host name like blog-auto-info.com"
            )
        parts = urlsplit(target.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ResolveError(
                f"--resolve {host}={target}: the target must be a URL like http://127.0.0.1:8000"
            )
        try:
            parts.port  # noqa: B018 - validates the port
        except ValueError:
            raise ResolveError(f"--resolve {host}={target}: bad port") from None
        mapping[host] = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return mapping


def _split_resolve(value: str) -> tuple[str, str]:
    host, sep, target = value.partition("=")
    if not sep or not host or not target:
        raise ResolveError(f"--resolve {value!r}: expected HOST=http://127.0.0.1:PORT")
    return host, target


class ResolvingDownloadHandler(HTTP11DownloadHandler):
    """HTTP(S) downloads, with the hosts of ``NEWSCRAWL_RESOLVE`` answered by another server."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.mapping = parse_resolve(crawler.settings.getdict("NEWSCRAWL_RESOLVE"))
        logging.getLogger(HTTP11DownloadHandler.__module__).addFilter(_FAILED_DOWNLOAD_WARNINGS)

    async def download_request(self, request: Request) -> Response:
        try:
            return await self._download(request)
        except DownloadCancelledError as error:
            if str(error):
                raise
            # Scrapy stopped a body without a Content-Length once past the limit, and said so only in
            # the warning quieted above.
            maxsize = request.meta.get("download_maxsize", self._default_maxsize)
            raise DownloadCancelledError(
                f"Received more than {maxsize} bytes, the download max size, in request {request}"
            ) from error
        except DownloadFailedError as error:
            _say_why_plainly(error)
            raise
        except ResponseDataLossError as error:
            if not str(error):  # else Scrapy's retry lines end in "(failed 2 times): "
                error.args = ("the server sent less than it announced",)
            raise

    async def _download(self, request: Request) -> Response:
        target = self._local_url(request.url)
        if target is None:
            return await super().download_request(request)
        local = request.replace(url=target, cls=_MappedRequest)  # (a copy of its meta)
        local.real_url = request.url
        try:
            response = await super().download_request(local)
        except Exception as error:
            _name_the_page(error, local.url, request.url)
            raise
        request.meta.update(local.meta)  # what the download noted: download_latency, which AutoThrottle reads
        location = response.headers.get(b"Location")
        if not location:
            return response.replace(url=request.url)
        headers = response.headers.copy()
        headers[b"Location"] = self._real_location(location.decode("latin-1"), request.url).encode("latin-1")
        return response.replace(url=request.url, headers=headers)

    def _local_url(self, url: str) -> str | None:
        if not self.mapping:
            return None
        parts = urlsplit(url)
        base = self.mapping.get((parts.hostname or "").lower())
        if base is None:
            return None
        local = urlsplit(base)
        return urlunsplit((local.scheme, local.netloc, local.path + (parts.path or "/"), parts.query, ""))

    def _real_location(self, location: str, real_url: str) -> str:
        """A redirect to the local server's own address points back at the real host."""
        parts = urlsplit(location)
        if not parts.netloc:
            return location
        real = urlsplit(real_url)
        for host, base in self.mapping.items():
            local = urlsplit(base)
            if parts.netloc == local.netloc and parts.path.startswith(local.path):
                path = parts.path[len(local.path) :] or "/"
                netloc = host if real.hostname == host else real.netloc
                return urlunsplit((real.scheme, netloc, path, parts.query, parts.fragment))
        return location


class _FailedDownloadWarnings(logging.Filter):
    """Drops Scrapy's warnings about a download it fails, over ``DOWNLOAD_MAXSIZE`` (on the wire or once
    decompressed) or cut short (data loss): the spider's line for the request says what became of it,
    with the same reason; one line per problem. Its other warnings (over ``DOWNLOAD_WARNSIZE``) stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return (
            "larger than download max size" not in message
            and not message.startswith("Got data loss in ")
            and not (message.startswith("Ignored response ") and "during decompression" in message)
        )


_FAILED_DOWNLOAD_WARNINGS = _FailedDownloadWarnings()


def _name_the_page(error: Exception, local_url: str, real_url: str) -> None:
    """The error of a mapped download names the page, not the local server: its text becomes the
    reason of the spider's log line ("Getting URL took longer than 1.0 seconds")."""
    error.args = tuple(
        arg.replace(local_url, urldefrag(real_url)[0]) if isinstance(arg, str) else arg for arg in error.args
    )


def _say_why_plainly(error: DownloadFailedError) -> None:
    """Scrapy words a response that failed (a connection reset, an answer that is not HTTP) as the list
    of Twisted failures it came with, "[<twisted.python.failure.Failure
    twisted.internet.error.ConnectionLost: Connection to the other side was lost in a non-clean
    fashion.>]". Its text becomes their messages, for every line that quotes it (the spider's, Scrapy's
    retry lines) and the run's last error; the failures stay its cause."""
    reasons = getattr(error.__cause__, "reasons", None)
    if not reasons:
        return
    errors = [getattr(reason, "value", reason) for reason in reasons]
    texts = [" ".join(str(cause).split()) or type(cause).__name__ for cause in errors]
    error.args = ("; ".join(dict.fromkeys(texts)),)


class _MappedRequest(Request):
    """The request sent to the server a host is mapped to, shown as the page it fetches: Scrapy's
    download warnings name the request (a page over ``DOWNLOAD_WARNSIZE``), and so do the errors the
    spider's log lines quote."""

    __slots__ = ("real_url",)

    def __repr__(self) -> str:
        return f"<{self.method} {getattr(self, 'real_url', self.url)}>"


class HttpCompressionMiddleware(ScrapyHttpCompressionMiddleware):
    """Scrapy's decompression (gzip, deflate, br, zstd), with a body over ``DOWNLOAD_MAXSIZE`` once
    decompressed failing its request as a body over it on the wire does (too large, an error of the
    crawl). Scrapy ignores such a response (``IgnoreRequest``, which the spider takes for a page left out
    on purpose, not counted) after a warning of its own: the page was lost without an error."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        logging.getLogger(ScrapyHttpCompressionMiddleware.__module__).addFilter(_FAILED_DOWNLOAD_WARNINGS)

    def process_response(self, request: Request, response: Response, spider: object = None) -> Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:
            if _DecompressionMaxSizeExceeded is None or not isinstance(
                error.__cause__, _DecompressionMaxSizeExceeded
            ):
                raise
            maxsize = request.meta.get("download_maxsize", getattr(self, "_max_size", None))
            limit = f"{maxsize} bytes, the download max size" if maxsize else "the download max size"
            encoding = b", ".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
            raise DownloadCancelledError(
                f"more than {limit}, once decompressed "
                f"({len(response.body)} bytes {encoding}) in request {request}"
            ) from error.__cause__


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries (5xx, 408, 429, timeouts, resets, truncated bodies) after ``base * 2**(n-1)`` seconds."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self._stopping = asyncio.Event()
        """Set when the crawl stops: a retry waiting out its backoff goes back to the queue at once."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware._stopping.set, signal=crawl_stopping)
        return middleware

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._pause(result, response.headers.get(b"Retry-After"))
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._pause(result, None)
        return result

    def delay(self, retry_times: int, retry_after: bytes | None) -> float:
        wait = self.backoff_base * 2 ** max(0, retry_times - 1)
        if retry_after:
            text = retry_after.decode("latin-1").strip()
            if text.isdigit():
                wait = max(wait, float(text))
            else:
                with contextlib.suppress(TypeError, ValueError, IndexError):
                    wait = max(wait, (parsedate_to_datetime(text) - datetime.now(UTC)).total_seconds())
        return max(0.0, min(wait, self.backoff_max))

    async def _pause(self, retry: Request, retry_after: bytes | None) -> None:
        wait = self.delay(retry.meta.get("retry_times", 1), retry_after)
        if wait > 0 and not self._stopping.is_set():
            log.debug("retrying %s in %.1f s", retry.url, wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)


class RedirectedOffsite(IgnoreRequest):
    """The page redirects to a host outside the crawl's domains: not followed."""

    def __init__(self, url: str, target: str) -> None:
        super().__init__(f"redirected off-site to {target}")
        self.url = url
        self.target = target


class _KeepToTheSite:
    """A redirect out of the spider's ``allowed_domains`` fails its request with :class:`RedirectedOffsite`,
    for the request's errback to report. Scrapy would schedule the new request for its offsite filter to
    drop with a debug line, or, for a request that skips that filter (``dont_filter``: comment pages),
    fetch the other site's page and read it as the article's. ``allow_offsite`` in a request's meta
    lets it go, as it does through Scrapy's filter."""

    crawler: Crawler

    def _keep_to_the_site(self, request: Request, result: Request | Response) -> Request | Response:
        if not isinstance(result, Request) or result.meta.get("allow_offsite"):
            return result
        domains = getattr(self.crawler.spider, "allowed_domains", None)
        if domains and not SiteScope(tuple(domains)).contains(result.url):
            self.crawler.stats.inc_value("newscrawl/redirected_offsite")
            raise RedirectedOffsite(request.url, result.url)
        return result


class RedirectMiddleware(_KeepToTheSite, ScrapyRedirectMiddleware):
    """Scrapy's HTTP redirects (3xx with a ``Location``), within the crawl's domains."""

    def process_response(
        self, request: Request, response: Response, spider: object = None
    ) -> Request | Response:
        return self._keep_to_the_site(request, super().process_response(request, response))


META_REFRESH_HEAD_BYTES = 4 * 4096
"""Scrapy reads a meta refresh in the first 4,096 characters of the text: at most this many bytes."""


class MetaRefreshMiddleware(_KeepToTheSite, ScrapyMetaRefreshMiddleware):
    """Scrapy's meta refresh redirects, within the crawl's domains, with a quick look at the bytes first:
    Scrapy's check decodes the whole page, which nothing else in the crawl process needs (the readers
    parse the bytes), and a page whose head does not hold the word "refresh" has no meta refresh to find."""

    def process_response(
        self, request: Request, response: Response, spider: object = None
    ) -> Request | Response:
        head = response.body[:META_REFRESH_HEAD_BYTES]
        if (
            isinstance(response, HtmlResponse)
            and b"refresh" not in head.lower()
            and not head.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16 spells the word otherwise
        ):
            return response
        return self._keep_to_the_site(request, super().process_response(request, response))


class SkippedUnchanged(IgnoreRequest):
    """``--incremental``: the archive has this article and its sitemap lastmod did not move."""


class IncrementalMiddleware:
    """``--incremental``: what to fetch again among the articles already archived.

    For an archived article candidate: if its latest crawl missed comment pages (a timeout, a 500),
    or the comment revisit policy says it is due, it is fetched (plainly: the comments to get may be on
    any of its pages, whatever the article's page says); else if its sitemap lastmod is not newer than
    the last time it was seen, it is skipped without a request; else it is fetched with the validators
    of its latest capture, and a ``304`` reaches the spider, which only records the visit; so does a
    ``200`` whose body is the very one archived (the sha256 of that capture goes with the request).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.policy = RevisitPolicy.parse(crawler.settings.get("NEWSCRAWL_REVISIT_POLICY") or "")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        if not crawler.settings.getbool("NEWSCRAWL_INCREMENTAL") or not crawler.settings.getbool(
            "NEWSCRAWL_ARCHIVE"
        ):
            raise NotConfigured
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if not meta.get(META_ARTICLE) or META_KNOWN in meta or meta.get("retry_times"):
            return None
        from newscrawl.pipelines import crawl_archive
        from storage import StorageError
        from storage.crawl_state import known_article

        try:
            with crawl_archive(self.crawler).session() as session:
                known = known_article(session, request.url)
        except StorageError as error:
            log.warning("incremental check skipped for %s: %s", request.url, error)
            return None
        if known is None:
            return None
        meta[META_KNOWN] = known.article_id
        stats = self.crawler.stats
        now = datetime.now(UTC)
        if known.comment_pages_missed:
            meta[META_REVISIT] = True
            stats.inc_value("newscrawl/incremental/incomplete")
            return None
        if meta.get(META_REVISIT) or self.policy.is_due(known.published_at, known.last_seen_at, now):
            meta[META_REVISIT] = True
            stats.inc_value("newscrawl/incremental/revisits")
            return None
        lastmod = parse_date(meta.get(META_LASTMOD))
        if lastmod is not None and lastmod <= known.last_seen_at:
            stats.inc_value("newscrawl/incremental/skipped")
            raise SkippedUnchanged(f"unchanged since {known.last_seen_at:%Y-%m-%d %H:%M} (sitemap lastmod)")
        if known.sha256:
            meta[META_KNOWN_SHA256] = known.sha256
        if known.etag:
            request.headers[b"If-None-Match"] = known.etag
        if known.last_modified:
            request.headers[b"If-Modified-Since"] = known.last_modified
        if known.etag or known.last_modified:
            meta["handle_httpstatus_list"] = [*meta.get("handle_httpstatus_list", ()), 304]
            stats.inc_value("newscrawl/incremental/conditional")
        return None


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, which fetches a host's robots.txt before its first request and
    judges every request to the host by its rules, with that fetch the only one: the spider asks for
    the same file (sitemap discovery reads its ``Sitemap:`` lines) and gets what the rules were read
    from, the response as it came (a 404 or a 500 too, for the spider's errback) or the error that ended
    its download (a timeout, a refused connection): no second request, retries or timeout."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._fetched: dict[str, Response | Exception] = {}
        """By host (``host[:port]``, as Scrapy keys the rules): the response of its robots.txt, or the
        error that ended the download."""

    async def process_request(self, request: Request, spider: object = None) -> Response | None:
        if request.meta.get("dont_obey_robotstxt") or not _is_robots_txt(request.url):
            return await super().process_request(request)
        await self.robot_parser(request)  # the host's one fetch: made now, or awaited
        fetched = self._fetched.get(urlsplit(request.url).netloc)
        if fetched is None:
            return None
        # Retried and redirected already: not again for the copy.
        request.meta["dont_retry"] = request.meta["dont_redirect"] = True
        self._stats.inc_value("newscrawl/robots_txt/shared")
        if isinstance(fetched, Exception):
            raise fetched
        # The copy is no download, but Scrapy counts every response it hands to the spider: the crawl's
        # figures ("pages", the run's stats) count what came over the network.
        self._stats.inc_value("response_received_count", -1)
        return fetched.replace(request=request)

    async def _parse_robots(self, response: Response, netloc: str, *args: object) -> None:
        self._fetched[netloc] = response
        await super()._parse_robots(response, netloc, *args)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._fetched[netloc] = exc
        super()._robots_error(exc, netloc)


def _is_robots_txt(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path == "/robots.txt" and not parts.query
