"""robots.txt's Crawl-delay: one short scrape of a local site that asks for one second between requests,
and the parts that hold a download slot to it (the cap, the switch, AutoThrottle), without a crawl."""

from __future__ import annotations

import itertools
import logging
import time
from types import SimpleNamespace

import pytest
from scrapy import Request, signals
from scrapy.core.downloader import Slot
from scrapy.http import Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.settings import BaseSettings
from scrapy.utils.test import get_crawler

from newscrawl.extensions import CrawlDelay, hold_slot
from newscrawl.testing.server import RequestContext, SiteServer
from tests.crawl.helpers import FAST, article_html, assert_clean, comment_block, newscrawl

HOST = "slow.test"
ARTICLE = f"https://{HOST}/essai-lent/"


def test_a_scrape_spaces_its_requests_by_the_crawl_delay():
    hits: list[tuple[str, float]] = []

    def answer(body: str, content_type: str = "text/html; charset=utf-8"):
        def route(context: RequestContext) -> None:
            hits.append((context.path, time.monotonic()))
            context.send(200, body, content_type)

        return route

    def page(number: int) -> str:
        comments = comment_block(10 * number, 3, page=number, pages=2, url=ARTICLE, declared=6)
        return article_html("Un essai sans hâte", comments=comments)

    routes = {
        "/robots.txt": answer("User-agent: *\nCrawl-delay: 1\n", "text/plain"),
        "/essai-lent/": answer(page(1)),
        "/essai-lent/comment-page-2/": answer(page(2)),
    }
    with SiteServer(routes=routes) as server:
        # `scrape` sets no delay of its own (nor does FAST): the site's is the only one.
        run = newscrawl("scrape", ARTICLE, *FAST, "-v", "--resolve", f"{HOST}={server.base_url}")
    assert_clean(run)
    assert run.returncode == 0, run.output[-3000:]
    assert [path for path, _ in hits] == ["/robots.txt", "/essai-lent/", "/essai-lent/comment-page-2/"]
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(hits)]
    assert min(gaps) >= 0.9, gaps
    assert f"INFO robots.txt of {HOST} asks for Crawl-delay 1 s: its requests go at least that far apart" in (
        run.stderr
    )


# ---------------------------------------------------------------------- without a crawl


@pytest.fixture
def make_crawler():
    """Crawlers of the project's settings (with the given ones over them), their extensions built, and a
    downloader of two slots: ``slow.test``, whose robots.txt :func:`_robots` parses, and ``fast.test``,
    which declares no delay."""
    crawlers = []

    def make(**settings):
        project = (
            BaseSettings()
        )  # the project's own, without Scrapy's defaults (get_crawler has its reactor's)
        project.setmodule("newscrawl.settings")
        crawler = get_crawler(settings_dict={**project.copy_to_dict(), "DOWNLOAD_DELAY": 0, **settings})
        slots = {HOST: Slot(4, 0.5, 0.5), "fast.test": Slot(4, 0.5, 0.5)}
        crawler.engine = SimpleNamespace(downloader=SimpleNamespace(slots=slots, _delay=0.5))
        crawlers.append(crawler)
        return crawler, slots

    yield make
    for crawler in crawlers:  # extensions undo what they set up (TidyLogs' log filter)
        crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")


def _robots(crawler, body: str) -> None:
    robots = ProtegoRobotParser(body.encode(), None)
    crawler.signals.send_catch_log(signals.robots_parsed, robotparser=robots, request=Request(ARTICLE))


def _reach_downloader(crawler, host: str) -> Request:
    request = Request(f"https://{host}/page/", meta={"download_slot": host})
    crawler.signals.send_catch_log(signals.request_reached_downloader, request=request, spider=None)
    return request


def test_the_crawl_delay_holds_the_slot_and_no_wait_goes_below_it(make_crawler, caplog):
    crawler, slots = make_crawler()
    with caplog.at_level(logging.INFO, logger="newscrawl.extensions"):
        _robots(crawler, "User-agent: newscrawl\nCrawl-delay: 2\n\nUser-agent: *\nCrawl-delay: 9\n")
    assert f"robots.txt of {HOST} asks for Crawl-delay 2 s" in caplog.text  # our group, not "*"
    _reach_downloader(crawler, HOST)
    _reach_downloader(crawler, "fast.test")
    assert slots[HOST].delay == 2
    assert min(slots[HOST].download_delay() for _ in range(200)) >= 2  # the ±50 % jitter narrowed
    assert (slots["fast.test"].delay, slots["fast.test"].jitter) == (0.5, 0.5)
    assert crawler.stats.get_value("newscrawl/crawl_delay") == 2


def test_a_longer_download_delay_stays_and_keeps_the_jitter_that_stays_above():
    slot = Slot(4, 5.0, 0.5)
    hold_slot(slot, 1.0)
    assert (slot.delay, slot.jitter) == (5.0, 0.5)
    slot = Slot(4, 3.0, 0.5)
    hold_slot(slot, 2.0)
    assert slot.delay == 3.0 and slot.jitter == pytest.approx(1 / 3)


def test_a_crawl_delay_past_the_maximum_is_held_to_it_with_a_warning(make_crawler, caplog):
    crawler, slots = make_crawler(NEWSCRAWL_MAX_CRAWL_DELAY=30)
    _robots(crawler, "User-agent: *\nCrawl-delay: 3600\n")
    _reach_downloader(crawler, HOST)
    assert slots[HOST].delay == 30
    (record,) = [r for r in caplog.records if r.name == "newscrawl.extensions"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"robots.txt of {HOST} asks for Crawl-delay 3600 s: held to 30 s between its requests"
        " (NEWSCRAWL_MAX_CRAWL_DELAY)"
    )


@pytest.mark.parametrize("settings", [{"NEWSCRAWL_OBEY_CRAWL_DELAY": False}, {"ROBOTSTXT_OBEY": False}])
def test_the_crawl_delay_is_ignored_when_switched_off(make_crawler, settings, caplog):
    crawler, slots = make_crawler(**settings)
    assert crawler.get_extension(CrawlDelay) is None
    _robots(crawler, "User-agent: *\nCrawl-delay: 2\n")
    _reach_downloader(crawler, HOST)
    assert slots[HOST].delay == 0.5
    assert "Crawl-delay" not in caplog.text


def test_autothrottle_never_shortens_a_slot_below_the_crawl_delay(make_crawler):
    crawler, slots = make_crawler(AUTOTHROTTLE_ENABLED=True)
    crawler.signals.send_catch_log(signals.spider_opened, spider=None)
    _robots(crawler, "User-agent: *\nCrawl-delay: 2\n")
    for host in (HOST, "fast.test"):
        request = _reach_downloader(crawler, host)
        request.meta["download_latency"] = 0.01  # a fast server: AutoThrottle shortens the delay
        for _ in range(3):
            crawler.signals.send_catch_log(
                signals.response_downloaded, response=Response(request.url), request=request, spider=None
            )
    assert slots["fast.test"].delay < 0.1
    assert slots[HOST].delay == 2
