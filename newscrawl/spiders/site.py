"""The one spider: crawl a news site (a profile name or any URL of it) into article items.

It only routes requests. Page understanding is ``newscrawl.discovery`` (sitemaps, feeds, listings,
article-or-not) and ``newscrawl.extraction`` (records, comment page links); writing is the item
pipelines'. Everything it carries from one request to the next lives in ``request.meta`` as plain
data (and callbacks are spider methods), so requests pickle for ``--jobdir`` and a Redis frontier.

Arguments (strings when given with ``-a`` or through scrapyd):

``target``        profile name (``blog-auto-info``) or a URL of the site
``mode``          ``crawl`` (default) or ``scrape`` (``target`` is one article: it and its comment pages)
``max_articles``  stop after that many articles read (revisits included, not the pages skipped as unchanged)
``since``         skip articles published before (``2024-04-01``, ``7d``)
``incremental``   ``1``: skip what the archive says is unchanged, revisit recent articles for comments
``generic``       ``1``: ignore the site's profile, judge pages by their own evidence
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import DownloadFailedError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.python.failure import Failure

from newscrawl.discovery import (
    ListingLinks,
    RevisitPolicy,
    SiteScope,
    clean_url,
    comment_page_number,
    comment_pager_key,
    holds_later_comments,
    is_crawlable,
    merge_comment_pages,
    pager_page_number,
    parse_date,
    parse_feed,
    parse_since,
    parse_sitemap,
    robots_sitemaps,
    sniff_document,
    without_comment_page,
)
from newscrawl.extraction import ExtractionError
from newscrawl.extraction.comments import is_first_comment_page
from newscrawl.middlewares import (
    META_ARTICLE,
    META_KNOWN,
    META_KNOWN_SHA256,
    META_LASTMOD,
    META_REVISIT,
    RedirectedOffsite,
    SkippedUnchanged,
)
from newscrawl.sites import SiteProfile, UnknownSiteError, get_profile, profile_for_url
from newscrawl.spiders.items import ArticleItem, NotModifiedItem
from newscrawl.spiders.reading import (
    PageReader,
    PageReading,
    read_comment_page,
    read_page,
    reader_processes,
)
from newscrawl.spiders.workers import WorkerGone
from newscrawl.stopping import stop_soon

log = logging.getLogger(__name__)

# Priorities: finish what is started first (comment pages, then articles), discover early.
PRIORITY_COMMENTS = 50
PRIORITY_DISCOVERY = 40
PRIORITY_ARTICLE = 20
PRIORITY_LISTING = 0

# meta keys (plain data only)
ROLE = "newscrawl_role"
"""robots | sitemap | feed | listing | page | article | comments"""
HOPS = "newscrawl_hops"
LISTING_PAGE = "newscrawl_listing_page"
SOURCE = "newscrawl_source"
"""Where the URL came from: start (the command line), profile (a sitemap or feed the site's profile
names), revisit, or what of the site linked it (robots, sitemap, feed, listing, related)."""
CHAIN = "newscrawl_chain"


class TargetError(ValueError):
    """The crawl target is neither a known profile nor an http(s) URL."""


def resolve_target(target: str, generic: bool = False) -> tuple[SiteProfile | None, list[str]]:
    """``(profile or None, start URLs)`` for a profile name or a site URL; TargetError otherwise."""
    target = (target or "").strip()
    if not target:
        raise TargetError("no target: give a site profile name or a site URL")
    if "://" not in target:
        try:
            profile = get_profile(target)
        except UnknownSiteError as error:
            if not _HOST_NAME.match(target):
                raise TargetError(str(error)) from None
            # a host, as `newscrawl sites` lists the sites: the site at that address
            target = f"https://{target}"
        else:
            return profile, list(profile.start_urls) or [f"https://{profile.site}/"]
    url = clean_url(target)
    if url is None:
        raise TargetError(f"not an http(s) URL: {target!r}")
    problem = _url_problem(url)
    if problem:
        raise TargetError(f"not a valid URL: {target!r} ({problem})")
    return (None if generic else profile_for_url(url)), [url]


def crawl_scope(profile: SiteProfile | None, start_pages: list[str]) -> SiteScope:
    """The domains a crawl of :func:`resolve_target`'s answer keeps to."""
    return SiteScope(tuple(profile.domains)) if profile else SiteScope.for_url(start_pages[0])


_HOST_NAME = re.compile(r"^(?:[\w-]+\.)+[^\W\d_]{2,}(?::\d+)?(?:/\S*)?$")
"""A target written as a host name (``autoplus.fr``, ``www.site.com/auto/``), without its scheme."""

_NOT_IN_HOST_NAMES = frozenset('<>"{}|\\^`%')


def _url_problem(url: str) -> str | None:
    """Why a URL given on the command line cannot be crawled (a bad port, a host name with spaces); None
    when it can."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises for a port out of range or not a number)
    except ValueError as error:
        return str(error).replace("Port", "port", 1)
    host = parts.hostname or ""
    if any(ch.isspace() or ch in _NOT_IN_HOST_NAMES for ch in host):
        return f"{host!r} is not a host name"
    return None


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on") if value is not None else False


class SiteSpider(Spider):
    name = "site"

    def __init__(
        self,
        target: str | None = None,
        mode: str = "crawl",
        max_articles: str | int | None = None,
        since: str | None = None,
        incremental: str | bool | None = None,
        generic: str | bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in ("crawl", "scrape"):
            raise TargetError(f"unknown mode {mode!r} (crawl or scrape)")
        self.target = target or ""
        self.mode = mode
        self.generic = _flag(generic) if not isinstance(generic, bool) else generic
        self.profile, self.start_pages = resolve_target(self.target, self.generic)
        self.scope = crawl_scope(self.profile, self.start_pages)
        self.allowed_domains = list(self.scope.domains)
        self.max_articles = int(max_articles) if max_articles not in (None, "", 0, "0") else None
        self.since = parse_since(since) if since else None
        self.incremental = _flag(incremental) if not isinstance(incremental, bool) else incremental
        self.articles_emitted = 0
        self._requested: set[str] = set()
        """URLs of the article, page and pagination requests made so far. A site links each article from
        its sitemap, its listings and other articles: most candidates are repeats (two in three on the
        bench site), which the dupefilter would drop only after building the request and passing it
        through every spider middleware and the scheduler. Exact strings only; the dupefilter still
        catches the same URL spelled otherwise."""
        self._article_keys: set[str] = set()
        """Archive keys (:func:`_article_key`) of the article candidates requested so far and of the
        articles read: ``/x/`` on the bare host and ``/x`` on ``www.`` are one article to the archive,
        so the second is not fetched (nor its comment pages) only to be merged into the first."""
        self._read_keys: set[str] = set()
        """Archive keys of the articles read (the URL read at, the canonical URL): a page fetched under
        one of them after that, requested before (an article's Drupal /node/7 and its alias, both linked
        by one listing, each only known to be the other once read), is not read again, nor its comment
        pages fetched, only to be merged into the same archived article."""
        self._page_keys: set[str] = set()
        """Archive keys of every page requested so far (start pages, listings and their next pages, other
        pages, article candidates): a site links its home page and sections from each page as it comes,
        on ``www.`` or not, with a trailing slash or not, over http or https, and each is one page. Not the
        keys of the canonical URLs of the articles read (:attr:`_article_keys`): a listing some article
        names as its canonical URL is still fetched."""
        self._older_than_since: set[str] = set()
        """Archive keys of the articles ``--since`` left out, counted once however often they are found."""
        self.run_name = self.profile.name if self.profile else self.target
        self.run_options = {
            "target": self.target,
            "mode": self.mode,
            "profile": self.profile.name if self.profile else None,
            "domains": list(self.scope.domains),
            "max_articles": self.max_articles,
            "since": self.since.isoformat() if self.since else None,
            "incremental": self.incremental,
        }

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if not settings.frozen:
            # The profile's settings beat the defaults, the command line beats them.
            if spider.profile and spider.profile.crawl_settings:
                settings.setdict(dict(spider.profile.crawl_settings), priority="spider")
            if spider.incremental:
                settings.set("NEWSCRAWL_INCREMENTAL", True, priority="spider")
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        spider.listing_hops = settings.getint("NEWSCRAWL_LISTING_HOPS", 2)
        spider.max_listing_pages = settings.getint("NEWSCRAWL_MAX_LISTING_PAGES", 200)
        spider.max_comment_pages = settings.getint("NEWSCRAWL_MAX_COMMENT_PAGES", 200)
        spider.reader = PageReader(reader_processes(settings.get("NEWSCRAWL_READ_WORKERS"), mode=spider.mode))
        crawler.signals.connect(spider.reader_done, signal=signals.spider_closed)
        return spider

    def reader_done(self, spider: Spider | None = None, reason: str | None = None) -> None:
        self.reader.close()

    @property
    def _profile_name(self) -> str | None:
        return self.profile.name if self.profile is not None and not self.generic else None

    # ------------------------------------------------------------------ start

    async def start(self):
        self.reader.start_soon()
        if self.mode == "scrape":
            yield self._article_request(self.start_pages[0], source="start", force=True)
            return
        hosts = list(dict.fromkeys(self._origin(url) for url in self.start_pages))
        for origin in hosts:
            yield Request(
                origin + "/robots.txt",
                callback=self.parse_robots,
                errback=self.robots_failed,
                priority=PRIORITY_DISCOVERY,
                meta={ROLE: "robots"},
            )
        if self.profile:
            for url in self.profile.sitemaps:
                yield self._sitemap_request(url, source="profile")
            for url in self.profile.feeds:
                yield self._feed_request(url, source="profile")
        for url in self.start_pages:
            self._requested.add(url)
            self._page_keys.add(_article_key(url))
            yield Request(
                url,
                callback=self.parse_page,
                errback=self.page_failed,
                priority=PRIORITY_LISTING,
                meta={ROLE: "listing", HOPS: 0, LISTING_PAGE: 1, SOURCE: "start"},
            )
        if self.incremental:
            for request in self._revisits():
                yield request

    def _revisits(self) -> list[Request]:
        """Archived articles due for a comment revisit, and those whose latest crawl missed comment
        pages, whether or not discovery finds them again."""
        from newscrawl.pipelines import crawl_archive
        from storage import StorageError
        from storage.crawl_state import articles_to_revisit

        if not self.crawler.settings.getbool("NEWSCRAWL_ARCHIVE"):
            return []
        policy = RevisitPolicy.parse(self.crawler.settings.get("NEWSCRAWL_REVISIT_POLICY") or "")
        now = datetime.now(UTC)
        site = self.profile.site if self.profile else self.scope.domains[0]
        try:
            with crawl_archive(self.crawler).session() as session:
                candidates = articles_to_revisit(session, site, now - policy.horizon)
        except StorageError as error:
            log.warning("comment revisits skipped: %s", error)
            return []
        requests = []
        incomplete = 0
        for article in candidates:
            published_at = article.published_at
            if self.since is not None and published_at is not None and published_at < self.since:
                continue  # fetched, its record would be dropped as older than --since
            if article.comment_pages_missed or policy.is_due(published_at, article.last_seen_at, now):
                request = self._article_request(article.url, source="revisit", force=True)
                if request is not None:
                    request.meta[META_REVISIT] = True
                    requests.append(request)
                    incomplete += bool(article.comment_pages_missed)
        if incomplete:
            log.info("fetching again %d articles whose last crawl missed comment pages", incomplete)
        if len(requests) > incomplete:
            log.info("revisiting %d recent articles for new comments", len(requests) - incomplete)
        return requests

    @staticmethod
    def _origin(url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))

    # ------------------------------------------------------------------ requests

    def _sitemap_request(self, url: str, *, source: str) -> Request:
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            meta={ROLE: "sitemap", SOURCE: source},
        )

    def _feed_request(self, url: str, *, source: str) -> Request:
        return Request(
            url,
            callback=self.parse_feed,
            errback=self.discovery_failed,
            priority=PRIORITY_DISCOVERY,
            meta={ROLE: "feed", SOURCE: source},
        )

    def _limit_reached(self) -> bool:
        return self.max_articles is not None and self.articles_emitted >= self.max_articles

    def _article_request(
        self,
        url: str,
        *,
        source: str,
        lastmod: datetime | None = None,
        published: datetime | None = None,
        hops: int = 0,
        force: bool = False,
    ) -> Request | None:
        """A request for a page that may be an article (None when it is out of scope or not wanted)."""
        if not force and url in self._requested:  # the same link again, the commonest case: no parsing
            return None
        key = _article_key(url)
        if not force and (
            key in self._article_keys
            or key in self._page_keys
            or not self.scope.contains(url)
            or not is_crawlable(url)
        ):
            return None
        if self._limit_reached():
            return None
        if not force and self.profile is not None and not self.generic:
            verdict = self.profile.is_article_url(url)
            if verdict is False:
                return self._page_request(url, hops=hops + 1, source=source)
        stamp = published or lastmod
        if self.since is not None and stamp is not None and stamp < self.since and not force:
            self._left_out_by_since(key)
            return None
        meta: dict[str, Any] = {ROLE: "article", SOURCE: source, HOPS: hops, META_ARTICLE: True}
        if lastmod is not None:
            meta[META_LASTMOD] = lastmod.isoformat()
        self._requested.add(url)
        self._article_keys.add(key)
        self._page_keys.add(key)
        return Request(
            url, callback=self.parse_page, errback=self.page_failed, priority=PRIORITY_ARTICLE, meta=meta
        )

    def _new_page(self, url: str) -> bool:
        """The page was not requested yet, however it is spelled (:attr:`_page_keys`); it is now."""
        key = _article_key(url)
        if key in self._page_keys:
            return False
        self._requested.add(url)
        self._page_keys.add(key)
        return True

    def _left_out_by_since(self, *keys: str) -> None:
        """Count an article ``--since`` leaves out (the summary says how many), once: a sitemap, a listing
        and related links may all name it, under its own URL or its canonical one."""
        known = self._older_than_since.intersection(keys)
        self._older_than_since.update(keys)
        if not known:
            self.crawler.stats.inc_value("newscrawl/articles/too_old")

    def _page_request(self, url: str, *, hops: int, source: str) -> Request | None:
        """A page that is not known to be an article: fetched only this close to where discovery started."""
        if (
            hops > self.listing_hops
            or url in self._requested
            or not self.scope.contains(url)
            or not is_crawlable(url)
        ):
            return None
        if self.profile is not None and self.profile.ignore_url and re.search(self.profile.ignore_url, url):
            return None
        if not self._new_page(url):
            return None
        return Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            priority=PRIORITY_LISTING - hops,
            meta={ROLE: "page", HOPS: hops, LISTING_PAGE: 1, SOURCE: source},
        )

    # ------------------------------------------------------------------ robots, sitemaps, feeds

    def parse_robots(self, response: Response):
        text = (
            response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        )
        sitemaps = [url for url in robots_sitemaps(text, response.url) if self.scope.contains(url)]
        if not sitemaps:
            origin = self._origin(response.url)
            sitemaps = [origin + "/sitemap.xml", origin + "/wp-sitemap.xml"]
            for url in sitemaps:
                request = self._sitemap_request(url, source="robots")
                request.meta["newscrawl_guess"] = True
                yield request
            return
        for url in sitemaps:
            yield self._sitemap_request(url, source="robots")

    def robots_failed(self, failure: Failure):
        request = failure.request
        log.info(
            "no robots.txt at %s (%s); trying the usual sitemap locations", request.url, _reason(failure)
        )
        origin = self._origin(request.url)
        for url in (origin + "/sitemap.xml", origin + "/wp-sitemap.xml"):
            sitemap = self._sitemap_request(url, source="robots")
            sitemap.meta["newscrawl_guess"] = True
            yield sitemap

    def parse_sitemap(self, response: Response):
        sitemap = parse_sitemap(response.body, response.url)
        if sitemap is None:
            if sniff_document(response.body, _content_type(response)) == "feed":
                yield from self.parse_feed(response)
                return
            level = logging.DEBUG if response.meta.get("newscrawl_guess") else logging.WARNING
            log.log(level, "not a sitemap, ignored: %s", response.url)
            return
        self._page_read()
        self.crawler.stats.inc_value("newscrawl/sitemaps")
        if sitemap.kind == "index":
            for entry in sitemap.entries:
                if self.scope.contains(entry.url):
                    yield self._sitemap_request(entry.url, source="sitemap")
            return
        for entry in sitemap.entries:
            if entry.url.endswith((".xml", ".xml.gz")) and self.scope.contains(entry.url):
                yield self._sitemap_request(entry.url, source="sitemap")
                continue
            request = self._article_request(
                entry.url, source="sitemap", lastmod=entry.lastmod, published=entry.published, hops=1
            )
            if request is not None:
                yield request

    def parse_feed(self, response: Response):
        entries = parse_feed(response.body, response.url)
        if entries is None:
            if (
                isinstance(response, TextResponse)
                and sniff_document(response.body, _content_type(response)) == "html"
            ):
                # An announced feed that answers with a page: read it as a page (one more fetch, rare).
                yield response.request.replace(
                    callback=self.parse_page,
                    errback=self.page_failed,
                    dont_filter=True,
                    meta={ROLE: "listing", HOPS: 1, LISTING_PAGE: 1, SOURCE: "feed"},
                )
                return
            log.warning("not a feed, ignored: %s", response.url)
            return
        self._page_read()
        self.crawler.stats.inc_value("newscrawl/feeds")
        for entry in entries:
            request = self._article_request(
                entry.url, source="feed", published=entry.published or entry.updated, hops=1
            )
            if request is not None:
                yield request

    def discovery_failed(self, failure: Failure):
        request = failure.request
        if request.meta.get("newscrawl_guess"):
            log.debug("no %s: %s", request.url, _reason(failure))
            return
        if request.meta.get(SOURCE) != "profile" and _is_gone(failure):
            self._broken_link(request, failure)
            return
        # an error like any page's (the progress line's count): a sitemap or feed the profile names is
        # gone (the profile is out of date), or one the site names could not be fetched
        message = f"{request.meta.get(ROLE, 'page')} {request.url} not fetched: {_reason(failure)}"
        self._count_error("discovery", message)
        log.warning("%s", message)

    # ------------------------------------------------------------------ pages

    async def parse_page(self, response: Response):
        meta = response.meta
        if response.status == 304 or self._same_as_archived(response):
            self._page_read()
            known = meta.get(META_KNOWN)
            if known is not None:
                yield NotModifiedItem(url=response.url, article_id=known, fetched_at=datetime.now(UTC))
            return
        content_type = _content_type(response)
        kind_of_document = sniff_document(response.body, content_type)
        if self.mode == "scrape" and kind_of_document in ("sitemap", "feed"):
            # asked for an article, given the site's list of them: not the first article it names
            what = "a sitemap" if kind_of_document == "sitemap" else "an RSS/Atom feed"
            self._count_error("not_article", f"not an article: {what}")
            log.log(self._not_read_level(meta), "not an article, %s: %s", what, response.url)
            return
        if kind_of_document == "sitemap":
            for output in self.parse_sitemap(response):
                yield output
            return
        if kind_of_document == "feed":
            for output in self.parse_feed(response):
                yield output
            return
        if not isinstance(response, TextResponse) or kind_of_document != "html":
            self._count_error("not_html", f"not an HTML page ({content_type or 'no content type'})")
            log.log(
                self._not_read_level(meta),
                "not an HTML page, skipped: %s (%s)",
                response.url,
                content_type or "no content type",
            )
            return
        if (
            meta.get(ROLE) == "article"
            and not meta.get(META_REVISIT)
            and _article_key(response.url) in self._read_keys
        ):
            # what _article_request says of a link found after the article was read, said of one found
            # before; not of other pages (a listing some article wrongly names as its canonical URL)
            self._page_read()
            self.crawler.stats.inc_value("newscrawl/articles/read_elsewhere")
            log.debug("already read under another URL, not read again: %s", response.url)
            return
        verdict = None
        if self.mode == "scrape" and not meta.get(META_KNOWN):
            if (
                self.profile is not None
                and not self.generic
                # a further comment page (.../comment-page-3/) stands for its article
                and self.profile.is_article_url(without_comment_page(response.url)) is False
            ):
                problem = f"not an article: the {self.profile.name} profile's URL rules say so (--generic ignores them)"
                self._count_error("not_article", problem)
                log.log(self._not_read_level(meta), "%s: %s", problem, response.url)
                return
            verdict = "expected"
        elif META_KNOWN in meta or meta.get(META_REVISIT):
            verdict = "article"
        elif self.profile is not None and not self.generic:
            by_url = self.profile.is_article_url(response.url)
            verdict = None if by_url is None else ("article" if by_url else "listing")
        fetched_at = datetime.now(UTC)
        try:
            reading = await self.reader.run(
                read_page,
                response.body,
                response.url,
                content_type=content_type,
                fetched_at=fetched_at,
                profile=self._profile_name,
                domains=self.scope.domains,
                verdict=verdict,
            )
        except WorkerGone as error:
            self._count_error("reader", f"{error} while reading {response.url}")
            log.log(
                self._not_read_level(meta, logging.ERROR),
                "%s while reading %s: page skipped",
                error,
                response.url,
            )
            return
        if reading.kind == "unreadable":
            self._count_error("extraction", reading.problem)
            log.log(self._not_read_level(meta), "%s: %s", reading.problem, response.url)
            return
        self._page_read()
        if reading.kind == "listing":
            if self.mode == "crawl":
                for output in self._listing(response, reading.links):
                    yield output
            return
        output = self._article(response, reading, fetched_at)
        if output is None:
            return
        yield output
        if self.mode == "crawl":
            for request in self._related(reading.record):
                yield request

    def _same_as_archived(self, response: Response) -> bool:
        """``--incremental``: the page came back byte for byte as archived, with a 200 (a server whose
        ETag changes though the page does not): unchanged, as a 304 says, and not read again. Not after a
        redirect: the article's new address is recorded by archiving it."""
        digest = response.meta.get(META_KNOWN_SHA256)
        if digest is None or response.meta.get("redirect_urls"):
            return False
        if hashlib.sha256(response.body).hexdigest() != digest:
            return False
        self.crawler.stats.inc_value("newscrawl/incremental/identical")
        return True

    def _listing(self, response: Response, links: ListingLinks):
        meta = response.meta
        hops = meta.get(HOPS, 0)
        page_number = meta.get(LISTING_PAGE, 1)
        self.crawler.stats.inc_value("newscrawl/listings")
        if links.offsite:
            self.crawler.stats.inc_value("newscrawl/offsite_links", len(links.offsite))
            log.debug("%d off-site links on %s not followed", len(links.offsite), response.url)
        for feed in links.feeds:
            if self.scope.contains(feed):
                yield self._feed_request(feed, source="listing")
        if page_number < self.max_listing_pages:
            for url in links.pagination:
                if url in self._requested or not self._new_page(url):
                    continue
                yield Request(
                    url,
                    callback=self.parse_page,
                    errback=self.page_failed,
                    priority=PRIORITY_LISTING - hops,
                    meta={ROLE: "listing", HOPS: hops, LISTING_PAGE: page_number + 1, SOURCE: "listing"},
                )
        for url in links.articles:
            request = self._article_request(url, source="listing", hops=hops)
            if request is not None:
                yield request
        for url in links.pages:
            if self.profile is not None and not self.generic and self.profile.is_article_url(url):
                request = self._article_request(url, source="listing", hops=hops)
            else:
                request = self._page_request(url, hops=hops + 1, source="listing")
            if request is not None:
                yield request

    def _related(self, record: dict[str, Any]):
        """Related links of an article are article candidates too."""
        for link in record.get("related_links") or ():
            url = clean_url(link["url"])  # the record keeps the link as written
            request = self._article_request(url, source="related", hops=1) if url else None
            if request is not None:
                yield request

    # ------------------------------------------------------------------ articles and comment pages

    def _article(self, response: Response, reading: PageReading, fetched_at: datetime):
        """Start the article's comment page chain (or finish it at once); None when it is not wanted."""
        record = reading.record
        assert record is not None
        published = parse_date(record.get("published_at"))
        if (
            self.since is not None
            and published is not None
            and published < self.since
            and self.mode == "crawl"
        ):
            canonical = record.get("canonical_url") or response.url
            self._left_out_by_since(_article_key(response.url), _article_key(canonical))
            log.debug("older than --since, skipped: %s", response.url)
            return None
        if self._limit_reached():
            return None
        pager = comment_pager_key(response.url, reading.comment_pages)
        number = pager_page_number(response.url, pager)
        numbered = number is not None
        if numbered and not record.get("canonical_url"):
            # a comment page declaring no canonical URL, numbered by its article's pager (Drupal's ?page=N,
            # which extraction cannot tell from a listing's page 2): the article is the page without it
            record["canonical_url"] = without_comment_page(response.url, pager)
        canonical = record.get("canonical_url") or response.url
        # read at /node/7, the article says it is /actualites/zfe: a link there later is no new article
        keys = (_article_key(response.url), _article_key(canonical))
        self._article_keys.update(keys)
        self._read_keys.update(keys)
        landing = number or 1
        # by archive key: a site answering on www. and the bare host links one of them whichever was read
        seen = {_article_key(response.url), _article_key(canonical)}
        links = []
        for url in reading.comment_pages:
            if (key := _article_key(url)) not in seen:
                seen.add(key)
                links.append(url)
        # A link to the first comment page (comment-page-1/) is the article's own page on most sites: held
        # back unless the article's page shows a later comment page (WordPress set to show the newest
        # one first). It does when it links to the first page itself, or holds later comments than the
        # numbered pages (see _next_comment_page).
        landing_last = not numbered and any(map(is_first_comment_page, links))
        queue = [url for url in links if landing_last or not is_first_comment_page(url)]
        held = [url for url in links if url not in queue]
        first_page = None
        if numbered and canonical != response.url and self.scope.contains(canonical):
            # Asked for a comment page (scrape .../comment-page-3/): the article's own page holds the
            # first comments, or the newest ones on a site showing its newest comment page first.
            first_page = canonical
            queue.append(canonical)
        chain = {
            "url": response.url,
            "record": record,
            "captures": [_capture(response, fetched_at)],
            "pages": [[landing, record["comments"]]],
            "first_page": first_page,
            "pager": pager,
            "queue": queue,
            "held": held,
            "landing_last": landing_last,
            "home": None if numbered else 0,  # index in pages of the article's own page, once fetched
            "seen": sorted(seen),  # archive keys of the pages fetched or queued
            "failed": [],
            "missed": 0,  # failed pages a later crawl may get
            "fetched_at": fetched_at.isoformat(),
            "source": response.meta.get(SOURCE),
            "redirected_from": [url for url in response.meta.get("redirect_urls", ()) if url != response.url],
        }
        return self._next_comment_page(chain)

    def _next_comment_page(self, chain: dict[str, Any]):
        if not chain["queue"] and chain.get("held") and _home_is_later(chain):
            # the article's page is the last comment page: the first one holds the oldest comments
            chain["landing_last"] = True
            chain["queue"], chain["held"] = chain["held"], []
        fetched = len(chain["pages"]) + len(chain["failed"])
        if chain["queue"] and fetched <= self.max_comment_pages:
            chain["queue"].sort(key=lambda url: pager_page_number(url, chain.get("pager")) or 0)
            url = chain["queue"].pop(0)
            return Request(
                url,
                callback=self.parse_comment_page,
                errback=self.comment_page_failed,
                priority=PRIORITY_COMMENTS,
                dont_filter=True,  # only ever requested within its article's chain
                meta={ROLE: "comments", CHAIN: chain},
            )
        if chain["queue"]:
            # a bound against endless comment pagination: say so, the comments past it are not archived
            self.crawler.stats.inc_value("newscrawl/comment_pages/capped")
            log.warning(
                "comment pages of %s stop after %d more (NEWSCRAWL_MAX_COMMENT_PAGES): %d found, not fetched",
                chain["url"],
                self.max_comment_pages,
                len(chain["queue"]),
            )
        return self._finish(chain)

    async def parse_comment_page(self, response: Response):
        chain = response.meta[CHAIN]
        stats = self.crawler.stats
        fetched_at = datetime.now(UTC)
        try:
            comments, more = await self.reader.run(
                read_comment_page,
                response.body,
                response.url,
                content_type=_content_type(response),
                fetched_at=fetched_at,
                profile=self._profile_name,
                domains=self.scope.domains,
                language=chain["record"].get("language"),
            )
        except (ExtractionError, WorkerGone) as error:
            chain["failed"].append(f"{response.url}: {error}")
            if isinstance(error, WorkerGone):  # the page itself may read well next time
                _missed(chain)
            stats.inc_value("newscrawl/comment_pages/failed")
            log.log(
                self._not_read_level(response.meta),
                "comment page %s of %s unreadable: %s",
                response.url,
                chain["url"],
                error,
            )
            yield self._next_comment_page(chain)
            return
        self._page_read()
        stats.inc_value("newscrawl/comment_pages/fetched")
        chain["captures"].append(_capture(response, fetched_at))
        number = pager_page_number(response.url, chain.get("pager"))
        if number is None and response.url == chain.get("first_page"):
            number = 1  # the article's own page: after the other pages if it holds later comments
            chain["home"] = len(chain["pages"])
        chain["pages"].append([number or len(chain["pages"]) + 1, comments])
        seen = set(chain["seen"])
        for url in more:
            if (key := _article_key(url)) not in seen:
                seen.add(key)
                held = is_first_comment_page(url) and not chain.get("landing_last", True)
                chain["held" if held else "queue"].append(url)
        chain["seen"] = sorted(seen)
        yield self._next_comment_page(chain)

    def comment_page_failed(self, failure: Failure):
        request = failure.request
        chain = request.meta[CHAIN]
        reason = _reason(failure)
        chain["failed"].append(f"{request.url}: {reason}")
        if _may_answer_later(failure):
            _missed(chain)
        self.crawler.stats.inc_value("newscrawl/comment_pages/failed")
        log.log(
            self._not_read_level(request.meta),
            "comment page %s not fetched (%s); %s is archived with the comments of the other pages",
            request.url,
            reason,
            chain["url"],
        )
        yield self._next_comment_page(chain)

    def _finish(self, chain: dict[str, Any]) -> ArticleItem | None:
        if self._limit_reached():
            return None
        record = chain["record"]
        pages = [(number, comments) for number, comments in chain["pages"]]
        if len(pages) > 1 and _home_is_later(chain, decided=bool(chain.get("landing_last"))):
            # the article's own page goes after the numbered pages, the newest comments last
            home = _home_index(chain)
            others = [number for index, (number, _) in enumerate(pages) if index != home]
            pages[home] = (max(others) + 1, pages[home][1])
        record["comments"] = merge_comment_pages(pages)
        self.articles_emitted += 1
        item = ArticleItem(
            url=chain["url"],
            record=record,
            captures=chain["captures"],
            fetched_at=datetime.fromisoformat(chain["fetched_at"]),
            comment_pages=len(chain["pages"]) - 1,
            comment_pages_failed=list(chain["failed"]),
            comment_pages_missed=chain.get("missed", 0),
            source=chain.get("source"),
            redirected_from=chain.get("redirected_from", []),
        )
        if self._limit_reached() and self.mode == "crawl":
            log.info("--max-articles %d reached, stopping", self.max_articles)
            self._close_soon()
        return item

    def _close_soon(self) -> None:
        from scrapy.utils.defer import deferred_from_coro

        stop_soon(self.crawler)  # the pages waiting for their turn are not fetched for nothing
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="max_articles"))

    # ------------------------------------------------------------------ failures

    def page_failed(self, failure: Failure):
        request = failure.request
        role = request.meta.get(ROLE, "page")
        if failure.check(SkippedUnchanged):
            log.debug("unchanged, skipped: %s (%s)", request.url, failure.value)
            return
        if failure.check(RedirectedOffsite):
            # Not an error of the crawl: the site sent the page elsewhere. Worth a warning for an article
            # or a start page, routine for a link of a listing.
            not_followed = (
                f"redirected off-site to {failure.value.target}: not followed (the crawl keeps to "
                f"{', '.join(self.scope.domains)})"
            )
            level = logging.INFO
            if role == "article" or request.meta.get(SOURCE) == "start":
                level = logging.WARNING
                self.crawler.stats.set_value("newscrawl/last_error", not_followed)
            log.log(
                self._not_read_level(request.meta, level),
                "%s %s %s",
                role,
                " -> ".join([*request.meta.get("redirect_urls", ()), request.url]),
                not_followed,
            )
            return
        reason = _reason(failure)
        if failure.check(IgnoreRequest) and not failure.check(HttpError) and "redirection" not in reason:
            self.crawler.stats.inc_value("newscrawl/ignored")
            self.crawler.stats.set_value("newscrawl/last_error", _redirected(request) + reason)
            if "robots.txt" in reason:
                # A disallowed article or start page is worth a warning; disallowed listings and pages
                # found on the way are routine.
                level = (
                    logging.WARNING
                    if role == "article" or request.meta.get(SOURCE) == "start"
                    else logging.INFO
                )
            else:
                level = logging.INFO if "offsite" in reason.lower() else logging.DEBUG
            log.log(
                self._not_read_level(request.meta, level), "%s %s not fetched: %s", role, request.url, reason
            )
            return
        gone = _is_gone(failure)
        if gone and request.meta.get(SOURCE) != "start" and not self._is_archived(request):
            # A link of the site to a page that is not there: the site's fault, not the crawl's.
            self._broken_link(request, failure)
            return
        self._count_error(_error_kind(failure), _redirected(request) + reason)
        level = self._not_read_level(request.meta)
        if gone and role == "article":
            if self.crawler.settings.getbool("NEWSCRAWL_ARCHIVE", True):
                log.log(level, "article gone (%s): %s; anything archived for it is kept", reason, request.url)
            else:  # `scrape` without --save: there is no archive to speak of
                log.log(level, "article gone (%s): %s", reason, request.url)
            return
        log.log(level, "%s %s not fetched: %s", role, request.url, reason)

    def _page_read(self) -> None:
        """Count a page of the site the crawl could read (a listing, an article, unchanged or not, a
        sitemap, a feed, a comment page): a crawl that read none failed, whatever robots.txt and the
        errors of its pages answered (``pipelines.run_failure``)."""
        self.crawler.stats.inc_value("newscrawl/pages_read")

    def _not_read_level(self, meta: dict[str, Any], level: int = logging.WARNING) -> int:
        """The level of the line saying a page was not read. ``scrape``'s pages are the command's to
        report: the article in its one ``Error:`` line (from the run's last error, which says as much),
        each comment page not fetched in a warning of its own (the item's list of them). The spider's
        line is shown with -v."""
        return logging.INFO if self.mode == "scrape" and meta.get(ROLE) in ("article", "comments") else level

    def _is_archived(self, request: Request) -> bool:
        """The request is for an article of the archive (under this URL, or one that redirected to it).
        When the archive cannot tell, it is taken as archived: the failure stays an error."""
        meta = request.meta
        if META_KNOWN in meta or meta.get(META_REVISIT):
            return True
        if not self.crawler.settings.getbool("NEWSCRAWL_ARCHIVE"):
            return False
        from newscrawl.pipelines import crawl_archive
        from storage import StorageError
        from storage.crawl_state import known_article

        urls = dict.fromkeys([*meta.get("redirect_urls", ()), request.url])
        try:
            with crawl_archive(self.crawler).session() as session:
                return any(known_article(session, url) is not None for url in urls)
        except StorageError as error:
            log.debug("archive lookup of %s failed: %s", request.url, error)
            return True

    def _broken_link(self, request: Request, failure: Failure) -> None:
        self.crawler.stats.inc_value("newscrawl/broken_links")
        referer = request.headers.get(b"Referer")
        linked_from = f" (linked from {referer.decode('latin-1')})" if referer else ""
        log.warning(
            "broken link (%s): %s%s",
            _reason(failure),
            " -> ".join([*request.meta.get("redirect_urls", ()), request.url]),
            linked_from,
        )

    def request_dropped(self, request: Request, spider: Spider | None = None) -> None:
        """A redirect back to a URL of its own chain is a loop: the dupefilter drops it, we say so."""
        chain = request.meta.get("redirect_urls") or ()
        if request.url in chain:
            loop = " -> ".join([*chain, request.url])
            self._count_error("redirect_loop", f"redirect loop ({loop})")
            log.log(self._not_read_level(request.meta), "redirect loop, not fetched: %s", loop)

    def _count_error(self, kind: str, message: str | None = None) -> None:
        stats = self.crawler.stats
        stats.inc_value("newscrawl/errors")
        stats.inc_value(f"newscrawl/errors/{kind}")
        if message:
            stats.set_value("newscrawl/last_error", message)


# ---------------------------------------------------------------------- helpers


def _article_key(url: str) -> str:
    """What the archive matches an article's URLs on (:func:`storage.record.url_key`: no scheme, no
    ``www.``, no trailing slash): two URLs with one key always land on one archived article, so
    fetching the second would only fetch the article again."""
    from storage.record import url_key  # storage is loaded lazily: `scrape` without --save needs none

    return url_key(url)


def _missed(chain: dict[str, Any]) -> None:
    """Count a comment page of the chain that a later crawl may well get (its archiving says so)."""
    chain["missed"] = chain.get("missed", 0) + 1  # (a chain saved by an older version has no count)


def _home_index(chain: dict[str, Any]) -> int | None:
    """Where in the chain's pages the article's own page is (None until it is fetched, when the chain
    began on a numbered comment page)."""
    return chain.get("home", 0 if comment_page_number(chain["url"]) is None else None)


def _home_is_later(chain: dict[str, Any], *, decided: bool = False) -> bool:
    """The article's own page (unnumbered) holds later comments than the lowest numbered comment page
    fetched: the site shows its newest comment page with the article. The comments' dates, else their
    numeric ids, tell; when they cannot (none, or the same first comment), ``decided`` is the answer
    (the article's page linked to comment-page-1/)."""
    home = _home_index(chain)
    pages = chain["pages"]
    if home is None or home >= len(pages):
        return False
    others = [page for index, page in enumerate(pages) if index != home and page[1]]
    if not pages[home][1] or not others:
        return decided
    lowest = min(others, key=lambda page: page[0])[1]
    later = holds_later_comments(pages[home][1], lowest)
    return decided if later is None else later


def _redirected(request: Request) -> str:
    """What goes before the reason a redirected request failed, in the run's last error: the page its
    lines name is not the one first asked for (the one ``scrape``'s error line names)."""
    return f"redirected to {request.url}: " if request.meta.get("redirect_urls") else ""


def _content_type(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None


def _capture(response: Response, fetched_at: datetime) -> dict[str, Any]:
    headers = {
        name.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
        for name, values in response.headers.items()
    }
    return {
        "url": response.url,
        "status": response.status,
        "headers": headers,
        "fetched_at": fetched_at.isoformat(),
        "body": response.body,
    }


def _reason(failure: Failure) -> str:
    """One line saying why a request failed."""
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "HTTP error"
        return f"HTTP {status} {phrase}"
    if isinstance(error, RedirectedOffsite):
        return str(error)
    name = type(error).__name__
    text = " ".join(str(error).split())
    if name == "DownloadTimeoutError" or "took longer than" in text:
        return f"timed out ({text})"
    if name == "DownloadCancelledError" or "max size" in text.lower():
        return f"too large ({text})"
    if _connection_lost(error):
        return f"connection lost ({text or name})"
    if name == "ResponseDataLossError":
        return "truncated response (the server sent less than it announced)"
    if "max redirections" in text.lower():
        return "redirect loop (too many redirections)"
    if name == "CannotResolveHostError":
        return f"host not found ({text})"
    if name == "DownloadConnectionRefusedError":
        return f"connection refused ({text})"
    if isinstance(error, IgnoreRequest) and text:  # Scrapy's words for a page it leaves out on purpose
        return text
    return f"{name}: {text}" if text else name


def _connection_lost(error: BaseException) -> bool:
    """The server closed the connection before its answer was complete: Scrapy's DownloadFailedError
    holds the failures that say so in its cause (Twisted's ResponseFailed)."""
    cause = error.__cause__ if isinstance(error, DownloadFailedError) else None
    errors = [error, *(getattr(reason, "value", reason) for reason in getattr(cause, "reasons", ()))]
    return any(isinstance(each, (ConnectionLost, ConnectionDone)) for each in errors)


def _is_gone(failure: Failure) -> bool:
    """The server says the page is not there (404 Not Found, 410 Gone)."""
    return bool(failure.check(HttpError)) and failure.value.response.status in (404, 410)


def _may_answer_later(failure: Failure) -> bool:
    """The page failed for a reason of the moment (a timeout, a reset, a 5xx after its retries, a
    403 or 429), not because the site has no such page for us (404/410, robots.txt, a redirect off
    the site or in a loop): another crawl may get it."""
    if failure.check(HttpError):
        return not _is_gone(failure)
    return not failure.check(IgnoreRequest)


def _error_kind(failure: Failure) -> str:
    error = failure.value
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    return type(error).__name__
