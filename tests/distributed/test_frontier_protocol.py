"""The frontier's Redis protocol, worker by worker, without Scrapy's engine: leases, heartbeats and
re-delivery, the shared end of a job, a new run after it; and how the add-on configures a crawl."""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import pytest
from scrapy import Request, Spider
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector

from newscrawl.frontier import FrontierAddon, FrontierError, FrontierKeys, FrontierScheduler
from newscrawl.spiders.site import SiteSpider
from tests.distributed.conftest import REDIS_URL

pytestmark = pytest.mark.redis


class EngineSlot:
    """Stands for Scrapy's engine slot: the scheduler wraps its remove_request()."""

    def __init__(self) -> None:
        self.inprogress: set[Request] = set()
        self.closing = None
        self.removed: list[Request] = []

    def remove_request(self, request: Request) -> None:
        self.removed.append(request)


def worker(job: str, *, lease_timeout: float = 30.0) -> FrontierScheduler:
    settings = Settings(
        {
            "NEWSCRAWL_FRONTIER": REDIS_URL,
            "NEWSCRAWL_JOB": job,
            "NEWSCRAWL_FRONTIER_LEASE_TIMEOUT": lease_timeout,
        }
    )
    crawler = SimpleNamespace(
        settings=settings, signals=SignalManager(), engine=SimpleNamespace(_slot=EngineSlot())
    )
    crawler.stats = MemoryStatsCollector(crawler)
    scheduler = FrontierScheduler.from_crawler(crawler)
    scheduler.attach(Spider(name="site"))
    return scheduler


def test_a_popped_request_is_leased_until_the_engine_is_done_with_it(frontier_job, redis_server):
    one = worker(frontier_job)
    keys = FrontierKeys(frontier_job)
    for url, priority in (
        ("https://a.test/listing", 0),
        ("https://a.test/comments", 50),
        ("https://a.test/article", 20),
    ):
        assert one.enqueue_request(Request(url, priority=priority))
    assert not one.enqueue_request(Request("https://a.test/article")), "the shared duplicate filter"

    first = one.next_request()
    assert first.url == "https://a.test/comments", "highest priority first"
    assert redis_server.hlen(keys.leases(one.worker)) == 1
    assert redis_server.zcard(keys.queue) == 2

    # A pop re-sent after a lost reply (same token) leases nothing more and keeps the first lease.
    assert one.queue.pop_leased("1") is None
    assert redis_server.hlen(keys.leases(one.worker)) == 1 and redis_server.zcard(keys.queue) == 2

    one._hook_engine()
    slot = one.crawler.engine._slot
    slot.remove_request(first)  # what the engine calls once the request is downloaded and processed
    assert slot.removed == [first], "the engine's own bookkeeping still runs"
    assert redis_server.hlen(keys.leases(one.worker)) == 0
    one.close("finished")


def test_a_dead_workers_leases_go_back_to_the_queue_with_their_data(frontier_job, redis_server, caplog):
    dying = worker(frontier_job, lease_timeout=1.0)
    survivor = worker(frontier_job, lease_timeout=1.0)
    keys = FrontierKeys(frontier_job)
    chain = {
        "url": "https://a.test/article",
        "pages": [[1, [{"id": "c1"}]]],
        "captures": [{"body": b"\x00<html>"}],
    }
    dying.enqueue_request(Request("https://a.test/article?cpage=2", priority=50, meta={"chain": chain}))
    dying.enqueue_request(Request("https://a.test/listing", priority=0))
    assert dying.next_request() is not None and dying.next_request() is not None
    assert redis_server.zcard(keys.queue) == 0

    assert survivor._sync(idle=False) == "busy"
    assert redis_server.hlen(keys.leases(dying.worker)) == 2, "alive: its leases stay"

    time.sleep(1.3)  # `dying` stops beating (as if SIGKILLed): its heartbeat key expires
    with caplog.at_level(logging.WARNING, logger="newscrawl.frontier"):
        assert survivor._sync(idle=False) == "busy"  # a heartbeat of the survivor
    assert f"worker {dying.worker} stopped answering" in caplog.text
    assert not redis_server.exists(keys.leases(dying.worker))
    assert survivor.stats.get_value("newscrawl/frontier/redelivered") == 2
    assert not redis_server.sismember(keys.workers, dying.worker)

    again = survivor.next_request()
    assert again.url == "https://a.test/article?cpage=2", "re-queued with its priority"
    assert again.meta["chain"] == chain, "a comment chain continues where it was"
    assert survivor.next_request().url == "https://a.test/listing"
    survivor.close("finished")
    dying.server.close()


def test_the_job_ends_when_the_queue_is_empty_and_no_worker_is_busy(frontier_job, redis_server):
    one, two = worker(frontier_job), worker(frontier_job)
    keys = FrontierKeys(frontier_job)
    one.enqueue_request(Request("https://a.test/"))
    assert two._sync(idle=True) == "work", "something queued: go get it"
    leased = one.next_request()
    assert two._sync(idle=True) == "wait", "one holds a lease: its callback may queue more"
    one.request_finished(leased)
    assert two._sync(idle=True) == "wait", "one has not said it is idle yet"
    assert one._sync(idle=True) == "done"
    assert two._sync(idle=True) == "done"
    assert redis_server.get(keys.done) == redis_server.get(keys.generation) == b"1"
    assert not redis_server.exists(keys.seen), "the finished job's duplicate filter is gone"

    # A worker started after the end begins a new run; the old run's workers see theirs is over.
    three = worker(frontier_job)
    assert three.generation == "2"
    assert three.enqueue_request(Request("https://a.test/")), "a fresh duplicate filter"
    assert one._sync(idle=True) == "over"
    for scheduler in (one, two, three):
        scheduler.close("finished")


def test_a_worker_leaving_hands_its_unfinished_requests_back(frontier_job, redis_server):
    one, two = worker(frontier_job), worker(frontier_job)
    one.enqueue_request(Request("https://a.test/slow"))
    assert one.next_request() is not None
    one.close("shutdown")
    assert two.next_request().url == "https://a.test/slow"
    assert not redis_server.sismember(FrontierKeys(frontier_job).workers, one.worker)
    two.close("finished")


def test_an_unreadable_queue_entry_is_dropped_with_an_error(frontier_job, redis_server, caplog):
    one = worker(frontier_job)
    keys = FrontierKeys(frontier_job)
    redis_server.zadd(keys.queue, {b"not a pickled request": 0})
    with caplog.at_level(logging.ERROR, logger="newscrawl.frontier"):
        assert one.next_request() is None
    assert "cannot be read" in caplog.text
    assert redis_server.hlen(keys.leases(one.worker)) == 0
    assert one.stats.get_value("newscrawl/frontier/unreadable") == 1
    one.close("finished")


# ---------------------------------------------------------------------- the add-on (no Redis needed)


def addon_settings(spider: SiteSpider, **values) -> Settings:
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    settings.setdict(values, priority="cmdline")
    FrontierAddon(SimpleNamespace(spider=spider)).update_settings(settings)
    return settings


def test_addon_names_the_job_after_the_site():
    pg = "postgresql+psycopg://crawler@archive.test/news"
    by_profile = addon_settings(
        SiteSpider(target="blog-auto-info"), NEWSCRAWL_FRONTIER=REDIS_URL, NEWSCRAWL_DB=pg
    )
    assert by_profile["NEWSCRAWL_JOB"] == "blog-auto-info"
    assert by_profile["SCHEDULER"] == "newscrawl.frontier.FrontierScheduler"
    by_url = addon_settings(
        SiteSpider(target="https://www.moteur-hebdo.test/"), NEWSCRAWL_FRONTIER=REDIS_URL, NEWSCRAWL_DB=pg
    )
    assert by_url["NEWSCRAWL_JOB"] == "www.moteur-hebdo.test"
    named = addon_settings(
        SiteSpider(target="blog-auto-info"),
        NEWSCRAWL_FRONTIER=REDIS_URL,
        NEWSCRAWL_DB=pg,
        NEWSCRAWL_JOB="nightly",
    )
    assert named["NEWSCRAWL_JOB"] == "nightly"
    plain = addon_settings(SiteSpider(target="blog-auto-info"))
    assert plain["SCHEDULER"] != "newscrawl.frontier.FrontierScheduler" and not plain.get("NEWSCRAWL_JOB")


def test_addon_refuses_a_sqlite_archive_and_bad_urls():
    spider = SiteSpider(target="blog-auto-info")
    with pytest.raises(FrontierError, match="needs a PostgreSQL archive"):
        addon_settings(spider, NEWSCRAWL_FRONTIER=REDIS_URL, NEWSCRAWL_DB="sqlite:///archive.sqlite")
    with pytest.raises(FrontierError, match="expected a Redis URL"):
        addon_settings(spider, NEWSCRAWL_FRONTIER="http://127.0.0.1:6379/0")


def test_a_worker_joining_a_job_with_queued_requests_prints_no_deprecation_warning(frontier_job, recwarn):
    # scrapy_redis says "Resuming crawl" through Spider.log(), deprecated by Scrapy: the warning was
    # printed on the terminal of each worker that joined a job already under way.
    first = worker(frontier_job)
    assert first.enqueue_request(Request("https://a.test/article"))
    second = worker(frontier_job)
    assert [str(w.message) for w in recwarn if "Spider.log" in str(w.message)] == []
    second.close("finished")
    first.close("finished")


def test_a_lease_whose_release_failed_in_a_redis_outage_is_released_once_redis_answers(
    frontier_job, redis_server, monkeypatch
):
    # The release of a done request failed while Redis was down: the lease stayed, the worker went
    # idle with it, and the job waited for it for ever (every worker alive and idle, one lease held).
    import redis

    one = worker(frontier_job)
    keys = FrontierKeys(frontier_job)
    one.enqueue_request(Request("https://a.test/"))
    done = one.next_request()

    def down(*args, **kwargs):
        raise redis.ConnectionError("Connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(one.queue.server, "hdel", down)
        one.request_finished(done)
    assert redis_server.hlen(keys.leases(one.worker)) == 1

    assert one._sync(idle=True) == "done"
    assert redis_server.hlen(keys.leases(one.worker)) == 0
    assert redis_server.zcard(keys.queue) == 0, "a done request is not fetched again"
    one.close("finished")


def test_a_lease_whose_pop_reply_was_lost_goes_back_to_the_queue_when_the_worker_is_idle(
    frontier_job, redis_server
):
    # A pop that Redis ran but whose reply the worker never got (connection lost): the request is
    # leased to a worker that does not know it; it was never fetched and the job never ended.
    one = worker(frontier_job)
    keys = FrontierKeys(frontier_job)
    one.enqueue_request(Request("https://a.test/lost"))
    assert one.queue.pop_leased("lost-reply") is not None
    assert redis_server.hlen(keys.leases(one.worker)) == 1

    assert one._sync(idle=True) == "work"
    again = one.next_request()
    assert again.url == "https://a.test/lost"
    one.request_finished(again)
    assert one._sync(idle=True) == "done"
    one.close("finished")


def test_a_frontier_urls_password_is_never_shown():
    # The password of the Redis URL was printed in every error line and log line naming the frontier.
    from newscrawl.frontier import check_frontier_url, ping_frontier

    with pytest.raises(FrontierError) as unreachable:
        ping_frontier("redis://:s3cret@127.0.0.1:1/0")
    with pytest.raises(FrontierError) as bad_database:
        check_frontier_url("redis://user:s3cret@127.0.0.1:6379/x")
    for refusal in (unreachable, bad_database):
        assert "s3cret" not in str(refusal.value) and "***" in str(refusal.value)


def test_a_database_number_redis_refuses_is_said_so():
    # Redis answered and refused the database (SELECT 9999 past its `databases`): the error said the
    # frontier was "not reachable: DB index is out of range".
    from urllib.parse import urlsplit

    from newscrawl.frontier import ping_frontier

    url = urlsplit(REDIS_URL)._replace(path="/9999").geturl()
    expected = f"frontier {url}: the Redis server refuses database 9999 (DB index is out of range)"
    with pytest.raises(FrontierError) as pinged:
        ping_frontier(url)
    assert str(pinged.value) == expected
    settings = Settings({"NEWSCRAWL_FRONTIER": url, "NEWSCRAWL_JOB": "refused"})
    with pytest.raises(FrontierError) as scheduled:
        FrontierScheduler.from_crawler(SimpleNamespace(settings=settings))
    assert str(scheduled.value) == expected


def test_a_frontier_gone_for_good_stops_the_worker_with_its_reason_in_the_stats(frontier_job, caplog):
    # The stop was an ERROR line, which --quiet shows above the CLI's own "Error: crawl stopped:
    # frontier unavailable": two lines for one problem. It is a warning now, and the run's stats keep
    # the reason for that one line.
    import redis

    one = worker(frontier_job, lease_timeout=1.0)
    stopped = []
    one.crawler.engine.close_spider_async = lambda reason: stopped.append(reason)
    refused = redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with caplog.at_level(logging.WARNING, logger="newscrawl.frontier"):
        one._unreachable(refused)
        one._unreachable_since -= 5  # past the lease timeout
        one._unreachable(refused)
    assert stopped == ["frontier_unavailable"]
    assert [record.levelname for record in caplog.records] == ["WARNING", "WARNING"]
    because = one.stats.get_value("newscrawl/stopped_because")
    assert because == f"frontier {REDIS_URL}: not answering for 5 s ({refused})"
    assert f"{because}; stopping this worker" in caplog.records[-1].getMessage()
    one.close("frontier_unavailable")
