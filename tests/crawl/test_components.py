"""Unit tests of the crawl's parts that need no crawl: host mapping, backoff, run status, record
assembly from captures, the local server's rules, and the spider when a page reader dies."""

from __future__ import annotations

import contextlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from newscrawl.demo_site import demo_site_dir
from newscrawl.extensions import crawl_counts, format_counts
from newscrawl.middlewares import (
    BackoffRetryMiddleware,
    MetaRefreshMiddleware,
    RedirectedOffsite,
    RedirectMiddleware,
    ResolveError,
    ResolvingDownloadHandler,
    RobotsTxtMiddleware,
    parse_resolve,
)
from newscrawl.pipelines import run_failure, run_status
from newscrawl.reextract import build_record
from newscrawl.testing.server import Page, SiteServer, static_pages
from tests.crawl.helpers import expected_record

FLAGSHIP = "https://blog-auto-info.com/renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques/"


def test_parse_resolve():
    assert parse_resolve(["blog-auto-info.com=http://127.0.0.1:8000/", "Www.X.fr=http://127.0.0.1:9/m"]) == {
        "blog-auto-info.com": "http://127.0.0.1:8000",
        "www.x.fr": "http://127.0.0.1:9/m",
    }
    for bad in (
        "blog-auto-info.com",
        "=http://127.0.0.1:1",
        "h=127.0.0.1:80",
        "h/x=http://127.0.0.1:1",
        "h=http://127.0.0.1:99999",
    ):
        with pytest.raises(ResolveError):
            parse_resolve([bad])


def test_resolving_handler_maps_urls_and_redirects_back():
    handler = ResolvingDownloadHandler.__new__(ResolvingDownloadHandler)
    handler.mapping = {"blog-auto-info.com": "http://127.0.0.1:8000", "x.fr": "http://127.0.0.1:9/m"}
    assert handler._local_url("https://blog-auto-info.com/a/?p=1#c") == "http://127.0.0.1:8000/a/?p=1"
    assert handler._local_url("https://x.fr/a/") == "http://127.0.0.1:9/m/a/"
    assert handler._local_url("https://other.fr/a/") is None
    assert (
        handler._real_location("http://127.0.0.1:8000/b/", "https://blog-auto-info.com/a")
        == "https://blog-auto-info.com/b/"
    )
    assert handler._real_location("/b/", "https://blog-auto-info.com/a") == "/b/"
    assert (
        handler._real_location("https://elsewhere.fr/", "https://blog-auto-info.com/a")
        == "https://elsewhere.fr/"
    )


def test_meta_refresh_is_followed_and_other_pages_are_not_decoded():
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    middleware = MetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 100}))
    request = Request("https://blog-auto-info.com/old/")
    moved = HtmlResponse(
        request.url,
        body=b'<html><head><META HTTP-EQUIV="Refresh" CONTENT="0; url=/new/"></head></html>',
        request=request,
    )
    redirected = middleware.process_response(request, moved)
    assert isinstance(redirected, Request)
    assert redirected.url == "https://blog-auto-info.com/new/"
    plain = HtmlResponse(
        request.url, body=b"<html><head><title>x</title></head><p>Texte</p>", request=request
    )
    assert middleware.process_response(request, plain) is plain
    assert plain._cached_ubody is None  # the bytes were enough: no decoding of the page
    # the word alone sends the page to Scrapy's own check, which finds no meta refresh
    worded = HtmlResponse(request.url, body=b"<p>Page refresh: the 2024 facelift</p>", request=request)
    assert middleware.process_response(request, worded) is worded
    utf16 = '<meta http-equiv="refresh" content="0; url=/new/">'.encode("utf-16")
    assert isinstance(middleware.process_response(request, moved.replace(body=utf16)), Request)


def test_a_redirect_out_of_the_crawls_domains_fails_its_request():
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.http import HtmlResponse, Response
    from scrapy.utils.test import get_crawler

    crawler = get_crawler()
    crawler.spider = SimpleNamespace(allowed_domains=["blog-auto-info.com"])
    redirects, refreshes = (
        RedirectMiddleware.from_crawler(crawler),
        MetaRefreshMiddleware.from_crawler(crawler),
    )
    request = Request("https://blog-auto-info.com/old/")

    def moved(location: str) -> Response:
        return Response(request.url, status=301, headers={"Location": location}, request=request)

    inside = redirects.process_response(request, moved("https://www.blog-auto-info.com/new/"))
    assert inside.url == "https://www.blog-auto-info.com/new/"  # a subdomain is the site
    with pytest.raises(RedirectedOffsite) as refused:
        redirects.process_response(request, moved("https://elsewhere.fr/new/"))
    assert (refused.value.url, refused.value.target) == (request.url, "https://elsewhere.fr/new/")
    allowed = request.replace(meta={"allow_offsite": True})
    assert (
        redirects.process_response(allowed, moved("https://elsewhere.fr/new/")).url
        == "https://elsewhere.fr/new/"
    )
    refresh = b'<html><head><meta http-equiv="refresh" content="0; url=https://elsewhere.fr/"></head></html>'
    with pytest.raises(RedirectedOffsite):
        refreshes.process_response(request, HtmlResponse(request.url, body=refresh, request=request))
    assert crawler.stats.get_value("newscrawl/redirected_offsite") == 2


def test_backoff_grows_caps_and_honours_retry_after():
    retry = BackoffRetryMiddleware.__new__(BackoffRetryMiddleware)
    retry.backoff_base, retry.backoff_max = 2.0, 30.0
    assert [retry.delay(n, None) for n in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 16.0, 30.0]
    assert retry.delay(1, b"20") == 20.0
    assert retry.delay(1, b"3600") == 30.0
    later = (datetime.now(UTC) + timedelta(seconds=10)).strftime("%a, %d %b %Y %H:%M:%S GMT").encode()
    assert 5 < retry.delay(1, later) <= 10
    assert retry.delay(1, b"garbage") == 2.0


def test_run_status():
    assert run_status("finished") == run_status("max_articles") == "finished"
    assert run_status("shutdown") == run_status("closespider_itemcount") == "interrupted"
    assert run_status("archive_unavailable") == run_status("cancelled") == "failed"
    fetched = {"response_received_count": 12, "newscrawl/pages_read": 10}
    assert run_status("finished", fetched) == run_status("max_articles", fetched) == "finished"
    # The command exits 1 for these: the run's status agrees (monitoring reads it).
    assert run_status("finished", {}) == "failed"  # nothing could be fetched
    # robots.txt and the usual sitemap locations answered, not one page of the site could be read
    assert run_failure({"response_received_count": 3, "newscrawl/errors": 1}) == "nothing could be read"
    assert run_status("finished", {**fetched, "newscrawl/archive_errors": 3}) == "failed"
    assert run_status("finished", {**fetched, "newscrawl/articles/invalid": 1}) == "failed"
    assert run_failure({**fetched, "newscrawl/articles/invalid": 1, "newscrawl/archive_errors": 2}) == (
        "3 articles could not be archived"
    )
    assert run_status("finished", {"newscrawl/frontier/job_finished": True}) == "finished"
    assert run_status("shutdown", {}) == "interrupted"


@dataclass
class _Capture:
    url: str
    body: bytes
    fetched_at: datetime
    headers: dict


def _capture(relative: str, url: str, minutes: int = 0) -> _Capture:
    return _Capture(
        url,
        (demo_site_dir() / relative).read_bytes(),
        datetime(2024, 5, 5, 12, tzinfo=UTC) + timedelta(minutes=minutes),
        {"content-type": "text/html"},
    )


def test_build_record_from_captures_in_any_order():
    slug = "renault-et-xiaomi-redefinissent-lavenir-des-voitures-electriques"
    captures = [
        _capture(f"{slug}/comment-page-3/index.html", f"{FLAGSHIP}comment-page-3/"),
        _capture(f"{slug}/index.html", FLAGSHIP),
        _capture(f"{slug}/comment-page-4/index.html", f"{FLAGSHIP}comment-page-4/"),
        _capture(f"{slug}/comment-page-2/index.html", f"{FLAGSHIP}comment-page-2/"),
        # An older fetch of page 2 with nothing in it: the latest capture of each URL wins.
        _Capture(
            f"{FLAGSHIP}comment-page-2/",
            b"<html><body>old</body></html>",
            datetime(2024, 1, 1, tzinfo=UTC),
            {},
        ),
    ]
    record = build_record(captures)
    assert record["url"] == FLAGSHIP
    assert len(record["comments"]) == 43
    assert record["comments"][0]["id"] == "5012" and record["comments"][-1]["id"] == "5053"


def write_site(root, files: dict[str, bytes]) -> None:
    for path, body in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(body)


SMALL_SITE = {"a/index.html": b"<p>a</p>", "a/index.page=2.html": b"<p>a2</p>", "feed/index.xml": b"<rss/>"}


def test_static_server_rules(tmp_path):
    write_site(tmp_path, SMALL_SITE)
    (tmp_path / "empty").mkdir()
    routes = {"/boom/": lambda c: c.send(503, "busy")}
    with SiteServer(tmp_path, pages={"/mem/": Page(b"<p>m</p>")}, routes=routes) as server:

        def get(path: str, headers: dict | None = None):
            try:
                response = urllib.request.urlopen(
                    urllib.request.Request(server.url(path), headers=headers or {})
                )
                return response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                return error.code, error.headers, b""

        assert get("/a/")[2] == b"<p>a</p>"
        assert get("/a/?page=2")[2] == b"<p>a2</p>"
        assert get("/a/?utm=x")[2] == b"<p>a</p>"
        assert get("/a")[2] == b"<p>a</p>"  # 301 to /a/, followed
        status, headers, body = get("/feed/")
        assert (status, headers["Content-Type"], body) == (200, "application/rss+xml", b"<rss/>")
        assert get("/empty/")[0] == 404  # no directory listings
        assert get("/nope/")[0] == 404
        assert get("/../etc/passwd")[0] == 404
        assert get("/mem/")[2] == b"<p>m</p>"
        assert get("/boom/")[0] == 503
        _, headers, _ = get("/a/")
        assert get("/a/", {"If-None-Match": headers["ETag"]})[0] == 304
        assert get("/a/", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert ("/a", 301) in server.answers and server.hit_count("/a/") >= 4


def test_in_memory_pages_answer_as_the_files_do(tmp_path):
    more = {
        "doc.html": b"<p>doc</p>",
        "doc.html.v=2.html": b"<p>doc 2</p>",
        "logo.png": b"\x89PNG",
        "a/index.xml": b"<rss/>",  # behind a/index.html at /a/, itself at its own path
    }
    write_site(tmp_path, {**SMALL_SITE, **more})
    pages = static_pages(tmp_path)
    assert {"/a/", "/a/?page=2", "/feed/", "/doc.html", "/doc.html?v=2", "/logo.png", "/a/index.xml"} <= set(
        pages
    )
    assert pages["/a/"].body == b"<p>a</p>"

    def answers(server: SiteServer) -> list:
        out = []
        for path in [*sorted(pages), "/a/?utm=x", "/a", "/nope/"]:
            try:
                response = urllib.request.urlopen(server.url(path))
                out.append((path, response.status, response.headers["Content-Type"], response.read()))
            except urllib.error.HTTPError as error:
                out.append((path, error.code, None, b""))
        return out

    with SiteServer(tmp_path) as from_disk:
        expected = answers(from_disk)
    with SiteServer(tmp_path, pages=pages) as from_memory:
        assert answers(from_memory) == expected
        assert from_memory.answers.count(("/a", 301)) == 1  # still redirected, from the disk rules


def test_profile_crawl_settings_apply_below_the_command_line(monkeypatch):
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

    from newscrawl.sites import SiteProfile
    from newscrawl.spiders import site

    profile = SiteProfile(
        name="slow-site",
        domains=("slow.example",),
        start_urls=("https://slow.example/",),
        crawl_settings={"DOWNLOAD_DELAY": 7.5, "CONCURRENT_REQUESTS_PER_DOMAIN": 1},
    )
    monkeypatch.setattr(site, "get_profile", lambda name: profile)
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 3, priority="cmdline")
    crawler = Crawler(site.SiteSpider, settings)
    spider = site.SiteSpider.from_crawler(crawler, target="slow-site", incremental="1")
    assert spider.allowed_domains == ["slow.example"]
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 7.5  # the profile beats the defaults ...
    assert crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 3  # ... the command line beats it
    assert crawler.settings.getbool("NEWSCRAWL_INCREMENTAL")


def test_a_log_level_may_be_given_in_small_letters():
    # logging knows "INFO", not "info": -s LOG_LEVEL=info stopped the crawl at start with a traceback
    from newscrawl.crawl import CrawlOptions, build_settings, check_options

    options = CrawlOptions(target="blog-auto-info", archive=False, settings={"LOG_LEVEL": "info"})
    assert build_settings(options, check_options(options))["LOG_LEVEL"] == "INFO"


class _DeadReader:
    """A page reader whose worker process died while reading the page."""

    async def run(self, function, *args, **kwargs):
        from newscrawl.spiders.workers import WorkerGone

        raise WorkerGone("page reader process 4242 exited")

    def close(self) -> None:
        pass


def _spider_reading_with(reader, db: str | None = None):
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from newscrawl.spiders import site

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    if db is not None:
        settings.set("NEWSCRAWL_DB", db, priority="cmdline")
    crawler = Crawler(site.SiteSpider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    spider = site.SiteSpider.from_crawler(crawler, target="blog-auto-info")
    spider.reader.close()
    spider.reader = reader
    return spider


async def _outputs(generator) -> list:
    return [output async for output in generator]


def test_a_page_whose_reader_died_is_one_error_line_not_a_spider_error(caplog):
    import asyncio

    from scrapy.http import HtmlResponse, Request

    spider = _spider_reading_with(_DeadReader())
    response = HtmlResponse(
        FLAGSHIP, body=b"<html><body><h1>x</h1></body></html>", request=Request(FLAGSHIP), encoding="utf-8"
    )
    assert asyncio.run(_outputs(spider.parse_page(response))) == []
    assert spider.crawler.stats.get_value("newscrawl/errors/reader") == 1
    assert f"page reader process 4242 exited while reading {FLAGSHIP}: page skipped" in caplog.text


def test_a_comment_page_whose_reader_died_still_archives_the_article():
    import asyncio

    from scrapy.http import HtmlResponse, Request

    from newscrawl.spiders import site
    from newscrawl.spiders.items import ArticleItem

    spider = _spider_reading_with(_DeadReader())
    record = {
        "url": FLAGSHIP,
        "canonical_url": FLAGSHIP,
        "title": "t",
        "comments": [{"id": "1", "text": "a"}],
    }
    chain = {
        "url": FLAGSHIP,
        "record": record,
        "captures": [],
        "pages": [[1, record["comments"]]],
        "queue": [],
        "seen": [FLAGSHIP],
        "failed": [],
        "fetched_at": datetime.now(UTC).isoformat(),
        "source": None,
    }
    page_2 = FLAGSHIP + "comment-page-2/"
    response = HtmlResponse(
        page_2, body=b"<html></html>", request=Request(page_2, meta={site.CHAIN: chain}), encoding="utf-8"
    )
    (item,) = asyncio.run(_outputs(spider.parse_comment_page(response)))
    assert isinstance(item, ArticleItem)
    assert item.record["comments"] == [{"id": "1", "text": "a"}]
    assert item.comment_pages_failed == [f"{page_2}: page reader process 4242 exited"]


def _pipelines_for(tmp_path, *, archive: bool):
    from scrapy.crawler import Crawler
    from scrapy.exceptions import NotConfigured
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from newscrawl.pipelines import ArchivePipeline, ValidationPipeline
    from newscrawl.spiders import site

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    settings.set("NEWSCRAWL_ARCHIVE", archive, priority="cmdline")
    settings.set("NEWSCRAWL_DB", f"sqlite:///{tmp_path / 'a.sqlite'}", priority="cmdline")
    crawler = Crawler(site.SiteSpider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.spider = site.SiteSpider.from_crawler(crawler, target=FLAGSHIP, mode="scrape")
    pipelines = []
    for cls in (ValidationPipeline, ArchivePipeline):
        with contextlib.suppress(NotConfigured):
            pipelines.append(cls.from_crawler(crawler))
    return crawler, pipelines


def test_the_crawls_archive_keeps_sqlites_default_page_cache_for_its_lookups(tmp_path):
    # Analysts' reading connections get a large cache; a crawl's lookups (incremental checks, one per
    # article) would only grow the crawl's memory over a long run.
    from sqlalchemy import text

    from newscrawl.pipelines import crawl_archive
    from storage.db import DEFAULT_PAGE_CACHE_KIB

    crawler, _pipelines = _pipelines_for(tmp_path, archive=True)
    archive = crawl_archive(crawler)
    try:
        with archive.session() as session:
            assert session.scalar(text("PRAGMA cache_size")) == -DEFAULT_PAGE_CACHE_KIB
    finally:
        archive.close()


@pytest.mark.parametrize("archive", [False, True])
def test_an_invalid_record_is_dropped_naming_the_field_and_counted_once(tmp_path, archive):
    from scrapy.exceptions import DropItem

    from newscrawl.pipelines import ArchivePipeline, ValidationPipeline
    from newscrawl.spiders.items import ArticleItem

    crawler, pipelines = _pipelines_for(tmp_path, archive=archive)
    # With an archive the upsert validates; nothing validates a record twice.
    assert [type(p) for p in pipelines] == ([ArchivePipeline] if archive else [ValidationPipeline])
    for pipeline in pipelines:
        if isinstance(pipeline, ArchivePipeline):
            pipeline.open_spider()
    record = expected_record(FLAGSHIP.rstrip("/").rsplit("/", 1)[1])
    record["comment_count"] = "many"  # the one thing wrong
    item = ArticleItem(url=FLAGSHIP, record=record, captures=[], fetched_at=datetime.now(UTC))
    with pytest.raises(DropItem, match="comment_count"):
        for pipeline in pipelines:
            item = pipeline.process_item(item)
    assert crawler.stats.get_value("newscrawl/articles/invalid") == 1
    assert crawler.stats.get_value("newscrawl/errors") == 1
    if archive:
        from storage import Archive

        pipelines[0].spider_closed(crawler.spider, "finished")
        archive_ = Archive(f"sqlite:///{tmp_path / 'a.sqlite'}")
        with archive_.session() as session:
            from sqlalchemy import text

            assert session.execute(text("SELECT count(*) FROM articles")).scalar_one() == 0
        archive_.close()


def test_an_unexpected_error_of_the_archive_is_a_failed_write_not_a_silent_loss(
    tmp_path, monkeypatch, caplog
):
    from scrapy.exceptions import DropItem

    from newscrawl.pipelines import run_failure
    from newscrawl.spiders.items import ArticleItem
    from storage import ArchiveRepository

    crawler, (pipeline,) = _pipelines_for(tmp_path, archive=True)
    pipeline.open_spider()

    def overflow(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(ArchiveRepository, "upsert_article", overflow)
    record = expected_record(FLAGSHIP.rstrip("/").rsplit("/", 1)[1])
    item = ArticleItem(url=FLAGSHIP, record=record, captures=[], fetched_at=datetime.now(UTC))
    with pytest.raises(DropItem, match="not archived"):
        pipeline.process_item(item)
    assert crawler.stats.get_value("newscrawl/archive_errors") == 1
    assert run_failure(
        {"response_received_count": 1, "newscrawl/pages_read": 1, **crawler.stats.get_stats()}
    ) == ("1 article could not be archived")
    assert any("OverflowError" in r.getMessage() and r.exc_info for r in caplog.records)
    pipeline.spider_closed(crawler.spider, "finished")


def test_an_archive_unavailable_as_the_crawl_starts_stops_it_with_its_reason_in_the_stats(
    tmp_path, monkeypatch, caplog
):
    # The stop was an ERROR line ("archive unavailable: ..."), which --quiet shows above the CLI's own
    # "Error: crawl stopped: archive unavailable": two lines for one problem. It is a warning now, and
    # the run's stats keep the reason for that one line.
    from scrapy.exceptions import CloseSpider

    from storage import ArchiveRepository, StorageError

    crawler, (pipeline,) = _pipelines_for(tmp_path, archive=True)
    locked = StorageError("SQLite database a.sqlite is locked by another process; retry when it is free")

    def refuse(*args, **kwargs):
        raise locked

    monkeypatch.setattr(ArchiveRepository, "start_crawl_run", refuse)
    with pytest.raises(CloseSpider) as stopped:
        pipeline.open_spider()
    pipeline.archive.close()
    assert stopped.value.reason == "archive_unavailable"
    assert crawler.stats.get_value("newscrawl/stopped_because") == str(locked)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"archive unavailable: {locked}")
    ]


def test_archive_writes_failing_in_a_row_stop_the_crawl_once_with_the_reason_in_the_stats(
    tmp_path, monkeypatch, caplog
):
    # The stop was an ERROR line ("stopping the crawl: 5 archive writes failed in a row", again for
    # each write failing while the crawl stopped), which --quiet shows above the CLI's own "Error:
    # crawl stopped: archive unavailable". It is one warning now, and the run's stats keep the reason.
    from types import SimpleNamespace

    from scrapy.exceptions import DropItem

    from newscrawl.spiders.items import ArticleItem
    from storage import ArchiveRepository, StorageError

    crawler, (pipeline,) = _pipelines_for(tmp_path, archive=True)
    pipeline.open_spider()
    closed: list[str] = []
    crawler.engine = SimpleNamespace(close_spider_async=lambda reason: closed.append(reason))
    locked = StorageError("SQLite database a.sqlite is locked by another process; retry when it is free")

    def refuse(*args, **kwargs):
        raise locked

    monkeypatch.setattr(ArchiveRepository, "upsert_article", refuse)
    record = expected_record(FLAGSHIP.rstrip("/").rsplit("/", 1)[1])
    item = ArticleItem(url=FLAGSHIP, record=record, captures=[], fetched_at=datetime.now(UTC))
    for _ in range(pipeline.failures_to_stop + 1):  # one more fails while the crawl stops
        with pytest.raises(DropItem, match="not archived"):
            pipeline.process_item(item)
    assert closed == ["archive_unavailable"]
    because = f"{pipeline.failures_to_stop} archive writes failed in a row: {locked}"
    assert crawler.stats.get_value("newscrawl/stopped_because") == because
    stops = [(r.levelname, r.getMessage()) for r in caplog.records if "stopping" in r.getMessage()]
    assert stops == [("WARNING", f"stopping the crawl: {because}")]
    pipeline.spider_closed(crawler.spider, "archive_unavailable")


def test_a_url_already_requested_is_not_requested_again_unless_forced():
    """The sitemap, the listings and other articles link the same articles: the spider asks for each
    URL once (the dupefilter would drop the repeats later, at a cost); a forced request still goes."""
    from scrapy.http import HtmlResponse, Request

    from newscrawl.discovery import ListingLinks

    spider = _spider_reading_with(_DeadReader())
    home = "https://blog-auto-info.com/"
    article = "https://blog-auto-info.com/un-article/"
    other = "https://blog-auto-info.com/un-autre-article/"
    page_2 = "https://blog-auto-info.com/page/2/"
    category = "https://blog-auto-info.com/category/essais/"
    links = ListingLinks(articles=[article, other], pagination=[page_2], pages=[category])
    response = HtmlResponse(home, body=b"<html></html>", request=Request(home), encoding="utf-8")

    first = [request.url for request in spider._listing(response, links)]
    assert sorted(first) == sorted([article, other, page_2, category])
    assert list(spider._listing(response, links)) == []  # the same links again, from another listing
    assert spider._article_request(article, source="sitemap") is None
    assert spider._page_request(category, hops=0, source="listing") is None
    forced = spider._article_request(article, source="revisit", force=True)
    assert forced is not None and forced.url == article


def test_an_article_spelled_otherwise_is_not_requested_again():
    """``/x/`` on the bare host and ``/x`` on www. are one article to the archive (its URL key): the
    second spelling was fetched too, with every comment page, to be merged into the first. Another
    query string is another page."""
    spider = _spider_reading_with(_DeadReader())
    assert spider._article_request("https://blog-auto-info.com/un-article/", source="feed") is not None
    for variant in (
        "https://www.blog-auto-info.com/un-article",
        "http://blog-auto-info.com/un-article/",
        "https://BLOG-AUTO-INFO.com/un-article",
    ):
        assert spider._article_request(variant, source="listing") is None, variant
    other_page = "https://blog-auto-info.com/un-article/?id=2"
    assert spider._article_request(other_page, source="listing") is not None


def test_a_page_spelled_otherwise_is_not_requested_again():
    """A site links its home page and sections from every page as it comes (on www. or not, with a
    trailing slash or not, over http): each was fetched once per spelling, and read again. A page some
    article names as its canonical URL is still fetched (a site giving its home page as every page's)."""
    from datetime import UTC, datetime

    from scrapy.http import HtmlResponse, Request

    from newscrawl.discovery import ListingLinks
    from newscrawl.spiders.reading import PageReading

    spider = _spider_reading_with(_DeadReader())
    home = "https://blog-auto-info.com/"
    section = "https://blog-auto-info.com/category/essais/"
    page_2 = section + "page/2/"
    links = ListingLinks(pagination=[page_2], pages=[home, section])
    response = HtmlResponse(section, body=b"<html></html>", request=Request(section), encoding="utf-8")
    assert [r.url for r in spider._listing(response, links)] == [page_2, home, section]
    variants = ListingLinks(
        pagination=["https://www.blog-auto-info.com/category/essais/page/2"],
        pages=["http://www.blog-auto-info.com", "https://blog-auto-info.com/category/essais"],
    )
    assert list(spider._listing(response, variants)) == []
    assert spider._article_request("https://www.blog-auto-info.com/category/essais", source="listing") is None
    # a page named as an article's canonical URL, not requested yet
    article = "https://blog-auto-info.com/un-article/"
    about = "https://blog-auto-info.com/a-propos/"
    record = {"url": article, "canonical_url": about, "published_at": None, "comments": []}
    page = HtmlResponse(article, body=b"<html></html>", request=Request(article), encoding="utf-8")
    assert spider._article(page, PageReading("article", record=record), datetime.now(UTC)) is not None
    assert spider._page_request(about, hops=0, source="listing") is not None


def test_an_article_read_is_not_requested_again_under_its_canonical_url():
    """Read at /node/7 (a Drupal node's own path), the article declares /actualites/zfe its canonical URL:
    a link to that (a listing, a related link, the feed) was fetched again, comment pages and all."""
    from datetime import UTC, datetime

    from scrapy.http import HtmlResponse, Request

    from newscrawl.spiders.reading import PageReading

    spider = _spider_reading_with(_DeadReader())
    node = "https://blog-auto-info.com/node/7"
    canonical = "https://blog-auto-info.com/actualites/zfe"
    record = {"url": node, "canonical_url": canonical, "published_at": None, "comments": []}
    response = HtmlResponse(node, body=b"<html></html>", request=Request(node), encoding="utf-8")
    item = spider._article(response, PageReading("article", record=record), datetime.now(UTC))
    assert item is not None and item.url == node
    for link in (canonical, canonical + "/", node):
        assert spider._article_request(link, source="related") is None, link


def test_no_comment_revisit_of_an_article_older_than_since(tmp_path):
    """``--incremental --since 2d``: an article of last week was fetched again for its comments every
    day, and its record dropped at once as older than --since."""
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from newscrawl.spiders import site
    from storage import Archive

    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    now = datetime.now(UTC)
    with Archive(db) as archive, archive.transaction() as repo:
        for slug, age in (("hier", timedelta(days=1)), ("semaine", timedelta(days=6))):
            record = expected_record(FLAGSHIP.rstrip("/").rsplit("/", 1)[1])
            url = f"https://blog-auto-info.com/{slug}/"
            record.update(url=url, canonical_url=url, published_at=(now - age).isoformat())
            repo.upsert_article(record, seen_at=now - timedelta(days=2))
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    settings.set("NEWSCRAWL_DB", db, priority="cmdline")
    crawler = Crawler(site.SiteSpider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    spider = site.SiteSpider.from_crawler(crawler, target="blog-auto-info", incremental="1", since="2d")
    spider.reader.close()
    try:
        assert [request.url for request in spider._revisits()] == ["https://blog-auto-info.com/hier/"]
    finally:
        crawler._newscrawl_archive.close()


def test_an_article_whose_last_crawl_missed_comment_pages_is_fetched_plainly(tmp_path):
    """``--incremental``: an archived article whose comment page 2 failed last time (a 500) was sent
    with its validators (a 304 then ended it there), or skipped for its sitemap lastmod; its comments of
    page 2 waited for a full crawl. It is fetched plainly, found again or not; a complete one is not."""
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    from newscrawl.middlewares import (
        META_ARTICLE,
        META_KNOWN_SHA256,
        META_LASTMOD,
        META_REVISIT,
        IncrementalMiddleware,
        SkippedUnchanged,
    )
    from newscrawl.spiders import site
    from storage import Archive

    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    seen = datetime.now(UTC) - timedelta(hours=1)
    with Archive(db) as archive, archive.transaction() as repo:
        for slug, missed in (("complete", 0), ("incomplete", 1)):
            record = expected_record(FLAGSHIP.rstrip("/").rsplit("/", 1)[1])
            url = f"https://blog-auto-info.com/{slug}/"
            record.update(url=url, canonical_url=url, published_at="2024-04-29T10:00:00+02:00")
            capture = {"url": url, "status": 200, "headers": {"etag": '"v1"'}, "body": slug.encode()}
            repo.upsert_article(record, seen_at=seen, captures=[capture], comment_pages_missed=missed)
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    settings.setdict({"NEWSCRAWL_DB": db, "NEWSCRAWL_INCREMENTAL": True}, priority="cmdline")
    crawler = Crawler(site.SiteSpider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    middleware = IncrementalMiddleware.from_crawler(crawler)
    spider = site.SiteSpider.from_crawler(crawler, target="blog-auto-info", incremental="1")
    spider.reader.close()

    def candidate(slug: str, lastmod: datetime | None) -> Request:
        meta = {META_ARTICLE: True} | ({META_LASTMOD: lastmod.isoformat()} if lastmod else {})
        return Request(f"https://blog-auto-info.com/{slug}/", meta=meta)

    try:
        for lastmod in (seen - timedelta(days=1), None):  # skipped for its lastmod; asked for a 304
            request = candidate("incomplete", lastmod)
            assert middleware.process_request(request) is None
            assert request.meta[META_REVISIT] and META_KNOWN_SHA256 not in request.meta
            assert b"If-None-Match" not in request.headers
        with pytest.raises(SkippedUnchanged):
            middleware.process_request(candidate("complete", seen - timedelta(days=1)))
        request = candidate("complete", None)
        middleware.process_request(request)
        assert request.headers[b"If-None-Match"] == b'"v1"'
        # requested at the start, whether or not the site still links it (too old for a comment revisit)
        assert [request.url for request in spider._revisits()] == ["https://blog-auto-info.com/incomplete/"]
    finally:
        crawler._newscrawl_archive.close()


def test_only_a_job_that_finished_starts_anew(tmp_path):
    from newscrawl.crawl import FINISHED_JOB_MARK, RUNNING_JOB_MARK, start_anew_if_unusable

    def job_state(directory):
        (directory / "requests.queue").mkdir(parents=True)
        (directory / "requests.queue" / "active.json").write_text("{}")  # nothing queued
        (directory / "requests.seen").write_text("a1b2\n")
        (directory / "spider.state").write_bytes(b"\x80\x04}\x94.")
        (directory / "notes.txt").write_text("the user's own file")

    interrupted = tmp_path / "interrupted"
    job_state(interrupted)  # stopped while its next requests were not made yet: an empty queue too
    assert not start_anew_if_unusable(interrupted)
    assert (interrupted / "requests.seen").read_text() == "a1b2\n"
    finished = tmp_path / "finished"
    job_state(finished)
    (finished / FINISHED_JOB_MARK).write_text("finished\n")
    assert start_anew_if_unusable(finished) == "finished"
    assert sorted(p.name for p in finished.iterdir()) == ["notes.txt"]
    assert not start_anew_if_unusable(tmp_path / "never-used")
    killed = tmp_path / "killed"  # its state half-written: a run that did not close it
    job_state(killed)
    (killed / RUNNING_JOB_MARK).write_text("4242\n")
    assert start_anew_if_unusable(killed) == "killed"
    assert sorted(p.name for p in killed.iterdir()) == ["notes.txt"]


def test_one_run_at_a_time_uses_a_job_directory(tmp_path):
    from newscrawl.crawl import RUNNING_JOB_MARK, JobDirectory, JobDirectoryInUse

    first, second = JobDirectory(tmp_path), JobDirectory(tmp_path)
    assert first.claim() is None
    assert (tmp_path / RUNNING_JOB_MARK).exists()  # until the spider closes
    with pytest.raises(
        JobDirectoryInUse,
        match=rf"^the job directory {tmp_path} is in use by another run \(pid {os.getpid()}\)$",
    ):
        second.claim()
    first.closed("shutdown")
    assert not (tmp_path / RUNNING_JOB_MARK).exists()
    first.release()
    assert second.claim() is None  # an interrupted run's state, resumed as it is
    second.release()


def _failed_with_status(url: str, status: int, **meta):
    """The failure an errback gets for a page that answered ``status`` (as Scrapy's HttpError
    middleware makes it), its request linked from the home page."""
    from scrapy.http import Request, Response
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    request = Request(url, meta=meta, headers={"Referer": "https://blog-auto-info.com/"})
    failure = Failure(HttpError(Response(url, status=status, request=request), "Ignoring non-200 response"))
    failure.request = request
    return failure


def test_a_404_or_410_is_a_broken_link_of_the_site_unless_the_page_is_an_archived_article(tmp_path, caplog):
    """A link of the site (footer, listing, sitemap, robots.txt) to a page it does not have is the
    site's broken link: counted apart, not an error of the crawl. An archived article that is now gone,
    the URL the user gave, or a sitemap the profile names stay errors."""
    from newscrawl.spiders import site
    from storage import Archive

    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    with Archive(db) as archive, archive.transaction() as repo:
        repo.upsert_article(expected_record(FLAGSHIP.rstrip("/").rsplit("/", 1)[1]))
    spider = _spider_reading_with(_DeadReader(), db=db)
    stats = spider.crawler.stats
    legal = "https://blog-auto-info.com/mentions-legales/"
    try:
        spider.page_failed(_failed_with_status(legal, 404, **{site.ROLE: "article", site.SOURCE: "listing"}))
        spider.page_failed(
            _failed_with_status(legal + "page/2/", 410, **{site.ROLE: "listing", site.SOURCE: "listing"})
        )
        sitemap = "https://blog-auto-info.com/post-sitemap.xml"
        spider.discovery_failed(
            _failed_with_status(sitemap, 404, **{site.ROLE: "sitemap", site.SOURCE: "robots"})
        )
        assert stats.get_value("newscrawl/broken_links") == 3
        assert stats.get_value("newscrawl/errors") is None
        assert (
            f"broken link (HTTP 404 Not Found): {legal} (linked from https://blog-auto-info.com/)"
            in caplog.text
        )
        assert "article gone" not in caplog.text

        # The archived article, found by the archive whether or not the request says so.
        spider.page_failed(
            _failed_with_status(FLAGSHIP, 410, **{site.ROLE: "article", site.SOURCE: "sitemap"})
        )
        assert f"article gone (HTTP 410 Gone): {FLAGSHIP}; anything archived for it is kept" in caplog.text
        moved = "https://blog-auto-info.com/ailleurs/"  # where the archived article now redirects
        spider.page_failed(
            _failed_with_status(
                moved, 404, **{site.ROLE: "article", site.SOURCE: "related", "redirect_urls": [FLAGSHIP]}
            )
        )
        assert f"article gone (HTTP 404 Not Found): {moved}" in caplog.text
        spider.page_failed(
            _failed_with_status(
                "https://blog-auto-info.com/", 404, **{site.ROLE: "listing", site.SOURCE: "start"}
            )
        )
        spider.discovery_failed(
            _failed_with_status(sitemap, 404, **{site.ROLE: "sitemap", site.SOURCE: "profile"})
        )
        assert stats.get_value("newscrawl/errors") == 4
        assert stats.get_value("newscrawl/broken_links") == 3
    finally:
        from newscrawl.pipelines import crawl_archive

        crawl_archive(spider.crawler).close()


ROBOTS_URL = "https://blog-auto-info.com/robots.txt"


def _robots_answer(kind: str):
    """What the download of robots.txt gives: a response, or the error that ended it."""
    from scrapy.exceptions import DownloadTimeoutError
    from scrapy.http import HtmlResponse, Response, TextResponse

    if kind == "rules":
        body = b"User-agent: *\nDisallow: /prive/\nSitemap: https://blog-auto-info.com/plan.xml\n"
        return TextResponse(ROBOTS_URL, body=body, headers={"Content-Type": "text/plain"}, encoding="utf-8")
    if kind in ("missing", "server error"):
        status = 404 if kind == "missing" else 500
        return HtmlResponse(ROBOTS_URL, status=status, body=b"<html>oops</html>", encoding="utf-8")
    if kind == "not text":
        return Response(ROBOTS_URL, body=b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return DownloadTimeoutError(f"Getting {ROBOTS_URL} took longer than 1.0 seconds.")


@pytest.mark.parametrize("kind", ["rules", "missing", "server error", "not text", "timeout"])
def test_the_spiders_robots_txt_request_gets_the_one_fetch_the_rules_came_from(kind):
    import asyncio

    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    answer = _robots_answer(kind)
    downloads = []

    class Engine:
        async def download_async(self, request):
            downloads.append(request.url)
            if isinstance(answer, Exception):
                raise answer
            return answer.replace(request=request)

    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.engine = Engine()
    middleware = RobotsTxtMiddleware.from_crawler(crawler)
    # The spider's request (sitemap discovery) comes first, as it does in a crawl.
    spiders = Request(ROBOTS_URL, callback=print, meta={"newscrawl_role": "robots"})

    async def requests():
        if isinstance(answer, Exception):
            with pytest.raises(type(answer)):
                await middleware.process_request(spiders)
        else:
            copy = await middleware.process_request(spiders)
            assert (copy.status, copy.body, copy.url) == (answer.status, answer.body, answer.url)
            assert copy.request is spiders and copy.meta["newscrawl_role"] == "robots"  # its callback
        private = Request("https://blog-auto-info.com/prive/essai/")
        if kind == "rules":
            with pytest.raises(IgnoreRequest, match=r"Forbidden by robots\.txt"):
                await middleware.process_request(private)
        else:  # no rules read: everything allowed, as Scrapy does
            assert await middleware.process_request(private) is None
        assert await middleware.process_request(Request("https://blog-auto-info.com/")) is None

    asyncio.run(requests())
    assert downloads == [ROBOTS_URL]  # one fetch for the rules and the spider (there were two)
    assert spiders.meta["dont_retry"]  # retried already, if it had to be
    # the copy is no download: taken off the responses Scrapy counts as it hands it to the spider
    received = 0 if isinstance(answer, Exception) else -1
    assert crawler.stats.get_value("response_received_count", 0) == received


def test_a_job_directory_that_cannot_be_locked_is_a_one_line_error(tmp_path, monkeypatch):
    import errno
    import fcntl

    from newscrawl.crawl import JOB_LOCK_FILE, CrawlSetupError, JobDirectory

    (tmp_path / JOB_LOCK_FILE).mkdir()  # what a read-only directory also refuses: the lock file
    with pytest.raises(CrawlSetupError, match=rf"^--jobdir {tmp_path}: Is a directory$"):
        JobDirectory(tmp_path).claim()
    (tmp_path / JOB_LOCK_FILE).rmdir()

    def no_locks(*args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)  # a file system without them
    with pytest.raises(
        CrawlSetupError, match=rf"^--jobdir {tmp_path}: cannot lock it \(No locks available\)$"
    ):
        JobDirectory(tmp_path).claim()


def test_a_site_named_by_its_host_is_crawled_at_that_address():
    # `newscrawl sites` lists the sites by host: `newscrawl crawl autoplus.fr` was an error (no profile).
    from newscrawl.spiders.site import TargetError, resolve_target

    assert resolve_target("autoplus.fr") == (None, ["https://autoplus.fr/"])
    assert resolve_target("www.caradisiac.com/auto/") == (None, ["https://www.caradisiac.com/auto/"])
    profile, urls = resolve_target("blog-auto-info.com")  # the host of a profile: that profile
    assert (
        profile is not None and profile.name == "blog-auto-info" and urls == ["https://blog-auto-info.com/"]
    )
    for mistake in ("nope", "3.14", "no such.site"):
        with pytest.raises(TargetError, match="no site profile named"):
            resolve_target(mistake)


def test_the_crawl_summary_counts_one_in_the_singular():
    counts = crawl_counts(
        {
            "response_received_count": 1,
            "newscrawl/articles/new": 1,
            "newscrawl/comment_pages/failed": 1,
            "newscrawl/broken_links": 1,
            "newscrawl/articles/too_old": 1,
        }
    )
    assert format_counts(counts, 1.0) == (
        "1 page (1.0/s) | articles 1 new, 0 updated, 0 unchanged, 1 older than --since | comments 0 (+0) "
        "| 1 comment page failed "
        "| 1 broken link | errors 0"
    )
